"""Every answer of a campaign in a spreadsheet, anonymised: `answers-<campaign>.xlsx`.

Compiled with the policy draft (`bot.reporting.compile`), for the CSR lead who wants to read
or count everything colleagues said. The workbook has a read-me sheet (the poll, when the file
was made, how many responded, the anonymity rule, how the sheets are ordered), then one sheet
per poll question (in poll order; the discipline question is the Discipline column instead):
the question, a bold header row that stays in view, and a row per answer with content.

What keeps colleagues anonymous:
- no names or user ids: the store hands over answers without them (`ReportStore.answer_rows`);
- a discipline is shown only for a group the draft shows too, of at least `anonymity_min`
  respondents (the one anonymity rule, `anonymity.disclose`); otherwise the cell is empty;
- rows are ordered by answer, never by person, and rows that give the same answer are ordered
  by what they show (date, discipline), so a row's place on one sheet says nothing about a row
  on another sheet;
- with fewer than `anonymity_min` respondents the workbook has only the read-me sheet.

The answers are read one question at a time (`bot.reporting.answers`, the same pass that counts
them for the draft), and each question is written on a worker thread while the next one is
read: the event loop stays free, and at most two questions' answers are in memory at once (the
file itself is compressed as it is written).
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.content.draft_texts import DraftTexts
from bot.core.domain import Campaign, DraftFile, Question
from bot.core.tallies import DISCIPLINE_QUESTION, AnswerColumns, Collected
from bot.flows.services import Services
from bot.reporting import xlsx
from bot.reporting.draft.anonymity import Disclosure, disclose_draft
from bot.reporting.draft.safety import strip_invalid

COLUMN_WIDTHS = (40, 80, 30, 12)
README_WIDTHS = (22, 100)
HEADER_ROWS = 2  # the question, then the column headings


def workbook_name(campaign_id: int) -> str:
    return f"answers-{campaign_id}.xlsx"


def open_workbook(
    services: Services,
    campaign: Campaign,
    language: str,
    collected: Collected,
    made: datetime,
) -> AnswersBook:
    """The campaign's answers workbook in `language`, with its read-me sheet written; its
    question sheets are written as `bot.reporting.answers.read_answers` reads each question,
    and `AnswersBook.file` closes it. Synchronous: run it on a worker thread.

    `collected` holds the campaign's respondents per discipline (`ReportStore.respondents`, as
    the draft is built from), for the anonymity rule (`anonymity.disclose_draft`); `made` is when.
    """
    pack = services.content.for_language(language)
    questions = tuple(q for q in pack.questions if q.id != DISCIPLINE_QUESTION)
    disclosure = disclose_draft(
        collected, pack.draft, pack.questions, services.settings.anonymity_min
    )
    book = AnswersBook(
        texts=pack.draft,
        questions=() if disclosure.withheld else questions,
        disclosure=disclosure,
        timezone=ZoneInfo(services.settings.timezone),
        campaign_id=campaign.id,
        made=made,
    )
    book.read_me()
    return book


class AnswersBook:
    """The answers workbook being written: the read-me sheet, then each question's sheet, then
    `close` for the file. Synchronous: it runs on a worker thread. `questions` are those with a
    sheet (none when there are fewer than `minimum` respondents)."""

    def __init__(
        self,
        *,
        texts: DraftTexts,
        questions: Sequence[Question],
        disclosure: Disclosure,
        timezone: ZoneInfo,
        campaign_id: int,
        made: datetime,
    ) -> None:
        self.texts = texts
        self.questions = tuple(questions)
        self._index = {q.id: index for index, q in enumerate(self.questions)}
        self.minimum = disclosure.minimum
        self.timezone = timezone
        self.campaign_id = campaign_id
        self.made = made
        self.respondents = disclosure.collected.respondents
        grouping = disclosure.grouping
        shown = {group.key: group.label for group in disclosure.groups}
        # discipline key → the label of its group, where that group is shown
        self.group_label = {
            key: shown[group] for key, group in grouping.group_of.items() if group in shown
        }
        names = xlsx.sheet_names([texts.sheet("sheet_name"), *(q.title for q in self.questions)])
        sheets = [xlsx.Sheet(names[0], README_WIDTHS)]
        sheets += [xlsx.Sheet(name, COLUMN_WIDTHS, HEADER_ROWS) for name in names[1:]]
        self.book = xlsx.Workbook(sheets, texts.sheet("title", id=campaign_id), made)
        # caches: a minute's day (Excel serial, cell); a discipline's shown label and its cell
        self._day_serial: dict[str, int] = {}
        self._day_cell: dict[str, str] = {}
        self._group_label: dict[str, str] = {}
        self._group_cell: dict[str, str] = {}

    def read_me(self) -> None:
        texts, book = self.texts, self.book
        local = self.made.astimezone(self.timezone).date()
        with book.sheet(0) as sheet:
            sheet.row(book.shared(texts.sheet("title", id=self.campaign_id), xlsx.BOLD))
            sheet.row()
            sheet.row(
                book.shared(texts.sheet("campaign"), xlsx.BOLD), xlsx.number(self.campaign_id)
            )
            sheet.row(
                book.shared(texts.sheet("made"), xlsx.BOLD),
                xlsx.number(xlsx.excel_day(local), xlsx.DATE),
            )
            sheet.row(
                book.shared(texts.sheet("respondents"), xlsx.BOLD), xlsx.number(self.respondents)
            )
            sheet.row()
            anonymity = texts.sheet("anonymity", min=self.minimum)
            sheet.row(
                book.shared(texts.sheet("anonymity_label"), xlsx.BOLD),
                book.shared(anonymity, xlsx.WRAP),
            )
            if self.respondents < self.minimum:
                too_few = texts.sheet("too_few", count=self.respondents, min=self.minimum)
                sheet.row(xlsx.EMPTY, book.shared(too_few, xlsx.WRAP))
                return
            sheet.row(
                book.shared(texts.sheet("order_label"), xlsx.BOLD),
                book.shared(texts.sheet("order"), xlsx.WRAP),
            )
            sheet.row(xlsx.EMPTY, book.shared(texts.sheet("long"), xlsx.WRAP))

    def write(self, answers: AnswerColumns) -> None:
        """Writes the sheet of the question `answers` belong to, if it has one."""
        index = self._index.get(answers.question_id)
        if index is not None:
            self.question(index, answers)

    def file(self) -> DraftFile:
        """Closes the workbook: the file."""
        return DraftFile(workbook_name(self.campaign_id), xlsx.MEDIA_TYPE, self.book.close())

    def question(self, index: int, answers: AnswerColumns) -> None:
        """Writes the sheet of the `index`th question (0-based, poll order) with its answers."""
        question, texts, book = self.questions[index], self.texts, self.book
        with book.sheet(index + 1) as sheet:
            sheet.row(book.shared(question.prompt))
            headings = ("answer", "own_words", "discipline", "date")
            sheet.row(*(book.shared(texts.sheet(key), xlsx.BOLD) for key in headings))
            sheet.rows_of(self._rows(question, answers))

    def _rows(self, question: Question, answers: AnswerColumns) -> list[tuple[str, ...]]:
        """The answers' cells, row by row, in the order they come (by answer), except that rows
        with the same answer are put in the order of what they show (date, then discipline),
        which hides the order they were read in. Built column by column with C-level passes
        (map, zip): this runs for every answer of the campaign."""
        book, choices, words = self.book, answers.choices, answers.texts
        labels = {o.key: o.label for o in question.options}
        answer = {c: book.shared("; ".join(labels.get(k, k) for k in c)) for c in set(choices)}
        minutes = answers.answered_at
        for minute in set(minutes) - self._day_cell.keys():
            self._add_day(minute)
        for discipline in set(answers.disciplines) - self._group_cell.keys():
            label = self.group_label.get(discipline, "")
            self._group_label[discipline] = label
            self._group_cell[discipline] = book.shared(label)
        rows: list[tuple[str, ...]] = list(
            zip(
                map(answer.__getitem__, choices),
                map(xlsx.inline, words),
                map(self._group_cell.__getitem__, answers.disciplines),
                map(self._day_cell.__getitem__, minutes),
                strict=True,
            )
        )
        self._blur_rare_days(rows, minutes, answers.disciplines)
        if max(map(len, words), default=0) >= xlsx.CELL_LIMIT // 2:
            for i, text in enumerate(words):
                if len(text) >= xlsx.CELL_LIMIT // 2:  # may not fit in one cell
                    first, *more = _text_cells(text)
                    rows[i] = (rows[i][0], first, rows[i][2], rows[i][3], *more)
        same = map(
            operator.and_,
            map(operator.eq, words[1:], words),
            map(operator.eq, choices[1:], choices),
        )
        if True in same:
            self._hide_read_order(rows, answers, minutes)
        return rows

    def _blur_rare_days(
        self, rows: list[tuple[str, ...]], minutes: Sequence[str], disciplines: Sequence[str]
    ) -> None:
        """Leaves the date out where fewer than `minimum` answers on this sheet share it with
        their discipline: a day on which one person of a group answered would otherwise tie
        that person's rows together on every sheet."""
        days = list(map(self._day_serial.__getitem__, minutes))
        groups = list(map(self._group_label.__getitem__, disciplines))
        seen = Counter(zip(days, groups, strict=True))
        if min(seen.values(), default=self.minimum) >= self.minimum:
            return
        for i, key in enumerate(zip(days, groups, strict=True)):
            if seen[key] < self.minimum:
                rows[i] = (*rows[i][:3], xlsx.EMPTY, *rows[i][4:])

    def _hide_read_order(
        self, rows: list[tuple[str, ...]], answers: AnswerColumns, minutes: Sequence[str]
    ) -> None:
        """Sorts each run of rows with the same answer by (date, discipline label)."""
        choices, words, disciplines = answers.choices, answers.texts, answers.disciplines
        start = 0
        for end in range(1, len(rows) + 1):
            if end < len(rows) and words[end] == words[start] and choices[end] == choices[start]:
                continue
            if end - start > 1:
                order = sorted(
                    range(start, end),
                    key=lambda i: (self._day_serial[minutes[i]], self._group_label[disciplines[i]]),
                )
                rows[start:end] = [rows[i] for i in order]
            start = end

    def _add_day(self, minute: str) -> None:
        """The date cell of a minute in UTC ("2026-11-02T09:30"): its day in the settings'
        time zone (every real time zone's offset is whole minutes)."""
        if not minute:
            self._day_serial[minute], self._day_cell[minute] = 0, xlsx.EMPTY
            return
        utc = datetime.fromisoformat(minute).replace(tzinfo=UTC)
        serial = xlsx.excel_day(utc.astimezone(self.timezone).date())
        self._day_serial[minute], self._day_cell[minute] = serial, xlsx.number(serial, xlsx.DATE)


def _text_cells(text: str) -> list[str]:
    """The cells of a long free text: as many as it takes to hold it."""
    return [xlsx.inline(piece) for piece in xlsx.split_for_cells(strip_invalid(text))]
