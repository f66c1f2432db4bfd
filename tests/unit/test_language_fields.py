"""Per-language text fields: a document gets its own language's copies and no other's."""

from search.schema import language_fields, with_language_fields


def test_a_french_article_is_copied_to_the_french_fields_only():
    doc = {"_id": "a", "language": "fr", "title": "Grève", "body": "Les syndicats.", "captions": ["Le port"]}
    out = with_language_fields(doc)
    assert out == {**doc, "title_fr": "Grève", "body_fr": "Les syndicats.", "captions_fr": ["Le port"]}
    assert "title_fr" not in doc  # the caller's document is left as it was


def test_chinese_japanese_and_korean_share_the_cjk_fields():
    for lang in ("zh", "ja", "ko"):
        assert with_language_fields({"language": lang, "body": "北京地铁"})["body_cjk"] == "北京地铁"


def test_english_undetermined_and_unlisted_languages_get_no_copy():
    for lang in ("en", "und", "pl", None):
        doc = {"language": lang, "title": "T", "body": "B"}
        assert with_language_fields(doc) == doc, lang


def test_empty_texts_are_not_copied():
    assert with_language_fields({"language": "de", "title": "Titel", "body": "", "captions": []}) == {
        "language": "de",
        "title": "Titel",
        "body": "",
        "captions": [],
        "title_de": "Titel",
    }


def test_a_copied_document_gets_the_fields_of_its_language_today():
    # a document from an older index version, whose language was corrected since: the stale copy goes
    old = {"language": "es", "body": "Los embalses", "body_pt": "Los embalses"}
    assert with_language_fields(old) == {"language": "es", "body": "Los embalses", "body_es": "Los embalses"}


def test_every_copy_field_names_one_suffix_per_analyzer():
    lf = language_fields()
    assert lf.names("body") == ["body_fr", "body_de", "body_es", "body_ru", "body_it", "body_pt", "body_nl", "body_cjk"]
