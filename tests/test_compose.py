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


def is_pinned(tag: str | None) -> bool:
    """An exact x.y.z version tag (suffixes such as -slim-bookworm allowed) or a digest."""
    return bool(tag) and (tag.startswith("sha256:") or re.match(r"\d+\.\d+\.\d+(?![.\d])", tag) is not None)


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
        assert is_pinned(tag), f"service {name}: tag {tag!r} of {image!r} is not an exact x.y.z version or digest"
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
    defined = {
        line.split("=", 1)[0].strip()
        for line in ENV_EXAMPLE.read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
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
