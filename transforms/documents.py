"""Index documents: deterministic ids and the document shape the mapping expects."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

from transforms.clean import normalize_text
from transforms.fields import FIELDS

TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "cmpid", "smid")


def normalize_url(url: str) -> str:
    """Lower-case scheme and host, drop fragments, tracking parameters and a trailing slash."""
    parts = urlsplit(url.strip())
    query = "&".join(
        q for q in parts.query.split("&") if q and not q.split("=", 1)[0].lower().startswith(TRACKING_PARAMS)
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower() or "http", parts.netloc.lower(), path, query, ""))


def article_id(url: str | None, raw_text: str) -> str:
    """A stable _id, so re-running a dump overwrites rather than duplicates."""
    key = "url:" + normalize_url(url) if url else "text:" + normalize_text(raw_text)
    return hashlib.sha1(key.encode()).hexdigest()


def assign_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill doc_id for every article of the chunk."""
    out = frame.copy()
    out["doc_id"] = [article_id(u, t) for u, t in zip(out["url"], out["raw_text"], strict=True)]
    return out


def to_documents(frame: pd.DataFrame, ingested_at: str) -> list[dict[str, Any]]:
    """Index documents (with _id) for every article of the chunk, one key per registry field."""
    docs = []
    # pandas stores a missing value as NaN in some dtypes; JSON and ES want null
    frame = frame.astype(object).where(frame.notna(), None)
    for row in frame.to_dict("records"):
        body = "\n\n".join(row["paragraphs"])
        derived = {"body": body, "ingested_at": ingested_at, "word_count": len(body.split())}
        doc: dict[str, Any] = {"_id": row["doc_id"]}
        for f in FIELDS:
            value = derived[f.name] if f.derived else row[f.name]
            doc[f.name] = list(value) if isinstance(value, (list, tuple)) else value
        docs.append(doc)
    return docs
