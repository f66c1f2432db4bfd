"""The field registry agrees with the mapping, the Article record, the entity labels and the Kibana objects."""

from __future__ import annotations

import dataclasses
import json

from newsfacet.settings import CONFIG_DIR
from search.schema import language_fields
from tests.test_kibana import _all_fields
from transforms import fields
from transforms.entities import FIELD_BY_LABEL
from transforms.records import Article

MAPPING = json.loads((CONFIG_DIR / "index" / "articles.json").read_text())["mappings"]["properties"]


def test_every_registry_field_is_mapped_with_its_type_and_every_mapped_field_is_registered():
    # besides the registry's fields, the mapping holds the per-language copies of its language_fields
    lf = language_fields()
    copies = set(lf.copies)
    assert len(copies) == len(lf.fields) * len(set(lf.suffix.values())) > 0
    assert set(MAPPING) == {f.name for f in fields.FIELDS} | copies, (
        "config/index/articles.json and transforms/fields.py"
    )
    assert {fields.BY_NAME[f].type for f in lf.fields} == {"text"}
    for f in fields.FIELDS:
        assert MAPPING[f.name]["type"] == f.type, f"{f.name}: mapping says {MAPPING[f.name]['type']}, registry {f.type}"


def test_facets_and_dates_are_aggregatable_types():
    for name in fields.FACETS:
        assert MAPPING[name]["type"] == "keyword", name
    assert set(fields.DATE_FIELDS) == {n for n, spec in MAPPING.items() if spec["type"] == "date"}
    assert set(fields.DEFAULT_FACETS) <= set(fields.FACETS)
    assert set(fields.SCORED_ENTITY_FIELDS) <= set(fields.ENTITY_FIELDS) <= set(fields.FACETS)


def test_every_stored_field_is_an_article_attribute():
    attributes = {f.name for f in dataclasses.fields(Article)}
    stored = {f.name for f in fields.FIELDS if not f.derived}
    assert stored <= attributes, f"registry fields with no Article attribute: {sorted(stored - attributes)}"


def test_every_ner_label_fills_a_registered_entity_field():
    assert set(FIELD_BY_LABEL.values()) <= set(fields.ENTITY_FIELDS)
    assert set(fields.ENTITY_FIELDS) <= set(FIELD_BY_LABEL.values()), "an entity field no NER label fills"


def test_kibana_objects_use_only_registered_fields_and_show_every_default_facet():
    named, aggregated = _all_fields()
    assert named, "the walker found no field: the check would pass vacuously"
    assert named <= set(fields.BY_NAME), f"Kibana names unregistered fields: {sorted(named - set(fields.BY_NAME))}"
    facet_panels = aggregated & set(fields.FACETS)
    assert facet_panels == set(fields.DEFAULT_FACETS), (
        f"dashboard facet panels {sorted(facet_panels)} differ from the registry's default facets "
        f"{sorted(fields.DEFAULT_FACETS)}"
    )
