"""Transparency: `GET /privacy` and `GET /terms` on the real `serve` app over HTTP on 127.0.0.1
(both languages, the headers, HEAD, a company's own text, placeholders, hostile markup), the
content commands that carry the pages, and `mydata` saying how long each kind of data is kept."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from adapters.app import open_app
from adapters.console.transport import ConsoleTransport
from adapters.legal_pages import chosen_language
from adapters.safe_markdown import to_html
from adapters.server import build_server
from bot.core.settings import Settings
from tests.harness import FakeClock, Harness, person, texts
from tests.test_cli import run
from tests.web import listen

HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "public, max-age=300",
}
Get = Callable[..., Awaitable[tuple[int, dict[str, str], str]]]


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[Callable[[Settings], Awaitable[Get]]]:
    """Starts the real server for the settings given; returns a GET (or HEAD) on it."""
    started: list[tuple[web.AppRunner, object]] = []
    http = aiohttp.ClientSession()

    async def start(settings: Settings) -> Get:
        server = await build_server(settings)
        runner, base = await listen(server.web)
        started.append((runner, server))

        async def get(
            path: str, language: str | None = None, method: str = "GET"
        ) -> tuple[int, dict[str, str], str]:
            headers = {} if language is None else {"Accept-Language": language}
            url = base + path.removeprefix("/")
            async with http.request(method, url, headers=headers) as response:
                return response.status, dict(response.headers), await response.text()

        return get

    yield start
    await http.close()
    for runner, server in started:
        await runner.cleanup()
        await server.app.close()  # type: ignore[attr-defined]


def settings(tmp_path: Path, **changes: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'pages.db'}",
        "draft_dir": tmp_path / "drafts",
        "language": "nl",
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


def main_text(page: str) -> str:
    """The page's readable text (tags dropped, entities left), to look for sentences in."""
    return " ".join(re.sub(r"<[^>]+>", " ", page.split("<main>", 1)[1]).split())


async def test_both_pages_in_both_languages_with_safe_headers(
    tmp_path: Path, serve: Callable[[Settings], Awaitable[Get]]
) -> None:
    get = await serve(
        settings(tmp_path, company_name="Jansen & Zonen", retention_days=45, anonymity_min=7)
    )
    status, headers, en = await get("/privacy?lang=en")
    assert status == 200
    assert {name: headers.get(name) for name in HEADERS} == HEADERS
    assert headers["Content-Language"] == "en" and '<html lang="en">' in en
    text = main_text(en)
    assert "The bot is run by Jansen &amp; Zonen, which decides" in text
    assert "until at least 7 colleagues have answered" in text
    assert "deleted automatically after 45 days" in text
    assert "Answers are not deleted automatically" in text
    assert "forget-me (in Dutch: vergeet-mij)" in text and "mydata" in text
    assert "imvo-bot user export and imvo-bot user erase" in text
    assert '<a href="?lang=nl" hreflang="nl" lang="nl">Nederlandse versie</a>' in en
    assert '<a href="terms?lang=en">' in en

    status, headers, nl = await get("/privacy?lang=nl")
    assert status == 200 and headers["Content-Language"] == "nl"
    text = main_text(nl)
    assert "<h1>Privacyverklaring" in nl
    assert "is Jansen &amp; Zonen: daar wordt ook bepaald" in text
    assert "na 45 dagen automatisch verwijderd" in text
    assert "minder dan 7 collega&#x27;s" in text
    assert "vergeet-mij" in text and "mijngegevens" in text
    assert '<a href="?lang=en" hreflang="en" lang="en">English version</a>' in nl

    for path, title in (
        ("/terms?lang=en", "Terms of use"),
        ("/terms?lang=nl", "Gebruiksvoorwaarden"),
    ):
        status, headers, page = await get(path)
        assert status == 200 and f"<h1>{title}" in page
        assert {name: headers.get(name) for name in HEADERS} == HEADERS
        assert "Jansen &amp; Zonen" in main_text(page)
    assert "voluntary" in main_text((await get("/terms?lang=en"))[2])
    assert "vrijwillig" in main_text((await get("/terms?lang=nl"))[2])


@pytest.mark.parametrize(
    ("query", "accept", "language"),
    [
        ("", "en-GB,en;q=0.9,nl;q=0.8", "en"),
        ("", "de-DE, nl;q=0.5, en;q=0.4", "nl"),
        ("", "fr-FR,en-US;q=0.3", "en"),
        ("", "en;q=0.2, nl-BE;q=0.9", "nl"),
        ("", "fr, de", "nl"),  # none of ours: IMVO_LANGUAGE
        ("", None, "nl"),
        ("?lang=en", "nl", "en"),  # ?lang wins
        ("?lang=EN-gb", None, "en"),
        ("?lang=xx", None, "nl"),  # unknown: the default, never an error
        ("?lang=xx", "en", "en"),
        ("?lang=", "en;q=x, nl;q=0", "nl"),  # malformed q-values count for nothing
    ],
)
async def test_the_language_follows_lang_then_accept_language_then_the_default(
    tmp_path: Path,
    serve: Callable[[Settings], Awaitable[Get]],
    query: str,
    accept: str | None,
    language: str,
) -> None:
    get = await serve(settings(tmp_path))
    status, headers, page = await get("/privacy" + query, accept)
    assert status == 200 and headers["Content-Language"] == language
    assert f'<html lang="{language}">' in page
    assert "Accept-Language" in headers["Vary"]


def test_chosen_language_without_a_server() -> None:
    assert chosen_language(None, "nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7", "en") == "nl"
    assert chosen_language(None, "*", "en") == "en"
    assert chosen_language(None, ",".join(["fr"] * 1000) + ",nl", "en") == "en"  # bounded


async def test_head_gives_the_headers_without_a_body(
    tmp_path: Path, serve: Callable[[Settings], Awaitable[Get]]
) -> None:
    get = await serve(settings(tmp_path))
    for path in ("/privacy?lang=en", "/terms"):
        _, _, page = await get(path)
        status, headers, body = await get(path, method="HEAD")
        assert status == 200 and body == ""
        assert {name: headers.get(name) for name in HEADERS} == HEADERS
        assert int(headers["Content-Length"]) == len(page.encode("utf-8"))


async def test_without_a_company_name_the_pages_say_your_employer(
    tmp_path: Path, serve: Callable[[Settings], Awaitable[Get]]
) -> None:
    get = await serve(settings(tmp_path))
    en = main_text((await get("/privacy?lang=en"))[2])
    assert "The bot is run by your employer, which" in en
    assert "until at least 5 colleagues" in en and "after 30 days" in en
    nl = main_text((await get("/terms?lang=nl"))[2])
    assert "helpt je werkgever bij" in nl


async def test_a_companys_own_page_is_served_escaped_and_filled(
    tmp_path: Path, serve: Callable[[Settings], Awaitable[Get]]
) -> None:
    ours = tmp_path / "ours"
    (ours / "en").mkdir(parents=True)
    (ours / "en" / "privacy.md").write_text(
        "# ACME <b>privacy</b>\n\n"
        "<script>alert('x')</script>\n"
        'Read [this](javascript:alert(1)) or <a href="https://evil.example">that</a>.\n'
        "<img src=x onerror=alert(1)>\n\n"
        "## Kept\n\n"
        "- answers: until erased, by {company}\n"
        "- working records: {retention_days} {retention_days:day|days}\n"
        "1. groups under {anonymity_min} are merged\n",
        encoding="utf-8",
    )
    get = await serve(
        settings(tmp_path, content_dir=ours, company_name="<i>ACME</i>", retention_days=1)
    )
    status, headers, page = await get("/privacy?lang=en")
    assert (
        status == 200 and headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]
    )
    assert "<h1>ACME &lt;b&gt;privacy&lt;/b&gt;</h1>" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "[this](javascript:alert(1))" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<ul><li>answers: until erased, by &lt;i&gt;ACME&lt;/i&gt;</li>" in page
    assert "<li>working records: 1 day</li></ul>" in page
    assert "<ol><li>groups under 5 are merged</li></ol>" in page
    # Only the page's own tags and links; nothing from the file or the settings is markup.
    tags = set(re.findall(r"<(/?[a-zA-Z0-9!]+)", page))
    assert tags <= {
        "!doctype", "html", "/html", "head", "/head", "meta", "title", "/title", "style",
        "/style", "body", "/body", "nav", "/nav", "a", "/a", "main", "/main", "h1", "/h1",
        "h2", "/h2", "p", "/p", "ul", "/ul", "ol", "/ol", "li", "/li",
    }  # fmt: skip
    assert re.findall(r'href="([^"]*)"', page) == ["?lang=nl", "terms?lang=en"]
    # The company kept no Dutch page: the shipped one is used, with the company's name.
    nl = main_text((await get("/privacy?lang=nl"))[2])
    assert "Privacyverklaring" in nl and "&lt;i&gt;ACME&lt;/i&gt;" in nl


@given(st.text(alphabet=st.sampled_from("<>&\"'#-*+1. \n[]()=:/abc"), max_size=200))
def test_the_renderer_never_lets_markup_through(markdown: str) -> None:
    rendered = to_html(markdown)
    for tag in re.findall(r"<([^>]*)>", rendered):
        assert re.fullmatch(r"/?(h[1-6]|p|ul|li)|ol( start=\"\d+\")?|/ol", tag), tag


# ------------------------------------------------------------------------ content commands


def test_content_init_copies_the_pages_and_check_names_a_bad_placeholder(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    done = run(["content", "init", str(ours)], tmp_path)
    assert done.returncode == 0, done.stderr
    for language in ("nl", "en"):
        assert (ours / language / "terms.md").is_file()
        assert "{retention_days" in (ours / language / "privacy.md").read_text("utf-8")
    env = {"IMVO_CONTENT_DIR": str(ours)}
    assert run(["content", "check"], tmp_path, env=env).returncode == 0

    terms = ours / "nl" / "terms.md"
    terms.write_text("# Voorwaarden\n\nContact: {salary} bij {company}.\n", encoding="utf-8")
    check = run(["content", "check"], tmp_path, env=env)
    assert check.returncode == 1
    assert f"{terms}: unknown placeholder {{salary}}" in check.stderr
    assert "{anonymity_min}, {company}, {retention_days}" in check.stderr

    for text, fault in (
        ("", "the page is empty"),
        ("# T\n\n" + "x" * 100_000, "100,005 characters; a page holds at most 100,000"),
        ("# T\n\nThe law applies from 2027 [unverified].\n", "carries an [unverified] marker"),
    ):
        terms.write_text(text, encoding="utf-8")
        check = run(["content", "check"], tmp_path, env=env)
        assert check.returncode == 1 and f"{terms}: {fault}" in check.stderr, check.stderr


def test_a_page_missing_in_one_language_of_a_companys_folder_falls_back_to_the_shipped_one(
    tmp_path: Path,
) -> None:
    """A company keeps only what it changed, so a missing page is the shipped one, not a fault."""
    ours = tmp_path / "ours"
    (ours / "en").mkdir(parents=True)
    (ours / "en" / "privacy.md").write_text("# Ours\n\nOnly English.\n", encoding="utf-8")
    from bot.content.library import content_source, load_content, shipped_content

    content = load_content(content_source(ours))
    assert content.for_language("en").pages["privacy"].markdown.startswith("# Ours")
    shipped = shipped_content().for_language("nl").pages["privacy"]
    assert content.for_language("nl").pages["privacy"].markdown == shipped.markdown
    assert shipped.source == "content/nl/privacy.md"
    check = run(["content", "check"], tmp_path, env={"IMVO_CONTENT_DIR": str(ours)})
    assert check.returncode == 0, check.stderr


def test_a_missing_shipped_page_is_named(tmp_path: Path) -> None:
    import shutil

    from bot.content.check import check_content
    from bot.content.loader import ContentError

    copy = tmp_path / "content"
    shutil.copytree(Path(__file__).resolve().parents[1] / "content", copy)
    (copy / "en" / "terms.md").unlink()
    with pytest.raises(ContentError, match=re.escape("content/en/terms.md: file is missing")):
        check_content(copy)


# ------------------------------------------------------------------------------- mydata


@pytest.mark.parametrize(
    ("language", "command", "said"),
    [
        ("en", "mydata", ["How long I keep it", "12 days after", "Answers are not deleted",
                          "Type forget-me to erase"]),
        ("nl", "mijngegevens", ["Hoe lang ik dit bewaar", "12 dagen nadat",
                                "Antwoorden worden niet automatisch verwijderd",
                                "Typ vergeet-mij om alles te wissen"]),
    ],
)  # fmt: skip
async def test_mydata_says_how_long_each_kind_of_data_is_kept(
    tmp_path: Path, language: str, command: str, said: list[str]
) -> None:
    db = tmp_path / "imvo.db"
    chosen = Settings(
        database_url=f"sqlite:///{db}", language=language, draft_dir=tmp_path, retention_days=12
    )
    transport = ConsoleTransport()
    clock = FakeClock()
    app = await open_app(chosen, transport=transport, clock=clock)
    h = Harness(app, transport, clock, db, chosen)
    try:
        replies = await h.say(person("anna", language), command)
    finally:
        await app.close()
    first = replies[0].plain()
    for words in said:
        assert words in first, first
    assert texts(replies).count("{") >= 1  # the JSON export still follows
