"""Whole conversations through the real engine: start, answer, click, skip, back, resume."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import docx
import pytest

from bot.core.domain import Person, Phase, Role
from bot.core.messages import Card, Choices, FileShare, StartRequested
from tests.harness import Harness, make_harness, make_lead, person, shared, texts


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make_harness(tmp_path)
    yield harness
    await harness.app.close()


async def started(h: Harness, *names: str) -> None:
    lead = await make_lead(h)
    replies = await h.say(lead, "start " + " ".join(names))
    assert "has started for" in texts(replies), texts(replies)


async def answers(h: Harness, name: str) -> dict[str, tuple[tuple[str, ...], str | None, bool]]:
    campaign = await h.app.store.latest_campaign()
    assert campaign is not None
    stored = await h.app.store.answers_of(campaign.id, person(name).key)
    return {a.question_id: (a.choices, a.text, a.skipped) for a in stored}


async def test_start_sends_each_person_the_invitation_and_first_question(h: Harness) -> None:
    await started(h, "anna", "bram")
    for name in ("anna", "bram"):
        inbox = h.inbox(person(name))
        assert len(inbox) == 1  # the invitation and the first question are one message
        first = inbox[0]
        assert isinstance(first, Choices)
        assert first.text.startswith("Hi") and "\n\n[1/9] " in first.text
        assert first.action == "q:discipline"
        assert [c.value for c in first.choices][:2] == ["purchasing", "design"]
    lead_replies = texts(h.replies)
    assert "reached 2 of 2" in lead_replies


async def test_a_whole_poll_with_click_typing_skip_back_and_summary(h: Harness) -> None:
    await started(h, "anna")
    anna = person("anna")
    replies = await h.click(anna, "discipline", "design")
    assert "Noted: Design / product development." in texts(replies)
    assert texts(replies).count("[2/9]") == 1

    await h.say(anna, "We make durable clothes.")
    await h.say(anna, "skip")  # goals
    replies = await h.say(anna, "back")  # back to goals, which was skipped
    assert "[3/9]" in texts(replies)
    replies = await h.say(anna, "back")  # back to the mission, shows the answer so far
    assert "[2/9]" in texts(replies)
    assert "Your answer so far: We make durable clothes." in texts(replies)
    await h.say(anna, "We make durable clothes that last.")  # replaces
    await h.say(anna, "skip")  # keeps the skipped goals as they were
    await h.say(anna, "Our supplier code.")  # translation
    replies = await h.say(anna, "1, 3")  # drivers: two picks
    assert "Noted: Customers and retailers ask for it, Reputation and risk." in texts(replies)
    assert "Why these?" in texts(replies)
    await h.say(anna, "Our retail customers ask.")
    await h.say(anna, "materials")  # trends by option key
    await h.say(anna, "skip")  # its why
    await h.say(anna, "1")  # legislation
    await h.say(anna, "skip")
    await h.say(anna, "Talk to buyers first.")  # mobilise
    replies = await h.say(anna, "2")  # resistance
    replies = await h.say(anna, "They have many priorities.")
    summary = replies[-1]
    assert isinstance(summary, Card)
    plain = summary.plain()
    assert "Your answers" in plain
    assert "We make durable clothes that last." in plain
    assert "Management: costs and priorities (They have many priorities.)" in plain
    assert "Thank you!" in plain

    stored = await answers(h, "anna")
    assert stored["discipline"] == (("design",), None, False)
    assert stored["mission"] == ((), "We make durable clothes that last.", False)
    assert stored["goals"] == ((), None, True)
    assert stored["drivers"] == (("customers", "reputation"), "Our retail customers ask.", False)
    assert stored["trends"] == (("materials",), None, False)
    assert len(stored) == 9
    state = await h.app.store.load_state(anna.key)
    assert state is not None and state.phase is Phase.DONE
    campaign = await h.app.store.latest_campaign()
    assert campaign is not None
    part = await h.app.store.participation(campaign.id, anna.key)
    assert part is not None and part.finished_at is not None
    stored_person = await h.app.store.get_person(anna.key)
    assert stored_person is not None and stored_person.discipline == "design"

    replies = await h.say(anna, "anything else?")
    assert "answered every question" in texts(replies)


async def test_choice_errors_change_nothing(h: Harness) -> None:
    await started(h, "anna")
    anna = person("anna")
    replies = await h.say(anna, "42")
    assert "couldn't match" in texts(replies)
    assert await answers(h, "anna") == {}
    await h.click(anna, "discipline", "sales")
    for _ in range(3):
        await h.say(anna, "skip")
    replies = await h.say(anna, "1,2,3,4")
    assert "at most 3" in texts(replies)
    assert "drivers" not in await answers(h, "anna")


async def test_a_click_on_an_old_question_changes_nothing(h: Harness) -> None:
    await started(h, "anna")
    anna = person("anna")
    await h.click(anna, "discipline", "sales")
    replies = await h.click(anna, "discipline", "finance")
    assert "earlier question" in texts(replies)
    assert (await answers(h, "anna"))["discipline"][0] == ("sales",)


async def test_a_redelivered_event_has_its_effect_once(h: Harness) -> None:
    await started(h, "anna")
    anna = person("anna")
    await h.click(anna, "discipline", "sales")
    first = await h.say(anna, "Mission text", event_id="evt-1")
    again = await h.say(anna, "Mission text", event_id="evt-1")
    assert first and again == []
    state = await h.app.store.load_state(anna.key)
    assert state is not None and state.step == 2
    again = await h.click(anna, "drivers", "customers", event_id="evt-1")
    assert again == []


async def test_resume_after_restart_continues_where_the_person_stopped(h: Harness) -> None:
    await started(h, "anna")
    anna = person("anna")
    await h.click(anna, "discipline", "sales")
    await h.say(anna, "Our mission.")
    await h.say(anna, "Our goals.")
    await h.reopen()
    greeting: list[object] = []

    async def reply(message: object) -> None:
        greeting.append(message)

    await h.app.bot.resume(anna, reply)
    assert "Welcome back" in texts(greeting)  # type: ignore[arg-type]
    assert "[4/9]" in texts(greeting)  # type: ignore[arg-type]
    await h.say(anna, "Through our sourcing.")
    stored = await answers(h, "anna")
    assert stored["mission"][1] == "Our mission."
    assert stored["translation"][1] == "Through our sourcing."


async def test_two_events_of_one_person_never_interleave(h: Harness) -> None:
    await started(h, "anna")
    anna = person("anna")
    await h.click(anna, "discipline", "sales")
    await asyncio.gather(*(h.say(anna, f"answer {i}") for i in range(3)))
    stored = await answers(h, "anna")
    assert {stored["mission"][1], stored["goals"][1], stored["translation"][1]} == {
        "answer 0",
        "answer 1",
        "answer 2",
    }
    state = await h.app.store.load_state(anna.key)
    assert state is not None and state.step == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("x" * 100_000, "100,000 characters; the limit is 4,000"),
        ("bad \x00 byte", "U+0000"),
        ("escape \x1b[31m red", "U+001B"),
    ],
)
async def test_bad_input_is_refused_clearly_and_changes_nothing(
    h: Harness, text: str, expected: str
) -> None:
    await started(h, "anna")
    anna = person("anna")
    await h.click(anna, "discipline", "sales")
    before = await h.app.store.load_state(anna.key)
    replies = await h.say(anna, text)
    assert expected in texts(replies)
    assert "[2/9]" in texts(replies)  # the pending question is asked again
    assert "mission" not in await answers(h, "anna")
    assert await h.app.store.load_state(anna.key) == before


@pytest.mark.parametrize(
    "text",
    [
        "Great 👍🏽 idea 🌍",
        "مرحبا بالعالم — نحن نصنع الملابس",
        "{{ 7*7 }} and {% for x in y %}",
        "<!channel> please look",
        "[click me](http://evil.example)",
        '=HYPERLINK("http://evil.example","x")',
        "x" * 4000,
    ],
)
async def test_unusual_but_valid_answers_are_stored_verbatim(h: Harness, text: str) -> None:
    await started(h, "anna")
    anna = person("anna")
    await h.click(anna, "discipline", "sales")
    replies = await h.say(anna, text)
    assert "[3/9]" in texts(replies)
    assert (await answers(h, "anna"))["mission"][1] == text


async def test_commands_roles_and_languages(h: Harness) -> None:
    emp = person("emp")
    replies = await h.say(emp, "help")
    assert isinstance(replies[0], Card)
    assert "For everyone" in replies[0].plain() and "For CSR leads" not in replies[0].plain()
    replies = await h.say(emp, "start all")
    assert 'Only a CSR lead can use "start"' in texts(replies)
    assert "imvo-bot roles grant console:emp csr_lead" in texts(replies)
    assert await h.app.store.latest_campaign() is None
    # In this order: from `taal nl` on, the employee is answered in Dutch.
    for send, text, expected in (
        (h.say, "draft", "Only a CSR lead"),
        (h.say, "status", "CSR lead or a manager"),
        (h.command, "frobnicate now", 'I don\'t know the command "frobnicate"'),
        (h.say, "what is this?", "no question waiting"),
        (h.say, "taal nl", "Nederlands"),
        (h.say, "hulp", "Voor iedereen"),
        (h.say, "language xx", "taal nl of taal en"),
    ):
        assert expected in texts(await send(emp, text)), text

    lead = await make_lead(h)
    replies = await h.say(lead, "help")
    assert "For CSR leads" in texts(replies)
    await h.app.store.set_role(emp.key, Role.MANAGER, True)
    replies = await h.say(emp, "status")
    assert "Nog geen campagne" in texts(replies) or "nog geen campagne" in texts(replies)


async def test_start_arguments(h: Harness) -> None:
    lead = await make_lead(h)
    # The example deadline is two weeks from today, so the help never shows a passed date.
    example = (h.clock.now().date() + timedelta(days=14)).isoformat()
    usage = texts(await h.say(lead, "start"))
    assert "Who should get the poll?" in usage and f"deadline {example}." in usage
    assert "already passed" in texts(await h.say(lead, "start anna 2020-01-01"))
    bad = texts(await h.say(lead, "start anna 2026-13-45"))
    assert 'can\'t read "2026-13-45"' in bad and f"for example {example}." in bad
    assert "found nobody" in texts(await h.say(lead, "start #general"))
    assert await h.app.store.latest_campaign() is None
    replies = await h.say(lead, "start anna #general deadline 2026-12-15")
    assert "Deadline: 2026-12-15" in texts(replies)
    assert "did not recognise: #general" in texts(replies)
    assert "still running" in texts(await h.say(lead, "start bram"))
    campaign = await h.app.store.latest_campaign()
    assert campaign is not None and str(campaign.deadline) == "2026-12-15"


async def test_status_draft_and_stop(h: Harness) -> None:
    await started(h, "anna", "bram")
    lead = person("lead")
    anna = person("anna")
    await h.click(anna, "discipline", "sales")
    await h.say(anna, "Our mission is quality.")
    replies = await h.say(lead, "status")
    card = replies[0]
    assert isinstance(card, Card)
    plain = card.plain()
    assert "Invited: 2" in plain and "Responded: 1 (50%)" in plain
    assert "Mission and vision: 1 answered, 0 skipped" in plain

    replies = await h.say(lead, "draft")
    assert "Compiling" in texts(replies[:1])
    share = shared(replies)
    assert isinstance(share, FileShare)
    assert {f.name.rsplit(".", 1)[1] for f in share.files} == {"docx", "md", "xlsx"}
    for location in share.locations:
        assert Path(location).is_file()
    assert "Still missing" in share.text
    assert "Version 1. This is the first version" in share.text

    # The next compile is version 2 and says what changed since version 1.
    second = shared(await h.say(lead, "draft"))
    assert isinstance(second, FileShare)
    assert "Version 2. Since version 1: 0 new respondents" in second.text
    word = docx.Document(io.BytesIO(next(f.data for f in second.files if f.name.endswith(".docx"))))
    cover = "\n".join(p.text for p in word.paragraphs[:8])
    assert "Version 2" in cover and "Since version 1" in cover
    # The files are named by version and language; Word names the lead who compiled it.
    assert all(f.name.startswith("imvo-policy-v2-en-") for f in second.files[:2])
    assert word.core_properties.author == word.core_properties.last_modified_by == "Lead"

    replies = await h.say(lead, "stop")
    assert "is closed" in texts(replies)
    replies = await h.say(anna, "Our goals.")
    assert "no question waiting" in texts(replies)
    assert "goals" not in await answers(h, "anna")


async def test_messages_from_bots_are_ignored(h: Harness) -> None:
    from dataclasses import replace

    robot = replace(person("robot"), is_bot=True)
    assert await h.say(robot, "help") == []
    assert await h.app.store.get_person(robot.key) is None


async def test_a_start_form_follows_the_rules_of_start(h: Harness) -> None:
    lead, emp = await make_lead(h), person("emp")

    async def form(
        who: Person, *audience: str, everyone: bool = False, deadline: date | None = None
    ) -> str:
        event = StartRequested(f"form-{len(h.replies)}", who, audience, everyone, deadline)
        return texts(await h._run(event))

    assert "Only a CSR lead" in await form(emp, "anna")
    assert "Who should get the poll?" in await form(lead)
    assert "already passed" in await form(lead, "anna", deadline=date(2020, 1, 1))
    assert await h.app.store.latest_campaign() is None
    assert "has started for 2" in await form(lead, "anna", "bram", deadline=date(2026, 12, 18))
    campaign = await h.app.store.latest_campaign()
    assert campaign is not None and campaign.deadline == date(2026, 12, 18)
