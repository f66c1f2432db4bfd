"""The index template from config/, and the versioned index behind the alias.

Every name an alias owns is the alias, then "~", then the rest: indices <alias>~<schema hash>-<generation>,
the write alias <alias>~write, the template <alias>~template for <alias>~*. Alias names cannot contain "~"
(newsfacet.settings.validate_alias_name), so no name or pattern of one alias matches another's, even when
one alias name is a prefix of the other ("articles" and "articles-test"). Indices of the old scheme,
<alias>-<hash>-<generation> with the write alias <alias>-write, are still recognised as the alias's own by
their exact shape and the owner recorded in their _meta, and the old write alias is moved on first use.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from newsfacet.errors import SchemaChanged, SettingsError
from newsfacet.settings import CONFIG_DIR, validate_alias_name

TEMPLATE_FILE = CONFIG_DIR / "index" / "articles.json"
SEP = "~"
# Above the 100 of the old "<alias>-*" templates: ES refuses two templates with overlapping patterns and
# equal priority, and an old "articles-*" overlaps a new "articles-test~*".
TEMPLATE_PRIORITY = 200
# A token filter of the template may name a word list under config/ with this key instead of "word_list":
# the list is put inline, so every node gets it with the index settings and none needs a file of its own.
WORD_LIST_FILE = "word_list_file"
# lower case letters only: the decompounder runs after the lowercase filter and before umlaut normalisation
WORD_LIST_ENTRY = re.compile(r"[a-zäöüß]+")


def load_word_list(path: Path) -> list[str]:
    """The words of a word-list file (one a line; blank lines and "#" comments skipped), checked."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read the word list ({exc})") from None
    words = []
    for number, line in enumerate(lines, 1):
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        if not WORD_LIST_ENTRY.fullmatch(word):
            raise SettingsError(f"{path}:{number}: {word!r} is not one lower-case word")
        words.append(word)
    if not words:
        raise SettingsError(f"{path}: the word list is empty")
    return words


def inline_word_lists(settings: dict[str, Any], config_dir: Path) -> dict[str, Any]:
    """The index settings with each token filter's word_list_file replaced by its words, as word_list."""
    settings = copy.deepcopy(settings)
    for name, spec in settings.get("analysis", {}).get("filter", {}).items():
        if WORD_LIST_FILE in spec:
            if "word_list" in spec:
                raise SettingsError(f"{TEMPLATE_FILE}: filter {name} has both word_list and {WORD_LIST_FILE}")
            spec["word_list"] = load_word_list(config_dir / spec.pop(WORD_LIST_FILE))
    return settings


@lru_cache(maxsize=1)
def _template_file() -> dict[str, Any]:
    return json.loads(TEMPLATE_FILE.read_text())


@lru_cache(maxsize=1)
def index_body() -> dict[str, Any]:
    """Settings and mappings of the articles index, as config/index/articles.json has them (word lists inline)."""
    body = copy.deepcopy(_template_file())
    body.pop("_comment", None)
    body.pop("language_fields", None)
    body["settings"] = inline_word_lists(body["settings"], CONFIG_DIR)
    return body


@dataclass(frozen=True)
class LanguageFields:
    """Which text fields get a per-language copy, and the field suffix of each language (zh, ja, ko -> cjk)."""

    fields: tuple[str, ...]
    suffix: dict[str, str]

    def names(self, field: str) -> list[str]:
        """Every per-language field of one text field, in the template's order ("body" -> body_fr, ...)."""
        return [f"{field}_{s}" for s in dict.fromkeys(self.suffix.values())]

    @cached_property
    def copies(self) -> frozenset[str]:
        """Every per-language field of every copied field."""
        return frozenset(n for f in self.fields for n in self.names(f))


@lru_cache(maxsize=1)
def language_fields() -> LanguageFields:
    """The language_fields block of config/index/articles.json, checked against its mapping."""
    spec = _template_file().get("language_fields", {})
    fields, suffix = tuple(spec.get("fields", ())), dict(spec.get("suffix", {}))
    lf = LanguageFields(fields, suffix)
    properties = index_body()["mappings"]["properties"]
    for name in (n for f in fields for n in [f, *lf.names(f)]):
        if properties.get(name, {}).get("type") != "text":
            raise SettingsError(
                f"{TEMPLATE_FILE}: language_fields names {name}, which is not a text field of the mapping"
            )
    return lf


def with_language_fields(source: dict[str, Any]) -> dict[str, Any]:
    """The document with its text fields copied to its own language's fields (body -> body_fr on a French
    article), and no other language's: each text is analysed by english and by its language's analyzer only.

    Copies of another language are dropped, so a document copied from an older index version gets the
    fields that the current template gives its language.
    """
    lf = language_fields()
    doc = {k: v for k, v in source.items() if k not in lf.copies}
    suffix = lf.suffix.get(source.get("language") or "")
    if suffix:
        for name in lf.fields:
            if doc.get(name):
                doc[f"{name}_{suffix}"] = doc[name]
    return doc


def schema_hash() -> str:
    """Short hash of the mapping, settings and language fields: a change to any is a new schema version."""
    spec = {**index_body(), "language_fields": _template_file().get("language_fields")}
    return hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]


def write_alias(alias: str) -> str:
    """The alias the loader writes through; readers use the plain alias."""
    return f"{validate_alias_name(alias)}{SEP}write"


def template_name(alias: str) -> str:
    """The name of the alias's index template."""
    return f"{validate_alias_name(alias)}{SEP}template"


def index_name(alias: str, generation: int) -> str:
    """The physical index of one version: <alias>~<schema hash>-<generation>."""
    return f"{validate_alias_name(alias)}{SEP}{schema_hash()}-{generation:06d}"


def index_patterns(alias: str) -> str:
    """Every index name the alias may own, new and old scheme, as one index expression."""
    return f"{alias}{SEP}*,{alias}-*"


def parse_index(alias: str, name: str) -> tuple[str, int] | None:
    """(schema hash, generation) when the name is one of the alias's versions, else None.

    The old scheme's names end in a fixed-length "-<8 hex>-<6 digits>", so only one alias can own one.
    """
    match = re.fullmatch(re.escape(alias) + r"[~-]([0-9a-f]{8})-(\d{6})", name)
    return (match.group(1), int(match.group(2))) if match else None


def legacy_write_alias(alias: str) -> str:
    """The write alias of the old naming scheme."""
    return f"{alias}-write"


def put_template(es: Elasticsearch, alias: str) -> None:
    """Install the composable template for <alias>~* (idempotent), and remove the alias's old <alias>-* one."""
    body = index_body()
    mappings = {**body["mappings"], "_meta": {"schema_hash": schema_hash(), "alias": alias}}
    es.indices.put_index_template(
        name=template_name(alias),
        index_patterns=[f"{alias}{SEP}*"],
        priority=TEMPLATE_PRIORITY,
        template={"settings": body["settings"], "mappings": mappings},
    )
    legacy = es.options(ignore_status=404).indices.get_index_template(name=f"{alias}-template")
    for item in legacy.get("index_templates", []) if legacy.meta.status == 200 else []:
        if item["index_template"].get("index_patterns") == [f"{alias}-*"]:
            es.indices.delete_index_template(name=item["name"])


def migrate_write_alias(es: Elasticsearch, alias: str) -> None:
    """Move the old-scheme write alias <alias>-write to <alias>~write in one call, if this alias still has it."""
    old, new = legacy_write_alias(alias), write_alias(alias)
    if es.indices.exists_alias(name=new) or not es.indices.exists_alias(name=old):
        return
    owned = [name for name in es.indices.get_alias(name=old) if parse_index(alias, name)]
    actions: list[dict[str, Any]] = []
    for name in owned:
        actions.append({"remove": {"index": name, "alias": old}})
        actions.append({"add": {"index": name, "alias": new, "is_write_index": True}})
    if actions:
        es.indices.update_aliases(actions=actions)


def ensure_index(es: Elasticsearch, alias: str) -> str:
    """The physical index behind the write alias, creating the first version if there is none."""
    put_template(es, alias)
    migrate_write_alias(es, alias)
    if es.indices.exists_alias(name=write_alias(alias)):
        index = next(iter(es.indices.get_alias(name=write_alias(alias))))
        parsed = parse_index(alias, index)
        if parsed is None or parsed[0] != schema_hash():
            raise SchemaChanged(
                f"{TEMPLATE_FILE} changed since {index} was built; run `newsfacet reindex --alias {alias}` first"
            )
        return index
    index = index_name(alias, 1)
    es.indices.create(index=index, aliases={alias: {}, write_alias(alias): {"is_write_index": True}})
    mark_complete(es, index, alias)
    es.cluster.health(index=index, wait_for_status="yellow", timeout="30s")
    return index


def mark_complete(es: Elasticsearch, index: str, alias: str) -> None:
    """Record in the index's _meta that it holds a complete build (see search.aliases)."""
    es.indices.put_mapping(index=index, meta={"schema_hash": schema_hash(), "alias": alias, "complete": True})
