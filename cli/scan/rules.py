"""Detection rules, loaded from data files (``rules/*.toml``, one per provider family).

Rules are data so that adding a provider is a reviewed text change with its own positive and
negative examples (the test-suite runs every example), not code. A rule pattern must be valid
both for Python ``re`` and for Hyperscan (no look-arounds, no back-references): Hyperscan finds
which rules match a file at all, Python ``re`` then extracts the spans on the few files that hit.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

ASSIGN = (
    r"""\\?["']?(?:[ \t]*(?:[:=]{1,2}|=>)[ \t]*"""
    r"""|["']?[ \t]*\r?\n[ \t]*value:[ \t]*)\\?["']?"""
)
"""Glue between a name and its value: ``NAME=v``, ``name: "v"``, ``"name": "v"``, ``x := "v"``,
JSON-escaped quotes inside notebooks, and the Kubernetes env-list form ``- name: NAME`` /
``value: v`` (``%ASSIGN%`` in rule files)."""

_LEAD = r"(?<![A-Za-z0-9_+/-])"
_TRAIL = r"(?![A-Za-z0-9_+/-])"
_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


class RuleError(ValueError):
    """A rule file is malformed (names the file and the rule)."""


@dataclass(frozen=True)
class Provider:
    """A provider family: where its tokens go by default and what its endpoints look like."""

    name: str
    endpoint: str | None
    endpoint_hosts: re.Pattern[str] | None
    source: str


@dataclass(frozen=True)
class Rule:
    """One detection rule. ``regex`` is the Python form with token boundaries added."""

    id: str
    provider: Provider
    description: str
    pattern: str
    regex: re.Pattern[str]
    min_entropy: float
    priority: int
    name: re.Pattern[str] | None
    near: re.Pattern[str] | None
    anchor: str | None = None
    """Id of a rule this one is only looked for beside (``anchor_lines`` around its findings):
    the companion secret of a key id has no shape of its own that is cheap to search for."""
    anchor_lines: int = 4
    positives: tuple[str, ...] = field(default=())
    negatives: tuple[str, ...] = field(default=())

    @property
    def has_name_group(self) -> bool:
        return "name" in self.regex.groupindex

    @property
    def requires_mixed(self) -> bool:
        """Unprefixed values must mix letters and digits: identifiers and words never count."""
        return self.has_name_group or self.provider.name == "generic" or self.anchor is not None


def _python_regex(pattern: str) -> re.Pattern[str]:
    flags = ""
    match = _FLAGS.match(pattern)
    if match:
        flags = f"(?{match.group(1)})"
        pattern = pattern[match.end() :]
    return re.compile(f"{flags}{_LEAD}(?:{pattern}){_TRAIL}")


def _load_file(name: str, text: str) -> list[Rule]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise RuleError(f"rules/{name}: {err}") from None
    try:
        hosts = data.get("endpoint_hosts")
        provider = Provider(
            name=str(data["provider"]),
            endpoint=data.get("endpoint"),
            endpoint_hosts=re.compile(hosts, re.IGNORECASE) if hosts else None,
            source=name,
        )
        rules = []
        for raw in data["rules"]:
            pattern = str(raw["pattern"]).replace("%ASSIGN%", ASSIGN)
            regex = _python_regex(pattern)
            if regex.groups and "token" not in regex.groupindex:
                raise RuleError(f"rules/{name}: rule {raw['id']}: groups need a 'token' group")
            rules.append(
                Rule(
                    id=str(raw["id"]),
                    provider=provider,
                    description=str(raw["description"]),
                    pattern=pattern,
                    regex=regex,
                    min_entropy=float(raw.get("min_entropy", 3.0)),
                    priority=int(raw.get("priority", 100)),
                    name=re.compile(raw["name"]) if "name" in raw else None,
                    near=re.compile(raw["near"]) if "near" in raw else None,
                    anchor=raw.get("anchor"),
                    anchor_lines=int(raw.get("anchor_lines", 4)),
                    positives=tuple(raw.get("positives", ())),
                    negatives=tuple(raw.get("negatives", ())),
                )
            )
    except (KeyError, TypeError, re.error) as err:
        raise RuleError(f"rules/{name}: invalid rule: {err}") from None
    return rules


@lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    """Every rule shipped in ``zsp.cli.scan.rules`` (package data), in a stable order."""
    folder = resources.files("zsp.cli.scan").joinpath("rules")
    rules: list[Rule] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            rules.extend(_load_file(entry.name, entry.read_text(encoding="utf-8")))
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise RuleError("duplicate rule ids in rules/*.toml")
    return tuple(rules)


def providers() -> dict[str, Provider]:
    """Provider name → provider, for every loaded rule."""
    return {r.provider.name: r.provider for r in load_rules()}
