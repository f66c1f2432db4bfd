"""The newsfacet command line."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from newsfacet.settings import SettingsError, get_settings

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _print_report(report: dict[str, Any]) -> None:
    from readers import one_line

    table = Table(title=f"ingest into {report['alias']} ({report['index']})")
    for col in ("stage", "counter", "value"):
        table.add_column(col)
    for key, value in sorted(report["counts"].items()):
        table.add_row("run", key, str(value))
    for stage, counts in report["stages"].items():
        for key, value in sorted(counts.items()):
            table.add_row(stage, key, str(value))
    console.print(table)
    for item in report["quarantined"]:
        console.print(f"[yellow]quarantined[/] {one_line(item['path'])}: {one_line(item['reason'])}", highlight=False)
    for item in report["dead_letters"][:20]:
        console.print(f"[red]rejected[/] {item['_id']}: {item['reason'][:200]}", markup=True, highlight=False)


def cmd_ingest(args: argparse.Namespace) -> int:
    """Run the ingest flow over the given paths."""
    from flows.ingest import IngestParams, configured_flow

    params = IngestParams(
        paths=args.paths,
        source_name=args.source_name,
        source=args.source,
        alias=args.alias,
        reprocess=args.reprocess,
        since=args.since,
        batch_size=args.batch_size,
        n_process=args.n_process,
    )
    report = configured_flow()(params)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print_report(report)
    load = report["stages"].get("load", {})
    return 1 if load.get("failed") else 0


def _print_search(result: dict[str, Any]) -> None:
    console.print(f"[bold]{result['total']}[/] matching articles")
    for hit in result["hits"]:
        console.print(f"- [bold]{hit['title']}[/] ({hit['published_at'] or 'undated'}, {hit['source']})")
        for frag in hit["highlight"][:2]:
            console.print("    " + frag.replace("<em>", "[reverse]").replace("</em>", "[/reverse]"))
    for name, buckets in result["facets"].items():
        table = Table(title=name, show_header=False, min_width=40)
        for key, count in buckets:
            table.add_row(str(key), str(count))
        console.print(table)


def cmd_search(args: argparse.Namespace) -> int:
    """Faceted search over the alias."""
    from search.client import connect
    from search.query import DEFAULT_FACETS, FACETS, SearchRequest, search_articles

    filters: dict[str, list[str]] = {}
    for item in args.filter or []:
        name, sep, value = item.partition("=")
        if not sep or name not in FACETS:
            raise UsageError(f"--filter takes FACET=VALUE with FACET one of {', '.join(FACETS)}; got {item!r}")
        filters.setdefault(name, []).append(value)
    for name in args.facet or []:
        if name not in FACETS:
            raise UsageError(f"--facet takes one of {', '.join(FACETS)}; got {name!r}")
    settings = get_settings()
    req = SearchRequest(
        query=" ".join(args.query),
        filters=filters,
        date_from=args.date_from,
        date_to=args.date_to,
        facets=tuple(args.facet) if args.facet else DEFAULT_FACETS,
        size=args.size,
        collapse=args.collapse,
    )
    result = search_articles(connect(settings), args.alias or settings.alias, req)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        _print_search(result)
    return 0


def cmd_es(args: argparse.Namespace) -> int:
    """Manage the embedded dev Elasticsearch node."""
    from search import node

    settings = get_settings()
    if args.es_command == "start":
        info = node.start(settings, http_port=args.port, nodes=args.nodes)
        what = f"{args.nodes}-node dev cluster" if args.nodes > 1 else "dev node"
        console.print(f"Elasticsearch {what} running at {info.url} (pid {info.pid}, data in {info.home})")
        console.print(f"use it with: export ELASTICSEARCH_URL={info.url}")
    elif args.es_command == "stop":
        console.print("stopped" if node.stop(settings) else "no dev node was running")
    else:
        info = node.running_node(settings)
        if info is None:
            console.print("no dev node running")
            return 1
        state = "answering" if all(node.answers(u) for u in info.url.split(",")) else "not answering"
        console.print(f"dev node at {info.url} (pid {info.pid}): {state}")
        return 0 if state == "answering" else 1
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    """Put the index template, create the first index and its aliases, import Kibana objects."""
    import os

    from search.client import connect
    from search.schema import ensure_index, template_name

    settings = get_settings()
    alias = args.alias or settings.alias
    index = ensure_index(connect(settings), alias)
    console.print(f"template {template_name(alias)} in place; {alias} -> {index}")
    kibana_url = args.kibana_url or os.environ.get("KIBANA_URL")
    if kibana_url:
        from search.kibana import import_saved_objects

        headers = {}
        if settings.elasticsearch_username and settings.elasticsearch_password:
            import base64

            token = f"{settings.elasticsearch_username}:{settings.elasticsearch_password.get_secret_value()}"
            headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
        count = import_saved_objects(kibana_url, headers)
        console.print(f"imported {count} Kibana saved objects into {kibana_url}")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    """Build a new index version (from the serving index, or from dumps) and swap the alias to it."""
    from newsfacet.locking import alias_lock
    from search import aliases
    from search.client import connect

    settings = get_settings()
    alias = args.alias or settings.alias
    es = connect(settings)
    if args.from_dumps:
        from flows.ingest import IngestParams, configured_flow

        def fill(_index: str) -> None:
            report = configured_flow()(IngestParams(paths=args.from_dumps, alias=alias, reprocess=True))
            if report["stages"].get("load", {}).get("failed"):
                raise aliases.AliasError(f"{report['stages']['load']['failed']} documents failed; alias not swapped")

        old, new = aliases.reindex(es, alias, settings.keep_versions, settings.refresh_interval, fill)
    else:
        # no ingest may write to the old index while it is being copied
        with alias_lock(settings.cache_path / "locks", alias, settings.lock_timeout):
            old, new = aliases.reindex(es, alias, settings.keep_versions, settings.refresh_interval)
    console.print(f"{alias}: {old} -> {new} ({es.count(index=alias)['count']} documents)")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    """Point the alias back at the previous index version."""
    from search import aliases
    from search.client import connect

    settings = get_settings()
    alias = args.alias or settings.alias
    was, now = aliases.rollback(connect(settings), alias)
    console.print(f"{alias}: {was} -> {now}")
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    """List the index versions behind the alias."""
    from search import aliases
    from search.client import connect

    settings = get_settings()
    alias = args.alias or settings.alias
    rows = aliases.versions(connect(settings), alias)
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], indent=2))
        return 0
    table = Table(title=f"versions of {alias}")
    for col in ("index", "docs", "read", "write", "complete"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.name, str(r.docs), "yes" if r.read else "", "yes" if r.write else "", "yes" if r.complete else ""
        )
    console.print(table)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Register the nightly deployment and serve its runs until stopped."""
    from flows.serve import serve_nightly

    serve_nightly(get_settings())
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Score the transforms against the hand-written gold answers (no Elasticsearch, no Prefect)."""
    from pathlib import Path

    from newsfacet.evaluate import DEFAULT_GOLD_DIR, evaluate, format_report

    ev = evaluate(Path(args.gold) if args.gold else DEFAULT_GOLD_DIR)
    if args.json:
        print(json.dumps(ev.to_dict(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(format_report(ev))
    return 0


class UsageError(Exception):
    """A bad command-line value; printed as one line."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="newsfacet", description="Raw news dumps in, a faceted Elasticsearch index out."
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="ingest dump files or directories")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--source-name", help="a source defined in config/sources.toml (its paths and label)")
    p.add_argument("--alias", help="alias to load into (default: setting 'alias', 'articles')")
    p.add_argument("--source", help="source facet value for files that carry none (default: the folder name)")
    p.add_argument("--reprocess", action="store_true", help="process every file, even unchanged ones")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only files modified on or after this date")
    p.add_argument("--batch-size", type=int, help="articles per chunk (default: setting chunk_size)")
    p.add_argument("--n-process", type=int, help="spaCy processes (default: setting n_process)")
    p.add_argument("--json", action="store_true", help="print the run report as JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="search the index and show facet counts")
    p.add_argument("query", nargs="*", help="query string (Lucene syntax); empty matches all")
    p.add_argument("--alias")
    p.add_argument("--facet", action="append", help="facet to count (repeatable)")
    p.add_argument("--filter", action="append", metavar="FACET=VALUE", help="keep hits with this facet value")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="published on or after")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="published on or before")
    p.add_argument("--size", type=int, default=10, help="hits to show")
    p.add_argument("--collapse", action="store_true", help="one hit per near-duplicate cluster")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("setup", help="install the index template, first index, aliases and Kibana objects")
    p.add_argument("--alias")
    p.add_argument("--kibana-url", help="Kibana to import saved objects into (default: $KIBANA_URL)")
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("reindex", help="rebuild into a new index version and swap the alias atomically")
    p.add_argument("--alias")
    p.add_argument("--from-dumps", nargs="+", metavar="PATH", help="rebuild from these dumps instead of the index")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("rollback", help="point the alias back at the previous index version")
    p.add_argument("--alias")
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser("versions", help="list the index versions behind the alias")
    p.add_argument("--alias")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser("serve", help="register the nightly deployment and run its flow runs (Prefect)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("evaluate", help="quality figures of the transforms on the gold fixtures")
    p.add_argument("--gold", metavar="DIR", help="gold folder (default: tests/fixtures/gold)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("es", help="manage the embedded dev Elasticsearch node")
    p.add_argument("es_command", choices=["start", "stop", "status"])
    p.add_argument("--port", type=int, default=0, help="HTTP port for start (default: a free one)")
    p.add_argument("--nodes", type=int, default=1, help="start an N-node loopback cluster (separate JVMs)")
    p.set_defaults(func=cmd_es)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        err_console.print("newsfacet: interrupted")
        return 130
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        known = (
            isinstance(exc, (SettingsError, UsageError))
            or type(exc).__module__.split(".")[0]
            in (
                "search",
                "readers",
                "newsfacet",
            )
            or type(exc).__name__ in ("KibanaError",)
        )
        prefix = "" if known else f"{type(exc).__name__}: "
        err_console.print(f"newsfacet: {prefix}{message}", highlight=False, markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
