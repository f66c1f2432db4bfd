"""Synthetic news dumps for the benchmark: realistic articles, boilerplate, duplicates, several formats.

    python bench/generate.py --articles 10000 --out DIR --seed 1

Everything is made here from word lists (no external data). The output is deterministic for a seed
and streamed to disk, so 100k articles take a few minutes and little memory. Layout under DIR:

    txt/<site>/<n>.txt          one article per file (title line, blank-line paragraphs)
    jsonl/dump-<k>.jsonl        1000 records per file, key names as news-please or Scrapy feeds spell them
    html/<site>/<n>.html        saved pages (nav, article, aside, footer), read by trafilatura
    warc/crawl-<k>.warc.gz      500 HTML responses (plus their requests) per file, written by warcio
    .generated.json             the parameters and what was made (dot file: discovery skips it)

Article bodies are 300-700 words: a dateline lead, entity-rich paragraphs (people re-mentioned by
honorific and surname, organisations, places), dates in many forms, a photo caption with a credit, the
site's fixed furniture paragraphs, and boilerplate the cleaner should drop (share widgets, Advertisement,
newsletter and cookie prompts, copyright, a "Related posts" trailer with items). Exact duplicates
(same text, another URL or file), near duplicates (an updated copy) and syndicated copies (another paper's
copy of a story: new headline, paragraphs cut or added, ~1 word in 40 edited, share and copyright lines)
appear at the set rates. `syndication_set()` makes a dense news window of stories and syndicated copies for
scoring near-duplicate detection (`newsfacet evaluate`, bench/dedupe.py).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path

FIRST = (  # noqa: SIM905
    "John Sarah Vladimir Angela Emmanuel Maria Ahmed Li Wei Olena Carlos Fatima Kenji Priya Thomas Ingrid "
    "Mohammed Elena Rajesh Yuki Pierre Amara Samuel Hannah Dmitri Lucia Oluwaseun Mei Gareth Sofia Niek Allard "
    "Miguel Aisha Jonas Chiara Hiroshi Grace Viktor Nadia Patrick Leila Mateo Zanele Henrik Rosa Tariq Keiko "
    "Benjamin Anya Felipe Ngozi Stefan Ines Kwame Helga Omar Julia Arjun Camille Tomasz Amina Lars Beatriz"
).split()
LAST = (  # noqa: SIM905
    "Kerry Lavrov Merkel Macron Okafor Novak Haddad Chen Kowalski Fernandez Tanaka Sharma Dubois Mensah Larsen "
    "Petrov Rossi Nakamura Adeyemi Schneider Silva Hughes Kovacs Andersson Mahmoud Ivanova Bianchi Castelein "
    "Stam Cardell Moreau Eriksen Kaminski Oduya Varga Lindqvist Rahman Takahashi Ferreira Walsh Nielsen Costa "
    "Brennan Yilmaz Sato Mbeki Horvath Laurent Gallagher Weber Zhou Alvarez Nkosi Johansson Patel Romero "
    "Fitzgerald Kim Sokolov Delgado Ortiz Whitaker Abadi Volkov"
).split()
PARTICLE_LAST = ["al-Assad", "van der Berg", "de la Cruz", "bin Salman", "von Essen"]
ROLES = [
    ("President", "the president of {C}"),
    ("Foreign Minister", "{C}'s foreign minister"),
    ("Prime Minister", "the prime minister of {C}"),
    ("Senator", "a senator from {C}"),
    ("Dr.", "a researcher at {O}"),
    ("", "the chief executive of {O}"),
    ("", "a spokeswoman for {O}"),
    ("", "a spokesman for {O}"),
    ("", "the union's lead negotiator"),
    ("", "an economist at {O}"),
    ("Gov.", "the governor of {L}"),
    ("", "a lawyer representing {O}"),
]
ORGS = [
    "the United Nations",
    "the European Commission",
    "the World Health Organization",
    "the International Monetary Fund",
    "NATO",
    "the Port of Rotterdam Authority",
    "the Competition and Markets Authority",
    "Channel Link Ferries",
    "Northwind Energy",
    "Meridian Bank",
    "the Federal Reserve",
    "Helios Solar",
    "Atlas Logistics",
    "the National Union of Dockworkers",
    "Greenfield University",
    "the Ministry of Finance",
    "the Supreme Court",
    "Reuters",
    "the Associated Press",
    "Bluewater Shipping",
    "Crestline Pharmaceuticals",
    "the World Bank",
    "Orion Telecom",
    "the Central Bank",
    "Vantage Motors",
    "the Red Cross",
    "Harbor Capital",
    "the Environmental Protection Agency",
    "Kestrel Airlines",
    "the Electoral Commission",
    "FNV Havens",
    "Pinnacle Foods",
    "the Institute for Fiscal Studies",
    "Sterling Insurance",
    "the Department of Transport",
]
PLACES = [
    ("Sochi", "Russia"),
    ("Rotterdam", "Netherlands"),
    ("Dover", "England"),
    ("Calais", "France"),
    ("Geneva", "Switzerland"),
    ("Brussels", "Belgium"),
    ("Washington", "United States"),
    ("New York", "United States"),
    ("Lagos", "Nigeria"),
    ("Nairobi", "Kenya"),
    ("Tokyo", "Japan"),
    ("Mumbai", "India"),
    ("Berlin", "Germany"),
    ("Hamburg", "Germany"),
    ("Warsaw", "Poland"),
    ("Madrid", "Spain"),
    ("Lisbon", "Portugal"),
    ("Rome", "Italy"),
    ("Athens", "Greece"),
    ("Istanbul", "Turkey"),
    ("Cairo", "Egypt"),
    ("Beirut", "Lebanon"),
    ("Damascus", "Syria"),
    ("Kyiv", "Ukraine"),
    ("Moscow", "Russia"),
    ("Beijing", "China"),
    ("Shanghai", "China"),
    ("Seoul", "South Korea"),
    ("Sydney", "Australia"),
    ("Toronto", "Canada"),
    ("Mexico City", "Mexico"),
    ("Sao Paulo", "Brazil"),
    ("Buenos Aires", "Argentina"),
    ("Johannesburg", "South Africa"),
    ("Stockholm", "Sweden"),
    ("Oslo", "Norway"),
    ("Copenhagen", "Denmark"),
    ("Dublin", "Ireland"),
    ("Edinburgh", "Scotland"),
    ("Vienna", "Austria"),
]
TOPICS = {
    "trade": ["tariffs", "the shipping backlog", "container rates", "the trade agreement", "export controls"],
    "energy": ["gas prices", "the offshore wind auction", "the pipeline project", "grid capacity", "fuel subsidies"],
    "politics": ["the coalition talks", "the budget vote", "the election timetable", "the ceasefire", "sanctions"],
    "health": ["the vaccine rollout", "hospital waiting lists", "the outbreak", "drug pricing", "nurse pay"],
    "courts": ["the appeal", "the antitrust case", "the extradition request", "the inquiry", "the settlement"],
    "climate": ["emissions targets", "the flood defences", "the drought", "carbon pricing", "the heatwave"],
    "labour": ["the wage deal", "the strike", "pension reform", "the minimum wage", "working hours"],
}
VERBS = ["said", "told reporters", "said in a statement", "wrote in a letter", "told lawmakers", "said on television"]
RELATIVE = ["last month", "last week", "earlier this year", "last year", "this week", "next month"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
FILLER = [
    "The details of the proposal were not made public, and officials declined to say when a decision would be taken.",
    "Analysts said the move was largely expected but that its timing had caught some investors off guard.",
    "Critics said the plan did not go far enough, while supporters called it a necessary first step.",
    "The figures, which are revised every quarter, suggested that the slowdown was easing more quickly than forecast.",
    "Neither side announced concrete measures, but the tone of the meeting was markedly different from last time.",
    "Residents said they had been given little warning, and several complained that information had been hard to find.",
    "It was far from clear whether the agreement would survive the next round of negotiations.",
    "The decision is likely to be challenged in court, according to people familiar with the matter.",
    "Officials stressed that the measures were temporary and would be reviewed within six months.",
    "Opposition lawmakers accused the government of acting too slowly and of ignoring earlier warnings.",
]
AGENCIES = ["Reuters", "Getty Images", "Agence France-Presse", "Associated Press", "EPA", "PA Wire", "Bloomberg"]
SHARE_LINES = [
    "Share",
    "Email | Print",
    "Share this article",
    "Share | Tweet | Facebook",
    "Email Share Tweet",
    "Share on Facebook | Share on Twitter | Copy link",
    "Save article | Gift this article | Listen",
]
NEWSLETTER = [
    "Sign up for our daily newsletter to get the top stories in your inbox.",
    "Subscribe to our morning newsletter for the day's essential news.",
    "Get the morning briefing in your inbox every weekday.",
]
COOKIES = [
    "We use cookies to improve your experience. Accept all cookies or manage your cookie settings.",
    "This site uses cookies. By continuing to browse you agree to our cookie policy.",
]
ADVERTS = ["Advertisement", "ADVERTISEMENT", "Story continues below advertisement", "Sponsored content"]
TRAILERS = ["Related posts", "Read more", "Most popular", "More stories", "Related stories", "You may also like"]
# Long standing paragraphs a wire service prints under every story (over 40 words, so no short-paragraph
# rule drops them): unrelated stories share them, and must still not be clustered.
WIRE_TRAILERS = [
    "Global Wire Service receives support for its coverage of trade, energy and climate from several private "
    "foundations. Global Wire is solely responsible for all of its content. Find the standards the service uses "
    "when working with philanthropies, a list of its supporters and the coverage areas they fund at "
    "globalwire.example.",
    "This story was produced by the Global Wire Service desk with reporting from its bureaus. It may be "
    "republished by subscribing newspapers and broadcasters under the terms of their agreement with the "
    "service; the headline and the last paragraphs may be shortened for space, but the reporting may not be "
    "changed without the desk's written consent.",
]
# What a paper adds to a wire headline, and what it puts around a syndicated story.
HEADLINE_SUFFIXES = [" | Global Wire", " - Reuters", ": What We Know", " (Update 2)", " \u2014 report", " - AP"]
SYNDICATION_CREDITS = [
    "Share on Facebook | Share on Twitter | Copy link",
    "Email Share Tweet",
    "\u00a9 Copyright Global Wire Service. All rights reserved.",
    "Copyright 2024 The Associated Press. All rights reserved. This material may not be published, broadcast, "
    "rewritten or redistributed.",
]
# Light copy editing: a word swapped for another, about one word in 40.
EDITS = {
    "said": "stated",
    "told": "informed",
    "would": "will",
    "officials": "authorities",
    "talks": "negotiations",
    "expected": "likely",
    "meeting": "session",
    "plan": "proposal",
    "percent": "per cent",
    "cost": "costed",
    "last": "previous",
    "people": "residents",
    "government": "administration",
    "help": "assist",
}
EDIT_FILLERS = ["also", "now", "still", "reportedly", "however", "meanwhile", "again", "further"]
LOCAL_ADDITIONS = [
    "Local business leaders said they would watch the outcome closely, since {c} depends heavily on the sector.",
    "{p} reporters contacted several officials for comment, but none had responded by the time of publication.",
    "The story has been updated with comments from the regional authorities and further background from {c}.",
    "Readers in {c} can follow the latest developments on the {p} live page throughout the day.",
]


@dataclass(frozen=True)
class Site:
    """A fake news site: name, domain and the furniture paragraphs printed on every article."""

    slug: str
    title: str
    domain: str
    furniture: tuple[str, ...]


SITES = [
    Site(
        "harbourtimes",
        "The Harbour Times",
        "harbourtimes.example",
        (
            "The Harbour Times has covered the ports, ferries and shipping lanes of northern Europe since 1887 and is "
            "owned by a trust that guarantees its editorial independence.",
            "Corrections and clarifications are published every Friday on page two; readers can write to the "
            "readers' editor with any concerns about accuracy.",
        ),
    ),
    Site(
        "dailyledger",
        "The Daily Ledger",
        "dailyledger.example",
        (
            "The Daily Ledger is an independent business newspaper with correspondents in London, New York, "
            "Frankfurt and Singapore.",
            "Our journalists follow the Ledger's code of conduct; none of them holds shares in the companies they "
            "report on.",
            "Tips and documents can be sent securely to the Ledger newsroom through our encrypted contact page.",
        ),
    ),
    Site(
        "metroherald",
        "Metro Herald",
        "metroherald.example",
        (
            "Metro Herald is read by more than two million commuters a day in Manchester, Leeds and Birmingham.",
            "Have a story for us? Message the Metro Herald news desk on WhatsApp or call the newsroom any time.",
        ),
    ),
    Site(
        "globalwire",
        "Global Wire Service",
        "globalwire.example",
        (
            "Global Wire Service distributes reporting from more than 90 bureaus to newspapers and broadcasters "
            "around the world.",
            "This story has been edited for length and clarity by the Global Wire desk in Geneva.",
        ),
    ),
    Site(
        "coastalpost",
        "The Coastal Post",
        "coastalpost.example",
        (
            "The Coastal Post is a nonprofit newsroom supported by readers and the Atlantic Community Foundation.",
            "Support local journalism: every contribution to the Coastal Post funds reporting from Halifax to Cape "
            "Town.",
            "The Coastal Post welcomes letters to the editor of no more than 250 words.",
        ),
    ),
    Site(
        "capitalobserver",
        "Capital Observer",
        "capitalobserver.example",
        (
            "Capital Observer reports on government, courts and elections from its bureau in Washington.",
            "Capital Observer does not accept money from political parties, campaigns or lobbying firms.",
        ),
    ),
    Site(
        "techchronicle",
        "Tech Chronicle",
        "techchronicle.example",
        (
            "Tech Chronicle may earn a commission when readers buy products through links in its articles.",
            "Tech Chronicle's reviews are independent of its advertising team, which has no say in coverage.",
        ),
    ),
    Site(
        "northstartribune",
        "Northstar Tribune",
        "northstartribune.example",
        (
            "The Northstar Tribune has served readers in Minnesota and the Dakotas since 1921.",
            "Northstar Tribune reporters Elena Varga and Tomasz Kaminski contributed to this coverage.",
        ),
    ),
]
FORMATS = {"txt": 0.20, "jsonl": 0.45, "html": 0.15, "warc": 0.20}
JSONL_PER_FILE = 1000
WARC_PER_FILE = 500
START, END = date(2013, 1, 1), date(2024, 12, 31)
# Bump when the output for a seed changes; bench/run.py regenerates a dump made by another version.
# 2: an exact copy keeps its original's format and date layout (v1 varied them, so most were near copies).
# 3: syndicated copies (syndicated_rate) and the wire service's long trailer under its stories.
GENERATOR_VERSION = 3


@dataclass
class Person:
    first: str
    last: str
    middle: str = ""
    honorific: str = ""  # "President", "Dr." ...
    role: str = ""  # apposition after the first mention
    female: bool = False

    @property
    def full(self) -> str:
        return " ".join(p for p in (self.first, self.middle, self.last) if p)

    def first_mention(self) -> str:
        return f"{self.honorific} {self.full}".strip()

    def re_mention(self, rng: random.Random) -> str:
        if self.honorific and rng.random() < 0.3:
            return f"{self.honorific} {self.last}"
        if rng.random() < 0.6:
            return f"{'Ms.' if self.female else 'Mr.'} {self.last}"
        return self.last


@dataclass
class Story:
    """One article's content, independent of the format it is written in."""

    n: int
    site: Site
    url: str
    title: str
    lead: str
    body: list[str]
    caption: str | None
    published: datetime
    authors: list[str]
    kind: str = "original"  # original | exact | near | syndicated
    fmt: str = ""  # the format it was written in
    layout: dict[str, object] = field(default_factory=dict)
    copy_of: int | None = None  # n of the original a copy was made from
    wire_trailer: str | None = None  # a wire service's long standing paragraph, printed after the body


def _person(rng: random.Random, places: list[tuple[str, str]], orgs: list[str]) -> Person:
    honorific, role = rng.choice(ROLES)
    last = rng.choice(PARTICLE_LAST) if rng.random() < 0.05 else rng.choice(LAST)
    city, country = rng.choice(places)
    return Person(
        first=rng.choice(FIRST),
        last=last,
        middle=f"{rng.choice('ABCDEFGHJKLMNPRSTVW')}." if rng.random() < 0.15 else "",
        honorific=honorific,
        role=role.format(C=country, O=rng.choice(orgs), L=city),
        female=rng.random() < 0.5,
    )


def _date_phrase(rng: random.Random, pub: datetime) -> str:
    r = rng.random()
    if r < 0.30:
        return f"on {WEEKDAYS[(pub.weekday() - rng.randint(0, 6)) % 7]}"
    if r < 0.50:
        return rng.choice(RELATIVE)
    if r < 0.65:
        return f"in {MONTHS[rng.randrange(12)]}"
    if r < 0.75:
        return f"in {pub.year - rng.randint(1, 6)}"
    past = pub - timedelta(days=rng.randint(3, 400))
    if r < 0.88:
        return f"on {MONTHS[past.month - 1]} {past.day}, {past.year}"
    return f"on {past.day} {MONTHS[past.month - 1]} {past.year}"


def _sentence(rng: random.Random, cast: list[Person], seen: set[int], orgs: list[str], places, topic: str, pub):
    i = rng.randrange(len(cast))
    p = cast[i]
    if i in seen:
        who = p.re_mention(rng)
    else:
        seen.add(i)
        who = f"{p.first_mention()}, {p.role},"
    who_plain = who.rstrip(",")
    noun = rng.choice(TOPICS[topic])
    org = rng.choice(orgs)
    city, country = rng.choice(places)
    when = _date_phrase(rng, pub)
    num = rng.choice(
        [
            f"{rng.randint(2, 95)} percent",
            f"{rng.randint(2, 900)} million euros",
            f"${rng.randint(2, 80)} billion",
            f"more than {rng.randint(3, 60) * 100} people",
            f"{rng.randint(2, 40)} ships",
        ]
    )
    templates = [
        f"{who} {rng.choice(VERBS)} {when} that {noun} would be discussed with {org} in {city}.",
        f"{who_plain} {rng.choice(VERBS)} that the talks with {org} had been \u201cfrank and constructive.\u201d",
        f"Speaking in {city} {when}, {who_plain} said {noun} had cost {num}.",
        f"{org[0].upper()}{org[1:]} said {when} that it expected {noun} to be resolved "
        f"by the end of {MONTHS[rng.randrange(12)]}.",
        f"{who} met officials from {org} in {city}, {country}, {when} to discuss {noun}.",
        f"According to {org}, {noun} has affected {num} since {pub.year - rng.randint(1, 5)}.",
        f"\u201cWe cannot wait any longer,\u201d {who_plain} said of {noun}, adding that {country} was ready to act.",
        f"The dispute over {noun} has drawn in {org} and officials in {city} and {rng.choice(PLACES)[0]}.",
        f"{who_plain} is expected to travel to {city} {rng.choice(['next week', 'on ' + rng.choice(WEEKDAYS)])} "
        f"for further talks.",
        rng.choice(FILLER),
    ]
    return rng.choice(templates)


def _title(rng: random.Random, cast: list[Person], orgs: list[str], places, topic: str) -> str:
    a, b = cast[0], cast[-1]
    city = places[0][0]
    noun = rng.choice(TOPICS[topic]).removeprefix("the ")
    forms = [
        f"{a.last} Arrives in {city} for Talks With {b.full} on {noun.title()}",
        f"{orgs[0].removeprefix('the ').title()} Weighs New Steps on {noun.title()}",
        f"{city} Braces for Fallout Over {noun.title()}",
        f"{a.full} Defends Plan on {noun.title()} as Critics Push Back",
        f"Talks on {noun.title()} Stall in {city} After {b.last} Walks Out",
        f"What {a.last}'s Visit to {city} Means for {noun.title()}",
    ]
    return rng.choice(forms)


def make_story(n: int, seed: int, length: tuple[int, int] = (300, 700), site: Site | None = None) -> Story:
    """An original article, from its own RNG so it does not depend on any other article."""
    rng = random.Random(f"{seed}:{n}")
    site = rng.choice(SITES) if site is None else site
    topic = rng.choice(list(TOPICS))
    places = rng.sample(PLACES, rng.randint(2, 4))
    orgs = rng.sample(ORGS, rng.randint(1, 3))
    cast = [_person(rng, places, orgs) for _ in range(rng.randint(2, 4))]
    day = START + timedelta(days=rng.randrange((END - START).days))
    pub = datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), tzinfo=UTC)
    title = _title(rng, cast, orgs, places, topic)
    city, country = places[0]
    seen: set[int] = {0}
    p0 = cast[0]
    agency = f" ({rng.choice(['Reuters', 'AP', 'AFP'])})" if rng.random() < 0.2 else ""
    dateline = f"{city.upper()}, {country}{agency} \u2014 " if rng.random() < 0.8 else ""
    lead = (
        f"{dateline}{p0.first_mention()}, {p0.role}, held talks {_date_phrase(rng, pub)} with officials from "
        f"{orgs[0]} in {city} about {rng.choice(TOPICS[topic])}, in what both sides described as a frank and "
        f"cordial meeting."
    )
    target = rng.randint(*length) - sum(len(f.split()) for f in site.furniture)
    words = len(lead.split())
    body: list[str] = []
    while words < target:
        para = " ".join(_sentence(rng, cast, seen, orgs, places, topic, pub) for _ in range(rng.randint(2, 4)))
        body.append(para)
        words += len(para.split())
    caption = None
    if rng.random() < 0.5:
        caption = (
            f"{p0.full} in {city} {_date_phrase(rng, pub)}. Photo by {rng.choice(FIRST)} {rng.choice(LAST)}/"
            f"{rng.choice(AGENCIES)}."
        )
    slug = "-".join(title.lower().replace("'", "").split()[:8])
    url = f"https://www.{site.domain}/{pub:%Y/%m/%d}/{slug}-{n}"
    authors = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.choice([1, 1, 1, 2]))]
    # a separate RNG, so adding the trailer left every other draw (and so the v2 texts) as it was
    trailer = random.Random(f"{seed}:{n}:wire").choice(WIRE_TRAILERS) if site.slug == "globalwire" else None
    return Story(n, site, url, title, lead, body, caption, pub, authors, layout=_layout(rng), wire_trailer=trailer)


def _layout(rng: random.Random) -> dict[str, object]:
    """Where the boilerplate goes and how the date is printed: varied per article."""
    return {
        "share": rng.choice(SHARE_LINES) if rng.random() < 0.7 else None,
        "advert": rng.choice(ADVERTS) if rng.random() < 0.6 else None,
        "newsletter": rng.choice(NEWSLETTER) if rng.random() < 0.5 else None,
        "cookie": rng.choice(COOKIES) if rng.random() < 0.25 else None,
        "trailer": rng.choice(TRAILERS) if rng.random() < 0.6 else None,
        "related": rng.randint(2, 4),
        "date_form": rng.randrange(6),
        "date_in_meta": rng.random() < 0.7,
        "keys": rng.randrange(3),
        "related_seed": rng.randrange(1 << 30),
    }


def exact_copy(orig: Story, n: int, seed: int) -> Story:
    """The same text under another URL (an AMP page, a re-scrape), with different boilerplate around it."""
    rng = random.Random(f"{seed}:{n}:exact")
    url = orig.url.replace(f"https://www.{orig.site.domain}/", f"https://amp.{orig.site.domain}/", 1) + f"?v={n}"
    # Same format, date layout and record keys as the original, so the cleaned text is identical; only the
    # droppable boilerplate around it differs (a different share line, so a txt copy's raw text differs too).
    fresh = _layout(rng)
    layout = {**orig.layout, **{k: fresh[k] for k in ("advert", "newsletter", "cookie")}}
    layout["share"] = rng.choice([s for s in SHARE_LINES if s != orig.layout["share"]])
    return Story(
        n, orig.site, url, orig.title, orig.lead, list(orig.body), orig.caption, orig.published, orig.authors,
        kind="exact", layout=layout, fmt=orig.fmt, copy_of=orig.n, wire_trailer=orig.wire_trailer,
    )  # fmt: skip


def near_copy(orig: Story, n: int, seed: int) -> Story:
    """An updated version: reworded title, one sentence added, a few words changed, a day later."""
    rng = random.Random(f"{seed}:{n}:near")
    body = list(orig.body)
    if body:
        i = rng.randrange(len(body))
        body[i] = body[i] + " " + rng.choice(FILLER)
        j = rng.randrange(len(body))
        words = body[j].split()
        for _ in range(2):
            words[rng.randrange(len(words))] = rng.choice(["reportedly", "also", "again", "still", "now"])
        body[j] = " ".join(words)
    title = orig.title[0] + orig.title[1:].lower()
    if rng.random() < 0.5:
        title = "Update: " + title
    return Story(
        n, orig.site, f"{orig.url}-update-{n}", title, orig.lead, body, orig.caption,
        orig.published + timedelta(days=1), orig.authors, kind="near", layout=_layout(rng), copy_of=orig.n,
        wire_trailer=orig.wire_trailer,
    )  # fmt: skip


def _edit_words(text: str, rng: random.Random, rate: float = 1 / 40) -> str:
    """About one word in 1/rate swapped, dropped or joined by a filler word, as a copy editor would."""
    out: list[str] = []
    for word in text.split():
        if rng.random() >= rate:
            out.append(word)
            continue
        r = rng.random()
        bare = word.strip(".,;:\u201c\u201d").lower()
        if bare in EDITS and r < 0.6:
            out.append(word.replace(bare, EDITS[bare]))
        elif r < 0.75:
            continue  # dropped
        elif r < 0.9:
            out.extend([word, rng.choice(EDIT_FILLERS)])
        else:
            out.append(rng.choice(EDIT_FILLERS))
    return " ".join(out)


def syndicated_copy(orig: Story, n: int, seed: int) -> Story:
    """Another paper's copy of a (wire) story, 1-72 hours later: new headline, cut or added paragraphs, edits.

    The headline gets a suffix or a rewrite; one or two body paragraphs are cut (more often from the end)
    and/or one or two of the paper's own are added; about one word in 40 is edited; share and copyright
    lines are printed around it, and the wire's trailer is kept.
    """
    rng = random.Random(f"{seed}:{n}:syndicated")
    site = rng.choice([s for s in SITES if s is not orig.site])
    body = list(orig.body)
    # one or two paragraphs cut or added (one of either for a brief of three paragraphs or fewer)
    cut, added = rng.choice([(1, 0), (2, 0), (0, 1), (0, 2), (1, 1)] if len(body) > 3 else [(1, 0), (0, 1)])
    cut = min(cut, len(body) - 1)
    for _ in range(cut):
        body.pop(len(body) - 1 if rng.random() < 0.6 else rng.randrange(len(body)))
    for _ in range(added):
        city = rng.choice(PLACES)[0]
        extra = " ".join([rng.choice(LOCAL_ADDITIONS).format(c=city, p=site.title), rng.choice(FILLER)])
        body.insert(rng.randint(len(body) // 2, len(body)), extra)
    lead = _edit_words(orig.lead, rng)
    body = [_edit_words(p, rng) for p in body]
    if rng.random() < 0.5:
        title = orig.title + rng.choice(HEADLINE_SUFFIXES)
    else:  # a rewrite: the paper's own verb and word order, some of the original's words kept
        words = orig.title.split()
        keep = words[: max(2, len(words) // 2)]
        title = f"{rng.choice(['As', 'After', 'Why', 'How'])} {' '.join(keep)} {rng.choice(['Looms', 'Deepens', 'Eases', 'Draws Scrutiny'])}"
    layout = _layout(rng)
    layout["share"] = rng.choice(SYNDICATION_CREDITS[:2])
    layout["credit"] = rng.choice(SYNDICATION_CREDITS[2:])
    return Story(
        n, site, f"https://www.{site.domain}/wire/{orig.published:%Y/%m/%d}/{n}", title, lead, body, orig.caption,
        orig.published + timedelta(hours=rng.randint(1, 72)), orig.authors, kind="syndicated", layout=layout,
        copy_of=orig.n, wire_trailer=orig.wire_trailer,
    )  # fmt: skip


def syndication_set(originals: int = 800, seed: int = 7, days: int = 4) -> list[Story]:
    """A dense news window for scoring near duplicates: stories and their syndicated copies, in publish order.

    Originals are spread over `days` days; a third come from the wire service (half of those short briefs),
    all with one of its two long trailers. A quarter of the originals get one to three syndicated copies.
    """
    stories: list[Story] = []
    start = datetime(2024, 3, 1, tzinfo=UTC)
    for n in range(originals):
        rng = random.Random(f"{seed}:{n}:window")
        wire = rng.random() < 1 / 3
        length = (80, 150) if wire and rng.random() < 0.5 else (300, 700)
        site = next(s for s in SITES if s.slug == "globalwire") if wire else None
        story = make_story(n, seed, length, site)
        story.published = start + timedelta(minutes=rng.randrange(days * 24 * 60))
        stories.append(story)
    copies: list[Story] = []
    for orig in list(stories):
        rng = random.Random(f"{seed}:{orig.n}:copies")
        if rng.random() < 0.25:
            for _ in range(rng.choice([1, 1, 2, 3])):
                copies.append(syndicated_copy(orig, originals + len(copies), seed))
    return sorted(stories + copies, key=lambda s: s.published)


def _date_text(pub: datetime, form: int) -> str:
    if form == 0:
        return f"Published {pub.day} {MONTHS[pub.month - 1]} {pub.year}"
    if form == 1:
        return f"Publish Date {MONTHS[pub.month - 1]} {pub.day}, {pub.year}"
    if form == 2:
        return f"Posted on {pub:%Y-%m-%dT%H:%M:%SZ}"
    if form == 3:
        return f"Updated {pub:%a, %d %b %Y %H:%M:%S} +0000"
    if form == 4:
        return f"{WEEKDAYS[pub.weekday()]} {MONTHS[pub.month - 1]} {pub.day}, {pub.year}"
    return f"Date: {pub:%Y-%m-%d}"


def _related(story: Story) -> list[str]:
    rng = random.Random(story.layout["related_seed"])
    noun = rng.choice([n for ns in TOPICS.values() for n in ns])
    items = [
        f"{rng.choice(LAST)} warns of delays over {noun}",
        f"Five things to know about {rng.choice(TOPICS[rng.choice(list(TOPICS))])}",
        f"{rng.choice(PLACES)[0]} council approves new budget",
        f"Opinion: the real cost of {noun}",
    ]
    return items[: int(story.layout["related"])]


def blocks(story: Story, with_title: bool) -> list[str]:
    """The article as printed paragraphs, boilerplate included (txt and jsonl bodies)."""
    lay = story.layout
    out: list[str] = []
    if lay["share"]:
        out.append(str(lay["share"]))
    if with_title:
        out.append(story.title)
    date_line = _date_text(story.published, int(lay["date_form"]))  # type: ignore[arg-type]
    if int(lay["date_form"]) % 2 == 0:  # type: ignore[arg-type]
        out.append(f"By {' and '.join(story.authors)} | {date_line}")
    if story.caption:
        out.append(story.caption)
    out.append(story.lead)
    half = len(story.body) // 2
    out.extend(story.body[:half])
    if lay["advert"]:
        out.append(str(lay["advert"]))
    out.extend(story.body[half:])
    if int(lay["date_form"]) % 2:  # type: ignore[arg-type]
        out.append(date_line)
    if story.wire_trailer:
        out.append(story.wire_trailer)
    if lay.get("credit"):
        out.append(str(lay["credit"]))
    out.extend(story.site.furniture)
    if lay["newsletter"]:
        out.append(str(lay["newsletter"]))
    if lay["cookie"]:
        out.append(str(lay["cookie"]))
    out.append(f"\u00a9 {story.published.year} {story.site.title}. All rights reserved.")
    if lay["trailer"]:
        out.append(str(lay["trailer"]))
        out.extend(_related(story))
    return out


def render_txt(story: Story) -> str:
    return "\n\n".join(blocks(story, with_title=True)) + "\n"


def render_json(story: Story) -> str:
    lay = story.layout
    keys = int(lay["keys"])  # type: ignore[arg-type]
    text = "\n\n".join(blocks(story, with_title=False))
    date_value = None
    if lay["date_in_meta"]:
        date_value = (
            story.published.isoformat() if keys != 1 else story.published.strftime("%a, %d %b %Y %H:%M:%S +0000")
        )
    if keys == 0:  # news-please
        rec = {"url": story.url, "title": story.title, "maintext": text, "date_publish": date_value,
               "authors": story.authors, "source_domain": story.site.domain, "language": "en"}  # fmt: skip
    elif keys == 1:  # a Scrapy feed
        rec = {"link": story.url, "headline": story.title, "body": text, "published": date_value,
               "author": ", ".join(story.authors), "site_name": story.site.title}  # fmt: skip
    else:
        rec = {"url": story.url, "title": story.title, "text": text, "date": date_value,
               "byline": "By " + " and ".join(story.authors), "source": story.site.title, "lang": "en-GB"}  # fmt: skip
    return json.dumps({k: v for k, v in rec.items() if v is not None}, ensure_ascii=False)


def render_html(story: Story) -> str:
    lay = story.layout
    e = escape
    meta_date = (
        f'<meta property="article:published_time" content="{story.published.isoformat()}">'
        if lay["date_in_meta"]
        else ""
    )
    paras = []
    if lay["share"]:
        paras.append(f'<p class="share">{e(str(lay["share"]))}</p>')
    paras.append(f"<p>{e(story.lead)}</p>")
    half = len(story.body) // 2
    for i, p in enumerate(story.body):
        if i == half and lay["advert"]:
            paras.append(f"<p>{e(str(lay['advert']))}</p>")
        paras.append(f"<p>{e(p)}</p>")
    if not lay["date_in_meta"]:
        paras.append(f"<p>{e(_date_text(story.published, int(lay['date_form'])))}</p>")  # type: ignore[arg-type]
    if story.wire_trailer:
        paras.append(f"<p>{e(story.wire_trailer)}</p>")
    if lay.get("credit"):
        paras.append(f"<p>{e(str(lay['credit']))}</p>")
    paras.extend(f"<p>{e(f)}</p>" for f in story.site.furniture)
    if lay["newsletter"]:
        paras.append(f"<p>{e(str(lay['newsletter']))}</p>")
    figure = (
        f"<figure><img src='/img/{story.n}.jpg'><figcaption>{e(story.caption)}</figcaption></figure>"
        if story.caption
        else ""
    )
    related = ""
    if lay["trailer"]:
        items = "".join(f'<li><a href="/r/{i}">{e(t)}</a></li>' for i, t in enumerate(_related(story)))
        related = f"<aside><h2>{e(str(lay['trailer']))}</h2><ul>{items}</ul></aside>"
    cookie = f'<div class="cookie-banner">{e(str(lay["cookie"]))}</div>' if lay["cookie"] else ""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{e(story.title)} | '
        f'{e(story.site.title)}</title><meta property="og:site_name" content="{e(story.site.title)}">'
        f'<meta property="og:title" content="{e(story.title)}"><meta name="author" content="{e(", ".join(story.authors))}">'
        f'<link rel="canonical" href="{e(story.url)}">{meta_date}</head><body>{cookie}'
        f'<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a> '
        f'<a href="/opinion">Opinion</a></nav></header><main><article><h1>{e(story.title)}</h1>'
        f'<p class="byline">By {e(" and ".join(story.authors))}</p>{figure}{"".join(paras)}</article>{related}</main>'
        f"<footer><p>\u00a9 {story.published.year} {e(story.site.title)}. All rights reserved.</p></footer>"
        f"</body></html>\n"
    )


class Writer:
    """Streams stories to the output tree, one rolling file per container format."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.counts = {f: 0 for f in FORMATS}
        self.jsonl: io.TextIOBase | None = None
        self.warc_fh = None
        self.warc = None

    def write(self, story: Story, fmt: str) -> None:
        k = self.counts[fmt]
        self.counts[fmt] += 1
        if fmt == "txt":
            path = self.out / "txt" / story.site.slug / f"{story.n:07d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_txt(story), encoding="utf-8")
        elif fmt == "html":
            path = self.out / "html" / story.site.slug / f"{story.n:07d}.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_html(story), encoding="utf-8")
        elif fmt == "jsonl":
            if k % JSONL_PER_FILE == 0:
                self._close_jsonl()
                path = self.out / "jsonl" / f"dump-{k // JSONL_PER_FILE:04d}.jsonl"
                path.parent.mkdir(parents=True, exist_ok=True)
                self.jsonl = path.open("w", encoding="utf-8")
            assert self.jsonl is not None
            self.jsonl.write(render_json(story) + "\n")
        else:
            if k % WARC_PER_FILE == 0:
                self._close_warc()
                from warcio.warcwriter import WARCWriter

                path = self.out / "warc" / f"crawl-{k // WARC_PER_FILE:04d}.warc.gz"
                path.parent.mkdir(parents=True, exist_ok=True)
                self.warc_fh = path.open("wb")
                self.warc = WARCWriter(self.warc_fh, gzip=True)
            self._warc_record(story)

    def _warc_record(self, story: Story) -> None:
        from warcio.statusandheaders import StatusAndHeaders

        assert self.warc is not None
        fetched = story.published + timedelta(hours=3)
        warc_date = fetched.strftime("%Y-%m-%dT%H:%M:%SZ")
        req = StatusAndHeaders(f"GET /{story.url.split('/', 3)[3]} HTTP/1.1", [("Host", story.url.split("/")[2])],
                               is_http_request=True)  # fmt: skip
        self.warc.write_record(
            self.warc.create_warc_record(
                story.url, "request", http_headers=req, warc_headers_dict={"WARC-Date": warc_date}
            )
        )
        body = render_html(story).encode("utf-8")
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                              ("Content-Length", str(len(body)))], protocol="HTTP/1.1")  # fmt: skip
        self.warc.write_record(
            self.warc.create_warc_record(
                story.url,
                "response",
                payload=io.BytesIO(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": warc_date},
            )  # fmt: skip
        )

    def _close_jsonl(self) -> None:
        if self.jsonl is not None:
            self.jsonl.close()
            self.jsonl = None

    def _close_warc(self) -> None:
        if self.warc_fh is not None:
            self.warc_fh.close()
            self.warc_fh = self.warc = None

    def close(self) -> None:
        self._close_jsonl()
        self._close_warc()


def story_words(story: Story) -> int:
    """Words of the article as written (title, lead, body, caption, furniture), boilerplate excluded."""
    parts = [story.title, story.lead, *story.body, *story.site.furniture, story.caption or ""]
    return sum(len(p.split()) for p in parts)


def generate(
    articles: int,
    out: Path,
    seed: int = 1,
    exact_rate: float = 0.03,
    near_rate: float = 0.05,
    syndicated_rate: float = 0.05,
) -> dict:
    """Write the dump; returns what was made (also saved as out/.generated.json)."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    writer = Writer(out)
    pool: list[Story] = []  # recent originals that copies are made from (bounded: streaming)
    kinds = {"original": 0, "exact": 0, "near": 0, "syndicated": 0}
    words = 0
    fmt_names, fmt_weights = list(FORMATS), list(FORMATS.values())
    try:
        for n in range(articles):
            rng = random.Random(f"{seed}:{n}:pick")
            r = rng.random()
            if pool and r < exact_rate:
                story = exact_copy(rng.choice(pool), n, seed)
            elif pool and r < exact_rate + near_rate:
                story = near_copy(rng.choice(pool), n, seed)
            elif pool and r < exact_rate + near_rate + syndicated_rate:
                story = syndicated_copy(rng.choice(pool), n, seed)
            else:
                story = make_story(n, seed)
                pool.append(story)
                if len(pool) > 2000:
                    pool.pop(rng.randrange(len(pool)))
            fmt = rng.choices(fmt_names, fmt_weights)[0]
            story.fmt = story.fmt or fmt  # an exact copy keeps its original's format
            writer.write(story, story.fmt)
            kinds[story.kind] += 1
            words += story_words(story)
            if n and n % 10000 == 0:
                print(f"  {n} articles, {time.perf_counter() - started:.0f}s", file=sys.stderr)
    finally:
        writer.close()
    info = {
        "generator_version": GENERATOR_VERSION,
        "articles": articles,
        "seed": seed,
        "exact_rate": exact_rate,
        "near_rate": near_rate,
        "syndicated_rate": syndicated_rate,
        "words": words,
        "kinds": kinds,
        "formats": writer.counts,
        "bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / ".generated.json").write_text(json.dumps(info, indent=2))
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--exact-rate", type=float, default=0.03)
    ap.add_argument("--near-rate", type=float, default=0.05)
    ap.add_argument("--syndicated-rate", type=float, default=0.05)
    args = ap.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        ap.error(f"{args.out} is not empty")
    info = generate(args.articles, args.out, args.seed, args.exact_rate, args.near_rate, args.syndicated_rate)
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
