"""Aliases are separate namespaces (issue 16): with "<name>" and "<name>-test" side by side, ingest,
versions, reindex, rollback and pruning of one never touch the other's indices. Real node, real Prefect."""

from __future__ import annotations

import pytest

from newsfacet.cli import main
from search import aliases
from search.schema import ensure_index, index_body, parse_index, schema_hash, write_alias
from tests.test_faults import refreshed_count, run_flow, write_articles

pytestmark = pytest.mark.usefixtures("prefect_api", "cache_dir")


@pytest.fixture
def prefixed(es, alias):
    """A second alias whose name starts with the first one's, removed afterwards."""
    name = f"{alias}-test"
    yield name
    indices = list(es.indices.get(index=f"{name}~*,{name}-*", allow_no_indices=True))
    if indices:
        es.indices.delete(index=",".join(indices))
    for template in (f"{name}~template", f"{name}-template"):
        es.options(ignore_status=404).indices.delete_index_template(name=template)


def names(es, alias):
    return [v.name for v in aliases.versions(es, alias)]


def holders(es, name):
    """The indices an alias name points at."""
    return sorted(es.options(ignore_status=404).indices.get_alias(name=name).body.keys() - {"error", "status"})


@pytest.mark.timeout(600)
def test_prefix_aliases_never_touch_each_other(es, alias, prefixed, tmp_path, capsys):
    write_articles(tmp_path / "a", 2, prefix="a")
    write_articles(tmp_path / "b", 3, prefix="b")
    # ingest into both (the second used to fail with a 400 about overlapping templates)
    assert run_flow([tmp_path / "a"], alias)["stages"]["load"]["indexed"] == 2
    assert run_flow([tmp_path / "b"], prefixed)["stages"]["load"]["indexed"] == 3
    assert refreshed_count(es, alias) == 2 and refreshed_count(es, prefixed) == 3
    (a1,), (b1,) = names(es, alias), names(es, prefixed)
    assert a1.startswith(f"{alias}~") and b1.startswith(f"{prefixed}~")

    # versions: each lists its own only, the CLI too
    capsys.readouterr()
    assert main(["versions", "--alias", alias]) == 0
    out = capsys.readouterr().out
    assert a1 in out and b1 not in out

    # reindex and rollback of the shorter name leave the longer one's index and aliases alone
    assert main(["reindex", "--alias", alias]) == 0
    a2 = aliases.current(es, alias).name
    assert a2 != a1 and names(es, alias) == [a1, a2]
    assert main(["rollback", "--alias", alias]) == 0
    assert aliases.current(es, alias).name == a1
    assert holders(es, alias) == [a1] and holders(es, write_alias(alias)) == [a1]
    assert holders(es, prefixed) == [b1] and holders(es, write_alias(prefixed)) == [b1]
    # and the other way round
    assert main(["reindex", "--alias", prefixed]) == 0
    assert main(["rollback", "--alias", prefixed]) == 0
    assert holders(es, alias) == [a1] and names(es, alias) == [a1, a2]

    # pruning: reindex with keep 0 deletes only the alias's own old versions
    aliases.reindex(es, alias, keep=0, refresh_interval="1s")
    aliases.reindex(es, alias, keep=0, refresh_interval="1s")
    assert len(names(es, alias)) == 1
    assert b1 in names(es, prefixed) and refreshed_count(es, prefixed) == 3
    assert refreshed_count(es, alias) == 2

    # a second ingest into each still loads into its own index
    write_articles(tmp_path / "b2", 1, prefix="c")
    assert run_flow([tmp_path / "b2"], prefixed)["stages"]["load"]["indexed"] == 1
    assert refreshed_count(es, prefixed) == 4 and refreshed_count(es, alias) == 2


def test_old_scheme_indices_are_found_and_their_write_alias_moved(es, alias, prefixed):
    """Indices built before the "~" scheme (<alias>-<hash>-<generation>, <alias>-write, an <alias>-* template
    at priority 100) stay the alias's own; the old template no longer blocks the prefixed alias."""
    body = index_body()
    meta = {"schema_hash": schema_hash(), "alias": alias}
    es.indices.put_index_template(
        name=f"{alias}-template",
        index_patterns=[f"{alias}-*"],
        priority=100,
        template={"settings": body["settings"], "mappings": {**body["mappings"], "_meta": meta}},
    )
    old = f"{alias}-{schema_hash()}-000001"
    es.indices.create(index=old, aliases={alias: {}, f"{alias}-write": {"is_write_index": True}})
    es.indices.put_mapping(index=old, meta={**meta, "complete": True})
    es.index(index=old, id="x", document={"title": "from before"}, refresh=True)

    # the prefixed alias can be set up beside the old template (overlapping patterns, other priority)
    b1 = ensure_index(es, prefixed)
    assert names(es, prefixed) == [b1] and names(es, alias) == [old]

    assert ensure_index(es, alias) == old
    assert holders(es, write_alias(alias)) == [old] and holders(es, f"{alias}-write") == []
    assert es.options(ignore_status=404).indices.get_index_template(name=f"{alias}-template").meta.status == 404
    old_name, new = aliases.reindex(es, alias, keep=2, refresh_interval="1s")
    assert old_name == old and parse_index(alias, new) == (schema_hash(), 2) and new.startswith(f"{alias}~")
    assert names(es, alias) == [old, new] and es.count(index=alias)["count"] == 1
    assert aliases.rollback(es, alias) == (new, old)
    assert names(es, prefixed) == [b1]


def test_parse_index_only_accepts_the_alias_own_names():
    assert parse_index("articles", "articles~0123abcd-000002") == ("0123abcd", 2)
    assert parse_index("articles", "articles-0123abcd-000002") == ("0123abcd", 2)  # old scheme
    assert parse_index("articles", "articles-test~0123abcd-000002") is None
    assert parse_index("articles", "articles-test-0123abcd-000002") is None
    assert parse_index("articles-test", "articles~0123abcd-000002") is None


@pytest.mark.parametrize("bad", ["a~b", "Articles", "-x", "a b", "a#b", "."])
def test_alias_names_that_could_reach_another_namespace_are_refused(bad):
    with pytest.raises(ValueError, match="not a valid alias name"):
        write_alias(bad)
