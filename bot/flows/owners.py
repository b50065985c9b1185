"""Theme owners: the list, claims, invitations, and the owner questionnaire.

Pure functions: the handlers load what these need and commit what they return. Where a person
stands in their owner questionnaire is derived from the answers stored, so there is no extra
state to lose: the next question is the first one of an accepted theme without an answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.content.loader import Messages
from bot.content.themes import ThemeText
from bot.core.clicks import InvitationClick
from bot.core.domain import OwnerAnswer, OwnerState, Person, PersonKey, Question, ThemeOwner
from bot.core.messages import Card, CardSection, Choice, Choices, Text

# A claim nobody contests becomes an accepted ownership after this long.
CLAIM_STANDS_AFTER = timedelta(days=3)
MAX_CANDIDATES = 5


def state_text(owner: ThemeOwner | None, msgs: Messages) -> str:
    if owner is None:
        return msgs("owners.open")
    name = owner.display_name or owner.person.user_id
    if owner.state is OwnerState.ACCEPTED:
        return msgs("owners.accepted", name=name)
    return msgs("owners.invited" if owner.invited_by else "owners.proposed", name=name)


def candidates(
    theme: ThemeText, people: Sequence[Person], owners: Mapping[str, ThemeOwner]
) -> list[str]:
    """Colleagues whose discipline suits an open theme (names only, never their answers)."""
    taken = {o.person for o in owners.values()}
    names = [
        p.display_name or p.key.user_id
        for p in people
        if p.discipline in theme.disciplines and p.key not in taken and not p.is_bot
    ]
    return names[:MAX_CANDIDATES]


def owners_card(
    themes: Sequence[ThemeText],
    owners: Mapping[str, ThemeOwner],
    msgs: Messages,
    suggestions: Mapping[str, Sequence[str]],
) -> Card:
    """The nine themes with owner and state; open themes with suggested candidates."""
    sections = []
    for theme in themes:
        body = state_text(owners.get(theme.key), msgs)
        if theme.key not in owners and suggestions.get(theme.key):
            body += " · " + msgs("owners.candidates", names=", ".join(suggestions[theme.key]))
        # The word to type after `claim`, in the reader's language, unless it is the name itself.
        typed = "" if theme.word == theme.name.lower() else f" ({theme.word})"
        sections.append(CardSection(title=f"{theme.name}{typed}", body=body))
    sections.append(CardSection(body=msgs("owners.hint")))
    title = msgs("owners.title")
    fallback = "\n".join(
        [title, *(f"- {s.title}: {s.body}" for s in sections[:-1]), sections[-1].body]
    )
    return Card(title=title, sections=tuple(sections), fallback=fallback)


def invitation(theme: ThemeText, lead: str, msgs: Messages) -> Choices:
    """The question to a colleague whether they will own a theme, with its guidance snippet."""
    return Choices(
        text=msgs("owners.invite", lead=lead, theme=theme.name, summary=theme.summary),
        choices=(
            Choice("accept", msgs("owners.accept")),
            Choice("decline", msgs("owners.decline")),
        ),
        action=InvitationClick(theme.key).encode(),
        hint=msgs("owners.invite_hint_typed"),
        click_hint=msgs("owners.invite_hint"),
    )


@dataclass(frozen=True)
class OwnerQuestion:
    """The owner question a person is to answer next."""

    theme: ThemeText
    index: int
    question: Question
    total: int


def next_question(
    person: PersonKey,
    themes: Sequence[ThemeText],
    owners: Mapping[str, ThemeOwner],
    answers: Sequence[OwnerAnswer],
    questions: Sequence[Question],
) -> OwnerQuestion | None:
    """The first unanswered question of the first accepted theme this person owns, if any."""
    done = {(a.theme, a.question_id) for a in answers if a.person == person}
    for theme in themes:
        owner = owners.get(theme.key)
        if owner is None or owner.person != person or owner.state is not OwnerState.ACCEPTED:
            continue
        for index, question in enumerate(questions):
            if (theme.key, question.id) not in done:
                return OwnerQuestion(theme, index, question, len(questions))
    return None


def ask(pending: OwnerQuestion, msgs: Messages) -> Text:
    """The owner question, with an introduction before the first one."""
    progress = msgs(
        "owners.progress", theme=pending.theme.name, n=pending.index + 1, total=pending.total
    )
    prompt = pending.question.prompt.replace("{theme}", pending.theme.name)
    text = f"{progress} {prompt}\n{msgs('owners.answer_hint')}"
    if pending.index == 0:
        intro = msgs("owners.intro", theme=pending.theme.name, count=pending.total)
        text = f"{intro}\n\n{text}"
    return Text(text)


def answer(
    pending: OwnerQuestion, person: PersonKey, text: str | None, now: datetime
) -> OwnerAnswer:
    return OwnerAnswer(
        theme=pending.theme.key,
        person=person,
        question_id=pending.question.id,
        text=text,
        skipped=text is None,
        answered_at=now,
    )


def owner_by_theme(owners: Sequence[ThemeOwner]) -> dict[str, ThemeOwner]:
    """Per theme, the accepted owner if there is one, else the latest proposal."""
    best: dict[str, ThemeOwner] = {}
    for owner in owners:
        current = best.get(owner.theme)
        rank = (owner.state is OwnerState.ACCEPTED, owner.since)
        if current is None or rank > (current.state is OwnerState.ACCEPTED, current.since):
            best[owner.theme] = owner
    return best
