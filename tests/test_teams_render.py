"""Teams outbound rendering: Markdown escaping, splitting without loss, and the card size budget."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.teams.render import escape_markdown, parse_submit, render
from bot.core.messages import Card, CardSection, Choice, Choices, FileShare, Message, Text

# The limits we hold ourselves to, kept apart from the module's own constants on purpose.
ACTIVITY_BYTES = 28_000  # json.dumps of one activity, UTF-8
TEXT_CHARS = 20_000  # one plain-text activity
TITLE = 200  # button and option titles
SUMMARY = 300
CARD = "application/vnd.microsoft.card.adaptive"

# What people could type to make a link, an image, emphasis, a list, HTML or a mention.
HOSTILE = (
    "[x](http://evil)",
    "![i](http://x.png)",
    "**bold** __bold__ *it* _it_",
    "<at>Bob</at> <b>html</b>",
    "- a list\n+ another\n1. numbered\n> quote\n# heading",
    "`code` \\ back\\slash",
)
SPECIAL = set("\\*_[]()!`#<>")


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.S)


def check_escaped(text: str) -> None:
    """Every Markdown character is backslash-escaped, and no line starts a list."""
    chars = iter(text)
    for char in chars:
        if char == "\\":
            assert next(chars, None) is not None, f"dangling backslash: {text[-40:]!r}"
        else:
            assert char not in SPECIAL, f"unescaped {char!r} in {text[:200]!r}"
    for line in re.split(r"[\r\n]", text):
        assert not re.match(r"[ \t]*([-+]|[0-9]+\.)", line), f"list marker in {line[:80]!r}"


def activity_bytes(activity: dict[str, Any]) -> int:
    return len(json.dumps(activity).encode("utf-8"))


def card_of(activity: dict[str, Any]) -> dict[str, Any] | None:
    attachments = activity.get("attachments")
    if not attachments:
        return None
    [attachment] = attachments
    assert attachment["contentType"] == CARD
    card: dict[str, Any] = attachment["content"]
    return card


def elements(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every body element, Containers opened, in order."""
    stack = list(reversed(card["body"]))
    while stack:
        element = stack.pop()
        yield element
        stack += reversed(element.get("items", []))


def markdown_texts(card: dict[str, Any]) -> Iterator[str]:
    """Every text Teams reads as Markdown: TextBlocks and facts."""
    for element in elements(card):
        if element["type"] == "TextBlock":
            yield element["text"]
        elif element["type"] == "FactSet":
            for fact in element["facts"]:
                yield fact["title"]
                yield fact["value"]


def check_activity(activity: dict[str, Any]) -> None:
    assert activity["type"] == "message"
    assert activity_bytes(activity) <= ACTIVITY_BYTES, activity_bytes(activity)
    card = card_of(activity)
    if card is None:
        assert activity["textFormat"] == "plain"
        assert activity["text"].strip()
        assert len(activity["text"]) <= TEXT_CHARS
        return
    # Teams would show a `text` as a message of its own, next to the card.
    assert "text" not in activity
    assert 0 < len(activity["summary"]) <= SUMMARY
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["body"] or card.get("actions")
    for element in elements(card):
        assert element["type"] in ("TextBlock", "Container", "FactSet", "Input.ChoiceSet")
        if element["type"] == "TextBlock":
            assert element["wrap"] is True
            assert element["text"].strip()
    for text in markdown_texts(card):
        check_escaped(text)
    for action in card.get("actions", []):
        assert action["type"] == "Action.Submit"
        assert 0 < len(action["title"]) <= TITLE


def rendered(message: Message) -> list[dict[str, Any]]:
    activities = render(message)
    for activity in activities:
        check_activity(activity)
    return activities


def cards(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [card_of(a) for a in activities]
    assert all(card is not None for card in found)
    return [card for card in found if card is not None]


def shown(activities: list[dict[str, Any]]) -> str:
    """The Markdown texts of all cards, unescaped: what a person reads."""
    return "".join(unescape(t) for card in cards(activities) for t in markdown_texts(card))


def actions(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for card in cards(activities) for a in card.get("actions", [])]


def choice_sets(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        e for card in cards(activities) for e in elements(card) if e["type"] == "Input.ChoiceSet"
    ]


# ---------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("[x](http://evil)", r"\[x\]\(http://evil\)"),
        ("![i](http://x.png)", r"\!\[i\]\(http://x.png\)"),
        ("**bold**", r"\*\*bold\*\*"),
        ("_it_", r"\_it\_"),
        ("<at>Bob</at>", r"\<at\>Bob\</at\>"),
        ('<a href="http://evil">x</a>', r'\<a href="http://evil"\>x\</a\>'),
        ("- item", r"\- item"),
        ("  + item", r"  \+ item"),
        ("1. first\n2. second", "1\\. first\n2\\. second"),
        ("> quote", r"\> quote"),
        ("# heading", r"\# heading"),
        ("`code`", r"\`code\`"),
        ("a\\b", r"a\\b"),
        ("x - y + z 3.5", "x - y + z 3.5"),  # inside a line: no list, left alone
        ("line\r- item", "line\r\\- item"),
        ("plain words", "plain words"),
    ],
)
def test_escape_markdown(raw: str, escaped: str) -> None:
    assert escape_markdown(raw) == escaped
    check_escaped(escape_markdown(raw))
    assert unescape(escape_markdown(raw)) == raw


def test_escaping_round_trips_on_random_text() -> None:
    rng = random.Random(11)
    alphabet = "\\*_[]()!`#<>-+.1 \n\ra"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        check_escaped(escape_markdown(text))
        assert unescape(escape_markdown(text)) == text


@pytest.mark.parametrize(
    "text", ["[x](http://evil)", "**b**", "<at>x</at>", "- a", "1. a", "\\", "a*b", "x\n+ y"]
)
def test_the_checker_catches_markdown(text: str) -> None:
    with pytest.raises(AssertionError):
        check_escaped(text)


def test_commonmark_sees_no_markup_in_escaped_text() -> None:
    """A second opinion: a CommonMark parser finds only paragraphs of plain text."""
    markdown_it = pytest.importorskip("markdown_it")
    parser = markdown_it.MarkdownIt("commonmark")
    allowed = {"paragraph_open", "paragraph_close", "inline", "text", "softbreak", "hardbreak"}

    def kinds(text: str) -> set[str]:
        tokens = parser.parse(text)
        return {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}

    for text in [*HOSTILE, "\n".join(HOSTILE)]:
        assert kinds(text) - allowed, text  # the raw text does make markup
        assert kinds(escape_markdown(text)) <= allowed, (text, kinds(escape_markdown(text)))


def test_people_text_is_escaped_in_every_card_text() -> None:
    hostile = "\n".join(HOSTILE)
    messages: list[Message] = [
        Choices(text=hostile, choices=(Choice("a", "A"),), action="q", hint=hostile),
        Card(
            title=hostile,
            sections=(CardSection(title=hostile, body=hostile, fields=((hostile, hostile),)),),
            actions=(Choice("x", "X"),),
            action="card",
        ),
    ]
    for message in messages:
        activities = rendered(message)  # check_activity checks every Markdown text
        assert hostile.replace("\n", "") in shown(activities).replace("\n", "")


def test_titles_are_plain_and_not_escaped() -> None:
    label = "**Yes** [x](y) <b>"
    [activity] = rendered(Choices(text="?", choices=(Choice("y", label),), action="q"))
    assert [a["title"] for a in actions([activity])] == [label]


def test_plain_text_goes_out_as_is() -> None:
    text = "[x](http://evil) **b** <at>Bob</at>\n- list"
    assert rendered(Text(text)) == [{"type": "message", "textFormat": "plain", "text": text}]


# ---------------------------------------------------------------- plain text


def hundred_kb_text() -> str:
    rng = random.Random(7)
    words = ["policy", "IMVO", "[x](http://evil)", "R&D", "supplier", "**risk**", "due", "é€😀"]
    paragraphs: list[str] = []
    while sum(len(p) for p in paragraphs) < 100_000:
        lines = [
            " ".join(rng.choice(words) for _ in range(rng.randint(3, 60)))
            for _ in range(rng.randint(1, 12))
        ]
        paragraphs.append("\n".join(lines))
    paragraphs.insert(5, "x" * 25_000)  # one word longer than a message
    return "\n\n".join(paragraphs)


def test_100_kb_text_is_split_not_cut() -> None:
    text = hundred_kb_text()
    activities = rendered(Text(text))
    assert len(activities) >= 5
    assert "".join(a["text"] for a in activities) == text


def test_plain_text_splits_at_paragraphs_then_words() -> None:
    paragraph = "word " * 1599 + "word"  # 8,000 characters: two fit one message
    text = "\n\n".join([paragraph] * 5)
    texts = [a["text"] for a in rendered(Text(text))]
    assert len(texts) == 3
    assert all(t.endswith("\n\n") for t in texts[:-1])
    one_line = "word " * 9000  # 45,000 characters
    texts = [a["text"] for a in rendered(Text(one_line))]
    assert all(t.endswith(" ") for t in texts[:-1])  # never inside a word
    assert "".join(texts) == one_line


def test_plain_text_also_keeps_within_the_byte_budget() -> None:
    text = "😀" * 15_000  # 15,000 characters, 180,000 bytes as JSON escapes
    activities = rendered(Text(text))
    assert len(activities) >= 7
    assert "".join(a["text"] for a in activities) == text


def test_blank_messages_render_nothing() -> None:
    assert render(Text("")) == []
    assert render(Text(" \n\n ")) == []
    assert render(Card(title="")) == []


def test_file_share_renders_text_and_locations() -> None:
    message = FileShare(text="Your draft [v2]", files=(), locations=("/drafts/a_b.docx",))
    [activity] = rendered(message)
    assert activity["text"] == "Your draft [v2]\n  /drafts/a_b.docx"
    assert "attachments" not in activity


# ---------------------------------------------------------------- cards


def test_card_layout() -> None:
    card = Card(
        title="Digest",
        sections=(CardSection(title="Theme", body="Body", fields=(("Owner", "a_b"),)),),
        actions=(Choice("ok", "OK"),),
        action="digest",
    )
    [activity] = rendered(card)
    content = card_of(activity)
    assert content is not None
    title, section = content["body"]
    assert title == {
        "type": "TextBlock",
        "text": "Digest",
        "wrap": True,
        "weight": "bolder",
        "size": "medium",
    }
    assert section["type"] == "Container"
    kinds = [(e["type"], e.get("weight")) for e in section["items"]]
    assert kinds == [("TextBlock", "bolder"), ("TextBlock", None), ("FactSet", None)]
    assert section["items"][2]["facts"] == [{"title": "Owner", "value": r"a\_b"}]
    assert content["actions"] == [
        {
            "type": "Action.Submit",
            "title": "OK",
            "data": {"imvo": "digest", "value": "ok", "index": 0},
        }
    ]
    assert activity["summary"] == "Digest Theme Body Owner: a_b"


def test_card_fallback_is_the_summary() -> None:
    card = Card(title="T", sections=(CardSection(body="b"),), fallback="plain [fallback]")
    assert rendered(card)[0]["summary"] == "plain [fallback]"


def test_large_card_is_split_under_28_kb_with_actions_on_the_last() -> None:
    sections = tuple(
        CardSection(title=f"Theme {i}", body=f"Body {i} " + "lorem *ipsum* " * 60)
        for i in range(80)
    )
    buttons = (Choice("ok", "OK"), Choice("more", "More"))
    card = Card(title="Digest", sections=sections, actions=buttons, action="digest")
    activities = rendered(card)
    assert len(activities) >= 3
    assert all(activity_bytes(a) <= ACTIVITY_BYTES for a in activities)
    found = cards(activities)
    assert [bool(c.get("actions")) for c in found] == [False] * (len(found) - 1) + [True]
    assert [a["data"]["value"] for a in actions(activities)] == ["ok", "more"]
    assert found[-1]["body"], "the buttons keep some content with them"
    text = shown(activities)
    positions = [text.index(f"Theme {i}Body {i} ") for i in range(80)]
    assert positions == sorted(positions)
    assert text.count("lorem *ipsum*") == 80 * 60


def test_long_section_body_continues_in_the_next_card() -> None:
    body = "word " * 20_000  # 100,000 characters
    card = Card(title="T", sections=(CardSection(title="S", body=body),))
    activities = rendered(card)
    assert len(activities) >= 4
    texts = [
        unescape(e["text"])
        for c in cards(activities)
        for e in elements(c)
        if e["type"] == "TextBlock" and "weight" not in e
    ]
    assert "".join(texts) == body
    assert all(c["body"][-1]["type"] == "Container" for c in cards(activities))


def test_many_fields_and_a_huge_field_lose_nothing() -> None:
    fields = tuple((f"name_{i}", f"value *{i}*") for i in range(500))
    huge = ("Huge", "[x](y) " * 5_000)
    card = Card(title="T", sections=(CardSection(fields=(*fields, huge)),))
    activities = rendered(card)
    assert len(activities) >= 2
    facts = [
        (unescape(f["title"]), unescape(f["value"]))
        for c in cards(activities)
        for e in elements(c)
        if e["type"] == "FactSet"
        for f in e["facts"]
    ]
    assert facts == list(fields)
    assert "[x](y) " * 5_000 in shown(activities)


# ---------------------------------------------------------------- choices


def test_buttons_hint_and_data() -> None:
    choices = (Choice("yes", "Yes"), Choice("no", "No"), Choice("later", "Later"))
    message = Choices(text="Ready?", choices=choices, action="q7", hint="Or type 1-3 *here*")
    [activity] = rendered(message)
    content = card_of(activity)
    assert content is not None
    prompt, hint = content["body"]
    assert prompt["text"] == r"Ready?"
    assert hint == {
        "type": "TextBlock",
        "text": r"Or type 1-3 \*here\*",
        "wrap": True,
        "size": "small",
        "isSubtle": True,
    }
    assert [a["title"] for a in content["actions"]] == ["Yes", "No", "Later"]
    assert [a["data"] for a in content["actions"]] == [
        {"imvo": "q7", "value": v, "index": i} for i, v in enumerate(["yes", "no", "later"])
    ]
    assert activity["summary"] == " ".join(message.plain().split())


@pytest.mark.parametrize(
    ("count", "style", "shape"),
    [
        (6, "buttons", "buttons"),
        (7, "buttons", "expanded"),
        (10, "buttons", "expanded"),
        (11, "buttons", "compact"),
        (150, "buttons", "compact"),
        (3, "select", "compact"),
    ],
)
def test_many_choices_become_a_choice_set(count: int, style: str, shape: str) -> None:
    choices = tuple(Choice(f"v{i}", f"Option {i}") for i in range(count))
    message = Choices(text="Which?", choices=choices, action="country", style=style)  # type: ignore[arg-type]
    activities = rendered(message)
    sets = choice_sets(activities)
    if shape == "buttons":
        assert sets == []
        assert [a["data"]["value"] for a in actions(activities)] == [c.value for c in choices]
        return
    [choice_set] = sets
    assert choice_set["id"] == "value"
    assert choice_set["style"] == shape
    assert [c["value"] for c in choice_set["choices"]] == [c.value for c in choices]
    assert [c["title"] for c in choice_set["choices"]] == [c.label for c in choices]
    [submit] = actions(activities)
    assert submit["type"] == "Action.Submit"
    assert submit["data"] == {"imvo": "country"}


def test_long_labels_are_shortened_on_the_button_only() -> None:
    long = "A very long option label that goes on and on [x](y) " * 8
    choices = (Choice("a", long), Choice("b", "Short"))
    [activity] = rendered(Choices(text="Pick", choices=choices, action="q"))
    first, second = actions([activity])
    assert len(first["title"]) <= TITLE
    assert first["title"].endswith("…")
    assert long.startswith(first["title"][:-1])
    assert second["title"] == "Short"
    assert long.strip() in shown([activity])
    assert "Short" not in shown([activity])


def test_long_prompt_keeps_the_buttons_on_the_last_card() -> None:
    message = Choices(text="word " * 20_000, choices=(Choice("a", "A"),), action="q")
    activities = rendered(message)
    assert len(activities) >= 4
    assert [bool(c.get("actions")) for c in cards(activities)][-2:] == [False, True]
    assert shown(activities) == "word " * 20_000


def test_choice_set_stays_with_the_submit_button() -> None:
    choices = tuple(Choice(f"value-{i:03}", f"Option {i} " + "x" * 150) for i in range(100))
    message = Choices(text="pick " * 10_000, choices=choices, action="q", hint="h")
    activities = rendered(message)
    last = cards(activities)[-1]
    assert [e["type"] for e in last["body"]][-1] == "Input.ChoiceSet"
    assert len(choice_sets(activities)) == 1
    assert "actions" in last


def test_controls_too_big_for_one_card_are_refused_loudly() -> None:
    choices = tuple(Choice(f"{i}" + "v" * 1900, f"Option {i}") for i in range(50))
    with pytest.raises(ValueError):
        render(Choices(text="?", choices=choices, action="q"))


def test_values_parse_submit_would_refuse_are_refused_loudly() -> None:
    with pytest.raises(ValueError):
        render(Choices(text="?", choices=(Choice("v" * 2001, "A"),), action="q"))
    with pytest.raises(ValueError):
        render(Choices(text="?", choices=(Choice("v", "A"),), action="c" * 2001))
    with pytest.raises(ValueError):
        render(Choices(text="?", choices=(Choice("", "A"),), action="q"))
    with pytest.raises(ValueError):
        render(Card(title="T", actions=(Choice("v", "  "),), action="c"))


# ---------------------------------------------------------------- parse_submit


def test_button_data_round_trips() -> None:
    choices = tuple(Choice(f"value-{i}", f"Label {i}") for i in range(5))
    context = "question|with \"quotes\" and 'ünïcode' 😀"
    for action in actions(rendered(Choices(text="?", choices=choices, action=context))):
        data = json.loads(json.dumps(action["data"]))  # as it comes back over the wire
        assert parse_submit(data) == (context, choices[data["index"]].value)


def test_choice_set_data_round_trips() -> None:
    choices = tuple(Choice(f"v{i}", f"Option {i}") for i in range(12))
    activities = rendered(Choices(text="?", choices=choices, action="country"))
    [submit] = actions(activities)
    [choice_set] = choice_sets(activities)
    for option in choice_set["choices"]:
        # Teams merges the inputs into the submit data, under the input's id.
        merged = {**submit["data"], choice_set["id"]: option["value"]}
        assert parse_submit(merged) == ("country", option["value"])
    assert parse_submit({**submit["data"], "value": ""}) is None  # nothing picked


@pytest.mark.parametrize(
    "junk",
    [
        None,
        [],
        ["imvo", "value"],
        "imvo",
        b"imvo",
        42,
        3.5,
        float("nan"),
        True,
        {},
        {"imvo": "c"},
        {"value": "v"},
        {"imvo": None, "value": "v"},
        {"imvo": 1, "value": "v"},
        {"imvo": "c", "value": 2},
        {"imvo": "c", "value": True},
        {"imvo": ["c"], "value": "v"},
        {"imvo": "c", "value": {"nested": "v"}},
        {"imvo": "c", "value": ""},
        {"imvo": "x" * 2001, "value": "v"},
        {"imvo": "c", "value": "v" * 2001},
        {"imvo": "c", "value": "v" * 10_000_000},
        {1: "c", 2: "v"},
    ],
)
def test_parse_submit_rejects_junk(junk: object) -> None:
    assert parse_submit(junk) is None


def test_parse_submit_accepts_extra_keys_and_limits() -> None:
    assert parse_submit({"imvo": "c", "value": "v", "index": "junk", "x": [1]}) == ("c", "v")
    assert parse_submit({"imvo": "", "value": "v"}) == ("", "v")
    assert parse_submit({"imvo": "c" * 2000, "value": "v" * 2000}) == ("c" * 2000, "v" * 2000)


def test_parse_submit_never_raises_on_random_json() -> None:
    rng = random.Random(3)

    def junk(depth: int = 0) -> object:
        kind = rng.randrange(7 if depth < 3 else 4)
        if kind == 0:
            return None
        if kind == 1:
            return rng.choice([0, -1, 2**70, 1.5, True])
        if kind == 2:
            return "".join(rng.choice('ab\\"\x00😀\ud800') for _ in range(rng.randint(0, 9)))
        if kind == 3:
            return rng.choice(["imvo", "value", "index"])
        if kind == 4:
            return [junk(depth + 1) for _ in range(rng.randint(0, 3))]
        keys = ["imvo", "value", "index", "x"]
        return {rng.choice(keys): junk(depth + 1) for _ in range(rng.randint(0, 4))}

    for _ in range(2000):
        result = parse_submit(junk())
        assert result is None or all(type(part) is str for part in result)


# ---------------------------------------------------------------- second opinion


def test_botbuilder_accepts_the_activities() -> None:
    """The Bot Framework schema reads every payload back without losing the card."""
    schema = pytest.importorskip("botbuilder.schema")
    samples: list[Message] = [
        Text("hello [x](y)"),
        Choices(text="?", choices=tuple(Choice(f"{i}", f"O{i}") for i in range(20)), action="q"),
        Card(title="T", sections=(CardSection(title="S", body="b", fields=(("n", "v"),)),)),
    ]
    for sample in samples:
        for payload in rendered(sample):
            activity = schema.Activity().deserialize(payload)
            assert activity.type == "message"
            if "attachments" in payload:
                assert activity.attachments[0].content == payload["attachments"][0]["content"]
                assert activity.summary == payload["summary"]
            else:
                assert activity.text == payload["text"]
                assert activity.text_format == "plain"
