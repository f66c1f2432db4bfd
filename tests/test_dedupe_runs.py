"""Near and exact copies across two ingest runs, through the flow into the real node."""

from pathlib import Path

import pytest

from tests.unit.test_dedupe import COPY, COPY_TITLE, OTHER, OTHER_TITLE, STORY, TITLE, WIRE_TRAILER

pytestmark = pytest.mark.usefixtures("prefect_api", "cache_dir")


def write_txt(path: Path, title: str, paragraphs: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join([title, *paragraphs]) + "\n", encoding="utf-8")


def ingest(alias: str, folder: Path) -> dict:
    """One run of the ingest flow, in-process; its run report."""
    # imported here, once the fixtures have set PREFECT_API_URL: Prefect reads its settings on import
    from flows.ingest import IngestParams, configured_flow

    return configured_flow()(IngestParams(paths=[str(folder)], alias=alias))


def docs_by_file(es, alias: str) -> dict[str, dict]:
    es.indices.refresh(index=alias)
    hits = es.search(index=alias, size=100)["hits"]["hits"]
    return {Path(h["_source"]["source_file"]).name: {**h["_source"], "_id": h["_id"]} for h in hits}


def test_copies_in_a_second_run(es, alias, tmp_path):
    night1, night2 = tmp_path / "night1", tmp_path / "night2"
    write_txt(night1 / "wire.txt", TITLE, [*STORY, WIRE_TRAILER])
    write_txt(night1 / "other.txt", OTHER_TITLE, [*OTHER, WIRE_TRAILER])
    first = ingest(alias, night1)
    assert first["stages"]["load"]["indexed"] == 2
    before = docs_by_file(es, alias)
    original = before["wire.txt"]
    assert original["duplicate_of"] is None and original["cluster_id"] == original["_id"]

    # the next night: another paper's copy (headline suffix, last paragraph cut, words edited, share and
    # copyright lines) and an exact copy of the wire story under another file (its share line is dropped)
    write_txt(
        night2 / "copy.txt",
        COPY_TITLE,
        ["Share this article", *COPY, WIRE_TRAILER, "© 2024 Global Wire Service. All rights reserved."],
    )
    write_txt(night2 / "exact.txt", TITLE, ["Email | Print", *STORY, WIRE_TRAILER])
    second = ingest(alias, night2)
    assert second["stages"]["dedupe"]["dropped_exact_duplicate"] == 1
    assert second["stages"]["dedupe"]["near_duplicates"] == 1
    after = docs_by_file(es, alias)
    assert set(after) == {"wire.txt", "other.txt", "copy.txt"}
    assert after["copy.txt"]["cluster_id"] == original["_id"]
    assert after["copy.txt"]["duplicate_of"] == original["_id"]
    # the unrelated story with the same wire trailer stays in its own cluster
    assert after["other.txt"]["cluster_id"] == after["other.txt"]["_id"]
    assert after["other.txt"]["duplicate_of"] is None
