"""The pages a company publishes about the bot: its privacy notice and its terms of use.

`content/<lang>/privacy.md` and `content/<lang>/terms.md` are Markdown that a company can edit
(under `IMVO_CONTENT_DIR` its own file replaces the shipped one whole). They may use only the
placeholders in PLACEHOLDERS, filled from the settings; `imvo-bot serve` shows them at
`GET /privacy` and `GET /terms`. A page that is missing, empty, too long or uses an unknown
placeholder is refused with a ContentError naming its file.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.loader import ContentError, ContentRoot, fill, placeholders, read_page
from bot.core.domain import LANGUAGES

PAGES: tuple[str, ...] = ("privacy", "terms")
# What a page may use: IMVO_COMPANY_NAME (else the words pages.company_unknown of messages.toml),
# IMVO_RETENTION_DAYS and IMVO_ANONYMITY_MIN.
PLACEHOLDERS = frozenset({"company", "retention_days", "anonymity_min"})
# Far more than a notice needs; a bound so that a pasted file cannot become a huge response.
MAX_PAGE_CHARS = 100_000


@dataclass(frozen=True)
class Page:
    """One page in one language as written: Markdown with `{placeholders}`."""

    name: str
    language: str
    markdown: str
    source: str  # the file, as an error names it

    def filled(self, company: str, retention_days: int, anonymity_min: int) -> str:
        """The Markdown with the placeholders filled in; the values are inserted as data."""
        values = {
            "company": company,
            "retention_days": retention_days,
            "anonymity_min": anonymity_min,
        }
        return fill(self.markdown, self.language, values)


def load_pages(root: ContentRoot = None) -> dict[str, dict[str, Page]]:
    """Every page in every language (`language -> name -> Page`), checked."""
    pages: dict[str, dict[str, Page]] = {}
    for language in LANGUAGES:
        pages[language] = {}
        for name in PAGES:
            text, source = read_page(language, name, root)
            pages[language][name] = _checked(Page(name, language, text, source))
    return pages


def _checked(page: Page) -> Page:
    if not page.markdown.strip():
        raise ContentError(f"{page.source}: the page is empty")
    if len(page.markdown) > MAX_PAGE_CHARS:
        raise ContentError(
            f"{page.source}: {len(page.markdown):,} characters; a page holds at most"
            f" {MAX_PAGE_CHARS:,}"
        )
    unknown = placeholders(page.markdown, page.source) - PLACEHOLDERS
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in sorted(PLACEHOLDERS))
        raise ContentError(
            f"{page.source}: unknown placeholder {{{sorted(unknown)[0]}}}; a page can use:"
            f" {known} (write {{{{ and }}}} for a brace itself)"
        )
    return page
