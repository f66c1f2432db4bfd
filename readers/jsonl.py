"""JSON dumps: JSON Lines (news-please, Scrapy feeds) read line by line, or one pretty-printed document."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from readers.encoding import LineDecoder, decode_bytes
from readers.errors import ReaderError
from readers.fields import try_article
from readers.problems import Origin
from readers.sniff import peek
from readers.text import read_capped
from transforms.records import Article

# Scrapy's JSON exporter writes "[", then one object per line each ending in ",", then "]":
# skipping the brackets and the trailing comma reads it as JSON Lines, still one line at a time.
ARRAY_BRACKETS = (b"[", b"]")


class _Malformed(Exception):
    """A line that is not JSON."""


def _pretty_printed(head: bytes) -> bool:
    """True for an indented document (news-please writes one per article): '{' or '[' then '{' alone on a line."""
    lines = [line.strip() for line in head.removeprefix(codecs.BOM_UTF8).splitlines() if line.strip()][:2]
    return bool(lines) and (lines[0] == b"{" or (lines[0] == b"[" and lines[1:] == [b"{"]))


def _parse_line(raw: bytes, decoder: LineDecoder) -> Any:
    try:
        return json.loads(decoder.decode(raw.removesuffix(b",")))
    except json.JSONDecodeError as exc:
        raise _Malformed(f"malformed JSON ({exc.msg}, column {exc.colno})") from None
    except RecursionError:
        # json's decoder gives up on absurdly nested arrays; that line is garbage, not an article
        raise _Malformed("malformed JSON (nested too deep)") from None


def _lines(stream: BinaryIO, decoder: LineDecoder) -> Iterator[tuple[str, Any]]:
    for number, raw in enumerate(stream, start=1):
        line = raw.strip()
        if line and line not in ARRAY_BRACKETS:
            try:
                yield f"line {number}", _parse_line(line, decoder)
            except (_Malformed, ReaderError) as exc:
                yield f"line {number}", exc


def _document(stream: BinaryIO, origin: Origin) -> Iterator[tuple[str, Any]]:
    text = decode_bytes(read_capped(stream, origin), origin.path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReaderError(origin.path, f"malformed JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(document, list):
        yield "document", document
        return
    for number, item in enumerate(document, start=1):
        yield f"item {number}", item


def read_jsonl(stream: BinaryIO, origin: Origin) -> Iterator[Article]:
    """One Article per JSON object; a bad line or object is reported through origin and the rest is still read."""
    head, stream = peek(stream)
    items = _document(stream, origin) if _pretty_printed(head) else _lines(stream, LineDecoder(origin.path))
    read = skipped = 0
    for location, item in items:
        if isinstance(item, _Malformed | ReaderError):
            skipped += 1
            origin.problem(location, item.reason if isinstance(item, ReaderError) else str(item))
            continue
        # A line may hold a whole array of objects (compact JSON exports): each is one article.
        for record in item if isinstance(item, list) else [item]:
            if not isinstance(record, dict):
                skipped += 1
                origin.problem(location, f"a JSON {type(record).__name__}, not an object")
                continue
            article = try_article(record, origin, location)
            if article is None:
                skipped += 1
                continue
            read += 1
            yield article
    if not read:
        raise ReaderError(origin.path, f"no readable records ({skipped} skipped)" if skipped else "empty file")
