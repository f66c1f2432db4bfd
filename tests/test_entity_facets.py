"""Facets people can trust: a few hundred British-style articles (politics, business, sports prose, results and
standings) through the flow into the real node; the top facet values hold no known junk class."""

import json
import random
from pathlib import Path

import pytest

from newsfacet.cli import main
from newsfacet.manifest import Manifest
from newsfacet.settings import get_settings

pytestmark = pytest.mark.usefixtures("prefect_api", "cache_dir")

FIRST = [
    "Priya",
    "Tom",
    "Helen",
    "Daniel",
    "Fiona",
    "Alasdair",
    "Morven",
    "Gethin",
    "Malik",
    "Caroline",
    "Ruth",
    "Imogen",
    "Jack",
    "Nikos",
    "Gemma",
    "Sunita",
]
LAST = [
    "Ashworth",
    "Hendry",
    "Marsh",
    "Crowther",
    "Lyle",
    "Kerr",
    "Baird",
    "Rhys",
    "Hussain",
    "Devereux",
    "Okonkwo",
    "Clarke",
    "Dunmore",
    "Pappas",
    "Thorne",
]
TOWNS = [
    "Leeds",
    "Hull",
    "Sheffield",
    "Wakefield",
    "Bolton",
    "Derby",
    "Norwich",
    "Exeter",
    "Swansea",
    "Dundee",
    "Reading",
    "Carlisle",
]
CLUBS = {  # short name in results lines -> full name in prose
    "Leeds": "Leeds United",
    "Hull": "Hull City",
    "Derby": "Derby County",
    "Norwich": "Norwich City",
    "Bolton": "Bolton Wanderers",
    "Exeter": "Exeter City",
    "Swansea": "Swansea City",
    "Carlisle": "Carlisle United",
}
GROUNDS = ["Elland Road", "Carrow Road", "Pride Park", "St James Park"]
COMPANIES = ["Brightwell Foods", "Marlow Estates", "Halden Capital", "SkyLark Airways", "Northgate Energy"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TIME_ZONES = ["GMT", "BST"]
PARTIES = ["Labour", "the Lib Dems", "the Conservatives", "the Tories", "Reform UK", "the SNP"]

# what must never be a top facet value
JUNK = {"GMT", "BST", "UTC", "EST", *WEEKDAYS, "Pos", "Team", "Pld", "W", "D", "L", "GD", "Pts", "CHAMPIONSHIP"}
PARTY_NAMES = {"Labour", "Lib Dems", "Lib Dem", "Liberal Democrats", "Conservatives", "Conservative Party", "Tories"}


def politics(r: random.Random, n: int) -> dict:
    town, day, tz = r.choice(TOWNS), r.choice(WEEKDAYS), r.choice(TIME_ZONES)
    winner, runner = f"{r.choice(FIRST)} {r.choice(LAST)}", f"{r.choice(FIRST)} {r.choice(LAST)}"
    party = r.choice(PARTIES)
    title = r.choice([f"Lib Dems surge in {town} as Labour holds on", f"{party.title()} wins {town} by-election"])
    body = [
        f"{town.upper()} \u2014 {party[0].upper() + party[1:]} won the {town} by-election on {day}, with {winner} "
        "taking the seat by 2,140 votes.",
        f"Labour said the result showed it could win anywhere. The Lib Dems came second and the Conservatives third, "
        f"while Reform UK lost its deposit. Polls closed at 10pm {tz} on {day}.",
        f"Speaking to BBC News, {runner} of the Lib Dems said the party had won over voters angry about hospital "
        'waiting lists. "The Lib Dem message worked on every doorstep," he said.',
        f"Labour figures in {town} said turnout of 31 per cent was the lowest since 2015. Tories blamed the weather.",
    ]
    return {"title": title, "body": body}


def business(r: random.Random, n: int) -> dict:
    company, boss, town = r.choice(COMPANIES), f"{r.choice(FIRST)} {r.choice(LAST)}", r.choice(TOWNS)
    tz, day = r.choice(TIME_ZONES), r.choice(WEEKDAYS)
    return {
        "title": f"{company} profits rise {r.randint(3, 30)}%",
        "body": [
            f"{company} reported a rise in annual profit on {day}, helped by new sites in {town} and Leeds.",
            f"Chief executive {boss} said the group would hire 200 people. Shares rose 4 per cent by 8am {tz}.",
            f"Analysts at Barclays said the {company} figures were better than expected. The BBC reported that "
            f"the Treasury was watching the sector after {boss} spoke.",
        ],
    }


def results(r: random.Random, n: int) -> dict:
    names = list(CLUBS)
    r.shuffle(names)
    lines = ["CHAMPIONSHIP"]
    for a, b in zip(names[0::2], names[1::2], strict=True):
        x, y = r.randint(0, 5), r.randint(0, 5)
        lines.append(f"{a} {x}-{y} {b}" if r.random() < 0.5 else f"{a} {x} {b} {y}")
    table = ["Pos Team Pld W D L GD Pts"]
    for pos, club in enumerate(r.sample(list(CLUBS.values()), 5), start=1):
        won, drawn = r.randint(10, 25), r.randint(3, 12)
        table.append(f"{pos} {club} 37 {won} {drawn} {37 - won - drawn} +{r.randint(0, 40)} {3 * won + drawn}")
    return {"title": f"{r.choice(WEEKDAYS)}'s results and the table", "body": [*lines, *table]}


def sports(r: random.Random, n: int) -> dict:
    a, b = r.sample(list(CLUBS.values()), 2)
    scorer, manager = f"{r.choice(FIRST)} {r.choice(LAST)}", f"{r.choice(FIRST)} {r.choice(LAST)}"
    day = r.choice(WEEKDAYS)
    return {
        "title": f"{a} beat {b} to climb the table",
        "body": [
            f"{a} beat {b} {r.randint(2, 4)}-1 at {r.choice(GROUNDS)} on {day}. Kick-off was at 3pm GMT.",
            f'{scorer} scored twice. {a.split()[0]} manager {manager} said: "We were the better side."',
            f"{b} are now six points off the play-off places in the Championship.",
        ],
    }


def write_dump(path: Path, count: int, seed: int = 12) -> None:
    """count articles in one JSON Lines file: politics, business, results/standings and sports prose."""
    r = random.Random(seed)
    makers = [politics] * 8 + [business] * 3 + [results] * 5 + [sports] * 4
    with path.open("w", encoding="utf-8") as fh:
        for n in range(count):
            article = r.choice(makers)(r, n)
            record = {
                "url": f"https://ukdesk.example/{n}",
                "title": article["title"],
                "date_publish": f"2025-03-{1 + n % 28:02d}T08:00:00Z",
                "source_domain": "ukdesk.example",
                "maintext": "\n\n".join(article["body"]),
            }
            fh.write(json.dumps(record) + "\n")


def top(es, alias: str, field: str, size: int = 20) -> list[str]:
    resp = es.search(index=alias, size=0, aggs={"f": {"terms": {"field": field, "size": size}}})
    return [b["key"] for b in resp["aggregations"]["f"]["buckets"]]


def test_top_facets_hold_no_junk_or_wrong_types(es, alias, cache_dir, tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    write_dump(dump / "ukdesk.jsonl", 300)
    assert main(["ingest", "--alias", alias, str(dump)]) == 0
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] >= 250  # a few exact copies may be dropped

    persons, organizations, locations = (top(es, alias, f) for f in ("persons", "organizations", "locations"))
    for facet, values in (("persons", persons), ("organizations", organizations), ("locations", locations)):
        assert not JUNK & set(values), (facet, values)
        caps_labels = [v for v in values if len(v.split()) > 1 and v.isupper()]
        assert not caps_labels, (facet, values)
    assert not PARTY_NAMES & set(persons), persons  # no party as a person
    assert not set(CLUBS) & set(persons) and not set(CLUBS.values()) & set(persons), persons
    assert not set(CLUBS.values()) & set(locations), locations  # clubs named after towns are no places
    # ... and the facets are not empty of what the articles are about
    assert {"Labour", "Liberal Democrats", "BBC"} <= set(organizations), organizations
    assert "BBC News" not in organizations and "Lib Dems" not in organizations
    assert len((set(CLUBS) | set(CLUBS.values())) & set(organizations)) >= 5, organizations
    assert len(persons) == 20 and all(len(p.split()) == 2 for p in persons), persons

    # the prose type votes are remembered for the next run
    manifest = Manifest(cache_dir / "state.sqlite", alias)
    try:
        votes = manifest.entity_type_counts(get_settings().spacy_model)
    finally:
        manifest.close()
    assert votes.get("BBC", {}).get("organizations", 0) >= 10, votes.get("BBC")
    assert votes.get("Barclays", {}).get("organizations", 0) >= 10, votes.get("Barclays")
