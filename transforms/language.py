"""Each article's language: ISO 639-1 from the text (py3langid), metadata when it agrees, else `und`.

py3langid ships its model inside the package (nothing is downloaded) and was the most accurate of the
fast candidates on short news paragraphs (bench/langdetect.py, BENCHMARKS.md). Only the title and the
first DETECT_CHARS characters are read, so detection costs the same on any article length.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

import pandas as pd

from transforms.stats import StageResult

STAGE = "language"
UNDETERMINED = "und"
# Title + this many characters of body: plenty for a language, and a bounded cost per article.
DETECT_CHARS = 1000
# Fewer letters than this (about four words, or seven CJK characters) cannot be told apart reliably.
MIN_LETTERS = 20
# The text is read in segments of at least this many characters; each votes with its letter count.
SEGMENT_CHARS = 200
# The winning language must hold this share of the votes, else the text is too mixed to tell.
MIN_SHARE = 0.66
# Metadata agrees with the text when it is among the text's top candidates.
AGREE_RANK = 3
LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# A Han, kana or Hangul character carries about as much as three letters: it counts three times towards MIN_LETTERS.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# py3langid labels that are not ISO 639-1, or are a variety we file under the main language.
LABEL_TO_ISO = {"wuu": "zh", "yue": "zh", "arz": "ar", "ary": "ar", "nn": "no", "gug": "gn", "zxx": UNDETERMINED}
META_SPLIT = re.compile(r"[-_.@]")


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)


def _iso(label: str) -> str:
    code = LABEL_TO_ISO.get(label, label)
    return code if len(code) == 2 else UNDETERMINED


def normalize_language_tag(tag: str | None) -> str | None:
    """A metadata language ("en-US", "fr_FR", "fra", "German"?) as ISO 639-1, or None when unknown."""
    if not tag or not isinstance(tag, str):
        return None
    primary = META_SPLIT.split(tag.strip().lower(), 1)[0]
    if len(primary) == 2 and primary.isalpha():
        return primary
    if len(primary) == 3 and primary.isalpha():
        return _iso639_1_of(primary)
    return None


@lru_cache(maxsize=256)
def _iso639_1_of(code: str) -> str | None:
    # babel knows the ISO 639-2/3 aliases ("fra", "fre", "deu", "ger") through CLDR
    from babel import Locale, UnknownLocaleError

    try:
        language = Locale.parse(code).language
    except (ValueError, UnknownLocaleError):
        return None
    return language if len(language) == 2 else None


def detection_sample(title: str, paragraphs: list[str], limit: int = DETECT_CHARS) -> list[str]:
    """Segments of at least SEGMENT_CHARS characters from the title and first paragraphs, limit in all."""
    segments: list[str] = []
    current: list[str] = []
    size = used = 0
    for text in [title, *paragraphs]:
        if not text or used >= limit:
            continue
        text = text[: limit - used]
        used += len(text)
        current.append(text)
        size += len(text)
        if size >= SEGMENT_CHARS:
            segments.append(" ".join(current))
            current, size = [], 0
    if current:
        tail = " ".join(current)
        # a short remainder is too little to vote alone: it joins the segment before it
        if segments and size < SEGMENT_CHARS:
            segments[-1] += " " + tail
        else:
            segments.append(tail)
    return segments


def detect_language(title: str, paragraphs: list[str]) -> tuple[str, str]:
    """(ISO 639-1 or "und", why): "detected", "too_short" or "mixed"."""
    segments = detection_sample(title, paragraphs)
    size = sum(map(len, segments))
    if size < 4 * MIN_LETTERS and sum(len(LETTER.findall(s)) + 2 * len(CJK.findall(s)) for s in segments) < MIN_LETTERS:
        return UNDETERMINED, "too_short"
    # each segment votes with its length (counting letters instead costs a quarter of the detection time)
    votes: Counter[str] = Counter()
    identifier = _identifier()
    for segment in segments:
        votes[_iso(identifier.classify(segment)[0])] += len(segment)
    total = sum(votes.values())
    language, count = votes.most_common(1)[0]
    if language == UNDETERMINED or count / total < MIN_SHARE:
        return UNDETERMINED, "mixed"
    return language, "detected"


def agrees(language: str, title: str, paragraphs: list[str]) -> bool:
    """True when `language` is among the text's AGREE_RANK most likely languages."""
    sample = " ".join(detection_sample(title, paragraphs))
    ranked = [_iso(label) for label, _ in _identifier().rank(sample)[:AGREE_RANK]]
    return language in ranked


def article_language(metadata: str | None, title: str, paragraphs: list[str]) -> tuple[str, str]:
    """The article's language and how it was decided (the reason is a stat key).

    Metadata wins when the text agrees with it (or is too short to say); when the text clearly says
    otherwise, the text wins: scrapers often stamp a whole site's default language on every article.
    """
    meta = normalize_language_tag(metadata)
    detected, why = detect_language(title, paragraphs)
    if meta is None:
        return detected, why if detected == UNDETERMINED else "detected"
    if detected == meta:
        return meta, "metadata_confirmed"
    if why == "too_short":
        return meta, "metadata_unchecked"
    if agrees(meta, title, paragraphs):
        return meta, "metadata_close"
    return detected, "metadata_overridden"


def detect_languages(frame: pd.DataFrame) -> StageResult:
    """Fill `language` for every article of the chunk; counts per language and per decision."""
    out = frame.copy()
    result = StageResult(out)
    decided = [
        article_language(meta, title or "", list(paras))
        for meta, title, paras in zip(out["language"], out["title"], out["paragraphs"], strict=True)
    ]
    out["language"] = [language for language, _ in decided]
    for language, why in decided:
        result.counts[f"lang_{language}"] += 1
        result.counts[why if language != UNDETERMINED else f"und_{why}"] += 1
    result.counts["articles"] += len(decided)
    return result
