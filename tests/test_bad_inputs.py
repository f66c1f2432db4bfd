"""One dump holding every kind of bad file a scrape leaves behind, ingested in one run against the
real node and Prefect server: the good articles load, each bad item is reported with its reason."""

from __future__ import annotations

import gzip
import json
import os
import random
import zipfile
from pathlib import Path

import pytest

from tests.test_faults import refreshed_count, run_flow, source_file_counts, write_articles

pytestmark = pytest.mark.usefixtures("prefect_api", "cache_dir")

GOOD_TEXT = (
    "Ferry timetable changes for the summer\n\n"
    "DOVER, England — The harbour office said on Tuesday that the summer timetable starts on June 1, 2024.\n\n"
    "Crews will add two late sailings on Fridays, the operator said in a statement.\n"
)
HUGE_LINE_BYTES = 50 * 2**20


def jsonl_line(n: int) -> str:
    return json.dumps(
        {
            "url": f"https://harbourtimes.example/feed/{n}",
            "title": f"Feed story {n}",
            "text": f"The port authority in Bergen published report number {n} on the new quay works.",
        }
    )


def build_dump(root: Path) -> dict[str, Path]:
    """Good files and one of each bad kind; returns the bad ones by case name."""
    root.mkdir()
    write_articles(root / "good", 3, prefix="g")
    bad: dict[str, Path] = {}

    def put(case: str, name: str, data: bytes) -> None:
        bad[case] = root / name
        bad[case].write_bytes(data)

    put("binary", "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    # Latin-1 is not UTF-8 but is text: read as cp1252 and loaded with its accents intact.
    put(
        "latin1",
        "latin1.txt",
        "Café owners in Málaga raise prices\n\nThe café owners said a coffee now costs £2, a fifth more.\n".encode(
            "latin-1"
        ),
    )
    # Bytes that are no text in any encoding.
    rnd = random.Random(1)
    put("garbage", "garbage.txt", bytes(rnd.randrange(0x80, 0x100) for _ in range(4000)))
    put("truncated_gz", "story.txt.gz", gzip.compress(GOOD_TEXT.encode() * 20, mtime=0)[:-40])
    put("empty", "empty.txt", b"")
    put(
        "malformed_json",
        "feed.jsonl",
        f'{jsonl_line(1)}\n{{"url": "https://harbourtimes.example/feed/x", "title": "cut off\n{jsonl_line(2)}\n'.encode(),
    )
    put(
        "html_no_article",
        "index.html",
        b"<!DOCTYPE html><html><head><title>Harbour Times</title></head><body><nav>"
        b"<a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a></nav>"
        b"<ul><li><a href='/a'>Ferry fined</a></li><li><a href='/b'>Market returns</a></li></ul></body></html>",
    )
    archive = root / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../escape.txt", GOOD_TEXT.replace("Ferry", "Escaped"))
        zf.writestr("inside.txt", GOOD_TEXT.replace("Ferry timetable", "Zipped timetable"))
    bad["zip_slip"] = archive
    os.symlink(root / "loop_b.txt", root / "loop_a.txt")
    os.symlink(root / "loop_a.txt", root / "loop_b.txt")
    bad["symlink_loop"] = root / "loop_a.txt"
    (root / "sub").mkdir()
    os.symlink(root, root / "sub" / "up")  # a directory loop: the walk must not follow it
    put("vanishing", "vanishing.txt", GOOD_TEXT.replace("Ferry", "Vanishing").encode())
    # One 50 MB line: a plain-text article whose only block becomes its title.
    with (root / "huge.txt").open("wb") as fh:
        sentence = b"Harbour workers in Dover met the mayor on Tuesday to talk about pay. "
        fh.write(sentence * (HUGE_LINE_BYTES // len(sentence)))
    bad["huge_line"] = root / "huge.txt"
    return bad


@pytest.mark.timeout(300)
def test_every_bad_input_is_reported_and_the_rest_loads(es, alias, tmp_path, cache_dir, monkeypatch):
    import flows.ingest

    dump = tmp_path / "dump"
    bad = build_dump(dump)

    # A file deleted between discovery and reading: the real discover runs, then the file goes.
    real_discover = flows.ingest.discover

    def discover_then_delete(paths):
        found = real_discover(paths)
        bad["vanishing"].unlink()
        return found

    monkeypatch.setattr(flows.ingest, "discover", discover_then_delete)
    report = run_flow([dump], alias)

    quarantined = {Path(q["path"]).name: q["reason"] for q in report["quarantined"]}
    expected_reasons = {
        "photo.txt": "binary content in a text file",
        "garbage.txt": "cannot detect the text encoding",
        "story.txt.gz": "truncated gzip: the compressed data ends before its end marker",
        "empty.txt": "empty file",
        "index.html": "no article text in HTML",
        "loop_a.txt": "Too many levels of symbolic links",
        "loop_b.txt": "Too many levels of symbolic links",
        "vanishing.txt": "No such file or directory",
    }
    for name, reason in expected_reasons.items():
        assert quarantined.get(name) == reason, (name, quarantined)
    skipped = {(Path(s["path"]).name, s["location"]): s["reason"] for s in report["skipped_records"]}
    assert skipped[("feed.jsonl", "line 2")].startswith("malformed JSON (")
    assert skipped[("bundle.zip", "member ../escape.txt")] == "unsafe path (absolute or with '..'), not read"

    # The 50 MB one-article file is over the record cap (max_record_bytes, 16 MiB): quarantined unread.
    assert quarantined["huge.txt"] == "larger than the 16 MiB record cap for one article"

    # everything else loaded, once
    good = {str(p) for p in (dump / "good").iterdir()}
    loaded = {
        *good,
        str(dump / "latin1.txt"),
        f"{dump / 'bundle.zip'}!inside.txt",
    }
    per_file = source_file_counts(es, alias)
    assert refreshed_count(es, alias) == len(loaded) + 2  # + the two good lines of feed.jsonl
    assert set(per_file) == loaded | {str(dump / "feed.jsonl")}
    assert per_file[str(dump / "feed.jsonl")] == 2 and all(per_file[p] == 1 for p in loaded)
    latin = es.search(index=alias, query={"term": {"source_file": str(dump / "latin1.txt")}})["hits"]["hits"]
    assert latin[0]["_source"]["title"] == "Café owners in Málaga raise prices"
    assert "£2" in latin[0]["_source"]["body"]
    assert report["stages"]["load"]["indexed"] == len(loaded) + 2 and not report["stages"]["load"].get("failed")

    # quarantine.jsonl holds the same items as the report, with their reasons
    lines = [json.loads(x) for x in (cache_dir / "runs" / "quarantine.jsonl").read_text().splitlines()]
    in_file = {(Path(x["path"]).name, x.get("location")): x["reason"] for x in lines}
    for name, reason in expected_reasons.items():
        assert in_file[(name, None)] == reason
    assert in_file[("feed.jsonl", "line 2")] == skipped[("feed.jsonl", "line 2")]
    assert ("bundle.zip", "member ../escape.txt") in in_file
    assert report["counts"]["files_quarantined"] == len(quarantined)
    assert report["counts"]["records_skipped"] == len(report["skipped_records"]) == 2


@pytest.mark.timeout(120)
def test_giant_paragraph_is_reported_not_fatal(es, alias, tmp_path, cache_dir):
    """A title line and then one paragraph over spaCy's nlp.max_length (1,000,000 characters): before
    11d4c51 it crashed the enrich task (E088) and with it the whole run."""
    dump = tmp_path / "dump"
    write_articles(dump, 2, prefix="g")
    sentence = "Harbour workers in Dover met the mayor on Tuesday to talk about pay. "
    (dump / "long.txt").write_text("A very long story\n\n" + sentence * (1_100_000 // len(sentence)) + "\n")
    report = run_flow([dump], alias)
    assert refreshed_count(es, alias) == 2
    rejects = [json.loads(x) for x in (cache_dir / "runs" / "rejects.jsonl").read_text().splitlines()]
    reasons = [r["reason"] for r in rejects if r["source_file"] == str(dump / "long.txt")]
    assert reasons == ["article_too_long"] or any(Path(q["path"]).name == "long.txt" for q in report["quarantined"])


@pytest.mark.timeout(120)
def test_minimum_date_in_metadata_does_not_crash_the_run(es, alias, tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    record = {
        "url": "https://harbourtimes.example/quay",
        "title": "Quay works",
        "date": "0001-01-01T00:00:00",
        "text": "The port authority in Bergen said on Tuesday that the quay works would finish in May.",
    }
    (dump / "feed.jsonl").write_text(json.dumps(record) + "\n" + jsonl_line(1) + "\n")
    report = run_flow([dump], alias)
    assert report["stages"]["load"]["indexed"] == 2


def _zip_with_bad_utf8_name(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("good.txt", GOOD_TEXT.replace("Ferry timetable", "Zipped ferry timetable"))
        zf.writestr("badXname.txt", GOOD_TEXT)
    data = path.read_bytes().replace(b"badXname", b"bad\xffname")
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        while at != -1:
            flags = int.from_bytes(data[at + flag_at : at + flag_at + 2], "little") | 0x800
            data = data[: at + flag_at] + flags.to_bytes(2, "little") + data[at + flag_at + 2 :]
            at = data.find(sig, at + 4)
    path.write_bytes(data)


@pytest.mark.timeout(600)
def test_hostile_files_beside_good_ones(es, alias, tmp_path, cache_dir, monkeypatch):
    """Issue 16's cases at small sizes, in one run: every good record loads, every bad one is counted,
    quarantine.jsonl lists a bounded number per file, and every line carries the run id."""
    monkeypatch.setenv("NEWSFACET_MAX_RECORD_BYTES", str(2**20))
    monkeypatch.setenv("NEWSFACET_MAX_PROBLEMS_PER_FILE", "100")
    from newsfacet.settings import get_settings

    get_settings.cache_clear()
    dump = tmp_path / "dump"
    write_articles(dump / "good", 2, prefix="g")
    bad_lines = 200_000
    with gzip.open(dump / "junk.jsonl.gz", "wb", compresslevel=1) as fh:
        fh.write(jsonl_line(1).encode() + b"\n")
        fh.write(b"this line is not JSON, just words\n" * bad_lines)
    # a 3 MiB field in one line between two good lines (the cap is 1 MiB here)
    (dump / "field.jsonl").write_text(
        jsonl_line(2)
        + "\n"
        + json.dumps({"url": "https://x.example/h", "text": "w" * 3 * 2**20})
        + "\n"
        + jsonl_line(3)
        + "\n"
    )
    # a pretty-printed array bigger than the cap, 12 articles of about 200 KB each
    items = [
        {
            "url": f"https://harbourtimes.example/array/{n}",
            "title": f"Array story {n}",
            "text": f"The harbour master in Tromsø logged arrival number {n} on the new pier on Monday.",
            "comments": ["A reader comment about the pier. " * 30] * 200,
        }
        for n in range(12)
    ]
    (dump / "export.json").write_text(json.dumps(items, indent=2))
    assert (dump / "export.json").stat().st_size > 2**20
    (dump / "quotes.csv").write_bytes(
        b"title,text\r\n"
        b'Budget agreed,"The council met on Monday and agreed the budget for the harbour front."\r\n'
        b'Mayor speaks,"The mayor called it a ""once in a generation"" investment in the port."\r\n'
        b'Works begin,"Work starts in May, the board said, and ends in ""late 2026"" at the earliest."\r\n'
    )
    rows = [
        f"Tide table {i}\tThe tide table for week {i} was published by the harbour office on Friday." for i in range(6)
    ]
    (dump / "mixed.tsv").write_bytes(
        (
            "title\ttext\r\n"
            + "".join(r + e for r, e in zip(rows, ["\r\n", "\n", "\r", "\r\n", "\r", "\n"], strict=True))
        ).encode()
    )
    _zip_with_bad_utf8_name(dump / "bundle.zip")
    (dump / "name\nwith newline.txt").write_text(GOOD_TEXT.replace("Ferry", "Newline"))
    (dump / "empty\nname.txt").write_bytes(b"")
    # the text of good/g0000.txt without its last full stop: the same content hash, another id, and
    # shorter, so dedupe keeps the original and rejects this one
    (dump / "zz").mkdir()
    (dump / "zz" / "dup.txt").write_text((dump / "good" / "g0000.txt").read_text().rstrip().removesuffix(".") + "\n")

    report = run_flow([dump], alias)
    run_id = report["run_id"]
    assert run_id

    per_file = source_file_counts(es, alias)
    expected = {
        **{str(p): 1 for p in (dump / "good").iterdir()},
        str(dump / "junk.jsonl.gz"): 1,
        str(dump / "field.jsonl"): 2,
        str(dump / "export.json"): 12,
        str(dump / "quotes.csv"): 3,
        str(dump / "mixed.tsv"): 6,
        f"{dump / 'bundle.zip'}!good.txt": 1,
        str(dump / "name\nwith newline.txt"): 1,
    }
    assert per_file == expected
    mayor = es.search(index=alias, query={"match_phrase": {"title": "Mayor speaks"}})["hits"]["hits"]
    assert mayor[0]["_source"]["body"] == 'The mayor called it a "once in a generation" investment in the port.'

    assert report["counts"]["records_skipped"] == bad_lines + 2  # junk lines, the huge line, the bad zip name
    junk = [s for s in report["skipped_records"] if s["path"] == str(dump / "junk.jsonl.gz")]
    assert len(junk) == 20  # the report keeps the first few of a file; the file on disk has more
    assert [Path(q["path"]).name for q in report["quarantined"]] == ["empty\nname.txt"]

    lines = (cache_dir / "runs" / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]  # a newline in a file name does not split a line
    assert all(r["run_id"] == run_id for r in rows)
    by_file: dict[str, list[dict]] = {}
    for r in rows:
        by_file.setdefault(Path(r["path"]).name, []).append(r)
    assert len(by_file["junk.jsonl.gz"]) == 101  # 100 listed, then one line counting the rest
    assert by_file["junk.jsonl.gz"][-1]["unlisted"] == bad_lines - 100
    assert "record cap" in by_file["field.jsonl"][0]["reason"]
    (zip_problem,) = by_file["bundle.zip"]
    assert zip_problem["reason"] == "member name is flagged UTF-8 but is not valid UTF-8; not read"
    assert by_file["empty\nname.txt"][0]["reason"] == "empty file"
    rejects = [json.loads(line) for line in (cache_dir / "runs" / "rejects.jsonl").read_text().splitlines()]
    assert any(r["source_file"] == str(dump / "zz" / "dup.txt") and r["reason"] == "exact_duplicate" for r in rejects)
    assert all(r["run_id"] == run_id for r in rejects)
