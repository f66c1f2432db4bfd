"""The CLI against a secured cluster: TLS (CA file or fingerprint) and credentials (basic, API key, Secret block).

nginx (tests/tlsproxy.py) terminates TLS and checks credentials in front of the session's real node, so
every request below crosses a real TLS handshake and a real 401 check before reaching Elasticsearch.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tlsproxy import NGINX, SecuredFront, secured_front

pytestmark = pytest.mark.usefixtures("prefect_api")
NEWSFACET = Path(sys.executable).parent / "newsfacet"
CREDENTIAL_VARS = (
    "ELASTICSEARCH_API_KEY",
    "ELASTICSEARCH_USERNAME",
    "ELASTICSEARCH_PASSWORD",
    "ELASTICSEARCH_CA_CERTS",
    "ELASTICSEARCH_FINGERPRINT",
    "ELASTICSEARCH_SECRET_BLOCK",
)


@pytest.fixture(scope="module")
def front(es_url: str, tmp_path_factory: pytest.TempPathFactory):
    assert Path(NGINX).exists(), "these tests need Debian's nginx: apt-get install -y nginx"
    with secured_front(es_url, tmp_path_factory.mktemp("tls-front")) as proxy:
        yield proxy


def save_secret_block(value: dict[str, str]) -> str:
    from prefect.blocks.system import Secret

    name = "nf-es-" + secrets.token_hex(4)
    Secret(value=json.dumps(value)).save(name)
    return name


def cluster_env(front: SecuredFront, trust: str, auth: str) -> dict[str, str]:
    """Environment for one way to trust the cluster (ca, fingerprint) and one way to authenticate."""
    env = (
        {"ELASTICSEARCH_CA_CERTS": str(front.ca_file)}
        if trust == "ca"
        else {"ELASTICSEARCH_FINGERPRINT": front.fingerprint}
    )
    basic = {"username": front.username, "password": front.password}
    if auth == "basic":
        env |= {"ELASTICSEARCH_URL": front.basic_url, "ELASTICSEARCH_USERNAME": basic["username"]}
        env["ELASTICSEARCH_PASSWORD"] = basic["password"]
    elif auth == "api_key":
        env |= {"ELASTICSEARCH_URL": front.api_key_url, "ELASTICSEARCH_API_KEY": front.api_key}
    elif auth == "block_basic":
        env |= {"ELASTICSEARCH_URL": front.basic_url, "ELASTICSEARCH_SECRET_BLOCK": save_secret_block(basic)}
    else:
        assert auth == "block_api_key"
        block = save_secret_block({"api_key": front.api_key})
        env |= {"ELASTICSEARCH_URL": front.api_key_url, "ELASTICSEARCH_SECRET_BLOCK": block}
    return env


def run_cli(args: list[str], env: dict[str, str], cache: Path) -> subprocess.CompletedProcess[str]:
    # start from the session's environment without any credential, so each case sees only its own
    base = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARS}
    full = {**base, "NEWSFACET_CACHE_DIR": str(cache), **env}
    full["COLUMNS"] = "200"  # rich wraps at 80 columns without a terminal
    return subprocess.run([NEWSFACET, *args], env=full, capture_output=True, text=True, timeout=300)


def prefect_texts() -> list[str]:
    """Every log message and artifact the Prefect server holds, page by page."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter

    texts: list[str] = []
    with get_client(sync_client=True) as client:
        for read in (
            lambda off: [log.message for log in client.read_logs(log_filter=LogFilter(), limit=200, offset=off)],
            lambda off: [f"{a.key} {a.description} {a.data}" for a in client.read_artifacts(limit=200, offset=off)],
        ):
            offset = 0
            while page := read(offset):
                texts += page
                offset += len(page)
    return texts


def assert_no_secret(secrets_: list[str], runs: list[subprocess.CompletedProcess[str]], cache: Path) -> None:
    """No secret is in any output, any file under the cache dir, any Prefect log or artifact."""
    files = [p for p in cache.rglob("*") if p.is_file()]
    texts = prefect_texts()
    assert texts, "the Prefect server holds no logs at all: the leak check would be empty"
    for secret in secrets_:
        for run in runs:
            assert secret not in run.stdout + run.stderr, run.args
        for path in files:
            assert secret.encode() not in path.read_bytes(), path
        assert not [t for t in texts if secret in t]


def one_error_line(run: subprocess.CompletedProcess[str]) -> str:
    """The single 'newsfacet:' line of a failed command; no traceback around it."""
    assert run.returncode != 0, run.stdout[-1000:]
    assert "Traceback" not in run.stderr + run.stdout, run.stderr[-3000:]
    lines = [line for line in run.stderr.splitlines() if line.startswith("newsfacet:")]
    assert len(lines) == 1, run.stderr[-3000:]
    return lines[0]


TRUST = ["ca", "fingerprint"]
AUTH = ["basic", "api_key", "block_basic", "block_api_key"]
# Every command runs once with each way to trust the cluster and each way to authenticate...
WORKFLOWS = [("ca", "basic"), ("fingerprint", "api_key"), ("ca", "block_api_key")]
# ...and the cheap `search` covers every other pair.
SEARCH_ONLY = [(trust, auth) for trust in TRUST for auth in AUTH if (trust, auth) not in WORKFLOWS]


@pytest.mark.parametrize(("trust", "auth"), WORKFLOWS)
def test_setup_ingest_reindex_search_through_the_front(es, front, trust, auth, alias, sample_dir, tmp_path):
    env, cache = cluster_env(front, trust, auth), tmp_path / "cache"
    runs = [run_cli(["setup", "--alias", alias], env, cache)]
    assert runs[-1].returncode == 0, runs[-1].stderr[-2000:]
    (first,) = es.indices.get_alias(name=alias)  # checked on the node itself, behind the proxy

    runs.append(run_cli(["ingest", "--alias", alias, "--n-process", "1", "--json", str(sample_dir)], env, cache))
    assert runs[-1].returncode == 0, runs[-1].stderr[-2000:]
    assert json.loads(runs[-1].stdout)["stages"]["load"]["indexed"] == 1

    runs.append(run_cli(["reindex", "--alias", alias], env, cache))
    assert runs[-1].returncode == 0, runs[-1].stderr[-2000:]
    (second,) = es.indices.get_alias(name=alias)
    assert second != first and es.count(index=second)["count"] == 1

    runs.append(run_cli(["search", "--alias", alias, "--json", "Kerry"], env, cache))
    assert runs[-1].returncode == 0, runs[-1].stderr[-2000:]
    assert json.loads(runs[-1].stdout)["total"] == 1

    assert_no_secret([front.password, front.api_key], runs, cache)


@pytest.fixture(scope="module")
def searchable(es) -> str:
    """An alias with one article, made on the node directly, for the search-only cases."""
    from search.schema import ensure_index

    alias = "nf-secured-" + secrets.token_hex(4)
    ensure_index(es, alias)
    es.index(index=alias, id="kerry", document={"title": "Kerry meets Putin in Sochi", "source": "test"}, refresh=True)
    yield alias
    from search.schema import template_name

    es.indices.delete(index=f"{alias}~*")
    es.indices.delete_index_template(name=template_name(alias))


@pytest.mark.parametrize(("trust", "auth"), SEARCH_ONLY)
def test_search_through_the_front(front, trust, auth, searchable, tmp_path):
    env, cache = cluster_env(front, trust, auth), tmp_path / "cache"
    run = run_cli(["search", "--alias", searchable, "--json", "Kerry"], env, cache)
    assert run.returncode == 0, run.stderr[-2000:]
    assert [hit["id"] for hit in json.loads(run.stdout)["hits"]] == ["kerry"]
    for secret in (front.password, front.api_key):
        assert secret not in run.stdout + run.stderr


def test_the_ca_fingerprint_pins_too(front, searchable, tmp_path):
    """The CA's fingerprint (what a cluster that set up its own security prints) works like the server's."""
    from cryptography import x509

    from tests.tlsproxy import sha256_fingerprint

    env = cluster_env(front, "fingerprint", "basic")
    env["ELASTICSEARCH_FINGERPRINT"] = sha256_fingerprint(x509.load_pem_x509_certificate(front.ca_file.read_bytes()))
    run = run_cli(["search", "--alias", searchable, "--json", "Kerry"], env, tmp_path / "cache")
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout)["total"] == 1


def failure_env(front: SecuredFront, case: str, node_url: str = "") -> tuple[dict[str, str], str]:
    """The environment of one mistake, and the start of the line it must produce."""
    basic = {"ELASTICSEARCH_USERNAME": front.username, "ELASTICSEARCH_PASSWORD": front.password}
    ca = {"ELASTICSEARCH_CA_CERTS": str(front.ca_file)}
    url = {"ELASTICSEARCH_URL": front.basic_url}
    cert = f"newsfacet: TLS: the certificate of {front.basic_url}"
    block = save_secret_block({"api_key": front.api_key[::-1]}) if case == "wrong_api_key_in_block" else ""
    return {
        "wrong_ca": (
            {**url, **basic, "ELASTICSEARCH_CA_CERTS": str(front.wrong_ca_file)},
            f"{cert} is not signed by the CA in {front.wrong_ca_file} (ELASTICSEARCH_CA_CERTS)",
        ),
        "no_ca": ({**url, **basic}, f"{cert} is not signed by a CA this machine trusts"),
        "expired": (
            {**basic, **ca, "ELASTICSEARCH_URL": front.expired_url},
            f"newsfacet: TLS: the certificate of {front.expired_url} has expired",
        ),
        "wrong_fingerprint": (
            {**url, **basic, "ELASTICSEARCH_FINGERPRINT": "AB:" * 31 + "AB"},
            f"{cert} does not match ELASTICSEARCH_FINGERPRINT",
        ),
        "wrong_password": (
            {**url, **ca, **basic, "ELASTICSEARCH_PASSWORD": front.password[::-1]},
            f"newsfacet: Elasticsearch at {front.basic_url} refused the username/password (HTTP 401)",
        ),
        "wrong_api_key": (
            {**ca, "ELASTICSEARCH_URL": front.api_key_url, "ELASTICSEARCH_API_KEY": front.api_key[::-1]},
            f"newsfacet: Elasticsearch at {front.api_key_url} refused the API key (HTTP 401)",
        ),
        "wrong_api_key_in_block": (
            {**ca, "ELASTICSEARCH_URL": front.api_key_url, "ELASTICSEARCH_SECRET_BLOCK": block},
            f"newsfacet: Elasticsearch at {front.api_key_url} refused the API key from Prefect Secret block {block!r}",
        ),
        "missing_api_key": (
            {**ca, "ELASTICSEARCH_URL": front.api_key_url},
            f"newsfacet: Elasticsearch at {front.api_key_url} asks for credentials: set ELASTICSEARCH_API_KEY",
        ),
        "plain_http": (
            {**basic, "ELASTICSEARCH_URL": front.basic_url.replace("https://", "http://")},
            f"newsfacet: Elasticsearch at {front.basic_url.replace('https://', 'http://')} speaks HTTPS: "
            "use an https:// URL",
        ),
        "https_to_plain_node": (
            {"ELASTICSEARCH_URL": node_url.replace("http://", "https://")},
            f"newsfacet: Elasticsearch at {node_url.replace('http://', 'https://')} does not speak HTTPS: "
            "use an http:// URL",
        ),
        "missing_ca_file": (
            {**url, **basic, "ELASTICSEARCH_CA_CERTS": str(front.workdir / "no-such-ca.crt")},
            f"newsfacet: bad setting ELASTICSEARCH_CA_CERTS: no file {front.workdir / 'no-such-ca.crt'}",
        ),
    }[case]


FAILURES = [
    "wrong_ca",
    "no_ca",
    "expired",
    "wrong_fingerprint",
    "wrong_password",
    "wrong_api_key",
    "wrong_api_key_in_block",
    "missing_api_key",
    "plain_http",
    "https_to_plain_node",
    "missing_ca_file",
]


@pytest.mark.parametrize("case", FAILURES)
def test_a_mistake_is_one_line(front, case, es_url, tmp_path):
    env, expected = failure_env(front, case, es_url.split(",")[0])
    run = run_cli(["search", "--alias", "articles"], env, tmp_path / "cache")
    line = one_error_line(run)
    assert line.startswith(expected), line
    for secret in (front.password, front.api_key, front.password[::-1], front.api_key[::-1]):
        assert secret not in run.stdout + run.stderr


def test_ingest_fails_with_the_same_line(front, sample_dir, tmp_path):
    """The flow's connect gives the same one line, no traceback, and leaves the secret nowhere."""
    env, expected = failure_env(front, "wrong_password")
    cache = tmp_path / "cache"
    run = run_cli(["ingest", "--alias", "nf-never-created", "--n-process", "1", str(sample_dir)], env, cache)
    line = one_error_line(run)
    assert line.startswith(expected), line
    assert_no_secret([front.password, front.password[::-1]], [run], cache)
