"""Map hoop sessions and audit-log entries to OCSF 1.8 events.

* An inference session (``GET /api/sessions`` item) becomes **API Activity (6003)**: who called
  (actor identity and groups), which connection / model endpoint, the operation, HTTP method and
  path, status, byte counts, duration, and the gateway's verdicts — blocked by a guardrail, masked
  by data masking, approved (or rejected) by a reviewer, with the reviewer's identity.
* A credential issuance, renewal, revocation or close (``POST /api/connections/{c}/credentials``
  … in ``GET /api/audit/logs``) becomes **Authentication (3002)**; every other audited write to
  hoop's API (a guardrail edited, a connection deleted) becomes API Activity as well.

Every event carries ``metadata.uid``: a UUIDv5 of the hoop record id, so the same record always
maps to the same uid and a SIEM can deduplicate the re-deliveries that at-least-once implies.
Records that cannot be mapped raise ``MalformedRecord`` naming the record and the field; the
exporter reports and skips them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .mask import mask_body

OCSF_VERSION = "1.8.0"
UID_NAMESPACE = uuid.UUID("5b0f3c1e-6f1d-5d7a-9c55-2f1a9e0d7c11")
"""Fixed namespace of event uids: changing it would make every SIEM see every event twice."""

PRODUCT = {
    "name": "hoop",
    "vendor_name": "hoop.dev",
    "uid": "hoop-gateway",
    "feature": {"name": "zsp session exporter", "uid": "zsp-export-sessions"},
}

API_ACTIVITY = {"class_uid": 6003, "class_name": "API Activity", "category_uid": 6}
AUTHENTICATION = {"class_uid": 3002, "class_name": "Authentication", "category_uid": 3}
CATEGORY_NAMES = {6: "Application Activity", 3: "Identity & Access Management"}
API_ACTIVITIES = {0: "Unknown", 1: "Create", 2: "Read", 3: "Update", 4: "Delete", 99: "Other"}
AUTH_ACTIVITIES = {
    0: "Unknown",
    1: "Logon",
    2: "Logoff",
    3: "Authentication Ticket",
    4: "Service Ticket Request",
    5: "Service Ticket Renew",
    99: "Other",
}
SEVERITIES = {1: "Informational", 2: "Low", 3: "Medium", 4: "High"}
STATUSES = {0: "Unknown", 1: "Success", 2: "Failure", 99: "Other"}
ACTIONS = {1: "Allowed", 2: "Denied", 3: "Observed", 4: "Modified"}
DISPOSITIONS = {1: "Allowed", 2: "Blocked", 8: "Approved", 25: "Rejected", 17: "Logged"}

_METHOD_ACTIVITY = {"POST": 1, "GET": 2, "HEAD": 2, "PUT": 3, "PATCH": 3, "DELETE": 4}
_REQUEST_LINE = re.compile(r"^([A-Z]{3,7}) (\S+) HTTP/\d(?:\.\d)?")
_CREDENTIAL_PATH = re.compile(
    r"^/api/connections/(?P<conn>[^/]+)/credentials(?:/(?P<id>[^/]+)(?:/(?P<verb>revoke|close))?)?/?$"
)
_FRACTION = re.compile(r"\.(\d+)")
HTTP_METHODS = {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}


class MalformedRecord(ValueError):
    """A hoop record that cannot become an OCSF event; the message names record and field."""

    def __init__(self, kind: str, record_id: str, problem: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.problem = problem
        super().__init__(f"{kind} {record_id}: {problem}")


def event_uid(kind: str, record_id: str) -> str:
    """Stable uid of the event a hoop record maps to (``kind`` is ``session`` or ``audit``)."""
    return str(uuid.uuid5(UID_NAMESPACE, f"hoop:{kind}:{record_id}"))


def parse_time(value: Any, kind: str, record_id: str, field: str) -> int:
    """RFC 3339 (hoop writes up to nanoseconds) → epoch milliseconds, or ``MalformedRecord``."""
    if not isinstance(value, str) or not value:
        raise MalformedRecord(kind, record_id, f"{field} is missing or not a string")
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], value.strip(), count=1)
    text = text.replace("z", "Z")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedRecord(kind, record_id, f"{field} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _record_id(record: Mapping[str, Any], kind: str) -> str:
    rid = record.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise MalformedRecord(kind, "<no id>", "id is missing")
    return rid


def _opt_str(record: Mapping[str, Any], key: str, kind: str, rid: str) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedRecord(kind, rid, f"{key} must be a string")
    return value


def _opt_int(value: Any, kind: str, rid: str, key: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise MalformedRecord(kind, rid, f"{key} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise MalformedRecord(kind, rid, f"{key} must be an integer")


def _mapping(value: Any, kind: str, rid: str, key: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MalformedRecord(kind, rid, f"{key} must be an object")
    return value


def _user(uid: str | None, email: str | None, name: str | None, machine: bool) -> dict[str, Any]:
    user: dict[str, Any] = {
        "type_id": 3 if machine else 1,
        "type": "Service" if machine else "User",
    }
    if uid:
        user["uid"] = uid
    if email:
        user["name"] = email
        if "@" in email:
            user["email_addr"] = email
    if name:
        user["full_name"] = name
    if "uid" not in user and "name" not in user:
        user["name"] = "unknown"
    return user


def _classify(
    base: Mapping[str, Any],
    activity_id: int,
    activities: Mapping[int, str],
    other_name: str | None = None,
) -> dict[str, Any]:
    """Class, category, activity and type fields; ``other_name`` names an activity 99 (Other)."""
    class_uid = int(base["class_uid"])
    name = other_name if activity_id == 99 and other_name else activities[activity_id]
    return {
        **base,
        "category_name": CATEGORY_NAMES[int(base["category_uid"])],
        "activity_id": activity_id,
        "activity_name": name,
        "type_uid": class_uid * 100 + activity_id,
        # type_name names the type_uid as the schema does ("…: Other"); activity_name says more.
        "type_name": f"{base['class_name']}: {activities[activity_id]}",
    }


def _metadata(uid: str, log_name: str, original_time: str, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "version": OCSF_VERSION,
        "uid": uid,
        "product": PRODUCT,
        "log_name": log_name,
        "log_provider": "zsp",
        "original_time": original_time,
    }
    meta.update({k: v for k, v in extra.items() if v not in (None, [], {})})
    return meta


def _request_line(script: Mapping[str, Any]) -> tuple[str | None, str | None]:
    data = script.get("data")
    if isinstance(data, str):
        match = _REQUEST_LINE.match(data.lstrip())
        if match:
            return match.group(1), match.group(2)
    return None, None


def map_session(
    session: Mapping[str, Any], include_bodies: bool = False, max_body_bytes: int = 8192
) -> dict[str, Any]:
    """One hoop session → one OCSF API Activity event (see the module docstring)."""
    kind = "session"
    if not isinstance(session, Mapping):
        raise MalformedRecord(kind, "<not an object>", "record is not a JSON object")
    rid = _record_id(session, kind)
    start_raw = session.get("start_date")
    start = parse_time(start_raw, kind, rid, "start_date")
    end_raw = session.get("end_date")
    end = parse_time(end_raw, kind, rid, "end_date") if end_raw else None
    connection = _opt_str(session, "connection", kind, rid) or _opt_str(
        session, "role_name", kind, rid
    )
    if connection is None:
        raise MalformedRecord(kind, rid, "connection is missing")
    metadata_in = _mapping(session.get("metadata"), kind, rid, "metadata")
    metrics = _mapping(session.get("metrics"), kind, rid, "metrics")
    script = _mapping(session.get("script"), kind, rid, "script")
    tags = _mapping(session.get("connection_tags"), kind, rid, "connection_tags")
    review = _mapping(session.get("review"), kind, rid, "review")
    guardrails = session.get("guardrails_info") or []
    if not isinstance(guardrails, list):
        raise MalformedRecord(kind, rid, "guardrails_info must be a list")
    exit_code = _opt_int(session.get("exit_code"), kind, rid, "exit_code")
    status = _opt_str(session, "status", kind, rid)
    machine = session.get("identity_type") == "machine"

    # HTTP details: zsp's request metadata when present, else the proxied request line.
    line_method, line_path = _request_line(script)
    method = str(metadata_in.get("http_method") or line_method or "").upper() or None
    path = metadata_in.get("http_path") or line_path
    http_status = _opt_int(metadata_in.get("http_status"), kind, rid, "metadata.http_status")
    bytes_in = _opt_int(
        metadata_in.get("request_bytes", session.get("script_size")), kind, rid, "script_size"
    )
    bytes_out = _opt_int(
        metadata_in.get("response_bytes", metrics.get("event_size", session.get("event_size"))),
        kind,
        rid,
        "metrics.event_size",
    )

    # Verdicts, strongest first: blocked > rejected > failed > masked/approved > ok.
    blocked = [g for g in guardrails if isinstance(g, Mapping)]
    review_status = str(review.get("status") or "").upper() or None
    masking = _mapping(metrics.get("data_masking"), kind, rid, "metrics.data_masking")
    redactions = _opt_int(masking.get("total_redact_count"), kind, rid, "total_redact_count") or 0
    authorizations: list[dict[str, Any]] = []
    action_id, disposition_id, severity_id, status_id = 1, 1, 1, 1
    status_detail: str | None = None
    if review:
        approvers = []
        for group in review.get("review_groups_data") or []:
            if isinstance(group, Mapping):
                owner = _mapping(group.get("reviewed_by"), kind, rid, "reviewed_by")
                approvers.append(
                    {
                        "group": group.get("group"),
                        "status": group.get("status"),
                        "reviewer": owner.get("email") or owner.get("name"),
                        "reviewed_at": group.get("review_date"),
                    }
                )
        decision = {"APPROVED": "approved", "REJECTED": "rejected", "REVOKED": "revoked"}.get(
            review_status or "", (review_status or "pending").lower()
        )
        policy: dict[str, Any] = {
            "name": review.get("access_request_rule_name") or "review",
            "type": f"hoop review ({review.get('type') or 'onetime'})",
            "is_applied": True,
            "data": {"approvals": approvers, "rejection_reason": review.get("rejection_reason")},
        }
        if isinstance(review.get("id"), str):
            policy["uid"] = review["id"]
        authorizations.append({"decision": decision, "policy": policy})
        if review_status in {"APPROVED", "EXECUTED", "PROCESSING"}:
            disposition_id = 8
        elif review_status in {"REJECTED", "REVOKED"}:
            action_id, disposition_id, severity_id, status_id = 2, 25, 2, 2
            status_detail = f"review {decision}" + (
                f": {review['rejection_reason']}" if review.get("rejection_reason") else ""
            )
    if redactions:
        info_types = _mapping(masking.get("info_types"), kind, rid, "info_types")
        authorizations.append(
            {
                "decision": "masked",
                "policy": {
                    "name": "data-masking",
                    "type": "hoop data masking",
                    "is_applied": True,
                    "data": {"info_types": dict(info_types), "total_redact_count": redactions},
                },
            }
        )
        if action_id == 1:
            action_id = 4
    for rule in blocked:
        authorizations.append(
            {
                "decision": "blocked",
                "policy": {
                    "name": str(rule.get("rule_name") or "guardrail"),
                    "type": "hoop guardrail",
                    "is_applied": True,
                    "data": {
                        "direction": rule.get("direction"),
                        "message": rule.get("message"),
                        "rule_type": _mapping(rule.get("rule"), kind, rid, "rule").get("type"),
                    },
                },
            }
        )
    if blocked:
        action_id, disposition_id, severity_id, status_id = 2, 2, 3, 2
        names = ", ".join(str(r.get("rule_name") or "guardrail") for r in blocked)
        status_detail = f"blocked by guardrail {names}"
    failed = (exit_code not in (None, 0)) or (http_status is not None and http_status >= 400)
    if failed and status_id == 1:
        status_id, severity_id = 2, 2
        status_detail = (
            f"upstream answered HTTP {http_status}"
            if http_status is not None and http_status >= 400
            else f"session ended with exit code {exit_code}"
        )
    if status != "done" and status_id == 1:
        status_id = 99
        status_detail = f"session {status or 'in an unknown state'} when exported"

    user_groups = metadata_in.get("user_groups") or metadata_in.get("groups") or []
    user = _user(
        _opt_str(session, "user_id", kind, rid),
        _opt_str(session, "user", kind, rid),
        _opt_str(session, "user_name", kind, rid),
        machine,
    )
    if isinstance(user_groups, list) and user_groups:
        user["groups"] = [{"name": str(g)} for g in user_groups]
    actor: dict[str, Any] = {"user": user, "app_name": "hoop"}
    if machine and isinstance(session.get("machine_identity_id"), str):
        actor["app_uid"] = session["machine_identity_id"]

    operation = f"{method} {path}" if method and path else f"{session.get('verb') or 'connect'}"
    activity = _METHOD_ACTIVITY.get(method or "", 99 if method else 0)
    event: dict[str, Any] = _classify(API_ACTIVITY, activity, API_ACTIVITIES, method)
    event.update(
        {
            "severity_id": severity_id,
            "severity": SEVERITIES[severity_id],
            "time": end if end is not None else start,
            "start_time": start,
            "status_id": status_id,
            "status": STATUSES[status_id] if status_id != 99 else str(status or "open"),
            "action_id": action_id,
            "action": ACTIONS[action_id],
            "disposition_id": disposition_id,
            "disposition": DISPOSITIONS[disposition_id],
            "message": _session_message(user, connection, operation, status_detail),
            "metadata": _metadata(
                event_uid(kind, rid),
                "hoop.sessions",
                str(start_raw),
                tenant_uid=_opt_str(session, "org_id", kind, rid),
                correlation_uid=_opt_str(session, "correlation_id", kind, rid),
                event_code=session.get("verb") if isinstance(session.get("verb"), str) else None,
                profiles=["security_control"] + (["ai_operation"] if tags.get("model") else []),
                labels=sorted(f"{k}={v}" for k, v in tags.items()) or None,
            ),
            "actor": actor,
            "api": {
                "operation": operation,
                "service": {"name": connection, "uid": connection},
                "request": {"uid": rid},
            },
            "src_endpoint": {"name": user.get("name", "unknown"), "uid": user.get("uid", rid)},
            "dst_endpoint": {
                "name": connection,
                "svc_name": str(session.get("connection_subtype") or session.get("type") or "hoop"),
            },
            "resources": [
                {
                    "name": connection,
                    "uid": str(session.get("resource_name") or connection),
                    "type": str(session.get("type") or "connection"),
                }
            ],
        }
    )
    if end is not None:
        event["end_time"] = end
        event["duration"] = max(0, end - start)
    if exit_code is not None:
        event["status_code"] = str(exit_code)
    if http_status is not None:
        event["status_code"] = str(http_status)
        event["api"]["response"] = {"code": http_status}
    if status_detail:
        event["status_detail"] = status_detail
    if authorizations:
        event["authorizations"] = authorizations
        event["policy"] = authorizations[-1]["policy"]
    if method or path:
        request: dict[str, Any] = {}
        if method in HTTP_METHODS:
            request["http_method"] = method
        if isinstance(path, str) and path:
            request["url"] = {"path": path.split("?", 1)[0]}
        if bytes_in is not None:
            request["length"] = bytes_in
        event["http_request"] = request
    if http_status is not None:
        response: dict[str, Any] = {"code": http_status}
        if bytes_out is not None:
            response["length"] = bytes_out
        event["http_response"] = response
    if tags.get("model"):
        event["ai_model"] = {
            "name": str(tags["model"]),
            "ai_provider": str(tags.get("provider") or tags.get("api") or "self-hosted"),
        }
    event["unmapped"] = {
        "hoop": {
            k: v
            for k, v in {
                "connection_type": session.get("type"),
                "connection_subtype": session.get("connection_subtype"),
                "identity_type": session.get("identity_type"),
                "session_status": status,
                "session_batch_id": session.get("session_batch_id"),
                "bytes_in": bytes_in,
                "bytes_out": bytes_out,
                "masked_info_types": dict(masking.get("info_types") or {}) or None,
            }.items()
            if v is not None
        }
    }
    if include_bodies:
        _attach_bodies(event, session, max_body_bytes)
    return event


def _session_message(
    user: Mapping[str, Any], connection: str, operation: str, detail: str | None
) -> str:
    who = user.get("name") or user.get("uid") or "unknown"
    text = f"{who} {operation} via {connection}"
    return f"{text}: {detail}" if detail else text


def _attach_bodies(event: dict[str, Any], session: Mapping[str, Any], max_bytes: int) -> None:
    """Add the request (and output) body — masked, cut to ``max_bytes`` — when asked for."""
    script = session.get("script")
    data = script.get("data") if isinstance(script, Mapping) else None
    if isinstance(data, str) and data:
        masked = mask_body(data, max_bytes)
        event["api"]["request"]["data"] = {
            "body": masked.text,
            "masked": masked.counts,
            "truncated": masked.truncated,
        }
    stream = session.get("event_stream")
    if isinstance(stream, list):
        text = "".join(s for s in stream if isinstance(s, str))
        if text:
            masked = mask_body(text, max_bytes)
            response = event["api"].setdefault("response", {})
            response["data"] = {
                "body": masked.text,
                "masked": masked.counts,
                "truncated": masked.truncated,
            }


def is_credential_entry(entry: Mapping[str, Any]) -> bool:
    """Whether an audit-log entry is a credential issuance, renewal, revocation or close."""
    path = entry.get("http_path")
    return isinstance(path, str) and _CREDENTIAL_PATH.match(path) is not None


def map_audit(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One audit-log entry → Authentication (credentials) or API Activity (other admin writes)."""
    kind = "audit"
    if not isinstance(entry, Mapping):
        raise MalformedRecord(kind, "<not an object>", "record is not a JSON object")
    rid = _record_id(entry, kind)
    created_raw = entry.get("created_at")
    created = parse_time(created_raw, kind, rid, "created_at")
    method = (_opt_str(entry, "http_method", kind, rid) or "").upper()
    path = _opt_str(entry, "http_path", kind, rid)
    if not method or not path:
        raise MalformedRecord(kind, rid, "http_method and http_path are required")
    http_status = _opt_int(entry.get("http_status"), kind, rid, "http_status")
    outcome = entry.get("outcome")
    if outcome is not None and not isinstance(outcome, bool):
        raise MalformedRecord(kind, rid, "outcome must be a boolean")
    ok = outcome if outcome is not None else (http_status or 0) < 400
    user = _user(
        _opt_str(entry, "actor_subject", kind, rid),
        _opt_str(entry, "actor_email", kind, rid),
        _opt_str(entry, "actor_name", kind, rid),
        machine=False,
    )
    client_ip = _opt_str(entry, "client_ip", kind, rid)
    src: dict[str, Any] = {"name": client_ip or "unknown", "uid": client_ip or "unknown"}
    if client_ip and re.fullmatch(r"[0-9a-fA-F:.]+", client_ip):
        src["ip"] = client_ip
    error = _opt_str(entry, "error_message", kind, rid)
    status_id = 1 if ok else 2
    common: dict[str, Any] = {
        "time": created,
        "severity_id": 1 if ok else 2,
        "severity": SEVERITIES[1 if ok else 2],
        "status_id": status_id,
        "status": STATUSES[status_id],
        "actor": {"user": user, "app_name": "hoop"},
        "src_endpoint": src,
        "http_request": {"url": {"path": path}},
        "metadata": _metadata(
            event_uid(kind, rid),
            "hoop.audit",
            str(created_raw),
            tenant_uid=_opt_str(entry, "org_id", kind, rid),
            event_code=_opt_str(entry, "action", kind, rid),
        ),
    }
    if method in HTTP_METHODS:
        common["http_request"]["http_method"] = method
    if http_status is not None:
        common["status_code"] = str(http_status)
        common["http_response"] = {"code": http_status}
    if error:
        common["status_detail"] = error[:512]

    match = _CREDENTIAL_PATH.match(path)
    if match:
        connection = match.group("conn")
        verb = match.group("verb")
        activity = {None: 4 if match.group("id") is None else 5, "close": 2, "revoke": 99}[verb]
        event = _classify(AUTHENTICATION, activity, AUTH_ACTIVITIES, "Revoke")
        label = {4: "issued", 5: "renewed", 2: "closed", 99: "revoked"}[activity]
        event.update(common)
        event.update(
            {
                "user": user,
                "service": {"name": connection, "uid": connection},
                "auth_protocol_id": 99,
                "auth_protocol": "hoop proxy credential",
                "is_remote": True,
                "message": f"credential for {connection} {label} for "
                f"{user.get('name', user.get('uid'))}" + ("" if ok else " (failed)"),
            }
        )
        if match.group("id"):
            event["session"] = {"uid": match.group("id"), "issuer": "hoop"}
        return event

    action = (_opt_str(entry, "action", kind, rid) or "").lower()
    activity = {"create": 1, "read": 2, "update": 3, "delete": 4}.get(
        action, _METHOD_ACTIVITY.get(method, 99)
    )
    event = _classify(API_ACTIVITY, activity, API_ACTIVITIES, action.title() or method)
    resource_type = _opt_str(entry, "resource_type", kind, rid) or "unknown"
    event.update(common)
    event.update(
        {
            "api": {
                "operation": f"{action or method.lower()} {resource_type}",
                "service": {"name": "hoop-api", "uid": "hoop-api"},
                "request": {"uid": rid},
            },
            "resources": [{"type": resource_type, "name": path.rstrip("/").rsplit("/", 1)[-1]}],
            "message": f"{user.get('name', user.get('uid'))} {action or method} {resource_type} "
            f"({method} {path})" + ("" if ok else " failed"),
        }
    )
    return event
