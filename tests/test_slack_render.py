"""Slack outbound rendering: escaping, splitting without loss, and Block Kit's limits."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.slack.render import SlackMessage, escape, parse_action_id, render
from bot.core.messages import Card, CardSection, Choice, Choices, FileShare, Text

HOSTILE = ("<!channel>", "<!here>", "<@U123>", "<http://evil|click>", "&amp;", "a & b < c > d")

# Slack's documented limits, kept apart from the module's own constants on purpose.
BLOCKS_PER_MESSAGE = 50
TEXT_OBJECT = 3000
FIELD = 2000
FIELDS_PER_SECTION = 10
HEADER = 150
LABEL = 75
ACTION_ID = 255
BUTTON_VALUE = 2000
OPTION_VALUE = 150
OPTIONS = 100
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10


def size(text: str) -> int:
    """Characters as UTF-16 code units: the strict reading of Slack's limits."""
    return len(text.encode("utf-16-le")) // 2


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def check_text(obj: dict[str, Any], limit: int, kinds: tuple[str, ...]) -> None:
    assert obj["type"] in kinds, obj
    text = obj["text"]
    assert isinstance(text, str) and text.strip(), obj
    assert size(text) <= limit, (size(text), limit)


def check_limits(blocks: list[dict[str, Any]]) -> None:
    """Every block against Slack's documented Block Kit limits."""
    assert 1 <= len(blocks) <= BLOCKS_PER_MESSAGE, len(blocks)
    action_ids: set[str] = set()
    for block in blocks:
        kind = block["type"]
        if kind == "section":
            assert "text" in block or "fields" in block, block
            if "text" in block:
                check_text(block["text"], TEXT_OBJECT, ("mrkdwn", "plain_text"))
            fields = block.get("fields", [])
            assert len(fields) <= FIELDS_PER_SECTION, len(fields)
            for field in fields:
                check_text(field, FIELD, ("mrkdwn", "plain_text"))
        elif kind == "header":
            check_text(block["text"], HEADER, ("plain_text",))
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= CONTEXT_ELEMENTS
            for element in block["elements"]:
                check_text(element, TEXT_OBJECT, ("mrkdwn", "plain_text"))
        elif kind == "actions":
            elements = block["elements"]
            assert 1 <= len(elements) <= ACTIONS_ELEMENTS, len(elements)
            in_block = [element["action_id"] for element in elements]
            assert len(set(in_block)) == len(in_block), in_block
            for element in elements:
                assert 1 <= size(element["action_id"]) <= ACTION_ID
                if element["type"] == "button":
                    check_text(element["text"], LABEL, ("plain_text",))
                    assert 1 <= size(element["value"]) <= BUTTON_VALUE
                    assert element["action_id"] not in action_ids, "button ids unique per message"
                    action_ids.add(element["action_id"])
                elif element["type"] == "static_select":
                    options = element["options"]
                    assert 1 <= len(options) <= OPTIONS, len(options)
                    for option in options:
                        check_text(option["text"], LABEL, ("plain_text",))
                        assert 1 <= size(option["value"]) <= OPTION_VALUE
                    if "placeholder" in element:
                        check_text(element["placeholder"], HEADER, ("plain_text",))
                else:
                    raise AssertionError(f"unexpected element {element['type']}")
        else:
            raise AssertionError(f"unexpected block {kind}")


def check_message(message: SlackMessage) -> None:
    assert message.text.strip()
    assert size(message.text) <= TEXT_OBJECT, size(message.text)
    check_escaped(message.text)
    check_limits(message.blocks)
    for text in shown_texts(message.blocks):
        check_escaped(text)


def check_escaped(text: str) -> None:
    """No raw `<` or `>`, and every `&` starts one of Slack's three entities."""
    assert "<" not in text and ">" not in text, text[:200]
    assert re.search(r"&(?!amp;|lt;|gt;)", text) is None, text[:200]


def shown_texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    """Every text a person sees in the blocks."""
    for block in blocks:
        if "text" in block:
            yield block["text"]["text"]
        for field in block.get("fields", []):
            yield field["text"]
        for element in block.get("elements", []):
            if "text" in element:
                text = element["text"]
                yield text if isinstance(text, str) else text["text"]
            for option in element.get("options", []):
                yield option["text"]["text"]


def rendered(message: Text | Choices | Card | FileShare) -> list[SlackMessage]:
    messages = render(message)
    for part in messages:
        check_message(part)
    return messages


def section_texts(messages: list[SlackMessage]) -> list[str]:
    return [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]


def elements(messages: list[SlackMessage]) -> list[dict[str, Any]]:
    return [e for m in messages for b in m.blocks if b["type"] == "actions" for e in b["elements"]]


# ---------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here>", "&lt;!here&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<http://evil|click>", "&lt;http://evil|click&gt;"),
        ("&amp;", "&amp;amp;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("no markup", "no markup"),
    ],
)
def test_escape_neutralises_slack_control_characters(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped
    assert unescape(escape(raw)) == raw


def test_every_ampersand_is_escaped_exactly_once() -> None:
    text = "R&D &amp; &lt; &&"
    assert escape(text) == "R&amp;D &amp;amp; &amp;lt; &amp;&amp;"
    assert escape(text).count("&amp;") == text.count("&")


def test_people_text_is_escaped_in_every_kind_of_message() -> None:
    hostile = " ".join(HOSTILE)
    long_hostile = hostile + " " + "<@U1>" * 30  # long enough to be shortened as a label
    messages = [
        Text(hostile),
        Choices(
            text=hostile,
            choices=(Choice("a", hostile), Choice("b", long_hostile)),
            action="q1",
            hint=hostile,
        ),
        Choices(text=hostile, choices=(Choice("a", long_hostile),), action="q", style="select"),
        Card(
            title=hostile,
            sections=(CardSection(title=hostile, body=hostile, fields=((hostile, hostile),)),),
            actions=(Choice("x", hostile),),
            action="card",
        ),
        Card(title=hostile * 5),
        FileShare(text=hostile, files=(), locations=(hostile,)),
    ]
    for message in messages:
        parts = rendered(message)  # check_message asserts escaping of every shown text
        shown = "".join(t for p in parts for t in shown_texts(p.blocks))
        assert "&lt;!channel&gt;" in shown and "&lt;@U123&gt;" in shown


# ---------------------------------------------------------------- splitting


def hundred_kb_text() -> str:
    rng = random.Random(7)
    words = ["policy", "IMVO", "<!channel>", "R&D", "supplier", "risk", "due", "diligence"]
    paragraphs = []
    while sum(len(p) for p in paragraphs) < 100_000:
        lines = [
            " ".join(rng.choice(words) for _ in range(rng.randint(3, 60)))
            for _ in range(rng.randint(1, 12))
        ]
        paragraphs.append("\n".join(lines))
    paragraphs.insert(5, "x" * 7000)  # one word longer than a text object
    paragraphs.insert(9, "&" * 4000)  # entities must not be cut apart
    return "\n\n".join(paragraphs)


def test_100_kb_text_is_split_not_cut() -> None:
    text = hundred_kb_text()
    messages = rendered(Text(text))
    sections = section_texts(messages)
    assert len(messages) > 1
    assert all(size(s) <= TEXT_OBJECT for s in sections)
    assert "".join(sections) == escape(text)
    assert unescape("".join(sections)) == text


def test_splits_at_paragraphs_then_lines_then_words() -> None:
    paragraph = ("word " * 119 + "word\n") * 3  # three lines of 600 characters
    text = "\n\n".join([paragraph.rstrip("\n")] * 5)
    sections = section_texts(rendered(Text(text)))
    assert all(s.endswith("\n\n") for s in sections[:-1]), [s[-5:] for s in sections]

    one_line = "word " * 1500  # 7,500 characters, no newline
    sections = section_texts(rendered(Text(one_line)))
    assert len(sections) == 3
    assert all(s.endswith(" ") for s in sections[:-1])  # never inside a word
    assert "".join(sections) == one_line


def test_a_long_word_is_split_without_breaking_entities() -> None:
    sections = section_texts(rendered(Text("&" * 4000)))
    assert len(sections) == 7
    assert all(re.fullmatch(r"(&amp;)+", s) for s in sections)
    assert "".join(sections) == "&amp;" * 4000


def test_lengths_count_utf16_units() -> None:
    text = "😀" * 2000  # 4,000 UTF-16 code units
    sections = section_texts(rendered(Text(text)))
    assert len(sections) == 2
    assert "".join(sections) == text


def test_notification_text_is_split_across_messages_never_cut() -> None:
    text = "\n\n".join(f"paragraph {i} " + "lorem ipsum " * 200 for i in range(20))
    messages = rendered(Text(text))
    assert len(messages) >= 17  # 49,000 characters at ≤ 3,000 a message
    assert all(size(m.text) <= TEXT_OBJECT for m in messages)
    assert " ".join(m.text for m in messages).split() == text.split()


def test_a_blank_message_renders_nothing() -> None:
    assert render(Text("")) == []
    assert render(Text("  \n\n ")) == []


# ---------------------------------------------------------------- cards


def test_card_with_80_sections_continues_in_more_messages() -> None:
    sections = tuple(CardSection(title=f"Theme {i}", body=f"Body {i}") for i in range(80))
    card = Card(
        title="Digest",
        sections=sections,
        actions=(Choice("ok", "OK"), Choice("more", "More")),
        action="digest",
    )
    messages = rendered(card)
    assert len(messages) >= 2
    assert all(len(m.blocks) <= BLOCKS_PER_MESSAGE for m in messages)
    assert messages[0].blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Digest"},
    }
    shown = "\n".join(section_texts(messages))
    positions = [shown.index(f"*Theme {i}*\nBody {i}") for i in range(80)]
    assert positions == sorted(positions)
    # The buttons stay with the last message, next to content.
    assert [m for m in messages if any(b["type"] == "actions" for b in m.blocks)] == [messages[-1]]
    assert messages[-1].blocks[-1]["type"] == "actions"
    assert any(b["type"] != "actions" for b in messages[-1].blocks)


def test_actions_move_with_content_when_the_last_message_is_full() -> None:
    # Header + 49 sections = 50 blocks: the actions need a next message, with a section.
    card = Card(
        title="T",
        sections=tuple(CardSection(body=f"b{i}") for i in range(49)),
        actions=(Choice("v", "Go"),),
        action="c",
    )
    messages = rendered(card)
    assert len(messages) == 2
    assert [b["type"] for b in messages[-1].blocks] == ["section", "actions"]
    assert "b48" in messages[-1].text


def test_header_or_section_for_the_title() -> None:
    title = "T" * HEADER
    assert rendered(Card(title=title))[0].blocks == [
        {"type": "header", "text": {"type": "plain_text", "text": title}}
    ]
    long = "T" * (HEADER + 1)
    blocks = rendered(Card(title=long))[0].blocks
    assert blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{long}*"}}]
    # The limit applies to the escaped title.
    escaped_long = "&" + "T" * (HEADER - 2)
    assert rendered(Card(title=escaped_long))[0].blocks[0]["type"] == "section"


def test_section_title_is_bold_and_escaped() -> None:
    card = Card(title="", sections=(CardSection(title="<b>", body="x & y"),))
    assert section_texts(rendered(card)) == ["*&lt;b&gt;*\nx &amp; y"]


def test_fields_are_split_at_ten_per_section() -> None:
    fields = tuple((f"name {i}", f"value {i}") for i in range(23))
    card = Card(title="T", sections=(CardSection(title="S", fields=fields),))
    blocks = rendered(card)[0].blocks
    groups = [b["fields"] for b in blocks if "fields" in b]
    assert [len(g) for g in groups] == [10, 10, 3]
    texts = [f["text"] for g in groups for f in g]
    assert texts == [f"*name {i}*\nvalue {i}" for i in range(23)]


def test_a_long_field_is_split_over_fields() -> None:
    value = "word " * 1000  # 5,000 characters
    card = Card(title="T", sections=(CardSection(fields=(("Name", value),)),))
    fields = [f["text"] for m in rendered(card) for b in m.blocks for f in b.get("fields", [])]
    assert len(fields) == 3
    assert all(size(f) <= FIELD for f in fields)
    assert "".join(fields) == "*Name*\n" + value


def test_fields_share_a_block_with_text_only_within_the_notification_limit() -> None:
    section = CardSection(title="S", body="b " * 1450, fields=(("name", "v " * 200),))
    messages = rendered(Card(title="T", sections=(section,)))  # checks each text ≤ 3,000
    assert len(messages) == 2
    short = CardSection(title="S", body="b", fields=(("name", "v"),))
    blocks = rendered(Card(title="T", sections=(short,)))[0].blocks
    assert blocks[1] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*S*\nb"},
        "fields": [{"type": "mrkdwn", "text": "*name*\nv"}],
    }


def test_card_fallback_is_its_plain_text() -> None:
    card = Card(title="T", sections=(CardSection(body="b"),), fallback="plain <fallback>")
    assert rendered(card)[0].text == "plain &lt;fallback&gt;"


# ---------------------------------------------------------------- choices


def test_buttons_with_ids_values_and_hint() -> None:
    choices = (Choice("yes", "Yes"), Choice("no", "No"), Choice("later", "Later"))
    message = Choices(text="Ready?", choices=choices, action="q7", hint="Or type 1-3 <here>")
    [part] = rendered(message)
    assert part.text == escape(message.plain())
    assert [b["type"] for b in part.blocks] == ["section", "context", "actions"]
    assert part.blocks[1]["elements"] == [{"type": "mrkdwn", "text": "Or type 1-3 &lt;here&gt;"}]
    buttons = part.blocks[-1]["elements"]
    assert [b["action_id"] for b in buttons] == ["q7|0", "q7|1", "q7|2"]
    assert [b["value"] for b in buttons] == ["yes", "no", "later"]
    assert [b["text"]["text"] for b in buttons] == ["Yes", "No", "Later"]


def test_long_labels_are_shortened_on_the_button_only() -> None:
    long = "A very long option label that goes on and on " * 4
    message = Choices(text="Pick", choices=(Choice("a", long), Choice("b", "Short")), action="q")
    [part] = rendered(message)
    button = part.blocks[-1]["elements"][0]
    assert size(button["text"]["text"]) <= LABEL
    assert button["text"]["text"].endswith("…")
    assert long.startswith(button["text"]["text"][:-1])
    listed = [b for b in part.blocks[:-1] if b["type"] in ("section", "context")]
    assert any(long.strip() in t for t in shown_texts(listed))
    assert part.blocks[-1]["elements"][1]["text"]["text"] == "Short"


def test_short_labels_are_not_listed_twice() -> None:
    message = Choices(text="Pick", choices=(Choice("a", "A"),), action="q")
    assert [b["type"] for b in rendered(message)[0].blocks] == ["section", "actions"]


@pytest.mark.parametrize(
    ("count", "style"), [(11, "buttons"), (30, "buttons"), (2, "select"), (100, "buttons")]
)
def test_select_for_many_choices_or_when_asked(count: int, style: str) -> None:
    choices = tuple(Choice(f"v{i}", f"Option {i}") for i in range(count))
    message = Choices(text="Which?", choices=choices, action="country", style=style)  # type: ignore[arg-type]
    [part] = rendered(message)
    [element] = elements([part])
    assert element["type"] == "static_select"
    assert element["action_id"] == "country|select"
    assert [o["value"] for o in element["options"]] == [c.value for c in choices]
    assert [o["text"]["text"] for o in element["options"]] == [c.label for c in choices]


def test_more_than_100_choices_use_several_selects() -> None:
    choices = tuple(Choice(f"v{i}", f"Option {i}") for i in range(150))
    found = elements(rendered(Choices(text="Which?", choices=choices, action="c")))
    assert [len(e["options"]) for e in found] == [100, 50]
    assert [o["value"] for e in found for o in e["options"]] == [c.value for c in choices]


def test_ten_choices_are_still_buttons() -> None:
    choices = tuple(Choice(f"v{i}", f"O{i}") for i in range(10))
    found = elements(rendered(Choices(text="Which?", choices=choices, action="c")))
    assert [e["type"] for e in found] == ["button"] * 10


def test_long_prompt_keeps_buttons_in_the_last_message() -> None:
    message = Choices(text="word " * 2000, choices=(Choice("a", "A"),), action="q")
    messages = rendered(message)
    assert len(messages) == 4
    assert elements(messages[:-1]) == []
    assert [e["action_id"] for e in elements(messages[-1:])] == ["q|0"]


# ---------------------------------------------------------------- action ids


def test_action_ids_round_trip_to_the_clicked_choice() -> None:
    choices = tuple(Choice(f"value-{i}", f"Label {i}") for i in range(5))
    context = "question|with|pipes"
    for element in elements(rendered(Choices(text="?", choices=choices, action=context))):
        ctx, index = parse_action_id(element["action_id"])
        assert ctx == context
        assert index is not None and choices[index].value == element["value"]
    select = elements(rendered(Choices(text="?", choices=choices, action="q", style="select")))
    assert parse_action_id(select[0]["action_id"]) == ("q", None)


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "context",
        "context|",
        "context|-1",
        "context|+1",
        "context|1.5",
        "context|01",
        "context|SELECT",
        "context| 1",
        "context|1\n",
        "context|３",
        "context|99999999999",
        "x" * 300 + "|1",
    ],
)
def test_parse_action_id_rejects_junk(junk: str) -> None:
    with pytest.raises(ValueError):
        parse_action_id(junk)


def test_parse_action_id_rejects_non_strings() -> None:
    with pytest.raises(ValueError):
        parse_action_id(None)  # type: ignore[arg-type]


def test_values_and_ids_slack_cannot_take_are_refused_loudly() -> None:
    with pytest.raises(ValueError):
        render(Choices(text="?", choices=(Choice("v" * 2001, "A"),), action="q"))
    with pytest.raises(ValueError):  # option values are limited to 150
        render(Choices(text="?", choices=(Choice("v" * 151, "A"),), action="q", style="select"))
    with pytest.raises(ValueError):
        render(Choices(text="?", choices=(Choice("v", "A"),), action="c" * 300))


# ---------------------------------------------------------------- files


def test_file_share_renders_text_and_locations_not_files() -> None:
    message = FileShare(text="Your draft <v2>", files=(), locations=("/drafts/a&b.docx",))
    [part] = rendered(message)
    assert part.blocks == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Your draft &lt;v2&gt;"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "/drafts/a&amp;b.docx"}]},
    ]
    assert part.text == escape(message.plain()).strip()


# ---------------------------------------------------------------- the checker itself


@pytest.mark.parametrize(
    "blocks",
    [
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51,
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "x" * 76},
                        "action_id": "a|0",
                        "value": "v",
                    }
                ],
            }
        ],
    ],
)
def test_check_limits_catches_violations(blocks: list[dict[str, Any]]) -> None:
    with pytest.raises(AssertionError):
        check_limits(blocks)


def test_slack_sdk_models_accept_the_blocks() -> None:
    """A second opinion: slack_sdk's own validators, when installed."""
    models = pytest.importorskip("slack_sdk.models.blocks")
    samples = [
        Card(
            title="T" * 200,
            sections=(CardSection(title="S", body="b", fields=(("n", "v"),) * 12),),
            actions=(Choice("a", "L" * 100),),
            action="c",
        ),
        Choices(text="?", choices=tuple(Choice(f"{i}", f"O{i}") for i in range(40)), action="q"),
        Text(hundred_kb_text()[:20_000]),
    ]
    for sample in samples:
        for part in rendered(sample):
            for block in part.blocks:
                parsed = models.Block.parse(block)
                assert parsed is not None
                parsed.validate_json()
