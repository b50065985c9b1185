"""One synthetic campaign's participants and answers, for the tests that build a draft or a
digest from them without a store. Every identifier holds SECRET, so a test can check that none
reaches what people read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.content.loader import parse_questions, read_toml
from bot.core.domain import Answer, Campaign, CampaignState, Participation, PersonKey, Question

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TENANT = "T-ACME-SECRET"
CAMPAIGN_ID = 7


def questions(lang: str) -> tuple[Question, ...]:
    """The shipped questions in `lang`."""
    return parse_questions(lang, read_toml(lang, "questions"))


def campaign(lang: str, deadline: date | None = None, closed: datetime | None = None) -> Campaign:
    """The campaign, started at T0 in `lang`; running unless `closed` says when it closed."""
    return Campaign(
        id=CAMPAIGN_ID,
        platform="slack",
        tenant=TENANT,
        started_by=PersonKey("slack", TENANT, "ULEADSECRET"),
        started_at=T0,
        language=lang,
        deadline=deadline,
        state=CampaignState.CLOSED if closed else CampaignState.RUNNING,
        closed_at=closed,
    )


def person(n: int) -> PersonKey:
    return PersonKey("slack", TENANT, f"U{n}SECRET")


class Poll:
    """Participants and answers of the campaign, added one by one."""

    def __init__(self) -> None:
        self.participants: list[Participation] = []
        self.answers: list[Answer] = []

    def invite(self, n: int, finished: bool = True) -> PersonKey:
        """Person `n`, invited at T0 and (when `finished`) done an hour later."""
        key = person(n)
        done = T0 + timedelta(hours=1) if finished else None
        self.participants.append(
            Participation(CAMPAIGN_ID, key, T0, delivered=True, finished_at=done)
        )
        return key

    def answer(self, key: PersonKey, qid: str, *choices: str, text: str | None = None) -> None:
        self.answers.append(
            Answer(CAMPAIGN_ID, key, qid, choices=choices, text=text, answered_at=T0)
        )

    def respondent(self, n: int, discipline: str, **texts: str) -> PersonKey:
        """Person `n`, finished, with a discipline, two drivers and one resistance, and a text
        answer for each question named in `texts` (`drivers=` is the drivers' text)."""
        key = self.invite(n)
        self.answer(key, "discipline", discipline)
        self.answer(key, "drivers", "customers", "values", text=texts.pop("drivers", None))
        self.answer(key, "resistance", "purchasing")
        for qid, text in texts.items():
            self.answer(key, qid, text=text)
        return key
