"""Revoke old static credentials once ``zsp verify`` has passed for them.

* AWS IAM access keys: deactivated (``UpdateAccessKey Inactive``); ``--delete`` removes them once
  they have been inactive for the grace period, so a forgotten consumer fails loudly but reversibly
  first.
* Providers with an admin API (behind an explicit ``--admin PROVIDER`` flag and an admin key taken
  from the environment): Anthropic keys are set ``inactive``; OpenAI project keys are deleted (its
  API has no deactivation). The key is found by the provider's redacted hint, never by sending it.
* Everything else: the provider's rotation steps are printed.

The token value is read back from Secrets Manager (and checked against its fingerprint) only to
identify the key; it is never printed.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..errors import ZspError
from ..migrate.aws import AwsOptions, describe_error, read_token, session_clients
from ..migrate.fingerprint import read_key
from ..migrate.fsutil import atomic_write, private_dir
from ..migrate.journal import fold, journal_path, read_events, zsp_dir
from ..migrate.plan import load_plan
from ..migrate.providers import provider_info
from ..verify.engine import AWS_KEY_ID

ADMIN_DEFAULTS = {
    "anthropic": ("https://api.anthropic.com", "ANTHROPIC_ADMIN_KEY"),
    "openai": ("https://api.openai.com", "OPENAI_ADMIN_KEY"),
}


@dataclass(frozen=True)
class AdminApi:
    provider: str
    base_url: str
    key_env: str


@dataclass
class RevokeOutcome:
    fingerprint: str
    provider: str
    preview: str
    action: str
    """deactivated, deleted, skipped, manual, failed."""
    detail: str


@dataclass
class RevokeReport:
    run: str
    outcomes: list[RevokeOutcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(o.action == "failed" for o in self.outcomes)


def hint_matches(hint: str, token: str) -> bool:
    """Does a provider's redacted key hint (``sk-ant-api03-R2D...igAA``) describe ``token``?"""
    parts = re.split(r"\.{3,}|…|\*{3,}", hint)
    if len(parts) != 2:
        return False
    prefix, suffix = parts
    return len(prefix) + len(suffix) >= 8 and token.startswith(prefix) and token.endswith(suffix)


def _anthropic(client: httpx.Client, token: str, delete: bool) -> tuple[str, str]:
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100, "status": "active"}
        if after:
            params["after_id"] = after
        page = client.get("/v1/organizations/api_keys", params=params)
        page.raise_for_status()
        body = page.json()
        for item in body.get("data", []):
            if hint_matches(str(item.get("partial_key_hint", "")), token):
                done = client.post(
                    f"/v1/organizations/api_keys/{item['id']}", json={"status": "inactive"}
                )
                done.raise_for_status()
                return (
                    "deactivated",
                    f"Anthropic key {item['id']} ({item.get('name', '')}) set inactive",
                )
        if not body.get("has_more"):
            return "failed", "no active Anthropic key matches this token's hint"
        after = body.get("last_id")


def _openai(client: httpx.Client, token: str, delete: bool) -> tuple[str, str]:
    if not delete:
        return "skipped", "OpenAI keys cannot be deactivated, only deleted: re-run with --delete"
    projects = client.get("/v1/organization/projects", params={"limit": 100})
    projects.raise_for_status()
    for project in projects.json().get("data", []):
        keys = client.get(
            f"/v1/organization/projects/{project['id']}/api_keys", params={"limit": 100}
        )
        keys.raise_for_status()
        for item in keys.json().get("data", []):
            if hint_matches(str(item.get("redacted_value", "")), token):
                done = client.delete(
                    f"/v1/organization/projects/{project['id']}/api_keys/{item['id']}"
                )
                done.raise_for_status()
                return "deleted", f"OpenAI key {item['id']} deleted from project {project['id']}"
    return "failed", "no OpenAI project key matches this token's hint"


def _admin_client(api: AdminApi) -> httpx.Client:
    admin_key = os.environ.get(api.key_env)
    if not admin_key:
        raise ZspError(f"--admin {api.provider}: set the admin key in ${api.key_env}")
    headers = (
        {"x-api-key": admin_key, "anthropic-version": "2023-06-01"}
        if api.provider == "anthropic"
        else {"Authorization": f"Bearer {admin_key}"}
    )
    return httpx.Client(base_url=api.base_url, headers=headers, timeout=15.0)


def revoke_run(
    project_dir: Path,
    run: str,
    aws: AwsOptions,
    *,
    delete: bool = False,
    grace_seconds: int = 7 * 86400,
    force: bool = False,
    admin: dict[str, AdminApi] | None = None,
    dry_run: bool = False,
) -> RevokeReport:
    events = read_events(journal_path(project_dir, run))
    begin = next((e for e in events if e.get("event") == "begin"), None)
    if begin is None:
        raise ZspError(f"no journal for run {run} under {zsp_dir(project_dir)}/journal")
    state = fold(events)
    if state.rolled_back:
        raise ZspError(f"run {run} was rolled back: its tokens are back in use, not revoking")
    plan = load_plan(Path(begin["plan"]))
    key = read_key(Path(begin["key_file"]))
    verified: set[str] = set()
    record = zsp_dir(project_dir) / "verify" / f"{run}.json"
    if record.exists():
        verified = set(json.loads(record.read_text())["fingerprints_passed"])
    elif not force:
        raise ZspError(f"run {run} has not been verified: run zsp verify --run {run} (or --force)")
    ledger_path = zsp_dir(project_dir) / "revoke" / f"{run}.json"
    ledger: dict[str, Any] = json.loads(ledger_path.read_text()) if ledger_path.exists() else {}
    opts = AwsOptions(
        aws.profile, aws.region or begin.get("region"), aws.endpoint_url, aws.concurrency
    )
    sm, iam = session_clients(opts, "secretsmanager", "iam")
    report = RevokeReport(run)
    admin = admin or {}
    for token in plan["tokens"]:
        fp = token["fingerprint"]
        if fp not in state.secrets:
            continue
        info = provider_info(token["provider"])

        def out(action: str, detail: str, token: dict[str, Any] = token) -> None:
            report.outcomes.append(
                RevokeOutcome(
                    token["fingerprint"], token["provider"], token["preview"], action, detail
                )
            )

        if fp not in verified and not force:
            out("skipped", "verify has not passed for this token (use --force to override)")
            continue
        try:
            value = read_token(sm, state.secrets[fp]["name"], None, key, fp)
        except ZspError as err:
            out("failed", str(err))
            continue
        except Exception as err:  # noqa: BLE001 - per-token report
            out("failed", describe_error(err))
            continue
        try:
            if AWS_KEY_ID.match(value):
                out(*_revoke_aws_key(iam, value, fp, ledger, delete, grace_seconds, dry_run))
            elif info.name in admin:
                if dry_run:
                    out("skipped", f"dry run: would call the {info.name} admin API")
                    continue
                with _admin_client(admin[info.name]) as client:
                    handler = _anthropic if info.name == "anthropic" else _openai
                    action, detail = handler(client, value, delete)
                    ledger[fp] = {"action": action, "ts": time.time()}
                    out(action, detail)
            else:
                out("manual", f"rotate it by hand: {info.rotation}")
        except httpx.HTTPStatusError as err:
            out("failed", f"{info.name} admin API answered HTTP {err.response.status_code}")
        except httpx.HTTPError as err:
            out("failed", f"{info.name} admin API unreachable ({err.__class__.__name__})")
        except Exception as err:  # noqa: BLE001 - per-token report
            out("failed", describe_error(err))
        finally:
            value = ""
    if not dry_run:
        private_dir(ledger_path.parent)
        atomic_write(ledger_path, json.dumps(ledger, indent=2).encode(), mode=0o600)
    return report


def _revoke_aws_key(
    iam: Any, key_id: str, fp: str, ledger: dict[str, Any], delete: bool, grace: int, dry_run: bool
) -> tuple[str, str]:
    user = iam.get_access_key_last_used(AccessKeyId=key_id).get("UserName")
    if not user:
        return "failed", "IAM does not know this access key (already deleted?)"
    shown = key_id[:4] + "…" + key_id[-4:]
    previous = ledger.get(fp, {})
    if delete:
        since = previous.get("deactivated_at")
        if not since:
            return "skipped", f"{shown} of {user} must be deactivated first (run without --delete)"
        left = since + grace - time.time()
        if left > 0:
            return "skipped", f"{shown} of {user}: grace period ends in {int(left // 3600)}h"
        if dry_run:
            return "skipped", f"dry run: would delete {shown} of {user}"
        iam.delete_access_key(UserName=user, AccessKeyId=key_id)
        ledger[fp] = {**previous, "deleted_at": time.time()}
        return "deleted", f"IAM access key {shown} of {user} deleted"
    if dry_run:
        return "skipped", f"dry run: would deactivate {shown} of {user}"
    iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")
    ledger[fp] = {**previous, "deactivated_at": previous.get("deactivated_at") or time.time()}
    return "deactivated", f"IAM access key {shown} of {user} set Inactive"
