"""The shell steps of docker-compose.yml, executed: each service's `command` runs under bash as compose
would run it (mounted paths mapped to the repository), with stub elasticsearch-certutil, unzip, curl and
sleep (tests/shell_stubs.py) that record their arguments and refuse the ones the real programs would."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from newsfacet.settings import REPO_ROOT
from tests import shell_stubs
from tests.test_compose import COMPOSE_FILE, INTERPOLATION

FOLDED = Path(__file__).parent / "fixtures" / "compose" / "folded-commands.yml"
SCRIPTS = sorted((REPO_ROOT / "deploy").glob("*.sh"))
SHELL_FILES = [*SCRIPTS, *sorted((REPO_ROOT / "devtools").glob("*.sh")), REPO_ROOT / ".ci" / "run"]
ES_PASSWORD = "elastic-pw"
# a password with the characters a JSON string or a shell quote must escape
KIBANA_PASSWORD = 'kib"ana\\pa$s word'
PASSWORD_URL = "https://elasticsearch:9200/_security/user/kibana_system/_password"
VALUES = {"ELASTIC_PASSWORD": ES_PASSWORD, "KIBANA_PASSWORD": KIBANA_PASSWORD, "KIBANA_ENCRYPTION_KEY": "k" * 32}


@dataclass
class Run:
    returncode: int | None  # None: still running when the test gave up on it
    output: str
    log: Path

    def calls(self, tool: str) -> list[list[str]]:
        return shell_stubs.calls(self.log, tool)


def interpolate(text: str, values: dict[str, str]) -> str:
    """Compose's variable substitution: ${VAR...} from values (else its default), then $$ to $."""

    def value(m: re.Match[str]) -> str:
        if m["name"] in values:
            return values[m["name"]]
        assert m["op"] in (":-", "-"), f"test gives no value for required variable {m['name']}"
        return m["arg"]

    return INTERPOLATION.sub(value, text).replace("$$", "$")


def service_argv(service: dict[str, Any]) -> list[str]:
    """The service's command as compose would exec it, with paths under a bind mount mapped to the repository."""
    command = service.get("command") or []
    words = shlex.split(interpolate(command, VALUES)) if isinstance(command, str) else [str(w) for w in command]
    binds = {}
    for volume in service.get("volumes") or []:
        source, target = str(volume).split(":")[:2]
        if source.startswith("./"):
            binds[target] = REPO_ROOT / source[2:]
    for i, word in enumerate(words):
        for target, source in binds.items():
            if word == target or word.startswith(target + "/"):
                words[i] = str(source) + word[len(target) :]
    return words


def run_service(
    service: dict[str, Any],
    tmp_path: Path,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    argv: list[str] | None = None,
) -> Run:
    """Run a compose service's command (or argv) with its environment, cwd the image's ES home, stubs first on PATH."""
    es_home = tmp_path / "es"
    shell_stubs.install(es_home / "bin", ["elasticsearch-certutil"])
    shell_stubs.install(tmp_path / "stubs", ["unzip", "curl", "sleep"])
    (es_home / "config" / "certs").mkdir(parents=True, exist_ok=True)
    log = tmp_path / "calls.jsonl"
    service_env = {k: interpolate(str(v), VALUES) for k, v in (service.get("environment") or {}).items()}
    full_env = {
        "PATH": f"{tmp_path / 'stubs'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "STUB_LOG": str(log),
        "ES_HOME": str(es_home),
        "CERTS_OWNER": f"{os.getuid()}:{os.getgid()}",
        **service_env,
        **(env or {}),
    }
    proc = subprocess.Popen(
        argv or service_argv(service),
        cwd=es_home,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
        return Run(proc.returncode, output, log)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        output, _ = proc.communicate()
        return Run(None, output, log)


def option(argv: list[str], name: str) -> str | None:
    """The value after the last occurrence of option `name` (None if absent)."""
    values = [argv[i + 1] for i, word in enumerate(argv[:-1]) if word == name]
    return values[-1] if values else None


def compose_services(path: Path = COMPOSE_FILE) -> dict[str, dict[str, Any]]:
    return yaml.safe_load(path.read_text())["services"]


# --- the checks, shared by the compose file and the folded-block regression ----------------------


def check_certs_step(service: dict[str, Any], tmp_path: Path) -> None:
    run = run_service(service, tmp_path)
    assert run.returncode == 0, f"certs step exited {run.returncode}:\n{run.output}"
    certs = tmp_path / "es" / "config" / "certs"
    for file in ("ca/ca.crt", "ca/ca.key", "elasticsearch/elasticsearch.crt", "elasticsearch/elasticsearch.key"):
        assert (certs / file).is_file(), f"certs step left no {file}:\n{run.output}"
    modes = [argv[0] for argv in run.calls("elasticsearch-certutil")]
    assert modes == ["ca", "cert"], f"certutil calls: {run.calls('elasticsearch-certutil')}"
    [cert] = [argv for argv in run.calls("elasticsearch-certutil") if argv[0] == "cert"]
    assert Path(option(cert, "--ca-cert") or "").name == "ca.crt", cert
    assert Path(option(cert, "--ca-key") or "").name == "ca.key", cert
    instances = yaml.safe_load(Path(option(cert, "--in") or "/nonexistent").read_text())["instances"]
    assert instances == [{"name": "elasticsearch", "dns": ["elasticsearch", "localhost"], "ip": ["127.0.0.1"]}]


def check_kibana_password_step(service: dict[str, Any], tmp_path: Path, timeout: float = 60) -> None:
    ca = tmp_path / "es" / "config" / "certs" / "ca" / "ca.crt"
    ca.parent.mkdir(parents=True)
    ca.write_text(shell_stubs.pem("CERTIFICATE", "ca"))
    # Elasticsearch not listening yet, then not ready, then the password is set
    env = {"STUB_CURL_ANSWERS": "000,503,200", "STUB_ES_CREDENTIALS": f"elastic:{ES_PASSWORD}"}
    run = run_service(service, tmp_path, env, timeout=timeout)
    requests = run.calls("curl")
    assert run.returncode == 0, f"kibana-password step exited {run.returncode}; curl calls {requests}:\n{run.output}"
    assert len(requests) == 3, f"expected a retry until the third answer (200), got {requests}"
    assert len(run.calls("sleep")) == 2, run.calls("sleep")
    for argv in requests:
        assert option(argv, "-u") == f"elastic:{ES_PASSWORD}", argv
        assert [w for w in argv if w.startswith("https://")] == [PASSWORD_URL], argv
        assert option(argv, "-X") in (None, "POST"), argv
        assert option(argv, "-H") == "Content-Type: application/json", argv
        assert json.loads(option(argv, "-d") or "null") == {"password": KIBANA_PASSWORD}, argv
        assert option(argv, "--cacert") and Path(option(argv, "--cacert")).resolve() == ca.resolve(), argv


# --- the compose file's own steps ----------------------------------------------------------------


def test_certs_step_leaves_the_ca_and_node_certificate(tmp_path):
    check_certs_step(compose_services()["certs"], tmp_path)


def test_certs_step_is_kept_on_a_second_run(tmp_path):
    service = compose_services()["certs"]
    check_certs_step(service, tmp_path)
    first = (tmp_path / "es" / "config" / "certs" / "elasticsearch" / "elasticsearch.crt").read_text()
    (tmp_path / "calls.jsonl").unlink()
    again = run_service(service, tmp_path)
    assert again.returncode == 0, again.output
    assert again.calls("elasticsearch-certutil") == [], "an existing CA and certificate must not be replaced"
    assert (tmp_path / "es" / "config" / "certs" / "elasticsearch" / "elasticsearch.crt").read_text() == first


@pytest.mark.parametrize("missing", ["elasticsearch.crt", "elasticsearch.key"])
def test_certs_step_fails_when_the_node_certificate_is_missing(tmp_path, missing):
    run = run_service(compose_services()["certs"], tmp_path, {"STUB_CERTUTIL_OMIT": missing})
    assert run.returncode not in (0, None), f"certs step exited 0 without {missing}:\n{run.output}"
    assert missing in run.output, run.output


def test_kibana_password_step_retries_until_elasticsearch_accepts(tmp_path):
    check_kibana_password_step(compose_services()["kibana-password"], tmp_path)


def test_kibana_password_step_stops_on_a_refused_login(tmp_path):
    ca = tmp_path / "es" / "config" / "certs" / "ca" / "ca.crt"
    ca.parent.mkdir(parents=True)
    ca.write_text("ca")
    env = {"STUB_CURL_ANSWERS": "200", "STUB_ES_CREDENTIALS": "elastic:another-password"}
    run = run_service(compose_services()["kibana-password"], tmp_path, env)
    assert run.returncode == 1, run.output
    assert len(run.calls("curl")) == 1 and "ELASTIC_PASSWORD" in run.output, run.output


def test_kibana_password_step_gives_up(tmp_path):
    ca = tmp_path / "es" / "config" / "certs" / "ca" / "ca.crt"
    ca.parent.mkdir(parents=True)
    ca.write_text("ca")
    env = {"STUB_CURL_ANSWERS": "503", "KIBANA_PASSWORD_TRIES": "3"}
    run = run_service(compose_services()["kibana-password"], tmp_path, env)
    assert run.returncode == 1 and len(run.calls("curl")) == 3, run.output


@pytest.mark.parametrize(
    ("service", "body", "env", "healthy"),
    [
        ("elasticsearch", '{"cluster_name":"docker-cluster","status":"green"}', {}, True),
        ("elasticsearch", '{"cluster_name":"docker-cluster","status":"yellow"}', {}, True),
        ("elasticsearch", '{"cluster_name":"docker-cluster","status":"red"}', {}, False),
        ("elasticsearch", '{"status":"green"}', {"STUB_ES_CREDENTIALS": "elastic:another-password"}, False),
        # Kibana answers its status API without credentials, with the overall level only
        ("kibana", '{"status":{"overall":{"level":"available"}}}', {"STUB_CURL_AUTH": "none"}, True),
        ("kibana", '{"status":{"overall":{"level":"degraded"}}}', {"STUB_CURL_AUTH": "none"}, False),
    ],
)
def test_shell_healthchecks(tmp_path, service, body, env, healthy):
    svc = compose_services()[service]
    kind, command = svc["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    ca = tmp_path / "es" / "config" / "certs" / "ca" / "ca.crt"
    ca.parent.mkdir(parents=True)
    ca.write_text("ca")
    env = {"STUB_CURL_BODY": body, "STUB_ES_CREDENTIALS": f"elastic:{ES_PASSWORD}", **env}
    run = run_service(svc, tmp_path, env, argv=["sh", "-c", interpolate(command, VALUES)])
    assert (run.returncode == 0) is healthy, f"{service} healthcheck exited {run.returncode}: {run.calls('curl')}"
    [request] = run.calls("curl")
    if service == "elasticsearch":
        assert option(request, "-u") == f"elastic:{ES_PASSWORD}", request


# --- the stubs catch what was wrong with the folded `command: >` blocks ------------------------


def test_stubs_catch_the_split_certutil_command(tmp_path):
    service = compose_services(FOLDED)["certs"]
    with pytest.raises(AssertionError) as failure:
        check_certs_step(service, tmp_path)
    assert "ERROR: a CA is required" in str(failure.value), str(failure.value)


def test_stubs_catch_the_split_curl_command(tmp_path):
    service = compose_services(FOLDED)["kibana-password"]
    # the folded loop never sends a request, so it never ends: give it a few rounds
    with pytest.raises(AssertionError) as failure:
        check_kibana_password_step(service, tmp_path, timeout=5)
    assert "curl: no URL specified!" in str(failure.value), str(failure.value)


# --- shellcheck ----------------------------------------------------------------------------------


def test_compose_runs_every_deploy_script():
    run = {Path(word).name for svc in compose_services().values() for word in service_argv(svc) if word.endswith(".sh")}
    assert run == {script.name for script in SCRIPTS}, f"compose runs {run}, deploy/ holds {SCRIPTS}"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed (Debian: shellcheck)")
@pytest.mark.parametrize("script", SHELL_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_shellcheck_is_clean(script):
    result = subprocess.run(["shellcheck", "--shell=bash", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
