"""The Kibana saved objects in config/kibana/ are importable and only use fields the live mapping has.

Every referenced field is checked with field_caps against an index made by search.schema.ensure_index on
the session's real Elasticsearch node, so a mapping change that drops or re-types a field the dashboard
uses fails here rather than as an empty panel in Kibana.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from newsfacet.settings import Settings
from search.kibana import KIBANA_DIR, saved_object_files, saved_objects
from search.schema import ensure_index

DATA_VIEW_ID = "newsfacet-articles"
# Lens' pseudo field for "count of documents"; not a mapped field.
RECORDS = "___records___"
# Keys whose value names one field that gets aggregated, sorted or used as a time axis.
AGGREGATED_FIELD_KEYS = {"sourceField", "timeFieldName", "timeField", "breakdownField", "fieldName", "field"}
# Facets the dashboard exists to show; the walker must find them, so the field test cannot pass vacuously.
EXPECTED_AGGREGATED = {"persons", "organizations", "locations", "source", "language", "published_at"}
EXPECTED_COLUMNS = {"title", "source", "persons", "organizations", "locations", "dateline"}


def _by_key(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["type"], o["id"]): o for o in objects}


def _decoded(value: Any, key: str = "") -> Any:
    """Saved objects keep nested state as JSON strings (panelsJSON, searchSourceJSON...): parse those."""
    if isinstance(value, str) and key.endswith("JSON"):
        return json.loads(value)
    return value


def collect_fields(node: Any, key: str = "") -> tuple[set[str], set[str]]:
    """(every field named anywhere, the fields that get aggregated or sorted) in one saved object.

    Walks dicts and lists, decoding *JSON string attributes on the way. Field names come from
    sourceField/timeFieldName/... keys (aggregated), `columns` lists of strings (Discover columns:
    only need to exist) and `sort` pairs (sorted: need doc values, so counted as aggregated).
    """
    node = _decoded(node, key)
    named: set[str] = set()
    aggregated: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k in AGGREGATED_FIELD_KEYS and isinstance(v, str):
                if v != RECORDS:
                    named.add(v)
                    aggregated.add(v)
            elif k == "columns" and isinstance(v, list) and all(isinstance(c, str) for c in v):
                named.update(v)
            elif k == "sort" and isinstance(v, list):
                pairs = v if v and isinstance(v[0], list) else [v]
                sorted_fields = {p[0] for p in pairs if p and isinstance(p[0], str)}
                named.update(sorted_fields)
                aggregated.update(sorted_fields)
            else:
                n, a = collect_fields(v, k)
                named |= n
                aggregated |= a
    elif isinstance(node, list):
        for item in node:
            n, a = collect_fields(item)
            named |= n
            aggregated |= a
    return named, aggregated


def _all_fields() -> tuple[set[str], set[str]]:
    named: set[str] = set()
    aggregated: set[str] = set()
    for obj in saved_objects():
        n, a = collect_fields(obj["attributes"])
        named |= n
        aggregated |= a
    return named, aggregated


def _field_caps(es, alias: str, fields: set[str]) -> dict[str, dict[str, Any]]:
    return es.field_caps(index=alias, fields=sorted(fields))["fields"]


# --- the files themselves -------------------------------------------------------------------------


def test_files_are_shipped_and_every_line_is_a_saved_object():
    files = saved_object_files()
    assert files, f"no *.ndjson in {KIBANA_DIR}"
    for path in files:
        lines = path.read_text().splitlines()
        assert lines and all(line.strip() for line in lines), f"{path.name}: empty file or blank line"
        for lineno, line in enumerate(lines, start=1):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                pytest.fail(f"{path.name}:{lineno} is not JSON: {exc}")
            where = f"{path.name}:{lineno}"
            assert isinstance(obj, dict), f"{where}: not a JSON object"
            for key in ("type", "id", "attributes"):
                assert obj.get(key), f"{where}: missing {key!r}"
            assert isinstance(obj["attributes"], dict), f"{where}: attributes is not an object"
            assert obj["attributes"].get("title"), f"{where}: {obj['type']} {obj['id']} has no title"
            assert isinstance(obj.get("references", []), list), f"{where}: references is not a list"
            for ref in obj.get("references", []):
                assert set(ref) == {"type", "id", "name"}, f"{where}: malformed reference {ref}"


def test_ids_are_unique():
    keys = [(o["type"], o["id"]) for o in saved_objects()]
    assert len(keys) == len(set(keys)), f"duplicate saved objects: {sorted(k for k in keys if keys.count(k) > 1)}"


def test_json_string_attributes_parse():
    for obj in saved_objects():
        stack: list[tuple[str, Any]] = list(obj["attributes"].items())
        while stack:
            key, value = stack.pop()
            if key.endswith("JSON"):
                assert isinstance(value, str), f"{obj['id']}: {key} must be a JSON string, got {type(value).__name__}"
                json.loads(value)  # raises with the position if broken
            elif isinstance(value, dict):
                stack.extend(value.items())


def test_every_reference_resolves_within_the_shipped_set_in_import_order():
    """search/kibana.py imports file by file, so a reference must point into the same or an earlier file."""
    seen: set[tuple[str, str]] = set()
    everything = _by_key(saved_objects())
    for path in saved_object_files():
        file_objects = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        in_file = {(o["type"], o["id"]) for o in file_objects}
        for obj in file_objects:
            for ref in obj.get("references", []):
                target = (ref["type"], ref["id"])
                assert target in everything, f"{path.name}: {obj['id']} references {target}, which is not shipped"
                assert target in seen | in_file, (
                    f"{path.name}: {obj['id']} references {target} from a later file; the import would fail"
                )
        seen |= in_file


# --- each object type is wired the way Kibana resolves it ------------------------------------------


def test_data_view():
    dv = _by_key(saved_objects()).get(("index-pattern", DATA_VIEW_ID))
    assert dv, f"no data view with id {DATA_VIEW_ID!r}"
    attrs = dv["attributes"]
    assert attrs["title"] == Settings.model_fields["alias"].default, "the data view must read the default alias"
    assert attrs["timeFieldName"] == "published_at"
    assert attrs["name"] == "newsfacet articles"


def test_saved_search_references_the_data_view():
    searches = [o for o in saved_objects() if o["type"] == "search"]
    assert [s["attributes"]["title"] for s in searches] == ["newsfacet: latest articles"]
    search = searches[0]
    source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    refs = {r["name"]: r for r in search["references"]}
    assert source["indexRefName"] in refs, "searchSourceJSON.indexRefName names no reference"
    assert refs[source["indexRefName"]]["id"] == DATA_VIEW_ID
    assert set(search["attributes"]["columns"]) == EXPECTED_COLUMNS
    assert search["attributes"]["sort"] == [["published_at", "desc"]]


def test_lens_layers_and_accessors_are_consistent():
    lenses = [o for o in saved_objects() if o["type"] == "lens"]
    assert len(lenses) >= 5, "expected lens panels for persons, organizations, locations, sources and time"
    for lens in lenses:
        state = lens["attributes"]["state"]
        layers = state["datasourceStates"]["formBased"]["layers"]
        refs = {r["name"]: r for r in lens["references"]}
        assert layers, f"{lens['id']}: no formBased layers"
        for layer_id, layer in layers.items():
            ref = refs.get(f"indexpattern-datasource-layer-{layer_id}")
            assert ref and ref["id"] == DATA_VIEW_ID, f"{lens['id']}: layer {layer_id} is not tied to the data view"
            assert layer["columnOrder"] and set(layer["columnOrder"]) == set(layer["columns"]), (
                f"{lens['id']}: columnOrder and columns differ"
            )
            for col_id, col in layer["columns"].items():
                order_by = col.get("params", {}).get("orderBy", {})
                if order_by.get("type") == "column":
                    assert order_by["columnId"] in layer["columns"], (
                        f"{lens['id']}: {col_id} orders by a missing column"
                    )
        column_ids = {c for layer in layers.values() for c in layer["columns"]}
        vis = state["visualization"]
        if lens["attributes"]["visualizationType"] == "lnsXY":
            used = {a for layer in vis["layers"] for a in [layer.get("xAccessor"), *layer["accessors"]] if a}
            assert {layer["layerId"] for layer in vis["layers"]} <= set(layers), f"{lens['id']}: unknown layerId"
        else:
            used = {c["columnId"] for c in vis.get("columns", [])}
            assert vis["layerId"] in layers, f"{lens['id']}: unknown layerId"
        assert used and used <= column_ids, f"{lens['id']}: visualization uses columns {used - column_ids} it lacks"


def test_dashboard_panels_resolve():
    objects = _by_key(saved_objects())
    dashboards = [o for o in objects.values() if o["type"] == "dashboard"]
    assert [d["attributes"]["title"] for d in dashboards] == ["newsfacet: overview"]
    dashboard = dashboards[0]
    refs = {r["name"]: r for r in dashboard["references"]}
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    assert panels, "the dashboard has no panels"
    assert len({p["panelIndex"] for p in panels}) == len(panels), "panelIndex values must be unique"
    shown = set()
    for panel in panels:
        assert panel["gridData"]["i"] == panel["panelIndex"]
        ref = refs.get(f"{panel['panelIndex']}:{panel['panelRefName']}")
        assert ref, f"panel {panel['panelIndex']}: no reference named {panel['panelIndex']}:{panel['panelRefName']}"
        assert ref["type"] == panel["type"], f"panel {panel['panelIndex']}: reference type differs from panel type"
        assert (ref["type"], ref["id"]) in objects
        shown.add(ref["id"])
    lens_ids = {o["id"] for o in objects.values() if o["type"] == "lens"}
    assert lens_ids <= shown, f"lens objects not on the dashboard: {sorted(lens_ids - shown)}"


# --- fields against the live mapping ----------------------------------------------------------------


def test_walker_finds_the_facets():
    """Guard against a vacuous pass: the walker must see the fields the dashboard is about."""
    named, aggregated = _all_fields()
    assert aggregated >= EXPECTED_AGGREGATED, f"walker missed aggregated fields: {EXPECTED_AGGREGATED - aggregated}"
    assert named >= EXPECTED_COLUMNS, f"walker missed search columns: {EXPECTED_COLUMNS - named}"
    assert RECORDS not in named
    # and it would notice a bad field
    fake = {"state": {"x": {"sourceField": "no_such_field"}}, "sort": [["also_missing", "desc"]]}
    assert collect_fields(fake) == ({"no_such_field", "also_missing"}, {"no_such_field", "also_missing"})


def test_every_referenced_field_exists_in_the_live_mapping(es, alias):
    ensure_index(es, alias)
    named, _ = _all_fields()
    caps = _field_caps(es, alias, named)
    missing = sorted(named - set(caps))
    assert not missing, f"saved objects use fields the articles mapping does not have: {missing}"
    # field_caps really does leave out unknown fields, so the check above can fail
    assert "no_such_field" not in _field_caps(es, alias, {"no_such_field"})


def test_aggregated_fields_are_aggregatable(es, alias):
    ensure_index(es, alias)
    _, aggregated = _all_fields()
    caps = _field_caps(es, alias, aggregated)
    bad = {
        field: sorted(types)
        for field, types in caps.items()
        if not all(info.get("aggregatable") for info in types.values())
    }
    assert not bad, f"fields aggregated or sorted by a saved object are not aggregatable: {bad}"
    assert set(caps) == aggregated, f"unknown aggregated fields: {sorted(aggregated - set(caps))}"
    # and an analyzed text field would be caught
    assert not _field_caps(es, alias, {"title"})["title"]["text"]["aggregatable"]


def test_time_fields_are_dates(es, alias):
    ensure_index(es, alias)
    time_fields = {"published_at"}
    for obj in saved_objects():
        if obj["type"] == "index-pattern":
            time_fields.add(obj["attributes"]["timeFieldName"])
        for layer in (
            obj["attributes"]
            .get("state", {})
            .get("datasourceStates", {})
            .get("formBased", {})
            .get("layers", {})
            .values()
        ):
            time_fields |= {
                c["sourceField"] for c in layer["columns"].values() if c["operationType"] == "date_histogram"
            }
    caps = _field_caps(es, alias, time_fields)
    not_dates = {f: sorted(caps.get(f, {})) for f in time_fields if set(caps.get(f, {})) != {"date"}}
    assert not not_dates, f"time axes must be date fields: {not_dates}"
