"""CSV/TSV exports per RFC 4180: a header row naming the fields, one article per row, streamed by the csv module.

The dialect comes from a sample of the file (not its first line), quotes are escaped by doubling them
unless the sample shows backslash escapes, fields may hold line breaks, and CRLF, LF and CR line ends
may be mixed in one file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from readers.encoding import LineDecoder
from readers.errors import ReaderError
from readers.fields import CONTENT_KEYS, try_article
from readers.lines import LongLine, split_lines
from readers.problems import Origin, mib, require_some
from readers.sniff import peek
from transforms.records import Article

DELIMITERS = ",;\t|"
SAMPLE_BYTES = 64 * 1024
# A quote escaped with a backslash inside a field (\"), and one escaped by doubling it ("").
BACKSLASH_QUOTE = re.compile(r'\\"')
DOUBLED_QUOTE = re.compile(r'[^"\s,;\t|]""[^"\s,;\t|]|""""')


def _dialect(sample: str, name: str) -> type[csv.Dialect]:
    """The delimiter the sample says (spreadsheets in many locales use ';' or tabs), RFC 4180 quoting."""
    header = sample.splitlines()[0] if sample.strip() else ""
    counts = {d: header.count(d) for d in DELIMITERS}
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = None
    if delimiter is None or (not counts[delimiter] and any(counts.values())):
        # the sniffer found none, or one the header row never uses: the header's own separator decides
        default = "\t" if PurePosixPath(name).suffix.lower() == ".tsv" else ","
        delimiter = max(counts, key=counts.__getitem__) if any(counts.values()) else default
    # The sniffer turns doublequote off whenever its sample shows no "" pair, which loses rows of a
    # standard file; only clear evidence of backslash escaping switches it off here.
    backslash = BACKSLASH_QUOTE.search(sample) is not None and DOUBLED_QUOTE.search(sample) is None

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    Dialect.doublequote = not backslash
    Dialect.escapechar = "\\" if backslash else None
    return Dialect


def _text_lines(stream: BinaryIO, origin: Origin, numbers: list[int]) -> Iterator[str]:
    """Decoded lines ending in "\\n" whatever their line end was; over-long lines are reported and skipped."""
    decoder = LineDecoder(origin.path)
    # Decoding per line is safe: a line break never falls inside a multi-byte character.
    for number, raw in enumerate(split_lines(stream, origin.limit, universal=True), start=1):
        numbers[0] = number
        if isinstance(raw, LongLine):
            origin.problem(f"line {number}", f"line of {mib(raw.size)} is over the {mib(origin.limit)} record cap")
            continue
        yield decoder.decode(raw) + "\n"


def read_csv(stream: BinaryIO, origin: Origin) -> Iterator[Article]:
    """One Article per row after the header; a bad row is reported through origin and skipped."""
    head, stream = peek(stream, SAMPLE_BYTES)
    if not head.strip():
        raise ReaderError(origin.path, "empty file")
    numbers = [0]  # the line the csv reader has read up to, for locations
    # a field may be as long as a record (the module's default limit, 128 KiB, is shorter than many bodies)
    csv.field_size_limit(origin.limit)
    reader = csv.reader(
        _text_lines(stream, origin, numbers),
        _dialect(head.decode("utf-8", errors="replace"), origin.name),
    )
    try:
        keys = [k.strip().lower() for k in next(reader)]
    except StopIteration:
        raise ReaderError(origin.path, "empty file") from None
    if not set(keys) & set(CONTENT_KEYS):
        raise ReaderError(origin.path, f"CSV header has no text or html column: {', '.join(keys)[:200]!r}")
    yield from require_some(_rows(reader, keys, origin, numbers), origin, "rows", "no rows under the header")


def _rows(reader: Iterator[list[str]], keys: list[str], origin: Origin, numbers: list[int]) -> Iterator[Article]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            origin.problem(f"line {numbers[0]}", f"bad CSV row: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        location = f"row ending at line {numbers[0]}"
        if len(row) != len(keys):
            origin.problem(location, f"{len(row)} fields where the header has {len(keys)}")
            continue
        article = try_article(dict(zip(keys, row, strict=True)), origin, location)
        if article is not None:
            yield article
