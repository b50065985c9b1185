"""The click registry: every kind of button the bot sends is declared with a handler, every
button id reads back as what was encoded, and a click the registry does not know is a stale
button. A new kind of button that is not declared, or that no conversation below sends, fails
here."""

from __future__ import annotations

import typing
import uuid
from collections.abc import AsyncIterator
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.conversation.clicks import ClickRegistry
from bot.conversation.commands import Registry
from bot.conversation.engine import registries
from bot.conversation.home import home_card
from bot.core import clicks
from bot.core.clicks import ClickData
from bot.core.domain import Person, Role
from bot.core.messages import Card, Choices, Clicked, Message
from tests.harness import Harness, make_harness, make_lead, person, texts

STALE = "That button belongs to an earlier question"


def every_kind() -> set[type[ClickData]]:
    """Every kind of button id defined, however deep it derives from ClickData."""
    found: set[type[ClickData]] = set()
    todo = list(ClickData.__subclasses__())
    while todo:
        kind = todo.pop()
        found.add(kind)
        todo += kind.__subclasses__()
    return found


CLICKS = registries()[1]


def test_every_kind_of_button_is_declared_once_with_a_handler() -> None:
    assert every_kind() == CLICKS.kinds
    for click in CLICKS:
        assert callable(click.handler), click


def test_the_ids_are_those_of_buttons_sent_before() -> None:
    """Buttons in messages sent before an upgrade still work: the formats never change."""
    assert clicks.AnswerClick("discipline").encode() == "q:discipline"
    assert clicks.InvitationClick("living-wage").encode() == "own:living-wage"
    assert clicks.ApprovalClick(12, 3).encode() == "approval:12:3"
    assert clicks.ApprovalRequestClick().encode() == "approval-request"
    assert clicks.ForgetClick().encode() == "forget"
    assert clicks.ThemeListClick().encode() == "guide"
    assert clicks.ThemePartClick("living-wage").encode() == "guide:living-wage"
    assert clicks.TopicClick().encode() == "guide-topic"
    assert clicks.HomeClick().encode() == "cmd"
    assert len(every_kind()) == 9, "a new kind: pin its id above"


def values_of(kind: type[ClickData]) -> st.SearchStrategy[ClickData]:
    hints = typing.get_type_hints(kind)
    made = {f.name: st.text() if hints[f.name] is str else st.integers() for f in fields(kind)}
    return st.builds(kind, **made)


ANY_CLICK = st.sampled_from(sorted(every_kind(), key=lambda k: k.__name__)).flatmap(values_of)


@given(ANY_CLICK)
def test_a_button_id_reads_back_as_what_was_encoded(value: ClickData) -> None:
    held = [getattr(value, f.name) for f in fields(value)]
    parts = [str(v) for v in held]
    action = ":".join([value.prefix, *parts])
    readable = (
        all(v >= 0 for v in held if isinstance(v, int))
        and not any(":" in part for part in parts[:-1])
        and len(action.encode("utf-8")) <= clicks.MAX_ACTION
    )
    if not readable:
        with pytest.raises(ValueError):
            value.encode()
        return
    assert value.encode() == action
    assert type(value).parse(action) == value
    found = CLICKS.find(action)
    assert found is not None and found[1] == value  # and no other kind claims it


HEADS = st.sampled_from(sorted({k.head() for k in every_kind()}))


@given(st.text() | st.tuples(HEADS, st.text()).map("".join))
def test_any_action_is_a_declared_kind_or_nothing(action: str) -> None:
    found = CLICKS.find(action)  # never raises: a click's id may be forged
    if found is not None:
        assert found[1].encode() == action


def test_a_kind_or_a_command_declared_twice_is_refused() -> None:
    click = next(iter(CLICKS))
    with pytest.raises(ValueError, match="declared twice"):
        ClickRegistry([click, click])
    command = next(iter(registries()[0]))
    with pytest.raises(ValueError, match="declared twice"):
        Registry([command, command])


# ---------------------------------------------------------------- through the real engine


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make_harness(tmp_path, anonymity_min=1)
    yield harness
    await harness.app.close()


def last_with_buttons(messages: list[Message]) -> Choices | Card:
    return next(m for m in reversed(messages) if isinstance(m, Choices | Card) and m.action)


async def press(h: Harness, who: Person, message: Choices | Card, index: int) -> list[Message]:
    """Clicks option `index` of `message` as `who`; the button is not stale."""
    options = message.choices if isinstance(message, Choices) else message.actions
    event = Clicked(uuid.uuid4().hex, who, message.action, options[index].value)
    replies = await h._run(event)
    assert STALE not in texts(replies), message.action
    return replies


async def test_every_button_a_conversation_sends_is_declared(h: Harness) -> None:
    """A whole conversation that sends (and clicks) every kind of button; each id any message
    carries is of a declared kind, and every kind was sent."""
    lead = await make_lead(h)
    manager = person("manny")
    await h.app.store.upsert_person(manager)
    await h.app.store.set_role(manager.key, Role.MANAGER, True)
    anna, bram = person("anna"), person("bram")
    await h.say(lead, "start anna bram")
    await press(h, anna, last_with_buttons(h.inbox(anna)), 0)  # the poll's first question
    for word in ("skip", "skip", "skip", "1", "skip", "1", "skip", "1"):
        await h.say(anna, word)
    offer = (await h.say(anna, "Because of cotton."))[0]  # legislation's offer
    assert isinstance(offer, Choices)
    await press(h, anna, offer, 0)
    themes = last_with_buttons(await h.say(anna, "guidance"))
    snippet = last_with_buttons(await press(h, anna, themes, 0))
    await press(h, anna, snippet, 0)
    await h.say(lead, "owner living-wage bram")
    await press(h, bram, last_with_buttons(h.inbox(bram)), 0)  # accepts
    await press(h, bram, last_with_buttons(await h.say(bram, "forget-me")), 1)  # keeps
    request = last_with_buttons(await h.say(lead, "draft"))
    await press(h, lead, request, 0)
    await press(h, manager, last_with_buttons(h.inbox(manager)), 0)  # approves
    home = await home_card(h.app.bot.sessions, lead)
    await press(h, lead, home, 1)  # status

    sent: list[Message] = [*h.replies, *(m for inbox in h.transport.inbox.values() for m in inbox)]
    seen = set()
    for message in [*sent, home]:
        if isinstance(message, Choices | Card) and message.action:
            found = h.app.bot.clicks.find(message.action)
            assert found is not None, f"no declared kind of click for {message.action!r}"
            seen.add(type(found[1]))
    assert seen == every_kind(), "a kind of button this conversation never sends"


async def test_an_unknown_or_malformed_click_is_a_stale_button(h: Harness) -> None:
    lead = await make_lead(h)
    for action in ("nonsense", "approval:x:1", "approval:1", "forget:1", "q", "cmd:status"):
        replies = await h._run(Clicked(uuid.uuid4().hex, lead, action, "approve"))
        assert STALE in texts(replies), action


async def test_a_click_needs_the_roles_of_what_it_stands_for(h: Harness) -> None:
    lead = await make_lead(h)
    await h.say(lead, "start anna")
    request = last_with_buttons(await h.say(lead, "draft"))
    anna = person("anna")
    event = Clicked(uuid.uuid4().hex, anna, request.action, "request")
    refused = texts(await h._run(event))
    assert 'Only a CSR lead can use "approve request"' in refused
    assert "roles grant console:anna csr_lead" in refused
