"""Build config/analysis/de-compound-words.txt, the word list of the German decompounder in the articles mapping.

The list is the TOP most frequent German nouns that are safe to look for inside other words. The nouns
come from german-nouns (Wiktionary DE's nouns with all their case forms), the frequencies from wordfreq's
German list; both packages ship their data in the wheel. Kept are common nouns only: no proper names,
abbreviations, affixes, multi-word entries, nominalised adjectives ("alte" would split "Haltestelle") or
nominalised infinitives ("das Wissen": "Gewissen"); 4 to 15 letters (the decompounder's min_subword_size
and max_subword_size); not in the German stop list the analyzer drops anyway (Lucene's, read from the dev
node's lucene-analysis-common jar), or "das Aber" would split "Inhaber".

The decompounder finds a word wherever its letters are, so a noun is kept only when most of the German
text that spells it inside a word means it (MIN_SHARE; see spelled_inside): "Reis" is dropped, as its
letters are mostly in "Preis" and "Reise", and so are "Gier" ("Regierung"), "Ende" ("Wende", "beenden")
and "Hand" ("Handel", "behandeln"); "Haus", "Markt" and "Sitzung" stay. wordfreq's list is lower-cased,
so a noun that is also an adverb or numeral ("das Mehr", "die Zwei") ranks by both uses.

Each lemma brings its nominative plurals that do not start with it ("städte", "kräfte": the filter matches
substrings, and "hauptstädte" does not contain "stadt"), and each word with "ß" its "ss" spelling.
Both sources are CC BY-SA 4.0, so the list is too; the header of the output says so.

    /work/main/.venv/bin/pip install -c constraints.txt wordfreq==3.1.1
    /work/main/.venv/bin/pip download --no-deps german-nouns==1.2.5 -d /tmp/gn
    python devtools/decompound_words.py --nouns /tmp/gn/german_nouns-1.2.5-py3-none-any.whl

german-nouns is read straight from its wheel: installing it pulls wiktionary-de-parser, which pins an
lxml older than ours and is only needed to rebuild its CSV from a Wiktionary dump.

--check URL analyzes the hand-written compounds and traps of tests/fixtures/decompound/compounds.toml with
the template's analyzer and this list on a running node (in an index of its own, deleted afterwards), and
prints the parts found, the other parts and the false splits next to the plain german analyzer: the
figures TOP, MIN_SHARE and only_longest_match were chosen by (parts found of 74 / traps split of 22):
TOP 2000, 5000, 10000: 56/10, 68/12, 69/12 (2323, 5692, 11310 words); MIN_SHARE 0, 0.5, 0.7: 69/16, 68/12,
61/6 (0.7 loses "Haus", "Arbeit", "Gericht"); only_longest_match true: 54/8, since a compound that is itself
in the list ("Krankenhaus", "Wahlkampf") then hides all its parts.
"""

from __future__ import annotations

import argparse
import copy
import csv
import glob
import io
import re
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "config" / "analysis" / "de-compound-words.txt"
COMPOUNDS = REPO / "tests" / "fixtures" / "decompound" / "compounds.toml"
LUCENE_JARS = "devtools/elasticsearch/target/lib/lucene-analysis-common-*.jar"
STOP_FILE = "org/apache/lucene/analysis/snowball/german_stop.txt"
NOUNS_CSV = "german_nouns/nouns.csv"
TOP = 5000
MIN_LENGTH = 4
MAX_LENGTH = 15  # the dictionary_decompounder's default max_subword_size
# Wiktionary part-of-speech tags of entries that are not common nouns
NOT_COMMON = {
    "Abkürzung",
    "adjektivische Deklination",  # nominalised adjectives: "alte" would split "Haltestelle"
    "Affix",
    "Buchstabe",
    "Eigenname",
    "Gebundenes Lexem",
    "Nachname",
    "Redewendung",
    "Straßenname",
    "Suffix",
    "Symbol",
    "Toponym",
    "Vorname",
    "Wortverbindung",
}
WORD = re.compile(r"[a-zäöüß]+")
# a neuter noun in -en/-ln/-rn without a plural is a nominalised infinitive ("das Sehen", "das Wissen"):
# its spelling is the verb's, which is spelled inside many words that are not about it ("Gewissen")
INFINITIVE = re.compile(r".*(en|ln|rn)")
# linking elements between compound parts (Fugenelemente), longest first
LINKS = ("es", "en", "er", "ns", "s", "n", "e")
VOCABULARY_MIN = 1e-6  # wordfreq frequency of a word that may stand beside a part (39k German words)
# a noun is kept when at least this share of its spellings inside German words are the noun itself
MIN_SHARE = 0.5


def german_stop_words(pattern: str = LUCENE_JARS) -> set[str]:
    """Lucene's German stop list (the `_german_` of Elasticsearch), from the dev node's jar."""
    jars = sorted(glob.glob(str(REPO / pattern)))
    if not jars:
        sys.exit(f"no {pattern}: build the dev node first (see devtools/elasticsearch/README.md)")
    with zipfile.ZipFile(jars[-1]) as jar:
        text = jar.read(STOP_FILE).decode("utf-8")
    # snowball format: a word, then an optional "| comment"
    return {line.split("|")[0].strip() for line in text.splitlines()} - {""}


@dataclass
class Noun:
    """One common noun of german-nouns, lower case."""

    forms: set[str] = field(default_factory=set)  # every case form, singular and plural, and the lemma
    plurals: set[str] = field(default_factory=set)  # the nominative plurals


def read_nouns(wheel: Path) -> dict[str, Noun]:
    """Common nouns by lemma (lower case), from german-nouns' CSV."""
    with zipfile.ZipFile(wheel) as zf, zf.open(NOUNS_CSV) as raw:
        rows = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))
        nouns: dict[str, Noun] = {}
        for row in rows:
            tags = set(row["pos"].split(","))
            if "Substantiv" not in tags or tags & NOT_COMMON:
                continue
            lemma = row["lemma"].lower()
            forms = {v.lower() for k, v in row.items() if k and " " in k and v and WORD.fullmatch(v.lower())}
            plurals = {row[k].lower() for k in row if k and k.startswith("nominativ plural") and row[k]}
            if not WORD.fullmatch(lemma) or (row["genus"] == "n" and not plurals and INFINITIVE.fullmatch(lemma)):
                continue
            noun = nouns.setdefault(lemma, Noun())
            noun.forms |= forms | {lemma}
            noun.plurals |= plurals & forms
        return nouns


def joins(piece: str, vocabulary: set[str], link: tuple[str, ...]) -> bool:
    """Whether the piece beside a part is a word of its own, maybe with a linking element ("kabinett-s")."""
    if piece in vocabulary:
        return True
    return any(piece.endswith(e) and piece[: -len(e)] in vocabulary for e in link) or any(
        piece.startswith(e) and piece[len(e) :] in vocabulary for e in link
    )


def spelled_inside(nouns: dict[str, Noun], candidates: set[str], freq: dict[str, float]) -> dict[str, float]:
    """For each candidate, the share of its letters' occurrences in German text that are the noun itself.

    Every word of wordfreq's German list that spells a candidate counts with its frequency: for the
    candidate when the letters are one of its forms and what is left on either side is empty or a word
    (a compound part), against it otherwise ("reis" in "preis", "gier" in "regierung", "ende" in "wende").
    """
    vocabulary = {w for w, f in freq.items() if f >= VOCABULARY_MIN and len(w) >= 3 and WORD.fullmatch(w)}
    real = dict.fromkeys(candidates, 0.0)
    false = dict.fromkeys(candidates, 0.0)
    for word, f in freq.items():
        if not WORD.fullmatch(word):
            continue
        seen: dict[str, bool] = {}
        for i in range(len(word) - MIN_LENGTH + 1):
            for j in range(i + MIN_LENGTH, min(len(word), i + MAX_LENGTH) + 1):
                part = word[i:j]
                if part not in candidates or seen.get(part):
                    continue
                left, rest = word[:i], word[i:]
                fits = not left or joins(left, vocabulary, LINKS)
                fits = fits and any(
                    rest.startswith(form) and (rest == form or joins(rest[len(form) :], vocabulary, LINKS))
                    for form in nouns[part].forms
                    if form.startswith(part[:2])
                )
                seen[part] = fits
        for part, fits in seen.items():
            (real if fits else false)[part] += f
    return {w: real[w] / (real[w] + false[w]) if real[w] + false[w] else 0.0 for w in candidates}


def build(nouns: dict[str, Noun], stop: set[str], top: int, min_share: float = MIN_SHARE) -> list[str]:
    """The `top` most frequent usable lemmas with their umlaut plurals and ss spellings, sorted."""
    from wordfreq import get_frequency_dict

    freq = get_frequency_dict("de")
    usable = {w for w in nouns if MIN_LENGTH <= len(w) <= MAX_LENGTH and w not in stop}
    share = spelled_inside(nouns, usable, freq)
    kept = [w for w in usable if share[w] >= min_share]
    ranked = sorted(kept, key=lambda w: (-freq.get(w, 0.0), w))[:top]
    words: set[str] = set()
    for lemma in ranked:
        forms = [lemma, *(p for p in nouns[lemma].plurals if not p.startswith(lemma))]
        for form in forms:
            if MIN_LENGTH <= len(form) <= MAX_LENGTH and form not in stop:
                words.add(form)
                if "ß" in form:
                    words.add(form.replace("ß", "ss"))
    return sorted(words)


def header(wheel: Path, top: int, min_share: float) -> str:
    from importlib.metadata import version

    return (
        "# German word list of the dictionary_decompounder in config/index/articles.json; search/schema.py\n"
        "# inlines it into the index settings. Generated, do not edit: change devtools/decompound_words.py.\n"
        f"# The {top} most frequent common nouns (4-15 letters, not German stop words, letters mostly meaning the\n"
        f"# noun where other words spell them) of german-nouns ({wheel.name}: Wiktionary DE's nouns, by\n"
        f"# Gregor Weichbrodt), ranked by wordfreq {version('wordfreq')} German frequencies (Robyn Speer; data from\n"
        "# Wikipedia, SUBTLEX-DE by Brysbaert et al., OpenSubtitles, Google Books Ngrams and others), plus\n"
        "# umlaut plurals and ss spellings.\n"
        "# Licence: CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/), as both sources.\n"
        f"# Command: python devtools/decompound_words.py --nouns {wheel.name} --top {top} --min-share {min_share}\n"
    )


def check(url: str, words: list[str], only_longest: bool) -> None:
    """Print what the decompounding analyzer makes of the hand-written compounds and traps on a live node."""
    from elasticsearch import Elasticsearch

    sys.path.insert(0, str(REPO))
    from search.schema import index_body

    es = Elasticsearch(url, request_timeout=120)
    index = "decompound-check"
    analysis = copy.deepcopy(index_body()["settings"]["analysis"])  # the template's analyzer, with these words
    analysis["filter"]["german_decompounder"].update(word_list=words, only_longest_match=only_longest)
    es.options(ignore_status=404).indices.delete(index=index)
    es.indices.create(index=index, settings={"number_of_shards": 1, "analysis": analysis})
    try:
        gold = tomllib.loads(COMPOUNDS.read_text(encoding="utf-8"))

        def terms(analyzer: str, text: str) -> list[str]:
            return [t["token"] for t in es.indices.analyze(index=index, analyzer=analyzer, text=text)["tokens"]]

        found = baseline = total = others = 0
        for compound, parts in gold["compounds"].items():
            got = set(terms("german_decompound", compound))
            plain = set(terms("german", compound))  # the german analyzer: what the .de fields did before
            wanted = {t for p in parts for t in terms("german", p)}
            found += len(wanted & got)
            baseline += len(wanted & plain)
            total += len(wanted)
            other = sorted(got - wanted - plain)  # parts nobody asked for: linking debris or false splits
            others += len(other)
            missing = sorted(wanted - got)
            print(
                f"{compound:24} {' '.join(sorted(got & wanted))}"
                + (f"   MISSING {' '.join(missing)}" if missing else "")
                + (f"   OTHER {' '.join(other)}" if other else "")
            )
        false = 0
        for section in ("traps", "english_traps"):
            for word, parts in gold[section].items():
                got = set(terms("german_decompound", word)) - set(terms("german", word))
                hit = sorted({t for p in parts for t in terms("german", p)} & got)
                false += bool(hit)
                print(f"{word:24} {' '.join(sorted(got))}" + (f"   FALSE {' '.join(hit)}" if hit else ""))
        traps = len(gold["traps"]) + len(gold["english_traps"])
        print(
            f"parts found {found}/{total} (german analyzer: {baseline}/{total}); other parts {others}; "
            f"traps split {false}/{traps}; {len(words)} words"
        )
    finally:
        es.indices.delete(index=index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nouns", type=Path, required=True, help="the german-nouns wheel")
    parser.add_argument("--top", type=int, default=TOP, help="how many lemmas (default %(default)s)")
    parser.add_argument("--min-share", type=float, default=MIN_SHARE, help="see spelled_inside (default %(default)s)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", metavar="URL", help="measure the list on this node instead of writing it")
    parser.add_argument("--only-longest", action="store_true", help="with --check: only_longest_match true")
    args = parser.parse_args()
    words = build(read_nouns(args.nouns), german_stop_words(), args.top, args.min_share)
    if args.check:
        check(args.check, words, args.only_longest)
        return
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(header(args.nouns, args.top, args.min_share) + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{args.output}: {len(words)} words")


if __name__ == "__main__":
    main()
