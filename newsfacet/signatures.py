"""Near-duplicate signatures in the run-state database: the SignatureStore the flow gives DuplicateIndex.

Each indexed article keeps one row (its MinHash signature, shingle count, publish date and cluster)
and one row per LSH band key. A chunk is looked up in one query: its band keys go into a temporary
table, SQLite joins them with the band index and keeps the stored articles that share enough keys
with an article. So the flow holds one chunk at a time, whatever the number of articles seen.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from transforms.dedupe import StoredSignature

SCHEMA = """
CREATE TABLE IF NOT EXISTS near_docs (
    id INTEGER PRIMARY KEY, alias TEXT NOT NULL, doc_id TEXT NOT NULL, signature BLOB NOT NULL,
    size INTEGER NOT NULL, published_at TEXT, cluster_id TEXT NOT NULL, UNIQUE (alias, doc_id)
);
CREATE TABLE IF NOT EXISTS near_bands (
    band INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (band, doc)
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS near_probe (pos INTEGER NOT NULL, band INTEGER NOT NULL);
"""
CANDIDATES = """
SELECT h.pos, d.doc_id, d.signature, d.size, d.published_at, d.cluster_id
FROM (
    SELECT p.pos AS pos, b.doc AS doc FROM near_probe p JOIN near_bands b ON b.band = p.band
    GROUP BY p.pos, b.doc HAVING count(*) >= ?
) AS h JOIN near_docs d ON d.id = h.doc
WHERE d.alias = ?
ORDER BY h.pos, d.id
"""


class SqliteSignatures:
    """Signatures and band keys of one alias's indexed articles, in the run-state SQLite."""

    def __init__(self, db: sqlite3.Connection, alias: str) -> None:
        self.db = db
        self.alias = alias
        self.db.executescript(SCHEMA)

    def candidates(self, keys: Sequence[Sequence[int]], min_hits: int) -> list[list[StoredSignature]]:
        """For each article's band keys, the stored articles sharing at least min_hits of them, oldest first."""
        found: list[list[StoredSignature]] = [[] for _ in keys]
        with self.db:
            self.db.execute("DELETE FROM near_probe")
            self.db.executemany(
                "INSERT INTO near_probe VALUES (?, ?)",
                ((pos, key) for pos, article_keys in enumerate(keys) for key in set(article_keys)),
            )
            for pos, *row in self.db.execute(CANDIDATES, (min_hits, self.alias)):
                found[pos].append(StoredSignature(*row))
            self.db.execute("DELETE FROM near_probe")
        return found

    def add(self, entries: Sequence[tuple[StoredSignature, list[int]]]) -> None:
        """Remember articles and their band keys (a doc id seen before gets its new signature)."""
        with self.db:
            for stored, keys in entries:
                (ref,) = self.db.execute(
                    "INSERT INTO near_docs (alias, doc_id, signature, size, published_at, cluster_id) "
                    "VALUES (?,?,?,?,?,?) ON CONFLICT (alias, doc_id) DO UPDATE SET signature=excluded.signature, "
                    "size=excluded.size, published_at=excluded.published_at, cluster_id=excluded.cluster_id "
                    "RETURNING id",
                    (self.alias, *stored),
                ).fetchone()
                self.db.executemany("INSERT OR IGNORE INTO near_bands VALUES (?, ?)", ((key, ref) for key in keys))

    def forget(self) -> None:
        """Drop every signature of this alias."""
        with self.db:
            self.db.execute(
                "DELETE FROM near_bands WHERE doc IN (SELECT id FROM near_docs WHERE alias=?)", (self.alias,)
            )
            self.db.execute("DELETE FROM near_docs WHERE alias=?", (self.alias,))
