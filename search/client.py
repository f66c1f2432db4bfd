"""The Elasticsearch client, built from settings; one line saying why when the cluster is away or refuses us."""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from elasticsearch import Elasticsearch
from elasticsearch import exceptions as es_exceptions

from newsfacet.errors import ClusterUnavailable, SettingsError
from newsfacet.localstate import recorded_url
from newsfacet.settings import DEFAULT_ES_URL, Settings

# What elastic_transport's ssl_assert_fingerprint takes: hex digits of a SHA-256 (or SHA-1/MD5) digest
FINGERPRINT = re.compile(r"(?:[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32})")
# OpenSSL's X509_V_ERR_* codes for a certificate outside its validity period or issued for another name
CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_WRONG_HOST = 10, 9, 62


def resolve_url(settings: Settings) -> str:
    """ELASTICSEARCH_URL, else the local stack's running dev node, else localhost:9200."""
    if settings.elasticsearch_url:
        return settings.elasticsearch_url
    return recorded_url(settings, "es") or DEFAULT_ES_URL


def redact_url(url: str) -> str:
    """The URL(s) without any user:password part, safe for logs and messages."""
    if "," in url:
        return ",".join(redact_url(u.strip()) for u in url.split(","))
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def fingerprint_setting(value: str) -> str:
    """ELASTICSEARCH_FINGERPRINT as the client takes it; openssl's `SHA256 Fingerprint=AA:BB:…` is accepted too."""
    digits = value.rpartition("=")[2].replace(":", "").strip().lower()
    if not FINGERPRINT.fullmatch(digits):
        raise SettingsError(
            "bad setting ELASTICSEARCH_FINGERPRINT: expected the certificate's SHA-256 fingerprint, "
            "64 hex digits (colons allowed)"
        )
    return digits


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """exc and everything behind it: elastic_transport's .errors, urllib3's .reason, __cause__/__context__."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        reason = getattr(e, "reason", None)
        todo += [*getattr(e, "errors", ()), *(a for a in e.args if isinstance(a, BaseException))]
        todo += [x for x in (reason, e.__cause__, e.__context__) if isinstance(x, BaseException)]


def _speaks_tls(url: str) -> bool:
    """Whether the host:port of url completes a TLS handshake (no verification: this only names the mistake)."""
    parts = urlsplit(url)
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with (
            socket.create_connection((parts.hostname or "localhost", parts.port or 9200), timeout=3) as sock,
            context.wrap_socket(sock),
        ):
            return True
    except OSError:
        return False


def _credentials_problem(exc: Exception, where: str, settings: Settings) -> str | None:
    """A 401 or 403, said in terms of the credential settings that were (or were not) given."""
    if isinstance(exc, es_exceptions.AuthorizationException):
        return f"{where} accepted the credentials but does not allow this user that request (HTTP 403)"
    if not isinstance(exc, es_exceptions.AuthenticationException):
        return None
    block = settings.elasticsearch_secret_block
    source = f" from Prefect Secret block {block!r}" if block else ""
    if settings.elasticsearch_api_key:
        return f"{where} refused the API key{source} (HTTP 401)"
    if settings.elasticsearch_username and settings.elasticsearch_password:
        return f"{where} refused the username/password{source} (HTTP 401)"
    return (
        f"{where} asks for credentials: set ELASTICSEARCH_API_KEY, or ELASTICSEARCH_USERNAME and "
        "ELASTICSEARCH_PASSWORD, or ELASTICSEARCH_SECRET_BLOCK"
    )


def _tls_problem(exc: Exception, url: str, settings: Settings) -> str | None:
    """A failed TLS handshake, said in terms of the certificate and the trust settings."""
    cert = f"TLS: the certificate of {redact_url(url)}"
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            if cause.verify_code == CERT_EXPIRED:
                return f"{cert} has expired"
            if cause.verify_code == CERT_NOT_YET_VALID:
                return f"{cert} is not valid yet (check this machine's clock)"
            if cause.verify_code == CERT_WRONG_HOST:
                return f"{cert} is issued for another host name"
            if settings.elasticsearch_ca_certs:
                return f"{cert} is not signed by the CA in {settings.elasticsearch_ca_certs} (ELASTICSEARCH_CA_CERTS)"
            return f"{cert} is not signed by a CA this machine trusts: set ELASTICSEARCH_CA_CERTS or ELASTICSEARCH_FINGERPRINT"
        if "Fingerprints did not match" in str(cause):
            return f"{cert} does not match ELASTICSEARCH_FINGERPRINT"
        if isinstance(cause, ssl.SSLError) and cause.reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE"):
            return f"Elasticsearch at {redact_url(url)} does not speak HTTPS: use an http:// URL"
    return None


def explain_failure(exc: Exception, url: str, settings: Settings) -> str:
    """One line saying why the cluster at url did not answer: credentials, TLS trust or reachability."""
    where = f"Elasticsearch at {redact_url(url)}"
    problem = _credentials_problem(exc, where, settings) or _tls_problem(exc, url, settings)
    if problem:
        return problem
    # Elasticsearch drops a plain-HTTP request on its HTTPS port without an answer; find out if that is why
    if isinstance(exc, es_exceptions.ConnectionError):
        hosts = [h.strip() for h in url.split(",")]
        if any(urlsplit(h).scheme == "http" and _speaks_tls(h) for h in hosts):
            return f"{where} speaks HTTPS: use an https:// URL"
    return f"{where} is not reachable ({type(exc).__name__})"


def connect(settings: Settings, check: bool = True) -> Elasticsearch:
    """A client for the configured cluster; with check, raise ClusterUnavailable unless it answers."""
    url = resolve_url(settings)
    auth: dict[str, Any] = {}
    if settings.elasticsearch_api_key:
        auth["api_key"] = settings.elasticsearch_api_key.get_secret_value()
    elif settings.elasticsearch_username and settings.elasticsearch_password:
        auth["basic_auth"] = (settings.elasticsearch_username, settings.elasticsearch_password.get_secret_value())
    if settings.elasticsearch_ca_certs:
        if not Path(settings.elasticsearch_ca_certs).is_file():
            raise SettingsError(f"bad setting ELASTICSEARCH_CA_CERTS: no file {settings.elasticsearch_ca_certs}")
        auth["ca_certs"] = settings.elasticsearch_ca_certs
    if settings.elasticsearch_fingerprint:
        auth["ssl_assert_fingerprint"] = fingerprint_setting(settings.elasticsearch_fingerprint)
    # A comma-separated ELASTICSEARCH_URL names several nodes of one cluster; the client fails over.
    hosts = [u.strip() for u in url.split(",") if u.strip()]
    es = Elasticsearch(hosts, request_timeout=60, retry_on_timeout=True, max_retries=3, **auth)
    if check:
        try:
            es.info()
        except (es_exceptions.TransportError, es_exceptions.ApiError) as exc:
            raise ClusterUnavailable(explain_failure(exc, url, settings)) from None
    return es
