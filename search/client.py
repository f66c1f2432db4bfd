"""The Elasticsearch client, built from settings; fails with one line when the cluster is away."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from elasticsearch import Elasticsearch
from elasticsearch import exceptions as es_exceptions

from newsfacet.errors import ClusterUnavailable
from newsfacet.localstate import recorded_url
from newsfacet.settings import DEFAULT_ES_URL, Settings


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


def connect(settings: Settings, check: bool = True) -> Elasticsearch:
    """A client for the configured cluster; with check, raise ClusterUnavailable unless it answers."""
    url = resolve_url(settings)
    auth: dict[str, Any] = {}
    if settings.elasticsearch_api_key:
        auth["api_key"] = settings.elasticsearch_api_key.get_secret_value()
    elif settings.elasticsearch_username and settings.elasticsearch_password:
        auth["basic_auth"] = (settings.elasticsearch_username, settings.elasticsearch_password.get_secret_value())
    if settings.elasticsearch_ca_certs:
        auth["ca_certs"] = settings.elasticsearch_ca_certs
    if settings.elasticsearch_fingerprint:
        auth["ssl_assert_fingerprint"] = settings.elasticsearch_fingerprint
    # A comma-separated ELASTICSEARCH_URL names several nodes of one cluster; the client fails over.
    hosts = [u.strip() for u in url.split(",") if u.strip()]
    es = Elasticsearch(hosts, request_timeout=60, retry_on_timeout=True, max_retries=3, **auth)
    if check:
        try:
            es.info()
        except es_exceptions.AuthenticationException:
            raise ClusterUnavailable(f"Elasticsearch at {redact_url(url)} refused the credentials") from None
        except (es_exceptions.ConnectionError, es_exceptions.TransportError, es_exceptions.ApiError) as exc:
            raise ClusterUnavailable(
                f"Elasticsearch at {redact_url(url)} is not reachable ({type(exc).__name__})"
            ) from None
    return es
