"""The run-state store: which files were processed (the manifest) and article fingerprints.

SQLite in the cache dir: cheap to query, safe across runs, one file to back up or delete.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsfacet.signatures import SqliteSignatures

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    alias TEXT NOT NULL, path TEXT NOT NULL, size INTEGER, mtime REAL, checksum TEXT,
    status TEXT NOT NULL, reason TEXT, articles INTEGER DEFAULT 0, updated_at TEXT,
    PRIMARY KEY (alias, path)
);
CREATE TABLE IF NOT EXISTS furniture (
    alias TEXT NOT NULL, source TEXT NOT NULL, paragraph_key TEXT NOT NULL, articles INTEGER NOT NULL,
    PRIMARY KEY (alias, source, paragraph_key)
);
CREATE TABLE IF NOT EXISTS ner_cache (
    key TEXT PRIMARY KEY, entities TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entity_types (
    model TEXT NOT NULL, name_key TEXT NOT NULL, surface TEXT NOT NULL, field TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (model, name_key, surface, field)
);
CREATE TABLE IF NOT EXISTS fingerprints (
    alias TEXT NOT NULL, content_hash TEXT NOT NULL, doc_id TEXT NOT NULL,
    PRIMARY KEY (alias, content_hash)
);
CREATE INDEX IF NOT EXISTS fingerprints_by_doc ON fingerprints (alias, doc_id);
"""
DONE, QUARANTINED = "done", "quarantined"


@dataclass(frozen=True)
class FileState:
    """What the manifest knows of one file."""

    path: str
    size: int
    mtime: float
    checksum: str | None
    status: str


def file_checksum(path: Path) -> str:
    """SHA-1 of the file's bytes, read in blocks so big dumps stay out of memory."""
    digest = hashlib.sha1()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Manifest:
    """Processed files and fingerprints for one alias."""

    def __init__(self, db_path: Path, alias: str) -> None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self.alias = alias
        self.db = sqlite3.connect(db_path, timeout=60, check_same_thread=False)
        # WAL: readers (status commands, a waiting run) never block the writer, and a commit is one append
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def get(self, path: str) -> FileState | None:
        """The recorded state of a file, if any."""
        row = self.db.execute(
            "SELECT path, size, mtime, checksum, status FROM files WHERE alias=? AND path=?", (self.alias, path)
        ).fetchone()
        return FileState(*row) if row else None

    def needs_processing(self, path: Path) -> bool:
        """True for a new or changed file; a changed mtime with the same bytes counts as unchanged."""
        known = self.get(str(path))
        if known is None:
            return True
        stat = path.stat()
        if known.size == stat.st_size and known.mtime == stat.st_mtime:
            return False
        if known.size == stat.st_size and known.checksum == file_checksum(path):
            self._touch(str(path), stat.st_mtime)
            return False
        return True

    def _touch(self, path: str, mtime: float) -> None:
        with self.db:
            self.db.execute("UPDATE files SET mtime=? WHERE alias=? AND path=?", (mtime, self.alias, path))

    def record(self, path: Path, status: str, articles: int = 0, reason: str | None = None) -> None:
        """Record a file as done (after ES acknowledged it) or quarantined (with the reason)."""
        self.record_many([(path, articles)], status, reason)

    def record_many(self, files: Iterable[tuple[Path, int]], status: str, reason: str | None = None) -> None:
        """Record (path, articles) pairs with one status in one transaction (one disk sync per chunk)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rows = []
        for path, articles in files:
            try:
                stat = path.stat()
                size, mtime, checksum = stat.st_size, stat.st_mtime, file_checksum(path)
            except OSError:  # deleted since it was read
                size, mtime, checksum = -1, 0.0, None
            rows.append((self.alias, str(path), size, mtime, checksum, status, reason, articles, now))
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?,?)", rows)

    def forget(self) -> None:
        """Drop every record of this alias: the next run processes everything."""
        with self.db:
            self.db.execute("DELETE FROM files WHERE alias=?", (self.alias,))
            self.db.execute("DELETE FROM fingerprints WHERE alias=?", (self.alias,))
            self.db.execute("DELETE FROM furniture WHERE alias=?", (self.alias,))
        self.near_duplicate_store().forget()

    def near_duplicate_store(self) -> SqliteSignatures:
        """MinHash signatures and LSH band keys of this alias's articles (the flow's DuplicateIndex store)."""
        from newsfacet.signatures import SqliteSignatures

        return SqliteSignatures(self.db, self.alias)

    def fingerprints(self, hashes: Iterable[str]) -> dict[str, str]:
        """Doc ids already indexed under these content hashes."""
        hashes = list(hashes)
        found: dict[str, str] = {}
        for i in range(0, len(hashes), 500):
            part = hashes[i : i + 500]
            marks = ",".join("?" * len(part))
            rows = self.db.execute(
                f"SELECT content_hash, doc_id FROM fingerprints WHERE alias=? AND content_hash IN ({marks})",
                (self.alias, *part),
            )
            found.update(dict(rows.fetchall()))
        return found

    def add_fingerprints(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Remember content hashes of indexed documents; a document's earlier hash is released.

        A document (one URL) whose text changed no longer holds its old text, so that text arriving
        later under another URL is new, not a duplicate of a document that does not have it any more.
        """
        rows = [(self.alias, h, d) for h, d in pairs]
        with self.db:
            self.db.executemany(
                "DELETE FROM fingerprints WHERE alias=? AND doc_id=? AND content_hash<>?",
                ((alias, d, h) for alias, h, d in rows),
            )
            self.db.executemany("INSERT OR IGNORE INTO fingerprints VALUES (?,?,?)", rows)

    def furniture_counts(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Articles per (source, paragraph key) counted by earlier runs."""
        by_source: dict[str, list[str]] = {}
        for source, key in keys:
            by_source.setdefault(source, []).append(key)
        found: dict[tuple[str, str], int] = {}
        for source, all_keys in by_source.items():
            for i in range(0, len(all_keys), 500):
                part = all_keys[i : i + 500]
                rows = self.db.execute(
                    "SELECT paragraph_key, articles FROM furniture WHERE alias=? AND source=? "
                    f"AND paragraph_key IN ({','.join('?' * len(part))})",
                    (self.alias, source, *part),
                )
                found.update(((source, key), n) for key, n in rows.fetchall())
        return found

    def add_furniture_counts(self, delta: dict[tuple[str, str], int]) -> None:
        """Add this run's paragraph counts to the stored ones."""
        with self.db:
            self.db.executemany(
                "INSERT INTO furniture VALUES (?,?,?,?) ON CONFLICT(alias, source, paragraph_key) "
                "DO UPDATE SET articles = articles + excluded.articles",
                ((self.alias, source, key, n) for (source, key), n in delta.items()),
            )

    def ner_results(self, keys: list[str]) -> dict[str, list[list[str]]]:
        """Cached NER results (shared by every alias: they depend only on text and model)."""
        found: dict[str, list[list[str]]] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            rows = self.db.execute(
                f"SELECT key, entities FROM ner_cache WHERE key IN ({','.join('?' * len(part))})", part
            )
            found.update((key, json.loads(ents)) for key, ents in rows.fetchall())
        return found

    def add_ner_results(self, results: dict[str, list[list[str]]]) -> None:
        """Store new NER results."""
        with self.db:
            self.db.executemany(
                "INSERT OR IGNORE INTO ner_cache VALUES (?, ?)",
                ((key, json.dumps(ents, ensure_ascii=False)) for key, ents in results.items()),
            )

    def entity_type_counts(self, model: str, min_total: int = 2) -> dict[str, dict[str, int]]:
        """Prose type votes of earlier runs: surface form -> {facet: count}, for names (all surface forms
        of one name key) voted at least min_total times; rarer names cannot decide a type yet."""
        rows = self.db.execute(
            "SELECT surface, field, n FROM entity_types WHERE model=? AND name_key IN "
            "(SELECT name_key FROM entity_types WHERE model=? GROUP BY name_key HAVING SUM(n) >= ?)",
            (model, model, min_total),
        )
        found: dict[str, dict[str, int]] = {}
        for surface, field_name, n in rows.fetchall():
            found.setdefault(surface, {})[field_name] = n
        return found

    def add_entity_type_counts(self, model: str, votes: dict[str, dict[str, int]]) -> None:
        """Add one chunk's prose type votes (shared by every alias: like NER results they depend on the model)."""
        from transforms.entities import type_key

        with self.db:
            self.db.executemany(
                "INSERT INTO entity_types VALUES (?,?,?,?,?) ON CONFLICT(model, name_key, surface, field) "
                "DO UPDATE SET n = n + excluded.n",
                (
                    (model, type_key(surface), surface, field_name, n)
                    for surface, by_field in votes.items()
                    for field_name, n in by_field.items()
                ),
            )
