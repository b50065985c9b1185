"""People's own data: export (`mydata`, `imvo-bot user export`) and erasure (`forget-me`,
`imvo-bot user erase`), as a works council and the GDPR expect.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.content.loader import Messages
from bot.core.domain import Erasure, PersonData
from bot.core.messages import Choice, Choices

CONFIRM_CONTEXT = "forget"
# A confirmation button older than this no longer erases anything: a stale click is harmless.
CONFIRM_WINDOW = timedelta(minutes=15)


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


def confirmation(data: PersonData, msgs: Messages, now: datetime) -> Choices:
    """The question before erasing, with a yes that expires after CONFIRM_WINDOW."""
    return Choices(
        text=msgs("privacy.confirm", what=summary(data, msgs)),
        choices=(
            Choice(f"yes:{now.isoformat()}", msgs("privacy.yes")),
            Choice("no", msgs("privacy.no")),
        ),
        context=CONFIRM_CONTEXT,
        hint=msgs("privacy.confirm_hint"),
    )


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
