"""Wire copy through `newsfacet ingest` into the real node: datelines kept, publish dates only from evidence,
heavy and non-Latin HTML pages indexed."""

import json
import shutil
from pathlib import Path

import pytest

from newsfacet.cli import main
from newsfacet.evaluate import page_with_script

pytestmark = pytest.mark.usefixtures("prefect_api", "cache_dir")
HTML = Path(__file__).parent / "fixtures" / "html"
SLOGAN = "Wiredesk: the news as it breaks, from the people who were there."
# Six different London stories of one wire source; each opens with the same dateline paragraph.
STORIES = [
    ("Bank holds rates", "The Bank of England kept its main rate at 0.5 percent for a seventy-fourth month."),
    ("Tube strike called off", "Union leaders called off a planned Underground strike after talks with managers."),
    ("Museum reopens east wing", "The British Museum reopened its east wing after a two-year refurbishment."),
    ("Heathrow passenger record", "Heathrow handled more passengers in April than in any April before."),
    ("Thames barrier closed", "The Thames Barrier was closed twice overnight as a tidal surge moved upriver."),
    ("Election count delayed", "Counting in three boroughs was delayed by a printing error on ballot papers."),
]


def _story(title: str, lead: str, n: int) -> str:
    tail = f"Officials said more details would follow in report number {n} later in the week, and critics disagreed."
    return f"{title}\n\nLONDON 2015-05-12\n\n{lead} {tail}\n\n{SLOGAN}\n"


def test_wire_copy_through_ingest(es, alias, tmp_path, capsys):
    dump = tmp_path / "wiredesk"
    dump.mkdir()
    for n, (title, lead) in enumerate(STORIES):
        (dump / f"london-{n}.txt").write_text(_story(title, lead, n))
    (dump / "springfield.txt").write_text(
        "Budget passes\n\nSPRINGFIELD, Ill., March 3 \u2014 State lawmakers approved a stopgap budget late on "
        "Tuesday after a week of talks. The measure was built on a 1920 statute.\n"
    )
    (dump / "undated.txt").write_text(
        "Swift count\n\nVolunteers counted 412 swifts nesting in the old town this summer, the trust said.\n\n"
        "Copyright 2024 Wiredesk. All rights reserved.\n"
    )
    shutil.copy(HTML / "jp-shiftjis-bus.html", dump / "jp-shiftjis-bus.html")
    (dump / "senate-heavy.html").write_bytes(page_with_script((HTML / "wire-senate-vote.html").read_bytes(), 1_500_000))

    assert main(["ingest", "--alias", alias, "--json", str(dump)]) == 0
    report = json.loads(capsys.readouterr().out)
    es.indices.refresh(index=alias)
    docs = {
        Path(h["_source"]["source_file"]).name: h["_source"] for h in es.search(index=alias, size=50)["hits"]["hits"]
    }
    assert len(docs) == 10, sorted(docs)

    for n in range(len(STORIES)):
        doc = docs[f"london-{n}.txt"]
        assert doc["paragraphs"][0] == "LONDON 2015-05-12"  # repeated in six articles of one source, still kept
        assert SLOGAN not in doc["paragraphs"]  # real furniture still goes
        assert doc["dateline"] == "London"
        assert "London" in doc["locations"]
        assert doc["published_at"].startswith("2015-05-12")  # the full date in the dateline

    spring = docs["springfield.txt"]
    assert spring["dateline"] == "Springfield, Ill."
    assert {"Springfield", "Illinois"} <= set(spring["locations"])
    assert not spring.get("published_at")  # "March 3" names no year; "1920" is a year in a sentence
    assert not docs["undated.txt"].get("published_at")  # a copyright year is no publish date

    assert docs["jp-shiftjis-bus.html"]["language"] == "ja"
    assert "深夜便" in docs["jp-shiftjis-bus.html"]["body"]
    senate = docs["senate-heavy.html"]
    assert senate["dateline"] == "Washington" and senate["published_at"].startswith("2024-09-27")

    dates = report["stages"]["dates"]
    assert dates["published_missing"] == 2
    assert report["stages"]["clean"]["datelines_kept"] >= 5
    assert not report["quarantined"]
