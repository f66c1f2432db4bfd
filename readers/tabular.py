"""CSV/TSV exports: a header row naming the fields, one article per row, streamed by the csv module."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from itertools import chain
from typing import BinaryIO

from readers.encoding import LineDecoder
from readers.errors import ReaderError
from readers.fields import CONTENT_KEYS, try_article
from readers.problems import Origin
from transforms.records import Article

# Article bodies easily pass the csv module's default 128 KiB field limit.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
DELIMITERS = ",;\t|"


def _dialect(header: str) -> type[csv.Dialect] | csv.Dialect:
    # Exports from spreadsheets in many locales use ';' or tabs; the header line says which.
    try:
        return csv.Sniffer().sniff(header, delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel


def read_csv(stream: BinaryIO, origin: Origin) -> Iterator[Article]:
    """One Article per row after the header; a bad row is reported through origin and skipped."""
    decoder = LineDecoder(origin.path)
    # Decoding per line is safe: a line break never falls inside a multi-byte character.
    lines = (decoder.decode(raw) for raw in stream)
    first = next(lines, None)
    if first is None or not first.strip():
        raise ReaderError(origin.path, "empty file")
    reader = csv.reader(chain([first], lines), _dialect(first))
    keys = [k.strip().lower() for k in next(reader)]
    if not set(keys) & set(CONTENT_KEYS):
        raise ReaderError(origin.path, f"CSV header has no text or html column: {', '.join(keys)[:200]}")
    read = skipped = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            skipped += 1
            origin.problem(f"line {reader.line_num}", f"bad CSV row: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        location = f"row ending at line {reader.line_num}"
        if len(row) != len(keys):
            skipped += 1
            origin.problem(location, f"{len(row)} fields where the header has {len(keys)}")
            continue
        article = try_article(dict(zip(keys, row, strict=True)), origin, location)
        if article is None:
            skipped += 1
            continue
        read += 1
        yield article
    if not read:
        raise ReaderError(
            origin.path, f"no readable rows ({skipped} skipped)" if skipped else "no rows under the header"
        )
