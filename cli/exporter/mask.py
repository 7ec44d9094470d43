"""Masking of payload bodies before they may leave the exporter.

Bodies are off by default. When an operator asks for them (``--include-bodies``), they still pass
through this masker first: a SIEM is a wide-read system, and a prompt or completion that carries a
bearer token, an API key or a customer's e-mail must not become readable there. hoop's own
Presidio masking has usually run already; this is the second, deterministic line of defence for
credentials, which Presidio does not know about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MASK = "[masked]"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Credentials first: the longest, most specific shapes win before generic ones run.
    ("hoop_proxy_token", re.compile(r"httpproxy-[A-Za-z0-9_\-]{8,}")),
    ("bearer", re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}")),
    ("openai_key", re.compile(r"sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}")),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")),
    ("hf_token", re.compile(r"\bhf_[A-Za-z0-9]{20,}\b")),
    ("github_token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")),
    (
        "secret_assignment",
        re.compile(
            r"(?i)((?:api[_-]?key|secret|password|passwd|token|authorization)\"?\s*[:=]\s*\"?)"
            r"(?!\[masked\]|(?:bearer|basic)\s)[^\s\",}]{4,}"
        ),
    ),
    ("email", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")),
    ("card_number", re.compile(r"\b(?:\d[ \-]?){13,19}\b")),
)


@dataclass
class MaskResult:
    """The masked text and what was replaced (counts per kind), for the event's verdict fields."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)
    truncated: bool = False


def mask_body(text: str, max_bytes: int = 8192) -> MaskResult:
    """Replace credentials and personal data by ``[masked]`` and cut the result to ``max_bytes``.

    Truncation happens after masking so that a secret straddling the cut is still recognised.
    """
    counts: dict[str, int] = {}
    out = text
    for kind, pattern in _PATTERNS:
        if kind == "secret_assignment":
            out, n = pattern.subn(lambda m: m.group(1) + MASK, out)
        elif kind == "bearer":
            out, n = pattern.subn(lambda m: m.group(1) + " " + MASK, out)
        else:
            out, n = pattern.subn(MASK, out)
        if n:
            counts[kind] = counts.get(kind, 0) + n
    raw = out.encode("utf-8")
    truncated = len(raw) > max_bytes
    if truncated:
        out = raw[:max_bytes].decode("utf-8", errors="ignore")
    return MaskResult(out, counts, truncated)
