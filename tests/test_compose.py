"""Static checks of docker-compose.yml, .env.example and the Dockerfile (no Docker needed)."""

from __future__ import annotations

import argparse
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import yaml

from newsfacet.cli import build_parser
from newsfacet.settings import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
DOCKERFILE = REPO_ROOT / "Dockerfile"
POM = REPO_ROOT / "devtools" / "elasticsearch" / "pom.xml"

VALID_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, ${VAR:+alt}; $$ is a literal dollar.
INTERPOLATION = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}")
PASSWORD_KEY = re.compile(r"PASSWORD|ENCRYPTIONKEY|SECRET|API_KEY|TOKEN", re.IGNORECASE)
# images whose releases are numbered major.minor (PostgreSQL since 10): there x.y is the exact version
TWO_PART_VERSIONS = {"postgres"}
SIZE = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[kmg]?)b?", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict[str, Any]]:
    assert compose.get("services"), "docker-compose.yml defines no services"
    return compose["services"]


def es_version() -> str:
    root = ET.parse(POM).getroot()
    ns = {"m": root.tag[1 : root.tag.index("}")]} if root.tag.startswith("{") else {}
    node = root.find("m:properties/m:es.version" if ns else "properties/es.version", ns)
    assert node is not None and node.text, f"no <es.version> in {POM}"
    return node.text.strip()


def image_tag(image: str) -> str | None:
    """The tag of an image reference (None if untagged); a digest counts as its own pin."""
    if "@sha256:" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def is_pinned(tag: str | None, image: str = "") -> bool:
    """An exact x.y.z version tag (suffixes such as -slim-bookworm allowed; x.y for TWO_PART_VERSIONS) or a digest."""
    if not tag:
        return False
    if tag.startswith("sha256:"):
        return True
    name = image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
    version = r"\d+\.\d+" if name in TWO_PART_VERSIONS else r"\d+\.\d+\.\d+"
    return re.match(version + r"(?![.\d])", tag) is not None


def env_example() -> dict[str, str]:
    return {
        line.split("=", 1)[0].strip(): line.split("=", 1)[1].strip()
        for line in ENV_EXAMPLE.read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }


def resolve(value: str) -> str:
    """A compose value with its ${VAR...} taken from .env.example, else from its default."""
    values = env_example()
    return INTERPOLATION.sub(lambda m: values.get(m["name"]) or m["arg"], value)


def size_bytes(text: str) -> int:
    m = SIZE.fullmatch(text.strip())
    assert m, f"not a size: {text!r}"
    return int(float(m["n"]) * 1024 ** "_kmg".index((m["unit"] or "_").lower()))


def bind_mounts(service: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Container path -> (host path, mode) of the service's bind mounts (sources starting with ./)."""
    mounts = {}
    for volume in service.get("volumes") or []:
        parts = str(volume).split(":")
        if parts[0].startswith("./"):
            mounts[parts[1]] = (parts[0], parts[2] if len(parts) > 2 else "rw")
    return mounts


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def command_words(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else [str(word) for word in command]


def depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # short form means service_started
        return {name: {"condition": "service_started"} for name in deps}
    return {name: (spec or {"condition": "service_started"}) for name, spec in deps.items()}


def cli_subcommands() -> set[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1, "newsfacet's parser should have one set of subcommands"
    return set(actions[0].choices)


def all_strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in [str(k), *all_strings(v)]]
    if isinstance(node, list):
        return [s for item in node for s in all_strings(item)]
    return [node] if isinstance(node, str) else []


# --- images --------------------------------------------------------------------------------------


def test_every_image_pins_an_exact_version(services):
    images = {name: svc["image"] for name, svc in services.items() if "image" in svc}
    assert images, "no service has an image"
    for name, image in images.items():
        tag = image_tag(image)
        assert tag, f"service {name}: image {image!r} has no tag (that is 'latest')"
        assert is_pinned(tag, image), f"service {name}: tag {tag!r} of {image!r} is not an exact version or digest"
    unpinned_builds = [n for n, s in services.items() if "build" in s and "image" not in s]
    assert not unpinned_builds, f"services built without a versioned image name: {unpinned_builds}"


def test_elastic_images_match_the_embedded_test_node(services):
    version = es_version()
    elastic = {n: s["image"] for n, s in services.items() if s.get("image", "").startswith("docker.elastic.co/")}
    products = {image.split("/")[-1].split(":")[0] for image in elastic.values()}
    assert {"elasticsearch", "kibana"} <= products, f"expected elasticsearch and kibana images, found {products}"
    for name, image in elastic.items():
        assert image_tag(image) == version, f"service {name}: {image} differs from <es.version> {version} in {POM}"


def test_dockerfile_base_image_is_pinned():
    froms = [
        line.split()[1] for line in DOCKERFILE.read_text().splitlines() if line.strip().upper().startswith("FROM ")
    ]
    assert froms, "Dockerfile has no FROM"
    for image in froms:
        tag = image_tag(image)
        assert is_pinned(tag), f"Dockerfile base image {image!r} needs an exact x.y.z tag or a digest"


# --- security ------------------------------------------------------------------------------------


def test_security_is_on(services):
    es_env = environment(services["elasticsearch"])
    assert es_env.get("xpack.security.enabled") == "true", "Elasticsearch must run with security enabled"
    assert es_env.get("xpack.security.http.ssl.enabled") == "true", "Elasticsearch HTTP must use TLS"
    assert es_env.get("ELASTIC_PASSWORD"), "the elastic user needs a password"


def test_secrets_come_from_the_environment(services):
    checked = 0
    for name, svc in services.items():
        for key, value in environment(svc).items():
            if PASSWORD_KEY.search(key):
                checked += 1
                match = INTERPOLATION.fullmatch(value)
                assert match, f"service {name}: {key} must be a ${{VAR}} from .env, not a literal"
                assert match["op"] in (None, ":?", "?"), (
                    f"service {name}: {key} must not fall back to a default secret ({value})"
                )
    assert checked >= 3, "expected the elastic, kibana_system and encryption-key secrets to be checked"


def test_env_example_defines_every_required_variable(compose):
    defined = set(env_example())
    required = set()
    for text in all_strings(compose):
        for m in INTERPOLATION.finditer(text):
            if m["op"] in (None, ":?", "?"):
                required.add(m["name"])
    assert {"ELASTIC_PASSWORD", "KIBANA_PASSWORD"} <= required, "the scan found no required variables"
    missing = sorted(required - defined)
    assert not missing, f".env.example lacks variables docker-compose.yml needs: {missing}"


# --- startup order -------------------------------------------------------------------------------


def test_depends_on_conditions_are_valid(services):
    for name, svc in services.items():
        for dep, spec in depends_on(svc).items():
            assert dep in services, f"service {name} depends on unknown service {dep!r}"
            condition = spec.get("condition", "service_started")
            assert condition in VALID_CONDITIONS, f"service {name}: invalid condition {condition!r} on {dep}"
            if condition == "service_healthy":
                assert services[dep].get("healthcheck"), (
                    f"service {name} waits for {dep} to be healthy; it has no healthcheck"
                )


def test_every_service_has_a_healthcheck_or_is_a_one_shot(services):
    """The rule: one-shots (something waits for them with service_completed_successfully) must not restart;
    every other service needs a healthcheck, except a final consumer nothing waits on (the worker), which
    must then at least be restarted when it dies."""
    waits: dict[str, set[str]] = {}
    for svc in services.values():
        for dep, spec in depends_on(svc).items():
            waits.setdefault(dep, set()).add(spec.get("condition", "service_started"))
    for name, svc in services.items():
        restart = svc.get("restart", "no")
        restart = "no" if restart is False else str(restart)  # YAML reads a bare `no` as false
        if "service_completed_successfully" in waits.get(name, set()):
            assert restart == "no", f"one-shot service {name} must not restart (restart: {restart})"
        elif name in waits:
            assert svc.get("healthcheck"), f"service {name} is waited on but has no healthcheck"
        elif not svc.get("healthcheck"):
            assert restart in ("always", "unless-stopped", "on-failure"), (
                f"long-running service {name} has neither a healthcheck nor a restart policy"
            )


def test_named_volumes_are_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    for name, svc in services.items():
        for volume in svc.get("volumes") or []:
            source = volume.get("source") if isinstance(volume, dict) else str(volume).split(":", 1)[0]
            # a path (or a ${VAR:-./path} that compose turns into one) is a bind mount, not a named volume
            is_bind = not source or source.startswith((".", "/", "~", "${"))
            if not is_bind:
                assert source in declared, f"service {name} uses volume {source!r}, not declared under volumes:"


# --- the newsfacet image -------------------------------------------------------------------------


def test_newsfacet_commands_exist_in_the_cli(services):
    subcommands = cli_subcommands()
    assert {"ingest", "search", "setup"} <= subcommands, f"parsed subcommands look wrong: {subcommands}"
    runs = {name: command_words(svc) for name, svc in services.items()}
    newsfacet = {name: words for name, words in runs.items() if words and words[0] == "newsfacet"}
    assert newsfacet, "no service runs newsfacet"
    for name, words in newsfacet.items():
        assert len(words) > 1 and words[1] in subcommands, (
            f"service {name} runs {' '.join(words)!r}; newsfacet has subcommands {sorted(subcommands)}"
        )


def test_dockerfile_default_command_exists_in_the_cli():
    lines = [line for line in DOCKERFILE.read_text().splitlines() if line.strip().upper().startswith("CMD ")]
    if not lines:
        pytest.skip("Dockerfile has no CMD")
    words = yaml.safe_load(lines[-1].strip()[4:])  # the exec form is a JSON (so YAML) list
    if isinstance(words, list) and words and words[0] == "newsfacet":
        assert len(words) > 1 and words[1] in cli_subcommands(), f"Dockerfile CMD {words} is not a newsfacet subcommand"


# --- shell steps, memory, the Prefect database ---------------------------------------------------


def test_shell_steps_are_mounted_scripts(services):
    """No inline shell: a folded `command: >` block splits long commands (the certutil and curl bugs)."""
    scripts = 0
    for name, svc in services.items():
        command = svc.get("command")
        if isinstance(command, str):
            assert "\n" not in command.strip(), f"service {name}: multi-line command string; use a script in deploy/"
        words = command_words(svc)
        if not words or words[0] not in ("bash", "sh"):
            continue
        assert "-c" not in words, f"service {name}: inline shell {words}; put it in a script in deploy/"
        scripts += 1
        [path] = words[1:]
        mounts = {target: spec for target, spec in bind_mounts(svc).items() if path.startswith(target + "/")}
        assert mounts, f"service {name}: {path} is not under a bind mount of the repository"
        [(target, (source, mode))] = mounts.items()
        assert mode == "ro", f"service {name}: mount {source}:{target} should be read-only"
        script = REPO_ROOT / source / path[len(target) + 1 :]
        assert script.is_file(), f"service {name} runs {path}, but {script} does not exist"
        assert "set -euo pipefail" in script.read_text(), f"{script} must start with set -euo pipefail"
    assert scripts >= 2, "expected the certs and kibana-password steps to run scripts"


def test_elasticsearch_and_kibana_have_memory_limits(services):
    for name in ("elasticsearch", "kibana"):
        assert services[name].get("mem_limit"), f"service {name} needs a mem_limit"
    es = services["elasticsearch"]
    heap = re.search(r"-Xmx(\S+)", resolve(environment(es)["ES_JAVA_OPTS"]))
    assert heap, "ES_JAVA_OPTS sets no -Xmx"
    limit = size_bytes(resolve(str(es["mem_limit"])))
    # Elasticsearch wants at most half of its memory as heap; the rest is file-system cache
    assert limit >= 2 * size_bytes(heap[1]), f"mem_limit {es['mem_limit']} is less than twice the heap {heap[1]}"


def test_prefect_server_uses_the_postgres_service(services):
    pg = services["postgres"]
    assert "/var/lib/postgresql/data" in {str(v).split(":")[1] for v in pg.get("volumes") or []}
    health = pg.get("healthcheck", {}).get("test") or []
    assert "pg_isready" in " ".join(health), f"postgres healthcheck should use pg_isready: {health}"
    pg_env = environment(pg)
    server = services["prefect-server"]
    assert depends_on(server).get("postgres", {}).get("condition") == "service_healthy"
    url = environment(server)["PREFECT_API_DATABASE_CONNECTION_URL"]
    m = re.fullmatch(r"postgresql\+asyncpg://(?P<user>[^:]+):(?P<password>.+)@postgres:5432/(?P<db>\w+)", url)
    assert m, (
        f"PREFECT_API_DATABASE_CONNECTION_URL should be postgresql+asyncpg://USER:PASSWORD@postgres:5432/DB: {url}"
    )
    assert (m["user"], m["db"]) == (pg_env["POSTGRES_USER"], pg_env["POSTGRES_DB"])
    password, pg_password = INTERPOLATION.fullmatch(m["password"]), INTERPOLATION.fullmatch(pg_env["POSTGRES_PASSWORD"])
    assert password and pg_password and password["name"] == pg_password["name"], (url, pg_env["POSTGRES_PASSWORD"])
