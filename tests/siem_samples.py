"""Realistic hoop records (shaped by ``openapiv3.json``) for the SIEM exporter tests and bench.

Each builder returns one ``openapi.Session`` or ``openapi.SecurityAuditLogResponse`` dict; the
variants cover what the mapper must tell apart: plain, blocked, masked, approved, rejected,
failed, machine identity, and the credential lifecycle in the audit log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

ORG = "0cd7f941-2bb8-4f9f-93b0-11620d4652ab"
BASE = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sid(n: int) -> str:
    return str(uuid.UUID(int=0x5E55_0000_0000_4000_8000_0000_0000_0000 + n))


def session(n: int, variant: str = "ok", start: datetime | None = None) -> dict[str, Any]:
    """Session ``n``; ``variant``: ok|blocked|masked|approved|rejected|failed|machine|open."""
    begin = start or BASE + timedelta(seconds=n)
    record: dict[str, Any] = {
        "id": sid(n),
        "org_id": ORG,
        "connection": "qwen-chat",
        "connection_subtype": "httpproxy",
        "connection_tags": {"model": "qwen2.5-1.5b-instruct", "provider": "self-hosted"},
        "type": "httpproxy",
        "verb": "connect",
        "identity_type": "user",
        "user": "ana@example.com",
        "user_id": "auth0|ana",
        "user_name": "Ana Lima",
        "start_date": iso(begin),
        "end_date": iso(begin + timedelta(milliseconds=850)),
        "status": "done",
        "exit_code": 0,
        "script": {"data": "POST /v1/chat/completions HTTP/1.1\r\nHost: qwen-chat\r\n\r\n{}"},
        "script_size": 412,
        "event_size": 2048,
        "metrics": {"event_size": 2048},
        "metadata": {
            "http_method": "POST",
            "http_path": "/v1/chat/completions",
            "http_status": 200,
            "user_groups": ["support", "ai-users"],
        },
    }
    if variant == "blocked":
        record["metadata"] = {**record["metadata"], "http_status": 403}
        record["guardrails_info"] = [
            {
                "rule_name": "no-model-mutation",
                "direction": "input",
                "matched_words": ["fine_tune"],
                "message": "model-mutating calls are not allowed",
                "rule": {"type": "deny_words_list", "words": ["fine_tune"]},
            }
        ]
    elif variant == "masked":
        record["metrics"] = {
            "event_size": 2048,
            "data_masking": {
                "err_count": 0,
                "info_types": {"EMAIL_ADDRESS": 2, "PHONE_NUMBER": 1},
                "total_redact_count": 3,
                "transformed_bytes": 57,
            },
        }
    elif variant in {"approved", "rejected"}:
        status = "APPROVED" if variant == "approved" else "REJECTED"
        record["review"] = {
            "id": str(uuid.UUID(int=0xAAAA_0000_0000_4000_8000_0000_0000_0000 + n)),
            "type": "jit",
            "status": status,
            "access_request_rule_name": "high-risk-models",
            "created_at": iso(begin - timedelta(minutes=3)),
            "rejection_reason": "" if variant == "approved" else "not during an incident",
            "review_groups_data": [
                {
                    "id": str(uuid.UUID(int=0xBBBB_0000_0000_4000_8000_0000_0000_0000 + n)),
                    "group": "ml-leads",
                    "status": status,
                    "review_date": iso(begin - timedelta(minutes=1)),
                    "reviewed_by": {
                        "id": str(uuid.UUID(int=0xCCCC_0000_0000_4000_8000_0000_0000_0000 + n)),
                        "email": "lead@example.com",
                        "name": "Lea Lead",
                    },
                }
            ],
        }
        if variant == "rejected":
            record["status"] = "done"
            record["metadata"] = {**record["metadata"], "http_status": 403}
    elif variant == "failed":
        record["metadata"] = {**record["metadata"], "http_status": 502}
        record["exit_code"] = 1
    elif variant == "machine":
        record.update(
            identity_type="machine",
            user="ci-eval-jobs",
            user_id="ci-eval-jobs",
            user_name="eval jobs",
            machine_identity_id=str(uuid.UUID(int=0xDDDD_0000_0000_4000_8000_0000_0000_0000 + n)),
        )
    elif variant == "open":
        record["status"] = "open"
        record.pop("end_date")
    return record


def audit(n: int, path: str, method: str = "POST", ok: bool = True, **extra: Any) -> dict[str, Any]:
    """Audit-log entry ``n`` for a write to ``path``."""
    action = {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}[method]
    entry: dict[str, Any] = {
        "id": str(uuid.UUID(int=0xA0D1_0000_0000_4000_8000_0000_0000_0000 + n)),
        "org_id": ORG,
        "actor_subject": "auth0|ana",
        "actor_email": "ana@example.com",
        "actor_name": "Ana Lima",
        "client_ip": "10.20.30.40",
        "created_at": iso(BASE + timedelta(seconds=n)),
        "http_method": method,
        "http_path": path,
        "http_status": 201 if ok else 403,
        "outcome": ok,
        "error_message": "" if ok else "access denied by policy",
        "resource_type": "connections",
        "action": action,
        "request_payload_redacted": {"access_duration_seconds": "900"},
    }
    entry.update(extra)
    return entry
