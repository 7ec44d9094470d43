"""boto3 clients and the Secrets Manager operations of a migration.

Retries use botocore's ``adaptive`` mode (client-side rate limiting on throttles) with a bounded
connection pool matching our worker count, so a large migration slows down instead of failing
when Secrets Manager throttles; what still fails is reported per token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from zsp.components.hoop.upstream import API_KEY_FIELD, secret_document

from ..errors import ZspError
from .fingerprint import matches

MANAGED_BY = "zsp"
FP_TAG = "zsp:fingerprint"
SOURCE_TAG = "zsp:source"
RUN_TAG = "zsp:run"


@dataclass(frozen=True)
class AwsOptions:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    concurrency: int = 8
    max_attempts: int = 6


def session_clients(opts: AwsOptions, *services: str) -> list[Any]:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(profile_name=opts.profile, region_name=opts.region)
    if session.region_name is None:
        raise ZspError("no AWS region: pass --region or set AWS_REGION / a profile region")
    config = Config(
        retries={"mode": "adaptive", "max_attempts": opts.max_attempts},
        max_pool_connections=max(opts.concurrency, 1) + 2,
        connect_timeout=5,
        read_timeout=30,
        user_agent_extra="zsp-migrate",
    )
    return [
        session.client(name, endpoint_url=opts.endpoint_url, config=config)  # type: ignore[call-overload]
        for name in services
    ]


def describe_error(err: BaseException) -> str:
    """One line naming the AWS failure, never the request payload (which may hold the value)."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return f"{error.get('Code', 'ClientError')} ({err.operation_name})"
    if isinstance(err, BotoCoreError):
        # botocore's messages name the endpoint or the failure, never the request body.
        return f"{err.__class__.__name__}: {err}"
    return err.__class__.__name__


def error_code(err: BaseException) -> str | None:
    from botocore.exceptions import ClientError

    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code"))
    return None


def resolve_kms_key(kms: Any, alias: str) -> str:
    """ARN of the stack's secrets key; missing means the stack (MigratedSecrets) is not deployed."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError as err:
        if error_code(err) == "NotFoundException":
            raise ZspError(
                f"KMS key {alias} not found: deploy the stack first (MigratedSecrets creates it)"
            ) from None
        raise ZspError(f"KMS {alias}: {describe_error(err)}") from None
    except BotoCoreError as err:
        raise ZspError(f"KMS {alias}: {describe_error(err)}") from None
    if meta.get("KeyState") != "Enabled":
        raise ZspError(f"KMS key {alias} is {meta.get('KeyState')}, not Enabled")
    return str(meta["Arn"])


def secrets_by_fingerprint(sm: Any) -> dict[str, list[dict[str, Any]]]:
    """Every zsp-managed secret by fingerprint tag, listed once per run (not once per token)."""
    found: dict[str, list[dict[str, Any]]] = {}
    paginator = sm.get_paginator("list_secrets")
    pages = paginator.paginate(
        Filters=[{"Key": "tag-key", "Values": [FP_TAG]}], IncludePlannedDeletion=True
    )
    for page in pages:
        for entry in page.get("SecretList", []):
            tags = {t["Key"]: t["Value"] for t in entry.get("Tags", [])}
            if FP_TAG in tags:
                found.setdefault(tags[FP_TAG], []).append(entry)
    return found


@dataclass(frozen=True)
class StoredSecret:
    name: str
    arn: str
    version_id: str
    action: str
    """``created`` (rollback deletes the secret), ``new-version`` (rollback moves AWSCURRENT back
    to ``previous_version``) or ``unchanged`` (it already held this token: rollback leaves it)."""
    previous_version: str | None


def request_token(run: str, fp: str) -> str:
    """Idempotency token: a retried create/put after a crash does not make a second version."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"zsp:{run}:{fp}"))


def _current_matches(sm: Any, name: str, key: bytes, fp: str) -> tuple[bool, str | None]:
    import json

    try:
        got = sm.get_secret_value(SecretId=name)
    except Exception as err:
        if error_code(err) == "ResourceNotFoundException":
            return False, None
        raise
    try:
        value = json.loads(got.get("SecretString") or "{}").get(API_KEY_FIELD)
    except (ValueError, AttributeError):
        value = None
    ok = isinstance(value, str) and matches(key, value, fp)
    return ok, str(got["VersionId"])


def _previous_version(sm: Any, name: str) -> str | None:
    versions = sm.list_secret_version_ids(SecretId=name).get("Versions", [])
    for version in versions:
        if "AWSPREVIOUS" in version.get("VersionStages", []):
            return str(version["VersionId"])
    return None


def store_token(
    sm: Any,
    *,
    run: str,
    name: str,
    kms_key: str,
    fp: str,
    key: bytes,
    value: str,
    tags: dict[str, str],
    existing: list[dict[str, Any]],
) -> StoredSecret:
    """Put ``value`` in secret ``name``, idempotently by fingerprint; return where it landed.

    Already there (tag and value agree) → nothing is written. A secret of that name with another
    value gets a new version (the previous one is kept for rollback). The value is read back and
    its fingerprint checked before the caller is allowed to remove the token from any file.
    """
    import json

    others = [e for e in existing if e["Name"] != name and not e.get("DeletedDate")]
    if others:
        raise ZspError(
            f"fingerprint {fp[:12]} is already stored in secret {others[0]['Name']}; "
            "refusing to create a second secret for the same token"
        )
    all_tags = [{"Key": k, "Value": v} for k, v in tags.items()]
    secret_string = json.dumps(secret_document(value))
    # Create first: the common case costs one call. An existing (or deletion-scheduled) secret of
    # that name makes AWS refuse, and we take the slower path that inspects it.
    try:
        created = sm.create_secret(
            Name=name,
            SecretString=secret_string,
            KmsKeyId=kms_key,
            Tags=[*all_tags, {"Key": RUN_TAG, "Value": run}],
            ClientRequestToken=request_token(run, fp),
            Description="Upstream inference key moved behind the zsp gateway (agent reads it).",
        )
    except Exception as err:
        if error_code(err) not in {"ResourceExistsException", "InvalidRequestException"}:
            raise
    else:
        ok, version = _current_matches(sm, name, key, fp)
        if not ok or version is None:
            raise ZspError(f"secret {name}: read-back does not match fingerprint {fp[:12]}")
        return StoredSecret(name, str(created["ARN"]), version, "created", None)
    meta = sm.describe_secret(SecretId=name)
    if meta.get("DeletedDate"):
        sm.restore_secret(SecretId=name)
    meta_tags = {t["Key"]: t["Value"] for t in meta.get("Tags", [])}
    created_by_run = meta_tags.get(RUN_TAG) == run and meta_tags.get(FP_TAG) == fp
    ok, version = _current_matches(sm, name, key, fp)
    if ok and version is not None:
        # Seen again after a crash: our own create or put (the version id is our request token),
        # or a secret that already held this very token before the run.
        if created_by_run:
            action, previous = "created", None
        elif version == request_token(run, fp):
            action, previous = "new-version", _previous_version(sm, name)
        else:
            action, previous = "unchanged", None
        sm.tag_resource(SecretId=name, Tags=all_tags)
        return StoredSecret(name, str(meta["ARN"]), version, action, previous)
    previous = version
    if meta.get("KmsKeyId") not in (kms_key, None) or meta.get("KmsKeyId") is None:
        sm.update_secret(SecretId=name, KmsKeyId=kms_key)
    put = sm.put_secret_value(
        SecretId=name, SecretString=secret_string, ClientRequestToken=request_token(run, fp)
    )
    sm.tag_resource(SecretId=name, Tags=all_tags)
    ok, version = _current_matches(sm, name, key, fp)
    if not ok or version is None:
        raise ZspError(f"secret {name}: read-back does not match fingerprint {fp[:12]}")
    return StoredSecret(name, str(meta["ARN"]), str(put["VersionId"]), "new-version", previous)


def read_token(sm: Any, name: str, version_id: str | None, key: bytes, fp: str) -> str:
    """Fetch a stored token (rollback, verify, revoke) and prove it is the one we expect."""
    import json

    args: dict[str, Any] = {"SecretId": name}
    if version_id:
        args["VersionId"] = version_id
    got = sm.get_secret_value(**args)
    try:
        value = json.loads(got.get("SecretString") or "{}").get(API_KEY_FIELD)
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str) or not matches(key, value, fp):
        raise ZspError(f"secret {name}: stored value does not match fingerprint {fp[:12]}")
    return value
