"""Approval by top management, as whole conversations through the real engine: a lead asks, a
manager approves or asks for changes, the lead hears it, and the next draft's sign-off table,
open items and `status` say where it stands."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import docx
import pytest

from bot.core.domain import Person, Role
from bot.core.messages import Choices, Clicked, FileShare
from tests.harness import Harness, make_harness, make_lead, person, shared, texts


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make_harness(tmp_path, anonymity_min=1)
    yield harness
    await harness.app.close()


async def click(h: Harness, who: object, context: str, value: str) -> list:  # type: ignore[type-arg]
    return await h._run(Clicked(uuid.uuid4().hex, who, context, value))  # type: ignore[arg-type]


async def lead_and_manager(h: Harness, language: str = "en") -> tuple[Person, Person]:
    """A CSR lead, and Manny, a manager (speaking `language`)."""
    manager = person("manny", language)
    await h.app.store.upsert_person(manager)
    await h.app.store.set_role(manager.key, Role.MANAGER, True)
    return await make_lead(h), manager


def word_file(share: FileShare) -> docx.document.Document:
    data = next(f.data for f in share.files if f.name.endswith(".docx"))
    return docx.Document(io.BytesIO(data))


def signoff_rows(share: FileShare) -> list[list[str]]:
    document = word_file(share)
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Name")
    return [[c.text for c in row.cells] for row in table.rows[1:]]


async def test_a_manager_approves_and_the_next_draft_is_signed_off(h: Harness) -> None:
    lead, manager = await lead_and_manager(h)
    await h.say(lead, "start anna bram")
    await h.click(person("anna"), "discipline", "sales")

    said = texts(await h.say(lead, "approve request"))
    assert "no compiled draft" in said  # nothing to approve before a draft
    first = shared(await h.say(lead, "draft"))
    assert isinstance(first, FileShare)
    said = texts(await h.say(lead, "approve request"))
    assert "Version 1 of the draft went to Manny for approval" in said
    inbox = h.inbox(manager)
    share = next(m for m in inbox if isinstance(m, FileShare))
    assert next(f.name for f in share.files).endswith(".docx")
    buttons = next(m for m in inbox if isinstance(m, Choices))
    assert [c.value for c in buttons.choices] == ["approve", "changes"]

    # Only managers and approvers decide; an employee's click changes nothing.
    refused = await click(h, person("anna"), buttons.action, "approve")
    assert "Only a manager" in texts(refused)
    done = await click(h, manager, buttons.action, "approve")
    assert "you approved version 1" in texts(done)
    assert "Manny approved version 1 of the draft." in texts(h.inbox(lead))
    status = texts(await h.say(lead, "status"))
    assert "Version 1 approved by Manny." in status
    digest = texts(await h.say(manager, "digest"))
    assert "Version 1 of the draft was approved by Manny." in digest

    second = shared(await h.say(lead, "draft"))
    assert isinstance(second, FileShare)
    assert "Top management has not approved" not in second.text
    rows = signoff_rows(second)
    assert rows[0][0] == "Manny" and "version 1" in rows[0][1] and rows[0][2]

    # A new answer changes the draft: the approval no longer holds.
    await h.click(person("bram"), "discipline", "design")
    third = shared(await h.say(lead, "draft"))
    assert isinstance(third, FileShare)
    assert "the draft has changed since: ask for approval again" in third.text
    assert signoff_rows(third)[0][0] == ""


async def test_a_manager_asks_for_changes_with_a_comment(h: Harness) -> None:
    lead, manager = await lead_and_manager(h, "nl")
    await h.say(lead, "start anna")
    await h.click(person("anna"), "discipline", "sales")
    await h.say(lead, "draft")
    await h.say(lead, "approve request manny")
    buttons = next(m for m in h.inbox(manager) if isinstance(m, Choices))
    assert [c.label for c in buttons.choices] == ["Goedkeuren", "Wijzigingen vragen"]
    asked = texts(await click(h, manager, buttons.action, "changes"))
    assert "goedkeuren wijzigingen" in asked
    assert "Manny asks for changes to version 1; a comment may follow." in texts(h.inbox(lead))
    thanks = texts(await h.say(manager, "goedkeuren wijzigingen Meer over leefbaar loon"))
    assert "je opmerking over versie 1" in thanks
    assert "Manny asks for changes to version 1: Meer over leefbaar loon" in texts(h.inbox(lead))
    assert "Changes asked for in version 1 by Manny." in texts(await h.say(lead, "status"))
    share = shared(await h.say(lead, "draft"))
    assert isinstance(share, FileShare)
    assert "Meer over leefbaar loon" in share.text  # an open item until it is approved


async def test_only_managers_and_approvers_are_asked_and_decide(h: Harness) -> None:
    lead = await make_lead(h)
    await h.say(lead, "start anna")
    await h.say(lead, "draft")
    said = texts(await h.say(lead, "approve request anna"))
    assert "Nobody is asked" in said and "not a manager: console:anna" in said
    assert "Only a CSR lead or a manager" in texts(await h.say(person("anna"), "approve"))
    approver = person("vera")
    await h.app.store.upsert_person(approver)
    await h.app.store.set_role(approver.key, Role.MANAGER, True)
    assert "went to Vera" in texts(await h.say(lead, "approve request vera"))
    assert "you approved version 1" in texts(await h.say(approver, "approve"))
    # Approving twice is the same approval; an unasked manager has nothing waiting.
    assert "you approved version 1" in texts(await h.say(approver, "approve"))
    other = person("otto")
    await h.app.store.set_role(other.key, Role.MANAGER, True)
    assert "No version of the draft waits" in texts(await h.say(other, "approve"))


async def test_the_draft_reply_offers_a_button_that_asks_every_manager(h: Harness) -> None:
    lead, manager = await lead_and_manager(h)
    await h.say(lead, "start anna")
    replies = await h.say(lead, "draft")
    offer = replies[-1]
    assert isinstance(offer, Choices) and offer.choices[0].label == "Ask for approval"
    asked = texts(await click(h, lead, offer.action, offer.choices[0].value))
    assert "Version 1 of the draft went to Manny for approval" in asked
    assert any(isinstance(m, FileShare) for m in h.inbox(manager))
    # The same button in an employee's hands does nothing.
    assert "Version" not in texts(await click(h, person("anna"), offer.action, "request"))
