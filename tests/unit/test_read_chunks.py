"""The read-and-chunk loop: finished files ride along with chunks, each exactly once, after its last article."""

from readers.chunks import read_chunks


def _dump(tmp_path, files: int):
    for n in range(files):
        (tmp_path / f"a{n:03d}.txt").write_text(f"Headline {n}\n\nParagraph of article number {n} here.\n")
    (tmp_path / "bad.jsonl").write_bytes(b"\x00\x01\x02binary" * 50)
    return sorted(str(p) for p in tmp_path.iterdir())


def test_finished_files_ride_along_with_chunks(tmp_path):
    paths = _dump(tmp_path, 25)
    heard = []
    events = list(read_chunks(paths, None, 10, on_file_done=heard.append))
    chunks = [e for e in events if not e.quarantined]
    # 25 one-article files in chunks of 10: three chunk events, not one event per file
    assert [len(e.articles) for e in chunks] == [10, 10, 5]
    assert [e.quarantined for e in events if e.quarantined] == [str(tmp_path / "bad.jsonl")]
    done = [path for e in chunks for path, _ in e.done]
    assert done == heard == [p for p in paths if p.endswith(".txt")]
    assert all(n == 1 for e in chunks for _, n in e.done)
    # a file is listed with the chunk holding its last article or a later one, never before it
    seen: set[str] = set()
    for e in chunks:
        seen |= {a.source_file for a in e.articles}
        assert {path.rsplit("/", 1)[-1] for path, _ in e.done} <= {s.rsplit("/", 1)[-1] for s in seen}


def test_files_finished_after_the_last_chunk_come_in_a_last_event(tmp_path):
    paths = _dump(tmp_path, 10)
    events = [e for e in read_chunks(paths, None, 10) if not e.quarantined]
    # the tenth file ends after its chunk was cut: it comes alone, in an event without articles
    assert [len(e.articles) for e in events] == [10, 0]
    assert len(events[0].done) == 9 and [p for p, _ in events[1].done] == [str(tmp_path / "a009.txt")]
