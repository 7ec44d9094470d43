"""The secret detector the plaintext rule (ZSP012) calls: ``detect(text) -> list[SecretMatch]``.

The interface is deliberately tiny so that the rule reuses ``zsp scan``'s rules (one source of truth
for what a token looks like) without depending on the scanner's internals. Until the scanner engine
is importable, a built-in set of high-precision patterns for the providers zsp fronts is used.
A match carries the rule name and position, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SecretMatch:
    """Where in the text a secret-looking value is, and which detector rule saw it."""

    rule: str
    start: int
    end: int


Detector = Callable[[str], list[SecretMatch]]

_BUILTIN: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("openai-project-key", r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}"),
        ("openai-legacy-key", r"\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b"),
        ("anthropic-key", r"\bsk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{32,}"),
        ("huggingface-token", r"\b(?:hf|api_org)_[A-Za-z]{30,}\b"),
        ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        ("aws-access-key-id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        ("aws-bedrock-api-key", r"\bABSK[A-Za-z0-9+/]{40,}"),
        ("groq-key", r"\bgsk_[A-Za-z0-9]{48,}\b"),
        ("replicate-token", r"\br8_[A-Za-z0-9]{37}\b"),
        ("openrouter-key", r"\bsk-or-v1-[a-f0-9]{64}\b"),
        ("github-token", r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
        ("slack-token", r"\bxox[abpr]-[A-Za-z0-9-]{20,}"),
        ("private-key", r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
        ("url-with-password", r"\b[a-z][a-z0-9+.-]{1,20}://[^/\s:@]{1,64}:[^/\s@]{6,}@[^\s/]+"),
    )
)
_PLACEHOLDER = re.compile(r"EXAMPLE|example|x{6,}|X{6,}|\$\{|\{\{|<[A-Z_]+>|changeme|\[redacted\]")


def builtin_detect(text: str) -> list[SecretMatch]:
    """High-precision patterns (provider key prefixes, private keys, URLs with a password)."""
    found: list[SecretMatch] = []
    for name, pattern in _BUILTIN:
        for match in pattern.finditer(text):
            if _PLACEHOLDER.search(match.group(0)):
                continue
            found.append(SecretMatch(name, match.start(), match.end()))
    return found


def scanner_detector() -> Detector | None:
    """``zsp scan``'s own rules (one source of truth for token shapes), when the scanner exists."""
    try:
        from zsp.cli.scan.detect import Matcher, detect
    except ImportError:
        return None
    matcher = Matcher()

    def run(text: str) -> list[SecretMatch]:
        candidates, _ = detect(text.encode("utf-8"), "yaml", matcher)
        return [SecretMatch(str(c.rule.id), c.start, c.end) for c in candidates]

    return run


def default_detector() -> Detector:
    """The scanner's rules plus the built-in patterns (private keys, URLs with a password)."""
    scanner = scanner_detector()
    if scanner is None:
        return builtin_detect

    def both(text: str) -> list[SecretMatch]:
        found = scanner(text)
        taken = [(m.start, m.end) for m in found]
        found += [
            m for m in builtin_detect(text) if not any(s < m.end and m.start < e for s, e in taken)
        ]
        return found

    return both
