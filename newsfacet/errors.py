"""One error family: every error newsfacet reports to a person derives from NewsfacetError.

The message of each is one line in words a user understands (it names the file, setting or URL at
fault), so the CLI catches the base class and prints `newsfacet: <message>`; anything else is a bug
and keeps its type name. `exit_code` is what the CLI returns for it.
"""

from __future__ import annotations

import json
from pathlib import Path


def one_line(text: str) -> str:
    """The text as is when printable, else JSON-quoted: a file name with a newline cannot split a line."""
    return text if text.isprintable() else json.dumps(text, ensure_ascii=False)


class NewsfacetError(Exception):
    """Base of every project error; str(exc) is the one line a user sees."""

    exit_code = 1


class UsageError(NewsfacetError):
    """A bad command-line value."""

    exit_code = 2


class SettingsError(NewsfacetError):
    """A setting is invalid; the message names the key and where it came from."""


class ReaderError(NewsfacetError):
    """A dump file that cannot be read; the run quarantines it and goes on."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{one_line(str(path))}: {one_line(reason)}")
        self.path = path
        self.reason = reason


class BadRecord(NewsfacetError):
    """One record of a readable file holds no usable article; it is skipped and reported."""


class ClusterUnavailable(NewsfacetError):
    """Elasticsearch did not answer or refused us; the message names the (redacted) URL."""


class SchemaChanged(NewsfacetError):
    """The mapping in config/ differs from the one the live index was built with."""


class AliasError(NewsfacetError):
    """The alias is not in a state the operation can work from; the message says which."""


class QuerySyntaxError(NewsfacetError):
    """Elasticsearch could not parse the search query; the message says where it broke."""

    exit_code = 2


class KibanaError(NewsfacetError):
    """Kibana refused or could not be reached; the message names the URL."""


class LockTimeout(NewsfacetError):
    """Another run holds the alias; the message names the lock file."""


class NerWorkerDied(NewsfacetError):
    """A NER worker process died (for example killed for memory); the run cannot finish its chunk."""


class DevStackError(NewsfacetError):
    """A part of the local dev stack (ES node, cluster, Prefect server) could not be built, started or stopped."""
