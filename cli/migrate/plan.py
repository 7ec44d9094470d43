"""``zsp migrate plan``: decide, for every token, where it goes and how each consumer changes.

A plan names secrets, connections, files and diffs; it never holds a token. Diffs are computed on a
masked copy of each file (every inventory span replaced by its masked preview) so that even the
removed lines show no value.
"""

from __future__ import annotations

import difflib
import json
import re
import secrets as _secrets
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from zsp.components.hoop.upstream import reference_for_api

from ..errors import ZspError
from .fingerprint import decode_span, matches, read_key
from .fsutil import atomic_write, private_dir, sha256_bytes
from .inventory import Finding, Inventory, Token, load_inventory
from .providers import infer_provider, provider_info
from .rewrite import Edit, Unsupported, check_supported, rewrite_text, split_lines
from .stackedit import EndpointChange, apply_changes, load_endpoints, validate

SCHEMA = "zsp.migrate-plan/v1"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + _secrets.token_hex(3)


def _origin(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return url.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}".lower()


def gateway_url_from_stack(values: dict[str, Any]) -> str | None:
    """The gateway's public HTTP proxy URL as the stack deploys it (``InferenceGateway.proxy_url``:
    TLS on ``zsp:gateway.proxyHost`` through the ingress, port 443)."""
    gateway = values.get("zsp:gateway")
    if isinstance(gateway, dict) and isinstance(gateway.get("proxyHost"), str):
        return f"https://{gateway['proxyHost']}"
    return None


def span_text(lines: list[str], f: Finding) -> str | None:
    if f.line > len(lines):
        return None
    line = lines[f.line - 1].rstrip("\r\n")
    if f.end_column - 1 > len(line):
        return None
    return line[f.column - 1 : f.end_column - 1]


def masked_text(text: str, findings: list[Finding]) -> str:
    """The file with every inventory span replaced by its preview: safe to diff and print."""
    lines = split_lines(text)
    for f in sorted(findings, key=lambda x: (x.line, x.column), reverse=True):
        if f.line <= len(lines):
            line = lines[f.line - 1]
            preview = f.preview or "****"
            lines[f.line - 1] = line[: f.column - 1] + preview + line[f.end_column - 1 :]
    return "".join(lines)


def unified(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


def _mask_left(after: str, before: str, findings: list[Finding], edits: list[Edit]) -> str:
    """Mask spans that stay in the file (tokens not in this plan) in the rewritten text too."""
    done = {(e.line, e.column) for e in edits}
    lines = split_lines(before)
    for f in findings:
        if (f.line, f.column) in done:
            continue
        span = span_text(lines, f)
        if span:
            after = after.replace(span, f.preview or "****")
    return after


@dataclass(frozen=True)
class PlanOptions:
    inventory: Path
    stack: str
    project_dir: Path
    gateway_url: str | None = None
    only: tuple[str, ...] = ()
    """Fingerprint prefixes to include (default: every token)."""


def _endpoint_for(
    token: Token,
    endpoints: list[dict[str, Any]],
    claimed: dict[str, str],
    env: str,
) -> tuple[str, str, str, bool]:
    """(endpoint name, secret name, upstream url, new?) for a token."""
    info = provider_info(token.provider)
    url = _origin(token.endpoint) or info.default_url
    for entry in endpoints:
        if entry.get("kind") != "hosted" or _origin(str(entry.get("url", ""))) != url:
            continue
        name = str(entry["name"])
        if claimed.get(name, token.fingerprint) == token.fingerprint:
            claimed[name] = token.fingerprint
            secret = str(entry.get("upstreamSecret") or f"zsp/{env}/upstream/{name}")
            return name, secret, url, False
    base = re.sub(r"[^a-z0-9-]+", "-", info.name.lower()).strip("-") or "upstream"
    name = (
        base
        if base not in {str(e.get("name")) for e in endpoints} and base not in claimed
        else f"{base}-{token.fingerprint[:6]}"
    )
    if not DNS_LABEL.match(name):
        name = f"upstream-{token.fingerprint[:8]}"
    claimed[name] = token.fingerprint
    return name, f"zsp/{env}/upstream/{name}", url, True


def build_plan(opts: PlanOptions) -> dict[str, Any]:
    """Everything ``apply`` will do, computed offline; raises ``ZspError`` on bad input."""
    inv: Inventory = load_inventory(opts.inventory)
    key = read_key(inv.key_file)
    project = opts.project_dir.resolve()
    stack_path = project / "stacks" / f"Pulumi.{opts.stack}.yaml"
    from zsp.components.config import StackConfigError, read_stack_file

    try:
        stack_file = read_stack_file(project, opts.stack)
        stack_file.parse()
    except StackConfigError as err:
        raise ZspError(str(err)) from None
    gateway = (opts.gateway_url or gateway_url_from_stack(stack_file.values) or "").rstrip("/")
    if not gateway:
        raise ZspError(
            f"{stack_file.display}: no gateway proxy URL (zsp:gateway.proxyHost); "
            "pass --gateway-url"
        )
    if not re.match(r"^https?://[^/\s]+", gateway):
        raise ZspError(f"--gateway-url {gateway!r} is not an http(s) URL")
    region = str(stack_file.values.get("aws:region", ""))
    endpoints = load_endpoints(stack_path)
    claimed: dict[str, str] = {}
    run = new_run_id()

    by_fp: dict[str, list[Finding]] = {}
    for f in inv.findings:
        by_fp.setdefault(f.fingerprint, []).append(f)
    file_cache: dict[str, str | None] = {}

    def read(path: str) -> str | None:
        if path not in file_cache:
            try:
                file_cache[path] = (inv.root / path).read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                file_cache[path] = None
        return file_cache[path]

    tokens: list[dict[str, Any]] = []
    edits_by_file: dict[str, list[Edit]] = {}
    changes: list[EndpointChange] = []
    for token in inv.tokens:
        if opts.only and not any(token.fingerprint.startswith(p.lower()) for p in opts.only):
            continue
        token = replace(token, provider=infer_provider(token.provider, token.endpoint))
        name, secret_name, upstream, new = _endpoint_for(token, endpoints, claimed, opts.stack)
        locations: list[dict[str, Any]] = []
        manual: list[dict[str, Any]] = []
        for f in by_fp.get(token.fingerprint, []):
            where = {"path": f.path, "line": f.line, "kind": f.kind}
            if f.commit:
                manual.append(
                    {
                        **where,
                        "commit": f.commit,
                        "reason": "in git history: rotate the key (zsp revoke)",
                    }
                )
                continue
            text = read(f.path)
            span = span_text(split_lines(text), f) if text is not None else None
            value = decode_span(span, f.encoding) if span is not None else None
            if value is None or not matches(key, value, f.fingerprint):
                manual.append(
                    {**where, "reason": "file changed since the scan (fingerprint mismatch)"}
                )
                continue
            edit = Edit(
                line=f.line,
                column=f.column,
                end_column=f.end_column,
                kind=f.kind,
                variable=f.variable,
                encoding=f.encoding,
                fingerprint=f.fingerprint,
                provider=token.provider,
                connection=name,
                secret_name=secret_name,
                upstream=upstream,
                gateway_url=gateway,
            )
            try:
                check_supported(f.path, edit)
            except Unsupported as err:
                manual.append({**where, "reason": str(err)})
                continue
            edits_by_file.setdefault(f.path, []).append(edit)
            locations.append(
                {
                    **where,
                    "column": f.column,
                    "end_column": f.end_column,
                    "encoding": f.encoding,
                    "variable": f.variable,
                }
            )
        if not locations and not manual:
            continue
        source = f"{locations[0]['path']}:{locations[0]['line']}" if locations else ""
        info = provider_info(token.provider)
        tokens.append(
            {
                "fingerprint": token.fingerprint,
                "provider": token.provider,
                "preview": next(
                    (f.preview for f in by_fp.get(token.fingerprint, []) if f.preview), ""
                ),
                "endpoint": upstream,
                "endpoint_name": name,
                "new_endpoint": new,
                "connection": name,
                "connection_reference": reference_for_api(secret_name, info.api),
                "secret": {
                    "name": secret_name,
                    "kms_key": f"alias/zsp-{opts.stack}-secrets",
                    "tags": {
                        "zsp:fingerprint": token.fingerprint,
                        "zsp:source": source,
                        "managed-by": "zsp",
                    },
                },
                "consumers": list(token.consumers),
                "flags": list(token.flags),
                "locations": locations,
                "manual": manual,
                "revoke": info.rotation,
            }
        )
        if locations:
            changes.append(
                EndpointChange(
                    name,
                    info.api,
                    upstream,
                    secret_name,
                    token.consumers,
                    token.fingerprint,
                    source,
                    new,
                )
            )

    # Whole files: a file with one location that cannot be rewritten is left alone entirely.
    files: list[dict[str, Any]] = []
    findings_by_file: dict[str, list[Finding]] = {}
    for f in inv.findings:
        findings_by_file.setdefault(f.path, []).append(f)
    for path in sorted(edits_by_file):
        text = read(path)
        assert text is not None
        edits = edits_by_file[path]
        try:
            after = rewrite_text(path, text, edits)
        except Unsupported as err:
            for t in tokens:
                moved = [loc for loc in t["locations"] if loc["path"] == path]
                t["locations"] = [loc for loc in t["locations"] if loc["path"] != path]
                t["manual"] += [
                    {**{k: loc[k] for k in ("path", "line", "kind")}, "reason": str(err)}
                    for loc in moved
                ]
            continue
        before_bytes = text.encode("utf-8")
        files.append(
            {
                "path": path,
                "kind": sorted({e.kind for e in edits}),
                "fingerprints": sorted({e.fingerprint for e in edits}),
                "sha256_before": sha256_bytes(before_bytes),
                "sha256_after": sha256_bytes(after.encode("utf-8")),
                "diff": unified(
                    path,
                    masked_text(text, findings_by_file[path]),
                    _mask_left(after, text, findings_by_file[path], edits),
                ),
            }
        )
    kept = {fp for f in files for fp in f["fingerprints"]}
    changes = [c for c in changes if c.fingerprint in kept]

    stack_text = stack_path.read_text(encoding="utf-8")
    new_stack = apply_changes(stack_text, changes, run) if changes else stack_text
    validate(project, opts.stack, new_stack)
    return {
        "schema": SCHEMA,
        "id": run,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "stack": opts.stack,
        "region": region,
        "project_dir": str(project),
        "root": str(inv.root),
        "inventory": str(opts.inventory.resolve()),
        "fingerprint_key_file": str(inv.key_file),
        "gateway_url": gateway,
        "kms_key": f"alias/zsp-{opts.stack}-secrets",
        "tokens": tokens,
        "files": files,
        "stack_file": {
            "path": f"stacks/Pulumi.{opts.stack}.yaml",
            "sha256_before": sha256_bytes(stack_text.encode("utf-8")),
            "endpoints": [asdict(c) | {"consumers": list(c.consumers)} for c in changes],
            "diff": unified(f"stacks/Pulumi.{opts.stack}.yaml", stack_text, new_stack),
        },
    }


def write_plan(plan: dict[str, Any], out: Path) -> None:
    private_dir(out.parent)
    atomic_write(out, (json.dumps(plan, indent=2) + "\n").encode("utf-8"), mode=0o600)


def load_plan(path: Path) -> dict[str, Any]:
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ZspError(f"{path}: cannot read the plan ({err.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ZspError(f"{path}: the plan is not valid JSON") from None
    if not isinstance(plan, dict) or plan.get("schema") != SCHEMA:
        raise ZspError(f"{path}: not a zsp migrate plan (schema {SCHEMA})")
    for key in ("id", "stack", "project_dir", "root", "fingerprint_key_file", "tokens", "files"):
        if key not in plan:
            raise ZspError(f"{path}: {key}: required value is missing")
    return plan


def default_plan_path(project_dir: Path, run: str) -> Path:
    return project_dir / ".zsp" / "plans" / f"{run}.json"
