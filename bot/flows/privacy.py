"""People's own data: export (`mydata`, `imvo-bot user export`) and erasure (`forget-me`,
`imvo-bot user erase`), as a works council and the GDPR expect.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.content.loader import Messages
from bot.core.clicks import ForgetClick
from bot.core.domain import ConversationState, Erasure, PersonData
from bot.core.messages import Choice, Choices
from bot.flows.replies import YesNo

# A confirmation button older than this no longer erases anything: a stale click is harmless.
CONFIRM_WINDOW = timedelta(minutes=15)
# How long after it expired a typed yes or no is still told that the question expired (rather
# than taken as an answer to whatever else is pending).
EXPIRED_NOTICE = timedelta(days=1)


def export_json(data: PersonData, at: datetime) -> str:
    """Everything the bot holds about one person, as readable JSON."""
    person = data.person
    document: dict[str, Any] = {
        "user": str(data.key),
        "tenant": data.key.tenant,
        "exported_at": at.isoformat(),
        "profile": None
        if person is None
        else {
            "display_name": person.display_name,
            "language": person.language,
            "time_zone": person.time_zone,
            "discipline": person.discipline,
        },
        "roles": [role.value for role in data.roles],
        "campaigns": [
            {
                "campaign": p.campaign_id,
                "invited_at": p.invited_at.isoformat(),
                "delivered": p.delivered,
                "delivery_error": p.delivery_error,
                "finished_at": p.finished_at.isoformat() if p.finished_at else None,
            }
            for p in data.participations
        ],
        "answers": [
            {
                "campaign": a.campaign_id,
                "question": a.question_id,
                "choices": list(a.choices),
                "text": a.text,
                "skipped": a.skipped,
                "answered_at": a.answered_at.isoformat() if a.answered_at else None,
            }
            for a in data.answers
        ],
        "conversation": None
        if data.state is None
        else {
            "campaign": data.state.campaign_id,
            "step": data.state.step,
            "phase": data.state.phase.value,
            "follow_ups_shown": sorted(data.state.offered),
        },
        "owner_answers": [
            {
                "theme": a.theme,
                "question": a.question_id,
                "text": a.text,
                "skipped": a.skipped,
                "answered_at": a.answered_at.isoformat() if a.answered_at else None,
            }
            for a in data.owner_answers
        ],
        "theme_ownerships": [
            {"theme": o.theme, "state": o.state.value, "since": o.since.isoformat()}
            for o in data.ownerships
        ],
        # every other row that names the person, by table (see storage/person_tables.py)
        "other_records": {table: [dict(row) for row in rows] for table, rows in data.records},
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def summary(data: PersonData, msgs: Messages) -> str:
    return msgs(
        "privacy.summary",
        answers=len(data.answers) + len(data.owner_answers),
        campaigns=len(data.participations),
        roles=len(data.roles),
        themes=len(data.ownerships),
    )


def retention(msgs: Messages, days: int) -> str:
    """How long each kind of a person's data is kept (`IMVO_RETENTION_DAYS` for the working
    records the scheduler prunes; answers and the profile until erased), and how to erase it."""
    return msgs("privacy.retention", days=days)


def confirmation(data: PersonData, msgs: Messages, now: datetime) -> Choices:
    """The question before erasing, with a yes that expires after CONFIRM_WINDOW."""
    return Choices(
        text=msgs("privacy.confirm", what=summary(data, msgs)),
        choices=(
            Choice(f"yes:{now.isoformat()}", msgs("privacy.yes")),
            Choice("no", msgs("privacy.no")),
        ),
        action=ForgetClick().encode(),
        hint=msgs("privacy.confirm_hint_typed"),
        click_hint=msgs("privacy.confirm_hint"),
    )


def confirm_replies(plain: YesNo, messages: Sequence[Messages]) -> YesNo:
    """A typed answer to the confirmation, in any language: yes, "wis", "erase", the yes
    button's text or number (1); no, "bewaren", "keep", the no button's text or number (2)."""
    return plain.also(
        messages,
        acts="privacy.erase_words",
        keeps="privacy.keep_words",
        yes=["1", *(m("privacy.yes") for m in messages)],
        no=["2", *(m("privacy.no") for m in messages)],
    )


def marked(state: ConversationState, now: datetime) -> ConversationState:
    """`state` noting that the confirmation was asked at `now` and waits for a typed answer
    (kept with the state, so a typed yes expires as a click does, even after a restart)."""
    return replace(state, forget_asked=now)


def unmarked(state: ConversationState | None) -> ConversationState | None:
    """`state` without the confirmation waiting: any state stored again says nothing waits."""
    return None if state is None else replace(state, forget_asked=None)


def asked_at(state: ConversationState | None) -> datetime | None:
    """When the confirmation that waits for a typed answer was asked, if one does."""
    return None if state is None else state.forget_asked


def still_open(asked: datetime, now: datetime) -> bool | None:
    """True: the confirmation asked at `asked` takes an answer; False: it expired a short while
    ago (a yes is told so); None: long ago, forgotten."""
    if timedelta(0) <= now - asked <= CONFIRM_WINDOW:
        return True
    return False if now - asked <= CONFIRM_WINDOW + EXPIRED_NOTICE else None


def confirmed(value: str, now: datetime) -> bool | None:
    """True: erase; False: the person said no; None: the confirmation expired or is malformed."""
    if value == "no":
        return False
    kind, _, stamp = value.partition(":")
    if kind != "yes":
        return None
    try:
        asked = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return True if timedelta(0) <= now - asked <= CONFIRM_WINDOW else None


def erased_text(erasure: Erasure, msgs: Messages) -> str:
    return msgs(
        "privacy.erased",
        answers=erasure.answers,
        roles=erasure.roles,
        themes=erasure.ownerships,
        campaigns=erasure.participations,
    )
