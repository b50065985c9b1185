"""Neutral outbound messages → Slack Block Kit messages (pure functions, no I/O).

Every piece of text from the core goes through `escape`, so people's words can never mention
@channel or a user, nor smuggle a link. Nothing is cut: long text is split at paragraph, line or
word boundaries over several blocks and, past Slack's per-message limits, over several messages.
The only things shortened are button and option labels, and only when the full label is also
shown in a section above them.

Lengths are counted in UTF-16 code units, the stricter reading of Slack's "characters".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from adapters import chunks
from bot.core.messages import Card, CardSection, Choice, Choices, FileShare, Message, Text

Block = dict[str, Any]

# Slack's documented limits.
MAX_BLOCKS = 50  # blocks per message
MAX_TEXT = 3000  # a text object; also our notification text per message
MAX_FIELD = 2000  # one section field
MAX_FIELDS = 10  # fields per section
MAX_HEADER = 150  # header block text
MAX_LABEL = 75  # button text, option text
MAX_ACTION_ID = 255
MAX_BUTTON_VALUE = 2000
MAX_OPTION_VALUE = 150
MAX_OPTIONS = 100  # options per select
MAX_ELEMENTS = 25  # elements per actions block
MAX_ALT = 1000  # a file's alt_txt (files.getUploadURLExternal: alt_txt_too_large)

MAX_BUTTONS = 10  # more choices than this become a select
SELECT = "select"
ELLIPSIS = "…"

_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_INDEX = re.compile(r"0|[1-9][0-9]{0,8}")


def escape(text: str) -> str:
    """Slack's control characters as entities: `&` first, so each `&` is escaped exactly once."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class SlackMessage:
    """One `chat.postMessage`: notification text (escaped, ≤ 3,000 characters) and blocks."""

    text: str
    blocks: list[Block]


def render(message: Message) -> list[SlackMessage]:
    """A neutral message as one or more Slack messages; controls are in the last one.

    A message with nothing visible (empty or blank text) renders as no Slack message. Raises
    ValueError when the content breaks a limit that splitting cannot help: a choice value or a
    action too long for Slack, an empty choice label or value, or more controls than fit in
    one message.
    """
    if isinstance(message, Text):
        units = _sections(escape(message.text))
    elif isinstance(message, Choices):
        units = _choices(message)
    elif isinstance(message, Card):
        units = _card(message)
    elif isinstance(message, FileShare):
        units = _file_share(message)
    else:  # pragma: no cover - the Message union is closed
        raise TypeError(f"not a neutral message: {type(message).__name__}")
    return _messages(escape(message.plain()).strip(), _pack(units))


def picture_uploads(message: Message) -> list[dict[str, Any]]:
    """A card's pictures as `files_upload_v2(file_uploads=...)` items: the bytes, the file name,
    and the alt text as the title people see and the description screen readers read.

    Neither is mrkdwn, so nothing is escaped. Both are shortened to Slack's limit for a
    description (one too long refuses the whole upload); the title on one line. Other messages
    have no pictures.
    """
    if not isinstance(message, Card):
        return []
    uploads = []
    for picture in message.pictures:
        alt = _shorten(picture.alt.strip(), MAX_ALT)
        upload: dict[str, Any] = {
            "content": picture.data,
            "filename": picture.name,
            "title": _shorten(" ".join(alt.split()), MAX_ALT) or picture.name,
        }
        if alt:
            upload["alt_txt"] = alt
        uploads.append(upload)
    return uploads


def parse_action_id(action_id: str) -> tuple[str, int | None]:
    """Back from an action id this module made: "ctx|3" → ("ctx", 3), "ctx|select" → ("ctx", None).

    Raises ValueError on anything else, since action ids arrive in payloads anyone can forge.
    """
    if not isinstance(action_id, str) or _size(action_id) > MAX_ACTION_ID or "|" not in action_id:
        raise ValueError(f"not an action id of this bot: {action_id!r:.80}")
    action, _, suffix = action_id.rpartition("|")
    if suffix == SELECT:
        return action, None
    if _INDEX.fullmatch(suffix):
        return action, int(suffix)
    raise ValueError(f"not an action id of this bot: {action_id!r:.80}")


# ---------------------------------------------------------------- splitting


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Chunks of at most `limit`, preferring paragraph, then line, then word boundaries.

    Joined, the chunks give `text` back, except runs of blank space that cannot join a
    neighbouring chunk (only possible with thousands of blank characters in a row). A word
    longer than `limit` is split inside, never inside an entity such as `&amp;`.
    """
    return chunks.split_text(text, limit, _size, lambda piece, most: iter(_hard_split(piece, most)))


def _hard_split(text: str, limit: int) -> list[str]:
    parts = []
    start = 0
    while start < len(text):
        end = _fit(text, start, limit)
        amp = text.rfind("&", max(start + 1, end - 4), end)
        entity = _ENTITY.match(text, amp) if amp >= 0 and end < len(text) else None
        if entity is not None and entity.end() > end:
            end = amp  # the entity goes whole into the next chunk
        parts.append(text[start:end])
        start = end
    return parts


def _fit(text: str, start: int, limit: int) -> int:
    """The largest end such that text[start:end] is at most `limit` UTF-16 units."""
    end, used = start, 0
    while end < len(text):
        width = 2 if ord(text[end]) > 0xFFFF else 1
        if used + width > limit:
            break
        used += width
        end += 1
    return end


def _size(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _shorten(text: str, limit: int = MAX_LABEL) -> str:
    if _size(text) <= limit:
        return text
    return _hard_split(text, limit - _size(ELLIPSIS))[0].rstrip() + ELLIPSIS


def _bold(text: str) -> str:
    """`*text*` when Slack can show it bold (one line that fits one text object)."""
    if text and "\n" not in text and _size(text) + 2 <= MAX_TEXT:
        return f"*{text}*"
    return text


# ---------------------------------------------------------------- blocks


@dataclass(frozen=True)
class _Unit:
    """One block and what it adds to the notification text; controls carry no text."""

    block: Block
    text: str = ""
    control: bool = False


def _sections(text: str) -> list[_Unit]:
    return [
        _Unit({"type": "section", "text": {"type": "mrkdwn", "text": chunk}}, chunk.strip())
        for chunk in split_text(text)
    ]


def _contexts(text: str) -> list[_Unit]:
    return [
        _Unit({"type": "context", "elements": [{"type": "mrkdwn", "text": chunk}]}, chunk.strip())
        for chunk in split_text(text)
    ]


def _plain_text(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def _action_id(action: str, suffix: str) -> str:
    action_id = f"{action}|{suffix}"
    if _size(action_id) > MAX_ACTION_ID:
        raise ValueError(f"action id longer than {MAX_ACTION_ID} characters: {action_id:.80}…")
    return action_id


def _label(choice: Choice) -> str:
    label = escape(choice.label).strip()
    if not label:
        raise ValueError(f"choice {choice.value!r:.80} has no label")
    return label


def _value(choice: Choice, limit: int) -> str:
    # Values are identifiers that come back in the click, not text anyone reads: not escaped.
    if not choice.value or _size(choice.value) > limit:
        raise ValueError(f"choice value must be 1–{limit} characters: {choice.value!r:.80}")
    return choice.value


def _full_labels(labels: Iterable[str]) -> list[_Unit]:
    """The labels a button or option shows shortened, in full, so no word of them is lost."""
    long = [label for label in labels if _size(label) > MAX_LABEL]
    return _sections("\n".join(f"• {label}" for label in long)) if long else []


def _buttons(choices: Sequence[Choice], action: str) -> list[_Unit]:
    labels = [_label(choice) for choice in choices]
    buttons = [
        {
            "type": "button",
            "text": _plain_text(_shorten(label)),
            "action_id": _action_id(action, str(index)),
            "value": _value(choice, MAX_BUTTON_VALUE),
        }
        for index, (choice, label) in enumerate(zip(choices, labels, strict=True))
    ]
    actions = [
        _Unit({"type": "actions", "elements": buttons[i : i + MAX_ELEMENTS]}, control=True)
        for i in range(0, len(buttons), MAX_ELEMENTS)
    ]
    return _full_labels(labels) + actions


def _selects(choices: Sequence[Choice], action: str) -> list[_Unit]:
    labels = [_label(choice) for choice in choices]
    options = [
        {"text": _plain_text(_shorten(label)), "value": _value(choice, MAX_OPTION_VALUE)}
        for choice, label in zip(choices, labels, strict=True)
    ]
    action_id = _action_id(action, SELECT)  # unique within its actions block, as Slack asks
    selects = [
        _Unit(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": action_id,
                        "options": options[i : i + MAX_OPTIONS],
                    }
                ],
            },
            control=True,
        )
        for i in range(0, len(options), MAX_OPTIONS)
    ]
    return _full_labels(labels) + selects


def _choices(message: Choices) -> list[_Unit]:
    units = _sections(escape(message.text))
    if message.style == SELECT or len(message.choices) > MAX_BUTTONS:
        controls = _selects(message.choices, message.action)
    else:
        controls = _buttons(message.choices, message.action)
    listing = [unit for unit in controls if not unit.control]
    actions = [unit for unit in controls if unit.control]
    # The hint comes before the controls, so that the controls end the last message. Here there
    # are buttons to click; the typing hint stays in the plain-text fallback.
    hint = message.click_hint or message.hint
    return units + listing + _contexts(escape(hint)) + actions


def _card(card: Card) -> list[_Unit]:
    units: list[_Unit] = []
    title = escape(card.title).strip()
    if title and _size(title) <= MAX_HEADER:
        units.append(_Unit({"type": "header", "text": _plain_text(title)}, title))
    elif title:
        units += _sections(_bold(title))
    for section in card.sections:
        units += _card_section(section)
    if card.actions:
        units += _buttons(card.actions, card.action)
    return units


def _card_section(section: CardSection) -> list[_Unit]:
    title = escape(section.title).strip()
    text = "\n".join(part for part in (_bold(title), escape(section.body)) if part)
    units = _sections(text) if text.strip() else []
    fields = _fields(section.fields)
    if units and fields:
        # The first group of fields shares the last text's block when the notification allows.
        last, first = units[-1], fields[0]
        joined = f"{last.text}\n{first.text}"
        if _size(joined) <= MAX_TEXT:
            block = {**last.block, "fields": first.block["fields"]}
            units[-1:] = [_Unit(block, joined)]
            fields = fields[1:]
    return units + fields


def _fields(fields: Sequence[tuple[str, str]]) -> list[_Unit]:
    texts: list[str] = []
    for name, value in fields:
        label, body = escape(name).strip(), escape(value)
        texts += split_text("\n".join(part for part in (_bold(label), body) if part), MAX_FIELD)
    groups: list[list[str]] = []
    used = 0
    for text in texts:
        size = _size(text)
        if groups and len(groups[-1]) < MAX_FIELDS and used + 1 + size <= MAX_TEXT:
            groups[-1].append(text)
            used += 1 + size
        else:
            groups.append([text])
            used = size
    return [
        _Unit(
            {"type": "section", "fields": [{"type": "mrkdwn", "text": t} for t in group]},
            "\n".join(t.strip() for t in group),
        )
        for group in groups
    ]


def _file_share(message: FileShare) -> list[_Unit]:
    # The files themselves are uploaded by the transport; here the text and where they were kept.
    locations = "\n".join(escape(location) for location in message.locations)
    return _sections(escape(message.text)) + _contexts(locations)


# ---------------------------------------------------------------- messages


def _notification(units: Sequence[_Unit]) -> str:
    return "\n".join(unit.text for unit in units if unit.text)


def _fits(units: Sequence[_Unit]) -> bool:
    return len(units) <= MAX_BLOCKS and _size(_notification(units)) <= MAX_TEXT


def _pack(units: Sequence[_Unit]) -> list[list[_Unit]]:
    """Units in order over messages of ≤ 50 blocks and ≤ 3,000 characters of notification.

    The controls (and anything after the first of them) all go into the last message, with at
    least the block before them so that message has text to notify with.
    """
    first = next((i for i, unit in enumerate(units) if unit.control), len(units))
    content, controls = list(units[:first]), list(units[first:])
    if len(controls) >= MAX_BLOCKS:
        raise ValueError(f"{len(controls)} blocks of buttons or selects do not fit one message")
    parts: list[list[_Unit]] = []
    for unit in content:
        if parts and _fits([*parts[-1], unit]):
            parts[-1].append(unit)
        else:
            parts.append([unit])
    if not controls:
        return parts
    if parts and _fits([*parts[-1], *controls]):
        parts[-1] += controls
    elif parts:
        moved = parts[-1].pop()
        if not parts[-1]:
            parts.pop()
        parts.append([moved, *controls])
    else:
        parts.append(controls)
    return parts


def _messages(plain: str, parts: list[list[_Unit]]) -> list[SlackMessage]:
    if len(parts) == 1 and plain and _size(plain) <= MAX_TEXT:
        # All in one message: the notification is the neutral message's own fallback.
        return [SlackMessage(text=plain, blocks=[unit.block for unit in parts[0]])]
    messages = []
    for part in parts:
        text = _notification(part)
        if not text:
            raise ValueError("a Slack message would have controls but no text to notify with")
        messages.append(SlackMessage(text=text, blocks=[unit.block for unit in part]))
    return messages
