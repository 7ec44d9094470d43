"""Every event the mapper emits validates against OCSF 1.8.0 (compiled offline with ocsf-lib)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from ocsf_validator import OcsfValidator
from siem_samples import audit, session
from zsp.cli.exporter.ocsf import MalformedRecord, event_uid, map_audit, map_session

SESSION_VARIANTS = ["ok", "blocked", "masked", "approved", "rejected", "failed", "machine", "open"]
CREDENTIAL_PATHS = {
    "/api/connections/qwen-chat/credentials": (300204, "Service Ticket Request"),
    "/api/connections/qwen-chat/credentials/c-1": (300205, "Service Ticket Renew"),
    "/api/connections/qwen-chat/credentials/c-1/revoke": (300299, "Revoke"),
    "/api/connections/qwen-chat/credentials/c-1/close": (300202, "Logoff"),
}


@pytest.fixture(scope="module")
def ocsf(shared_dir: Path) -> OcsfValidator:
    return OcsfValidator(shared_dir / "ocsf-schema-1.8.0")


@pytest.mark.parametrize("variant", SESSION_VARIANTS)
@pytest.mark.parametrize("bodies", [False, True])
def test_session_events_validate(ocsf: OcsfValidator, variant: str, bodies: bool) -> None:
    event = map_session(session(11, variant), include_bodies=bodies)
    assert ocsf.errors(event) == []
    assert event["class_uid"] == 6003 and event["metadata"]["version"] == "1.8.0"


@pytest.mark.parametrize("path", sorted(CREDENTIAL_PATHS))
@pytest.mark.parametrize("ok", [True, False])
def test_credential_events_validate(ocsf: OcsfValidator, path: str, ok: bool) -> None:
    event = map_audit(audit(5, path, ok=ok))
    assert ocsf.errors(event) == []
    type_uid, activity = CREDENTIAL_PATHS[path]
    assert (event["type_uid"], event["activity_name"]) == (type_uid, activity)
    assert event["status_id"] == (1 if ok else 2)
    assert event["user"]["uid"] == "auth0|ana" and event["service"]["name"] == "qwen-chat"
    assert event["src_endpoint"]["ip"] == "10.20.30.40"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_audit_events_validate(ocsf: OcsfValidator, method: str) -> None:
    event = map_audit(audit(6, "/api/guardrails/g-1", method=method, resource_type="guardrails"))
    assert ocsf.errors(event) == []
    assert event["type_uid"] == {"POST": 600301, "PUT": 600303, "DELETE": 600304}[method]


def test_verdicts_are_mapped(ocsf: OcsfValidator) -> None:
    blocked = map_session(session(1, "blocked"))
    assert (blocked["action_id"], blocked["disposition_id"], blocked["status_id"]) == (2, 2, 2)
    assert blocked["authorizations"][0]["policy"]["name"] == "no-model-mutation"
    assert blocked["status_detail"] == "blocked by guardrail no-model-mutation"
    masked = map_session(session(2, "masked"))
    assert masked["action_id"] == 4 and masked["status_id"] == 1
    assert masked["authorizations"][0]["policy"]["data"]["info_types"] == {
        "EMAIL_ADDRESS": 2,
        "PHONE_NUMBER": 1,
    }
    approved = map_session(session(3, "approved"))
    assert approved["disposition"] == "Approved"
    approvals = approved["authorizations"][0]["policy"]["data"]["approvals"]
    assert approvals[0]["reviewer"] == "lead@example.com" and approvals[0]["group"] == "ml-leads"
    rejected = map_session(session(4, "rejected"))
    assert (rejected["disposition_id"], rejected["status_id"]) == (25, 2)
    failed = map_session(session(5, "failed"))
    assert failed["status_id"] == 2 and failed["http_response"]["code"] == 502
    ok = map_session(session(6))
    assert ok["actor"]["user"]["groups"] == [{"name": "support"}, {"name": "ai-users"}]
    assert ok["http_request"] == {
        "http_method": "POST",
        "url": {"path": "/v1/chat/completions"},
        "length": 412,
    }
    assert ok["duration"] == 850 and ok["http_response"]["length"] == 2048
    assert ok["ai_model"] == {"name": "qwen2.5-1.5b-instruct", "ai_provider": "self-hosted"}
    machine = map_session(session(7, "machine"))
    assert machine["actor"]["user"]["type_id"] == 3 and "app_uid" in machine["actor"]


def test_uid_is_stable_and_distinct_per_record() -> None:
    first = map_session(session(9))
    again = map_session(copy.deepcopy(session(9)))
    assert (
        first["metadata"]["uid"]
        == again["metadata"]["uid"]
        == event_uid("session", session(9)["id"])
    )
    assert map_session(session(10))["metadata"]["uid"] != first["metadata"]["uid"]
    assert event_uid("audit", "x") != event_uid("session", "x")


def test_the_validator_rejects_broken_events(ocsf: OcsfValidator) -> None:
    """The schema check must be able to fail: each broken copy yields a precise error."""
    good = map_session(session(1))
    cases = {
        "activity_id": lambda e: e.update(activity_id=7),
        "metadata": lambda e: e["metadata"].pop("product"),
        "unexpected": lambda e: e.update(bogus_field=1),
        "type_uid": lambda e: e.update(type_uid=600302),
        "activity_name": lambda e: e.update(activity_name="Read"),
        "email_addr": lambda e: e["actor"]["user"].update(email_addr="not-an-email"),
        "ai_model": lambda e: e["metadata"].update(profiles=["security_control"]),
    }
    for needle, breaker in cases.items():
        broken = copy.deepcopy(good)
        breaker(broken)
        errors = ocsf.errors(broken)
        assert errors and any(needle in err for err in errors), (needle, errors)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"id": None}, "id is missing"),
        ({"start_date": "yesterday"}, "start_date is not an RFC 3339 time"),
        ({"metrics": {"data_masking": "x"}}, "metrics.data_masking must be an object"),
        ({"exit_code": "boom"}, "exit_code must be an integer"),
        ({"guardrails_info": {"a": 1}}, "guardrails_info must be a list"),
    ],
)
def test_malformed_sessions_are_named(change: dict, problem: str) -> None:
    record = {**session(12), **change}
    with pytest.raises(MalformedRecord) as info:
        map_session(record)
    assert info.value.problem == problem
