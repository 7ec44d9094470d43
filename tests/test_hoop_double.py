"""The hoop API double itself: it must enforce the contract, keep state and inject faults."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest
from hoop_double import HoopDouble

pytestmark = pytest.mark.timeout(60)


def client(hoop_api: HoopDouble, token: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=hoop_api.url,
        headers={"Authorization": f"Bearer {token or hoop_api.api_key}"},
        timeout=5,
    )


def agent_and_connection(http: httpx.Client, name: str = "openai") -> dict:
    dsn = http.post("/agents", json={"name": "default", "mode": "standard"})
    assert dsn.status_code == 201
    agent_id = http.get("/agents/default").json()["id"]
    ref = base64.b64encode(b"_aws:zsp/dev/upstream/openai:api_key").decode()
    conn = http.post(
        "/connections",
        json={
            "name": name,
            "type": "application",
            "subtype": "httpproxy",
            "agent_id": agent_id,
            "access_mode_connect": "enabled",
            "access_mode_exec": "disabled",
            "access_mode_runbooks": "disabled",
            "access_schema": "disabled",
            "secret": {
                "envvar:REMOTE_URL": base64.b64encode(b"https://api.openai.com").decode(),
                "envvar:HEADER_AUTHORIZATION": ref,
            },
        },
    )
    assert conn.status_code == 201, conn.text
    return conn.json()


def test_unauthenticated_and_wrong_token_get_401(hoop_api: HoopDouble) -> None:
    assert httpx.get(f"{hoop_api.url}/agents").status_code == 401
    response = client(hoop_api, "xapi-wrong").get("/agents")
    assert response.status_code == 401
    assert response.json() == {"message": "invalid authentication"}
    assert client(hoop_api).get("/agents").json() == []


def test_jwt_verifier_sets_identity_and_groups(hoop_api: HoopDouble) -> None:
    hoop_api.jwt_verifier = lambda t: {"sub": "svc-1", "groups": ["ml"]} if t == "jwt-ok" else None
    assert client(hoop_api, "jwt-ok").get("/agents").status_code == 200
    assert client(hoop_api, "jwt-bad").get("/agents").status_code == 401
    ident = hoop_api.requests[0].identity
    assert ident is not None and ident.subject == "svc-1" and ident.groups == ["ml"]


def test_request_violations_are_rejected_with_the_failing_field(hoop_api: HoopDouble) -> None:
    hoop_api.expect_violations()
    http = client(hoop_api)
    missing = http.post("/agents", json={"mode": "standard"})
    assert missing.status_code == 400
    assert "'name' is a required property" in missing.json()["message"]
    assert "POST /agents" in missing.json()["message"]
    typo = http.post("/guardrails", json={"name": "g", "inputs": {}})
    assert typo.status_code == 400
    assert "body.inputs: unknown property" in typo.json()["message"]
    read_only = http.post(
        "/serviceaccounts",
        json={"subject": "s", "status": "active", "id": "15b5a2fd-0706-4a47-b1cf-b93ccfc5b3d7"},
    )
    assert read_only.status_code == 400
    assert "read-only" in read_only.json()["message"]
    bad_enum = http.put("/serverconfig/misc", json={"http_proxy_server_config": {"x": 1}})
    assert bad_enum.status_code == 400
    assert len(hoop_api.violations) == 4
    assert all(not r.valid for r in hoop_api.requests)


def test_responses_are_validated_too(hoop_api: HoopDouble) -> None:
    hoop_api.expect_violations()
    http = client(hoop_api)
    http.post("/agents", json={"name": "default"})
    hoop_api.state.agents["default"]["status"] = "BROKEN"  # corrupt state behind the API
    response = http.get("/agents/default")
    assert response.status_code == 500
    assert "violates openapiv3.json" in response.json()["message"]
    assert "BROKEN" in hoop_api.violations[0]


def test_agent_dsn_and_conflict(hoop_api: HoopDouble) -> None:
    http = client(hoop_api)
    token = http.post("/agents", json={"name": "default", "mode": "standard"}).json()["token"]
    key = hoop_api.state.agent_keys["default"]
    assert token == f"grpc://default:{key}@127.0.0.1:8010?mode=standard"
    assert http.post("/agents", json={"name": "default"}).status_code == 409
    assert http.delete("/agents/default").status_code == 204
    assert http.get("/agents/default").status_code == 404


def test_connection_crud_and_credentials_expiry(hoop_api: HoopDouble) -> None:
    http = client(hoop_api)
    conn = agent_and_connection(http)
    assert conn["status"] == "offline"
    assert http.post("/connections", json={**conn_body(conn)}).status_code == 409
    before = datetime.now(UTC)
    issued = http.post("/connections/openai/credentials", json={"access_duration_seconds": 900})
    assert issued.status_code == 201, issued.text
    data = issued.json()
    token = data["connection_credentials"]["proxy_token"]
    assert token.startswith("httpproxy-")
    expire = datetime.fromisoformat(data["expire_at"].replace("Z", "+00:00"))
    assert 899 <= (expire - before).total_seconds() <= 905
    assert hoop_api.state.credentials[token]["connection"] == "openai"
    too_long = http.post(
        "/connections/openai/credentials", json={"access_duration_seconds": 49 * 3600}
    )
    assert too_long.status_code == 400
    assert http.delete("/connections/openai").status_code == 204
    assert http.get("/connections/openai").status_code == 404


def conn_body(conn: dict) -> dict:
    return {k: v for k, v in conn.items() if k not in ("id", "status")}


def test_jit_rule_makes_credentials_review_gated(hoop_api: HoopDouble) -> None:
    http = client(hoop_api)
    agent_and_connection(http)
    rule = {
        "name": "openai-jit",
        "access_type": "jit",
        "connection_names": ["openai"],
        "approval_required_groups": [],
        "reviewers_groups": ["ml-leads"],
        "force_approval_groups": [],
        "min_approvals": 1,
        "access_max_duration": 1800,
    }
    assert http.post("/access-requests/rules", json=rule).status_code == 201
    dup = http.post("/access-requests/rules", json={**rule, "name": "other"})
    assert dup.status_code == 422
    assert "conflicting connection: openai" in dup.json()["message"]
    review = http.post("/connections/openai/credentials", json={"access_duration_seconds": 600})
    assert review.status_code == 202
    assert review.json()["has_review"] is True and "connection_credentials" not in review.json()
    over = http.post("/connections/openai/credentials", json={"access_duration_seconds": 3600})
    assert over.status_code == 400
    assert "max duration of 1800 seconds" in over.json()["message"]
    session_id, review_id = review.json()["session_id"], review.json()["review_id"]
    resume = f"/connections/openai/credentials/{session_id}"
    pending = http.post(resume, json={})
    assert pending.status_code == 202 and pending.json()["status"] == "PENDING"
    hoop_api.decide_review(review_id, "APPROVED")
    granted = http.post(resume, json={})
    assert granted.status_code == 201, granted.text
    token = granted.json()["connection_credentials"]["proxy_token"]
    assert token.startswith("httpproxy-")
    assert hoop_api.state.credentials[token]["session_id"] == session_id
    again = http.post(resume, json={})  # the original window is kept
    assert again.json()["expire_at"] == granted.json()["expire_at"]


def test_misc_put_replaces_the_document(hoop_api: HoopDouble) -> None:
    http = client(hoop_api)
    http.put(
        "/serverconfig/misc",
        json={
            "http_proxy_server_config": {"listen_address": "0.0.0.0:18888"},
            "postgres_server_config": {"listen_address": "0.0.0.0:15432"},
        },
    )
    http.put("/serverconfig/misc", json={"grpc_server_url": "grpcs://gw.example.com:443"})
    assert http.get("/serverconfig/misc").json() == {
        "grpc_server_url": "grpcs://gw.example.com:443"
    }


def test_faults_fail_delay_drop_unauthorized(hoop_api: HoopDouble) -> None:
    http = client(hoop_api)
    hoop_api.fail_next(2, status=500, message="db down", match="GET /agents")
    assert http.get("/agents").json() == {"message": "db down"}
    assert http.get("/agents").status_code == 500
    assert http.get("/agents").status_code == 200
    hoop_api.unauthorized_next()
    assert http.get("/guardrails").status_code == 401
    hoop_api.delay_next(seconds=0.6)
    with pytest.raises(httpx.ReadTimeout):
        http.get("/guardrails", timeout=0.2)
    hoop_api.drop_next()
    with pytest.raises(httpx.TransportError):
        http.get("/guardrails")
    assert http.get("/guardrails").status_code == 200


def test_sessions_and_audit_logs_for_the_exporter(hoop_api: HoopDouble) -> None:
    http = client(hoop_api)
    first = hoop_api.add_session(connection="openai", start_date="2026-01-01T00:00:00Z")
    hoop_api.add_session(connection="qwen-chat", start_date="2026-01-02T00:00:00Z")
    listed = http.get("/sessions", params={"connection": "openai"}).json()
    assert [s["id"] for s in listed["data"]] == [first["id"]]
    page = http.get("/sessions", params={"limit": 1}).json()
    assert page["has_next_page"] is True and page["total"] == 2
    assert http.get(f"/sessions/{first['id']}").json()["connection"] == "openai"
    with pytest.raises(ValueError, match="violates"):
        hoop_api.add_session(status="exploded")
    http.post("/agents", json={"name": "default"})
    logs = http.get("/audit/logs", params={"resource_type": "agents"}).json()
    assert logs["pages"]["total"] == 1
    assert logs["data"][0]["actor_subject"] == "api-key"
    assert logs["data"][0]["http_status"] == 201


def test_oss_edition_limits_answer_403_like_hoop(hoop_api: HoopDouble) -> None:
    http = client(hoop_api)
    hoop_api.state.edition = "oss"
    deny = {"rules": [{"type": "pattern_match", "pattern_regex": "/v1/files", "words": []}]}
    assert http.post("/guardrails", json={"name": "a", "input": deny}).status_code == 201
    second = http.post("/guardrails", json={"name": "b", "input": deny})
    assert second.status_code == 403
    assert second.json()["message"] == "guardrail rules are limited to 1 rule in OSS version"
    two_types = {"name": "PII", "entity_types": ["EMAIL_ADDRESS", "PERSON"]}
    masking = http.post(
        "/datamasking-rules", json={"name": "m", "supported_entity_types": [two_types]}
    )
    assert masking.status_code == 403
    assert "limited to 1 entity type" in masking.json()["message"]
