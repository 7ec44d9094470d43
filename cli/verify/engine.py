"""Re-scan migrated paths by fingerprint and check the secrets a run stored.

The re-scan needs no provider rules: every token-shaped run of characters (and the base64 text of
one) is fingerprinted with the inventory key and compared with the migrated fingerprints, so a
copy pasted into any file — even one the scanner's rules would not classify — is caught.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ZspError
from ..migrate.aws import FP_TAG, AwsOptions, describe_error, read_token, session_clients
from ..migrate.fingerprint import fingerprint, read_key
from ..migrate.fsutil import atomic_write, private_dir
from ..migrate.journal import fold, journal_path, read_events, zsp_dir
from ..migrate.plan import load_plan

SKIP_DIRS = {".git", ".zsp", ".hg", ".svn", "node_modules", ".venv", "__pycache__"}
MAX_FILE = 8 * 1024 * 1024
_TIGHT = re.compile(r"[A-Za-z0-9_\-]{16,}")
_WIDE = re.compile(r"[A-Za-z0-9_\-+/=.~]{16,}")
AWS_KEY_ID = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$")


@dataclass
class Hit:
    path: str
    line: int
    fingerprint: str


def candidates(line: str) -> set[str]:
    """Token-shaped substrings of a line, plus the decoded text of base64-looking ones."""
    found = set(_TIGHT.findall(line))
    for wide in _WIDE.findall(line):
        found.add(wide)
        stripped = wide.strip(".~")
        found.add(stripped)
        if len(stripped) % 4 == 0 and len(stripped) >= 24:
            try:
                found.add(base64.b64decode(stripped, validate=True).decode("utf-8"))
            except (binascii.Error, UnicodeDecodeError, ValueError):
                pass
    return found


def rescan(root: Path, key: bytes, fingerprints: set[str]) -> tuple[list[Hit], int]:
    """Every place under ``root`` where one of ``fingerprints`` appears in plaintext."""
    hits: list[Hit] = []
    scanned = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            path = Path(dirpath) / name
            try:
                if path.is_symlink() or path.stat().st_size > MAX_FILE:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if b"\0" in data[:8192]:
                continue
            scanned += 1
            text = data.decode("utf-8", errors="replace")
            for number, line in enumerate(text.split("\n"), start=1):
                for candidate in candidates(line):
                    fp = fingerprint(key, candidate)
                    if fp in fingerprints:
                        hits.append(Hit(path.relative_to(root).as_posix(), number, fp))
    return hits, scanned


def scanner_hits(root: Path, key: bytes, fingerprints: set[str]) -> list[Hit]:
    """The same re-scan through ``zsp scan``'s rules (decoded Kubernetes data, notebooks...)."""
    from ..scan.engine import ScanError, scan_paths

    try:
        result = scan_paths([root], key=key, jobs=1)
    except ScanError as err:
        raise ZspError(f"re-scan of {root} failed: {err}") from None
    return [
        Hit(f.path, f.line, f.fingerprint)
        for f in result.findings
        if f.commit is None and f.fingerprint in fingerprints
    ]


@dataclass
class TokenCheck:
    fingerprint: str
    provider: str
    preview: str
    secret: str
    before: list[str]
    after: list[str] = field(default_factory=list)
    migrated: bool = True
    secret_ok: bool | None = None
    secret_detail: str = ""
    kms_ok: bool | None = None
    last_used: str | None = None
    used_since_cutover: bool | None = None
    manual: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.migrated and not self.after and self.secret_ok is not False


@dataclass
class VerifyReport:
    run: str
    stack: str
    root: str
    cutover: str | None
    scanned_files: int
    aws_checked: bool
    tokens: list[TokenCheck]

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.tokens)

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "stack": self.stack,
            "root": self.root,
            "cutover": self.cutover,
            "scanned_files": self.scanned_files,
            "aws_checked": self.aws_checked,
            "passed": self.passed,
            "tokens": [asdict(t) | {"passed": t.passed} for t in self.tokens],
        }


def _iso(ts: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts else None


def verify_run(project_dir: Path, run: str, aws: AwsOptions | None) -> VerifyReport:
    """Check run ``run``; ``aws=None`` skips the Secrets Manager / IAM checks (offline)."""
    events = read_events(journal_path(project_dir, run))
    begin = next((e for e in events if e.get("event") == "begin"), None)
    if begin is None:
        raise ZspError(f"no journal for run {run} under {zsp_dir(project_dir)}/journal")
    state = fold(events)
    if state.rolled_back:
        raise ZspError(f"run {run} was rolled back; nothing to verify")
    plan = load_plan(Path(begin["plan"]))
    key = read_key(Path(begin["key_file"]))
    root = Path(begin["root"])
    checks: list[TokenCheck] = []
    for token in plan["tokens"]:
        if not token["locations"]:
            continue
        checks.append(
            TokenCheck(
                fingerprint=token["fingerprint"],
                provider=token["provider"],
                preview=token["preview"],
                secret=token["secret"]["name"],
                before=[f"{loc['path']}:{loc['line']}" for loc in token["locations"]],
                migrated=token["fingerprint"] in state.secrets,
                manual=[f"{m['path']}:{m['line']} ({m['reason']})" for m in token["manual"]],
            )
        )
    by_fp = {c.fingerprint: c for c in checks}
    hits, scanned = rescan(root, key, set(by_fp))
    hits += scanner_hits(root, key, set(by_fp))
    for hit in hits:
        where = f"{hit.path}:{hit.line}"
        if where not in by_fp[hit.fingerprint].after:
            by_fp[hit.fingerprint].after.append(where)
    if aws is not None:
        _check_aws(aws, begin, plan, state.secrets, by_fp, key, state.cutover)
    report = VerifyReport(
        run, plan["stack"], str(root), _iso(state.cutover), scanned, aws is not None, checks
    )
    record = zsp_dir(project_dir) / "verify" / f"{run}.json"
    private_dir(record.parent)
    payload = {
        "run": run,
        "ts": time.time(),
        "passed": report.passed,
        "aws_checked": report.aws_checked,
        "fingerprints_passed": sorted(c.fingerprint for c in checks if c.passed),
    }
    atomic_write(record, json.dumps(payload, indent=2).encode(), mode=0o600)
    return report


def _check_aws(
    aws: AwsOptions,
    begin: dict[str, Any],
    plan: dict[str, Any],
    secrets: dict[str, dict[str, Any]],
    by_fp: dict[str, TokenCheck],
    key: bytes,
    cutover: float | None,
) -> None:
    opts = AwsOptions(
        aws.profile, aws.region or begin.get("region"), aws.endpoint_url, aws.concurrency
    )
    sm, kms, iam = session_clients(opts, "secretsmanager", "kms", "iam")
    try:
        kms_arn = kms.describe_key(KeyId=plan["kms_key"])["KeyMetadata"]["Arn"]
    except Exception as err:  # noqa: BLE001 - reported, not raised: verify is a report
        raise ZspError(f"KMS {plan['kms_key']}: {describe_error(err)}") from None
    for fp, check in by_fp.items():
        if fp not in secrets:
            check.secret_ok = False
            check.secret_detail = "not stored (apply did not finish for this token)"  # noqa: S105
            continue
        try:
            meta = sm.describe_secret(SecretId=check.secret)
            tags = {t["Key"]: t["Value"] for t in meta.get("Tags", [])}
            secret_kms = meta.get("KmsKeyId")
            check.kms_ok = secret_kms is not None and (
                secret_kms == kms_arn
                or kms.describe_key(KeyId=secret_kms)["KeyMetadata"]["Arn"] == kms_arn
            )
            value = read_token(sm, check.secret, None, key, fp)
            problems = []
            if meta.get("DeletedDate"):
                problems.append("scheduled for deletion")
            if tags.get(FP_TAG) != fp:
                problems.append("fingerprint tag missing or different")
            if not check.kms_ok:
                problems.append(f"not encrypted with {plan['kms_key']}")
            check.secret_ok = not problems
            check.secret_detail = "; ".join(problems) or "stored, current version matches"
            if AWS_KEY_ID.match(value):
                used = iam.get_access_key_last_used(AccessKeyId=value)["AccessKeyLastUsed"]
                last = used.get("LastUsedDate")
                check.last_used = last.strftime("%Y-%m-%dT%H:%M:%SZ") if last else "never"
                check.used_since_cutover = bool(last and cutover and last.timestamp() > cutover)
            value = ""
        except ZspError as err:
            check.secret_ok, check.secret_detail = False, str(err)
        except Exception as err:  # noqa: BLE001 - per-token report line
            check.secret_ok, check.secret_detail = False, describe_error(err)


def render_markdown(report: VerifyReport) -> str:
    """A before/after summary to paste into a change ticket."""
    result = "PASS" if report.passed else "FAIL"
    lines = [
        f"# zsp verify — run `{report.run}` (stack `{report.stack}`): **{result}**",
        "",
        f"- Cut-over: {report.cutover or 'not reached'}",
        f"- Re-scanned {report.scanned_files} files under `{report.root}` by fingerprint",
        f"- Secrets Manager checked: {'yes' if report.aws_checked else 'no (--offline)'}",
        "",
        "| token | provider | before (plaintext) | after (plaintext) | secret | KMS | last used |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in report.tokens:

        def mark(value: bool | None) -> str:
            return "n/a" if value is None else ("ok" if value else "FAIL")

        used = t.last_used or "n/a"
        if t.used_since_cutover:
            used += " (USED SINCE CUT-OVER)"
        lines.append(
            f"| `{t.preview}` `{t.fingerprint[:12]}` | {t.provider} | {len(t.before)} | "
            f"{len(t.after)}{': ' + ', '.join(t.after) if t.after else ''} | "
            f"`{t.secret}` {mark(t.secret_ok)} | {mark(t.kms_ok)} | {used} |"
        )
    manual = [(t, m) for t in report.tokens for m in t.manual]
    if manual:
        lines += ["", "Manual follow-up:"]
        lines += [f"- `{t.fingerprint[:12]}` {m}" for t, m in manual]
    problems = [t for t in report.tokens if t.secret_detail and t.secret_ok is False]
    if problems:
        lines += ["", "Secret problems:"]
        lines += [f"- `{t.secret}`: {t.secret_detail}" for t in problems]
    return "\n".join(lines) + "\n"
