"""Per-file detection: a multi-pattern prefilter, then exact spans, filters and context.

Hyperscan (Vectorscan-compatible ``hyperscan`` package) scans each file once for all rules in
``HS_FLAG_SINGLEMATCH`` mode: almost every file matches nothing and costs one pass at memory
speed. Only for the (file, rule) pairs that hit does Python ``re`` extract spans, so the Python
cost scales with findings, not with corpus size. Without Hyperscan the same rules run through
Python ``re`` behind a literal keyword prefilter (slower, same results).

Raw token values exist only inside this module's return values, which the engine turns into
fingerprints immediately; they are never logged or put in exceptions.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .rules import Rule, load_rules

try:  # pragma: no cover - exercised where the wheel exists (it does on this project's machines)
    import hyperscan as _hs
except ImportError:  # pragma: no cover
    _hs = None  # type: ignore[assignment]

REGION_CAP = 256
"""Past this many match ends for one rule in one file, the exact pass scans the whole file."""
WINDOW_LINES = 15
"""How many lines around a token count as "beside it" for endpoints and ``near`` contexts."""

_PLACEHOLDER_WORDS = (
    "...",
    "…",
    "xxxx",
    "example",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "your",
    "redacted",
    "dummy",
    "sample",
    "insert",
    "replace",
    "0000000000",
    "1234567890",
    "abcdefghij",
    "*****",
)
_PLACEHOLDER_CHARS = set("<>{}$[]()*%")
_URL = re.compile(r"""https?://[^\s"'<>\\`,;)]+""")
_BASE_NAME = re.compile(
    r"""(?i)(?:base_?url|api_?base|endpoint|api_?host|host|server|url)[\w.-]*\\?["']?\]?"""
    r"""[ \t]*(?:[:=]{1,2}|=>|\()?[ \t]*\\?["']?$"""
)
_VAR_BEFORE = re.compile(
    r"""([A-Za-z_][A-Za-z0-9_.\-]*)\\?["']?\]?[ \t]*(?:[:=]{1,2}|=>)[ \t]*"""
    r"""\\?["']?(?:Bearer[ \t]+)?$"""
)
_DOCKER_VAR = re.compile(r"""^[ \t]*(?:ENV|ARG)[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]+["']?$""")
_ENV_NAME_LINE = re.compile(r"""^[ \t]*-?[ \t]*name:[ \t]*["']?([A-Za-z_][A-Za-z0-9_.\-]*)["']?""")
_LETTER = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"[0-9]")
_B64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def is_placeholder(value: str) -> bool:
    """Documentation values, templates and references: never findings."""
    # lower, UPPER and Capitalized forms only: a random mixed-case token contains one of these
    # words by chance ~20x less often than with a case-insensitive test.
    if any(
        word in value or word.upper() in value or word.capitalize() in value
        for word in _PLACEHOLDER_WORDS
    ):
        return True
    if _PLACEHOLDER_CHARS.intersection(value):
        return True
    longest = max((len(m.group(0)) for m in re.finditer(r"(.)\1*", value)), default=0)
    return longest >= 6


@dataclass
class Candidate:
    """A detected token inside one text. ``value`` is the raw secret: keep it in memory only."""

    rule: Rule
    start: int
    end: int
    line: int
    column: int
    end_column: int
    value: str
    variable: str | None
    endpoint: str | None
    encoding: str = "plain"


class Matcher:
    """Which rules can match a buffer at all (Hyperscan, or keyword prefilter + ``re``)."""

    def __init__(self, rules: tuple[Rule, ...] | None = None) -> None:
        self.rules = rules if rules is not None else load_rules()
        self._db = None
        # anchored rules are only evaluated beside their anchor's findings (find_in_text)
        self._searched = [i for i, r in enumerate(self.rules) if r.anchor is None]
        if _hs is not None:
            db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            db.compile(
                expressions=[self.rules[i].pattern.encode() for i in self._searched],
                ids=self._searched,
                elements=len(self._searched),
                flags=[_hs.HS_FLAG_ALLOWEMPTY] * len(self._searched),
            )
            self._db = db
        self._bytes_res = {i: re.compile(self.rules[i].pattern.encode()) for i in self._searched}

    @property
    def engine(self) -> str:
        return "hyperscan" if self._db is not None else "python-re"

    def hits(self, data: bytes) -> list[int]:
        """Indexes of rules whose pattern occurs somewhere in ``data``."""
        return sorted(self.regions(data))

    def regions(self, data: bytes) -> dict[int, list[tuple[int, int]] | None]:
        """Rule index → byte ranges (the line of each match end and the line before) where the
        rule matched, or None for "anywhere" (too many matches, or no Hyperscan).

        Lets the exact ``re`` pass look at a few lines instead of the whole file."""
        if self._db is None:
            return {i: None for i, rx in self._bytes_res.items() if rx.search(data)}
        ends: dict[int, list[int] | None] = {}

        def on_match(rule_id: int, _f: int, to: int, _flags: int, _ctx: object) -> None:
            seen = ends.get(rule_id, [])
            if seen is None:
                return
            if len(seen) >= REGION_CAP:
                ends[rule_id] = None
                return
            if not seen or seen[-1] != to:
                seen.append(to)
            ends[rule_id] = seen

        self._db.scan(data, match_event_handler=on_match)
        out: dict[int, list[tuple[int, int]] | None] = {}
        for rule_id, offsets in ends.items():
            if offsets is None:
                out[rule_id] = None
                continue
            spans: list[tuple[int, int]] = []
            for to in offsets:
                last = max(to - 1, 0)
                line_start = data.rfind(b"\n", 0, last) + 1
                lo = data.rfind(b"\n", 0, max(line_start - 1, 0)) + 1 if line_start > 0 else 0
                hi = data.find(b"\n", last)
                hi = len(data) if hi < 0 else hi
                if spans and lo <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
                else:
                    spans.append((lo, hi))
            out[rule_id] = spans
        return out


@functools.lru_cache(maxsize=1)
def default_matcher() -> Matcher:
    """The matcher for the shipped rules, compiled once per process."""
    return Matcher()


class LineIndex:
    """Offset → (line, column) for one text, built once per text that has candidates."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def locate(self, offset: int) -> tuple[int, int]:
        idx = bisect.bisect_right(self.starts, offset) - 1
        return idx + 1, offset - self.starts[idx] + 1

    def window(self, line: int, lines: int = WINDOW_LINES) -> str:
        lo = self.starts[max(0, line - 1 - lines)]
        hi_idx = min(len(self.starts) - 1, line + lines)
        hi = self.starts[hi_idx] if hi_idx > line - 1 else len(self.text)
        if hi_idx == len(self.starts) - 1:
            hi = len(self.text)
        return self.text[lo:hi][:200_000]

    def line_text(self, line: int) -> str:
        lo = self.starts[line - 1]
        hi = self.starts[line] if line < len(self.starts) else len(self.text)
        return self.text[lo:hi]


def _variable(index: LineIndex, line: int, column: int, kind: str) -> str | None:
    """The name a value is assigned to, from the text before it on its line (or the line above
    for Kubernetes ``- name: X`` / ``value: v`` env entries)."""
    prefix = index.line_text(line)[: column - 1][-300:]
    match = _VAR_BEFORE.search(prefix)
    if match is None and kind == "dockerfile":
        match = _DOCKER_VAR.search(prefix)
    if match is None:
        return None
    name = match.group(1)
    if name == "value" and line > 1:
        above = _ENV_NAME_LINE.match(index.line_text(line - 1))
        if above:
            return above.group(1)
    return name


def _normalize_url(url: str) -> str:
    url = url.split("?", 1)[0].split("#", 1)[0].rstrip("/.")
    for suffix in ("/chat/completions", "/completions", "/embeddings", "/models", "/messages"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


def _endpoint(rule: Rule, window: str) -> str | None:
    """Base URL found beside the token (provider host first, then a *_BASE_URL-like line),
    else the provider's default."""
    hosts = rule.provider.endpoint_hosts
    named: str | None = None
    for line in window.splitlines():
        for match in _URL.finditer(line):
            url = match.group(0)
            host = url.split("://", 1)[1].split("/", 1)[0]
            if hosts is not None and hosts.fullmatch(host.split(":", 1)[0]):
                return _normalize_url(url)
            if named is None and _BASE_NAME.search(
                line[max(0, match.start() - 200) : match.start()]
            ):
                named = _normalize_url(url)
            if named is None and rule.near is not None and rule.near.search(url):
                named = _normalize_url(url)
    return named or rule.provider.endpoint


def _accept(rule: Rule, value: str, variable: str | None, window: str) -> bool:
    if is_placeholder(value):
        return False
    if entropy(value) < rule.min_entropy:
        return False
    if rule.requires_mixed and not (_LETTER.search(value) and _DIGIT.search(value)):
        return False
    if rule.name is None and rule.near is None:
        return True
    if rule.name is not None and variable is not None and rule.name.search(variable):
        return True
    return rule.near is not None and rule.near.search(window) is not None


def _matches(rule: Rule, text: str, spans: list[tuple[int, int]] | None) -> Iterator[re.Match[str]]:
    if spans is None:
        yield from rule.regex.finditer(text)
        return
    for lo, hi in spans:
        yield from rule.regex.finditer(text, lo, hi)


def _candidates(
    rule: Rule,
    text: str,
    kind: str,
    index: LineIndex,
    spans: list[tuple[int, int]] | None,
) -> Iterator[Candidate]:
    has_token = "token" in rule.regex.groupindex
    for match in _matches(rule, text, spans):
        start, end = match.span("token") if has_token else match.span()
        value = text[start:end]
        if "\n" in value:
            continue
        line, column = index.locate(start)
        if rule.has_name_group:
            variable: str | None = match.group("name")
        else:
            variable = _variable(index, line, column, kind)
        window = index.window(line)
        if not _accept(rule, value, variable, window):
            continue
        yield Candidate(
            rule=rule,
            start=start,
            end=end,
            line=line,
            column=column,
            end_column=column + (end - start),
            value=value,
            variable=variable,
            endpoint=_endpoint(rule, window),
        )


def find_in_text(
    text: str,
    rules: Iterable[Rule],
    kind: str,
    regions: dict[str, list[tuple[int, int]] | None] | None = None,
) -> list[Candidate]:
    """Candidates of the given rules in ``text``, overlaps resolved by rule priority.

    ``regions`` (rule id → character ranges) restricts each rule to where the prefilter saw it.
    Rules anchored to a found rule (``Rule.anchor``) are then looked for in the lines around it."""
    index = LineIndex(text)
    found: list[Candidate] = []
    for rule in rules:
        spans = regions.get(rule.id) if regions is not None else None
        found.extend(_candidates(rule, text, kind, index, spans))
    anchored = [r for r in load_rules() if r.anchor is not None]
    for cand in list(found):
        for rule in anchored:
            if rule.anchor != cand.rule.id:
                continue
            lo = index.starts[max(0, cand.line - 1 - rule.anchor_lines)]
            last = min(len(index.starts), cand.line + rule.anchor_lines)
            hi = index.starts[last] if last < len(index.starts) else len(text)
            found.extend(_candidates(rule, text, kind, index, [(lo, hi)]))
    found.sort(key=lambda c: (c.start, -c.rule.priority))
    kept: list[Candidate] = []
    for cand in found:
        clash = next((k for k in kept if cand.start < k.end and k.start < cand.end), None)
        if clash is None:
            kept.append(cand)
        elif cand.rule.priority > clash.rule.priority:
            kept[kept.index(clash)] = cand
    return kept


def find_in_k8s_secret(
    text: str, matcher: Matcher, rules: tuple[Rule, ...], spans: list[tuple[int, int]] | None = None
) -> list[Candidate]:
    """Tokens inside base64 ``data:`` values of Secret manifests, located at the base64 text.

    Parsed line by line (not by a YAML loader) so that a truncated manifest still yields the
    entries before the damage and positions stay exact."""
    found: list[Candidate] = []
    index = LineIndex(text)
    lines = text.split("\n")
    in_data = False
    data_indent = -1
    for no, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        indent = len(raw) - len(raw.lstrip(" "))
        if stripped.startswith("---"):
            in_data = False
            continue
        if re.match(r"^data:\s*$", raw):
            in_data, data_indent = True, indent
            continue
        if in_data and stripped and indent <= data_indent:
            in_data = False
        if not in_data or not stripped or stripped.startswith("#"):
            continue
        entry = re.match(r"""^(\s+)([\w.\-]+):\s*["']?([A-Za-z0-9+/]+={0,2})["']?\s*$""", raw)
        if not entry or len(entry.group(3)) < 16:
            continue
        b64 = entry.group(3)
        try:
            decoded = base64.b64decode(b64, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if spans is not None:
            b64_start = index.starts[no - 1] + raw.index(b64)
            spans.append((b64_start, b64_start + len(b64)))
        # Re-create the line as if it were plain ("name: value") inside its surrounding lines, so
        # name-gated and endpoint-gated rules see the same context as in a stringData entry.
        lo = index.starts[max(0, no - 1 - WINDOW_LINES)]
        before = text[lo : index.starts[no - 1]]
        after_start = index.starts[no] if no < len(index.starts) else len(text)
        after = text[after_start : after_start + 20_000]
        block = f"{entry.group(1)}{entry.group(2)}: {decoded}\n"
        synthetic = before + block + after
        hits = matcher.hits(synthetic.encode())
        if not hits:
            continue
        inner = find_in_text(synthetic, [rules[i] for i in hits], "k8s-secret")
        col = raw.index(b64) + 1
        for cand in inner:
            if not len(before) <= cand.start < len(before) + len(block):
                continue
            offset = index.starts[no - 1] + col - 1
            found.append(
                Candidate(
                    rule=cand.rule,
                    start=offset,
                    end=offset + len(b64),
                    line=no,
                    column=col,
                    end_column=col + len(b64),
                    value=cand.value,
                    variable=cand.variable or entry.group(2),
                    endpoint=cand.endpoint,
                    encoding="base64",
                )
            )
    return found


_DOCKER_SPACE_FORM = re.compile(
    rb"(?im)^([ \t]*(?:ENV|ARG)[ \t]+[A-Za-z_][A-Za-z0-9_]*)[ \t](?=[^\s=])"
)


def detect(data: bytes, kind: str, matcher: Matcher) -> tuple[list[Candidate], bool]:
    """All candidates in one file's bytes, and whether the bytes were valid UTF-8."""
    if kind == "dockerfile":
        # "ENV NAME value" → "ENV NAME=value": one byte for one byte, so every offset (and what
        # read_token later slices from the original file) stays the same.
        data = _DOCKER_SPACE_FORM.sub(rb"\1=", data)
    regions = matcher.regions(data)
    hits = sorted(regions)
    secret_data = kind == "k8s-secret" and b"data:" in data
    if not hits and not secret_data:
        return [], True
    try:
        text = data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        valid = False
    rules = matcher.rules
    # Byte ranges are character ranges only for ASCII text; otherwise scan whole texts.
    by_id = {rules[i].id: spans for i, spans in regions.items()} if data.isascii() else None
    found = find_in_text(text, [rules[i] for i in hits], kind, by_id) if hits else []
    if secret_data:
        # The base64 text of a decodable data entry is an encoding, not a token: only what it
        # decodes to counts.
        spans: list[tuple[int, int]] = []
        decoded = find_in_k8s_secret(text, matcher, rules, spans)
        found = [c for c in found if not any(lo <= c.start < hi for lo, hi in spans)]
        found.extend(decoded)
    return found, valid


def decode_base64_span(value: str) -> str | None:
    """The UTF-8 text behind a base64 span, or None."""
    if not _B64.match(value):
        return None
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
