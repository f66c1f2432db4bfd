"""Near-duplicate similarity, banding and clustering across runs (pure; the SQLite store on a temp file)."""

import numpy as np
import pytest

from newsfacet.manifest import Manifest
from transforms.dedupe import (
    DuplicateIndex,
    MemorySignatures,
    StoredSignature,
    band_keys,
    containment,
    dedupe_articles,
    jaccard,
    shingles,
)
from transforms.documents import assign_ids
from transforms.records import Article, articles_to_frame

# Written for this test: a wire story, another paper's copy of it, and an unrelated story from the same wire.
TITLE = "Ferry operators agree to restore winter crossings after regulator's warning"
STORY = [
    "HALIFAX, Nova Scotia (GWS) - Two ferry operators agreed on Tuesday to restore the winter crossings they "
    "cut last year, a week after the transport regulator warned that it could suspend their licences.",
    "Under the agreement, the operators will run at least three return crossings a day between Halifax and "
    "the islands from December to March, and will publish their timetables a month in advance.",
    "Island councils had complained for months that residents could not reach hospital appointments on the "
    "mainland, and that deliveries of fuel and groceries had been delayed by up to four days.",
    "The regulator's chief executive said the companies had accepted every condition it set, including "
    "compensation for passengers whose crossings were cancelled at short notice during the autumn.",
    "One of the operators said the cuts had been forced on it by rising fuel costs and a shortage of "
    "qualified crew, and that it would ask the provincial government for help to cover the winter service.",
    "A spokeswoman for the other operator said its two older vessels would be refitted in January so that "
    "they could stay in service until new ships, ordered in the spring, are delivered in two years' time.",
]
WIRE_TRAILER = (
    "This story was produced by the Global Wire Service desk with reporting from its bureaus. It may be "
    "republished by subscribing newspapers and broadcasters under the terms of their agreement with the "
    "service; the headline and the last paragraphs may be shortened for space, but the reporting may not "
    "be changed without the desk's written consent."
)
# The copy: a headline suffix, the last paragraph cut, and a few words edited.
COPY_TITLE = TITLE + " | Global Wire"
COPY = [
    STORY[0].replace("agreed on Tuesday", "agreed Tuesday"),
    STORY[1].replace("at least three", "a minimum of three"),
    STORY[2],
    STORY[3].replace("accepted every condition", "accepted each condition"),
    STORY[4].replace("rising fuel costs", "higher fuel costs"),
]
OTHER_TITLE = "Dockworkers vote to accept pay offer, ending a two-week strike at the container port"
OTHER = [
    "ROTTERDAM, Netherlands (GWS) - Dockworkers at the container port voted on Friday to accept a pay offer "
    "from terminal operators, ending a strike that had left dozens of ships waiting at anchor.",
    "The union said 71 percent of its members had backed the deal, which raises wages by six percent this "
    "year and limits night shifts to four a week.",
]


def text(title, paragraphs):
    return " ".join([title, *paragraphs])


def test_containment_of_a_trimmed_copy_is_one_while_its_jaccard_drops():
    full = shingles(text(TITLE, STORY), 5)
    trimmed = shingles(text(TITLE, STORY[:4]), 5)
    assert trimmed < full
    exact_jaccard = len(trimmed) / len(full)
    assert exact_jaccard < 0.75
    assert containment(exact_jaccard, len(trimmed), len(full)) == pytest.approx(1.0)
    assert containment(exact_jaccard, len(full), len(trimmed)) == pytest.approx(1.0)  # order does not matter
    assert containment(0.0, 10, 20) == 0.0


def test_jaccard_estimate_of_signatures():
    index = DuplicateIndex()
    a, _ = index.signature(text(TITLE, STORY))
    b, _ = index.signature(text(OTHER_TITLE, OTHER))
    assert jaccard(a, a) == 1.0
    assert jaccard(a, b) < 0.1
    assert a.dtype == np.dtype("<u4") and len(a) == index.num_perm


def test_band_keys_follow_the_bands():
    sig = np.arange(128, dtype="<u4")
    keys = band_keys(sig, 42, 3)
    assert len(keys) == 42 and len(set(keys)) == 42
    assert keys == band_keys(sig.copy(), 42, 3)  # deterministic: keys are stored across runs
    changed = sig.copy()
    changed[4] += 1  # a value in band 1 (rows 3-5)
    other = band_keys(changed, 42, 3)
    assert [i for i, (x, y) in enumerate(zip(keys, other, strict=True)) if x != y] == [1]
    assert all(-(2**63) <= k < 2**63 for k in keys)  # fit SQLite's signed integers


def test_band_layout_must_fit_the_permutations():
    with pytest.raises(ValueError, match="permutations"):
        DuplicateIndex(num_perm=64, bands=42, rows=3)


def test_syndicated_copy_is_a_near_copy_although_jaccard_alone_misses_it():
    index = DuplicateIndex()
    a, size_a = index.signature(text(TITLE, [*STORY, WIRE_TRAILER]))
    b, size_b = index.signature(text(COPY_TITLE, [*COPY, WIRE_TRAILER]))
    assert jaccard(a, b) < index.threshold  # what the old index needed
    assert index.is_near_copy(a, size_a, b, size_b)


def test_unrelated_stories_sharing_the_wire_trailer_are_not_near_copies():
    index = DuplicateIndex()
    a, size_a = index.signature(text(TITLE, [*STORY, WIRE_TRAILER]))
    b, size_b = index.signature(text(OTHER_TITLE, [*OTHER, WIRE_TRAILER]))
    assert not index.is_near_copy(a, size_a, b, size_b)


def article(source_file, title, paragraphs, published_at, url=None):
    raw = "\n\n".join([title, *paragraphs])
    return Article(source_file=source_file, paragraphs=paragraphs, title=title, url=url, raw_text=raw,
                   published_at=published_at)  # fmt: skip


def frame(*articles):
    return assign_ids(articles_to_frame(articles))


def rows(result):
    return {r.source_file: r for r in result.frame.itertuples()}


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_copy_in_a_later_run_joins_the_earlier_cluster(store, tmp_path):
    manifest = Manifest(tmp_path / "state.sqlite", "a")
    make_store = MemorySignatures() if store == "memory" else None

    def new_index():
        return DuplicateIndex(store=make_store if make_store is not None else manifest.near_duplicate_store())

    first = dedupe_articles(
        frame(
            article("wire.txt", TITLE, [*STORY, WIRE_TRAILER], "2024-03-04T08:00:00"),
            article("other.txt", OTHER_TITLE, [*OTHER, WIRE_TRAILER], "2024-03-04T09:00:00"),
        ),
        new_index(),
    )
    original = rows(first)["wire.txt"]
    assert original.duplicate_of is None and original.cluster_id == original.doc_id
    # the next night, in a fresh index (a new run): the copy, a second copy, and the unrelated story again
    second = dedupe_articles(
        frame(
            article("copy.txt", COPY_TITLE, [*COPY, WIRE_TRAILER], "2024-03-05T07:00:00"),
            article("copy2.txt", TITLE + " - report", [*STORY[:5], WIRE_TRAILER], "2024-03-06T07:00:00"),
            article("other.txt", OTHER_TITLE, [*OTHER, WIRE_TRAILER], "2024-03-04T09:00:00"),
        ),
        new_index(),
    )
    got = rows(second)
    assert got["copy.txt"].cluster_id == original.doc_id == got["copy.txt"].duplicate_of
    assert got["copy2.txt"].cluster_id == original.doc_id == got["copy2.txt"].duplicate_of
    # the same article ingested again matches only itself: not a duplicate
    assert got["other.txt"].duplicate_of is None and got["other.txt"].cluster_id == got["other.txt"].doc_id
    assert second.counts["near_duplicates"] == 2
    manifest.close()


def test_within_a_chunk_the_earliest_copy_is_the_representative():
    result = dedupe_articles(
        frame(
            article("copy.txt", COPY_TITLE, COPY, "2024-03-05"),
            article("orig.txt", TITLE, STORY, "2024-03-04"),
        ),
        DuplicateIndex(),
    )
    got = rows(result)
    assert got["orig.txt"].duplicate_of is None
    assert got["copy.txt"].duplicate_of == got["orig.txt"].doc_id == got["copy.txt"].cluster_id


def test_sqlite_store_candidates_need_enough_shared_bands(tmp_path):
    manifest = Manifest(tmp_path / "state.sqlite", "a")
    store = manifest.near_duplicate_store()
    sig = np.arange(8, dtype="<u4").tobytes()
    store.add([(StoredSignature("d1", sig, 10, "2024-01-01", "d1"), [1, 2, 3]),
               (StoredSignature("d2", sig, 12, None, "d1"), [3, 4])])  # fmt: skip
    found = store.candidates([[1, 2, 9], [3], [4, 3], [7]], min_hits=2)
    assert [[c.doc_id for c in f] for f in found] == [["d1"], [], ["d2"], []]
    assert store.candidates([[3]], min_hits=1)[0] == [
        StoredSignature("d1", sig, 10, "2024-01-01", "d1"),
        StoredSignature("d2", sig, 12, None, "d1"),
    ]
    # another alias does not see them; a doc id stored again is replaced, not doubled
    assert Manifest(tmp_path / "state.sqlite", "b").near_duplicate_store().candidates([[1, 2]], 1) == [[]]
    store.add([(StoredSignature("d2", sig, 13, None, "d2"), [3, 4])])
    assert [c.size for c in store.candidates([[3, 4]], 1)[0]] == [10, 13]
    manifest.forget()
    assert store.candidates([[1, 2, 3, 4]], 1) == [[]]
    manifest.close()


def test_exact_hashes_are_kept_for_a_few_chunks_then_looked_up():
    saved: dict[str, str] = {}  # what the flow's run-state DB holds once a chunk is loaded

    index = DuplicateIndex(known=lambda hashes: {h: saved[h] for h in hashes if h in saved}, exact_window=2)
    first = dedupe_articles(frame(article("a.txt", TITLE, STORY, "2024-03-04")), index)
    saved.update(zip(first.frame["content_hash"], first.frame["doc_id"], strict=True))
    for n in range(4):
        later = dedupe_articles(frame(article(f"o{n}.txt", f"{OTHER_TITLE} {n}", OTHER, "2024-03-05")), index)
        saved.update(zip(later.frame["content_hash"], later.frame["doc_id"], strict=True))
        assert len(index.exact) <= 2
    copy = dedupe_articles(frame(article("b.txt", TITLE, STORY, "2024-03-06", url="https://b.example/x")), index)
    assert copy.frame.empty and copy.counts["dropped_exact_duplicate"] == 1


def test_copies_without_publish_dates_cluster_in_arrival_order():
    first = frame(article("orig.txt", TITLE, STORY, None))
    first["published_at"] = float("nan")  # what pandas may hold for a missing date
    index = DuplicateIndex()
    original = rows(dedupe_articles(first, index))["orig.txt"]
    copy = rows(dedupe_articles(frame(article("copy.txt", COPY_TITLE, COPY, None)), index))["copy.txt"]
    assert copy.duplicate_of == original.doc_id == copy.cluster_id


def test_the_representative_ingested_again_stays_the_representative():
    index = DuplicateIndex()
    orig = article("orig.txt", TITLE, STORY, "2024-03-04")
    dedupe_articles(frame(orig, article("copy.txt", COPY_TITLE, COPY, "2024-03-05")), index)
    again = dedupe_articles(frame(orig), index)
    row = rows(again)["orig.txt"]
    assert row.duplicate_of is None and row.cluster_id == row.doc_id
    assert again.counts["near_duplicates"] == 0


def test_signatures_match_a_fresh_datasketch_minhash():
    # the permutations are drawn once and reused: the values must stay those every stored signature has
    from datasketch import MinHash

    from transforms.dedupe import shingles

    index = DuplicateIndex()
    for text in (" ".join(STORY), "one two three four five six", "x", ""):
        fresh = MinHash(num_perm=index.num_perm)
        fresh.update_batch(list(shingles(text, index.shingle_size)))
        signature, _ = index.signature(text)
        assert signature.tolist() == fresh.hashvalues.astype("<u4").tolist(), text
