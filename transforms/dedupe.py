"""Article-level dedup: exact copies by content hash, near copies by MinHash-LSH.

Near copies are found in two steps. Banding (LSH over datasketch MinHash values) proposes
candidates: earlier articles that share at least `min_band_hits` band keys. A candidate is a near
copy when the estimated Jaccard similarity is high, or when the shorter text is mostly contained in
the longer one (a syndicated copy with a paragraph cut or appended keeps its containment; its
Jaccard drops). Signatures and band keys of earlier articles come from an injected
`SignatureStore` (the run-state database in the flow), so this module stays pure and the
flow's memory does not grow with the run.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

import numpy as np
import pandas as pd
from datasketch import MinHash

from transforms.clean import paragraph_key
from transforms.stats import StageResult

STAGE = "dedupe"
WORD = re.compile(r"\w+", re.UNICODE)
SIGNATURE_DTYPE = np.dtype("<u4")  # datasketch's MinHash values are 32-bit


def content_hash(title: str, paragraphs: list[str]) -> str:
    """Hash of the cleaned text, insensitive to case, spacing and punctuation."""
    keys = [paragraph_key(title), *(paragraph_key(p) for p in paragraphs)]
    return hashlib.sha1("\n".join(keys).encode()).hexdigest()


@lru_cache(maxsize=4)
def _permutations(num_perm: int) -> tuple[str, Any]:
    """The default scheme and its permutations for the default seed, as every MinHash(num_perm) draws them."""
    m = MinHash(num_perm=num_perm)
    return m.scheme, m.permutations


def shingles(text: str, size: int) -> set[bytes]:
    """Word n-grams of the text, the unit MinHash compares."""
    words = WORD.findall(text.casefold())
    if len(words) < size:
        return {" ".join(words).encode()}
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


def band_keys(signature: np.ndarray, bands: int, rows: int) -> list[int]:
    """One signed 64-bit key per band of `rows` MinHash values (the LSH buckets of an article)."""
    raw = signature.astype(SIGNATURE_DTYPE).tobytes()
    width = rows * SIGNATURE_DTYPE.itemsize
    return [
        int.from_bytes(
            hashlib.blake2b(raw[b * width : (b + 1) * width], digest_size=8, salt=b.to_bytes(8, "little")).digest(),
            "little",
            signed=True,  # SQLite integers are signed 64-bit
        )
        for b in range(bands)
    ]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity estimated from two MinHash signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


def containment(similarity: float, size_a: int, size_b: int) -> float:
    """Share of the smaller shingle set found in the larger, from their Jaccard similarity and sizes.

    |A ∩ B| = J (|A| + |B|) / (1 + J), so a copy that lost or gained a paragraph keeps a high value.
    """
    if similarity <= 0 or min(size_a, size_b) == 0:
        return 0.0
    shared = similarity * (size_a + size_b) / (1 + similarity)
    return min(1.0, shared / min(size_a, size_b))


class StoredSignature(NamedTuple):
    """An earlier article as the store returns it: enough to verify a candidate and join its cluster."""

    doc_id: str
    signature: bytes  # SIGNATURE_DTYPE values
    size: int  # distinct shingles
    published_at: str | None
    cluster_id: str


class SignatureStore(Protocol):
    """Where signatures of earlier articles live (injected: the run-state DB, or memory)."""

    def candidates(self, keys: Sequence[Sequence[int]], min_hits: int) -> list[list[StoredSignature]]:
        """For each article's band keys, the stored articles sharing at least min_hits of them, oldest first."""
        ...

    def add(self, entries: Sequence[tuple[StoredSignature, list[int]]]) -> None:
        """Remember articles with their band keys; a doc id seen before is replaced."""
        ...


@dataclass
class MemorySignatures:
    """A SignatureStore in memory, for tests and one-off runs: unlike the run-state DB, it grows with the run."""

    refs: dict[str, int] = field(default_factory=dict)
    rows: list[StoredSignature] = field(default_factory=list)
    buckets: dict[int, set[int]] = field(default_factory=dict)

    def candidates(self, keys: Sequence[Sequence[int]], min_hits: int) -> list[list[StoredSignature]]:
        """Stored articles sharing at least min_hits band keys with each article."""
        found = []
        for article_keys in keys:
            hits = Counter(ref for key in set(article_keys) for ref in self.buckets.get(key, ()))
            found.append([self.rows[ref] for ref in sorted(r for r, n in hits.items() if n >= min_hits)])
        return found

    def add(self, entries: Sequence[tuple[StoredSignature, list[int]]]) -> None:
        """Store articles and index their band keys."""
        for stored, keys in entries:
            ref = self.refs.get(stored.doc_id)
            if ref is None:
                ref = self.refs[stored.doc_id] = len(self.rows)
                self.rows.append(stored)
            else:
                self.rows[ref] = stored
            for key in keys:
                self.buckets.setdefault(key, set()).add(ref)


@dataclass
class DuplicateIndex:
    """Run-wide dedupe state: exact hashes of the run, and a SignatureStore for near copies.

    128 permutations in 42 bands of 3 rows, and a candidate must share 2 band keys: on the syndicated
    copies of bench/generate.py (estimated Jaccard 0.45 and up with their original) every pair is
    proposed, and fewer than 1 in 1,000 unrelated pairs are (bands of 2 rows: 28 in 1,000; 32 bands of 4
    rows propose a pair at Jaccard 0.5 with probability 0.87, against 0.97 here). Band keys are matched
    in the store; signatures are read only for candidates.
    """

    threshold: float = 0.7  # estimated Jaccard similarity that makes a near copy on its own
    containment_threshold: float = 0.7  # ... or this share of the shorter text in the longer one,
    min_jaccard: float = 0.3  # ... if their Jaccard is at least this (a short text inside a long one is not a copy)
    num_perm: int = 128
    bands: int = 42
    rows: int = 3
    min_band_hits: int = 2
    shingle_size: int = 5
    exact: dict[str, str] = field(default_factory=dict)  # content_hash -> doc id, recent chunks
    # Looks up hashes indexed by earlier runs and chunks (content_hash -> doc id); injected so this stays pure.
    known: Callable[[Iterable[str]], dict[str, str]] | None = None
    # With `known`, hashes are kept for this many chunks only: by then the flow has loaded the chunk and
    # saved its fingerprints, so `known` finds them and memory does not grow with the run.
    exact_window: int = 3
    _exact_chunks: deque[list[str]] = field(default_factory=deque, repr=False)
    store: SignatureStore = field(default_factory=MemorySignatures)

    def __post_init__(self) -> None:
        self.holds: dict[str, str] = {}  # doc id -> content hash it holds now (its latest kept version)
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"{self.bands} bands of {self.rows} rows need {self.bands * self.rows} permutations")

    def signature(self, text: str) -> tuple[np.ndarray, int]:
        """MinHash signature of an article's text and its number of distinct shingles."""
        grams = shingles(text, self.shingle_size)
        # the seed's permutations, drawn once: datasketch draws them again for every MinHash (1.3% of the flow)
        scheme, permutations = _permutations(self.num_perm)
        m = MinHash(num_perm=self.num_perm, permutations=permutations, scheme=scheme)
        m.update_batch(list(grams))
        return m.hashvalues.astype(SIGNATURE_DTYPE), len(grams)

    def band_keys(self, signature: np.ndarray) -> list[int]:
        """The article's LSH band keys."""
        return band_keys(signature, self.bands, self.rows)

    def is_near_copy(self, a: np.ndarray, size_a: int, b: np.ndarray, size_b: int) -> bool:
        """Jaccard above threshold, or the shorter text mostly contained in the longer."""
        similarity = jaccard(a, b)
        if similarity >= self.threshold:
            return True
        return similarity >= self.min_jaccard and containment(similarity, size_a, size_b) >= self.containment_threshold


@dataclass
class _Signed:
    doc_id: str
    signature: np.ndarray
    size: int
    keys: list[int]
    published_at: str | None


def _earliest(matches: list[StoredSignature]) -> StoredSignature:
    # earliest published first; among equal or missing dates, the one stored first (matches keep store order)
    return min(matches, key=lambda m: (m.published_at is None, m.published_at or ""))


def dedupe_articles(frame: pd.DataFrame, index: DuplicateIndex) -> StageResult:
    """Drop exact copies seen earlier in the run; give near copies cluster_id and duplicate_of.

    Articles are taken earliest-published first (then longest), so the representative of a new
    cluster is its earliest member; a copy of an article from an earlier chunk or run joins that
    article's cluster, and duplicate_of names the cluster's representative.
    """
    out = frame.copy()
    out["content_hash"] = [content_hash(t, p) for t, p in zip(out["title"], out["paragraphs"], strict=True)]
    if index.known is not None:
        unseen = [h for h in out["content_hash"] if h not in index.exact]
        for content, doc_id in index.known(unseen).items():
            index.exact[content] = doc_id
            index.holds.setdefault(doc_id, content)
        index._exact_chunks.append(unseen)
        while len(index._exact_chunks) > index.exact_window:
            for old in index._exact_chunks.popleft():
                doc_id = index.exact.pop(old, None)
                if doc_id is not None and index.holds.get(doc_id) == old:
                    del index.holds[doc_id]
    out["_length"] = out["paragraphs"].map(lambda ps: sum(len(p) for p in ps))
    out = out.sort_values(["published_at", "_length"], ascending=[True, False], na_position="last", kind="stable")
    result = StageResult(out)

    # exact copies first, so only kept articles are signed and looked up
    keep: list[bool] = []
    clusters: list[str | None] = []
    signed: list[_Signed] = []
    for row in out.itertuples(index=False):
        seen_id = index.exact.get(row.content_hash)
        if seen_id is not None and seen_id != row.doc_id:
            result.reject(row.source_file, STAGE, "exact_duplicate", row.title)
            keep.append(False)
            clusters.append(seen_id)
            continue
        # an updated document (same id, new text) releases its old text: that text under another id is new
        previous = index.holds.get(row.doc_id)
        if previous is not None and previous != row.content_hash and index.exact.get(previous) == row.doc_id:
            del index.exact[previous]
        index.holds[row.doc_id] = row.content_hash
        index.exact[row.content_hash] = row.doc_id
        keep.append(True)
        clusters.append(None)
        signature, size = index.signature(" ".join([row.title, *row.paragraphs]))
        published = row.published_at if isinstance(row.published_at, str) else None  # NaN from pandas is no date
        signed.append(_Signed(row.doc_id, signature, size, index.band_keys(signature), published))

    # one lookup per chunk: the stored articles (earlier chunks and runs) that share band keys with each article
    stored = index.store.candidates([x.keys for x in signed], index.min_band_hits) if signed else []

    chunk_buckets: dict[int, list[int]] = {}  # band key -> positions in `signed`, for copies inside the chunk
    entries: list[tuple[StoredSignature, list[int]]] = []
    assigned: dict[str, str] = {}
    for pos, s in enumerate(signed):
        matches = [
            m
            for m in stored[pos]
            if m.doc_id != s.doc_id
            and index.is_near_copy(s.signature, s.size, np.frombuffer(m.signature, SIGNATURE_DTYPE), m.size)
        ]
        local = Counter(p for key in s.keys for p in chunk_buckets.get(key, ()))
        for p, n in local.items():
            other = signed[p]
            if (
                n >= index.min_band_hits
                and other.doc_id != s.doc_id
                and index.is_near_copy(s.signature, s.size, other.signature, other.size)
            ):
                matches.append(entries[p][0])
        rep = _earliest(matches).cluster_id if matches else s.doc_id
        # a cluster's representative ingested again matches its own members: it is no copy of them
        result.counts["near_duplicates"] += rep != s.doc_id
        assigned[s.doc_id] = rep
        entries.append((StoredSignature(s.doc_id, s.signature.tobytes(), s.size, s.published_at, rep), s.keys))
        for key in s.keys:
            chunk_buckets.setdefault(key, []).append(pos)
    index.store.add(entries)

    clusters = [c if c is not None else assigned[d] for c, d in zip(clusters, out["doc_id"], strict=True)]
    out["cluster_id"] = clusters
    duplicate_of = [c if c != d else None for c, d in zip(clusters, out["doc_id"], strict=True)]
    # object dtype keeps None as None; pandas' string dtype would turn it into NaN
    out["duplicate_of"] = pd.Series(duplicate_of, index=out.index, dtype=object)
    result.frame = out.loc[keep].drop(columns="_length").reset_index(drop=True)
    result.counts["articles_total"] += len(out)
    result.counts["articles_kept"] += len(result.frame)
    return result
