"""Theme owners through the real engine: list, claim, assign, accept, decline, questionnaire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.domain import OwnerState, Role
from bot.core.messages import Card, Choices, Clicked, Message, Text
from tests.harness import Harness, make_harness, make_lead, person, shared, texts


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make_harness(tmp_path)
    yield harness
    await harness.app.close()


async def owner_of(h: Harness, theme: str) -> tuple[str, OwnerState] | None:
    found = {o.theme: o for o in await h.app.store.theme_owners()}.get(theme)
    return (found.person.user_id, found.state) if found else None


async def click_last(h: Harness, who: object, index: int) -> list[Message]:
    invitation = h.inbox(who).__getitem__(-1)  # type: ignore[arg-type]
    assert isinstance(invitation, Choices), invitation
    event = Clicked(
        f"c-{index}-{len(h.replies)}", who, invitation.action, invitation.choices[index].value
    )  # type: ignore[arg-type]
    return await h._run(event)


async def test_owners_lists_the_nine_themes_with_state(h: Harness) -> None:
    replies = await h.say(person("emp"), "owners")
    card = replies[0]
    assert isinstance(card, Card)
    assert len(card.sections) == 10
    assert "Living wage (living-wage): open" in card.plain()
    dutch = await h.say(person("emp2", "nl"), "eigenaren")
    assert "Leefbaar loon (leefbaar-loon): open" in texts(dutch)
    assert "Kinderarbeid: open" in texts(dutch)  # the name is the word to type


async def test_claim_then_a_lead_confirms_and_the_questionnaire_follows(h: Harness) -> None:
    lead = await make_lead(h)
    kim = person("kim")
    replies = await h.say(kim, "claim living-wage")
    assert "You proposed yourself as owner of Living wage" in texts(replies)
    assert await owner_of(h, "living-wage") == ("kim", OwnerState.PROPOSED)
    notice = texts(h.inbox(lead))
    assert "Kim proposed themselves as owner of Living wage" in notice
    assert "owner living-wage kim" in notice

    replies = await h.say(person("jo"), "claim leefbaar-loon")
    assert "already has an owner: Kim" in texts(replies)

    replies = await h.say(lead, "owner living-wage kim")
    assert "Kim is now the owner of Living wage" in texts(replies)
    assert await owner_of(h, "living-wage") == ("kim", OwnerState.ACCEPTED)
    inbox = texts(h.inbox(kim))
    assert "confirmed you as owner of Living wage" in inbox
    assert "[Living wage 1/5]" in inbox

    await h.say(kim, "We pay the legal minimum and ask suppliers for wage data.")
    await h.say(kim, "skip")
    await h.say(kim, "Benchmark our top five suppliers.")
    await h.say(kim, "Wage data per supplier.")
    replies = await h.say(kim, "Purchasing and finance.")
    assert "Your answers about Living wage are now in the theme's section" in texts(replies)
    mine = (await h.say(kim, "mydata"))[1].plain()
    assert "Benchmark our top five suppliers." in mine and '"owner_answers"' in mine
    stored = {a.question_id: a for a in await h.app.store.owner_answers()}
    assert stored["practice"].text.startswith("We pay the legal minimum")  # type: ignore[union-attr]
    assert stored["risk"].skipped

    await h.say(lead, "start anna")
    share = shared(await h.say(lead, "draft"))
    markdown = next(f for f in share.files if f.name.endswith(".md")).data.decode()  # type: ignore[attr-defined]
    section = markdown[markdown.index("### Living wage") :]
    section = section[: section.index("\n### ", 5)]
    assert "What the owner says" in section
    assert "Benchmark our top five suppliers" in section
    assert "Owner: Kim" in section


async def test_a_lead_invites_and_the_colleague_accepts_or_declines(h: Harness) -> None:
    lead = await make_lead(h)
    await h.app.store.upsert_person(person("anna"))
    await h.app.store.upsert_person(person("bram", "nl"))
    replies = await h.say(lead, "owner child-labour anna")
    assert "I asked Anna to own Child labour" in texts(replies)
    invitation = h.inbox(person("anna"))[-1]
    assert isinstance(invitation, Choices)
    assert "Lead asks you to be the owner of the theme Child labour" in invitation.text
    assert await owner_of(h, "child-labour") == ("anna", OwnerState.PROPOSED)

    replies = await click_last(h, person("anna"), 0)
    assert "You are now the owner of Child labour" in texts(replies)
    assert "[Child labour 1/5]" in texts(replies)
    assert "Anna accepted the theme Child labour" in texts(h.inbox(lead))
    again = await click_last(h, person("anna"), 1)  # the old invitation, clicked again
    assert "no longer open" in texts(again)
    assert await owner_of(h, "child-labour") == ("anna", OwnerState.ACCEPTED)

    await h.say(lead, "owner grondstoffen bram")
    invitation = h.inbox(person("bram", "nl"))[-1]
    assert isinstance(invitation, Choices) and "Grondstoffen" in invitation.text
    replies = await click_last(h, person("bram", "nl"), 1)
    assert "je hebt Grondstoffen afgewezen" in texts(replies)
    assert await owner_of(h, "raw-materials") is None
    assert "Bram declined the theme Raw materials" in texts(h.inbox(lead))


async def test_owner_questions_wait_until_the_poll_is_done(h: Harness) -> None:
    lead = await make_lead(h)
    await h.say(lead, "start anna")
    anna = person("anna")
    await h.click(anna, "discipline", "purchasing")
    await h.say(lead, "owner raw-materials anna")
    replies = await click_last(h, anna, 0)
    assert "once you have finished the poll" in texts(replies)
    replies = await h.say(anna, "Our mission.")
    assert "[3/9]" in texts(replies)  # the plain reply answered the poll, not the owner question
    for _ in range(8):
        replies = await h.say(anna, "skip")
        if any(isinstance(m, Card) and "Your answers" in m.plain() for m in replies):
            break
    assert "[Raw materials 1/5]" in texts(replies)
    await h.say(anna, "We buy organic cotton for one line.")
    assert [a.question_id for a in await h.app.store.owner_answers()] == ["practice"]


async def test_owner_mistakes_change_nothing(h: Harness) -> None:
    lead = await make_lead(h)
    manager = person("manny")
    await h.app.store.set_role(manager.key, Role.MANAGER, True)
    replies = await h.say(manager, "owner living-wage anna")
    assert 'Only a CSR lead can use "owner"' in texts(replies)
    replies = await h.say(person("emp"), "claim sunshine")
    assert 'I don\'t know the theme "sunshine"' in texts(replies)
    replies = await h.say(person("emp"), "claim")
    assert "Which theme?" in texts(replies)
    replies = await h.say(lead, "owner living-wage #channel")
    assert 'I don\'t know "#channel"' in texts(replies)
    replies = await h.say(lead, "owner living-wage")
    assert "owner <theme> <person>" in texts(replies)
    assert await h.app.store.theme_owners() == []
    forged = await h._run(Clicked("f1", person("emp"), "own:living-wage", "accept"))
    assert "no longer open" in texts(forged)
    assert await h.app.store.theme_owners() == []


async def test_status_and_owners_suggest_candidates_by_discipline(h: Harness) -> None:
    lead = await make_lead(h)
    await h.say(lead, "start anna")
    await h.click(person("anna"), "discipline", "design")
    replies = await h.say(lead, "owners")
    assert "Animal welfare (animal-welfare): open · candidates: Anna" in texts(replies)
    employee = await h.say(person("emp"), "owners")
    assert "candidates" not in texts(employee)
    assert all(isinstance(m, (Card, Text)) for m in employee)
    status = texts(await h.say(lead, "status"))
    assert "- Animal welfare: open · candidates: Anna" in status
    assert "Themes without an owner: Discrimination and gender" in status
    assert "No answers yet from: Purchasing / sourcing" in status
    assert "Nobody has answered: Mission and vision" in status
