"""The one record type that flows through the pipeline, and its DataFrame form."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields

import pandas as pd


@dataclass(slots=True)
class Article:
    """One news article, from raw dump to index document."""

    source_file: str
    paragraphs: list[str]
    doc_id: str = ""  # deterministic _id: hash of the normalised URL, else of the raw text
    title: str = ""
    url: str | None = None
    source: str | None = None
    published_at: str | None = None  # ISO 8601, from metadata or the text
    language: str | None = None
    authors: list[str] = field(default_factory=list)
    raw_text: str = ""  # the text as read, for the deterministic id
    captions: list[str] = field(default_factory=list)
    dateline: str | None = None
    persons: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    misc: list[str] = field(default_factory=list)
    mentioned_dates: list[str] = field(default_factory=list)
    content_hash: str | None = None
    cluster_id: str | None = None
    duplicate_of: str | None = None


ARTICLE_COLUMNS: list[str] = [f.name for f in fields(Article)]


def articles_to_frame(articles: Iterable[Article]) -> pd.DataFrame:
    """A chunk of articles as a DataFrame with one column per Article field."""
    # object dtype: pandas would otherwise turn a missing url or date into NaN once another row has one
    return pd.DataFrame([asdict(a) for a in articles], columns=ARTICLE_COLUMNS, dtype=object)
