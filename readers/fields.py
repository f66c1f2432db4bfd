"""Scraper records (JSON objects, CSV rows) to Articles, whatever the scraper called its keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from newsfacet.errors import BadRecord
from readers.html import extract_page
from readers.metadata import clean_text, date_value, language_code, parse_authors
from readers.problems import Origin
from readers.text import split_blocks
from transforms.records import Article

# Key names as news-please, Scrapy projects, newspaper3k exports and CMS dumps spell them.
URL_KEYS = ("url", "link", "canonical_url", "source_url", "uri")
TITLE_KEYS = ("title", "headline", "title_page", "title_rss")
TEXT_KEYS = ("text", "maintext", "body", "content", "article", "article_text", "articlebody")
HTML_KEYS = ("html", "raw_html", "content_html")
DATE_KEYS = ("date", "published", "date_publish", "publish_date", "published_at", "datepublished", "pubdate")
AUTHOR_KEYS = ("authors", "author", "byline")
SOURCE_KEYS = ("source", "source_domain", "site_name", "sitename", "publisher")
LANGUAGE_KEYS = ("language", "lang", "inlanguage")
# A key any record must have one of to be an article at all (CSV headers are checked against it).
CONTENT_KEYS = TEXT_KEYS + HTML_KEYS


def _pick(record: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _paragraphs(value: Any) -> tuple[list[str], str]:
    if isinstance(value, list):
        blocks = [str(p).strip() for p in value if str(p).strip()]
        return blocks, "\n\n".join(blocks)
    text = str(value)
    return split_blocks(text), text


def record_article(raw: Mapping[str, Any], origin: Origin) -> Article:
    """An Article from one scraper record (keys case-insensitive); raises BadRecord when it holds no text."""
    record = {str(k).strip().lower(): v for k, v in raw.items()}
    url = clean_text(_pick(record, URL_KEYS))
    body = _pick(record, TEXT_KEYS)
    page = None
    if body is None:
        html = _pick(record, HTML_KEYS)
        if html is None:
            raise BadRecord("no text or html field")
        page = extract_page(str(html), url)
        if page is None:
            raise BadRecord("no article text in its html")
        paragraphs, raw_text = page.paragraphs, page.text
    else:
        paragraphs, raw_text = _paragraphs(body)
    if not paragraphs:
        raise BadRecord("empty article text")
    # The record's own fields win; the page's metadata only fills what the record lacks.
    return Article(
        source_file=origin.name,
        paragraphs=paragraphs,
        title=clean_text(_pick(record, TITLE_KEYS)) or (page.title if page else ""),
        url=url or (page.url if page else None),
        source=clean_text(_pick(record, SOURCE_KEYS)) or (page.sitename if page else None) or origin.source,
        published_at=date_value(_pick(record, DATE_KEYS)) or (page.date if page else None),
        language=language_code(_pick(record, LANGUAGE_KEYS) or (page.language if page else None)),
        authors=parse_authors(_pick(record, AUTHOR_KEYS)) or (parse_authors(page.author) if page else []),
        raw_text=raw_text,
    )


def try_article(raw: Mapping[str, Any], origin: Origin, location: str) -> Article | None:
    """The record as an Article, or None once the reason it is skipped has been reported."""
    try:
        return record_article(raw, origin)
    except BadRecord as exc:
        origin.problem(location, str(exc))
        return None
