"""Hostile and standard-but-unusual inputs for the readers (issue 16): record caps, streamed JSON arrays,
RFC 4180 CSV, mixed line ends, zip member names that are not UTF-8, and memory that stays bounded.

Memory is measured as the peak RSS of a child process that reads one file; the bounds are generous
and no test measures time."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from readers import ReaderError, RecordProblem, read_file
from readers.archives import _utf8_flag_cleared  # noqa: F401 (the fallback under test exists)

BODY = "The harbour board in Bergen approved the new quay on Tuesday after a long public consultation."


def read_all(path: Path, limit: int | None = None):
    problems: list[RecordProblem] = []
    kwargs = {"max_record_bytes": limit} if limit else {}
    articles = list(read_file(path, "test", on_problem=problems.append, **kwargs))
    return articles, problems


def record(n: int, words: int = 0) -> dict:
    return {
        "url": f"https://harbourtimes.example/{n}",
        "title": f"Quay story {n}",
        "text": BODY + (" More words about the quay." * words),
    }


# --- record cap ---------------------------------------------------------------------------------


def test_jsonl_line_over_the_cap_is_skipped_and_the_next_lines_read(tmp_path):
    path = tmp_path / "feed.jsonl"
    huge = json.dumps({"url": "https://x.example/big", "title": "big", "text": "x" * 300_000})
    path.write_text("\n".join([json.dumps(record(1)), huge, json.dumps(record(2))]) + "\n")
    articles, problems = read_all(path, limit=100_000)
    assert [a.url for a in articles] == ["https://harbourtimes.example/1", "https://harbourtimes.example/2"]
    assert [(p.location, p.reason) for p in problems] == [
        ("line 2", f"line of {len(huge):,} bytes is over the 100,000 bytes record cap")
    ]


def test_last_line_over_the_cap_without_newline(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps(record(1)) + "\n" + "y" * 50_000)
    articles, problems = read_all(path, limit=10_000)
    assert len(articles) == 1 and problems[0].location == "line 2" and "record cap" in problems[0].reason


def test_text_file_over_the_cap_is_quarantined(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("Title\n\n" + BODY * 200)
    with pytest.raises(ReaderError, match="larger than the 10,000 bytes record cap for one article"):
        read_all(path, limit=10_000)


# --- JSON documents -----------------------------------------------------------------------------


@pytest.mark.parametrize("indent", [2, None])
def test_json_array_bigger_than_the_cap_is_streamed_item_by_item(tmp_path, indent):
    """The issue's case: a pretty-printed array bigger than the old one-document cap was dropped whole."""
    path = tmp_path / "export.json"
    records = [record(n, words=400) for n in range(60)]
    path.write_text(json.dumps(records, indent=indent))
    assert path.stat().st_size > 4 * 50_000
    articles, problems = read_all(path, limit=50_000)
    assert problems == []
    assert [a.url for a in articles] == [r["url"] for r in records]


def test_json_array_item_over_the_cap_stops_the_file_after_the_good_items(tmp_path):
    path = tmp_path / "export.json"
    items = [record(1), {"url": "https://x.example/big", "title": "big", "text": "z" * 200_000}, record(3)]
    path.write_text(json.dumps(items, indent=2))
    articles, problems = read_all(path, limit=50_000)
    assert [a.url for a in articles] == ["https://harbourtimes.example/1"]
    assert problems[0].location == "item 2" and "record cap" in problems[0].reason


def test_json_array_with_a_syntax_error_keeps_the_items_before_it(tmp_path):
    path = tmp_path / "export.json"
    path.write_text("[\n" + json.dumps(record(1), indent=2) + ',\n{\n  "url": oops\n}\n]\n')
    articles, problems = read_all(path)
    assert len(articles) == 1
    assert problems[0].location == "item 2" and problems[0].reason.startswith("malformed JSON")


def test_cp1252_pretty_json_is_repaired_while_streamed(tmp_path):
    path = tmp_path / "one.json"
    doc = {
        "url": "https://x.example/p",
        "title": "Prices",
        "text": "A coffee costs £2 now, the café owners said on Monday.",
    }
    path.write_bytes(json.dumps(doc, indent=2, ensure_ascii=False).encode("cp1252"))
    (article,), problems = read_all(path)
    assert problems == [] and "£2" in article.raw_text and "café" in article.raw_text


# --- CSV per RFC 4180 ---------------------------------------------------------------------------


def test_csv_doubled_quotes_are_escapes_whatever_the_header_says(tmp_path):
    """The issue's 3-row file: the sniffer, shown only the header, turned doublequote off."""
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"title,text\r\n"
        b'Plain row,"The council met on Monday and agreed the budget for the harbour."\r\n'
        b'Quoted row,"The mayor called it a ""once in a generation"" investment in the port."\r\n'
        b'Third row,"Work starts in May, the board said, and ends in ""late 2026""."\r\n'
    )
    articles, problems = read_all(path)
    assert problems == []
    assert [a.title for a in articles] == ["Plain row", "Quoted row", "Third row"]
    assert articles[1].raw_text == 'The mayor called it a "once in a generation" investment in the port.'
    assert articles[2].raw_text == 'Work starts in May, the board said, and ends in "late 2026".'


def test_csv_quoted_newlines_and_a_field_over_the_old_limit(tmp_path):
    path = tmp_path / "export.csv"
    big = "A long paragraph about the harbour works and the new quay. " * 20_000  # about 1.2 MB
    rows = [("Multi", "First paragraph.\n\nSecond paragraph, after a blank line."), ("Big", big), ("Last", BODY)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        import csv

        writer = csv.writer(fh)
        writer.writerow(["title", "text"])
        writer.writerows(rows)
    articles, problems = read_all(path)
    assert problems == []
    assert [a.title for a in articles] == ["Multi", "Big", "Last"]
    assert articles[0].paragraphs == ["First paragraph.", "Second paragraph, after a blank line."]
    assert articles[1].raw_text == big


def test_csv_field_over_the_cap_is_skipped_and_the_other_rows_read(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(f'title,text\nOne,"{BODY}"\nBig,"{"w" * 80_000}"\nThree,"{BODY}"\n')
    articles, problems = read_all(path, limit=50_000)
    assert [a.title for a in articles] == ["One", "Three"]
    assert len(problems) == 1 and "over the" in problems[0].reason


def test_tsv_with_mixed_crlf_lf_and_cr_line_ends_keeps_every_row(tmp_path):
    """The issue's TSV kept 2 of 6 rows."""
    path = tmp_path / "export.tsv"
    rows = [f"Row {i}\t{BODY} Item {i}." for i in range(6)]
    ends = ["\r\n", "\n", "\r", "\r\n", "\r", "\n"]
    path.write_bytes(("title\ttext\r\n" + "".join(r + e for r, e in zip(rows, ends, strict=True))).encode())
    articles, problems = read_all(path)
    assert problems == []
    assert [a.title for a in articles] == [f"Row {i}" for i in range(6)]


def test_csv_with_cr_only_line_ends(tmp_path):
    path = tmp_path / "old-mac.csv"
    path.write_bytes(f"title;text\rOne;{BODY}\rTwo;{BODY}\r".encode())
    articles, problems = read_all(path)
    assert problems == [] and [a.title for a in articles] == ["One", "Two"]


def test_csv_with_backslash_escaped_quotes(tmp_path):
    path = tmp_path / "mysql.csv"
    path.write_text('title,text\nOne,"She said \\"yes\\" to the new quay, the paper reported on Monday."\n')
    (article,), problems = read_all(path)
    assert problems == [] and article.raw_text == 'She said "yes" to the new quay, the paper reported on Monday.'


# --- zip member names ---------------------------------------------------------------------------


def _zip_with_bad_utf8_name(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("good.txt", f"Quay opens\n\n{BODY}\n")
        zf.writestr("badXname.txt", f"Never read\n\n{BODY}\n")
    data = path.read_bytes()
    # flag every entry's name as UTF-8 and put an invalid byte into one of them (local and central header)
    data = data.replace(b"badXname", b"bad\xffname")
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        while at != -1:
            flags = int.from_bytes(data[at + flag_at : at + flag_at + 2], "little") | 0x800
            data = data[: at + flag_at] + flags.to_bytes(2, "little") + data[at + flag_at + 2 :]
            at = data.find(sig, at + 4)
    path.write_bytes(data)


def test_zip_member_with_invalid_utf8_name_is_reported_and_the_others_read(tmp_path):
    path = tmp_path / "bundle.zip"
    _zip_with_bad_utf8_name(path)
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(path)  # what made the whole zip a quarantined file before
    articles, problems = read_all(path)
    assert [a.source_file for a in articles] == [f"{path}!good.txt"]
    assert len(problems) == 1
    assert problems[0].reason == "member name is flagged UTF-8 but is not valid UTF-8; not read"


def test_zip_with_bad_name_nested_in_a_gzip(tmp_path):
    inner = tmp_path / "bundle.zip"
    _zip_with_bad_utf8_name(inner)
    outer = tmp_path / "bundle.zip.gz"
    outer.write_bytes(gzip.compress(inner.read_bytes()))
    articles, problems = read_all(outer)
    assert len(articles) == 1 and len(problems) == 1


# --- memory -------------------------------------------------------------------------------------

READ_IN_CHILD = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from readers import read_file
    count = problems = 0
    def seen(problem):
        global problems
        problems += 1
    for _ in read_file(Path(sys.argv[1]), "x", on_problem=seen, max_record_bytes=int(sys.argv[2])):
        count += 1
    print(count, problems, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """
)


def child_read(path: Path, limit: int) -> tuple[int, int, int]:
    """(articles, problems, peak RSS in MiB) of a fresh process that reads the file with a problem counter."""
    out = subprocess.run(
        [sys.executable, "-c", READ_IN_CHILD, str(path), str(limit)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[1],
    ).stdout.split()
    return int(out[0]), int(out[1]), int(out[2])


@pytest.fixture(scope="module")
def baseline_rss(tmp_path_factory) -> int:
    path = tmp_path_factory.mktemp("base") / "one.jsonl"
    path.write_text(json.dumps(record(1)) + "\n")
    return child_read(path, 2**20)[2]


def test_memory_a_gigantic_line_costs_no_more_than_the_cap(tmp_path, baseline_rss):
    """300 MB in one JSONL line (the issue's 1 GB field, smaller): read in pieces and skipped."""
    path = tmp_path / "field.jsonl"
    with path.open("wb") as fh:
        fh.write(json.dumps(record(1)).encode() + b"\n")
        fh.write(b'{"url": "https://x.example/huge", "title": "huge", "text": "')
        block = b"abcdefgh" * (1 << 17)
        for _ in range(300):
            fh.write(block)
        fh.write(b'"}\n' + json.dumps(record(2)).encode() + b"\n")
    articles, problems, rss = child_read(path, 4 * 2**20)
    assert (articles, problems) == (2, 1)
    assert rss - baseline_rss < 60, (rss, baseline_rss)


def test_memory_millions_of_bad_lines_in_a_gzip(tmp_path, baseline_rss):
    """The issue's 27 million non-JSON lines, at 2 million: problems go to the handler, nothing piles up."""
    path = tmp_path / "junk.jsonl.gz"
    line = b"this line is not JSON at all, just words\n"
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(json.dumps(record(1)).encode() + b"\n")
        chunk = line * 10_000
        for _ in range(200):
            fh.write(chunk)
    articles, problems, rss = child_read(path, 2**20)
    assert (articles, problems) == (1, 2_000_000)
    assert rss - baseline_rss < 60, (rss, baseline_rss)


def test_memory_a_big_json_array_is_streamed(tmp_path, baseline_rss):
    """The issue's 200 MB array, at 60 MB: all items load, and memory does not grow with the file."""
    path = tmp_path / "export.json"
    with path.open("w") as fh:
        fh.write("[\n")
        for n in range(60):
            fh.write(("" if n == 0 else ",\n") + json.dumps(record(n, words=36_000), indent=2))
        fh.write("\n]\n")
    assert path.stat().st_size > 55 * 2**20
    articles, problems, rss = child_read(path, 4 * 2**20)
    assert (articles, problems) == (60, 0)
    assert rss - baseline_rss < 100, (rss, baseline_rss)
