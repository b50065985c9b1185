"""`GET /privacy` and `GET /terms`: the company's privacy notice and terms of use as small, safe
HTML pages in Dutch and English (the Teams app package names these URLs on the bot's host).

The text is content (`bot.content.pages`: Markdown a company can edit), filled from the settings
and rendered once when the server starts; a request only picks the language: `?lang=nl|en`,
else the language the `Accept-Language` header prefers, else `IMVO_LANGUAGE`. An unknown
language is no error: the page comes in the default one.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from aiohttp import web

from adapters.safe_markdown import title_of, to_html
from bot.content.library import Content
from bot.content.pages import PAGES
from bot.core.domain import LANGUAGES
from bot.core.settings import Settings

HEADERS: Mapping[str, str] = {
    "Content-Type": "text/html; charset=utf-8",
    # No script, image, frame or font may load; only the page's own inline style.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "public, max-age=300",
    "Vary": "Accept-Language",  # without ?lang the header picks the language
    "Referrer-Policy": "no-referrer",
}
_MAX_LANGUAGE_RANGES = 32  # of an Accept-Language header; real browsers send a handful

_STYLE = (
    "body{font:16px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;"
    "background:#fff;max-width:42rem;margin:0 auto;padding:1.5rem 1rem 3rem}"
    "nav{display:flex;justify-content:space-between;gap:1rem;font-size:.9rem}"
    "h1{font-size:1.7rem;line-height:1.25}h2{font-size:1.2rem;margin-top:2rem}"
    "li{margin:.25rem 0}a{color:#0b57d0}"
)


def chosen_language(asked: str | None, accept: str | None, default: str) -> str:
    """`?lang` when it names a language the bot speaks; else the one of those that the
    Accept-Language header prefers (by q-value, the first on a tie); else `default`."""
    wanted = (asked or "").strip().lower().split("-")[0]
    if wanted in LANGUAGES:
        return wanted
    best, best_q = default, 0.0
    for part in (accept or "").split(",")[:_MAX_LANGUAGE_RANGES]:
        tag, *params = part.split(";")
        language = tag.strip().lower().split("-")[0]
        if language not in LANGUAGES:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q and q <= 1.0:
            best, best_q = language, q
    return best


def _document(language: str, name: str, markdown: str, links: str) -> str:
    title = html.escape(title_of(markdown, name), quote=True)
    return (
        f'<!doctype html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<nav>{links}</nav>\n<main>\n{to_html(markdown)}\n</main>\n</body>\n</html>\n"
    )


class LegalPages:
    """Every page in every language, rendered once; `privacy` and `terms` are the handlers."""

    def __init__(self, content: Content, settings: Settings) -> None:
        self.default = settings.language
        filled: dict[tuple[str, str], str] = {}
        for language in LANGUAGES:
            pack = content.for_language(language)
            company = settings.company_name or pack.messages("pages.company_unknown")
            for name in PAGES:
                filled[name, language] = pack.pages[name].filled(
                    company, settings.retention_days, settings.anonymity_min
                )
        self.bodies: dict[tuple[str, str], bytes] = {}
        for (name, language), markdown in filled.items():
            links = [
                # Each link is named in its own language: a reader looks for their own.
                f'<a href="?lang={other}" hreflang="{other}" lang="{other}">'
                f"{html.escape(content.for_language(other).messages('pages.in_this_language'))}"
                "</a>"
                for other in LANGUAGES
                if other != language
            ]
            links += [
                f'<a href="{page}?lang={language}">'
                f"{html.escape(title_of(filled[page, language], page))}</a>"
                for page in PAGES
                if page != name
            ]
            document = _document(language, name, markdown, " ".join(links))
            self.bodies[name, language] = document.encode("utf-8")

    def _page(self, name: str, request: web.Request) -> web.Response:
        language = chosen_language(
            request.query.get("lang"), request.headers.get("Accept-Language"), self.default
        )
        headers = {**HEADERS, "Content-Language": language}
        return web.Response(body=self.bodies[name, language], headers=headers)

    async def privacy(self, request: web.Request) -> web.Response:
        return self._page("privacy", request)

    async def terms(self, request: web.Request) -> web.Response:
        return self._page("terms", request)
