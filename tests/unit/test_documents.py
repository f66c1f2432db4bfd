"""Deterministic ids and near-duplicate clustering."""

from transforms.dedupe import DuplicateIndex, content_hash, dedupe_articles
from transforms.documents import article_id, assign_ids, normalize_url
from transforms.records import Article, articles_to_frame


def test_normalize_url():
    assert normalize_url("HTTPS://Example.com/a/b/?utm_source=x&id=3#top") == "https://example.com/a/b?id=3"


def test_article_id_is_stable_and_url_based():
    assert article_id("https://example.com/a?utm_medium=m", "x") == article_id("https://EXAMPLE.com/a/", "y")
    assert article_id(None, "some  text") == article_id(None, "some text")
    assert article_id(None, "some text") != article_id(None, "other text")


def test_content_hash_ignores_formatting():
    assert content_hash("Title", ["A b."]) == content_hash("title", ["a  B"])


STORY = [
    "Dockworkers at the port returned to work on Monday after union leaders and operators agreed a wage deal.",
    "The agreement raises wages by 6 percent this year and a further 4 percent next year, the union said.",
    "Terminal operators said the strike had cost the port about 30 million euros a day in lost business.",
]


def frame(*articles):
    return assign_ids(articles_to_frame(articles))


def test_exact_copy_dropped_near_copy_clustered_to_earliest():
    later = Article(
        source_file="wire.txt",
        paragraphs=[*STORY, "Shipping lines welcomed the news."],
        title="Strike ends",
        raw_text="wire",
        published_at="2024-03-05",
    )
    earlier = Article(
        source_file="orig.txt", paragraphs=STORY, title="Strike ends", raw_text="orig", published_at="2024-03-04"
    )
    copy = Article(
        source_file="copy.txt", paragraphs=STORY, title="Strike Ends", raw_text="copy", published_at="2024-03-06"
    )
    other = Article(
        source_file="o.txt",
        paragraphs=["A ferry operator was fined on Thursday for cancelled crossings."],
        title="Ferry fine",
        raw_text="other",
        published_at="2024-03-01",
    )
    index = DuplicateIndex(threshold=0.5)
    result = dedupe_articles(frame(later, earlier, copy, other), index)
    rows = {r.source_file: r for r in result.frame.itertuples()}
    assert set(rows) == {"wire.txt", "orig.txt", "o.txt"}
    assert result.counts["dropped_exact_duplicate"] == 1
    assert rows["orig.txt"].duplicate_of is None
    assert rows["wire.txt"].duplicate_of == rows["orig.txt"].doc_id == rows["wire.txt"].cluster_id
    assert rows["o.txt"].cluster_id == rows["o.txt"].doc_id and rows["o.txt"].duplicate_of is None


def test_reingesting_the_same_article_is_not_a_duplicate():
    art = Article(source_file="a.txt", paragraphs=STORY, title="t", raw_text="same")
    index = DuplicateIndex()
    dedupe_articles(frame(art), index)
    again = dedupe_articles(frame(art), index)
    assert len(again.frame) == 1 and again.frame.iloc[0]["duplicate_of"] is None
