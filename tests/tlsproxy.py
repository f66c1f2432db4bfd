"""A secured front for the test node: Debian's nginx terminating TLS and demanding credentials.

The embedded node has no x-pack security, so nginx plays the part of a production cluster's HTTP
layer: a throwaway CA signs the server certificate, one port demands HTTP basic auth, another an
`Authorization: ApiKey ...` header, a third presents an expired certificate. Every port proxies to the
real node, and Elasticsearch's `X-Elastic-Product` header comes back through untouched.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# What a real cluster answers when credentials are missing or wrong (security_exception, 401).
UNAUTHORIZED_BODY = (
    '{"error":{"root_cause":[{"type":"security_exception","reason":"unable to authenticate for REST request"}],'
    '"type":"security_exception","reason":"unable to authenticate for REST request"},"status":401}'
)


@dataclass(frozen=True)
class SecuredFront:
    """Where the secured front listens and what it trusts and accepts."""

    basic_url: str  # TLS + HTTP basic auth
    api_key_url: str  # TLS + Authorization: ApiKey
    expired_url: str  # TLS with an expired certificate (+ basic auth)
    ca_file: Path  # the CA that signed both server certificates
    wrong_ca_file: Path  # an unrelated CA
    fingerprint: str  # SHA-256 of the valid server certificate, AA:BB:... as openssl prints it
    username: str
    password: str
    api_key: str  # base64 of id:key, as Elasticsearch's create-API-key answer gives it in "encoded"
    workdir: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed CA key and certificate, valid from yesterday for a year."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue_server_cert(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A server certificate for 127.0.0.1 and localhost, signed by the CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("elasticsearch"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _write_pem(path: Path, *items: object) -> Path:
    chunks = []
    for item in items:
        if isinstance(item, x509.Certificate):
            chunks.append(item.public_bytes(serialization.Encoding.PEM))
        else:
            chunks.append(
                item.private_bytes(  # type: ignore[attr-defined]
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
    path.write_bytes(b"".join(chunks))
    path.chmod(0o600)
    return path


def sha256_fingerprint(cert: x509.Certificate) -> str:
    """AA:BB:... like `openssl x509 -noout -fingerprint -sha256` prints it."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def ssha_htpasswd_line(user: str, password: str) -> str:
    """An htpasswd line in the salted-SHA1 scheme nginx's auth_basic reads, so no plain password is on disk."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return f"{user}:{{SSHA}}{base64.b64encode(digest + salt).decode()}\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _upstream(es_url: str) -> str:
    """The first node of ELASTICSEARCH_URL, without any user:password part."""
    parts = urlsplit(es_url.split(",")[0].strip())
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 9200}"


def nginx_conf(prefix: Path, upstream: str, ports: dict[str, int], api_key_header: str, certs: dict[str, Path]) -> str:
    """The whole nginx.conf: no system config, every path under prefix."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers read the htpasswd file in a root-only tmp dir
    temp = "".join(
        f"    {kind}_temp_path {prefix / 'temp' / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )

    def server(port: int, cert: str, auth: str) -> str:
        return f"""
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {certs[cert]};
        ssl_certificate_key {certs[cert + "_key"]};
        # A plain-HTTP request on this TLS port: close the connection, as Elasticsearch does.
        error_page 497 @plain_http;
        error_page 401 @unauthorized;
        location / {{
{auth}
            proxy_pass {upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Authorization "";
            proxy_read_timeout 120s;
        }}
        location @plain_http {{
            return 444;
        }}
        location @unauthorized {{
            default_type application/json;
            add_header WWW-Authenticate 'Basic realm="security", charset="UTF-8"' always;
            add_header WWW-Authenticate 'ApiKey' always;
            return 401 '{UNAUTHORIZED_BODY}';
        }}
    }}
"""

    basic = f'            auth_basic "security";\n            auth_basic_user_file {prefix / "htpasswd"};'
    api_key = f'            if ($http_authorization != "{api_key_header}") {{ return 401; }}'
    return f"""{user}worker_processes 1;
daemon off;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 128; }}
http {{
    access_log {prefix / "access.log"};
{temp}    client_max_body_size 200m;
{server(ports["basic"], "server", basic)}{server(ports["api_key"], "server", api_key)}{server(ports["expired"], "expired", basic)}}}
"""


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited ({proc.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not listen on {port} within {timeout} s")


@contextmanager
def secured_front(es_url: str, workdir: Path) -> Iterator[SecuredFront]:
    """Start nginx in front of es_url with fresh certificates and credentials; stop it on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / "temp" / kind).mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key, ca_cert = make_ca("newsfacet test CA")
    _, other_ca = make_ca("some other CA")
    key, cert = issue_server_cert(ca_key, ca_cert, now - dt.timedelta(hours=1), now + dt.timedelta(days=30))
    old_key, old_cert = issue_server_cert(ca_key, ca_cert, now - dt.timedelta(days=60), now - dt.timedelta(days=1))
    certs = {
        # nginx sends the chain: the leaf, then the CA, as Elasticsearch does with certutil's certificates
        "server": _write_pem(workdir / "server.crt", cert, ca_cert),
        "server_key": _write_pem(workdir / "server.key", key),
        "expired": _write_pem(workdir / "expired.crt", old_cert, ca_cert),
        "expired_key": _write_pem(workdir / "expired.key", old_key),
    }
    ca_file = _write_pem(workdir / "ca.crt", ca_cert)
    wrong_ca_file = _write_pem(workdir / "other-ca.crt", other_ca)
    ca_file.chmod(0o644)
    wrong_ca_file.chmod(0o644)

    username, password = "ingest", "pw-" + secrets.token_urlsafe(16)
    api_key = base64.b64encode(f"{secrets.token_hex(8)}:{secrets.token_urlsafe(16)}".encode()).decode()
    (workdir / "htpasswd").write_text(ssha_htpasswd_line(username, password))
    ports = {"basic": _free_port(), "api_key": _free_port(), "expired": _free_port()}
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_conf(workdir, _upstream(es_url), ports, f"ApiKey {api_key}", certs))
    conf.chmod(0o600)  # it holds the API key

    log = workdir / "nginx.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [NGINX, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log")],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        for port in ports.values():
            _wait_for_port(port, proc, workdir / "error.log")
        yield SecuredFront(
            basic_url=f"https://127.0.0.1:{ports['basic']}",
            api_key_url=f"https://127.0.0.1:{ports['api_key']}",
            expired_url=f"https://127.0.0.1:{ports['expired']}",
            ca_file=ca_file,
            wrong_ca_file=wrong_ca_file,
            fingerprint=sha256_fingerprint(cert),
            username=username,
            password=password,
            api_key=api_key,
            workdir=workdir,
        )
    finally:
        proc.terminate()  # SIGTERM: nginx's fast shutdown, master and worker
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
