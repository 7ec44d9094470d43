"""``zsp migrate apply``: secrets first, then files, then the stack config — each step journaled.

Order is the safety argument. A token's value is stored in Secrets Manager and read back before
any file that holds it is touched, so at every instant each token is in its file, in Secrets
Manager, or both (invariant 5). Files are replaced atomically after a backup from which the token
itself has been cut out (the value lives only in Secrets Manager; rollback splices it back).
Re-running ``apply`` replays the journal and finishes whatever is missing.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ZspError
from .aws import (
    AwsOptions,
    StoredSecret,
    describe_error,
    error_code,
    read_token,
    resolve_kms_key,
    secrets_by_fingerprint,
    session_clients,
    store_token,
)
from .fingerprint import decode_span, matches, read_key
from .fsutil import atomic_write, is_read_only, private_dir, sha256_bytes
from .journal import Journal, RunState, backup_dir, fold, journal_path, read_events
from .plan import load_plan
from .rewrite import Edit, Unsupported, rewrite_text, split_lines
from .stackedit import EndpointChange, apply_changes, validate

Progress = Callable[[str], None]


@dataclass
class ApplyResult:
    run: str
    journal: Path
    stored: dict[str, str] = field(default_factory=dict)
    """fingerprint → what happened to its secret (created, new-version, unchanged, done before)."""
    token_errors: dict[str, str] = field(default_factory=dict)
    rewritten: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    file_errors: dict[str, str] = field(default_factory=dict)
    stack_updated: bool = False
    completed: bool = False
    dry_run: bool = False
    actions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.token_errors and not self.file_errors


def plan_edits(plan: dict[str, Any], path: str) -> list[Edit]:
    edits: list[Edit] = []
    for token in plan["tokens"]:
        for loc in token["locations"]:
            if loc["path"] != path:
                continue
            edits.append(
                Edit(
                    line=loc["line"],
                    column=loc["column"],
                    end_column=loc["end_column"],
                    kind=loc["kind"],
                    variable=loc.get("variable"),
                    encoding=loc.get("encoding", "plain"),
                    fingerprint=token["fingerprint"],
                    provider=token["provider"],
                    connection=token["connection"],
                    secret_name=token["secret"]["name"],
                    upstream=token["endpoint"],
                    gateway_url=plan["gateway_url"],
                )
            )
    return edits


def _span_bytes(lines: list[str], line: int, column: int, end_column: int) -> tuple[int, int, str]:
    """Byte offset and length of a (line, column) character span, and its text."""
    offset = sum(len(x.encode("utf-8")) for x in lines[: line - 1])
    text = lines[line - 1]
    offset += len(text[: column - 1].encode("utf-8"))
    span = text[column - 1 : end_column - 1]
    return offset, len(span.encode("utf-8")), span


def cut_spans(data: bytes, splices: list[dict[str, Any]]) -> bytes:
    out, pos = [], 0
    for s in sorted(splices, key=lambda x: x["offset"]):
        out.append(data[pos : s["offset"]])
        pos = s["offset"] + s["length"]
    out.append(data[pos:])
    return b"".join(out)


def splice_back(cut: bytes, splices: list[dict[str, Any]], values: dict[str, bytes]) -> bytes:
    """Inverse of ``cut_spans``: ``values`` maps fingerprint → the exact span bytes."""
    out, pos, removed = [], 0, 0
    for s in sorted(splices, key=lambda x: x["offset"]):
        at = s["offset"] - removed
        piece = values[f"{s['fingerprint']}:{s['encoding']}"]
        if len(piece) != s["length"]:
            raise ZspError(f"span length mismatch for fingerprint {s['fingerprint'][:12]}")
        out.append(cut[pos:at])
        out.append(piece)
        pos = at
        removed += s["length"]
    out.append(cut[pos:])
    return b"".join(out)


def _token_value(root: Path, token: dict[str, Any], key: bytes) -> str | None:
    """Re-read the token from any planned location whose span still carries its fingerprint."""
    for loc in token["locations"]:
        try:
            text = (root / loc["path"]).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines = split_lines(text)
        if loc["line"] > len(lines):
            continue
        span = lines[loc["line"] - 1][loc["column"] - 1 : loc["end_column"] - 1]
        value = decode_span(span, loc.get("encoding", "plain"))
        if value is not None and matches(key, value, token["fingerprint"]):
            return value
    return None


def _safe_name(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", path)[-120:]


class Applier:
    def __init__(self, plan_path: Path, aws: AwsOptions, progress: Progress | None = None) -> None:
        self.plan_path = plan_path
        self.plan = load_plan(plan_path)
        self.plan_sha = sha256_bytes(plan_path.read_bytes())
        self.run = str(self.plan["id"])
        self.project = Path(self.plan["project_dir"])
        self.root = Path(self.plan["root"])
        self.aws = AwsOptions(
            profile=aws.profile,
            region=aws.region or self.plan.get("region") or None,
            endpoint_url=aws.endpoint_url,
            concurrency=aws.concurrency,
            max_attempts=aws.max_attempts,
        )
        self.progress = progress or (lambda _msg: None)
        self.key = read_key(Path(self.plan["fingerprint_key_file"]))

    # -- shared -----------------------------------------------------------------------------
    def _check_journal(self, state: RunState, events: list[dict[str, Any]]) -> None:
        if state.rolled_back:
            raise ZspError(f"run {self.run} was rolled back; make a new plan to migrate again")
        begin = next((e for e in events if e.get("event") == "begin"), None)
        if begin is not None and begin.get("plan_sha256") != self.plan_sha:
            raise ZspError(f"{self.plan_path}: the plan changed since run {self.run} started")

    def _clients(self) -> tuple[Any, str, dict[str, list[dict[str, Any]]]]:
        from botocore.exceptions import BotoCoreError, ClientError

        sm, kms = session_clients(self.aws, "secretsmanager", "kms")
        kms_arn = resolve_kms_key(kms, self.plan["kms_key"])
        try:
            existing = secrets_by_fingerprint(sm)
        except (BotoCoreError, ClientError) as err:
            raise ZspError(f"Secrets Manager: {describe_error(err)}; nothing was changed") from None
        return sm, kms_arn, existing

    # -- apply ------------------------------------------------------------------------------
    def apply(self) -> ApplyResult:
        journal = Journal(journal_path(self.project, self.run))
        try:
            return self._apply(journal)
        finally:
            journal.close()

    def _apply(self, journal: Journal) -> ApplyResult:
        events = journal.events()
        state = fold(events)
        self._check_journal(state, events)
        result = ApplyResult(self.run, journal.path)
        if state.completed:
            result.completed = True
            result.already = sorted(state.rewritten)
            result.stored = {fp: "done before" for fp in state.secrets}
            return result
        sm, kms_arn, existing = self._clients()
        if not events:
            journal.append(
                "begin",
                plan_id=self.run,
                plan=str(self.plan_path.resolve()),
                plan_sha256=self.plan_sha,
                project_dir=str(self.project),
                root=str(self.root),
                key_file=self.plan["fingerprint_key_file"],
                region=self.aws.region,
                stack=self.plan["stack"],
            )
        stored = self._store_secrets(journal, state, sm, kms_arn, existing, result)
        self._rewrite_files(journal, state, stored, result)
        self._update_stack(journal, state, stored, result)
        if result.ok:
            journal.append("complete")
            result.completed = True
        return result

    def _store_secrets(
        self,
        journal: Journal,
        state: RunState,
        sm: Any,
        kms_arn: str,
        existing: dict[str, list[dict[str, Any]]],
        result: ApplyResult,
    ) -> set[str]:
        stored = set(state.secrets)
        for fp in stored:
            result.stored[fp] = "done before"
        todo = [t for t in self.plan["tokens"] if t["locations"] and t["fingerprint"] not in stored]

        def one(token: dict[str, Any]) -> tuple[str, StoredSecret | None, str | None]:
            fp = token["fingerprint"]
            secret = token["secret"]
            try:
                value = _token_value(self.root, token, self.key)
                if value is None:
                    # Every planned location already lost the token: only Secrets Manager may
                    # still hold it (a crash after storing, before journaling).
                    try:
                        read_token(sm, secret["name"], None, self.key, fp)
                    except Exception:  # noqa: BLE001 - reported per token below
                        return fp, None, "token no longer in its files and not in Secrets Manager"
                    return fp, self._adopt(sm, token), None
                return (
                    fp,
                    store_token(
                        sm,
                        run=self.run,
                        name=secret["name"],
                        kms_key=kms_arn,
                        fp=fp,
                        key=self.key,
                        value=value,
                        tags=dict(secret["tags"]),
                        existing=existing.get(fp, []),
                    ),
                    None,
                )
            except ZspError as err:
                return fp, None, str(err)
            except Exception as err:  # noqa: BLE001 - boto/network errors become per-token reports
                return fp, None, describe_error(err)

        with ThreadPoolExecutor(max_workers=max(1, self.aws.concurrency)) as pool:
            for fp, secret, error in pool.map(one, todo):
                if secret is None:
                    result.token_errors[fp] = error or "unknown error"
                    journal.append("secret-failed", fingerprint=fp, reason=error)
                    self.progress(f"secret {fp[:12]}: FAILED {error}")
                    continue
                journal.append(
                    "secret",
                    fingerprint=fp,
                    name=secret.name,
                    arn=secret.arn,
                    version_id=secret.version_id,
                    action=secret.action,
                    previous_version=secret.previous_version,
                )
                state.secrets[fp] = {"name": secret.name, "version_id": secret.version_id}
                stored.add(fp)
                result.stored[fp] = secret.action
                self.progress(f"secret {secret.name}: {secret.action}")
        return stored

    def _adopt(self, sm: Any, token: dict[str, Any]) -> StoredSecret:
        from .aws import RUN_TAG, request_token

        meta = sm.describe_secret(SecretId=token["secret"]["name"])
        tags = {t["Key"]: t["Value"] for t in meta.get("Tags", [])}
        version = next(
            (
                v
                for v, stages in meta.get("VersionIdsToStages", {}).items()
                if "AWSCURRENT" in stages
            ),
            "",
        )
        if tags.get(RUN_TAG) == self.run:
            action, previous = "created", None
        elif version == request_token(self.run, token["fingerprint"]):
            prev = [
                v
                for v, stages in meta.get("VersionIdsToStages", {}).items()
                if "AWSPREVIOUS" in stages
            ]
            action, previous = "new-version", (prev[0] if prev else None)
        else:
            action, previous = "unchanged", None
        return StoredSecret(meta["Name"], meta["ARN"], version, action, previous)

    def _rewrite_files(
        self, journal: Journal, state: RunState, stored: set[str], result: ApplyResult
    ) -> None:
        bdir = backup_dir(self.project, self.run)
        for index, entry in enumerate(self.plan["files"]):
            path = entry["path"]
            target = self.root / path
            key = str(target)
            if key in state.rewritten:
                result.already.append(path)
                continue
            missing = [fp[:12] for fp in entry["fingerprints"] if fp not in stored]
            if missing:
                self._fail(journal, result, path, f"secret not stored for {', '.join(missing)}")
                continue
            try:
                data = target.read_bytes()
            except FileNotFoundError:
                self._fail(journal, result, path, "file vanished since the plan")
                continue
            except OSError as err:
                self._fail(journal, result, path, f"cannot read ({err.strerror})")
                continue
            sha = sha256_bytes(data)
            if sha == entry["sha256_after"] and key in state.backups:
                journal.append("rewritten", path=key, rel=path, recovered=True)
                result.rewritten.append(path)
                continue
            if sha != entry["sha256_before"]:
                self._fail(
                    journal, result, path, "file changed since the plan; re-scan and re-plan"
                )
                continue
            if is_read_only(target):
                self._fail(journal, result, path, "file is read-only; left unchanged")
                continue
            try:
                self._rewrite_one(journal, bdir, index, entry, target, data)
            except Unsupported as err:
                self._fail(journal, result, path, str(err))
                continue
            except OSError as err:
                self._fail(journal, result, path, f"cannot write ({err.strerror})")
                continue
            result.rewritten.append(path)
            self.progress(f"rewrote {path}")

    def _rewrite_one(
        self,
        journal: Journal,
        bdir: Path,
        index: int,
        entry: dict[str, Any],
        target: Path,
        data: bytes,
    ) -> None:
        text = data.decode("utf-8")
        edits = plan_edits(self.plan, entry["path"])
        new = rewrite_text(entry["path"], text, edits).encode("utf-8")
        if sha256_bytes(new) != entry["sha256_after"]:
            raise Unsupported("rewrite differs from the plan; re-plan")
        lines = split_lines(text)
        splices = []
        for edit in edits:
            offset, length, span = _span_bytes(lines, edit.line, edit.column, edit.end_column)
            value = decode_span(span, edit.encoding)
            if value is None or not matches(self.key, value, edit.fingerprint):
                raise Unsupported(f"line {edit.line}: span no longer matches its fingerprint")
            splices.append(
                {
                    "offset": offset,
                    "length": length,
                    "fingerprint": edit.fingerprint,
                    "encoding": edit.encoding,
                }
            )
        private_dir(bdir)
        backup = bdir / f"{index:05d}-{_safe_name(entry['path'])}.cut"
        atomic_write(backup, cut_spans(data, splices), mode=0o600)
        mode = stat.S_IMODE(target.stat().st_mode)
        journal.append(
            "backup",
            path=str(target),
            rel=entry["path"],
            backup=str(backup),
            sha256_before=entry["sha256_before"],
            sha256_after=entry["sha256_after"],
            mode=mode,
            splices=splices,
        )
        atomic_write(target, new, mode=mode)
        journal.append("rewritten", path=str(target), rel=entry["path"])

    def _fail(self, journal: Journal, result: ApplyResult, path: str, reason: str) -> None:
        result.file_errors[path] = reason
        journal.append("file-failed", rel=path, reason=reason)
        self.progress(f"{path}: {reason}")

    def _update_stack(
        self, journal: Journal, state: RunState, stored: set[str], result: ApplyResult
    ) -> None:
        rel = self.plan["stack_file"]["path"]
        target = self.project / rel
        wanted = [
            EndpointChange(**{**c, "consumers": tuple(c["consumers"])})
            for c in self.plan["stack_file"]["endpoints"]
            if c["fingerprint"] in stored
        ]
        if not wanted:
            return
        try:
            data = target.read_bytes()
        except OSError as err:
            self._fail(journal, result, rel, f"cannot read the stack file ({err.strerror})")
            return
        text = data.decode("utf-8")
        new = apply_changes(text, wanted, self.run)
        if new == text:
            return
        known = {self.plan["stack_file"]["sha256_before"]} | {
            b["sha256_after"] for b in state.backups.get(str(target), [])
        }
        if sha256_bytes(data) not in known:
            self._fail(journal, result, rel, "stack file changed since the plan; re-plan")
            return
        validate(self.project, self.plan["stack"], new)
        bdir = private_dir(backup_dir(self.project, self.run))
        count = len(state.backups.get(str(target), []))
        backup = bdir / f"stack-{count:03d}.yaml"
        atomic_write(backup, data, mode=0o600)
        after = sha256_bytes(new.encode("utf-8"))
        mode = stat.S_IMODE(target.stat().st_mode)
        journal.append(
            "backup",
            path=str(target),
            rel=rel,
            backup=str(backup),
            sha256_before=sha256_bytes(data),
            sha256_after=after,
            mode=mode,
            splices=[],
        )
        atomic_write(target, new.encode("utf-8"), mode=mode)
        journal.append("rewritten", path=str(target), rel=rel)
        state.backups.setdefault(str(target), []).append({"sha256_after": after})
        result.stack_updated = True
        self.progress(f"updated {rel}")

    # -- dry run ----------------------------------------------------------------------------
    def dry_run(self) -> ApplyResult:
        """What ``apply`` would do now, from the journal and read-only AWS calls; writes nothing."""
        path = journal_path(self.project, self.run)
        events = read_events(path)
        state = fold(events)
        self._check_journal(state, events)
        result = ApplyResult(self.run, path, dry_run=True, completed=state.completed)
        sm, _kms_arn, existing = self._clients()
        for token in self.plan["tokens"]:
            fp, name = token["fingerprint"], token["secret"]["name"]
            if not token["locations"]:
                continue
            if fp in state.secrets:
                result.actions.append(f"secret {name}: already stored (journal)")
                continue
            others = [e["Name"] for e in existing.get(fp, []) if e["Name"] != name]
            if others:
                result.token_errors[fp] = f"already stored in {others[0]}"
                continue
            try:
                sm.describe_secret(SecretId=name)
                verb = "put a new version of"
            except Exception as err:  # noqa: BLE001
                if error_code(err) != "ResourceNotFoundException":
                    result.token_errors[fp] = describe_error(err)
                    continue
                verb = "create"
            found = _token_value(self.root, token, self.key) is not None
            result.actions.append(
                f"secret {name}: would {verb} it (KMS {self.plan['kms_key']})"
                if found
                else f"secret {name}: token not found in its files"
            )
        for entry in self.plan["files"]:
            target = self.root / entry["path"]
            if str(target) in state.rewritten:
                result.actions.append(f"{entry['path']}: already rewritten")
            elif not target.exists():
                result.file_errors[entry["path"]] = "file vanished since the plan"
            elif sha256_bytes(target.read_bytes()) != entry["sha256_before"]:
                result.file_errors[entry["path"]] = "file changed since the plan"
            elif is_read_only(target):
                result.file_errors[entry["path"]] = "file is read-only"
            else:
                result.actions.append(
                    f"{entry['path']}: would rewrite ({', '.join(entry['kind'])})"
                )
        if self.plan["stack_file"]["endpoints"]:
            result.actions.append(f"{self.plan['stack_file']['path']}: would add/update endpoints")
        return result


def apply_plan(
    plan_path: Path, aws: AwsOptions, dry_run: bool = False, progress: Progress | None = None
) -> ApplyResult:
    applier = Applier(plan_path, aws, progress)
    return applier.dry_run() if dry_run else applier.apply()
