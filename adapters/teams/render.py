"""Neutral outbound messages → Bot Framework activities for Microsoft Teams (pure, no I/O).

Text and shared files go out as plain-text activities (`textFormat: "plain"`), which Teams shows
literally. Choices and cards go out as Adaptive Cards, whose TextBlocks and FactSets interpret a
Markdown subset, so every piece of people's text in them goes through `escape_markdown`. Button and
option titles are plain text in Teams and are not escaped.

Nothing is cut: long text is split at paragraph, line or word boundaries over several TextBlocks
and, past the size budget, over several activities; buttons and selects stay on the last one.
Every activity, serialised with `json.dumps`, stays within 28,000 bytes: under the Teams
channel-post limit and well under the 100 KB bot-message limit, so one design works in chats and
channels alike. A plain-text activity also holds at most 20,000 characters. The only things
shortened are button and option titles, and only when the full label is also shown above them.

A card activity has no `text`: Teams shows an activity's `text` as a message of its own next to
the card (MicrosoftDocs/msteams-docs#1998, #2594), so the content would appear twice. Its
plain-text preview goes in `summary` instead, which Teams shows in notifications.

A card's pictures go out after it, each as an inline image (a base64 data URI, so nothing needs
hosting) with its alt text as the message's text, each activity within the same 28,000 bytes.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from adapters import chunks
from bot.core.messages import Card, CardSection, Choice, Choices, FileShare, Message, Text

Activity = dict[str, Any]
Element = dict[str, Any]

MAX_ACTIVITY_BYTES = 28_000  # json.dumps of one activity, UTF-8
MAX_TEXT = 20_000  # characters in one plain-text activity
MAX_BLOCK_BYTES = 8_000  # text of one TextBlock or FactSet, JSON-encoded: several fit one card
MAX_TITLE = 200  # button and option titles
MAX_DATA = 2_000  # an action or value in Action.Submit data; parse_submit takes no more
MAX_BUTTONS = 6  # more choices than this become an Input.ChoiceSet
MAX_EXPANDED = 10  # a ChoiceSet of more options than this is a drop-down
MAX_SUMMARY = 300  # the notification preview
SUBMIT_LABEL = "OK"  # the button under a ChoiceSet; render() takes a translated one
ELLIPSIS = "…"

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
PICTURE_TYPE = "image/png"  # a Picture is a PNG
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"
ACTION_KEY = "imvo"  # Action.Submit data: {"imvo": action, "value": …, "index": …}
VALUE_KEY = "value"  # also the ChoiceSet's id, so Teams merges the pick under this key

_ANYWHERE = re.compile(r"[\\*_\[\]()!`#<>]")
_LINE_START = re.compile(r"(?<![^\r\n])([ \t]*)([-+]|[0-9]+\.)")
_MAYBE_ESCAPED = re.compile(r"[\\*_\[\]()!`#<>+.\-]")


def escape_markdown(text: str) -> str:
    """People's text made inert for an Adaptive Card TextBlock or FactSet.

    Backslash-escapes what could make a link, an image, emphasis, code, a heading, a quote or
    HTML-ish markup (`\\ * _ [ ] ( ) ! ` # > <`, anywhere) and what could start a list (`-`, `+`
    and the `.` of `1.`, at the start of a line). Teams renders each escape as the plain character
    (Adaptive Card Markdown follows CommonMark here; older mobile clients showed the backslash,
    fixed in microsoft/Teams-AdaptiveCards-Mobile#58). A bare URL may still be linked by the client.
    """
    escaped = _ANYWHERE.sub(r"\\\g<0>", text)
    return _LINE_START.sub(_escape_list_marker, escaped)


def _escape_list_marker(match: re.Match[str]) -> str:
    indent, marker = match.groups()
    if marker in ("-", "+"):
        return f"{indent}\\{marker}"
    return f"{indent}{marker[:-1]}\\."


def render(message: Message, *, submit_label: str = SUBMIT_LABEL) -> list[Activity]:
    """A neutral message as one or more Teams message activities; controls are in the last one.

    A message with nothing visible renders as no activity. Raises ValueError when the content
    breaks a limit that splitting cannot help: an empty choice label or value, a value or
    action over 2,000 characters, or more controls than fit in one card.
    """
    if isinstance(message, Text | FileShare):
        # The files of a FileShare go through a file consent card elsewhere.
        return [_plain_activity(chunk) for chunk in _plain_chunks(message.plain())]
    if not submit_label.strip():
        raise ValueError("the submit button needs a label")
    if isinstance(message, Choices):
        content, controls = _choices(message, submit_label)
    elif isinstance(message, Card):
        content, controls = _card(message, submit_label)
    else:  # pragma: no cover - the Message union is closed
        raise TypeError(f"not a neutral message: {type(message).__name__}")
    return _activities(message.plain(), content, controls)


def pictures(message: Message) -> list[Activity]:
    """A card's pictures as activities to send after the card, one per picture: an inline image
    whose message text is the picture's alt text (shown with it, read by screen readers).

    A picture whose activity would pass the size budget (about 20 KB of PNG, base64 being a
    third larger) goes as its alt text alone, so the figures still arrive. Other messages have
    no pictures.
    """
    if not isinstance(message, Card):
        return []
    activities: list[Activity] = []
    for picture in message.pictures:
        alt = picture.alt.strip() or picture.name
        encoded = base64.b64encode(picture.data).decode("ascii")
        image = {
            **_plain_activity(alt),
            "attachments": [
                {
                    "contentType": PICTURE_TYPE,
                    "contentUrl": f"data:{PICTURE_TYPE};base64,{encoded}",
                    "name": picture.name,
                }
            ],
        }
        if _json_size(image) <= MAX_ACTIVITY_BYTES:
            activities.append(image)
        else:
            activities += [_plain_activity(chunk) for chunk in _plain_chunks(alt)]
    return activities


def parse_submit(value: object) -> tuple[str, str] | None:
    """(context, value) from an incoming activity's `value` (Action.Submit data); else None.

    The data comes from the client and anyone can forge it: this never raises, and the caller
    still checks that the value is an answer the question allows.
    """
    if not isinstance(value, dict):
        return None
    action, choice = dict.get(value, ACTION_KEY), dict.get(value, VALUE_KEY)
    if type(action) is not str or type(choice) is not str:
        return None
    if len(action) > MAX_DATA or not choice or len(choice) > MAX_DATA:
        return None
    return action, choice


# ---------------------------------------------------------------- splitting


def _json_size(value: object) -> int:
    return len(json.dumps(value).encode("utf-8"))


def _text_size(text: str) -> int:
    """Bytes of `text` inside a JSON document (without the quotes); additive over concatenation."""
    return len(json.dumps(text)) - 2


def _escaped_size(text: str) -> int:
    """An upper bound of `_text_size(escape_markdown(text))`, additive over concatenation."""
    return _text_size(text) + 2 * len(_MAYBE_ESCAPED.findall(text))


def _split_text(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """Chunks of at most `limit` by `size`, at paragraph, line or word boundaries (never cut)."""
    return chunks.split_text(text, limit, size)


def _plain_chunks(text: str) -> list[str]:
    budget = MAX_ACTIVITY_BYTES - _json_size(_plain_activity(""))
    return [
        chunk
        for piece in _split_text(text, MAX_TEXT)
        for chunk in _split_text(piece, budget, _text_size)
    ]


def _plain_activity(text: str) -> Activity:
    return {"type": "message", "textFormat": "plain", "text": text}


def _shorten(text: str, limit: int = MAX_TITLE) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def _preview(text: str) -> str:
    """One line for a notification; the card holds the full text."""
    line = " ".join(text.split())
    if len(line) <= MAX_SUMMARY:
        return line
    cut = line.rfind(" ", 0, MAX_SUMMARY - len(ELLIPSIS) + 1)
    if cut <= 0:
        cut = MAX_SUMMARY - len(ELLIPSIS)
    return line[:cut] + ELLIPSIS


# ---------------------------------------------------------------- card elements


@dataclass(frozen=True)
class _Unit:
    """One body element and the plain text it adds to the preview."""

    element: Element
    text: str = ""
    group: int | None = None  # units of one card section share a Container


@dataclass(frozen=True)
class _Controls:
    """What must stay together on the last card: inputs (a ChoiceSet) and the actions."""

    inputs: tuple[Element, ...] = ()
    actions: tuple[Element, ...] = ()


def _text_blocks(text: str, group: int | None = None, **style: Any) -> list[_Unit]:
    # Split before escaping: each TextBlock starts a line, so its own start must be escaped.
    return [
        _Unit(
            {"type": "TextBlock", "text": escape_markdown(chunk), "wrap": True, **style},
            chunk.strip(),
            group,
        )
        for chunk in _split_text(text, MAX_BLOCK_BYTES, _escaped_size)
    ]


def _facts(fields: Sequence[tuple[str, str]], group: int) -> list[_Unit]:
    """Fields as FactSets of bounded size; a field too big for one fact becomes TextBlocks."""
    units: list[_Unit] = []
    facts: list[dict[str, str]] = []
    lines: list[str] = []
    used = 0

    def flush() -> None:
        nonlocal facts, lines, used
        if facts:
            units.append(_Unit({"type": "FactSet", "facts": facts}, "\n".join(lines), group))
        facts, lines, used = [], [], 0

    for name, value in fields:
        fact = {"title": escape_markdown(name), "value": escape_markdown(value)}
        fact_size = _json_size(fact) + 2
        if fact_size > MAX_BLOCK_BYTES:
            flush()
            units += _text_blocks(name, group, weight="bolder") + _text_blocks(value, group)
            continue
        if facts and used + fact_size > MAX_BLOCK_BYTES:
            flush()
        facts.append(fact)
        lines.append(f"{name}: {value}".strip())
        used += fact_size
    flush()
    return units


def _label(choice: Choice) -> str:
    label = choice.label.strip()
    if not label:
        raise ValueError(f"choice {choice.value!r:.80} has no label")
    return label


def _data(text: str, what: str, *, empty: bool = False) -> str:
    # Values are identifiers that come back in the click, not text anyone reads: not escaped.
    if len(text) > MAX_DATA or not (text or empty):
        raise ValueError(f"{what} must be 1–{MAX_DATA} characters: {text!r:.80}")
    return text


def _controls(
    choices: Sequence[Choice], action: str, select: bool, submit_label: str
) -> tuple[list[_Unit], _Controls]:
    """The full text of labels too long for a title, and the buttons or ChoiceSet."""
    if not choices:
        return [], _Controls()
    action = _data(action, "action", empty=True)
    labels = [_label(choice) for choice in choices]
    values = [_data(choice.value, "choice value") for choice in choices]
    listing = [unit for label in labels if len(label) > MAX_TITLE for unit in _text_blocks(label)]
    if not select and len(choices) <= MAX_BUTTONS:
        buttons = tuple(
            {
                "type": "Action.Submit",
                "title": _shorten(label),
                "data": {ACTION_KEY: action, VALUE_KEY: value, "index": index},
            }
            for index, (label, value) in enumerate(zip(labels, values, strict=True))
        )
        return listing, _Controls(actions=buttons)
    choice_set = {
        "type": "Input.ChoiceSet",
        "id": VALUE_KEY,
        "style": "compact" if select or len(choices) > MAX_EXPANDED else "expanded",
        "isRequired": True,
        "choices": [
            {"title": _shorten(label), "value": value}
            for label, value in zip(labels, values, strict=True)
        ],
    }
    submit = {"type": "Action.Submit", "title": submit_label, "data": {ACTION_KEY: action}}
    return listing, _Controls(inputs=(choice_set,), actions=(submit,))


def _choices(message: Choices, submit_label: str) -> tuple[list[_Unit], _Controls]:
    listing, controls = _controls(
        message.choices, message.action, message.style == "select", submit_label
    )
    # The hint comes before the controls, so that the controls end the last card. Here there
    # are buttons to click; the typing hint stays in the plain-text fallback.
    hint = _text_blocks(message.click_hint or message.hint, size="small", isSubtle=True)
    return _text_blocks(message.text) + listing + hint, controls


def _card(card: Card, submit_label: str) -> tuple[list[_Unit], _Controls]:
    units = _text_blocks(card.title, weight="bolder", size="medium")
    for group, section in enumerate(card.sections):
        units += _section(section, group)
    listing, controls = _controls(card.actions, card.action, False, submit_label)
    return units + listing, controls


def _section(section: CardSection, group: int) -> list[_Unit]:
    return (
        _text_blocks(section.title, group, weight="bolder")
        + _text_blocks(section.body, group)
        + _facts(section.fields, group)
    )


# ---------------------------------------------------------------- activities


def _body(units: Sequence[_Unit]) -> list[Element]:
    body: list[Element] = []
    group: int | None = None
    for unit in units:
        if unit.group is None:
            body.append(unit.element)
        elif body and unit.group == group:
            body[-1]["items"].append(unit.element)
        else:
            body.append({"type": "Container", "items": [unit.element]})
        group = unit.group
    return body


def _card_activity(units: Sequence[_Unit], controls: _Controls, summary: str) -> Activity:
    card: Element = {
        "$schema": SCHEMA,
        "type": "AdaptiveCard",
        "version": VERSION,
        "body": [*_body(units), *controls.inputs],
    }
    if controls.actions:
        card["actions"] = list(controls.actions)
    activity: Activity = {"type": "message"}
    if summary:
        activity["summary"] = summary
    activity["attachments"] = [{"contentType": CONTENT_TYPE, "content": card}]
    return activity


def _part_summary(units: Sequence[_Unit], plain: str) -> str:
    # The preview needs only the start of the text: enough for MAX_SUMMARY after collapsing space.
    texts: list[str] = []
    used = 0
    for unit in units:
        if used > 4 * MAX_SUMMARY:
            break
        if unit.text:
            texts.append(unit.text[: 4 * MAX_SUMMARY])
            used += len(texts[-1])
    return _preview("\n".join(texts) or plain)


def _size(units: Sequence[_Unit], plain: str, controls: _Controls = _Controls()) -> int:
    return _json_size(_card_activity(units, controls, _part_summary(units, plain)))


def _fits(units: Sequence[_Unit], plain: str, controls: _Controls = _Controls()) -> bool:
    return _size(units, plain, controls) <= MAX_ACTIVITY_BYTES


# What one more element can add to a card's JSON besides itself: a separator, a Container
# around it, and a preview grown to its longest (astral characters are 12 bytes as JSON).
_ELEMENT_OVERHEAD = _json_size({"type": "Container", "items": []}) + 2
_SUMMARY_OVERHEAD = _json_size({"summary": "\U0001f600" * MAX_SUMMARY})


def _pack(units: Sequence[_Unit], plain: str, controls: _Controls) -> list[list[_Unit]]:
    """Units in order over cards within the size budget; the controls go on the last card."""
    parts: list[list[_Unit]] = []
    bound = 0  # an upper bound of the size of the last part's card, to measure it less often
    for unit in units:
        cost = _json_size(unit.element) + _ELEMENT_OVERHEAD
        if parts and bound + cost <= MAX_ACTIVITY_BYTES:
            parts[-1].append(unit)
            bound += cost
        elif parts and _fits([*parts[-1], unit], plain):
            parts[-1].append(unit)
            bound = _size(parts[-1], plain) + _SUMMARY_OVERHEAD
        elif _fits([unit], plain):
            parts.append([unit])
            bound = _size(parts[-1], plain) + _SUMMARY_OVERHEAD
        else:  # pragma: no cover - a unit is at most MAX_BLOCK_BYTES of text
            raise ValueError("a card element does not fit one activity")
    if not controls.inputs and not controls.actions:
        return parts
    last = parts.pop() if parts else []
    if _fits(last, plain, controls):
        parts.append(last)
    elif last and _fits(last[-1:], plain, controls):
        # The controls take the last element along, so their card has something to read.
        parts += [part for part in (last[:-1], last[-1:]) if part]
    elif _fits([], plain, controls):
        parts += [last, []] if last else [[]]
    else:
        raise ValueError("the buttons or options of this message do not fit one card")
    return parts


def _activities(plain: str, units: Sequence[_Unit], controls: _Controls) -> list[Activity]:
    parts = _pack(units, plain, controls)
    activities = [
        _card_activity(
            part, controls if i == len(parts) - 1 else _Controls(), _part_summary(part, plain)
        )
        for i, part in enumerate(parts)
    ]
    if len(parts) == 1:
        # All in one card: the preview is the neutral message's own fallback, when it fits.
        whole = _card_activity(parts[0], controls, _preview(plain))
        if _json_size(whole) <= MAX_ACTIVITY_BYTES:
            activities = [whole]
    return activities
