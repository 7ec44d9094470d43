"""Read a ``zsp.inventory/v1`` document (the output of ``zsp scan``) and check its shape.

Every problem is reported with the file and the JSON path at fault, because an inventory is often
hand-filtered before a migration and a silent misread would migrate the wrong thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ZspError
from ..scan.inventory import SCHEMA, Finding
from ..scan.kinds import KINDS


@dataclass(frozen=True)
class Token:
    fingerprint: str
    provider: str
    endpoint: str | None
    consumers: tuple[str, ...]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Inventory:
    source: Path
    root: Path
    key_file: Path
    findings: tuple[Finding, ...]
    tokens: tuple[Token, ...]


class _Reader:
    def __init__(self, source: Path) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> ZspError:
        return ZspError(f"{self.source}: {where}: {message}")

    def get(self, obj: Any, key: str, where: str, types: Any, optional: bool = False) -> Any:
        if not isinstance(obj, dict):
            raise self.fail(where, "expected an object")
        if key not in obj or obj[key] is None:
            if optional:
                return None
            raise self.fail(f"{where}.{key}", "required value is missing")
        value = obj[key]
        if isinstance(value, bool) and bool not in (
            types if isinstance(types, tuple) else (types,)
        ):
            raise self.fail(f"{where}.{key}", f"expected {_names(types)}")
        if not isinstance(value, types):
            raise self.fail(f"{where}.{key}", f"expected {_names(types)}")
        return value


def _names(types: Any) -> str:
    items = types if isinstance(types, tuple) else (types,)
    return " or ".join(
        {str: "a string", int: "an integer", list: "a list", dict: "an object"}.get(t, t.__name__)
        for t in items
    )


def _consumer_name(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in ("name", "consumer", "workload", "service"):
            if isinstance(item.get(key), str):
                return str(item[key])
    return None


def load_inventory(source: Path) -> Inventory:
    """Parse and validate the inventory at ``source``."""
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except OSError as err:
        raise ZspError(f"{source}: cannot read the inventory ({err.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        line = getattr(err, "lineno", None)
        where = f"{source}:{line}" if line else str(source)
        raise ZspError(f"{where}: the inventory is not valid JSON") from None
    r = _Reader(source)
    if not isinstance(doc, dict):
        raise r.fail("<root>", "expected a JSON object")
    schema = r.get(doc, "schema", "<root>", str)
    if schema != SCHEMA:
        raise r.fail("schema", f"unsupported inventory schema {schema!r} (expected {SCHEMA})")
    root = Path(r.get(doc, "root", "<root>", str))
    if not root.is_absolute():
        raise r.fail("root", "must be an absolute path")
    fp = r.get(doc, "fingerprint", "<root>", dict)
    if r.get(fp, "algorithm", "fingerprint", str) != "hmac-sha256":
        raise r.fail("fingerprint.algorithm", "only hmac-sha256 is supported")
    key_file = Path(r.get(fp, "key_file", "fingerprint", str))
    findings: list[Finding] = []
    for i, raw in enumerate(r.get(doc, "findings", "<root>", list)):
        where = f"findings[{i}]"
        kind = r.get(raw, "kind", where, str)
        if kind not in KINDS:
            raise r.fail(f"{where}.kind", f"unknown kind {kind!r}")
        encoding = r.get(raw, "encoding", where, str, optional=True) or "plain"
        if encoding not in {"plain", "base64"}:
            raise r.fail(f"{where}.encoding", f"unknown encoding {encoding!r}")
        path = r.get(raw, "path", where, str)
        if path.startswith("/") or ".." in Path(path).parts:
            raise r.fail(f"{where}.path", "must be relative to the root, without '..'")
        line = r.get(raw, "line", where, int)
        column = r.get(raw, "column", where, int)
        end_column = r.get(raw, "end_column", where, int)
        if line < 1 or column < 1 or end_column <= column:
            raise r.fail(where, "line/column/end_column must be 1-based with end_column > column")
        findings.append(
            Finding(
                path=path,
                line=line,
                column=column,
                end_column=end_column,
                provider=r.get(raw, "provider", where, str),
                rule=r.get(raw, "rule", where, str, optional=True) or "",
                fingerprint=r.get(raw, "fingerprint", where, str).lower(),
                preview=r.get(raw, "preview", where, str, optional=True) or "",
                kind=kind,
                variable=r.get(raw, "variable", where, str, optional=True),
                encoding=encoding,
                commit=r.get(raw, "commit", where, str, optional=True),
                endpoint=r.get(raw, "endpoint", where, str, optional=True),
            )
        )
    tokens: list[Token] = []
    for i, raw in enumerate(r.get(doc, "tokens", "<root>", list)):
        where = f"tokens[{i}]"
        consumers = r.get(raw, "consumers", where, list, optional=True) or []
        flags = r.get(raw, "flags", where, list, optional=True) or []
        names = [n for n in (_consumer_name(c) for c in consumers) if n]
        tokens.append(
            Token(
                fingerprint=r.get(raw, "fingerprint", where, str).lower(),
                provider=r.get(raw, "provider", where, str),
                endpoint=r.get(raw, "endpoint", where, str, optional=True),
                consumers=tuple(dict.fromkeys(names)),
                flags=tuple(str(f) for f in flags),
            )
        )
    known = {t.fingerprint for t in tokens}
    for i, f in enumerate(findings):
        if f.fingerprint not in known:
            raise r.fail(f"findings[{i}].fingerprint", "no token in tokens[] has this fingerprint")
    return Inventory(source, root, key_file, tuple(findings), tuple(tokens))
