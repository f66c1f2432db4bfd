"""Stand-ins for the programs the compose shell steps call (elasticsearch-certutil, unzip, curl, sleep).

Each records its argv (one JSON line per call in $STUB_LOG) and, like the real program, refuses
arguments it does not understand or that are missing, then produces what the real one would:
certutil writes a zip of PEM files, unzip extracts it, curl answers like Elasticsearch's security API.
Run as `python shell_stubs.py TOOL ARG...`; `install()` puts wrappers with the real names in place.
"""

from __future__ import annotations

import json
import os
import sys
import time
import zipfile
from pathlib import Path

import yaml

# certutil options (ES 9) that take a value, and those that do not; jopt-simple also accepts "-out"
CERTUTIL_VALUED = {"out", "in", "ca-cert", "ca-key", "ca", "ca-pass", "pass", "days", "ca-dn", "keysize", "name"}
CERTUTIL_VALUED |= {"dns", "ip"}
CERTUTIL_FLAGS = {"pem", "silent", "s", "keep-ca-key", "multiple", "self-signed", "v", "verbose"}
CURL_VALUED = {
    "-o": "output",
    "--output": "output",
    "-w": "write-out",
    "--write-out": "write-out",
    "--cacert": "cacert",
    "-u": "user",
    "--user": "user",
    "-H": "header",
    "--header": "header",
    "-d": "data",
    "--data": "data",
    "--data-raw": "data",
    "--data-binary": "data",
    "-X": "request",
    "--request": "request",
    "-m": "max-time",
    "--max-time": "max-time",
    "--connect-timeout": "connect-timeout",
}
CURL_FLAGS = {"-s", "--silent", "-S", "--show-error", "-f", "--fail", "-k", "--insecure", "-L", "--location"}


class Refused(Exception):
    """The real program would reject these arguments; carries its exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def record(tool: str, argv: list[str]) -> None:
    with open(os.environ["STUB_LOG"], "a") as log:
        log.write(json.dumps({"tool": tool, "argv": argv, "cwd": os.getcwd()}) + "\n")


def calls(log: Path, tool: str | None = None) -> list[list[str]]:
    """The recorded argv lists, optionally of one tool."""
    if not log.exists():
        return []
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    return [row["argv"] for row in rows if tool is None or row["tool"] == tool]


def pem(kind: str, name: str) -> str:
    return f"-----BEGIN {kind}-----\nstub {name}\n-----END {kind}-----\n"


def certutil(argv: list[str]) -> None:
    if not argv or argv[0] not in ("ca", "cert", "csr", "http"):
        raise Refused("usage: elasticsearch-certutil (ca|cert|csr|http) ...", 64)
    mode, opts, i = argv[0], {}, 1
    while i < len(argv):
        arg = argv[i]
        name = arg.lstrip("-")
        if not arg.startswith("-") or not name:
            raise Refused(f"ERROR: unexpected argument [{arg}]", 64)
        if name in CERTUTIL_FLAGS:
            opts[name] = True
        elif name in CERTUTIL_VALUED:
            if i + 1 >= len(argv):
                raise Refused(f"ERROR: Option {arg} requires an argument", 64)
            opts[name] = argv[i + 1]
            i += 1
        else:
            raise Refused(f"ERROR: {name} is not a recognized option", 64)
        i += 1
    if mode not in ("ca", "cert"):
        raise Refused(f"stub: mode {mode} is not modelled", 64)
    pem_mode = bool(opts.get("pem"))
    default = {"ca": "elastic-stack-ca", "cert": "certificate-bundle"}[mode] + (".zip" if pem_mode else ".p12")
    out = Path(opts.get("out", default))
    if out.exists():
        raise Refused(f"ERROR: Output file [{out}] already exists", 74)
    if not out.parent.is_dir():
        raise Refused(f"ERROR: directory [{out.parent}] does not exist", 74)
    if mode == "ca":
        members = {"ca/ca.crt": pem("CERTIFICATE", "ca"), "ca/ca.key": pem("RSA PRIVATE KEY", "ca")}
    else:
        if "in" not in opts and "name" not in opts:
            raise Refused("ERROR: --in or --name is required in silent mode", 64)
        has_pem_ca = "ca-cert" in opts or "ca-key" in opts
        if has_pem_ca and not ("ca-cert" in opts and "ca-key" in opts):
            raise Refused("ERROR: --ca-cert and --ca-key must be used together", 64)
        if not (has_pem_ca or "ca" in opts or opts.get("self-signed")):
            raise Refused("ERROR: a CA is required: --ca-cert and --ca-key, --ca, or --self-signed", 64)
        for key in ("in", "ca-cert", "ca-key", "ca"):
            if key in opts and not Path(opts[key]).is_file():
                raise Refused(f"ERROR: the file [{opts[key]}] (--{key}) does not exist", 74)
        if "in" in opts:
            spec = yaml.safe_load(Path(opts["in"]).read_text()) or {}
            names = [inst["name"] for inst in spec.get("instances") or []]
        else:
            names = [opts["name"]]
        if not names:
            raise Refused(f"ERROR: no instances in [{opts['in']}]", 65)
        omit = set(filter(None, os.environ.get("STUB_CERTUTIL_OMIT", "").split(",")))
        members = {}
        for name in names:
            members[f"{name}/{name}.crt"] = pem("CERTIFICATE", name)
            members[f"{name}/{name}.key"] = pem("RSA PRIVATE KEY", name)
        members = {path: text for path, text in members.items() if Path(path).name not in omit}
    if not pem_mode:
        out.write_bytes(b"stub PKCS#12 keystore\n")  # not a zip: what a missing --pem gives
        return
    with zipfile.ZipFile(out, "w") as bundle:
        for path, text in members.items():
            bundle.writestr(path, text)


def unzip(argv: list[str]) -> None:
    overwrite, quiet, dest, archives, i = None, False, Path("."), [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "-d":
            if i + 1 >= len(argv):
                raise Refused("unzip: -d needs a directory", 10)
            dest, i = Path(argv[i + 1]), i + 1
        elif arg in ("-o", "-n"):
            overwrite = arg == "-o"
        elif arg == "-q":
            quiet = True
        elif arg.startswith("-"):
            raise Refused(f"unzip: option {arg} is not modelled by the stub", 10)
        else:
            archives.append(arg)
        i += 1
    if len(archives) != 1:
        raise Refused(f"unzip: expected one archive, got {archives}", 10)
    archive = Path(archives[0])
    if not archive.is_file():
        raise Refused(f"unzip: cannot find or open {archive}", 9)
    if not zipfile.is_zipfile(archive):
        raise Refused(f"End-of-central-directory signature not found in {archive}", 9)
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.namelist():
            target = dest / member
            if target.exists() and overwrite is None:
                raise Refused(f"replace {target}? [y]es, [n]o: (no terminal to answer)", 1)
            if target.exists() and overwrite is False:
                continue
            bundle.extract(member, dest)
            if not quiet:
                print(f"  inflating: {target}")


def curl(argv: list[str]) -> None:
    opts: dict[str, list[str]] = {}
    urls, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg in CURL_VALUED:
            if i + 1 >= len(argv):
                raise Refused(f"curl: option {arg}: requires parameter", 2)
            opts.setdefault(CURL_VALUED[arg], []).append(argv[i + 1])
            i += 1
        elif arg in CURL_FLAGS or (
            arg.startswith("-") and len(arg) > 2 and all(f"-{c}" in CURL_FLAGS for c in arg[1:])
        ):
            opts.setdefault("flags", []).append(arg)
        elif arg.startswith("-"):
            raise Refused(f"curl: option {arg}: is unknown", 2)
        else:
            urls.append(arg)
        i += 1
    if not urls:
        raise Refused("curl: no URL specified!", 2)
    if len(urls) > 1:
        raise Refused(f"stub curl: one URL expected, got {urls}", 2)
    for ca in opts.get("cacert", []):
        if not Path(ca).is_file():
            raise Refused(f"curl: (77) error setting certificate file: {ca}", 77)
    # the answers to give, one per call, from STUB_CURL_ANSWERS ("000,503,200"); the last one repeats
    answers = os.environ.get("STUB_CURL_ANSWERS", "200").split(",")
    counter = Path(os.environ["STUB_LOG"]).with_suffix(".curl-count")
    n = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(n + 1))
    status = answers[min(n, len(answers) - 1)]
    write_out = "".join(opts.get("write-out", [])).replace("%{http_code}", status)
    if status == "000":
        sys.stdout.write(write_out)
        raise Refused(f"curl: (7) Failed to connect to {urls[0]}", 7)
    expected = os.environ.get("STUB_ES_CREDENTIALS")
    needs_auth = os.environ.get("STUB_CURL_AUTH") != "none"
    if status == "200" and needs_auth and (not opts.get("user") or (expected and opts["user"][-1] != expected)):
        status = "401"  # security is on: no or wrong credentials are refused
        write_out = "".join(opts.get("write-out", [])).replace("%{http_code}", status)
    body = os.environ.get("STUB_CURL_BODY", "{}") if status == "200" else '{"error":"stub","status":' + status + "}"
    if opts.get("output"):
        with open(opts["output"][-1], "w") as out:
            out.write(body)
    else:
        sys.stdout.write(body)
    sys.stdout.write(write_out)
    if int(status) >= 400 and ("-f" in opts.get("flags", []) or "--fail" in opts.get("flags", [])):
        raise Refused(f"curl: (22) The requested URL returned error: {status}", 22)


def sleep(argv: list[str]) -> None:
    if len(argv) != 1:
        raise Refused("sleep: expected one duration", 1)
    float(argv[0].rstrip("smhd"))
    time.sleep(0.05)  # the script's waits are recorded, not served


TOOLS = {"elasticsearch-certutil": certutil, "unzip": unzip, "curl": curl, "sleep": sleep}


def install(bin_dir: Path, tools: list[str] | None = None) -> None:
    """Write executable wrappers named like the real programs into bin_dir."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in tools or list(TOOLS):
        wrapper = bin_dir / tool
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" {tool} "$@"\n')
        wrapper.chmod(0o755)


def main() -> int:
    tool, argv = sys.argv[1], sys.argv[2:]
    record(tool, argv)
    try:
        TOOLS[tool](argv)
    except Refused as refused:
        print(refused, file=sys.stderr)
        return refused.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
