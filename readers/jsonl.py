"""JSON dumps: JSON Lines (news-please, Scrapy feeds) read line by line, JSON documents and arrays streamed
item by item by ijson, whether pretty-printed or on one line."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

from readers.encoding import LineDecoder, RecordTooLong, Utf8Stream
from readers.errors import ReaderError
from readers.fields import try_article
from readers.lines import LongLine, split_lines
from readers.problems import Origin, mib, require_some
from readers.sniff import peek
from transforms.records import Article

# Scrapy's JSON exporter writes "[", then one object per line each ending in ",", then "]":
# skipping the brackets and the trailing comma reads it as JSON Lines, one line at a time, so a
# malformed line costs that line only.
ARRAY_BRACKETS = (b"[", b"]")
# What a JSON value can start with; a line starting otherwise fails at column 1 whatever follows, so the
# parser need not be asked (a dump of millions of prose lines is read at the speed of the line split).
JSON_VALUE_START = re.compile(rb'[\[{"\-0-9]|true|false|null|NaN|Infinity')
NOT_A_VALUE = "malformed JSON (Expecting value, column 1)"


class _Malformed(Exception):
    """A line or item that is not JSON (or not an article); its message is the reason reported."""


def _is_document(head: bytes) -> bool:
    """True for a JSON document to stream with ijson: a pretty-printed object or any array but Scrapy's
    one-object-per-line export. JSON Lines (one object per line) is read line by line instead."""
    lines = [line.strip() for line in head.removeprefix(codecs.BOM_UTF8).splitlines() if line.strip()][:2]
    if not lines:
        return False
    first = lines[0]
    if first == b"{":
        return True
    if not first.startswith(b"["):
        return False
    if first == b"[" and len(lines) > 1:
        second = lines[1]
        scrapy = second.startswith(b"{") and second.rstrip(b",").endswith(b"}") and second != b"{"
        return not scrapy
    return True


def _parse_line(raw: bytes, decoder: LineDecoder) -> Any:
    try:
        return json.loads(decoder.decode(raw.removesuffix(b",")))
    except json.JSONDecodeError as exc:
        raise _Malformed(f"malformed JSON ({exc.msg}, column {exc.colno})") from None
    except RecursionError:
        # json's decoder gives up on absurdly nested arrays; that line is garbage, not an article
        raise _Malformed("malformed JSON (nested too deep)") from None


def _lines(stream: BinaryIO, origin: Origin) -> Iterator[tuple[str, Any]]:
    decoder = LineDecoder(origin.path)
    for number, raw in enumerate(split_lines(stream, origin.limit), start=1):
        if isinstance(raw, LongLine):
            yield f"line {number}", _Malformed(f"line of {mib(raw.size)} is over the {mib(origin.limit)} record cap")
            continue
        line = raw.strip().removeprefix(codecs.BOM_UTF8)
        if line and line not in ARRAY_BRACKETS:
            if not JSON_VALUE_START.match(line):
                yield f"line {number}", _Malformed(NOT_A_VALUE)
                continue
            try:
                yield f"line {number}", _parse_line(line, decoder)
            except (_Malformed, ReaderError) as exc:
                yield f"line {number}", _Malformed(exc.reason if isinstance(exc, ReaderError) else str(exc))


def _document(stream: BinaryIO, head: bytes, origin: Origin) -> Iterator[tuple[str, Any]]:
    """The items of a top-level array (or the top-level objects) one at a time, each under the record cap."""
    source = Utf8Stream(stream, head, origin.path, origin.limit)
    # multiple_values: a file of concatenated documents (one pretty-printed object after another) reads too
    prefix = "item" if head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"[") else ""
    number = 0
    try:
        for number, item in enumerate(ijson.items(source, prefix, use_float=True, multiple_values=True), start=1):
            yield (f"item {number}" if prefix else "document"), item
            source.mark()
    except RecordTooLong as exc:
        where = f"item {number + 1}" if prefix else "document"
        if not number:
            raise ReaderError(origin.path, f"{where} is over the {mib(origin.limit)} record cap") from None
        origin.problem(
            where,
            f"over the {mib(origin.limit)} record cap ({mib(exc.args[0])} read); the rest of the file is not read",
        )
    except ijson.JSONError as exc:
        reason = f"malformed JSON ({str(exc).splitlines()[0][:200]})"
        if not number:
            raise ReaderError(origin.path, reason) from None
        origin.problem(f"item {number + 1}", f"{reason}; the rest of the file is not read")


def _articles(items: Iterator[tuple[str, Any]], origin: Origin) -> Iterator[Article]:
    for location, item in items:
        if isinstance(item, _Malformed):
            origin.problem(location, str(item))
            continue
        # A line may hold a whole array of objects (compact JSON exports): each is one article.
        for record in item if isinstance(item, list) else [item]:
            if not isinstance(record, dict):
                origin.problem(location, f"a JSON {type(record).__name__}, not an object")
                continue
            article = try_article(record, origin, location)
            if article is not None:
                yield article


def read_jsonl(stream: BinaryIO, origin: Origin) -> Iterator[Article]:
    """One Article per JSON object; a bad line or object is reported through origin and the rest is still read."""
    head, stream = peek(stream)
    items = _document(stream, head, origin) if _is_document(head) else _lines(stream, origin)
    yield from require_some(_articles(items, origin), origin, "records", "empty file")
