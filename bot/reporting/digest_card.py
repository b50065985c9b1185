"""The manager digest: where a campaign stands, what changed, and what is still open.

`build_digest` is a pure function: it reads the digest's and the draft's texts (cached) and
nothing else, and returns a neutral card (with a plain-text fallback), the same digest as
Markdown, and a snapshot of the figures the next digest compares with.

A digest never names who answered what, and follows the one anonymity rule
(`bot.reporting.draft.anonymity.Disclosure`): no counts and no quote until the campaign has
`anonymity_min` respondents; then each option's count over the whole campaign, respondents per
discipline only for the groups the rule shows, and one quote without name, id or discipline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

from bot.content.digest_texts import DigestTexts
from bot.content.draft_texts import DraftTexts
from bot.content.library import Pack
from bot.content.themes import THEME_KEYS
from bot.core.domain import Approval, Campaign, DigestSnapshot, OwnerState, Question, ThemeOwner
from bot.core.messages import Card, CardSection, Picture
from bot.flows.owners import owner_by_theme
from bot.reporting.approval_state import ApprovalState, approval_state, sentence
from bot.reporting.charts import chart_png
from bot.reporting.draft.anonymity import MERGED, Disclosure, disclose
from bot.reporting.draft.collect import DISCIPLINE_QUESTION, UNKNOWN_DISCIPLINE, Collected
from bot.reporting.draft.markdown import escape_inline
from bot.reporting.draft.parts import chart, count_choices
from bot.reporting.draft.quotes import select_quotes
from bot.reporting.draft.safety import strip_invalid

DRIVERS = "drivers"
RESISTANCE = "resistance"
QUOTED = (RESISTANCE,)  # the only question whose free texts a digest reads (for its one quote)
TOP_DRIVERS = 3
# The discipline option that is a catch-all, not a part of the company to hear from.
CATCH_ALL = "other"
# A quote longer than this is cut at a word: a digest is read at a glance.
MAX_QUOTE_CHARS = 300

Escape = Callable[[str], str]


@dataclass(frozen=True)
class Digest:
    """A manager digest as a neutral card, as Markdown, and the figures it was built from."""

    card: Card
    markdown: str
    snapshot: DigestSnapshot


@dataclass(frozen=True)
class _Facts:
    """Everything the digest shows, computed once and rendered twice (card and Markdown)."""

    campaign: Campaign
    collected: Collected  # as the anonymity rule lets it be shown (`disclosure.collected`)
    disclosure: Disclosure
    by_id: Mapping[str, Question]  # in the poll's order
    owner_of: Mapping[str, ThemeOwner]
    today: date
    minimum: int
    previous: DigestSnapshot | None
    snapshot: DigestSnapshot
    hint: Mapping[str, Sequence[str]]
    texts: DigestTexts
    draft: DraftTexts
    esc: Escape  # makes people's text (and content labels) safe for the output at hand
    approval: ApprovalState


@dataclass(frozen=True)
class _Part:
    """One section of the digest; `style` says how its lines read: prose, a list or a quote."""

    title: str
    lines: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    style: Literal["text", "list", "quote"] = "text"
    # The counts this part shows, to draw as a bar chart (`chart` names the picture file).
    bars: tuple[tuple[str, int], ...] = ()
    chart: str = ""


def build_digest(
    *,
    campaign: Campaign,
    collected: Collected,
    owners: Sequence[ThemeOwner],
    pack: Pack,
    now: datetime,
    today: date,
    anonymity_min: int,
    previous: DigestSnapshot | None,
    unowned_hint: Mapping[str, Sequence[str]] | None = None,
    pictures: bool = False,
    approvals: Sequence[Approval] = (),
) -> Digest:
    """Builds the manager digest of `campaign` as it stands at `now`.

    `collected` holds the participants' answers (`Store.tally`, or
    `bot.reporting.draft.collect` for answers in memory). `unowned_hint` may give, per theme key,
    the labels of disciplines worth asking about a theme nobody owns yet. With `pictures`, the
    card carries bar charts of the counts it shows (disciplines, drivers, resistance): the
    same figures, so the same anonymity.
    """
    texts = pack.digest
    owner_of = owner_by_theme(owners)
    accepted = sum(o.state is OwnerState.ACCEPTED for k, o in owner_of.items() if k in THEME_KEYS)
    snapshot = DigestSnapshot(
        at=now,
        invited=collected.invited,
        responded=collected.respondents,
        finished=collected.completed,
        owners_accepted=accepted,
    )
    by_id = {q.id: q for q in pack.questions}
    options = by_id[DISCIPLINE_QUESTION].options if DISCIPLINE_QUESTION in by_id else ()
    labels = {UNKNOWN_DISCIPLINE: texts("disciplines.unknown")} | {o.key: o.label for o in options}
    disclosure = disclose(
        collected,
        labels,
        [o.key for o in options],
        max(1, anonymity_min),
        texts("disciplines.merged"),
    )
    facts = _Facts(
        campaign=campaign,
        collected=disclosure.collected,
        disclosure=disclosure,
        by_id=by_id,
        owner_of=owner_of,
        today=today,
        minimum=max(1, anonymity_min),
        previous=previous,
        snapshot=snapshot,
        hint=unowned_hint or {},
        texts=texts,
        draft=pack.draft,
        esc=_plain,
        approval=approval_state(approvals),
    )
    title = texts("title", id=campaign.id)
    parts = _parts(facts)
    sections = tuple(_card_section(p) for p in parts)
    fallback = "\n\n".join([title, *(s.plain() for s in sections)])
    drawn = _pictures(facts, parts) if pictures else ()
    card = Card(title=title, sections=sections, fallback=fallback, pictures=drawn)
    markdown = _markdown(title, _parts(replace(facts, esc=escape_inline)))
    return Digest(card=card, markdown=markdown, snapshot=snapshot)


def _pictures(f: _Facts, parts: Sequence[_Part]) -> tuple[Picture, ...]:
    """A chart of each part that shows two or more counts."""
    pictures = []
    for part in parts:
        if len(part.bars) >= 2:
            drawn = chart(f.draft, part.chart, part.title, part.bars)
            name = f"imvo-digest-{f.campaign.id}-{part.chart}.png"
            pictures.append(Picture(name, chart_png(drawn, f.draft.language), drawn.alt))
    return tuple(pictures)


def _plain(value: str) -> str:
    """People's text for the card: on one line, without characters no client can show."""
    return " ".join(strip_invalid(value).split())


def _parts(f: _Facts) -> list[_Part]:
    """The digest's sections, in the order a manager reads them."""
    parts = [
        _timeline(f),
        _changes(f),
        _participation(f),
        _disciplines(f),
        _choices(f, DRIVERS, "drivers.title", top=TOP_DRIVERS, share=True),
        _choices(f, RESISTANCE, "resistance.title", top=None, share=False),
        _quote(f),
        _theme_owners(f),
        _approval(f),
        _open_items(f),
        _Part(title="", lines=(f.texts("footer", min=f.minimum),)),
    ]
    return [p for p in parts if p is not None]


def _date(draft: DraftTexts, day: date) -> str:
    return draft.format_date(day.day, day.month, day.year)


def _timeline(f: _Facts) -> _Part:
    texts, draft = f.texts, f.draft
    campaign = f.campaign
    if campaign.running:
        state = texts("timeline.running")
    elif campaign.closed_at is not None:
        state = texts("timeline.closed", date=_date(draft, campaign.closed_at.date()))
    else:
        state = texts("timeline.closed_undated")
    if campaign.deadline is None:
        deadline = texts("timeline.no_deadline")
    else:
        days = (campaign.deadline - f.today).days
        special = {1: "one_day_left", 0: "today", -1: "passed_yesterday"}
        key = special.get(days, "days_left" if days > 1 else "passed")
        when = _date(draft, campaign.deadline)
        deadline = texts(f"timeline.{key}", date=when, days=abs(days))
    fields = ((texts("timeline.deadline"), deadline),)
    return _Part(title=texts("timeline.title"), lines=(state,), fields=fields)


def _changes(f: _Facts) -> _Part:
    texts, draft = f.texts, f.draft
    before, now = f.previous, f.snapshot
    if before is None:
        line = texts("changes.first")
    else:
        line = texts(
            "changes.since",
            responded=f"{now.responded - before.responded:+d}",
            finished=f"{now.finished - before.finished:+d}",
            owners=f"{now.owners_accepted - before.owners_accepted:+d}",
            date=_date(draft, before.at.date()),
        )
    return _Part(title=texts("changes.title"), lines=(line,))


def _participation(f: _Facts) -> _Part:
    texts, draft = f.texts, f.draft
    c = f.collected
    rate = round(100 * c.respondents / c.invited) if c.invited else 0
    return _Part(
        title=texts("participation.title"),
        fields=(
            (texts("participation.invited"), str(c.invited)),
            (texts("participation.responded"), str(c.respondents)),
            (texts("participation.finished"), str(c.completed)),
            (texts("participation.rate"), draft.percent(rate)),
        ),
    )


def _disciplines(f: _Facts) -> _Part:
    """Respondents per discipline group; small disciplines merged or only in the total.

    `breakdown()` leaves out one more group when some respondents are hidden, so that the
    total minus the groups shown never singles anyone out. With nobody hidden, every group has
    at least `minimum` people and they add up to the total, so all of them can be shown.
    """
    texts, esc = f.texts, f.esc
    disclosure = f.disclosure
    grouping = disclosure.grouping
    # One group holding everyone only repeats the total, which is shown anyway.
    whole = grouping.groups if not grouping.hidden and not disclosure.withheld else ()
    shown = disclosure.groups or whole
    title = texts("disciplines.title")
    if all(group.key == MERGED for group in shown):  # none, or only "other disciplines"
        return _Part(title=title, lines=(texts("disciplines.too_few", min=f.minimum),))
    bars = [(group.label, group.size) for group in shown]
    rest = f.collected.respondents - sum(group.size for group in shown)
    if rest:
        bars.append((texts("disciplines.rest"), rest))
    fields = tuple((esc(label), str(size)) for label, size in bars)
    return _Part(title=title, fields=fields, bars=tuple(bars), chart="participation")


def _choices(f: _Facts, qid: str, title_key: str, *, top: int | None, share: bool) -> _Part | None:
    """Option counts of one choice question, most chosen first, once enough people answered.

    Below `minimum` respondents in the campaign, no counts at all (the anonymity rule, see
    `Disclosure`); from then on every option's count over the whole campaign.
    """
    texts, draft, esc = f.texts, f.draft, f.esc
    question = f.by_id.get(qid)
    if question is None or not question.options:
        return None
    title = texts(title_key)
    if f.disclosure.withheld:  # the anonymity rule: no counts below k respondents
        respondents = f.disclosure.collected.respondents
        return _Part(
            title=title, lines=(texts("choices.too_few", count=respondents, min=f.minimum),)
        )
    counts, answered = count_choices(question, f.collected.question(qid).picked())
    if not answered:
        return _Part(title=title, lines=(texts("choices.none"),))
    order = {o.key: index for index, o in enumerate(question.options)}
    ranked = sorted(question.options, key=lambda o: (-counts[o.key], order[o.key]))
    chosen = [o for o in ranked if counts[o.key]]
    fields: list[tuple[str, str]] = []
    bars: list[tuple[str, int]] = []
    for option in chosen[:top] if top is not None else chosen:
        count = counts[option.key]
        value = str(count)
        if share:
            percent = draft.percent(round(100 * count / answered))
            value = texts("choices.count_share", count=count, share=percent)
        fields.append((esc(option.label), value))
        bars.append((option.label, count))
    lines = [texts("choices.answered", count=answered)]
    return _Part(title=title, lines=tuple(lines), fields=tuple(fields), bars=tuple(bars), chart=qid)


def _shorten(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,;:.") + "…"


def _quote(f: _Facts) -> _Part | None:
    """The strongest "why" on resistance, without name, user id or discipline.

    Shown only once the campaign has `minimum` respondents (the anonymity rule).
    """
    answers = f.collected.question(RESISTANCE)  # empty below k respondents (the rule)
    if not answers.texts:
        return None
    # The discipline stays behind: the quote's source is deliberately empty.
    selection = select_quotes([(text, "") for text, _ in answers.texts], 1)
    if not selection.quotes:
        return None
    text = _shorten(selection.quotes[0][0])
    line = f.texts("quote.text", text=f.esc(text))
    return _Part(title=f.texts("quote.title"), lines=(line,), style="quote")


def _theme_owners(f: _Facts) -> _Part:
    texts, esc = f.texts, f.esc
    fields: list[tuple[str, str]] = []
    for theme in f.draft.themes:
        owner = f.owner_of.get(theme.key)
        if owner is None:
            hint = f.hint.get(theme.key, ())
            labels = [hint] if isinstance(hint, str) else [h for h in hint if h.strip()]
            asked = ", ".join(esc(h) for h in labels)
            value = texts("owners.ask", disciplines=asked) if labels else texts("owners.open")
        else:
            name = esc(owner.display_name) if owner.display_name.strip() else ""
            name = name or texts("owners.unnamed")
            accepted = owner.state is OwnerState.ACCEPTED
            value = name if accepted else texts("owners.proposed", name=name)
        fields.append((esc(theme.name), value))
    summary = texts("owners.summary", owned=f.snapshot.owners_accepted, total=len(THEME_KEYS))
    return _Part(title=texts("owners.title"), lines=(summary,), fields=tuple(fields))


def _approval(f: _Facts) -> _Part:
    """Where the draft stands with top management (`approval_state`)."""
    texts = f.texts
    line = sentence(f.approval, lambda key, **values: texts(f"approval.{key}", **values))
    return _Part(title=texts("approval.title"), lines=(f.esc(line),))


def _open_items(f: _Facts) -> _Part:
    """Questions nobody answered, themes without an accepted owner, disciplines not heard."""
    texts, esc = f.texts, f.esc
    lines: list[str] = []
    unanswered = [q.title for q in f.by_id.values() if not f.collected.question(q.id).people]
    if unanswered:
        lines.append(texts("open.unanswered", questions=", ".join(esc(t) for t in unanswered)))
    unowned = len(THEME_KEYS) - f.snapshot.owners_accepted
    if unowned:
        lines.append(texts("open.unowned", count=unowned))
    question = f.by_id.get(DISCIPLINE_QUESTION)
    if question is not None:
        heard = f.collected.disciplines
        unheard = [o.label for o in question.options if o.key != CATCH_ALL and not heard.get(o.key)]
        if unheard:
            lines.append(texts("open.unheard", disciplines=", ".join(esc(u) for u in unheard)))
    if not lines:
        return _Part(title=texts("open.title"), lines=(texts("open.none"),))
    return _Part(title=texts("open.title"), lines=tuple(lines), style="list")


def _card_section(part: _Part) -> CardSection:
    lines = [f"- {line}" for line in part.lines] if part.style == "list" else list(part.lines)
    return CardSection(title=part.title, body="\n".join(lines), fields=part.fields)


def _markdown(title: str, parts: Sequence[_Part]) -> str:
    """The digest as Markdown; every value from people or content was escaped by `_parts`."""
    out = [f"# {title}"]
    for part in parts:
        if part.title:
            out.append(f"## {part.title}")
        if part.style == "list":
            out.append("\n".join(f"- {line}" for line in part.lines))
        elif part.style == "quote":
            out.append("\n".join(f"> {line}" for line in part.lines))
        else:
            out += [line for line in part.lines if line]
        if part.fields:
            out.append("\n".join(f"- {name}: {value}" for name, value in part.fields))
    return "\n\n".join(block for block in out if block) + "\n"
