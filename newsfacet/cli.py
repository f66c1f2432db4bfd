"""The newsfacet command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from newsfacet.errors import NewsfacetError, UsageError
from newsfacet.params import IngestParams
from newsfacet.report import run_problems
from newsfacet.settings import get_settings, unknown_env_settings

console = Console()
err_console = Console(stderr=True, soft_wrap=True)
DATE_ARG = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


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
    from flows.ingest import configured_flow

    params = validated(IngestParams, {name: getattr(args, name) for name in IngestParams.model_fields})
    log_to_file()
    report = configured_flow()(params)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print_report(report)
    problems = run_problems(report)  # the same words as the flow run's state message
    if problems:
        err_console.print(f"newsfacet: finished with problems: {problems}", highlight=False, markup=False)
        return EXIT_PROBLEMS
    return 0


EXIT_PROBLEMS = 3  # the run finished, but something was quarantined, skipped or dead-lettered


def validated(model: type[Any], values: dict[str, Any]) -> Any:
    """The pydantic model built from command-line values; its validation errors, whole, as a UsageError."""
    from pydantic import ValidationError

    try:
        return model(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            message = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"--{where.replace('_', '-')}: {message}" if where else message)
        raise UsageError("; ".join(problems)) from None


def add_model_options(parser: argparse.ArgumentParser, model: type[Any]) -> None:
    """One option per field of a pydantic model (a list field named paths is positional), so the CLI and
    the Prefect run form are declared once, by the model."""
    for name, spec in model.model_fields.items():
        annotation = str(spec.annotation)
        if name == "paths":
            parser.add_argument("paths", nargs="*", metavar="PATH", help=spec.description)
        elif spec.annotation is bool:
            parser.add_argument(f"--{name.replace('_', '-')}", action="store_true", help=spec.description)
        else:
            kind = int if "int" in annotation else None  # dates and strings: pydantic parses them
            parser.add_argument(f"--{name.replace('_', '-')}", type=kind, help=spec.description)


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
        if not value.strip():
            raise UsageError(f"--filter {item!r} has no value: give FACET=VALUE")
        filters.setdefault(name, []).append(value)
    for flag, value in (("--from", args.date_from), ("--to", args.date_to)):
        if value and not DATE_ARG.match(value):
            raise UsageError(f"{flag} takes a date as YYYY, YYYY-MM or YYYY-MM-DD; got {value!r}")
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
    result = search_articles(connect(settings), args.alias or settings.alias, req)  # QuerySyntaxError: one line
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        _print_search(result)
    return 0


def cmd_es(args: argparse.Namespace) -> int:
    """Manage the embedded dev Elasticsearch node."""
    from newsfacet.devstack import stack
    from newsfacet.devstack.esnode import answers

    settings = get_settings()
    if args.es_command == "start":
        info = stack.start_es(settings, http_port=args.port, nodes=args.nodes)
        what = f"{args.nodes}-node dev cluster" if args.nodes > 1 else "dev node"
        console.print(f"Elasticsearch {what} running at {info.url} (pid {info.pid}, data in {info.home})")
        console.print(f"use it with: export ELASTICSEARCH_URL={info.url}")
    elif args.es_command == "stop":
        console.print("stopped" if stack.stop_es(settings) else "no dev node was running")
    else:
        if settings.elasticsearch_url:  # the cluster every command would use, not the dev node
            from search.client import connect, redact_url

            connect(settings)  # ClusterUnavailable: one line, exit 1
            console.print(f"Elasticsearch at {redact_url(settings.elasticsearch_url)} (ELASTICSEARCH_URL): answering")
            return 0
        info = stack.running_node(settings)
        if info is None:
            console.print("no dev node running")
            return 1
        state = "answering" if all(answers(u) for u in info.url.split(",")) else "not answering"
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
        if settings.elasticsearch_api_key:  # Kibana takes the same API key as Elasticsearch
            headers["Authorization"] = "ApiKey " + settings.elasticsearch_api_key.get_secret_value()
        elif settings.elasticsearch_username and settings.elasticsearch_password:
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


def cmd_up(args: argparse.Namespace) -> int:
    """Start (or reuse) the local stack: Elasticsearch, the Prefect server and UI, and the nightly worker."""
    from newsfacet.devstack import stack

    parts = stack.up(get_settings())
    es = parts["es"]
    console.print(f"Elasticsearch  {es['url']}" + (" (ELASTICSEARCH_URL)" if es.get("external") else ""))
    console.print(f"Prefect UI     {parts['prefect']['ui']}")
    console.print(f"Prefect API    {parts['prefect']['url']}  (every newsfacet command now uses it)")
    console.print(f"worker         pid {parts['worker']['pid']}, serving {parts['worker']['deployment']}")
    console.print("stop everything with: newsfacet down")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    """Stop the local stack."""
    from newsfacet.devstack import stack

    stopped = stack.down(get_settings())
    console.print("stopped " + ", ".join(stopped) if stopped else "nothing was running")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Each part of the local stack with its URL and pid; exit 1 unless all of them answer."""
    from newsfacet.devstack import stack

    parts = stack.status(get_settings())
    table = Table(title="newsfacet local stack")
    for col in ("part", "url", "pid", "state"):
        table.add_column(col)
    for name, part in parts.items():
        if part is None:
            table.add_row(name, "", "", "not running")
        else:
            url = part.get("ui") or part.get("url") or part.get("log", "")
            state = "answering" if part["answering"] else "not answering"
            table.add_row(name, str(url), str(part.get("pid", "")), state)
    console.print(table)
    return 0 if all(p and p["answering"] for p in parts.values()) else 1


def quiet_console(verbose: bool) -> None:
    """Prefect's log lines go to the flow run (and the UI), not to the console, unless -v.

    Set before Prefect is imported: it reads these when it configures logging.
    """
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL", "CRITICAL")


def log_to_file() -> None:
    """Log records and third-party warnings also go to cache_dir/logs/newsfacet.log, where a person can read them."""
    import prefect  # noqa: F401  (it configures logging on import; our handler must come after, or it is dropped)

    path = get_settings().cache_path / "logs" / "newsfacet.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    # third-party INFO chatter (HTTP requests, trafilatura) stays out even of the file
    for name in ("elastic_transport", "trafilatura", "httpx", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def use_local_prefect() -> None:
    """Point Prefect at the local server `newsfacet up` started, unless PREFECT_API_URL says otherwise.

    Without it every command would start (and throw away) a temporary server, and its runs would never
    show in the UI. Must run before Prefect is imported: it reads its settings then.
    """
    import os

    from newsfacet.localstate import recorded_url
    from newsfacet.settings import load_settings

    if "PREFECT_API_URL" in os.environ:
        return
    try:
        url = recorded_url(load_settings(), "prefect")
    except NewsfacetError:
        return  # a bad setting is reported by the command itself
    if url:
        os.environ["PREFECT_API_URL"] = url


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="newsfacet", description="Raw news dumps in, a faceted Elasticsearch index out."
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="show Prefect's log lines on the console")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="ingest dump files or directories")
    add_model_options(p, IngestParams)
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

    p = sub.add_parser("up", help="start the local stack: Elasticsearch, Prefect server and UI, nightly worker")
    p.set_defaults(func=cmd_up)
    p = sub.add_parser("down", help="stop the local stack")
    p.set_defaults(func=cmd_down)
    p = sub.add_parser("status", help="show each part of the local stack with its URL and pid")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("es", help="manage the embedded dev Elasticsearch node")
    p.add_argument("es_command", choices=["start", "stop", "status"])
    p.add_argument("--port", type=int, default=0, help="HTTP port for start (default: a free one)")
    p.add_argument("--nodes", type=int, default=1, help="start an N-node loopback cluster (separate JVMs)")
    p.set_defaults(func=cmd_es)
    return parser


# Packages whose errors already say in one line what went wrong; their tracebacks only with --debug
# Client errors that connect() and the load task already turn into one line of their own.
EXPLAINED_LIBRARIES = ("elastic_transport", "elasticsearch")


class _NoExplainedTraceback(logging.Filter):
    """Drop the traceback Prefect and elastic_transport attach to a log record of an explained error."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, NewsfacetError) or type(exc).__module__.split(".")[0] in EXPLAINED_LIBRARIES:
            record.exc_info, record.exc_text = None, None
        return True


def _quiet_known_errors() -> None:
    """Without --debug, a failed flow run logs the one-line reason, not a traceback (tracebacks only with --debug)."""
    for name in ("prefect.flow_runs", "prefect.task_runs", "elastic_transport.transport"):
        logging.getLogger(name).addFilter(_NoExplainedTraceback())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    if not args.debug:
        _quiet_known_errors()
    func: Callable[[argparse.Namespace], int] = args.func
    quiet_console(args.verbose or args.debug or args.command == "serve")  # a worker's console is its log
    use_local_prefect()
    for warning in unknown_env_settings():
        err_console.print(f"newsfacet: warning: {warning}", highlight=False, markup=False)
    try:
        return func(args)
    except KeyboardInterrupt:
        err_console.print("newsfacet: interrupted")
        return 130
    except NewsfacetError as exc:
        if args.debug:
            traceback.print_exc()
        err_console.print(f"newsfacet: {exc}", highlight=False, markup=False)
        return exc.exit_code
    except Exception as exc:  # a bug, or a library error we have not put into words yet: keep its type
        if args.debug:
            traceback.print_exc()
        message = str(exc).splitlines()[0] if str(exc) else ""
        err_console.print(f"newsfacet: {type(exc).__name__}: {message}", highlight=False, markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
