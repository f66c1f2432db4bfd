"""Paragraph cleaning: text repair, boilerplate rules, trailers, captions, repeats."""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path

import ftfy
import pandas as pd

from transforms.dates import find_dateline
from transforms.stats import StageResult

STAGE = "clean"
WHITESPACE = re.compile(r"\s+")
# Printable ASCII and ordinary whitespace, without "&" (an HTML entity is ftfy's to decode), plus curly quotes,
# dashes and the ellipsis: in cp1252 these are UTF-8 continuation bytes, and mojibake needs a lead byte (Ã, â, ...)
PLAIN_ASCII = re.compile(r"[\t\n\r\x20-\x25\x27-\x7e\u2013\u2014\u2018\u2019\u201c\u201d\u2026]*")
# For repeat detection: case, spacing and punctuation differences do not matter.
NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
OPEN_CURLY, CLOSE_CURLY = "\u201c", "\u201d"
# Far beyond any news article; a dump "article" this long is a broken export, and spaCy refuses
# texts over nlp.max_length (1,000,000 characters) outright.
MAX_ARTICLE_CHARS = 500_000


@dataclass(frozen=True)
class BoilerplateRules:
    """Compiled rules from config/boilerplate.toml."""

    full: dict[str, re.Pattern[str]]
    short: dict[str, re.Pattern[str]]
    short_max_words: int
    trailer: re.Pattern[str]
    credit: re.Pattern[str]
    # language (ISO 639-1) -> the shared rules plus that language's [lang.<code>] rules
    by_language: dict[str, BoilerplateRules] = field(default_factory=dict, compare=False)

    def for_language(self, language: str | None) -> BoilerplateRules:
        """The rules for an article in `language`: its own plus the shared ones, or the shared ones alone."""
        return self.by_language.get(language or "", self)


def _alternation(patterns: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


def _merged(shared: dict, scoped: dict) -> dict:
    """The shared rule tables with a language's patterns added to the same keys."""
    merged = {table: dict(values) for table, values in shared.items() if table != "lang"}
    for table, values in scoped.items():
        target = merged.setdefault(table, {})
        for key, patterns in values.items():
            target[key] = patterns if key == "max_words" else [*target.get(key, []), *patterns]
    return merged


def _compile_rules(raw: dict) -> BoilerplateRules:
    flags = re.IGNORECASE
    short = dict(raw["short"])
    max_words = int(short.pop("max_words"))
    return BoilerplateRules(
        full={k: re.compile(_alternation(v), flags) for k, v in raw["full"].items()},
        short={k: re.compile(_alternation(v), flags) for k, v in short.items()},
        short_max_words=max_words,
        trailer=re.compile(_alternation(raw["trailer"]["headings"]), flags),
        credit=re.compile(_alternation(raw["caption"]["credits"]), flags),
    )


def load_rules(path: Path) -> BoilerplateRules:
    """Read and compile the boilerplate rules file; [lang.<code>] tables add rules for one language."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    rules = _compile_rules(raw)
    for language, scoped in raw.get("lang", {}).items():
        rules.by_language[language] = _compile_rules(_merged(raw, scoped))
    return rules


def _fix_lines(text: str) -> str:
    """ftfy.fix_text(text, uncurl_quotes=False), without handing it the plain lines.

    ftfy fixes a text one line at a time, and stops unescaping HTML from the first line holding "<" on;
    this does the same, but keeps a plain line as it is (ftfy could only turn its "\r" into "\n", which the
    whitespace collapse after it erases). A whole article's raw text, read for its id, is mostly plain lines
    with a few that are not: ftfy over all of it was 6% of the flow process at 10k.
    """
    out = []
    html: str | bool = "auto"
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos) + 1 or len(text)
        line = text[pos:end]
        if html == "auto" and "<" in line:
            html = False
        out.append(
            line if PLAIN_ASCII.fullmatch(line) else ftfy.fix_text(line, uncurl_quotes=False, unescape_html=html)
        )
        pos = end
    return "".join(out)


def normalize_text(text: str) -> str:
    """Repair mojibake, normalise to NFC and collapse whitespace (idempotent)."""
    if PLAIN_ASCII.fullmatch(text):
        # nothing for ftfy or NFC to change: no mojibake, entity, ligature or control character is possible
        # (most paragraphs of English dumps; ftfy was 8% of the flow process at 10k)
        return WHITESPACE.sub(" ", text).strip()
    # ftfy sees different text once whitespace is collapsed ("Â\r0" -> "Â 0" -> "0"): repeat to a fixpoint
    for _ in range(4):
        fixed = WHITESPACE.sub(" ", unicodedata.normalize("NFC", _fix_lines(text))).strip()
        if fixed == text:
            break
        text = fixed
    return text


@lru_cache(maxsize=8192)  # the same paragraph is keyed by furniture, cleaning and dedupe in turn
def paragraph_key(text: str) -> str:
    """A hash that is equal for paragraphs differing only in case, spacing or punctuation."""
    return hashlib.blake2b(NON_WORD.sub(" ", text.casefold()).strip().encode(), digest_size=12).hexdigest()


def boilerplate_reason(text: str, rules: BoilerplateRules) -> str | None:
    """The reason a paragraph is boilerplate, or None if it is content."""
    for reason, pattern in rules.full.items():
        if pattern.fullmatch(text):
            return reason
    if len(text.split()) <= rules.short_max_words:
        for reason, pattern in rules.short.items():
            if pattern.search(text):
                return reason
    return None


def is_trailer_heading(text: str, rules: BoilerplateRules) -> bool:
    """True for headings such as "Related posts" that start a list of other stories."""
    return len(text) <= 60 and rules.trailer.fullmatch(text.rstrip(" .")) is not None


def strip_credits(text: str, rules: BoilerplateRules) -> str:
    """A caption without its photo credit, so photographers are not subject entities."""
    return WHITESPACE.sub(" ", rules.credit.sub(" ", text)).strip()


def balance_quotes(text: str) -> str:
    """Close a quotation that opens and never closes, at the end of the paragraph."""
    if text.count(OPEN_CURLY) > text.count(CLOSE_CURLY):
        text += CLOSE_CURLY * (text.count(OPEN_CURLY) - text.count(CLOSE_CURLY))
    if text.count('"') % 2:
        text += '"'
    return text


@dataclass
class FurnitureIndex:
    """Learns site furniture: a short paragraph that recurs in many articles of one source.

    Counts are per (source, paragraph key) and span chunks; `known` (injected, so this stays
    pure) returns counts from earlier runs, and `delta` holds what this run added, to be saved.
    """

    min_articles: int = 5
    max_words: int = 40
    known: Callable[[list[tuple[str, str]]], dict[tuple[str, str], int]] | None = None
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    delta: Counter[tuple[str, str]] = field(default_factory=Counter)

    def observe(self, source: str, paragraphs: list[str]) -> None:
        """Count each short paragraph of one article once."""
        keys = {(source, paragraph_key(p)) for p in paragraphs if len(p.split()) <= self.max_words}
        unseen = [k for k in keys if k not in self.counts]
        if self.known is not None and unseen:
            self.counts.update(self.known(unseen))
        self.counts.update(keys)
        self.delta.update(keys)

    def is_furniture(self, source: str, text: str) -> bool:
        """True when the paragraph has recurred in at least min_articles articles of the source."""
        return len(text.split()) <= self.max_words and self.counts[(source, paragraph_key(text))] >= self.min_articles


def _is_dateline(text: str, result: StageResult) -> bool:
    """True for a dateline-shaped paragraph ("LONDON 2015-05-12", "WASHINGTON (AP) —"): it recurs in a
    source's articles like furniture, but its place is what the story is about."""
    if find_dateline(text) is None:
        return False
    result.counts["datelines_kept"] += 1
    return True


def first_title_line(paragraphs: list[str]) -> int | None:
    """Index of the paragraph that is a plain-text dump's title: the first that does not open with a dateline."""
    return next((n for n, p in enumerate(paragraphs) if find_dateline(p) is None), None)


def clean_paragraphs(
    paragraphs: list[str],
    rules: BoilerplateRules,
    result: StageResult,
    source_file: str,
    furniture: Callable[[str], bool] | None = None,
) -> tuple[list[str], list[str]]:
    """Cleaned body paragraphs and captions of one article (paragraphs already normalised)."""
    kept: list[str] = []
    captions: list[str] = []
    seen: set[str] = set()
    in_trailer = False
    for text in paragraphs:
        result.counts["paragraphs_total"] += 1
        if in_trailer or is_trailer_heading(text, rules):
            in_trailer = True
            result.reject(source_file, STAGE, "trailer", text)
            continue
        reason = boilerplate_reason(text, rules)
        key = paragraph_key(text)
        if reason is None and furniture is not None and furniture(text) and not _is_dateline(text, result):
            reason = "site_furniture"
        if reason:
            result.reject(source_file, STAGE, reason, text)
            continue
        if key in seen and not _is_dateline(text, result):
            result.reject(source_file, STAGE, "repeated_paragraph", text)
            continue
        seen.add(key)
        if rules.credit.search(text):
            captions.append(text)
            result.counts["captions"] += 1
            continue
        kept.append(balance_quotes(text))
        result.counts["paragraphs_kept"] += 1
    return kept, captions


def clean_frame(frame: pd.DataFrame, rules: BoilerplateRules, furniture: FurnitureIndex | None = None) -> StageResult:
    """Clean every article in the chunk; articles left with no text are dropped."""
    result = StageResult(frame)
    too_long = frame["paragraphs"].map(lambda ps: sum(len(p) for p in ps) > MAX_ARTICLE_CHARS)
    for src in frame.loc[too_long, "source_file"]:
        result.reject(src, STAGE, "article_too_long", f"over {MAX_ARTICLE_CHARS} characters")
    frame = frame.loc[~too_long]
    normalized = [[t for t in map(normalize_text, paras) if t] for paras in frame["paragraphs"]]
    sources = [s or "" for s in frame["source"]]
    if furniture is not None:
        for source, paras in zip(sources, normalized, strict=True):
            furniture.observe(source, paras)
    languages = frame["language"] if "language" in frame else [None] * len(frame)
    cleaned = [
        clean_paragraphs(
            paras,
            rules.for_language(language),
            result,
            src,
            partial(furniture.is_furniture, source) if furniture is not None else None,
        )
        for paras, src, source, language in zip(normalized, frame["source_file"], sources, languages, strict=True)
    ]
    out = frame.copy()
    out["paragraphs"] = [p for p, _ in cleaned]
    out["captions"] = [c for _, c in cleaned]
    out["title"] = [normalize_text(t or "") for t in out["title"]]
    # Plain-text dumps carry the title as their first line: take the first
    # paragraph that survived cleaning, so a share-button line is never the title.
    # A dateline paragraph ("LONDON 2015-05-12") printed above the headline is not the title.
    titles, bodies = [], []
    for title, paras in zip(out["title"], out["paragraphs"], strict=True):
        at = first_title_line(paras) if title == "" else None
        titles.append(paras[at] if at is not None else title)
        bodies.append([*paras[:at], *paras[at + 1 :]] if at is not None else paras)
    out["title"], out["paragraphs"] = titles, bodies
    empty = ~out["paragraphs"].map(bool)
    for src in out.loc[empty, "source_file"]:
        result.reject(src, STAGE, "no_article_text", "")
    result.frame = out.loc[~empty].reset_index(drop=True)
    result.counts["articles_total"] += len(frame) + int(too_long.sum())
    result.counts["articles_kept"] += len(result.frame)
    return result
