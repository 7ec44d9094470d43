"""Output formats for a scan: JSON inventory, SARIF 2.1.0, Markdown, CSV and a rich table.

Every format is built from findings and tokens only, which hold fingerprints and masked previews:
no format can leak a raw value because none is ever handed to this module.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from .inventory import Finding, Token, document
from .rules import load_rules

FORMATS = ("table", "json", "sarif", "markdown", "csv")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


class BaselineError(ValueError):
    """The baseline file is unreadable or not a zsp inventory (message names the file)."""


def load_baseline(path: Path) -> set[tuple[str, str]]:
    """``(fingerprint, path)`` pairs accepted in a previous ``--format json`` inventory.

    Keyed by fingerprint and path, not line, so that edits elsewhere in a file do not resurrect
    accepted findings; the fingerprint key must be the same as when the baseline was written."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise BaselineError(f"{path}: cannot read baseline ({err.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BaselineError(f"{path}: baseline is not valid JSON ({err})") from None
    if not isinstance(doc, dict) or doc.get("schema") != "zsp.inventory/v1":
        raise BaselineError(f"{path}: not a zsp.inventory/v1 document (key 'schema')")
    findings = doc.get("findings")
    if not isinstance(findings, list):
        raise BaselineError(f"{path}: key 'findings' must be a list")
    accepted = set()
    for idx, item in enumerate(findings):
        if not isinstance(item, dict) or not {"fingerprint", "path"} <= item.keys():
            raise BaselineError(f"{path}: findings[{idx}] lacks 'fingerprint' or 'path'")
        accepted.add((str(item["fingerprint"]), str(item["path"])))
    return accepted


def to_json(  # the same document as ``ScanResult.to_document``
    root: str, key_file: str, findings: list[Finding], tokens: list[Token], stats: dict[str, Any]
) -> str:
    return json.dumps(document(root, key_file, findings, tokens, stats), indent=2) + "\n"


def to_sarif(findings: list[Finding], tokens: list[Token], root: str) -> str:
    rules = load_rules()
    used = sorted({f.rule for f in findings})
    index = {rule_id: i for i, rule_id in enumerate(used)}
    by_id = {r.id: r for r in rules}
    flags = {t.fingerprint: t.flags for t in tokens}
    results = []
    for f in findings:
        rule = by_id.get(f.rule)
        region: dict[str, Any] = {"startLine": f.line}
        if f.commit is None:
            region.update(startColumn=f.column, endColumn=f.end_column)
        where = f" assigned to {f.variable}" if f.variable else ""
        commit = f" in commit {f.commit[:12]}" if f.commit else ""
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": "error",
                "message": {
                    "text": f"{rule.description if rule else f.rule} ({f.preview}){where}{commit}; "
                    f"reaches {f.endpoint or 'an unknown endpoint'}."
                },
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f.path, "uriBaseId": "SRCROOT"},
                            "region": region,
                        }
                    }
                ],
                "partialFingerprints": {"zspTokenFingerprint/v1": f.fingerprint},
                "properties": {
                    "provider": f.provider,
                    "kind": f.kind,
                    "encoding": f.encoding,
                    "commit": f.commit,
                    "flags": flags.get(f.fingerprint, []),
                },
            }
        )
    driver_rules = []
    for rule_id in used:
        rule = by_id.get(rule_id)
        text = rule.description if rule else rule_id
        driver_rules.append(
            {
                "id": rule_id,
                "name": rule_id.replace("-", " ").title().replace(" ", ""),
                "shortDescription": {"text": text},
                "fullDescription": {"text": f"Static inference token: {text}."},
                "defaultConfiguration": {"level": "error"},
                "properties": {"tags": ["security", "secret"], "security-severity": "8.0"},
            }
        )
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "zsp-scan",
                        "informationUri": "https://github.com/hoophq/hoop",
                        "version": "0.1.0",
                        "rules": driver_rules,
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": Path(root).as_uri() + "/"}},
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2) + "\n"


def _md(value: object) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def to_markdown(findings: list[Finding], tokens: list[Token], stats: dict[str, Any]) -> str:
    out = ["# zsp scan", ""]
    out.append(
        f"{len(tokens)} token(s), {len(findings)} finding(s) in {stats.get('files_scanned', 0)} "
        f"file(s) ({stats.get('bytes_scanned', 0)} bytes)."
    )
    out += [
        "",
        "## Tokens",
        "",
        "| provider | fingerprint | endpoint | locations | consumers | flags |",
    ]
    out.append("|---|---|---|---|---|---|")
    for t in tokens:
        locs = ", ".join(
            f"{loc['path']}:{loc['line']}" + (f"@{loc['commit'][:8]}" if loc["commit"] else "")
            for loc in t.locations
        )
        cons = ", ".join(f"{c.kind}:{c.name}" for c in t.consumers)
        out.append(
            f"| {_md(t.provider)} | `{t.fingerprint[:12]}` | {_md(t.endpoint)} | {_md(locs)} | "
            f"{_md(cons)} | {_md(', '.join(t.flags))} |"
        )
    out += ["", "## Findings", "", "| path | line | provider | rule | preview | variable | kind |"]
    out.append("|---|---|---|---|---|---|---|")
    for f in findings:
        path = f.path + (f" @{f.commit[:8]}" if f.commit else "")
        out.append(
            f"| {_md(path)} | {f.line} | {_md(f.provider)} | {_md(f.rule)} | `{_md(f.preview)}` "
            f"| {_md(f.variable)} | {_md(f.kind)} |"
        )
    return "\n".join(out) + "\n"


CSV_FIELDS = (
    "path",
    "line",
    "column",
    "end_column",
    "provider",
    "rule",
    "fingerprint",
    "preview",
    "kind",
    "variable",
    "encoding",
    "commit",
    "endpoint",
)


def to_csv(findings: list[Finding]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for f in findings:
        writer.writerow({k: ("" if v is None else v) for k, v in f.to_dict().items()})
    return buf.getvalue()


def render_table(
    findings: list[Finding], tokens: list[Token], stats: dict[str, Any], console: Any
) -> None:
    """Print the inventory for people (a rich ``Console``)."""
    from rich.table import Table

    table = Table(title=f"{len(tokens)} static inference token(s)", show_lines=False)
    for col in ("provider", "preview", "endpoint", "locations", "consumers", "flags"):
        table.add_column(col, overflow="fold")
    previews: dict[str, str] = {}
    for f in findings:
        previews.setdefault(f.fingerprint, f.preview)
    for t in tokens:
        locs = "\n".join(
            f"{loc['path']}:{loc['line']}" + (f" @{loc['commit'][:8]}" if loc["commit"] else "")
            for loc in t.locations[:6]
        )
        if len(t.locations) > 6:
            locs += f"\n… +{len(t.locations) - 6}"
        cons = "\n".join(f"{c.kind}: {c.name}" for c in t.consumers[:6]) or "-"
        table.add_row(
            t.provider,
            previews.get(t.fingerprint, ""),
            t.endpoint or "-",
            locs,
            cons,
            ", ".join(t.flags) or "-",
            end_section=False,
        )
    if tokens:
        console.print(table)
    skipped = stats.get("skipped", {})
    skipped_text = ", ".join(f"{k} {v}" for k, v in skipped.items() if v) or "none"
    console.print(
        f"{len(findings)} finding(s), {len(tokens)} token(s); "
        f"scanned {stats.get('files_scanned', 0)} file(s), "
        f"{stats.get('bytes_scanned', 0) / 1e6:.1f} MB in {stats.get('duration_seconds', 0)} s "
        f"({stats.get('engine')}); skipped: {skipped_text}; errors: {len(stats.get('errors', []))}",
        highlight=False,
    )
