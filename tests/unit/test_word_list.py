"""The word lists that search.schema puts inline into the index settings (no Elasticsearch needed)."""

from __future__ import annotations

import pytest

from newsfacet.errors import SettingsError
from newsfacet.settings import CONFIG_DIR
from search.schema import index_body, inline_word_lists, load_word_list


def test_load_word_list_skips_comments_and_blank_lines(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("# source and licence\n\nsitzung\n  paket  \n# more\nstraße\n", encoding="utf-8")
    assert load_word_list(path) == ["sitzung", "paket", "straße"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sitzung\nPaket\n", "words.txt:2: 'Paket' is not one lower-case word"),
        ("sitzung\nklima paket\n", "words.txt:2: 'klima paket' is not one lower-case word"),
        ("# only a header\n\n", "words.txt: the word list is empty"),
    ],
)
def test_a_bad_word_list_names_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "words.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_word_list(path)
    assert str(err.value) == f"{tmp_path}/{message}"


def test_a_missing_word_list_is_one_clear_line(tmp_path):
    with pytest.raises(SettingsError, match=r"missing\.txt: cannot read the word list"):
        load_word_list(tmp_path / "missing.txt")


def test_inline_word_lists_replaces_the_file_by_its_words_and_leaves_the_input_alone(tmp_path):
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "w.txt").write_text("# header\nsitzung\npaket\n", encoding="utf-8")
    settings = {
        "number_of_shards": 1,
        "analysis": {
            "filter": {
                "split": {"type": "dictionary_decompounder", "word_list_file": "analysis/w.txt", "min_subword_size": 4},
                "stop": {"type": "stop", "stopwords": "_german_"},
            }
        },
    }
    inlined = inline_word_lists(settings, tmp_path)
    assert inlined["analysis"]["filter"]["split"] == {
        "type": "dictionary_decompounder",
        "word_list": ["sitzung", "paket"],
        "min_subword_size": 4,
    }
    assert inlined["analysis"]["filter"]["stop"] == {"type": "stop", "stopwords": "_german_"}
    assert "word_list_file" in settings["analysis"]["filter"]["split"]  # the parsed config is not changed


def test_inline_word_lists_refuses_both_a_list_and_a_file(tmp_path):
    settings = {"analysis": {"filter": {"split": {"word_list": ["a"], "word_list_file": "w.txt"}}}}
    with pytest.raises(SettingsError, match="filter split has both word_list and word_list_file"):
        inline_word_lists(settings, tmp_path)


def test_the_index_settings_carry_the_shipped_german_word_list():
    decompounder = index_body()["settings"]["analysis"]["filter"]["german_decompounder"]
    assert "word_list_file" not in decompounder
    shipped = load_word_list(CONFIG_DIR / "analysis" / "de-compound-words.txt")
    assert decompounder["word_list"] == shipped
    # every word can match: none shorter or longer than the filter lets a part be
    assert all(decompounder["min_subword_size"] <= len(w) <= decompounder["max_subword_size"] for w in shipped)
    assert len(shipped) == len(set(shipped))
