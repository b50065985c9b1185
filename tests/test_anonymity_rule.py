"""One anonymity rule (`bot.reporting.draft.anonymity.disclose`) in the draft (Markdown and
Word), its charts, the digest and `status`: campaigns of 3, 5, 11 and 200 respondents, with
discipline groups of 1, 4 and 6 (and a large one), k = 5."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
import pytest

from bot.content.draft_texts import DraftTexts
from bot.core.domain import Role
from bot.core.messages import Card
from bot.reporting.charts import draft_charts
from bot.reporting.digest_card import build_digest
from bot.reporting.draft.builder import build_draft
from bot.reporting.draft.collect import collect
from bot.reporting.draft.docx import render_docx
from bot.reporting.draft.markdown import render_markdown
from bot.reporting.draft.model import Chart, Heading, Paragraph, PolicyDraft, Quote, Table
from tests.harness import make_harness, make_lead, person, texts
from tests.packs import pack
from tests.polls import T0, Poll, campaign

K = 5
# respondents → the size of each discipline group
GROUPS = {
    3: {"design": 1, "sales": 2},
    5: {"design": 1, "sales": 4},
    11: {"design": 1, "sales": 4, "purchasing": 6},
    200: {"design": 1, "sales": 4, "purchasing": 6, "logistics": 189},
}
SECRET = "Only-I-would-say-this"


def poll(groups: dict[str, int]) -> Poll:
    made = Poll()
    n = 0
    for discipline, size in groups.items():
        for _ in range(size):
            key = made.respondent(n, discipline, mission=f"{SECRET} {discipline} {n}.")
            made.answer(key, "trends", "transparency")
            n += 1
    return made


def shown_groups(rows: tuple[tuple[str, ...], ...], skip: set[str]) -> set[str]:
    return {row[0] for row in rows} - skip


def participation_groups(draft: PolicyDraft, texts_: DraftTexts) -> set[str]:
    """The groups "Who took part" shows: its table's rows; none when it is the sentence that
    says only the total (a table of one row)."""
    for block in draft.blocks:
        if isinstance(block, Table) and block.header[0] == texts_.label("discipline"):
            return shown_groups(block.rows, {texts_.label("rest"), texts_.label("total")})
    start = draft.blocks.index(Heading(texts_.label("participation"), 2))
    total = draft.blocks[start + 2]
    assert isinstance(total, Paragraph) and total.text == texts_.label(
        "participation_total", count=draft.figures[0][1]
    )
    return set()


@pytest.mark.parametrize("respondents", sorted(GROUPS))
def test_the_same_rule_in_the_draft_its_charts_and_the_digest(respondents: int) -> None:
    groups = GROUPS[respondents]
    answers = poll(groups)
    camp = campaign("en")
    collected = collect(camp, answers.participants, answers.answers)
    assert collected.respondents == respondents
    en = pack("en")
    draft = build_draft(
        campaign=camp, collected=collected, owners=(), pack=en, generated_at=T0, anonymity_min=K
    )
    digest = build_digest(
        campaign=camp,
        collected=collected,
        owners=(),
        pack=en,
        now=T0,
        today=date(2026, 11, 2),
        anonymity_min=K,
        previous=None,
        pictures=True,
    )
    markdown = render_markdown(draft, en.draft_template)
    pictures = draft_charts(draft)
    word = docx.Document(io.BytesIO(render_docx(draft, None, pictures)))
    word_text = "\n".join(p.text for p in word.paragraphs)
    labels = {o.key: o.label for q in en.questions if q.id == "discipline" for o in q.options}
    texts_ = en.draft
    quotes = [b for b in draft.blocks if isinstance(b, Quote)]
    charts = [b for b in draft.blocks if isinstance(b, Chart)]
    drafted = participation_groups(draft, texts_)
    digested = {
        name
        for s in digest.card.sections
        if s.title == en.digest("disciplines.title")
        for name, _ in s.fields
    } - {en.digest("disciplines.rest")}

    if respondents < K:
        # Nothing aggregated and no quote: not in the draft, its files, charts or the digest.
        assert not quotes and not charts and not pictures and not word.inline_shapes
        assert SECRET not in markdown and SECRET not in word_text
        assert texts_.label("withheld", min=K, count=respondents) in markdown
        assert drafted == set() and digested == set() and not digest.card.pictures
        assert SECRET not in digest.card.plain() and SECRET not in digest.markdown
        assert en.digest("choices.too_few", count=respondents, min=K) in digest.card.plain()
        return

    # Counts over the whole campaign: every pick is counted, however small.
    drivers = next(c for c in charts if c.name == "drivers")
    asked = {q.id: q for q in en.questions}
    values = next(o.label for o in asked["drivers"].options if o.key == "values")
    assert dict(drivers.bars)[values] == respondents  # everyone picked it (Poll.respondent)
    assert quotes and SECRET in markdown and len(word.inline_shapes) == len(pictures)
    # A breakdown shows only groups of at least k, and the same ones everywhere.
    merged = {texts_.label("merged_group"): "merged", en.digest("disciplines.merged"): "merged"}
    drafted = {merged.get(g, g) for g in drafted}
    digested = {merged.get(g, g) for g in digested}
    big = {labels[d] for d, size in groups.items() if size >= K} | {"merged"}
    assert drafted <= big and digested <= big
    assert drafted == digested
    if "participation" in pictures:
        bars = {label for label, _ in next(c for c in charts if c.name == "participation").bars}
        assert {merged.get(b, b) for b in bars} - {texts_.label("rest")} == drafted
    # What cannot be shown on its own is never a group: 1 and 4 are always hidden.
    for small in ("design", "sales"):
        assert labels[small] not in drafted and labels[small] not in digested
    # A quote never carries a group.
    assert all(not q.source or q.source not in labels.values() for q in quotes)


async def test_status_names_who_answered_only_to_leads(tmp_path: Path) -> None:
    h = await make_harness(tmp_path, anonymity_min=1)
    try:
        lead = await make_lead(h)
        await h.say(lead, "start anna bram")
        await h.click(person("anna"), "discipline", "purchasing")
        manager = person("manny")
        await h.app.store.set_role(manager.key, Role.MANAGER, True)
        for_lead = texts(await h.say(lead, "status"))
        for_manager = texts(await h.say(manager, "status"))
        assert "Anna" in for_lead  # a candidate owner for unowned themes, by name
        assert "Anna" not in for_manager and "anna" not in for_manager
        card = (await h.say(manager, "status"))[0]
        assert isinstance(card, Card) and "Responded: 1" in card.plain()
    finally:
        await h.app.close()
