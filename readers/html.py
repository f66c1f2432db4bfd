"""Saved HTML pages: trafilatura finds the article text and the page's metadata."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import trafilatura

from readers.encoding import decode_bytes
from readers.errors import ReaderError
from readers.metadata import language_code, parse_authors
from readers.problems import Origin
from readers.text import read_capped, split_blocks
from transforms.records import Article

# trafilatura leaves the language alone unless asked to filter by it; the page's own lang attribute says it.
HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)", re.I)

# An article has at least one sentence of prose; a page of menus and headline links has none.
MIN_SENTENCE_WORDS = 8
SENTENCE_END = (".", "!", "?", "…")
CLOSING_MARKS = "\"'”’)"


def _is_prose(paragraph: str) -> bool:
    return len(paragraph.split()) >= MIN_SENTENCE_WORDS and paragraph.rstrip(CLOSING_MARKS).endswith(SENTENCE_END)


@dataclass(slots=True)
class Page:
    """What trafilatura found in one page."""

    text: str
    paragraphs: list[str]
    title: str = ""
    url: str | None = None
    date: str | None = None
    author: str | None = None
    sitename: str | None = None
    language: str | None = None


def extract_page(html: str, url: str | None = None) -> Page | None:
    """The main text and metadata of a page, or None when it holds no article text."""
    # favor_precision: without it trafilatura's fallbacks return the menu of a page that has no article.
    doc = trafilatura.bare_extraction(html, url=url, include_comments=False, with_metadata=True, favor_precision=True)
    text = (doc.text or "").strip() if doc is not None else ""
    if doc is None or not text:
        return None
    title = (doc.title or "").strip()
    paragraphs = split_blocks(text)
    # trafilatura keeps the <h1> as the first line; the title field already holds it.
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    if not any(_is_prose(p) for p in paragraphs):
        return None
    lang = HTML_LANG.search(html[:4096])
    return Page(
        text=text,
        paragraphs=paragraphs,
        title=title,
        url=doc.url or None,
        date=doc.date or None,
        author=doc.author or None,
        sitename=doc.sitename or None,
        language=doc.language or (lang.group(1) if lang else None),
    )


def decode_html(data: bytes, origin: Origin, charset: str | None = None) -> str:
    """Page bytes as text: a charset the server declared first, then decode_bytes' rules."""
    if charset:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: fall back to detection
    return decode_bytes(data, origin.path)


def page_article(page: Page, origin: Origin, *, url: str | None = None, date: str | None = None) -> Article:
    """An Article from an extracted page: url (where it was fetched) wins, date only fills in for the page's."""
    return Article(
        source_file=origin.name,
        paragraphs=page.paragraphs,
        title=page.title,
        url=url or page.url,
        source=page.sitename or origin.source,
        published_at=page.date or date,
        language=language_code(page.language),
        authors=parse_authors(page.author),
        raw_text=page.text,
    )


def read_html(stream: BinaryIO, origin: Origin) -> Iterator[Article]:
    """One Article from a saved HTML page; ReaderError when the page holds no article."""
    page = extract_page(decode_html(read_capped(stream, origin), origin))
    if page is None:
        raise ReaderError(origin.path, "no article text in HTML")
    yield page_article(page, origin)
