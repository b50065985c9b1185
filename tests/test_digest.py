"""The manager digest, built from synthetic campaigns in both languages: content, anonymity,
escaping, what changed, the deadline and the snapshot it leaves for the next digest."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.content.digest_texts import KEYS, load_digest_texts
from bot.content.loader import ContentError, content_root
from bot.content.themes import THEME_KEYS
from bot.core.domain import (
    Campaign,
    DigestSnapshot,
    OwnerState,
    ThemeOwner,
)
from bot.core.messages import CardSection
from bot.reporting.digest_card import Digest, build_digest
from bot.reporting.draft.collect import collect
from storage.rows import digest_json, digest_snapshot
from tests.packs import digest_texts, draft_texts, pack
from tests.polls import T0, Poll, campaign, person, questions

TODAY = date(2026, 11, 9)
NOW = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
LANGS = ("en", "nl")
MIN = 5
STRONG = (
    "Purchasing fears higher prices, longer lead times and fewer suppliers to choose from "
    "once audits begin."
)
# Enough different words to make a hostile text the strongest "why" of the standard poll.
TAIL = (
    " because margins, deadlines, retailers, budgets, audits, factory visits, certificates, "
    "freight costs, currency risks and seasonal collections all compete for attention"
)
HOSTILE = ("[x](http://evil)", "<!channel>", '=HYPERLINK("http://evil","x")')
OWNERS = ("Anna Owner", "Piet Proposal")


# --- helpers ------------------------------------------------------------------------------


def labels(lang: str, qid: str) -> dict[str, str]:
    return {o.key: o.label for q in questions(lang) if q.id == qid for o in q.options}


def standard_poll() -> Poll:
    """14 respondents (7 purchasing, 5 design, 2 sales), 13 finished, one silent invitee.

    Drivers: customers 14, values 10, reputation 6, supply 5, legislation 2, efficiency 1.
    Resistance: purchasing 8, management 5, finance 2. Five people first picked "suppliers"
    and changed their minds; five non-participants (all HR) said "sales": neither counts.
    """
    poll = Poll()
    for i in range(14):
        key = poll.invite(i, finished=i != 13)
        discipline = "purchasing" if i < 7 else "design" if i < 12 else "sales"
        poll.answer(key, "discipline", discipline)
        drivers = ["customers"]
        drivers += ["values"] if i < 10 else []
        drivers += ["reputation"] if i < 6 else ["supply"] if i < 11 else []
        drivers += ["legislation"] if i in (11, 12) else ["efficiency"] if i == 13 else []
        poll.answer(key, "drivers", *drivers)
        if i < 5:
            poll.answer(key, "resistance", "suppliers", text="Retracted remark.")
        resistance = ["purchasing"] if i < 8 else ["management"] if i < 13 else []
        resistance += ["finance"] if i in (0, 13) else []
        why = STRONG if i == 3 else "Costs go up." if i < 6 else None
        poll.answer(key, "resistance", *resistance, text=why)
        poll.answer(key, "mission", text=f"Fair clothes, view {i}.")
    poll.invite(99, finished=False)
    for n in range(200, 205):  # not invited to this campaign
        poll.answer(person(n), "discipline", "hr")
        poll.answer(person(n), "resistance", "sales", text="Outsider remark.")
    return poll


def owners() -> tuple[ThemeOwner, ...]:
    return (
        ThemeOwner("living-wage", person(50), OwnerState.ACCEPTED, T0, display_name=OWNERS[0]),
        ThemeOwner("child-labour", person(51), OwnerState.PROPOSED, T0, display_name=OWNERS[1]),
    )


def build(
    poll: Poll,
    lang: str,
    *,
    camp: Campaign | None = None,
    previous: DigestSnapshot | None = None,
    hint: Mapping[str, Sequence[str]] | None = None,
    owned: Sequence[ThemeOwner] | None = None,
) -> Digest:
    camp = camp or campaign(lang, deadline=date(2026, 11, 19))
    return build_digest(
        campaign=camp,
        collected=collect(camp, poll.participants, poll.answers),
        owners=owners() if owned is None else owned,
        pack=pack(lang),
        now=NOW,
        today=TODAY,
        anonymity_min=MIN,
        previous=previous,
        unowned_hint=hint,
    )


def section(digest: Digest, lang: str, title_key: str) -> CardSection:
    title = digest_texts(lang)(title_key)
    found = [s for s in digest.card.sections if s.title == title]
    assert len(found) == 1, title
    return found[0]


def has_section(digest: Digest, lang: str, title_key: str) -> bool:
    return any(s.title == digest_texts(lang)(title_key) for s in digest.card.sections)


def when(lang: str, day: date) -> str:
    return draft_texts(lang).format_date(day.day, day.month, day.year)


@pytest.fixture(params=LANGS)
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --- content ------------------------------------------------------------------------------


def test_both_languages_have_every_key_with_its_placeholders() -> None:
    texts = load_digest_texts()
    assert set(texts["en"].strings) == set(texts["nl"].strings) == set(KEYS)
    assert texts["en"]("title", id=7) != texts["nl"]("title", id=7)


def test_a_missing_or_broken_key_is_reported_with_file_and_key(tmp_path: Path) -> None:
    for code in LANGS:
        (tmp_path / code).mkdir()
        shutil.copy(Path(str(content_root())) / code / "digest.toml", tmp_path / code)
    broken = tmp_path / "nl" / "digest.toml"
    original = broken.read_text("utf-8")
    broken.write_text(re.sub(r"(?m)^rest = .*$", "", original), "utf-8")
    with pytest.raises(ContentError, match=r"content/nl/digest.toml: disciplines.rest: missing"):
        load_digest_texts(tmp_path)
    broken.write_text(original.replace("{owned} van de {total}", "{owned} van 9"), "utf-8")
    with pytest.raises(ContentError, match=r"owners.summary: placeholders must be exactly"):
        load_digest_texts(tmp_path)


# --- every part ---------------------------------------------------------------------------


def test_every_part_is_in_the_card_its_fallback_and_the_markdown(lang: str) -> None:
    digest = build(standard_poll(), lang)
    texts = digest_texts(lang)
    card = digest.card
    assert card.title == texts("title", id=7) and card.fallback and card.plain() == card.fallback
    parts = (
        "timeline.title", "changes.title", "participation.title", "disciplines.title",
        "drivers.title", "resistance.title", "quote.title", "owners.title", "open.title",
    )  # fmt: skip
    for key in parts:
        assert texts(key) in card.fallback, key
        assert re.search(rf"(?m)^## {re.escape(texts(key))}$", digest.markdown), key
    assert digest.markdown.startswith(f"# {card.title}\n")
    assert texts("footer", min=MIN) in card.fallback and texts("footer", min=MIN) in digest.markdown


def test_participation_overall(lang: str) -> None:
    digest = build(standard_poll(), lang)
    texts = digest_texts(lang)
    figures = dict(section(digest, lang, "participation.title").fields)
    assert figures == {
        texts("participation.invited"): "15",
        texts("participation.responded"): "14",
        texts("participation.finished"): "13",
        texts("participation.rate"): "93%",
    }
    assert (digest.snapshot.invited, digest.snapshot.responded) == (15, 14)
    assert (digest.snapshot.finished, digest.snapshot.owners_accepted) == (13, 1)
    assert digest.snapshot.at == NOW


def test_top_three_drivers_with_share(lang: str) -> None:
    digest = build(standard_poll(), lang)
    texts = digest_texts(lang)
    options = labels(lang, "drivers")
    drivers = section(digest, lang, "drivers.title")
    assert list(drivers.fields) == [
        (options["customers"], "14 (100%)"),
        (options["values"], "10 (71%)"),
        (options["reputation"], "6 (43%)"),
    ]
    assert texts("choices.answered", count=14) in drivers.body
    for small in ("legislation", "efficiency", "supply"):
        assert options[small] not in drivers.plain()


def test_resistance_counts_only_latest_answers_of_participants(lang: str) -> None:
    digest = build(standard_poll(), lang)
    texts = digest_texts(lang)
    options = labels(lang, "resistance")
    resistance = section(digest, lang, "resistance.title")
    # Counts over the whole campaign (it has k respondents): finance's 2 as well.
    assert list(resistance.fields) == [
        (options["purchasing"], "8"),
        (options["management"], "5"),
        (options["finance"], "2"),
    ]
    assert texts("choices.other") not in resistance.plain()
    text = digest.card.plain() + digest.markdown
    # Five stale "suppliers" answers and five non-participants' "sales" would each reach 5.
    for stale in ("suppliers", "sales"):
        assert options[stale] not in resistance.plain()
    assert "Retracted" not in text and "Outsider" not in text


def test_the_strongest_quote_stands_alone_without_name_or_discipline(lang: str) -> None:
    digest = build(standard_poll(), lang)
    texts = digest_texts(lang)
    quote = section(digest, lang, "quote.title")
    assert quote.body == texts("quote.text", text=STRONG) and not quote.fields
    assert f"> {texts('quote.text', text=STRONG)}" in digest.markdown
    disciplines = labels(lang, "discipline").values()
    assert not any(label in quote.plain() for label in disciplines)


def test_theme_owners_for_all_nine_themes_with_hints_for_open_ones(lang: str) -> None:
    hint = {"forced-labour": ("Purchasing", "Design"), "living-wage": ("Finance",)}
    digest = build(standard_poll(), lang, hint=hint)
    texts = digest_texts(lang)
    fields = dict(section(digest, lang, "owners.title").fields)
    names = {t.key: t.name for t in draft_texts(lang).themes}
    assert list(fields) == list(names.values())
    assert fields[names["living-wage"]] == OWNERS[0]  # accepted: the hint is not used
    assert fields[names["child-labour"]] == texts("owners.proposed", name=OWNERS[1])
    assert fields[names["forced-labour"]] == texts("owners.ask", disciplines="Purchasing, Design")
    assert fields[names["animal-welfare"]] == texts("owners.open")
    assert texts("owners.summary", owned=1, total=9) in digest.card.plain()
    assert digest.card.plain().count(OWNERS[0]) == 1
    english = {"en": "proposed: Piet Proposal", "nl": "voorgesteld: Piet Proposal"}
    assert english[lang] in digest.markdown


def test_open_items_list_questions_owners_and_unheard_disciplines(lang: str) -> None:
    digest = build(standard_poll(), lang)
    texts = digest_texts(lang)
    body = section(digest, lang, "open.title").body
    titles = {q.id: q.title for q in questions(lang)}
    unanswered = [titles[q] for q in ("goals", "translation", "trends", "legislation", "mobilise")]
    assert f"- {texts('open.unanswered', questions=', '.join(unanswered))}" in body.splitlines()
    assert f"- {texts('open.unowned', count=8)}" in body.splitlines()
    disciplines = labels(lang, "discipline")
    unheard = [disciplines[k] for k in ("marketing", "csr", "management", "logistics")]
    unheard += [disciplines[k] for k in ("finance", "hr")]
    assert f"- {texts('open.unheard', disciplines=', '.join(unheard))}" in body.splitlines()
    assert disciplines["other"] not in body


def test_nothing_open_when_all_is_answered_and_owned(lang: str) -> None:
    poll = Poll()
    everyone = [k for k in labels(lang, "discipline") if k != "other"]
    for i, discipline in enumerate(everyone):
        key = poll.invite(i)
        poll.answer(key, "discipline", discipline)
        for q in questions(lang)[1:]:
            poll.answer(key, q.id, *(o.key for o in q.options[:1]), text="Yes.")
    owned = [
        ThemeOwner(theme, person(60 + i), OwnerState.ACCEPTED, T0, display_name=f"Owner {i}")
        for i, theme in enumerate(THEME_KEYS)
    ]
    digest = build(poll, lang, owned=owned)
    assert section(digest, lang, "open.title").body == digest_texts(lang)("open.none")


# --- anonymity ----------------------------------------------------------------------------


def test_a_discipline_of_two_is_not_shown_and_cannot_be_worked_out(lang: str) -> None:
    digest = build(standard_poll(), lang)
    texts = digest_texts(lang)
    disciplines = labels(lang, "discipline")
    fields = section(digest, lang, "disciplines.title").fields
    # Sales (2) is hidden; design (5) is left out too, or 14 - 7 - 5 would give away sales.
    assert list(fields) == [(disciplines["purchasing"], "7"), (texts("disciplines.rest"), "7")]


def test_small_disciplines_are_merged_when_together_large_enough(lang: str) -> None:
    poll = Poll()
    for i, discipline in enumerate(["purchasing"] * 7 + ["sales"] * 3 + ["hr"] * 2):
        poll.answer(poll.invite(i), "discipline", discipline)
    digest = build(poll, lang)
    texts = digest_texts(lang)
    fields = section(digest, lang, "disciplines.title").fields
    purchasing = labels(lang, "discipline")["purchasing"]
    assert list(fields) == [(purchasing, "7"), (texts("disciplines.merged"), "5")]


def test_one_discipline_large_enough_is_shown_alone(lang: str) -> None:
    poll = Poll()
    for i in range(6):
        poll.answer(poll.invite(i), "discipline", "purchasing")
    fields = section(build(poll, lang), lang, "disciplines.title").fields
    assert list(fields) == [(labels(lang, "discipline")["purchasing"], "6")]


def test_too_few_respondents_show_no_discipline_no_figures_and_no_quote(lang: str) -> None:
    poll = Poll()
    for i in range(4):  # four respondents: below the minimum of five
        key = poll.invite(i)
        poll.answer(key, "discipline", "design" if i < 2 else "purchasing")
        poll.answer(key, "drivers", "customers", *(("values",) if i < 2 else ()))
        poll.answer(key, "resistance", "purchasing", text=f"{STRONG} ({i})")
    digest = build(poll, lang)
    texts = digest_texts(lang)
    design = labels(lang, "discipline")["design"]
    assert section(digest, lang, "disciplines.title").body == texts("disciplines.too_few", min=MIN)
    assert design not in section(digest, lang, "disciplines.title").plain()
    for title in ("drivers.title", "resistance.title"):
        assert section(digest, lang, title).body == texts("choices.too_few", count=4, min=MIN)
        assert not section(digest, lang, title).fields
    assert not has_section(digest, lang, "quote.title")
    assert "audits" not in digest.card.plain() and "audits" not in digest.markdown
    # A fifth respondent: the campaign has k, and every count (and the quote) is shown.
    key = poll.invite(4)
    poll.answer(key, "discipline", "purchasing")
    poll.answer(key, "drivers", "customers")
    digest = build(poll, lang)
    drivers = section(digest, lang, "drivers.title")
    assert list(drivers.fields) == [
        (labels(lang, "drivers")["customers"], "5 (100%)"),
        (labels(lang, "drivers")["values"], "2 (40%)"),
    ]
    assert has_section(digest, lang, "quote.title")


def test_no_user_id_or_tenant_of_anyone_appears(lang: str) -> None:
    digest = build(standard_poll(), lang, hint={"forced-labour": ("Purchasing",)})
    for text in (digest.card.plain(), digest.markdown, *(s.plain() for s in digest.card.sections)):
        assert "SECRET" not in text and "slack:" not in text
    for name in OWNERS:  # owners are named in the owners section only
        others = [s for s in digest.card.sections if s.title != digest_texts(lang)("owners.title")]
        assert not any(name in s.plain() for s in others)


@pytest.mark.parametrize("payload", HOSTILE)
def test_a_hostile_strongest_quote_is_escaped_in_markdown(lang: str, payload: str) -> None:
    poll = standard_poll()
    poll.answer(person(5), "resistance", "purchasing", text=payload + TAIL)
    digest = build(poll, lang)
    quote = section(digest, lang, "quote.title")
    assert payload in quote.body  # the card carries it as data; adapters render it as text
    md = digest.markdown
    assert payload not in md
    assert not re.search(r"(?m)^\s*[=+@-]", md.replace("\n- ", "\n"))
    escaped = {
        HOSTILE[0]: r"\[x\](http\://evil)",
        HOSTILE[1]: r"\<!channel\>",
        HOSTILE[2]: '\'=HYPERLINK("http\\://evil","x")',
    }
    assert escaped[payload] in md


# --- time ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "key"),
    [(10, "days_left"), (1, "one_day_left"), (0, "today"), (-1, "passed_yesterday"),
     (-3, "passed")],
)  # fmt: skip
def test_days_to_the_deadline(lang: str, offset: int, key: str) -> None:
    deadline = TODAY + timedelta(days=offset)
    digest = build(standard_poll(), lang, camp=campaign(lang, deadline=deadline))
    texts = digest_texts(lang)
    fields = dict(section(digest, lang, "timeline.title").fields)
    expected = texts(f"timeline.{key}", date=when(lang, deadline), days=abs(offset))
    assert fields == {texts("timeline.deadline"): expected}
    if offset == 10:
        phrase = {"en": "19 November 2026, 10 days from now", "nl": "19 november 2026, over 10"}
        assert phrase[lang] in digest.markdown


def test_no_deadline_and_a_running_campaign(lang: str) -> None:
    digest = build(standard_poll(), lang, camp=campaign(lang))
    texts = digest_texts(lang)
    timeline = section(digest, lang, "timeline.title")
    assert dict(timeline.fields) == {texts("timeline.deadline"): texts("timeline.no_deadline")}
    assert timeline.body == texts("timeline.running")


def test_a_closed_campaign_says_so(lang: str) -> None:
    closed = datetime(2026, 11, 5, 17, 0, tzinfo=UTC)
    digest = build(standard_poll(), lang, camp=campaign(lang, TODAY, closed=closed))
    timeline = section(digest, lang, "timeline.title")
    assert timeline.body == digest_texts(lang)("timeline.closed", date=when(lang, closed.date()))
    assert {"en": "closed on 5 November 2026", "nl": "op 5 november 2026 gesloten"}[lang] in (
        digest.markdown
    )
    assert digest_texts(lang)("timeline.running") not in digest.card.plain()


def test_the_first_digest_says_it_is_the_first(lang: str) -> None:
    digest = build(standard_poll(), lang)
    assert section(digest, lang, "changes.title").body == digest_texts(lang)("changes.first")


def test_what_changed_since_the_previous_digest(lang: str) -> None:
    before = DigestSnapshot(
        at=datetime(2026, 10, 26, 8, 0, tzinfo=UTC),
        invited=15,
        responded=10,
        finished=8,
        owners_accepted=0,
    )
    digest = build(standard_poll(), lang, previous=before)
    body = section(digest, lang, "changes.title").body
    expected = {
        "en": "+4 responded, +5 answered everything, +1 theme owners since 26 October 2026",
        "nl": "Sinds 26 oktober 2026: gereageerd +4, alles beantwoord +5, thema-eigenaren +1",
    }
    assert body == expected[lang]
    assert expected[lang] in digest.markdown
    assert digest_texts(lang)("changes.first") not in digest.card.plain()


def test_a_fall_since_the_previous_digest_shows_as_a_minus() -> None:
    before = DigestSnapshot(at=T0, invited=20, responded=16, finished=13, owners_accepted=3)
    digest = build(standard_poll(), "en", previous=before)
    body = section(digest, "en", "changes.title").body
    assert body.startswith("-2 responded, +0 answered everything, -2 theme owners since")


# --- the snapshot ---------------------------------------------------------------------------


def test_snapshot_json_round_trip() -> None:
    snapshot = build(standard_poll(), "en").snapshot
    text = digest_json(snapshot)  # as the store keeps it
    assert json.loads(text) == {
        "at": "2026-11-09T08:00:00+00:00",
        "invited": 15,
        "responded": 14,
        "finished": 13,
        "owners_accepted": 1,
    }
    again = digest_snapshot(text)
    assert again == snapshot and again.at.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"invited": 1, "responded": 1, "finished": 1, "owners_accepted": 1}',
        '{"at": "2026-11-09T08:00:00+00:00", "invited": true, "responded": 1, '
        '"finished": 1, "owners_accepted": 1}',
        '{"at": "yesterday", "invited": 1, "responded": 1, "finished": 1, "owners_accepted": 1}',
        '{"at": "2026-11-09T08:00:00+00:00", "invited": -1, "responded": 1, '
        '"finished": 1, "owners_accepted": 1}',
    ],
)
def test_a_broken_snapshot_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        digest_snapshot(text)
