"""Dump readers: every format, sniffing, wrappers, and the bad files a scrape leaves behind."""

from __future__ import annotations

import gzip
import io
import json
import logging
import tarfile
import zipfile
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from readers import ReaderError, RecordProblem, discover, read_file

DUMPS = Path(__file__).parent / "fixtures" / "dumps"
NEWSPLEASE = DUMPS / "newsplease.jsonl"
CSV_EXPORT = DUMPS / "export.csv"
FERRY_PAGE = DUMPS / "ferry-fine.html"
LINKS_PAGE = DUMPS / "links-only.html"

STRIKE_URL = "https://harbourtimes.example/2024/03/04/port-strike"
FERRY_URL = "https://harbourtimes.example/2024/04/18/ferry-fine"
FERRY_TITLE = "Ferry operator fined over late sailings"
MARKET_HTML = b"""<!DOCTYPE html>
<html><head><title>Quay Street market returns</title></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Quay Street market returns</h1>
<p>The Saturday market on Quay Street reopened this weekend after a two-year break, with thirty stalls selling fish, bread and secondhand books.</p>
<p>Organiser Petra Lunde said traders had asked the council for a permanent licence so the market could run through the winter months.</p>
</article><footer>Contact us</footer></body></html>"""


def read_all(path: Path, source: str | None = None):
    """The articles and the problems reported while reading one file."""
    problems: list[RecordProblem] = []
    articles = list(read_file(path, source, on_problem=problems.append))
    return articles, problems


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def write_warc(path: Path) -> None:
    """A small crawl: two article pages, an index page, a request, an image and a redirect."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)

        def response(uri: str, body: bytes, content_type: str, date: str, status: str = "200 OK") -> None:
            http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                uri, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict={"WARC-Date": date}
            )
            writer.write_record(record)

        request = StatusAndHeaders("GET /2024/04/18/ferry-fine HTTP/1.1", [("Host", "x")], is_http_request=True)
        writer.write_record(writer.create_warc_record(FERRY_URL, "request", http_headers=request))
        response(FERRY_URL, FERRY_PAGE.read_bytes(), "text/html; charset=utf-8", "2024-04-20T10:00:00Z")
        response(
            "https://harbourtimes.example/img/ferry.png", b"\x89PNG\r\n\x1a\n\x00", "image/png", "2024-04-20T10:00:01Z"
        )
        response("https://harbourtimes.example/old", b"", "text/html", "2024-04-20T10:00:02Z", status="301 Moved")
        response("https://harbourtimes.example/news", LINKS_PAGE.read_bytes(), "text/html", "2024-04-20T10:00:03Z")
        response("https://harbourtimes.example/market", MARKET_HTML, "text/html", "2024-05-11T08:30:00Z")


# --- each format -------------------------------------------------------------------------------


def test_jsonl_reads_newsplease_records_and_extracts_html_only_records():
    articles, problems = read_all(NEWSPLEASE)
    assert problems == []
    assert [a.title for a in articles] == [
        "Saltmere dock workers strike over shift rota",
        "Port strike enters second day",
        FERRY_TITLE,
    ]
    assert [a.url for a in articles] == [STRIKE_URL, "https://coastwire.example/news/strike-day-two", FERRY_URL]
    assert [a.published_at for a in articles] == ["2024-03-04 07:45:00", None, "2024-04-18"]
    # blank-line paragraphs, single-newline paragraphs, and trafilatura's lines without the <h1>
    assert [len(a.paragraphs) for a in articles] == [3, 3, 3]
    assert articles[0].authors == ["Tomas Fenn", "Ada Ruskin"]
    assert articles[0].source == "harbourtimes.example"
    assert articles[0].language == "en"
    assert articles[0].raw_text.startswith("Dock workers at Saltmere")
    assert articles[2].authors == ["Mara Quell"]
    assert articles[2].source == "Harbour Times"  # from the page, as the record names none
    assert {a.source_file for a in articles} == {str(NEWSPLEASE)}


def test_csv_export_header_is_case_insensitive_and_fields_map():
    articles, problems = read_all(CSV_EXPORT)
    assert problems == []
    assert [a.title for a in articles] == [
        "Harbour wall repairs delayed until autumn",
        "Lifeboat crew rescue two kayakers off Gull Point",
    ]
    assert [a.url for a in articles] == ["https://harbourtimes.example/2024/05/02/harbour-wall", None]
    assert [a.published_at for a in articles] == ["May 2, 2024", "2024-06-09T16:20:00Z"]
    assert [len(a.paragraphs) for a in articles] == [3, 2]
    assert articles[0].authors == ["Mara Quell", "Tomas Fenn"]
    assert articles[0].language == "en"  # en-GB -> primary subtag
    assert articles[0].source == "Harbour Times"
    assert articles[1].source == "dumps"  # no source column value, no argument: the folder name


def test_csv_with_semicolons_and_huge_field(tmp_path):
    body = "A very long paragraph about the harbour. " * 5000  # well past csv's default 128 KiB limit
    path = tmp_path / "sheet.csv"
    path.write_text(f'title;text;date\nLong read;"{body}";2024-01-02\n', encoding="utf-8")
    (article,), problems = read_all(path, "Harbour Times")
    assert problems == []
    assert article.title == "Long read"
    assert article.published_at == "2024-01-02"
    assert article.source == "Harbour Times"
    assert len(article.raw_text) == len(body)


def test_html_page_main_text_and_metadata_without_page_furniture():
    (article,), problems = read_all(FERRY_PAGE)
    assert problems == []
    assert article.title == FERRY_TITLE
    assert article.url == FERRY_URL
    assert article.published_at == "2024-04-18"
    assert article.authors == ["Mara Quell"]
    assert article.source == "Harbour Times"
    assert article.language == "en"
    assert len(article.paragraphs) == 3
    assert article.paragraphs[0].startswith("The regional transport board fined Bellwater Ferries £40,000")
    text = "\n".join(article.paragraphs)
    for furniture in ("Share on", "Related stories", "All rights reserved", "Sport", "Harbour wall repairs"):
        assert furniture not in text


def test_html_without_article_text_raises():
    with pytest.raises(ReaderError, match="no article text in HTML") as info:
        read_all(LINKS_PAGE)
    assert info.value.path == LINKS_PAGE


def test_warc_reads_html_responses_only(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    write_warc(path)
    articles, problems = read_all(path)
    assert [a.url for a in articles] == [FERRY_URL, "https://harbourtimes.example/market"]
    assert [a.title for a in articles] == [FERRY_TITLE, "Quay Street market returns"]
    # the page's own date wins; the market page has none, so the crawl date stands in
    assert [a.published_at for a in articles] == ["2024-04-18", "2024-05-11T08:30:00Z"]
    assert [len(a.paragraphs) for a in articles] == [3, 2]
    assert {a.source_file for a in articles} == {str(path)}
    # the index page is reported; the request, the image and the redirect are not problems
    assert len(problems) == 1
    assert "https://harbourtimes.example/news" in problems[0].location
    assert problems[0].reason == "no article text in HTML"


def test_uncompressed_warc_without_extension_is_sniffed(tmp_path):
    packed = tmp_path / "crawl.warc.gz"
    write_warc(packed)
    plain = tmp_path / "crawl-0001"
    plain.write_bytes(gzip.decompress(packed.read_bytes()))
    articles, _ = read_all(plain)
    assert [a.title for a in articles] == [FERRY_TITLE, "Quay Street market returns"]


def test_txt_file_is_one_article_with_its_folder_as_source(tmp_path):
    path = tmp_path / "wire" / "story.txt"
    path.parent.mkdir()
    path.write_text("Storm closes ferry route\n\nNo sailings ran on Friday.\n", encoding="utf-8")
    (article,), problems = read_all(path)
    assert problems == []
    assert article.paragraphs == ["Storm closes ferry route", "No sailings ran on Friday."]
    assert article.source == "wire"


# --- wrappers ----------------------------------------------------------------------------------


def test_gzip_wrapped_jsonl_and_txt(tmp_path):
    jsonl = tmp_path / "day.jsonl.gz"
    jsonl.write_bytes(gzip_bytes(NEWSPLEASE.read_bytes()))
    txt = tmp_path / "story.txt.gz"
    txt.write_bytes(gzip_bytes(b"Storm closes ferry route\n\nNo sailings ran on Friday.\n"))
    articles, _ = read_all(jsonl)
    assert len(articles) == 3
    assert articles[0].source_file == str(jsonl)
    (story,), _ = read_all(txt)
    assert story.paragraphs == ["Storm closes ferry route", "No sailings ran on Friday."]


def test_zip_members_are_read_and_zip_slip_members_only_reported(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("2024/03/newsplease.jsonl", NEWSPLEASE.read_bytes())
        archive.writestr("pages/ferry-fine.html", FERRY_PAGE.read_bytes())
        archive.writestr("../../evil.txt", "Escaped the archive folder and overwrote a file.")
        archive.writestr("/etc/evil.txt", "Absolute path.")
        archive.writestr("__MACOSX/._newsplease.jsonl", b"\x00\x05\x16\x07")
        archive.writestr("pages/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    articles, problems = read_all(path)
    assert len(articles) == 4
    assert articles[0].source_file == f"{path}!2024/03/newsplease.jsonl"
    assert articles[3].source_file == f"{path}!pages/ferry-fine.html"
    reasons = {p.location: p.reason for p in problems}
    assert "unsafe path" in reasons["member ../../evil.txt"]
    assert "unsafe path" in reasons["member /etc/evil.txt"]
    assert "binary" in reasons["member pages/logo.png"]
    assert all(p.path == str(path) for p in problems)
    assert not (tmp_path.parent / "evil.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.zip"]  # nothing extracted


def test_tar_gz_with_nested_gzip_and_zip_members(tmp_path):
    inner_zip = io.BytesIO()
    with zipfile.ZipFile(inner_zip, "w") as archive:
        archive.writestr("ferry.html", FERRY_PAGE.read_bytes())
    path = tmp_path / "dump.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in [
            ("dump/export.csv", CSV_EXPORT.read_bytes()),
            ("dump/day.jsonl.gz", gzip_bytes(NEWSPLEASE.read_bytes())),
            ("dump/pages.zip", inner_zip.getvalue()),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("dump/link.txt")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    articles, problems = read_all(path)
    assert problems == []
    assert [a.source_file.removeprefix(str(path)) for a in articles] == [
        "!dump/export.csv",
        "!dump/export.csv",
        "!dump/day.jsonl.gz",
        "!dump/day.jsonl.gz",
        "!dump/day.jsonl.gz",
        "!dump/pages.zip!ferry.html",
    ]
    assert articles[-1].title == FERRY_TITLE


# --- sniffing ----------------------------------------------------------------------------------


def test_mislabelled_files_are_read_by_content(tmp_path):
    as_txt = tmp_path / "feed.txt"
    as_txt.write_bytes(NEWSPLEASE.read_bytes())
    as_csv = tmp_path / "page.csv"
    as_csv.write_bytes(FERRY_PAGE.read_bytes())
    gz_as_jsonl = tmp_path / "day.jsonl"
    gz_as_jsonl.write_bytes(gzip_bytes(NEWSPLEASE.read_bytes()))
    no_extension = tmp_path / "story"
    no_extension.write_text("Storm closes ferry route\n\nNo sailings ran on Friday.\n", encoding="utf-8")
    assert len(read_all(as_txt)[0]) == 3
    assert read_all(as_csv)[0][0].title == FERRY_TITLE
    assert len(read_all(gz_as_jsonl)[0]) == 3
    assert read_all(no_extension)[0][0].paragraphs[0] == "Storm closes ferry route"


def test_unknown_extension_with_plain_text_is_unsupported(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nNothing here.\n", encoding="utf-8")
    with pytest.raises(ReaderError, match=r"unsupported file type \.md"):
        read_all(path)


# --- bad input ---------------------------------------------------------------------------------


def test_malformed_json_line_is_skipped_and_reported(tmp_path):
    good = NEWSPLEASE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "feed.jsonl"
    lines = [
        good[0],
        '{"title": "Cut off mid-line", "maintext": "The council',
        good[1],
        "42",
        '{"title": "No body"}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles, problems = read_all(path)
    assert [a.url for a in articles] == [STRIKE_URL, "https://coastwire.example/news/strike-day-two"]
    assert [(p.location, p.reason.split(" (")[0]) for p in problems] == [
        ("line 2", "malformed JSON"),
        ("line 4", "a JSON int, not an object"),
        ("line 5", "no text or html field"),
    ]
    assert problems[0].path == str(path)


def test_pretty_printed_json_and_compact_arrays(tmp_path):
    records = [json.loads(line) for line in NEWSPLEASE.read_text(encoding="utf-8").splitlines()]
    single = tmp_path / "port-strike.json"  # news-please's own output: one indented file per article
    single.write_text(json.dumps(records[0], indent=4), encoding="utf-8")
    pretty_array = tmp_path / "all.json"
    pretty_array.write_text(json.dumps(records, indent=2), encoding="utf-8")
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps(records), encoding="utf-8")
    scrapy = tmp_path / "scrapy.json"  # Scrapy's exporter: "[", one object per line with a comma, "]"
    scrapy.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n", encoding="utf-8")
    assert [a.url for a in read_all(single)[0]] == [STRIKE_URL]
    for path in (pretty_array, compact, scrapy):
        articles, problems = read_all(path)
        assert (len(articles), problems) == (3, []), path.name


def test_problems_are_logged_by_default(tmp_path, caplog):
    path = tmp_path / "feed.jsonl"
    path.write_text(NEWSPLEASE.read_text(encoding="utf-8") + "{broken\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="newsfacet.readers"):
        assert len(list(read_file(path))) == 3
    assert "line 4: malformed JSON" in caplog.text


def test_only_malformed_lines_raise(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text("{broken\n{also broken\n", encoding="utf-8")
    with pytest.raises(ReaderError, match=r"no readable records \(2 skipped\)"):
        read_all(path)


@pytest.mark.parametrize("name", ["empty.txt", "empty.jsonl", "empty.csv", "empty.html", "empty.zip", "empty.gz"])
def test_empty_file_raises(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(ReaderError, match="empty file"):
        read_all(path)


def test_binary_file_with_txt_extension_raises(tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(ReaderError, match="binary content") as info:
        read_all(path)
    assert info.value.path == path


def test_truncated_gzip_yields_what_was_readable_then_raises(tmp_path):
    lines = [json.dumps({"url": f"https://x.example/{i}", "text": f"Story number {i} " * 30}) for i in range(400)]
    data = gzip_bytes("\n".join(lines).encode())
    path = tmp_path / "feed.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    seen = []
    with pytest.raises(ReaderError, match="truncated gzip") as info:
        for article in read_file(path, on_problem=lambda p: None):
            seen.append(article.url)
    assert info.value.path == path
    assert 0 < len(seen) < 400
    assert seen == [f"https://x.example/{i}" for i in range(len(seen))]


def test_truncated_txt_gz_raises(tmp_path):
    path = tmp_path / "story.txt.gz"
    path.write_bytes(gzip_bytes(b"Storm closes ferry route\n\nNo sailings ran on Friday.\n")[:20])
    with pytest.raises(ReaderError, match="truncated gzip"):
        read_all(path)


def test_corrupt_zip_raises(tmp_path):
    path = tmp_path / "dump.zip"
    path.write_bytes(b"PK\x03\x04" + b"not really a zip" * 10)
    with pytest.raises(ReaderError, match="corrupt zip"):
        read_all(path)


def test_stray_latin1_byte_becomes_pound_sign_in_every_text_format(tmp_path):
    txt = tmp_path / "fine.txt"
    txt.write_bytes(b"Ferry fine\n\nThe operator was fined \xa340,000 on Thursday.\n")
    jsonl = tmp_path / "fine.jsonl"
    jsonl.write_bytes(b'{"title": "Ferry fine", "text": "Fined \xa340,000 on Thursday."}\n')
    csv_file = tmp_path / "fine.csv"
    csv_file.write_bytes(b"title,body\nFerry fine,Fined \xa340;000 on Thursday.\n")
    assert "£40,000" in read_all(txt)[0][0].paragraphs[1]
    assert read_all(jsonl)[0][0].paragraphs == ["Fined £40,000 on Thursday."]
    assert read_all(csv_file)[0][0].paragraphs == ["Fined £40;000 on Thursday."]


def test_cp1252_jsonl_is_detected_line_by_line(tmp_path):
    record = {"title": "Café owners protest", "text": "Café and crêperie owners in Saltmere — all of them — protested."}
    path = tmp_path / "fr.jsonl"
    path.write_bytes((json.dumps(record, ensure_ascii=False) + "\n").encode("cp1252") * 2)
    articles, problems = read_all(path)
    assert problems == []
    assert [a.title for a in articles] == ["Café owners protest"] * 2
    assert "crêperie" in articles[1].paragraphs[0]


# --- discover ----------------------------------------------------------------------------------


def test_discover_finds_every_supported_extension(tmp_path):
    names = [
        "a.txt",
        "b.jsonl",
        "c.ndjson",
        "d.csv",
        "e.html",
        "f.htm",
        "g.warc",
        "h.warc.gz",
        "i.jsonl.gz",
        "j.zip",
        "k.tar.gz",
        "l.tgz",
        "m.gz",
    ]
    for name in [*names, "skip.png", "skip.sql.gz", ".hidden.jsonl"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.jsonl").write_bytes(b"x")
    assert [p.name for p in discover([tmp_path])] == sorted(names)


def test_discover_terminates_on_symlink_loops(tmp_path):
    root = tmp_path / "dumps"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "feed.jsonl").write_bytes(NEWSPLEASE.read_bytes())
    (root / "sub" / "back").symlink_to(root, target_is_directory=True)  # a directory loop
    (root / "loop-a.jsonl").symlink_to(root / "loop-b.jsonl")  # a file loop
    (root / "loop-b.jsonl").symlink_to(root / "loop-a.jsonl")
    found = discover([root])
    assert [p.relative_to(root).as_posix() for p in found] == ["loop-a.jsonl", "loop-b.jsonl", "sub/feed.jsonl"]
    with pytest.raises(ReaderError) as info:
        read_all(found[0])
    assert "symbolic links" in info.value.reason
    assert len(read_all(found[2])[0]) == 3
