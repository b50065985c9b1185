"""The guidance library in the chat: theme snippets, sourced briefings and follow-ups.

Everything shown here comes from `content/` (themes, instruments, briefings, messages), the
same files the policy draft is built from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.content.briefings import Briefing, Briefings
from bot.content.loader import Messages
from bot.content.themes import THEME_ALIASES, ThemeText
from bot.core.clicks import ThemeListClick, ThemePartClick, TopicClick
from bot.core.domain import Answer, OwnerState, ThemeOwner
from bot.core.messages import Card, CardSection, Choice, Choices, Message

PARTS = ("examples", "references")
TOPICS = ("drivers", "trends", "legislation", "resistance")


def owner_text(theme: ThemeText, owners: Mapping[str, ThemeOwner], msgs: Messages) -> str:
    owner = owners.get(theme.key)
    if owner is None:
        return msgs("guidance.no_owner")
    name = owner.display_name or msgs("guidance.unnamed")
    key = "guidance.owner" if owner.state is OwnerState.ACCEPTED else "guidance.proposed"
    return msgs(key, name=name)


def theme_list(
    themes: Sequence[ThemeText], owners: Mapping[str, ThemeOwner], msgs: Messages
) -> Choices:
    """The nine themes with their owners; choosing one opens its snippet."""
    return Choices(
        text=msgs("guidance.list_title") + "\n" + msgs("guidance.list_intro"),
        choices=tuple(Choice(t.key, f"{t.name} ({owner_text(t, owners, msgs)})") for t in themes),
        action=ThemeListClick().encode(),
        hint=msgs("guidance.list_hint_typed"),
        click_hint=msgs("guidance.list_hint"),
    )


def theme_snippet(theme: ThemeText, owner: str, msgs: Messages) -> Choices:
    """What a theme is and what the policy says, with Examples and References to open."""
    text = "\n\n".join(
        [
            f"{theme.name} ({owner})",
            f"{msgs('guidance.what')}: {theme.summary}",
            f"{msgs('guidance.principle')}: {theme.principle}",
        ]
    )
    return Choices(
        text=text,
        choices=tuple(Choice(part, msgs(f"guidance.{part}")) for part in PARTS),
        action=ThemePartClick(theme.key).encode(),
        hint=msgs("guidance.snippet_hint_typed", key=theme.word),
        click_hint=msgs("guidance.snippet_hint", key=theme.word),
    )


def theme_part(theme: ThemeText, part: str, msgs: Messages) -> Card:
    """A theme's examples (with a typical risk) or its references. The examples are the
    commitments the policy draft adopts, introduced as what companies in the sector often commit
    to, so the chat reads as guidance while the draft keeps the policy's own voice."""
    sections: tuple[CardSection, ...]
    if part == "examples":
        commitments = "\n".join(f"- {e}" for e in theme.examples)
        sections = (
            CardSection(body=f"{msgs('guidance.examples_intro')}\n{commitments}"),
            CardSection(title=msgs("guidance.risk"), body=theme.risk),
        )
    else:
        sections = (CardSection(body="\n".join(f"- {line}" for line in theme.instruments)),)
    return _card(f"{theme.name}: {msgs(f'guidance.{part}')}", sections)


def topic_card(topic: str, briefings: Briefings, msgs: Messages) -> Card:
    """An overview of drivers, trends, legislation or answers to resistance."""
    if topic == "resistance":
        return resistance_card(briefings, tuple(briefings.resistance), msgs, overview=True)
    if topic == "legislation":
        return legislation_card(briefings, msgs)
    items: Mapping[str, Briefing] = getattr(briefings, topic)
    sections = tuple(_briefing_section(b, msgs) for b in items.values())
    return _card(msgs(f"guidance.{topic}_title", as_of=briefings.as_of_text), sections)


def legislation_card(briefings: Briefings, msgs: Messages) -> Card:
    """The short, dated overview of the rules that matter."""
    sections = (
        CardSection(body=briefings.legislation_intro),
        *(_briefing_section(b, msgs) for b in briefings.legislation.values()),
        CardSection(body=briefings.legislation_disclaimer),
    )
    return _card(msgs("guidance.legislation_title", as_of=briefings.as_of_text), sections)


def resistance_card(
    briefings: Briefings, keys: Sequence[str], msgs: Messages, overview: bool = False
) -> Card:
    """For each kind of resistance: the typical argument and what helps against it."""
    sections = tuple(
        CardSection(
            title=f"“{c.argument}”",
            body=f"{c.answer}\n{msgs('guidance.source', source=c.source)}",
        )
        for key in keys
        if (c := briefings.resistance.get(key)) is not None
    )
    title = msgs("guidance.resistance_title") if overview else briefings.resistance_heading
    return _card(title, sections)


def poll_followup(
    briefings: Briefings, msgs: Messages, question_id: str, answer: Answer
) -> Message | None:
    """The one-time follow-up after the resistance or legislation question, if any."""
    if question_id == "resistance" and answer.choices:
        card = resistance_card(briefings, answer.choices, msgs)
        return card if card.sections else None
    if question_id == "legislation" and answer.has_content:
        return Choices(
            text=briefings.legislation_offer,
            choices=(Choice("legislation", msgs("guidance.show_overview")),),
            action=TopicClick().encode(),
            hint=msgs("guidance.offer_hint_typed"),
            click_hint=msgs("guidance.offer_hint"),
        )
    return None


def poll_offered(briefings: Briefings, msgs: Messages, question_id: str) -> Message | None:
    """What the follow-up after `question_id` offers, for a person who said yes to it."""
    return legislation_card(briefings, msgs) if question_id == "legislation" else None


def unknown_theme(word: str, themes: Sequence[ThemeText], msgs: Messages) -> str:
    """The themes one can ask for: Dutch readers see the Dutch words; English readers the keys,
    each with its Dutch word (both work)."""
    aliases = {v: k for k, v in THEME_ALIASES.items()}
    valid = ", ".join(t.word if t.word != t.key else f"{t.key} ({aliases[t.key]})" for t in themes)
    return msgs("guidance.unknown_theme", word=word, themes=valid)


def _briefing_section(item: Briefing, msgs: Messages) -> CardSection:
    return CardSection(
        title=item.title,
        body=f"{item.text}\n{msgs('guidance.source', source=item.source)}",
    )


def _card(title: str, sections: tuple[CardSection, ...]) -> Card:
    fallback = "\n\n".join([title, *(s.plain() for s in sections)])
    return Card(title=title, sections=sections, fallback=fallback)
