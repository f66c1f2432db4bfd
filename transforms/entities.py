"""Entities from NER mentions: what the model reads, label mapping, clean-up, one type per name, and canonical
names per facet (the model itself runs in transforms.ner).

The model reads one text per article: the title, then the body, then the captions. Every mention is put
back in its context (title, prose, a results line) by its position, because a headline or a line of scores
is where the small model guesses types worst. Prose mentions are the confident ones: they vote, per surface
form, for a type, and the votes (this chunk's plus earlier runs', injected by the caller) decide the type of
a name wherever the evidence is clear.
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from transforms.clean import BoilerplateRules, strip_credits
from transforms.dates import LEAD_LINES, dateline_for_ner, places_of_dateline
from transforms.fields import ENTITY_FIELDS
from transforms.ner import NerFn, NerForModel, local_ner, ner_cache_key
from transforms.stats import StageResult

STAGE = "entities"
FIELD_BY_LABEL = {
    "PERSON": "persons",
    "ORG": "organizations",
    "GPE": "locations",
    "LOC": "locations",
    "FAC": "locations",
    "NORP": "misc",
    "EVENT": "misc",
    "PRODUCT": "misc",
    "WORK_OF_ART": "misc",
    "LAW": "misc",
    "LANGUAGE": "misc",
    # spaCy's French, Spanish, German... pipelines (WikiNER labels): LOC and ORG as above
    "PER": "persons",
    "MISC": "misc",
}
# One model run per piece of at most this many characters (spaCy's max_length is 1,000,000, and its memory
# grows with the text): a longer article is cut between paragraphs.
MAX_NER_CHARS = 50_000
# an all-caps opening the dateline parser does not take ("EXETER — "): its city is still where the story is
CAPS_DATELINE = re.compile(r"^(?P<city>[A-Z][A-Z.'\- ]{1,40}?)\s*(?:\([^)]{1,40}\))?\s*[\u2014\u2013]\s")
LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
POSSESSIVE = re.compile(r"(?:['\u2019]s?)$")
EDGE_PUNCT = re.compile(r"^[\W_]+|[^\w.)]+$")
MIDDLE_INITIAL = re.compile(r"^[A-Z]\.?$")
NUMERIC = re.compile(r"^[\d\s.,%/-]+$")
OPEN_PAREN_TAIL = re.compile(r"\s*\([^)]*$")  # "Alcaraz (Spa"
# "BBC News", "ITV Sport": the broadcaster itself
BROADCASTER_DESK = re.compile(r"^(?P<name>[A-Z]{2,5}) (?:News|Sport|Radio)$")
# a name in capitals over several words is a section label ("PREMIER LEAGUE"), not a mention
CAPS_PHRASE = re.compile(r"^[A-Z][A-Z&'.\-]*(?:\s+[A-Z&'.\-]+)+$")
# results and tables: "Arsenal 2 Chelsea 1", "Leeds 3-1 Hull", "1 Leeds United 37 23 10 4 +45 79", "-12", "1:58.24"
SCORE = re.compile(r"^[+\-\u2212]?\d+(?:[\-\u2013:.]\d+)*[,;.]?$")
TOKEN = re.compile(r"\S+")
DIGIT_RUN = re.compile(r"\d+")
# "Leeds 3-1 Hull", "Celtic 3 Dundee 0": two names around a score
MATCH_LINE = re.compile(r"^[A-Z][\w'.&\- ]{1,40}? \d{1,3}\s?[\-\u2013]\s?\d{1,3} [A-Z][\w'.&\- ]{1,40}$")
TRAILING_SCORES = re.compile(r"(?:\s+[+\-\u2212]?\d+(?:[\-\u2013:.]\d+)*)+$")
PAREN_CODE = re.compile(r"^\([A-Za-z]{2,4}\)[,;]?$")
NAME_TOKEN = re.compile(r"^[A-Z\u00c0-\u00de][\w'\u2019.\-&]*$")
NAME_JOINERS = frozenset({"&", "and", "of", "de", "la", "le", "du", "St", "St."})
INITIALS = re.compile(r"^(?:[A-Z]\.){1,3}$")
# a person mention right after one of these is a place ("councils in Kent")
PLACE_PREPOSITION = re.compile(r"\b(?:in|near|across|outside|around|at)\s+$")
# "beat Hull City 3-1": a name right before a score is a team
SCORE_AFTER = re.compile(r"\s+\d{1,3}\s?[\-\u2013]\s?\d{1,3}\b")
# a one-word name before a team role is the club ("Bolton manager Tom Marsh"), not a person; a place before
# "fans" is a club too. Not "spokesman" or "supporters": "a Trump spokesman" is about a person.
TEAM_ROLE_AFTER = re.compile(
    r"\s+(?:manager|boss|coach|captain|striker|midfielder|defender|goalkeeper|winger|full-back|forward)\b"
)
PLACE_ROLE_AFTER = re.compile(r"\s+(?:fans|supporters|chairman|chairwoman)\b")
# a capitalised word right before a score: the article reports a match
NAME_SCORE = re.compile(r"\b[A-Z][\w'.]*\s\d{1,3}\s?[\-\u2013]\s?\d{1,3}\b")
WORD_AT_END = re.compile(r"(\w[\w'\-]*)\Z")  # the word before a mention ("Reform" of "Reform UK")
# a name right after a place and "and" or a comma is a place too ("in Kent and Surrey")
PLACE_COORDINATION = re.compile(r"^(?:,\s*|\s+and\s+|\s+or\s+|,\s+and\s+)$")


class Mention(NamedTuple):
    """One NER mention with where it was found: "title", "prose" or "results"."""

    text: str
    label: str
    context: str = "prose"
    start: int = -1  # offset in the text the model read


@dataclass(frozen=True)
class EntityConfig:
    """Alias table, junk list, honorifics, particles and type-vote thresholds from config/entities.toml."""

    junk: frozenset[str]
    honorifics: re.Pattern[str]
    particles: tuple[str, ...]
    months: frozenset[str] = frozenset()  # junk unless a person's name in the article ("May" for Theresa May)
    alias_field: dict[str, tuple[str, str]] = field(default_factory=dict)  # folded variant -> (field, canonical)
    min_votes: int = 3
    majority: float = 0.75
    club_suffixes: frozenset[str] = frozenset()  # "Leeds United", "Hull City": the club
    org_suffixes: frozenset[str] = frozenset()  # "Belfast Harbour", "Sheffield City Council"
    place_suffixes: frozenset[str] = frozenset()  # "Elland Road", "Humber Bridge"


def fold(text: str) -> str:
    """Case- and spacing-insensitive key for alias and junk lookups."""
    return " ".join(text.casefold().split())


def type_key(text: str) -> str:
    """Key under which a name's type votes are counted: folded, plural "s" dropped ("Lib Dems" = "Lib Dem")."""
    key = fold(text)
    return key[:-1] if len(key) > 3 and key.endswith("s") and not key.endswith("ss") else key


def load_entity_config(path: Path) -> EntityConfig:
    """Read config/entities.toml."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    alias_field: dict[str, tuple[str, str]] = {}
    for field_name, table in raw.get("aliases", {}).items():
        for canonical, variants in table.items():
            for variant in [canonical, *variants]:
                alias_field[fold(variant)] = (field_name, canonical)
    titles = sorted(raw["persons"]["honorifics"], key=len, reverse=True)
    honorifics = re.compile(r"^(?:(?:" + "|".join(map(re.escape, titles)) + r")\.?\s+)+")
    junk = raw["junk"]
    types = raw.get("types", {})
    return EntityConfig(
        junk=frozenset(
            fold(j) for key in ("all", "time_zones", "weekdays", "table_headings") for j in junk.get(key, [])
        ),
        honorifics=honorifics,
        particles=tuple(p.lower() for p in raw["persons"]["particles"]),
        months=frozenset(fold(m) for m in junk.get("months", [])),
        alias_field=alias_field,
        min_votes=int(types.get("min_votes", 3)),
        majority=float(types.get("majority", 0.75)),
        club_suffixes=frozenset(types.get("club_suffixes", [])),
        org_suffixes=frozenset(types.get("org_suffixes", [])),
        place_suffixes=frozenset(types.get("place_suffixes", [])),
    )


def clean_mention(text: str) -> str:
    """Strip a leading "the", possessives and stray punctuation from a mention."""
    text = " ".join(text.split())
    text = LEADING_THE.sub("", text)
    text = TRAILING_SCORES.sub("", text)  # "Hull City 3-1"
    text = OPEN_PAREN_TAIL.sub("", text)
    text = POSSESSIVE.sub("", text)
    return EDGE_PUNCT.sub("", text).strip()


def person_core(name: str, cfg: EntityConfig) -> str:
    """A person mention without honorifics or middle initials: "Vladimir V. Putin" -> "Vladimir Putin"."""
    name = cfg.honorifics.sub("", name)
    tokens = name.split()
    if len(tokens) > 2:
        tokens = [tokens[0], *[t for t in tokens[1:-1] if not MIDDLE_INITIAL.match(t)], tokens[-1]]
    return " ".join(tokens)


def surname_key(name: str, cfg: EntityConfig) -> str:
    """Last name without particles, folded: "Bashar al-Assad" -> "assad"."""
    last = name.split()[-1].lower()
    for particle in cfg.particles:
        if particle.endswith("-") and last.startswith(particle):
            last = last[len(particle) :]
    return last


def is_junk(text: str, cfg: EntityConfig) -> bool:
    """Single characters, pure numbers, capitalised section labels and listed non-entities."""
    return len(text) < 2 or bool(NUMERIC.match(text)) or bool(CAPS_PHRASE.match(text)) or fold(text) in cfg.junk


# ---- type votes ---------------------------------------------------------------------------------------


class TypeVotes:
    """How often each name was tagged with each facet in prose, over earlier runs and this chunk.

    counts: surface form -> {field: count}. A name's type is decided when it has at least min_votes votes
    and one facet holds the majority share of them; its display form is its most-voted surface form, so
    "Lib Dem" and "Lib Dems" come out as one value everywhere.
    """

    def __init__(self, counts: Mapping[str, Mapping[str, int]], cfg: EntityConfig) -> None:
        self.cfg = cfg
        self.by_key: dict[str, Counter[str]] = defaultdict(Counter)
        self.surfaces: dict[str, Counter[str]] = defaultdict(Counter)
        self.add(counts)

    def add(self, counts: Mapping[str, Mapping[str, int]]) -> None:
        """Add (surface -> {field: n}) votes."""
        for surface, by_field in counts.items():
            key = type_key(surface)
            for field_name, n in by_field.items():
                self.by_key[key][field_name] += n
                self.surfaces[key][surface] += n

    def field_of(self, value: str) -> str | None:
        """The facet the corpus clearly gives this name, or None when the evidence is thin or split."""
        votes = self.by_key.get(type_key(value))
        if not votes:
            return None
        total = sum(votes.values())
        top, n = votes.most_common(1)[0]
        return top if total >= self.cfg.min_votes and n / total >= self.cfg.majority else None

    def display(self, value: str) -> str:
        """The name's most-voted surface form (ties: the longer, then alphabetical), else the value itself."""
        surfaces = self.surfaces.get(type_key(value))
        if not surfaces:
            return value
        return max(surfaces.items(), key=lambda kv: (kv[1], len(kv[0]), kv[0]))[0]


def merge_type_votes(into: dict[str, dict[str, int]], new: Mapping[str, Mapping[str, int]], keep_min: int = 2) -> None:
    """Add a chunk's votes to a run's in-memory votes, keeping only names known before or voted keep_min
    times in the chunk (the run-state DB keeps the rest), so memory stays bounded on a big dump.

    Inner dicts are replaced, never changed in place: a chunk still being enriched may hold a copy.
    """
    for surface, by_field in new.items():
        old = into.get(surface)
        if old is None and sum(by_field.values()) < keep_min:
            continue
        merged = dict(old or {})
        for field_name, n in by_field.items():
            merged[field_name] = merged.get(field_name, 0) + n
        into[surface] = merged


# ---- what the model reads -----------------------------------------------------------------------------


def is_section_label(line: str) -> bool:
    """An all-capitals line ("PREMIER LEAGUE", "RESULTS") or a row of column headings ("Pos Team Pld W D L")."""
    words = line.split()
    if not words or len(line) > 80:
        return False
    letters = [c for c in line if c.isalpha()]
    if len(words) <= 6 and len(letters) >= 4 and all(c.isupper() for c in letters):
        return True
    return len(words) >= 4 and all(w.isalpha() and w[0].isupper() and len(w) <= 4 for w in words)


def is_results_line(line: str) -> bool:
    """A results or standings line: several scores among few words ("Leeds 3-1 Hull", "1 Leeds United 37 23 ...")."""
    if len(DIGIT_RUN.findall(line)) < 2:  # prose with at most one number: the common case, decided fast
        return False
    if MATCH_LINE.match(line.strip()):
        return True
    tokens = line.split()
    if len(tokens) < 3:
        return False
    scores = sum(1 for t in tokens if SCORE.match(t))
    prose_words = sum(1 for t in tokens if t[0].islower() and len(t) > 3)
    return scores >= 2 and scores / len(tokens) >= 0.25 and prose_words <= 1


@dataclass
class NerPiece:
    """One text the model reads and where its parts came from: (start, end, context) spans."""

    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)

    def parts(self) -> list[str]:
        """The texts of the parts, in order (the units the NER cache keys)."""
        return [self.text[start:end] for start, end, _ in self.spans]

    def context_at(self, offset: int) -> str:
        """The context of the part holding this offset."""
        # spans are in order and do not overlap: a binary search (a scan per mention was 3% of the flow)
        n = bisect_right(self.spans, offset, key=itemgetter(0)) - 1
        if n >= 0 and offset < self.spans[n][1]:
            return self.spans[n][2]
        return "prose"


def ner_pieces(title: str, paragraphs: list[str], captions: list[str], rules: BoilerplateRules) -> list[NerPiece]:
    """The texts of one article that NER reads: title, body (dateline spelled out, no section labels), captions.

    Usually one piece; an article longer than MAX_NER_CHARS is cut between paragraphs.
    """
    # the dateline as places the model reads well ("DOVER, England —" -> "Dover, England —"); extract_entities
    # also puts the dateline field's places into locations
    body = list(paragraphs)
    for n, paragraph in enumerate(body[:LEAD_LINES]):  # the paragraph the dateline field came from
        if (spelled := dateline_for_ner(paragraph)) != paragraph:
            body[n] = spelled
            break
    # a full stop after the headline keeps the model from running a name on into the first paragraph
    title = " ".join(title.split())
    parts: list[tuple[str, str]] = [(title if title[-1:] in ".?!" else title + ".", "title")] if title else []
    for paragraph in body:
        lines = [line for line in paragraph.split("\n") if line.strip() and not is_section_label(line.strip())]
        for line in lines:
            results = any(is_results_line(part) for part in line.split(";"))
            parts.append((line.strip(), "results" if results else "prose"))
    parts.extend((c, "prose") for c in (strip_credits(c, rules) for c in captions) if c)
    pieces = [NerPiece("")]
    for text, context in parts:
        piece = pieces[-1]
        if piece.text and len(piece.text) + len(text) > MAX_NER_CHARS:
            piece = NerPiece("")
            pieces.append(piece)
        if piece.text:
            piece.text += "\n\n"
        start = len(piece.text)
        piece.text += text[:MAX_NER_CHARS]
        piece.spans.append((start, len(piece.text), context))
    return [p for p in pieces if p.text]


def ner_texts(title: str, paragraphs: list[str], captions: list[str], rules: BoilerplateRules) -> list[str]:
    """The texts of one article that NER reads (see ner_pieces)."""
    return [p.text for p in ner_pieces(title, paragraphs, captions, rules)]


def _titles(frame: pd.DataFrame) -> list[str]:
    return [t if isinstance(t, str) else "" for t in (frame["title"] if "title" in frame else [""] * len(frame))]


def chunk_pieces(frame: pd.DataFrame, rules: BoilerplateRules) -> list[tuple[int, NerPiece]]:
    """(row position, piece) for every piece NER reads in the chunk."""
    return [
        (i, piece)
        for i, (title, paras, caps) in enumerate(
            zip(_titles(frame), frame["paragraphs"], frame["captions"], strict=True)
        )
        for piece in ner_pieces(title, paras, caps, rules)
    ]


def chunk_texts(frame: pd.DataFrame, rules: BoilerplateRules) -> list[tuple[int, str]]:
    """(row position, part text) for every part of the chunk NER reads: the units its results are cached by."""
    return [(i, part) for i, piece in chunk_pieces(frame, rules) for part in piece.parts()]


def place_mentions(piece: NerPiece, ents: Iterable[list[str]]) -> list[Mention]:
    """The model's (text, label) results back at their offsets in the piece, in order, with their context."""
    mentions: list[Mention] = []
    pos = 0
    for text, label in ents:
        start = piece.text.find(text, pos)
        if start < 0:  # not where expected (should not happen): anywhere
            start = piece.text.find(text)
        if start >= 0:
            pos = start + len(text)
        # a mention running over a line break ("Sheffield\n\nSheffield City Council") is one per line
        offset = start
        for part in text.split("\n"):
            if part.strip():
                at = offset + (len(part) - len(part.lstrip())) if start >= 0 else -1
                mentions.append(Mention(part.strip(), label, piece.context_at(at) if at >= 0 else "prose", at))
            offset += len(part) + 1
    return mentions


# ---- results lines ------------------------------------------------------------------------------------


class ResultName(NamedTuple):
    """A name in a results line, where it is, and whether the line's shape says it is an athlete."""

    name: str
    start: int
    end: int
    athlete: bool  # followed by a country code "(GB)"


def _close_name(run: list[tuple[str, int]], next_token: str, out: list[ResultName]) -> None:
    """Turn a run of name tokens into a ResultName (trailing joiners dropped) and empty the run."""
    while run and run[-1][0] in NAME_JOINERS:
        run.pop()
    if run:
        name = " ".join(t.rstrip(",;") for t, _ in run)
        end = run[-1][1] + len(run[-1][0].rstrip(",;"))
        out.append(ResultName(name, run[0][1], end, bool(PAREN_CODE.match(next_token))))
    run.clear()


def results_names(piece: NerPiece) -> list[ResultName]:
    """Names in the piece's results lines: runs of capitalised words between scores, codes and labels."""
    out: list[ResultName] = []
    for span_start, span_end, context in piece.spans:
        if context != "results":
            continue
        run: list[tuple[str, int]] = []
        for m in TOKEN.finditer(piece.text, span_start, span_end):
            token, bare = m.group(), m.group().rstrip(",;")
            if (NAME_TOKEN.match(bare) and not bare.endswith(":") and not PAREN_CODE.match(token)) or (
                run and token in NAME_JOINERS
            ):
                run.append((token, m.start()))
                if token != bare:  # "Rune (Den) bt Medvedev 7-5 6-4; ..." a separator ends the name
                    _close_name(run, "", out)
            else:
                _close_name(run, token, out)
        _close_name(run, "", out)
    return out


# ---- one article --------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    value: str
    field: str
    context: str  # "title", "prose" or "results"
    # the facet a rule fixes whatever the model or the votes say: an alias, a "City"/"Street" suffix, "in Kent"
    fixed: str | None = None
    person_hint: bool = False  # results names: the model or the line's shape says person


def _suffix_field(value: str, label_field: str, cfg: EntityConfig) -> str | None:
    """The facet a name's last word gives it over the model's: "Leeds United" (PERSON) -> organizations,
    "Elland Road" (PERSON or ORG) -> locations. A place the model found stays a place ("Mexico City")."""
    words = value.split()
    if len(words) < 2 or label_field == "locations":
        return None
    last = words[-1]
    if label_field == "persons" and (last in cfg.club_suffixes or last in cfg.org_suffixes):
        return "organizations"
    if last in cfg.place_suffixes:
        return "locations"
    return None


def _canonical(text: str, label_field: str, cfg: EntityConfig) -> _Candidate | None:
    """The candidate for one mention after clean-up, aliases and suffix rules, or None for junk."""
    value = clean_mention(text)
    if label_field == "persons":
        value = person_core(value, cfg)
    if not value or is_junk(value, cfg):
        return None
    # an alias names the type too: "Tories" is the Conservative Party whatever the model said
    aliased = cfg.alias_field.get(fold(value))
    if aliased is not None:
        return _Candidate(aliased[1], aliased[0], "", fixed=aliased[0])
    if label_field == "organizations" and (desk := BROADCASTER_DESK.match(value)):
        value = desk.group("name")
    return _Candidate(value, label_field, "", fixed=_suffix_field(value, label_field, cfg))


def _title_case(title: str) -> bool:
    """A headline in Title Case ("Millbrook Votes to Remove Century-Old Dam"), where capitals say little."""
    words = [w for w in title.split() if len(w) > 3 and w[0].isalpha()]
    return len(words) >= 4 and all(w[0].isupper() for w in words)


def _trim_title_mention(text: str, body: str, body_names: set[str]) -> str:
    """A Title Case headline mention cut to the first run of words the body also writes with a capital;
    a cut-down mention stays only as a name the body found itself ("Kerry Arrives" -> "Kerry")."""
    run: list[str] = []
    for word in text.split():
        if re.search(r"(?<!\w)" + re.escape(word.rstrip("'’s")) + r"(?!\w)", body):
            run.append(word)
        elif run:
            break
    trimmed = " ".join(run)
    return trimmed if trimmed == text or fold(trimmed) in body_names else ""


def _context_field(text: str, m: Mention, c: _Candidate, previous_place_end: int) -> str | None:
    """The facet the words around a mention give it: "in Kent and Surrey" are places, "beat Hull City 3-1"
    is a team; None when they say nothing."""
    end = m.start + len(m.text)
    if c.field != "persons" and SCORE_AFTER.match(text, end):
        return "organizations"
    if len(c.value.split()) == 1 and c.field in ("persons", "locations") and TEAM_ROLE_AFTER.match(text, end):
        return "organizations"
    if len(c.value.split()) == 1 and c.field == "locations" and PLACE_ROLE_AFTER.match(text, end):
        return "organizations"
    if len(c.value.split()) > 2 or c.field not in ("persons", "organizations"):
        return None
    before = text[max(0, m.start - 30) : m.start]
    between = text[previous_place_end : m.start] if previous_place_end >= 0 else ""
    if c.field == "persons" and (PLACE_PREPOSITION.search(before) or PLACE_COORDINATION.match(between)):
        return "locations"  # places the small model took for people
    return None


def _word_before(text: str, start: int) -> re.Match[str] | None:
    """The word right before `start` and one space, within 40 characters ("Reform" of "Reform UK")."""
    if start < 2 or text[start - 1] != " ":
        return None
    # from the space before that word, not the whole window: a regex search of the window was 3% of the flow
    lo = max(0, start - 40)
    return WORD_AT_END.search(text, max(lo, text.rfind(" ", lo, start - 1) + 1), start - 1)


def _join_alias_pairs(text: str, mentions: list[Mention], cfg: EntityConfig) -> list[Mention]:
    """Two mentions one space apart, or a word and a mention, that together make an alias are one mention
    ("Reform" + "UK" -> "Reform UK")."""
    out: list[Mention] = []
    for m in mentions:
        prev = out[-1] if out else None
        # only the last few characters before the mention: searching the whole prefix is quadratic
        word = _word_before(text, m.start)
        if (
            prev is not None
            and prev.start >= 0
            and m.start == prev.start + len(prev.text) + 1
            and text[m.start - 1] == " "
            and fold(f"{prev.text} {m.text}") in cfg.alias_field
        ):
            out[-1] = Mention(f"{prev.text} {m.text}", prev.label, prev.context, prev.start)
        elif (
            word is not None
            and fold(f"{word.group(1)} {m.text}") in cfg.alias_field
            and (prev is None or prev.start + len(prev.text) <= word.start())
        ):  # the model found only "UK" of "Reform UK"
            out.append(Mention(f"{word.group(1)} {m.text}", m.label, m.context, word.start()))
        else:
            out.append(m)
    return out


def article_candidates(
    pieces: list[tuple[NerPiece, list[list[str]]]], cfg: EntityConfig, context_rules: bool = True
) -> tuple[list[_Candidate], list[str]]:
    """Candidates (value, model's facet, context, rule's facet) of one article, and its DATE mention texts.

    context_rules: the English word rules (results lines, match reports, "in Kent", "Bolton manager"); off
    for another language's model, where they misread ("Publié le 12 mai 2015" is no results line).
    """
    candidates: list[_Candidate] = []
    dates: list[str] = []
    for piece, ents in pieces:
        if not context_rules:
            piece = NerPiece(piece.text, [(s, e, "prose" if c == "results" else c) for s, e, c in piece.spans])
        mentions = place_mentions(piece, ents)
        title_end = next((end for _, end, context in piece.spans if context == "title"), 0)
        title_case = title_end > 0 and _title_case(piece.text[:title_end])
        body = piece.text[title_end:]
        body_names = {fold(m.text) for m in mentions if m.start >= title_end}
        # through FIELD_BY_LABEL: English models say PERSON, the French one PER
        persons = [m for m in mentions if FIELD_BY_LABEL.get(m.label) == "persons"]
        body_names |= {fold(m.text.split()[-1]) for m in persons if m.start >= title_end}
        person_spans = [(m.start, m.start + len(m.text)) for m in persons if m.start >= 0]
        previous_place_end = -1
        # a match report: results lines, or a capitalised word right before a score ("beat Hull City 3-1");
        # not any score ("a 6-3 ruling" is no match, and "Kansas City" stays a place)
        sporty = context_rules and (
            any(context == "results" for _, _, context in piece.spans) or bool(NAME_SCORE.search(piece.text))
        )
        mentions = _join_alias_pairs(piece.text, mentions, cfg)
        for m in mentions:
            if m.label == "DATE":
                dates.append(m.text)
                continue
            label_field = FIELD_BY_LABEL.get(m.label)
            if label_field is None or m.context == "results":
                continue  # results lines: their names come from results_names below
            text = _trim_title_mention(m.text, body, body_names) if m.context == "title" and title_case else m.text
            c = _canonical(text, label_field, cfg)
            if c is None:
                continue
            c.context = m.context
            if sporty and len(c.value.split()) > 1 and c.value.split()[-1] in cfg.club_suffixes:
                c.fixed = "organizations"  # in match reports "Hull City" and "Derby County" are clubs
            if c.fixed is None and m.start >= 0 and context_rules:
                c.fixed = _context_field(piece.text, m, c, previous_place_end)
            if (c.fixed or c.field) == "locations" and m.start >= 0:
                previous_place_end = m.start + len(m.text)
            candidates.append(c)
        for name in results_names(piece):
            value = clean_mention(name.name)
            if not value or is_junk(value, cfg):
                continue
            c = _canonical(value, "organizations", cfg)
            if c is None:
                continue
            c.context = "results"
            if len(value.split()) > 1 and value.split()[-1] in cfg.club_suffixes:
                c.fixed = c.fixed or "organizations"
            initials = any(INITIALS.match(w) for w in value.split())
            model_person = len(value.split()) > 1 and any(s < name.end and name.start < e for s, e in person_spans)
            c.person_hint = name.athlete or initials or model_person
            candidates.append(c)
    return candidates, dates


def confident_votes(candidates: list[_Candidate]) -> dict[str, dict[str, int]]:
    """One vote per (surface form, facet) for the article's prose mentions: what the model says in context."""
    votes: dict[str, dict[str, int]] = {}
    for c in candidates:
        if c.context == "prose" and c.fixed is None:
            votes.setdefault(c.value, {})[c.field] = 1
    return votes


# when an article's own mentions of a one-word name split evenly, the small model's usual mistake is PERSON
TIE_ORDER = {"organizations": 0, "locations": 1, "misc": 2, "persons": 3}


def _decide(key: str, group: list[_Candidate], votes: TypeVotes) -> str:
    """One facet for every mention of one name in an article."""
    fixed = [c.fixed for c in group if c.fixed]
    if fixed:
        return Counter(fixed).most_common(1)[0][0]
    corpus = votes.field_of(key)
    results = [c for c in group if c.context == "results"]
    if results:
        # a club, unless the name is an athlete's: the line's shape, the model or the corpus says so (one-word
        # names in results are clubs: the model's PERSON for "Bolton" in prose is its usual mistake)
        hint = any(c.person_hint for c in results) and corpus in (None, "persons")
        return "persons" if hint or (corpus == "persons" and len(key.split()) > 1) else "organizations"
    if corpus is not None:
        return corpus
    # the body knows better than the headline
    pool = [c for c in group if c.context != "title"] or group
    tally = Counter(c.field for c in pool)
    single = len(key.split()) == 1
    return max(tally, key=lambda f: (tally[f], -TIE_ORDER[f] if single else 0))


def resolve_article(candidates: list[_Candidate], cfg: EntityConfig, votes: TypeVotes) -> dict[str, list[str]]:
    """Canonical, de-duplicated entity values per facet for one article's candidates."""
    groups: dict[str, list[_Candidate]] = {}
    for c in candidates:
        groups.setdefault(type_key(c.value), []).append(c)
    decided = {key: _decide(key, group, votes) for key, group in groups.items()}
    by_field: dict[str, list[str]] = {f: [] for f in ENTITY_FIELDS}
    for c in candidates:
        by_field[decided[type_key(c.value)]].append(c.value)

    # A bare surname ("Kerry", "Mr. Kerry") becomes the full name seen in the same article.
    full_names = Counter(p for p in by_field["persons"] if len(p.split()) > 1)
    by_surname: dict[str, str] = {}
    for name, _ in full_names.most_common():
        by_surname.setdefault(surname_key(name, cfg), name)
    # a one-word name that starts a longer organisation's name is that organisation ("Hull" -> "Hull City")
    org_heads: dict[str, str] = {}
    club_heads: dict[str, str] = {}
    for org in by_field["organizations"]:
        words = org.split()
        if len(words) > 1:
            org_heads.setdefault(fold(words[0]), org)
            if words[-1] in cfg.club_suffixes:
                club_heads.setdefault(fold(words[0]), org)
    persons: list[str] = []
    for p in by_field["persons"]:
        if len(p.split()) > 1:
            persons.append(p)
        elif surname_key(p, cfg) in by_surname:
            persons.append(by_surname[surname_key(p, cfg)])
        elif fold(p) in org_heads:
            by_field["organizations"].append(org_heads[fold(p)])
        elif fold(p) not in cfg.months:
            persons.append(p)
    by_field["persons"] = persons
    # ... and so is one that ends it ("United's Ella Toone" beside "Manchester United")
    org_tails: dict[str, str] = {}
    for org in by_field["organizations"]:
        if len(org.split()) > 1:
            org_tails.setdefault(fold(org.split()[-1]), org)
    by_field["organizations"] = [
        org_heads.get(fold(o), org_tails.get(fold(o), o)) if len(o.split()) == 1 else o
        for o in by_field["organizations"]
    ]
    # in an article about "Leeds United", a lone "Leeds" is the club
    by_field["organizations"] += [club_heads[fold(v)] for v in by_field["locations"] if fold(v) in club_heads]
    by_field["locations"] = [v for v in by_field["locations"] if fold(v) not in club_heads]
    # The small model often tags a lone surname ("Vasquez said") as an ORG or GPE: it is the person.
    for other in ("organizations", "locations", "misc"):
        by_field[other] = [
            v
            for v in by_field[other]
            if (len(v.split()) > 1 or surname_key(v, cfg) not in by_surname) and fold(v) not in cfg.months
        ]
    # one display form per name across the corpus ("Lib Dem" / "Lib Dems"); people keep their own spelling
    for other in ("organizations", "misc"):
        by_field[other] = [votes.display(v) for v in by_field[other]]
    return {f: list(dict.fromkeys(values)) for f, values in by_field.items()}


def canonical_entities(
    mentions: list[tuple[str, str]] | list[Mention], cfg: EntityConfig, votes: TypeVotes | None = None
) -> dict[str, list[str]]:
    """Canonical, de-duplicated entity values per facet for one article's (text, label) prose mentions."""
    text = "\n\n".join(m[0] for m in mentions)
    piece = NerPiece(text, [(0, len(text), "prose")])
    candidates, _ = article_candidates([(piece, [[m[0], m[1]] for m in mentions])], cfg)
    if votes is None:
        votes = TypeVotes(confident_votes(candidates), cfg)
    return resolve_article(candidates, cfg, votes)


@dataclass
class EntityOutput:
    """The stage result, the new NER cache entries (key -> [[text, label], ...]) and this chunk's type votes."""

    result: StageResult
    ner_cache: dict[str, list[list[str]]]
    type_votes: dict[str, dict[str, int]]


def article_models(frame: pd.DataFrame, model: str, models: Mapping[str, str] | None) -> list[str]:
    """The NER model of each article: `model` for all without `models`, else its language's ("" for none)."""
    if models is None:
        return [model] * len(frame)
    languages = frame["language"] if "language" in frame else [None] * len(frame)
    return [models.get(language or "", "") for language in languages]


def extract_entities(
    frame: pd.DataFrame,
    ner: NerFn,
    cfg: EntityConfig,
    rules: BoilerplateRules,
    cache: Mapping[str, list[list[str]]] | None = None,
    model: str = "",
    models: Mapping[str, str] | None = None,
    ner_for: NerForModel | None = None,
    type_counts: Mapping[str, Mapping[str, int]] | None = None,
) -> EntityOutput:
    """Run NER over the chunk's parts not in cache, one call per model; fill the entity columns.

    Without `models`, every article goes through `ner` (the runtime of `model`). With `models` (language ->
    model), each article goes through its `language`'s model, and an article whose language has none
    gets no entities (counted as no_model_<lang>); `ner` serves `model`, ner_for(m) any other model.
    type_counts are the prose type votes of earlier runs (surface form -> {facet: count}); the output holds
    the new cache entries (key -> [[text, label], ...]) and this chunk's votes to add to them.
    """
    cache = cache or {}
    row_models = article_models(frame, model, models)
    owned = [
        (i, piece, [ner_cache_key(row_models[i], t) for t in piece.parts()])
        for i, piece in chunk_pieces(frame, rules)
        if row_models[i]
    ]
    # The model reads an article's parts as one text, for context; results are cached per part (title,
    # paragraph, caption) and model, so a syndicated copy that shares paragraphs with a known article runs
    # only its new parts, and each distinct part runs once however many articles share it.
    planned: set[str] = set()
    runs: dict[str, list[NerPiece]] = {}  # model -> one text per article (its uncached parts); context = key
    for i, piece, keys in owned:
        run = NerPiece("")
        for key, text in zip(keys, piece.parts(), strict=True):
            if key in cache or key in planned:
                continue
            planned.add(key)
            run.text += "\n\n" if run.text else ""
            run.spans.append((len(run.text), len(run.text) + len(text), key))
            run.text += text
        if run.text:
            runs.setdefault(row_models[i], []).append(run)
    fresh: dict[str, list[list[str]]] = {}
    for m, group in runs.items():
        run_ner = ner if m == model else (ner_for or local_ner())(m)
        for run, ents in zip(group, run_ner([run.text for run in group]), strict=True):
            by_part: dict[str, list[list[str]]] = {key: [] for _, _, key in run.spans}
            for mention in place_mentions(run, ents):
                key = mention.context if mention.start >= 0 else ""  # a run's contexts are its parts' keys
                by_part.get(key, by_part[run.spans[0][2]]).append([mention.text, mention.label])
            fresh.update(by_part)
    per_article: list[list[tuple[NerPiece, list[list[str]]]]] = [[] for _ in range(len(frame))]
    for owner, piece, keys in owned:
        ents = [ent for key in keys for ent in (cache[key] if key in cache else fresh[key])]
        per_article[owner].append((piece, ents))
    # the context rules read English words: only the default model's articles get them
    candidates_and_dates = [
        article_candidates(pieces, cfg, context_rules=row_models[i] == model) for i, pieces in enumerate(per_article)
    ]

    # this chunk's prose votes join the corpus's before any type is decided
    chunk_votes: dict[str, dict[str, int]] = {}
    for candidates, _ in candidates_and_dates:
        for surface, by_field in confident_votes(candidates).items():
            for field_name, n in by_field.items():
                chunk_votes.setdefault(surface, {}).setdefault(field_name, 0)
                chunk_votes[surface][field_name] += n
    votes = TypeVotes(type_counts or {}, cfg)
    votes.add(chunk_votes)
    canon = [resolve_article(candidates, cfg, votes) for candidates, _ in candidates_and_dates]

    out = frame.copy()
    # the dateline's city and spelled-out state or country are places of the story, whatever NER made of them
    # (the small model reads "Port Ellen, Scotland —" as a person)
    datelines = out["dateline"] if "dateline" in out else [None] * len(out)
    for entities, dateline, paras in zip(canon, datelines, out["paragraphs"], strict=True):
        caps = CAPS_DATELINE.match(paras[0]) if len(paras) and not isinstance(dateline, str) else None
        places = places_of_dateline(dateline) if isinstance(dateline, str) else [caps["city"].title()] if caps else []
        for place in reversed(places):
            for other in ("persons", "organizations", "misc"):
                entities[other] = [v for v in entities[other] if fold(v) != fold(place)]
            if place not in entities["locations"]:
                entities["locations"].insert(0, place)
    result = StageResult(out)
    for field_name in ENTITY_FIELDS:
        out[field_name] = [c[field_name] for c in canon]
        result.counts[f"{field_name}_values"] += sum(len(c[field_name]) for c in canon)
    out["date_mentions"] = [dates for _, dates in candidates_and_dates]
    result.counts["texts"] += sum(len(keys) for _, _, keys in owned)
    result.counts["texts_from_cache"] += sum(1 for _, _, keys in owned for key in keys if key in cache)
    if models is not None:
        for language, m in zip(frame["language"], row_models, strict=True):
            if not m:
                result.counts[f"no_model_{language or 'und'}"] += 1
    result.counts["texts_run_through_ner"] += len(planned)
    result.counts["ner_runs"] += sum(len(group) for group in runs.values())
    result.counts["mentions"] += sum(len(c) for c, _ in candidates_and_dates)
    return EntityOutput(result, fresh, chunk_votes)
