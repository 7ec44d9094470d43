"""``zsp migrate rollback RUN``: put every rewritten file back byte-for-byte, then undo secrets.

Backups hold the original bytes with the token spans cut out; the values come back from Secrets
Manager (checked against their fingerprints) and are spliced in, and the result must hash to the
recorded original. Nothing is written unless every file can be restored: a file edited since the
migration stops the whole rollback before it starts. Secrets are removed only after their files
are restored, so the token is never in neither place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ZspError
from .apply import splice_back
from .aws import RUN_TAG, AwsOptions, describe_error, error_code, read_token, session_clients
from .fingerprint import encode_span, read_key
from .fsutil import atomic_write, sha256_bytes
from .journal import Journal, fold, journal_path


def _created_by_run(sm: Any, run: str, known: set[str]) -> list[str]:
    names = []
    pages = sm.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "tag-key", "Values": [RUN_TAG]}, {"Key": "tag-value", "Values": [run]}]
    )
    for page in pages:
        for entry in page.get("SecretList", []):
            tags = {t["Key"]: t["Value"] for t in entry.get("Tags", [])}
            if tags.get(RUN_TAG) == run and entry["Name"] not in known:
                names.append(str(entry["Name"]))
    return names


@dataclass
class RollbackResult:
    run: str
    restored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    """secret name → what was done (deletion scheduled, deleted, version restored, kept)."""
    errors: dict[str, str] = field(default_factory=dict)


def rollback_run(
    project_dir: Path,
    run: str,
    aws: AwsOptions,
    purge: bool = False,
    recovery_days: int = 7,
) -> RollbackResult:
    path = journal_path(project_dir, run)
    if not path.exists():
        raise ZspError(f"no journal for run {run} at {path}")
    if not 7 <= recovery_days <= 30:
        raise ZspError("--recovery-days must be between 7 and 30 (Secrets Manager limits)")
    with Journal(path) as journal:
        events = journal.events()
        begin = next((e for e in events if e.get("event") == "begin"), None)
        if begin is None:
            raise ZspError(f"{path}: journal has no begin record; nothing to roll back")
        state = fold(events)
        key = read_key(Path(begin["key_file"]))
        opts = AwsOptions(
            profile=aws.profile,
            region=aws.region or begin.get("region"),
            endpoint_url=aws.endpoint_url,
            concurrency=aws.concurrency,
        )
        result = RollbackResult(run)

        # 1. Check every file first: refuse before touching anything.
        todo: list[tuple[str, dict[str, Any]]] = []
        conflicts: list[str] = []
        for target, backups in state.backups.items():
            first, last = backups[0], backups[-1]
            if target in state.restored:
                result.unchanged.append(first["rel"])
                continue
            try:
                sha = sha256_bytes(Path(target).read_bytes())
            except FileNotFoundError:
                conflicts.append(f"{first['rel']} (deleted since the migration)")
                continue
            if sha == first["sha256_before"]:
                result.unchanged.append(first["rel"])
            elif sha == last["sha256_after"]:
                todo.append((target, first))
            else:
                conflicts.append(f"{first['rel']} (changed since the migration)")
        if conflicts:
            listed = ", ".join(sorted(conflicts))
            raise ZspError(f"run {run}: refusing to roll back, files changed since: {listed}")
        journal.append("rollback-begin")

        # 2. Fetch what the backups need from Secrets Manager, then restore the files.
        (sm,) = session_clients(opts, "secretsmanager")
        values: dict[str, bytes] = {}
        try:
            for _target, first in todo:
                for s in first["splices"]:
                    slot = f"{s['fingerprint']}:{s['encoding']}"
                    if slot in values:
                        continue
                    secret = state.secrets.get(s["fingerprint"])
                    if secret is None:
                        raise ZspError(
                            f"journal has no secret for fingerprint {s['fingerprint'][:12]}"
                        )
                    token = read_token(
                        sm, secret["name"], secret["version_id"], key, s["fingerprint"]
                    )
                    values[slot] = encode_span(token, s["encoding"]).encode("utf-8")
        except ZspError:
            raise
        except Exception as err:  # noqa: BLE001 - one clean line, nothing written yet
            raise ZspError(f"Secrets Manager: {describe_error(err)}; no file was changed") from None
        for target, first in todo:
            cut = Path(first["backup"]).read_bytes()
            original = splice_back(cut, first["splices"], values)
            if sha256_bytes(original) != first["sha256_before"]:
                raise ZspError(f"{first['rel']}: reconstructed backup does not match the original")
            atomic_write(Path(target), original, mode=first.get("mode"))
            journal.append("restored", path=target, rel=first["rel"])
            result.restored.append(first["rel"])
        values.clear()

        # 3. Secrets created or changed by the run.
        for fp, secret in state.secrets.items():
            if fp in state.secrets_undone:
                continue
            name, action = secret["name"], secret.get("action")
            try:
                if action == "created":
                    if purge:
                        sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
                        done = "deleted"
                    else:
                        sm.delete_secret(SecretId=name, RecoveryWindowInDays=recovery_days)
                        done = f"deletion scheduled in {recovery_days} days"
                elif action == "new-version" and secret.get("previous_version"):
                    sm.update_secret_version_stage(
                        SecretId=name,
                        VersionStage="AWSCURRENT",
                        MoveToVersionId=secret["previous_version"],
                        RemoveFromVersionId=secret["version_id"],
                    )
                    done = "previous version restored"
                else:
                    done = "kept (it held this token before the run)"
            except Exception as err:  # noqa: BLE001 - reported per secret, rollback resumable
                if error_code(err) == "ResourceNotFoundException":
                    done = "already gone"
                else:
                    result.errors[name] = describe_error(err)
                    continue
            journal.append("secret-undone", fingerprint=fp, name=name, result=done)
            result.secrets[name] = done
        # A crash between CreateSecret and its journal line leaves a secret only AWS knows about
        # (its token is still in its file: files change only after secrets are journaled).
        try:
            orphans = _created_by_run(sm, run, {s["name"] for s in state.secrets.values()})
        except Exception as err:  # noqa: BLE001 - reported; a re-run of rollback retries
            result.errors["(orphan search)"] = describe_error(err)
            orphans = []
        for name in orphans:
            if purge:
                sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
            else:
                sm.delete_secret(SecretId=name, RecoveryWindowInDays=recovery_days)
            journal.append("secret-undone", fingerprint=None, name=name, result="orphan deleted")
            result.secrets[name] = "deleted (created by the run, not journaled)"
        if not result.errors:
            journal.append("rolled-back")
        return result
