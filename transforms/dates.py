"""Dates: the publish date, the dateline, and mentioned dates resolved against the publish date."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from pathlib import Path

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
    rf"\b(?P<label>publish(?:ed)?(?:\s+(?:date|on))?|posted(?:\s+on)?|date)\s*(?P<colon>:)?\s*(?P<date>{ANY_DATE})",
    re.IGNORECASE,
)
# Only when nothing says when the story was first published.
UPDATED_DATE = re.compile(
    rf"\b(?P<label>updated|last updated|modified)\s*(?:on|at)?\s*(?P<colon>:)?\s*(?P<date>{ANY_DATE})", re.IGNORECASE
)
BARE_DATE = re.compile(rf"\b(?P<date>{ANY_DATE})\b")
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
# Languages whose dates the English fast paths and patterns read; any other goes to dateparser in its language.
ENGLISH = (None, "", "en", "und")
# Dates as other languages write them: "12 mai 2015", "1er mai 2015", "12. Mai 2015", "12 de mayo de 2015",
# "12 мая 2015", "12.05.2015", "2015年5月12日" (the month word is checked by dateparser, not here).
LOCAL_DATE_FORMS = [
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?",
    r"\d{1,2}(?:er|º|°)?\.?\s+(?:de\s+)?[^\W\d_]{3,12}\.?\s+(?:de\s+)?\d{4}",
    r"\d{1,2}\.\d{1,2}\.\d{4}",
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日",
]
LOCAL_DATE = "(?:" + "|".join(LOCAL_DATE_FORMS) + ")"
LOCAL_LABELLED_DATE = re.compile(
    r"(?:publié|mis en ligne|veröffentlicht|erschienen|publicado|опубликовано|发布(?:时间|于)?|公開)"
    rf"(?:\s+(?:le|am|el|on))?\s*[:：]?\s*(?P<date>{LOCAL_DATE})",
    re.IGNORECASE,
)
# Chinese and Japanese dates follow a place name with no space between ("北京2015年5月12日电").
LOCAL_BARE_DATE = re.compile(rf"(?<!\w)(?P<date>{LOCAL_DATE})|(?P<cjk>{LOCAL_DATE_FORMS[-1]})")
DOTTED_DATE = re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})")
# Date phrases that other languages' NER models do not tag (spaCy's fr/de/es models have no DATE label).
RELATIVE_WORDS = {
    "fr": r"avant-hier|hier|aujourd'hui|demain|(?:la semaine|le mois|l'an|l'année) (?:dernière?|prochaine?|passée?)"
    r"|(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)(?: dernier)?",
    "de": r"vorgestern|gestern|heute|morgen|(?:letzte|vergangene|nächste)[nr]? (?:Woche|Monat|Jahr)"
    r"|(?:am )?(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)",
    "es": r"anteayer|ayer|hoy|mañana|(?:la semana|el mes|el año) (?:pasad[oa]|próxim[oa])"
    r"|(?:el )?(?:lunes|martes|miércoles|jueves|viernes|sábado|domingo)(?: pasado)?",
}
DATE_MENTION = {
    language: re.compile(rf"(?<!\w)(?:{LOCAL_DATE}|{words})(?!\w)", re.IGNORECASE)
    for language, words in RELATIVE_WORDS.items()
}


def parse_date(text: str, language: str | None = None) -> str | None:
    """An ISO 8601 string for an absolute date, keeping the time only when the text has one.

    language (ISO 639-1) is the article's: month names in other languages go to dateparser in that language.
    """
    if language in ENGLISH:
        parsed = _parse_common_date(text.strip()) or _strict_parser().get_date_data(text).date_obj
    else:
        parsed = _parse_neutral_date(text.strip()) or _strict_parser(language).get_date_data(text).date_obj
    if parsed is None or parsed.year < MIN_YEAR:  # 0001-01-01 is a CMS placeholder, not a date
        return None
    has_time = bool(re.search(r"\d{1,2}:\d{2}", text))
    return parsed.isoformat() if has_time else parsed.date().isoformat()


@lru_cache(maxsize=32)
def _strict_parser(language: str | None = "en") -> DateDataParser:
    # English second: metadata dates of a foreign article are often written by an English CMS
    return DateDataParser(languages=_languages(language, "en"), settings={"STRICT_PARSING": True})


@lru_cache(maxsize=64)
def _languages(language: str | None, *more: str) -> list[str]:
    """dateparser's languages for an article language; English when dateparser does not know it."""
    known = language if language and language not in ENGLISH and language in _dateparser_languages() else None
    return list(dict.fromkeys([c for c in (known, *more) if c])) or ["en"]


@lru_cache(maxsize=1)
def _dateparser_languages() -> frozenset[str]:
    from dateparser.data import languages_info

    return frozenset(languages_info.language_order)


def _parse_neutral_date(text: str) -> datetime | None:
    """ISO 8601, RFC 822 and 12.05.2015 (day first wherever dots separate the parts)."""
    if match := DOTTED_DATE.fullmatch(text):
        try:
            return datetime(int(match.group("year")), int(match.group("month")), int(match.group("day")))
        except ValueError:
            return None
    if re.match(r"\d{4}-\d{2}-\d{2}", text) or text[:3].lower() in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        return _parse_common_date(text)
    return None


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


# --- publish date -------------------------------------------------------------------------------
# A label counts when it reads like one: capitalised ("Published", "Publish Date"), followed by a
# colon, or first on its line or after a separator. "the study, published May 3, 2019, found" is a
# date mentioned in a sentence of the body, not the story's own.
LABEL_SEPARATOR = re.compile(r"(?:^|[|·•/\u2014\u2013-])\s*$")
LEADING_WEEKDAY = r"(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?,?\s+)?"
# A full date that opens a line of the lead: "May 14, 2024", "Tuesday, 12 May 2015 —", "12 May 2015 08:30".
# (RFC 822 first: its own weekday belongs to the date.)
DATE_AT_START = re.compile(rf"^(?:(?P<date>{ANY_DATE})|{LEADING_WEEKDAY}(?P<later>{ANY_DATE}))\b", re.IGNORECASE)
LEAD_LINES = 3


def _labelled(pattern: re.Pattern[str], text: str) -> str | None:
    """The first date in text that a label such as "Published" or "Updated" names."""
    for match in pattern.finditer(text):
        label = match.group("label")
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[line_start : match.start()]
        reads_as_label = label[0].isupper() or match.group("colon") or LABEL_SEPARATOR.search(before)
        if reads_as_label and (parsed := parse_date(match.group("date"))):
            return parsed
    return None


def _date_leading(line: str) -> str | None:
    """A full date that opens a line of the lead (a date later in the line belongs to a sentence)."""
    match = DATE_AT_START.match(line.strip())
    return parse_date(match.group("date") or match.group("later")) if match else None


def find_publish_date(
    metadata_date: str | None,
    texts: list[str],
    lead: int = LEAD_LINES,
    raw_text: str = "",
    labelled: list[str] | None = None,
    language: str | None = None,
) -> str | None:
    """Publish date from evidence only: metadata, a labelled date, a full date in the dateline or lead.

    texts are the article's body paragraphs; labelled holds more texts searched for a labelled date
    only (title, captions); raw_text, the text before cleaning, is searched for labels too (cleaning
    drops "Posted on ..." lines) and for a date line at its top. A bare year, a copyright year or a
    date inside a sentence of the body never counts. A non-English article (language) is searched for its
    language's forms first ("Publié le 12 mai 2015").
    """
    if metadata_date:
        parsed = parse_date(metadata_date, language)
        if parsed:
            return parsed
    if language not in ENGLISH:
        for pattern, where in (
            (LOCAL_LABELLED_DATE, [*(labelled or []), *texts, raw_text]),
            (LOCAL_BARE_DATE, texts[:lead]),
        ):
            for text in where:
                match = pattern.search(text)
                if match and (parsed := parse_date(match.group("date") or match.group("cjk"), language)):
                    return parsed
    for label in (LABELLED_DATE, UPDATED_DATE):
        for text in [*(labelled or []), *texts, raw_text]:
            if parsed := _labelled(label, text):
                return parsed
    return lead_date(texts[:lead], raw_text)


def lead_date(paragraphs: list[str], raw_text: str = "") -> str | None:
    """A full date in the dateline of the first paragraphs, or standing alone at the start of one."""
    for paragraph in paragraphs:
        found = find_dateline(paragraph)
        if found and found.date and (parsed := parse_date(found.date)):
            return parsed
        if parsed := _date_leading(paragraph):
            return parsed
    raw_lines = [line for line in (raw_text[:4000].splitlines()) if line.strip()][: LEAD_LINES + 3]
    for line in raw_lines:
        if parsed := _date_leading(line):
            return parsed
    return None


# --- datelines ----------------------------------------------------------------------------------
def _places_file() -> Path:
    # the same rule as newsfacet.settings.CONFIG_DIR, without importing it: transforms stay standalone
    return Path(os.environ.get("NEWSFACET_CONFIG_DIR", Path(__file__).resolve().parents[1] / "config")) / "places.toml"


def _place_key(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split())


@dataclass(frozen=True)
class Places:
    """The place table of config/places.toml: region spellings, countries, stand-alone cities, agencies."""

    regions: dict[str, tuple[str, str]]  # folded printed form -> (form to print, full name for locations)
    cities: dict[str, str]  # folded -> spelling
    agencies: frozenset[str]
    not_places: frozenset[str]


def load_places(path: Path) -> Places:
    """Read config/places.toml."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
        regions: dict[str, tuple[str, str]] = {}
        for table in ("us_states", "canadian_provinces", "other_regions"):
            for name, abbreviations in raw[table].items():
                for form in [name, *abbreviations]:
                    regions.setdefault(_place_key(form), (form, name))
        for name in raw["countries"]["names"]:
            regions.setdefault(_place_key(name), (name, name))
        for form, name in raw["countries"]["variants"].items():
            regions.setdefault(_place_key(form), (form, name))
        return Places(
            regions=regions,
            cities={_place_key(c): c for c in raw["cities"]["names"]},
            agencies=frozenset(_place_key(a) for a in raw["agencies"]["names"]),
            not_places=frozenset(_place_key(w) for w in raw["not_places"]["words"]),
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a valid place table ({type(exc).__name__}: {exc})") from None


@lru_cache(maxsize=1)
def default_places() -> Places:
    """The place table under the config folder, read once."""
    return load_places(_places_file())


# A word of a place name: a capital, then letters, apostrophes, periods, hyphens or slashes ("ST.",
# "D'ALENE", "WINSTON-SALEM", "Tromsø", Reuters' "BEIRUT/DUBAI"). Whether it is capitalised is checked after the match.
PLACE_WORD = r"[^\W\d_][\w'’.\-/]*"
CONNECTORS = frozenset(
    [
        "de",
        "da",
        "do",
        "dos",
        "das",
        "del",
        "della",
        "di",
        "du",
        "la",
        "le",
        "les",
        "el",
        "al",
        "am",
        "an",
        "der",
        "den",
        "van",
        "von",
        "y",
        "upon",
        "sur",
        "en",
    ]
)
MONTH_DAY = rf"{MONTHS}\s+\d{{1,2}}(?:,?\s+\d{{4}})?"
DATELINE_DATE = rf"(?:{MONTH_DAY}|\d{{1,2}}\s+{MONTHS}(?:\s+\d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}})"
DASH = r"(?:--|[-\u2012\u2013\u2014\u2015])"
DATELINE = re.compile(
    rf"^(?P<city>{PLACE_WORD}(?:\s+{PLACE_WORD}){{0,4}}?)"
    rf"(?:,\s*(?!{MONTHS}\s+\d)(?P<region>{PLACE_WORD}(?:\s+{PLACE_WORD}){{0,3}}?))?"
    rf"(?:,?\s+(?P<date>{DATELINE_DATE}))?"
    r"\s*(?:\((?P<agency>[^()]{1,40})\)|/(?P<wire>[A-Za-z][\w ]{1,30})/)?"
    rf"\s*(?:(?P<dash>{DASH})(?P<rest>.*)|$)",
    re.IGNORECASE | re.DOTALL,
)
# A dateline ends within this many characters (the longest: "SALT LAKE CITY, Utah, Sept. 30 (Associated Press) —").
MAX_DATELINE_CHARS = 120
DATELINE_END = re.compile(r"[-\u2012-\u2015)/]")  # a dash, the end of "(AP)" or of "/PRNewswire/"
MAC_PREFIX = re.compile(r"^(Ma?c)([a-z])")


@dataclass(frozen=True)
class Dateline:
    """A dateline found at the start of a paragraph."""

    city: str  # title-cased: "Springfield"
    region: str | None  # as printed, title-cased: "Ill.", "Nova Scotia", "Russia"
    region_name: str | None  # spelled out for locations: "Illinois"
    date: str | None  # "March 3", "2015-05-12" as printed
    agency: str | None
    end: int  # where the story text starts in the paragraph

    @property
    def text(self) -> str:
        """The dateline field: "Springfield, Ill."."""
        return f"{self.city}, {self.region}" if self.region else self.city

    @property
    def places(self) -> list[str]:
        """Values for the locations facet: the city, then the state, province or country spelled out."""
        return [*self.city.split("/"), *([self.region_name] if self.region_name else [])]


def _title_word(word: str, first: bool) -> str:
    """One word of an all-caps place in title case: "D'ALENE" -> "D'Alene", "JOHN'S" -> "John's"."""
    if not first and word.lower() in CONNECTORS:
        return word.lower()
    parts = re.split(r"([-'’/])", word.lower())
    out = []
    for n, part in enumerate(parts):
        if n and parts[n - 1] in ("'", "’") and part in ("s", ""):
            out.append(part)  # possessive: "JOHN'S"
        else:
            out.append(MAC_PREFIX.sub(lambda m: m.group(1).title() + m.group(2).upper(), part[:1].upper() + part[1:]))
    return "".join(out)


def _is_capitalised(word: str) -> bool:
    return word[0].isupper()


def _all_caps(words: list[str]) -> bool:
    letters = [c for w in words for c in w if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def find_dateline(paragraph: str, places: Places | None = None) -> Dateline | None:
    """The dateline that opens a paragraph, when its place is plausible.

    Accepted: "SPRINGFIELD, Ill., March 3 -", "WASHINGTON (AP) —", "Paris, France (AFP) -",
    "LONDON, March 3 (Reuters) -", a listed city alone ("LONDON —"), and a dateline paragraph on
    its own ("LONDON 2015-05-12"). The place is plausible when the city is followed by a known state,
    province or country, an agency, or a month and day, or when it is a listed city; "COAL — prices
    rose" and "Paris — the city of light" are not datelines.
    """
    if not paragraph or not paragraph[0].isalpha() or not paragraph[0].isupper():
        return None
    head = paragraph[:MAX_DATELINE_CHARS]
    if len(paragraph) > MAX_DATELINE_CHARS and not DATELINE_END.search(head):
        return None  # most body paragraphs: no dash or agency near the start, skip the full match
    match = DATELINE.match(head)
    if not match:
        return None
    places = places or default_places()
    city_words = match.group("city").split()
    region, date_text, agency = match.group("region"), match.group("date"), match.group("agency")
    agency = agency or match.group("wire")
    dash, rest = match.group("dash"), match.group("rest") or ""
    if not dash and not (date_text or agency):
        return None  # no dash: only a paragraph that is nothing but a place and a date/agency
    if dash == "-" and rest and not rest[0].isspace():
        return None  # "LONDON-based": a hyphen, not a dash
    body = rest.lstrip(" \u00a0\"'“‘")
    if body[:1].islower():
        return None  # "Paris — the city of light": an apposition, not a dateline
    known_city = places.cities.get(_place_key(match.group("city")))
    if _place_key(match.group("city")) in places.not_places:
        return None
    if city_words[0].casefold() in ("the", "a", "an") and not known_city:
        return None  # "The city of Springfield, Ill., announced" (but "THE HAGUE —" is a dateline)
    if not _is_capitalised(city_words[0]) or not all(_is_capitalised(w) or w.lower() in CONNECTORS for w in city_words):
        return None
    caps = _all_caps(city_words)
    if not caps and any(w.isupper() and len(w) > 3 for w in city_words):
        return None  # mixed "Springfield ELEMENTARY": neither a printed dateline nor a title
    region_entry = None
    if region:
        region_entry = places.regions.get(_place_key(region))
        if region_entry is None:
            return None  # "Apple, Google, March 3 -": the second name is no state, province or country
    if agency and not (_place_key(agency) in places.agencies or (agency[0].isupper() and len(agency.split()) <= 4)):
        return None
    month_day = bool(date_text and re.match(MONTHS, date_text, re.IGNORECASE))
    if not (region_entry or agency or known_city or (month_day and caps)):
        return None
    if not dash and not (caps or known_city or region_entry):
        return None  # "Posted May 14, 2024" on its own line is a timestamp, not a dateline
    if known_city:
        city = known_city
    elif caps:
        city = " ".join(_title_word(w, n == 0) for n, w in enumerate(city_words))
    else:
        city = " ".join(city_words)
    printed, full = region_entry if region_entry else (None, None)
    if region and printed and _place_key(printed) == _place_key(region) and not _all_caps(region.split()):
        printed = region.strip()  # keep the paper's own spelling ("Nova Scotia", "W. Va.")
    return Dateline(
        city=city,
        region=printed,
        region_name=full,
        date=date_text,
        agency=agency,
        end=match.start("rest") if dash else len(paragraph),
    )


def parse_dateline(paragraph: str) -> str | None:
    """The place a story was filed from: "SOCHI, Russia — ..." -> "Sochi, Russia"."""
    found = find_dateline(paragraph)
    return found.text if found else None


def places_of_dateline(dateline: str, places: Places | None = None) -> list[str]:
    """Locations of a dateline field value: "Springfield, Ill." -> ["Springfield", "Illinois"]."""
    city, _, region = dateline.partition(",")
    found = (places or default_places()).regions.get(_place_key(region)) if region.strip() else None
    return [*city.strip().split("/"), *([found[1]] if found else [])] if city.strip() else []


def dateline_for_ner(paragraph: str) -> str:
    """The paragraph with its dateline as NER reads best: places spelled out, no agency or date.

    An all-caps dateline ("DOVER, England —") reads as a PERSON to the small model; "Dover, England —"
    reads as places.
    """
    found = find_dateline(paragraph)
    if found is None:
        return paragraph
    rest = paragraph[found.end :].strip()
    return f"{', '.join(found.places)} \u2014 {rest}" if rest else ", ".join(found.places)


@lru_cache(maxsize=64)
def _parser_for(base: date, language: str | None = "en") -> DateDataParser:
    # building a DateDataParser costs far more than a parse; one per publish date (and language) is enough
    settings = {**PARSER_SETTINGS, "RELATIVE_BASE": datetime.combine(base, datetime.min.time())}
    return DateDataParser(languages=_languages(language), settings=settings)


# The same phrase on the same day, across nearby articles; a miss costs well under a millisecond. 65536 entries
# (about 14 per article) kept filling for the first ~5k articles of a run, some 30 MB of the flow process.
@lru_cache(maxsize=4096)
def resolve_mentioned_date(text: str, base: date, language: str | None = None) -> str | None:
    """An ISO date at its granularity ("2015-05-12", "2015-02" or "2015").

    A phrase that names no year ("February", "Tuesday", "May 12") means its most recent occurrence on
    or before base; "last/next month", "yesterday" and the like count from base; a full date stays as is.
    A non-English phrase ("hier", "12. Mai") goes to dateparser in the article's language.
    """
    if language not in ENGLISH:
        phrase = " ".join(text.strip().split())
        if base.year < MIN_YEAR:
            return None
        if re.fullmatch(r"\d{4}", phrase):
            return phrase
        return _resolve_with_dateparser(phrase, base, language)
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


@lru_cache(maxsize=4096)  # the same phrase on the same day ("the summer", "Christmas") across a day's articles
def _resolve_with_dateparser(phrase: str, base: date, language: str | None = "en") -> str | None:
    data = _parser_for(base, language).get_date_data(phrase)
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
    """Fill published_at and dateline; runs before dedupe so clusters can prefer the earliest copy.

    published_at comes only from evidence (see find_publish_date); an article without any keeps none
    and is counted as published_missing.
    """
    out = frame.copy()
    result = StageResult(out)
    languages = out["language"] if "language" in out else [None] * len(out)
    out["published_at"] = [
        find_publish_date(meta, list(paras), raw_text=raw or "", labelled=[title, *caps], language=language)
        for meta, title, caps, paras, raw, language in zip(
            out["published_at"],
            out["title"],
            out["captions"],
            out["paragraphs"],
            out["raw_text"],
            languages,
            strict=True,
        )
    ]
    out["dateline"] = [
        next((d for p in paras[:LEAD_LINES] if (d := parse_dateline(p))), None) for paras in out["paragraphs"]
    ]
    result.counts["published_found"] += int(out["published_at"].notna().sum())
    result.counts["published_missing"] += int(out["published_at"].isna().sum())
    result.counts["datelines"] += int(out["dateline"].notna().sum())
    return result


def find_date_mentions(paragraphs: list[str], language: str) -> list[str]:
    """Date phrases in a fr/de/es article: full dates ("12 mai 2015") and relative words ("hier")."""
    pattern = DATE_MENTION.get(language)
    return [m.group(0) for text in paragraphs for m in pattern.finditer(text)] if pattern else []


def resolve_mentioned_dates(frame: pd.DataFrame) -> StageResult:
    """Turn NER's DATE mentions (column date_mentions) into ISO dates resolved against published_at."""
    out = frame.copy()
    result = StageResult(out)
    mentioned: list[list[str]] = []
    languages = out["language"] if "language" in out else [None] * len(out)
    for pub, phrases, paras, language in zip(
        out["published_at"], out["date_mentions"], out["paragraphs"], languages, strict=True
    ):
        base = date.fromisoformat(pub[:10]) if isinstance(pub, str) else None
        dates: list[str] = []
        if language in DATE_MENTION and not phrases:  # the language's NER model tags no DATE: find them here
            phrases = find_date_mentions(paras, language)
        for phrase in phrases:
            if base is None and not re.search(r"\d{4}", phrase):
                result.counts["dropped_relative_without_base"] += 1
                continue  # a relative date means nothing without a publish date
            value = resolve_mentioned_date(phrase, base or date.max, language)
            if value:
                dates.append(value)
            else:
                result.counts["dropped_unresolved"] += 1
        mentioned.append(list(dict.fromkeys(dates)))
    out["mentioned_dates"] = mentioned
    result.counts["mentioned_dates"] += sum(len(m) for m in mentioned)
    return result
