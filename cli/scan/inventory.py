"""The inventory: findings grouped per token, with consumers and exposure flags.

This module defines the JSON contract ``zsp.inventory/v1`` that ``zsp migrate`` and ``zsp verify``
read. It is a stable interface; change it only with a new schema version.

Top level::

    {"schema": "zsp.inventory/v1",
     "root": "<absolute path scanned (the first PATH; its directory if it is a file)>",
     "fingerprint": {"algorithm": "hmac-sha256", "key_file": "<absolute path of the key file>"},
     "findings": [...], "tokens": [...], "stats": {...}}

Fingerprint = hex HMAC-SHA256(key, token_utf8). The key is 32 random bytes stored as hex in
``<root>/.zsp/fingerprint.key`` (mode 0600, created on the first scan and reused so fingerprints
are stable across scans), overridable with ``--fingerprint-key FILE`` or
``$ZSP_FINGERPRINT_KEY_FILE``; when the root is not writable, ``~/.zsp/fingerprint.key``.

Each finding::

    {"path": relative to root (posix), "line": 1-based,
     "column": 1-based start column (characters) of the matched text on that line,
     "end_column": 1-based exclusive end column,
     "provider": "openai", "rule": "<rule id>", "fingerprint": "<hex>",
     "preview": masked, at most 4 leading + 4 trailing characters ("sk-p…Xy12"),
     "kind": dotenv|yaml|json|toml|ini|github-actions|gitlab-ci|k8s-secret|compose|dockerfile|
             helm-values|tfvars|notebook|shell|source|text,
     "variable": the name the value is assigned to ("OPENAI_API_KEY") or null,
     "encoding": "plain" | "base64" (k8s Secret ``data:``; the span is the base64 text),
     "commit": null, or the commit sha for ``--history`` findings (path is the path in that
               commit; line/column are those of that blob),
     "endpoint": base URL found beside the token, or the provider's default (null if none)}

Each token (one per fingerprint)::

    {"fingerprint", "provider", "endpoint",
     "locations": [{"path", "line", "commit"}],
     "consumers": [{"kind": "github-workflow|gitlab-job|compose-service|k8s-workload|program|
                             dotenv",
                    "name", "path"}],
     "flags": subset of ["shared", "ci", "git-history", "container-build"]}

With ``--verify`` each token also carries ``"verification": {"status": "live|invalid|error|
unsupported", "detail": "..."}``; without it the key is absent.

The raw token value is never part of any of this: use ``engine.read_token`` to re-read it from its
location in memory.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA = "zsp.inventory/v1"
FLAGS = ("shared", "ci", "git-history", "container-build")
CONSUMER_KINDS = (
    "github-workflow",
    "gitlab-job",
    "compose-service",
    "k8s-workload",
    "program",
    "dotenv",
)


@dataclass(frozen=True)
class Finding:
    """One occurrence of a token. Holds a fingerprint and a masked preview, never the value."""

    path: str
    line: int
    column: int
    end_column: int
    provider: str
    rule: str
    fingerprint: str
    preview: str
    kind: str
    variable: str | None
    encoding: str
    commit: str | None
    endpoint: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, order=True)
class Consumer:
    """Something that uses a token: a workflow, CI job, compose service, workload or program."""

    kind: str
    name: str
    path: str


@dataclass
class Token:
    """All findings of one fingerprint, who consumes it and how exposed it is."""

    fingerprint: str
    provider: str
    endpoint: str | None
    locations: list[dict[str, Any]] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    variables: set[str] = field(default_factory=set)
    verification: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "fingerprint": self.fingerprint,
            "provider": self.provider,
            "endpoint": self.endpoint,
            "locations": self.locations,
            "consumers": [asdict(c) for c in self.consumers],
            "flags": self.flags,
        }
        if self.verification is not None:
            doc["verification"] = self.verification
        return doc


def mask(value: str) -> str:
    """At most 4 leading and 4 trailing characters, fewer for short values (never > 1/3 shown)."""
    keep = min(4, len(value) // 6)
    if keep == 0:
        return "…"
    return f"{value[:keep]}…{value[-keep:]}"


def group_tokens(findings: list[Finding]) -> list[Token]:
    """One ``Token`` per fingerprint; endpoint = the first non-default endpoint seen."""
    tokens: dict[str, Token] = {}
    for f in findings:
        token = tokens.get(f.fingerprint)
        if token is None:
            token = tokens[f.fingerprint] = Token(f.fingerprint, f.provider, f.endpoint)
        elif token.provider == "generic" and f.provider != "generic":
            token.provider = f.provider
        if token.endpoint is None and f.endpoint is not None:
            token.endpoint = f.endpoint
        location = {"path": f.path, "line": f.line, "commit": f.commit}
        if location not in token.locations:
            token.locations.append(location)
        if f.variable:
            token.variables.add(f.variable)
    return sorted(
        tokens.values(), key=lambda t: (t.provider, t.locations[0]["path"], t.fingerprint)
    )


def document(
    root: str,
    key_file: str,
    findings: list[Finding],
    tokens: list[Token],
    stats: dict[str, Any],
) -> dict[str, Any]:
    """The ``zsp.inventory/v1`` JSON document."""
    return {
        "schema": SCHEMA,
        "root": root,
        "fingerprint": {"algorithm": "hmac-sha256", "key_file": key_file},
        "findings": [f.to_dict() for f in findings],
        "tokens": [t.to_dict() for t in tokens],
        "stats": stats,
    }
