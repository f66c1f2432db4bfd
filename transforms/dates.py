"""Dates: the publish date, the dateline, and mentioned dates resolved against the publish date."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache

import pandas as pd
from dateparser.date import DateDataParser

from transforms.stats import StageResult

STAGE = "dates"
MONTHS = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DATE_FORMS = [
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?",  # ISO 8601
    rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),?\s+\d{{1,2}}\s+{MONTHS}\s+\d{{4}}(?:\s+\d{{2}}:\d{{2}}(?::\d{{2}})?(?:\s*(?:[+-]\d{{4}}|[A-Z]{{2,4}}))?)?",  # RFC 822
    rf"{MONTHS}\s+\d{{1,2}},?\s+\d{{4}}",  # May 12, 2015
    rf"\d{{1,2}}\s+{MONTHS}\s+\d{{4}}",  # 12 May 2015
]
ANY_DATE = "(?:" + "|".join(DATE_FORMS) + ")"
LABELLED_DATE = re.compile(
    rf"\b(?:publish(?:ed)?(?:\s+(?:date|on))?|posted(?:\s+on)?|date)\s*:?\s*(?P<date>{ANY_DATE})", re.IGNORECASE
)
# Only when nothing says when the story was first published.
UPDATED_DATE = re.compile(
    rf"\b(?:updated|last updated|modified)\s*(?:on|at)?\s*:?\s*(?P<date>{ANY_DATE})", re.IGNORECASE
)
BARE_DATE = re.compile(rf"\b(?P<date>{ANY_DATE})\b")
# "SOCHI, Russia —", "WASHINGTON (Reuters) -", "NEW YORK —"
DATELINE = re.compile(
    r"^(?P<city>[A-Z][A-Z.'\- ]{1,40}?)(?:,\s*(?P<region>[A-Z][\w.'\- ]{1,40}?))?\s*(?:\([^)]{1,40}\))?\s*[\u2014\u2013-]{1,2}\s"
)
NUMBER_WORDS = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|few|many|some)"
DURATION = re.compile(
    rf"^(?:about |nearly |almost |more than |less than |over |under |the past |the last |the next )?"
    rf"{NUMBER_WORDS}[ -](?:days?|weeks?|months?|years?|decades?|centuries|century)(?:[ -](?:long|old|history))?$"
    r"|\d+-(?:day|week|month|year)\b|^\d{4}s$|^(?:19|20)?\d0s$"
)
# Scraped metadata says 0001-01-01 (.NET DateTime.MinValue) when it knows no date.
MIN_YEAR = 1800
PARSER_SETTINGS = {"PREFER_DATES_FROM": "past", "PREFER_DAY_OF_MONTH": "first", "RETURN_TIME_AS_PERIOD": True}
# Fast paths for the forms most dates take: dateparser costs about a millisecond per phrase, and a big dump
# has hundreds of thousands of them. Anything else still goes to dateparser.
MONTH_NUMBER = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
            ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
            ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
MONTH_WORD = r"(?P<month>[a-z]{3,9})\.?"
MONTH_DAY_YEAR = re.compile(rf"^{MONTH_WORD}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?$")
DAY_MONTH_YEAR = re.compile(
    rf"^(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_WORD}(?:,?\s+(?P<year>\d{{4}}))?$"
)
MONTH_YEAR = re.compile(rf"^{MONTH_WORD}(?:,?\s+(?:of\s+)?(?P<year>\d{{4}}))?$")
RELATIVE = re.compile(r"^(?:(?:earlier|later) )?(?P<which>last|this|next|past) (?P<unit>week|month|year)$")
WEEKDAY_PHRASE = re.compile(
    r"^(?P<last>last |this )?(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)$"
)
DAY_WORDS = {"today": 0, "yesterday": -1, "tomorrow": 1}


def parse_date(text: str) -> str | None:
    """An ISO 8601 string for an absolute date, keeping the time only when the text has one."""
    parsed = _parse_common_date(text.strip()) or _strict_parser().get_date_data(text).date_obj
    if parsed is None or parsed.year < MIN_YEAR:  # 0001-01-01 is a CMS placeholder, not a date
        return None
    has_time = bool(re.search(r"\d{1,2}:\d{2}", text))
    return parsed.isoformat() if has_time else parsed.date().isoformat()


@lru_cache(maxsize=1)
def _strict_parser() -> DateDataParser:
    return DateDataParser(languages=["en"], settings={"STRICT_PARSING": True})


def _parse_common_date(text: str) -> datetime | None:
    """ISO 8601, RFC 822 and "May 12, 2015" / "12 May 2015" without dateparser."""
    if re.match(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    if text[:3].lower() in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") and ":" in text:
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    folded = " ".join(text.lower().split())
    match = MONTH_DAY_YEAR.match(folded) or DAY_MONTH_YEAR.match(folded)
    if match and match.group("year") and match.group("month") in MONTH_NUMBER:
        try:
            return datetime(int(match.group("year")), MONTH_NUMBER[match.group("month")], int(match.group("day")))
        except ValueError:
            return None
    return None


def find_publish_date(metadata_date: str | None, texts: list[str], lead: int = 3, raw_text: str = "") -> str | None:
    """Publish date: metadata first, then a labelled date anywhere, then a date in the first paragraphs.

    raw_text is searched for a labelled date too: cleaning drops "Posted on ..." lines as boilerplate.
    """
    if metadata_date:
        parsed = parse_date(metadata_date)
        if parsed:
            return parsed
    for label in (LABELLED_DATE, UPDATED_DATE):
        for text in [*texts, raw_text]:
            match = label.search(text)
            if match and (parsed := parse_date(match.group("date"))):
                return parsed
    for text in texts[:lead]:
        match = BARE_DATE.search(text)
        if match and (parsed := parse_date(match.group("date"))):
            return parsed
    return None


def parse_dateline(paragraph: str) -> str | None:
    """The place a story was filed from: "SOCHI, Russia — ..." -> "Sochi, Russia"."""
    match = DATELINE.match(paragraph)
    if not match:
        return None
    city = match.group("city").strip()
    if city != city.upper():  # a dateline city is printed in capitals
        return None
    parts = [city.title()]
    if match.group("region"):
        parts.append(match.group("region").strip())
    return ", ".join(parts)


@lru_cache(maxsize=64)
def _parser_for(base: date) -> DateDataParser:
    # building a DateDataParser costs far more than a parse; one per publish date is enough
    settings = {**PARSER_SETTINGS, "RELATIVE_BASE": datetime.combine(base, datetime.min.time())}
    return DateDataParser(languages=["en"], settings=settings)


@lru_cache(maxsize=65536)
def resolve_mentioned_date(text: str, base: date) -> str | None:
    """An ISO date at its granularity ("2015-05-12", "2015-02" or "2015").

    A phrase that names no year ("February", "Tuesday", "May 12") means its most recent occurrence on
    or before base; "last/next month", "yesterday" and the like count from base; a full date stays as is.
    """
    phrase = " ".join(text.strip().lower().split())
    for prefix in ("on ", "in ", "the ", "since ", "until ", "by "):
        phrase = phrase.removeprefix(prefix)
    if DURATION.search(phrase):
        return None  # "six months", "two days", "a 14-year history", "the 1960s": spans, not dates
    if base.year < MIN_YEAR:
        return None  # a placeholder publish date (0001-01-01) gives nothing to resolve against
    if re.fullmatch(r"\d{4}", phrase):
        return phrase
    common = _resolve_common(phrase, base)
    if common is not None:
        return common or None
    return _resolve_with_dateparser(phrase, base)


def _resolve_common(phrase: str, base: date) -> str | None:
    """The forms most DATE mentions take; None when the phrase is none of them, "" when it is not a date."""
    if phrase in DAY_WORDS:
        return (base + timedelta(days=DAY_WORDS[phrase])).isoformat()
    if match := WEEKDAY_PHRASE.match(phrase):
        back = (base.weekday() - WEEKDAYS.index(match.group("weekday"))) % 7
        if match.group("last") == "last " and back == 0:
            back = 7  # "last Tuesday" said on a Tuesday is a week ago
        return (base - timedelta(days=back)).isoformat()
    if match := RELATIVE.match(phrase):
        step = {"last": -1, "past": -1, "this": 0, "next": 1}[match.group("which")]
        unit = match.group("unit")
        if unit == "week":
            return (base + timedelta(days=7 * step)).isoformat()
        if unit == "year":
            return f"{base.year + step:04d}"
        months = base.year * 12 + base.month - 1 + step
        return f"{months // 12:04d}-{months % 12 + 1:02d}"
    match = MONTH_DAY_YEAR.match(phrase) or DAY_MONTH_YEAR.match(phrase)
    if match and match.group("month") in MONTH_NUMBER:
        month, day = MONTH_NUMBER[match.group("month")], int(match.group("day"))
        if match.group("year"):
            try:
                return date(int(match.group("year")), month, day).isoformat()
            except ValueError:
                return ""
        for year in range(base.year, base.year - 9, -1):  # 29 February can be up to 8 years back
            try:
                found = date(year, month, day)
            except ValueError:
                continue
            if found <= base:
                return found.isoformat()
        return ""
    match = MONTH_YEAR.match(phrase)
    if match and match.group("month") in MONTH_NUMBER:
        month = MONTH_NUMBER[match.group("month")]
        year = int(match.group("year") or (base.year if month <= base.month else base.year - 1))
        return f"{year:04d}-{month:02d}"
    return None


def _resolve_with_dateparser(phrase: str, base: date) -> str | None:
    data = _parser_for(base).get_date_data(phrase)
    if data.date_obj is None:
        return None
    found = data.date_obj.date()
    if found > base and not re.search(r"\d{4}", phrase):  # "the spring" published in March: last year's
        try:
            found = found.replace(year=found.year - 1)
        except ValueError:  # 29 February has no counterpart a year earlier
            found = found.replace(year=found.year - 1, day=28)
    if data.period == "year":
        return f"{found.year:04d}"
    if data.period == "month":
        return f"{found.year:04d}-{found.month:02d}"
    if data.period in ("day", "week", "time"):
        return found.isoformat()
    return None


def extract_publish_dates(frame: pd.DataFrame) -> StageResult:
    """Fill published_at and dateline; runs before dedupe so clusters can prefer the earliest copy."""
    out = frame.copy()
    result = StageResult(out)
    out["published_at"] = [
        find_publish_date(meta, [title, *caps, *paras], raw_text=raw or "")
        for meta, title, caps, paras, raw in zip(
            out["published_at"], out["title"], out["captions"], out["paragraphs"], out["raw_text"], strict=True
        )
    ]
    out["dateline"] = [next((d for p in paras[:3] if (d := parse_dateline(p))), None) for paras in out["paragraphs"]]
    result.counts["published_found"] += int(out["published_at"].notna().sum())
    result.counts["published_missing"] += int(out["published_at"].isna().sum())
    result.counts["datelines"] += int(out["dateline"].notna().sum())
    return result


def resolve_mentioned_dates(frame: pd.DataFrame) -> StageResult:
    """Turn NER's DATE mentions (column date_mentions) into ISO dates resolved against published_at."""
    out = frame.copy()
    result = StageResult(out)
    mentioned: list[list[str]] = []
    for pub, phrases in zip(out["published_at"], out["date_mentions"], strict=True):
        base = date.fromisoformat(pub[:10]) if isinstance(pub, str) else None
        dates: list[str] = []
        for phrase in phrases:
            if base is None and not re.search(r"\d{4}", phrase):
                result.counts["dropped_relative_without_base"] += 1
                continue  # a relative date means nothing without a publish date
            value = resolve_mentioned_date(phrase, base or date.max)
            if value:
                dates.append(value)
            else:
                result.counts["dropped_unresolved"] += 1
        mentioned.append(list(dict.fromkeys(dates)))
    out["mentioned_dates"] = mentioned
    result.counts["mentioned_dates"] += sum(len(m) for m in mentioned)
    return result
