"""Exclusive options ("I expect no resistance", "I see no clear trend", "None / I don't know"):
combined with another choice they are refused, nothing is stored and the question is asked
again, in Dutch and English; alone they are accepted; a combination stored before this rule
counts as its real choices only in the draft and the digest, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.app import open_app
from adapters.console.transport import ConsoleTransport
from bot.content.loader import (
    ContentError,
    Messages,
    parse_messages,
    parse_questions,
    read_toml,
    same_shape,
)
from bot.core.domain import Answer, ConversationState, Phase, Role
from bot.core.messages import Card, FileShare
from bot.core.settings import Settings
from bot.core.turns import Effects, Turn
from bot.flows.poll import PollInputs, choose
from bot.reporting.draft.parts import count_choices
from tests.harness import FakeClock, Harness, make_harness, make_lead, person, shared, texts
from tests.polls import T0, questions

REFUSED = {
    "en": "can't be combined with other choices, so nothing was saved",
    "nl": "kun je niet combineren met andere keuzes, dus er is niets bewaard",
}
NOTED = {"en": "Noted: {}.", "nl": "Genoteerd: {}."}
EXCLUSIVE = {"trends": "none", "legislation": "unknown", "resistance": "nowhere"}


def number(lang: str, qid: str, key: str) -> int:
    """The number a person types for option `key` of question `qid`."""
    question = next(q for q in questions(lang) if q.id == qid)
    return [o.key for o in question.options].index(key) + 1


def label(lang: str, qid: str, key: str) -> str:
    question = next(q for q in questions(lang) if q.id == qid)
    option = question.option(key)
    assert option is not None
    return option.label


def test_the_shipped_questions_mark_the_no_answer_options_exclusive() -> None:
    for lang in ("nl", "en"):
        marked = {q.id: o.key for q in questions(lang) for o in q.options if o.exclusive}
        assert marked == EXCLUSIVE


def test_exclusive_must_agree_between_languages_and_fit_the_question() -> None:
    raw = read_toml("en", "questions")
    wrong = [dict(q) for q in raw["question"]]
    discipline = next(q for q in wrong if q["id"] == "discipline")
    discipline["options"] = [
        {**discipline["options"][0], "exclusive": True},
        *discipline["options"][1:],
    ]
    with pytest.raises(ContentError, match="max_choices of 2 or more"):
        parse_questions("en", {"question": wrong})
    trends = next(q for q in wrong if q["id"] == "trends")
    trends["options"] = [{**o, "exclusive": "yes"} for o in trends["options"]]
    with pytest.raises(ContentError, match="true or false"):
        parse_questions("en", {"question": [trends]})
    trends["options"] = [{**o, "exclusive": True} for o in trends["options"]]
    with pytest.raises(ContentError, match="at most one option"):
        parse_questions("en", {"question": [trends]})

    en = questions("en")
    nl = tuple(
        replace(q, options=tuple(replace(o, exclusive=False) for o in q.options)) for q in en
    )
    with pytest.raises(ContentError, match="exclusive options differ"):
        same_shape({"en": en, "nl": nl})


def test_a_submitted_list_is_refused_in_the_same_place_as_typed_numbers() -> None:
    """Slack and Teams hand a list of picks to the same `choose` as typed numbers."""
    for lang in ("nl", "en"):
        qs = questions(lang)
        step = [q.id for q in qs].index("resistance")
        msgs: Messages = parse_messages(lang, read_toml(lang, "messages"))
        ctx = PollInputs(person("anna").key, 1, qs, {}, msgs, T0)
        state = ConversationState(person("anna").key, 1, step, Phase.ASKING, T0)
        refused = choose(ctx, state, ("purchasing", "nowhere"))
        assert refused.answers == () and refused.state.step == step
        assert REFUSED[lang] in texts(list(refused.replies))
        alone = choose(ctx, state, ("nowhere",))
        assert [a.choices for a in alone.answers] == [("nowhere",)]


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await make_harness(tmp_path)
    yield harness
    await harness.app.close()


async def stored(h: Harness, name: str) -> dict[str, tuple[str, ...]]:
    campaign = await h.app.store.latest_campaign()
    assert campaign is not None
    answers = await h.app.store.answers_of(campaign.id, person(name).key)
    return {a.question_id: a.choices for a in answers}


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_a_combination_with_an_exclusive_option_is_refused_and_asked_again(
    h: Harness, lang: str
) -> None:
    lead = await make_lead(h)
    await h.say(lead, "start anna")
    anna = person("anna", lang)
    await h.click(anna, "discipline", "sales")
    await h.say(anna, "Kwaliteit." if lang == "nl" else "Quality.")  # mission
    await h.say(anna, "overslaan" if lang == "nl" else "skip")  # goals
    await h.say(anna, "Gedragscode." if lang == "nl" else "Our code.")  # translation
    await h.say(anna, "1")  # drivers
    skip = "overslaan" if lang == "nl" else "skip"
    await h.say(anna, skip)  # its why
    for qid, other, to_ask in (
        ("trends", "materials", "[6/9]"),
        ("legislation", "forced_labour", "[7/9]"),
    ):
        exclusive = EXCLUSIVE[qid]
        typed = f"{number(lang, qid, other)},{number(lang, qid, exclusive)}"
        replies = texts(await h.say(anna, typed))
        assert f"“{label(lang, qid, exclusive)}” {REFUSED[lang]}" in replies
        assert to_ask in replies  # the same question again
        assert qid not in await stored(h, "anna")
        # The exclusive option alone is an answer.
        replies = texts(await h.say(anna, str(number(lang, qid, exclusive))))
        assert NOTED[lang].format(label(lang, qid, exclusive)) in replies
        assert (await stored(h, "anna"))[qid] == (exclusive,)
        await h.say(anna, skip)  # its why
    await h.say(anna, "Praten." if lang == "nl" else "Talk.")  # mobilise
    replies = texts(await h.say(anna, f"1,{number(lang, 'resistance', 'nowhere')}"))
    assert f"“{label(lang, 'resistance', 'nowhere')}” {REFUSED[lang]}" in replies
    assert "[9/9]" in replies
    assert "resistance" not in await stored(h, "anna")
    await h.say(anna, "1,2")  # other choices together are fine
    assert (await stored(h, "anna"))["resistance"] == ("purchasing", "management")


@pytest.fixture
async def hs(store_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """The real engine on each store (SQLite and PostgreSQL)."""
    settings = Settings(
        database_url=store_url, language="en", draft_dir=tmp_path / "drafts", anonymity_min=2
    )
    clock, transport = FakeClock(), ConsoleTransport()
    app = await open_app(settings, transport=transport, clock=clock)
    yield Harness(app, transport, clock, tmp_path / "unused.db", settings)
    await app.close()


async def test_a_stored_combination_counts_as_its_real_choices_only(hs: Harness) -> None:
    h = hs
    lead = await make_lead(h)
    names = ("anna", "bram", "cees", "dirk")
    await h.say(lead, "start " + " ".join(names))
    campaign = await h.app.store.latest_campaign()
    assert campaign is not None
    picks = {
        "anna": ("purchasing", "nowhere"),  # stored before combinations were refused
        "bram": ("purchasing", "management", "nowhere"),
        "cees": ("nowhere",),
        "dirk": ("management",),
    }
    answers = []
    for name, chosen in picks.items():
        key = person(name).key
        answers.append(Answer(campaign.id, key, "discipline", choices=("sales",), answered_at=T0))
        answers.append(Answer(campaign.id, key, "resistance", choices=chosen, answered_at=T0))
    await h.app.store.commit_turn(Turn(None, Effects(answers=tuple(answers)), at=T0))

    # The tally as counted for every report, from the store's aggregate query.
    resistance = next(q for q in questions("en") if q.id == "resistance")
    collected = await h.app.store.tally(campaign.id)
    counts, answered = count_choices(resistance, collected.question("resistance").picked())
    assert (counts["purchasing"], counts["management"], counts["nowhere"], answered) == (2, 2, 1, 4)

    labels = {k: label("en", "resistance", k) for k in ("purchasing", "management", "nowhere")}
    manager = person("manny")
    await h.app.store.set_role(manager.key, Role.MANAGER, True)
    card = (await h.say(manager, "digest"))[0]
    assert isinstance(card, Card)
    section = next(s for s in card.sections if labels["purchasing"] in dict(s.fields))
    assert list(section.fields) == [
        (labels["purchasing"], "2"),
        (labels["management"], "2"),
        (labels["nowhere"], "1"),
    ]

    share = shared(await h.say(lead, "draft"))
    assert isinstance(share, FileShare)
    markdown = next(Path(p) for p in share.locations if p.endswith(".md")).read_text()
    for key, count in (("purchasing", 2), ("management", 2), ("nowhere", 1)):
        row = re.search(rf"^\| {re.escape(labels[key])} \| (\d+) \|", markdown, re.M)
        assert row is not None, labels[key]
        assert int(row.group(1)) == count
