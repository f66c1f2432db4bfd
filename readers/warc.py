"""WARC archives (plain or .warc.gz): each HTML response record is one page, read by warcio."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from readers.errors import ReaderError
from readers.html import decode_html, extract_page, page_article
from readers.problems import Origin, mib, require_some
from transforms.records import Article

HTML_TYPES = ("text/html", "application/xhtml+xml")


def _content_type(record: ArcWarcRecord) -> tuple[str, str | None]:
    """The HTTP media type and declared charset of a response record."""
    header = record.http_headers.get_header("Content-Type") or ""
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media.strip().lower(), charset


def read_warc(stream: BinaryIO, origin: Origin) -> Iterator[Article]:
    """One Article per 2xx HTML response; other records (requests, images, redirects) are passed over."""
    yield from require_some(_pages(stream, origin), origin, "HTML pages", "no HTML responses")


def _pages(stream: BinaryIO, origin: Origin) -> Iterator[Article]:
    records = ArchiveIterator(stream)
    for number, record in enumerate(records, start=1):
        if record.rec_type != "response" or record.http_headers is None:
            continue
        status = record.http_headers.get_statuscode() or ""
        media, charset = _content_type(record)
        if not status.startswith("2") or media not in HTML_TYPES:
            continue
        uri = record.rec_headers.get_header("WARC-Target-URI")
        # A record number, not warcio's byte offset: asking for the offset before the body is read loses the body.
        location = f"record {number} ({uri or 'no target URI'})"
        data = record.content_stream().read(origin.limit + 1)
        if len(data) > origin.limit:
            origin.problem(location, f"page larger than the {mib(origin.limit)} record cap")
            continue
        try:
            page = extract_page(decode_html(data, origin, charset), uri)
        except ReaderError as exc:
            origin.problem(location, exc.reason)
            continue
        if page is None:
            origin.problem(location, "no article text in HTML" if data else "empty response body")
            continue
        # Prefer the page's own publish date; the crawl date only says when it was fetched.
        yield page_article(page, origin, url=uri, date=record.rec_headers.get_header("WARC-Date"))
