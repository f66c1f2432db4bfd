"""Property tests (hypothesis), bounded in examples and time: readers only ever raise ReaderError,
and the text and date helpers never crash and are stable where they should be."""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newsfacet.settings import CONFIG_DIR
from readers import ReaderError, read_file
from transforms.clean import balance_quotes, clean_paragraphs, load_rules, normalize_text
from transforms.dates import find_publish_date, parse_dateline, resolve_mentioned_date
from transforms.stats import StageResult

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
EXTENSIONS = [".txt", ".jsonl", ".json", ".csv", ".tsv", ".html", ".warc", ".warc.gz", ".gz", ".zip", ".tar", ".tgz"]
# First bytes that send a stream to each reader, so the fuzz reaches past format detection.
HEADS = [
    b"\x1f\x8b\x08\x00",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"WARC/1.0\r\n",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"<!DOCTYPE html><html><body><p>",
    b'{"text": "',
    b'[\n{"title": ',
    b"{\n",
    b"title,text\n",
    b"text\tdate\n",
]


def _zip(member: bytes, name: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(name, member)
    return buf.getvalue()


def _tar(member: bytes, name: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo(name)
        info.size = len(member)
        tf.addfile(info, io.BytesIO(member))
    return buf.getvalue()


MEMBER_NAMES = st.sampled_from(["a.txt", "b.jsonl", "c.csv", "d.html", "e", "../f.txt", "g.gz", "h.zip"])
BYTES = st.one_of(
    st.binary(max_size=2048),
    st.tuples(st.sampled_from(HEADS), st.binary(max_size=1024)).map(b"".join),
    st.text(max_size=600).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=1024).map(lambda b: gzip.compress(b, mtime=0)),
    st.binary(min_size=1, max_size=1024).map(lambda b: gzip.compress(b, mtime=0)[: max(3, len(b) // 2)]),
    st.tuples(st.binary(max_size=512), MEMBER_NAMES).map(lambda t: _zip(*t)),
    st.tuples(st.binary(max_size=512), MEMBER_NAMES).map(lambda t: _tar(*t)),
    st.tuples(st.binary(max_size=512), MEMBER_NAMES).map(lambda t: _tar(*t)[: 512 + len(t[0]) // 2]),
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("ext", EXTENSIONS)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(data=BYTES)
@example(data=b"")
@example(data=b"\x00" * 64)
def test_readers_raise_only_reader_error(scratch, ext, data):
    path = scratch / f"dump{ext}"
    path.write_bytes(data)
    problems = []
    try:
        articles = list(read_file(path, "fuzz", on_problem=problems.append))
    except ReaderError as exc:
        assert exc.reason and "\n" not in exc.reason
        return
    for article in articles:
        assert article.paragraphs and all(isinstance(p, str) and p for p in article.paragraphs)


RULES = load_rules(CONFIG_DIR / "boilerplate.toml")
PARAGRAPH = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "Related posts",
            "Share this article",
            "Advertisement",
            "Photo by Joshua Roberts/Reuters",
            "\u201cWe will go on,\u201d she said.",
            "\u201cWe will go on, she said.",
            'He said "no',
            "Read more:",
            "Â£5 for a cafÃ©",
        ]
    ),
)


@FAST
@given(st.text(max_size=400))
def test_normalize_text_never_crashes_and_collapses_whitespace(text):
    once = normalize_text(text)
    assert once == once.strip() and not re.search(r"\s\s", once)


@FAST
@given(st.text(max_size=400))
@example("Â\r0")
def test_normalize_text_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


@FAST
@given(st.text(alphabet=st.sampled_from('ab "\u201c\u201d'), max_size=40))
def test_balance_quotes_never_shrinks_and_closes_curly_quotes(text):
    out = balance_quotes(text)
    assert out.startswith(text)
    assert out.count("\u201c") <= out.count("\u201d")


@FAST
@given(st.text(alphabet=st.sampled_from('ab "\u201c\u201d'), max_size=40))
@example('\u201ca "b')
def test_balance_quotes_is_idempotent(text):
    once = balance_quotes(text)
    assert balance_quotes(once) == once
    assert once.count('"') % 2 == 0


@FAST
@given(st.lists(PARAGRAPH, max_size=10))
def test_clean_paragraphs_never_crashes(paragraphs):
    import pandas as pd

    result = StageResult(pd.DataFrame())
    texts = [t for t in (normalize_text(p) for p in paragraphs) if t]  # the caller normalises first
    kept, captions = clean_paragraphs(texts, RULES, result, "fuzz.txt")
    assert len(kept) + len(captions) <= len(texts)
    assert result.counts["paragraphs_kept"] == len(kept)
    assert all(p for p in kept) and all(c for c in captions)


@FAST
@given(st.text(max_size=200))
@example("SOCHI, Russia \u2014 Secretary of State John Kerry arrived")
def test_parse_dateline_never_crashes(paragraph):
    place = parse_dateline(paragraph)
    assert place is None or (place and place.strip() == place)


ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2})?)?$")
DATEISH = st.one_of(
    st.text(max_size=60),
    st.dates().map(lambda d: d.strftime("%B %d, %Y")),
    st.dates().map(date.isoformat),
    st.sampled_from(["Publish Date May 12, 2015", "Posted on 2015-05-12T10:00:00Z", "0001-01-01T00:00:00"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.one_of(st.none(), DATEISH), st.lists(DATEISH, max_size=4))
def test_find_publish_date_never_crashes(metadata, texts):
    found = find_publish_date(metadata, texts)
    assert found is None or ISO.match(found), found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(
    st.one_of(st.text(max_size=30), st.sampled_from(["Tuesday", "February", "2013", "last week", "May 12"])),
    st.dates(min_value=date(1900, 1, 1)),
)
def test_resolve_mentioned_date_never_crashes(phrase, base):
    value = resolve_mentioned_date(phrase, base)
    assert value is None or re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value), value


def test_resolve_mentioned_date_at_the_start_of_the_calendar():
    assert resolve_mentioned_date("Tuesday", date(1, 1, 1)) is None
