"""Saved HTML pages: trafilatura finds the article text and the page's metadata."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import AnyStr, BinaryIO

import trafilatura

from readers.encoding import decode_bytes, looks_binary
from readers.errors import ReaderError
from readers.metadata import language_code, parse_authors
from readers.problems import Origin
from readers.text import read_capped, split_blocks
from transforms.records import Article

# trafilatura leaves the language alone unless asked to filter by it; the page's own lang attribute says it.
HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)", re.I)

# An article has at least one sentence of prose; a page of menus and headline links has none.
MIN_SENTENCE_WORDS = 8
# Sentence ends across scripts: Latin, CJK (。！？ and their half-width forms), Arabic, Urdu, Devanagari,
# Armenian, Ethiopic, Myanmar, Khmer, Tibetan.
SENTENCE_END = tuple(".!?…。．！？｡؟۔।॥։።။។༎‼⁇⁈⁉")
CLOSING_MARKS = "\"'”’)」』】）»›"
# Scripts written without spaces between words: a word there is about two characters.
UNSPACED = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff]"
)
CHARS_PER_UNSPACED_WORD = 2
# A run this long is prose even without sentence punctuation (Thai, Lao and Khmer often print none).
MIN_UNPUNCTUATED_WORDS = 3 * MIN_SENTENCE_WORDS

# Blocks that never hold article text, removed before decoding and parsing: a 10 MB <script> makes lxml
# give up on the whole page (libxml2 caps one text node at 10,000,000 bytes) and slows charset detection.
NON_TEXT_ELEMENTS = ("script", "style", "noscript", "template", "svg")
DROP_ELEMENT = re.compile(rf"<({'|'.join(NON_TEXT_ELEMENTS)})\b", re.IGNORECASE)
DROP_END = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in NON_TEXT_ELEMENTS}
DROP_ELEMENT_BYTES = re.compile(DROP_ELEMENT.pattern.encode(), re.IGNORECASE)
DROP_END_BYTES = {name: re.compile(p.pattern.encode(), re.IGNORECASE) for name, p in DROP_END.items()}
# Inline data (data: URIs, serialised state in attributes) of any size says nothing about the article.
INLINE_BLOB = re.compile(r"""(=\s*["'])(?:data:|[{\[])[^"']{2048,}(["'])""")
INLINE_BLOB_BYTES = re.compile(INLINE_BLOB.pattern.encode())
# JSON-LD metadata stays (trafilatura reads the publish date and author from it) unless it is huge.
LD_JSON = re.compile(r"type\s*=\s*[\"']?application/ld\+json", re.IGNORECASE)
LD_JSON_BYTES = re.compile(LD_JSON.pattern.encode(), re.IGNORECASE)
MAX_METADATA_CHARS = 512 * 1024
# Encodings in which "<" can be part of another character: leave their bytes alone.
WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")
# htmldate's extensive search guesses from any date-like text, such as a "© 2024" footer: only the page's
# markup (meta tags, <time>, structured data) and its URL count as evidence of the publish date.
DATE_PARAMS = {"extensive_search": False, "original_date": True}


def word_units(paragraph: str) -> int:
    """Words in a paragraph; in scripts without spaces (CJK, Thai), characters / 2."""
    unspaced = len(UNSPACED.findall(paragraph))
    spaced = len(UNSPACED.sub(" ", paragraph).split())
    return spaced + unspaced // CHARS_PER_UNSPACED_WORD


def _is_prose(paragraph: str) -> bool:
    units = word_units(paragraph)
    if units >= MIN_UNPUNCTUATED_WORDS:
        return True
    return units >= MIN_SENTENCE_WORDS and paragraph.rstrip(CLOSING_MARKS + " ").endswith(SENTENCE_END)


def strip_non_text(html: AnyStr) -> AnyStr:
    """The page without scripts, styles, templates, inline SVG and large inline data, in one pass.

    Works on text or on the undecoded bytes of an ASCII-compatible encoding (UTF-8, cp1252, Shift-JIS,
    GB18030, Big5: none uses the byte "<" inside a character). Scans once from left to right, with no
    backtracking over a 10 MB block; an element left open runs to the end of the page, as a browser reads it.
    """
    if isinstance(html, bytes):
        if html.startswith(WIDE_BOMS) or looks_binary(html):
            return html
        start_re, end_res, blob_re, empty, keep = DROP_ELEMENT_BYTES, DROP_END_BYTES, INLINE_BLOB_BYTES, b"", rb"\1\2"
        ld_json, gt = LD_JSON_BYTES, b">"
    else:
        start_re, end_res, blob_re, empty, keep = DROP_ELEMENT, DROP_END, INLINE_BLOB, "", r"\1\2"
        ld_json, gt = LD_JSON, ">"
    pieces = []
    pos = 0
    while (start := start_re.search(html, pos)) is not None:
        name = start.group(1).lower()
        end = end_res[name.decode() if isinstance(name, bytes) else name].search(html, start.end())
        stop = end.end() if end else len(html)
        tag = html[start.start() : start.end() + 200]
        if ld_json.search(tag[: max(tag.find(gt), 0)]) and stop - start.start() <= MAX_METADATA_CHARS:
            pieces.append(html[pos:stop])  # schema.org metadata: the publish date and author live here
        else:
            pieces.append(html[pos : start.start()])
        pos = stop
    pieces.append(html[pos:])
    return blob_re.sub(keep, empty.join(pieces))


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
    html = strip_non_text(html)
    # favor_precision: without it trafilatura's fallbacks return the menu of a page that has no article.
    # A short article can fall under its precision threshold: then trafilatura's defaults get a turn, and
    # the prose check still keeps a menu page out.
    for precise in (True, False):
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            include_comments=False,
            with_metadata=True,
            favor_precision=precise,
            date_extraction_params=DATE_PARAMS,
        )
        text = (doc.text or "").strip() if doc is not None else ""
        if doc is None or not text:
            continue
        title = (doc.title or "").strip()
        paragraphs = split_blocks(text)
        # trafilatura keeps the <h1> as the first line; the title field already holds it.
        if paragraphs and title and paragraphs[0] == title:
            paragraphs = paragraphs[1:]
        if any(_is_prose(p) for p in paragraphs):
            break
    else:
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
    page = extract_page(decode_html(strip_non_text(read_capped(stream, origin)), origin))
    if page is None:
        raise ReaderError(origin.path, "no article text in HTML")
    yield page_article(page, origin)
