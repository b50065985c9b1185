"""A new colleague's first contact, and forget-me that always works, in both languages:
whole conversations through the real engine, the console chat, and the Slack and Teams renders
of the same question."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console.chat import run_chat
from adapters.console.transport import console_name, render
from adapters.slack.render import render as slack_render
from adapters.teams.render import render as teams_render
from bot.core.domain import OwnerState, Person, Phase, ThemeOwner
from bot.core.messages import Card, Choices, Clicked, Message
from bot.core.settings import Settings
from tests.harness import Harness, make_harness, make_lead, person, texts

WORDS = {
    "en": {
        "welcome": "Welcome back",
        "waiting": "still waiting for your answer",
        "kept": "Nothing was erased",
        "erased": "I erased",
        "expired": "has expired",
        "yes_button": "Yes, erase my data",
        "no_button": "No, keep it",
        "type": "Type the number of an option",
        "click": "Click an option",
        "saved": "Saved as your answer to question 8. Type back to change it.",
        "declined": "no overview for now",
        "invite": "would like your view",
        "hi": "Hi",
    },
    "nl": {
        "welcome": "Welkom terug",
        "waiting": "wacht nog op je antwoord",
        "kept": "Er is niets gewist",
        "erased": "Ik heb",
        "expired": "is verlopen",
        "yes_button": "Ja, wis mijn gegevens",
        "no_button": "Nee, bewaren",
        "type": "Typ het nummer van een optie",
        "click": "Klik op een optie",
        "saved": "Bewaard als je antwoord op vraag 8. Typ terug om het te veranderen.",
        "declined": "dan nu geen overzicht",
        "invite": "hoort graag hoe jij erover denkt",
        "hi": "Hoi",
    },
}


@pytest.fixture(params=["en", "nl"])
async def h(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make_harness(tmp_path, language=request.param)
    yield harness
    await harness.app.close()


def lang(h: Harness) -> str:
    return h.settings.language


def anna(h: Harness) -> Person:
    return person("anna", lang(h))


async def invited(h: Harness, *names: str) -> None:
    lead = await make_lead(h, language=lang(h))
    await h.say(lead, "start " + " ".join(names or ("anna",)))


async def answering(h: Harness) -> None:
    """Anna is at question 3: two answers stored, a question pending."""
    await invited(h)
    await h.click(anna(h), "discipline", "sales")
    await h.say(anna(h), "Anna's own mission.")


async def finished(h: Harness) -> None:
    """Anna answered the whole poll: no question is pending."""
    await answering(h)
    for _ in range(7):
        await h.say(anna(h), "skip")
    state = await h.app.store.load_state(anna(h).key)
    assert state is not None and state.phase is Phase.DONE


def stored_texts(h: Harness) -> list[str]:
    with sqlite3.connect(h.db) as db:
        return [row[0] for row in db.execute("SELECT text FROM answers WHERE text IS NOT NULL")]


async def assert_erased(h: Harness, word: str) -> None:
    data = await h.app.store.person_data(anna(h).key)
    assert data.person is None and data.answers == () and data.state is None
    assert data.participations == () and data.roles == ()
    assert word not in stored_texts(h)


# ------------------------------------------------------------------------------ forget-me

CONFIRMATIONS = ["ja", "yes", "1", "yes_button", "Yes please!", "ja graag", "OK", "wis", "Erase."]


def word_for(h: Harness, word: str) -> str:
    return WORDS[lang(h)].get(word, word) if word.endswith("_button") else word


@pytest.mark.parametrize("pending", [True, False], ids=["question-pending", "none-pending"])
@pytest.mark.parametrize("word", CONFIRMATIONS)
async def test_forget_me_is_confirmed_by_every_word(h: Harness, word: str, pending: bool) -> None:
    await (answering(h) if pending else finished(h))
    command = "vergeet-mij" if lang(h) == "nl" else "forget-me"
    question = (await h.say(anna(h), command))[0]
    assert isinstance(question, Choices)
    typed = word_for(h, word)
    replies = await h.say(anna(h), typed)
    assert WORDS[lang(h)]["erased"] in texts(replies), texts(replies)
    await assert_erased(h, typed)


async def test_forget_me_the_other_languages_words_and_button_work_too(h: Harness) -> None:
    other = "nl" if lang(h) == "en" else "en"
    await answering(h)
    await h.say(anna(h), "forget-me")
    await h.say(anna(h), WORDS[other]["yes_button"])
    await assert_erased(h, WORDS[other]["yes_button"])


async def test_forget_me_while_an_owner_question_is_pending(h: Harness) -> None:
    owner = ThemeOwner("living-wage", anna(h).key, OwnerState.ACCEPTED, h.clock.now(), "Anna")
    await h.app.store.upsert_person(anna(h))
    await h.app.store.set_theme_owner(owner)
    first = await h.say(anna(h), "skip")  # the first owner question, skipped
    assert "[" in texts(first)
    await h.say(anna(h), "forget-me")
    replies = await h.say(anna(h), "ja")
    assert WORDS[lang(h)]["erased"] in texts(replies)
    data = await h.app.store.person_data(anna(h).key)
    assert data.owner_answers == () and data.ownerships == () and data.person is None


@pytest.mark.parametrize("word", ["nee", "no", "no_button", "No thanks.", "niet wissen"])
async def test_a_no_keeps_everything_and_asks_the_pending_question_again(
    h: Harness, word: str
) -> None:
    await answering(h)
    before = await h.app.store.person_data(anna(h).key)
    await h.say(anna(h), "forget-me")
    replies = await h.say(anna(h), word_for(h, word))
    assert WORDS[lang(h)]["kept"] in texts(replies)
    assert "[3/9]" in texts(replies)  # the question is back
    after = await h.app.store.person_data(anna(h).key)
    assert after.answers == before.answers and after.person is not None
    # The confirmation is closed: the next reply answers the question.
    await h.say(anna(h), "ja")
    stored = await h.app.store.answers_of(1, anna(h).key)
    assert [a.text for a in stored if a.question_id == "goals"] == ["ja"]


async def test_the_decline_button_keeps_everything_and_asks_again(h: Harness) -> None:
    await answering(h)
    question = (await h.say(anna(h), "forget-me"))[0]
    assert isinstance(question, Choices)
    no = question.choices[1]
    assert no.label == WORDS[lang(h)]["no_button"]
    replies = await h._run(Clicked("no-click", anna(h), question.action, no.value))
    assert WORDS[lang(h)]["kept"] in texts(replies) and "[3/9]" in texts(replies)
    assert (await h.app.store.person_data(anna(h).key)).answers


@pytest.mark.parametrize("word", ["banana", "maybe", "ja, niet doen", "help"])
async def test_anything_else_says_what_to_type_and_changes_nothing(h: Harness, word: str) -> None:
    await answering(h)
    await h.say(anna(h), "forget-me")
    before = await h.app.store.person_data(anna(h).key)
    replies = await h.say(anna(h), word)
    assert WORDS[lang(h)]["waiting"] in texts(replies)
    after = await h.app.store.person_data(anna(h).key)
    assert after == before
    assert word not in stored_texts(h)
    replies = await h.say(anna(h), "yes")  # the question is still open
    assert WORDS[lang(h)]["erased"] in texts(replies)


async def test_a_typed_yes_expires_like_the_button(h: Harness) -> None:
    await answering(h)
    await h.say(anna(h), "forget-me")
    h.clock.advance(minutes=20)
    replies = await h.say(anna(h), "yes")
    assert WORDS[lang(h)]["expired"] in texts(replies)
    assert "[3/9]" in texts(replies)
    data = await h.app.store.person_data(anna(h).key)
    assert data.answers and "yes" not in stored_texts(h)


# ------------------------------------------------------------------------- first contact


async def greeting(h: Harness, who: Person) -> list[Message]:
    said: list[Message] = []

    async def reply(message: Message) -> None:
        said.append(message)

    await h.app.bot.resume(who, reply)
    return said


async def test_the_first_contact_shows_the_invitation_not_welcome_back(h: Harness) -> None:
    await invited(h, "anna")
    first = await greeting(h, anna(h))
    assert len(first) == 1
    shown = texts(first)
    assert WORDS[lang(h)]["welcome"] not in shown
    assert shown.startswith(f"{WORDS[lang(h)]['hi']} Anna!") and WORDS[lang(h)]["invite"] in shown
    assert "[1/9]" in shown and isinstance(first[0], Choices)

    await h.click(anna(h), "discipline", "sales")
    await h.reopen()
    again = texts(await greeting(h, anna(h)))
    assert again.startswith(WORDS[lang(h)]["welcome"]) and "[2/9]" in again
    assert WORDS[lang(h)]["invite"] not in again


async def test_a_first_typed_message_that_answers_nothing_gets_the_invitation(h: Harness) -> None:
    await invited(h, "anna")
    replies = await h.say(anna(h), "hoi!")
    assert WORDS[lang(h)]["invite"] in texts(replies) and "[1/9]" in texts(replies)
    assert await stored(h) == {}
    replies = await h.say(anna(h), "3")  # an answer now
    assert WORDS[lang(h)]["invite"] not in texts(replies)
    await h.say(anna(h), "back")
    replies = await h.say(anna(h), "hoi!")  # begun: only the question again
    assert "[1/9]" in texts(replies) and WORDS[lang(h)]["invite"] not in texts(replies)


async def test_names_keep_the_case_the_platform_gave(h: Harness) -> None:
    await invited(h, "sanne")  # typed in lower case by the lead, on the console
    invitation = h.inbox(person("sanne", lang(h)))[0]
    assert invitation.plain().startswith(f"{WORDS[lang(h)]['hi']} Sanne!")
    mc = Person(person("mcallister").key, display_name="McAllister", language=lang(h))
    assert f"{WORDS[lang(h)]['hi']} McAllister!" in texts(await greeting(h, mc))
    assert console_name("sanne") == "Sanne"
    assert console_name("anne-marie") == "Anne-Marie"
    assert console_name("McAllister") == "McAllister"
    assert console_name("deVries") == "deVries"


async def test_the_console_says_type_and_the_chat_platforms_say_click(h: Harness) -> None:
    await invited(h, "anna")
    question = h.inbox(anna(h))[0]
    assert isinstance(question, Choices)
    words = WORDS[lang(h)]
    console = render(question)
    assert words["type"] in console and words["click"] not in console

    slack = slack_render(question)[-1]
    hints = [e["text"] for b in slack.blocks if b["type"] == "context" for e in b["elements"]]
    assert any(words["click"] in hint for hint in hints), hints

    [activity] = teams_render(question)
    body = activity["attachments"][0]["content"]["body"]
    assert any(words["click"] in block.get("text", "") for block in body)


async def test_the_console_chat_greets_a_first_timer_with_the_invitation(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", language="nl")
    out = io.StringIO()
    start = io.StringIO("start sanne\n")
    await run_chat(settings, user="lead", role="csr_lead", language=None, stdin=start, stdout=out)
    assert "Campagne #1 is gestart" in out.getvalue()

    out, nothing = io.StringIO(), io.StringIO()
    await run_chat(settings, user="sanne", role=None, language=None, stdin=nothing, stdout=out)
    shown = out.getvalue()
    assert shown.startswith("Hoi Sanne!") and "Welkom terug" not in shown
    assert "Typ het nummer van een optie" in shown and "Klik" not in shown


# --------------------------------------------------------------- after an offer of more


async def at_the_offer(h: Harness) -> list[Message]:
    """Anna answers up to the legislation question; the overview is offered before question 8."""
    await invited(h)
    who = anna(h)
    await h.click(who, "discipline", "sales")
    for _ in range(3):
        await h.say(who, "skip")
    for _ in range(2):  # drivers and trends, each with its "why" skipped
        await h.say(who, "1")
        await h.say(who, "skip")
    await h.say(who, "1")  # legislation
    replies = await h.say(who, "skip")  # its "why"
    offer = replies[0]
    assert isinstance(offer, Choices) and "[8/9]" in texts(replies)
    return replies


async def stored(h: Harness) -> dict[str, str | None]:
    answers = await h.app.store.answers_of(1, anna(h).key)
    return {a.question_id: a.text for a in answers}


async def test_a_reply_after_the_offer_is_not_stored_silently(h: Harness) -> None:
    await at_the_offer(h)
    replies = await h.say(anna(h), "1,2")
    assert texts(replies).startswith(WORDS[lang(h)]["saved"])
    assert "[9/9]" in texts(replies)
    assert (await stored(h))["mobilise"] == "1,2"
    replies = await h.say(anna(h), "back")
    assert "[8/9]" in texts(replies)


@pytest.mark.parametrize("word", ["ja", "yes", "1", "Yes please!", "toon het overzicht"])
async def test_a_yes_after_the_offer_takes_it(h: Harness, word: str) -> None:
    await at_the_offer(h)
    replies = await h.say(anna(h), word)
    assert isinstance(replies[0], Card)  # the overview
    assert "[8/9]" in texts(replies[1:])  # and the question again
    assert "mobilise" not in await stored(h)
    after = await h.say(anna(h), "Talk to the buyers.")  # now it answers the question
    assert WORDS[lang(h)]["saved"] not in texts(after)
    assert (await stored(h))["mobilise"] == "Talk to the buyers."


async def test_a_no_after_the_offer_declines_it(h: Harness) -> None:
    await at_the_offer(h)
    replies = await h.say(anna(h), "nee, dank je")
    assert WORDS[lang(h)]["declined"] in texts(replies) and "[8/9]" in texts(replies)
    assert "mobilise" not in await stored(h)


async def test_the_offer_button_then_the_question(h: Harness) -> None:
    replies = await at_the_offer(h)
    offer = replies[0]
    assert isinstance(offer, Choices)
    clicked = await h._run(Clicked("offer", anna(h), offer.action, offer.choices[0].value))
    assert isinstance(clicked[0], Card) and "[8/9]" in texts(clicked[1:])
    after = await h.say(anna(h), "Talk to the buyers.")
    assert WORDS[lang(h)]["saved"] not in texts(after)
    assert (await stored(h))["mobilise"] == "Talk to the buyers."
