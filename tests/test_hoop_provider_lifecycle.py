"""Every hoop dynamic provider, driven like the Pulumi engine drives it, against the API double.

Each kind runs create → read → update in place → replace (delete, then create) → delete, plus
adoption, drift, 401, 404, 409, 500-then-success and timeouts. The double validates every
request and response against openapiv3.json; the fixture fails the test on any violation.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hoop_double import HoopDouble
from zsp.components.hoop.client import HoopAuthError, HoopError, HoopUnavailable
from zsp.components.hoop.provider import PROVIDERS, HoopObjectProvider

pytestmark = pytest.mark.timeout(120)

REF = "_aws:zsp/dev/upstream/openai:api_key"


def control(hoop_api: HoopDouble, kind: str, token: str | None = None) -> dict[str, Any]:
    return {
        "kind": kind,
        "api_url": hoop_api.url,
        "auth": {"mode": "token", "token": token or hoop_api.api_key},
        "transport": {"timeout_seconds": 1, "max_attempts": 3, "backoff_seconds": 0.01},
    }


def engine_create(provider: HoopObjectProvider, props: dict[str, Any]) -> tuple[str, dict]:
    checked = provider.check({}, props)
    assert checked.failures == [], [f.reason for f in checked.failures]
    result = provider.create(checked.inputs)
    assert result.outs is not None
    return str(result.id), result.outs


def make_agent(hoop_api: HoopDouble) -> str:
    _, outs = engine_create(
        PROVIDERS["hoop:agent"](),
        {**control(hoop_api, "hoop:agent"), "name": "default", "mode": "standard"},
    )
    return str(outs["agent_id"])


def make_connection(hoop_api: HoopDouble, name: str = "openai") -> dict[str, Any]:
    agent_id = make_agent(hoop_api) if "default" not in hoop_api.state.agents else None
    agent_id = agent_id or hoop_api.state.agents["default"]["id"]
    _, outs = engine_create(
        PROVIDERS["hoop:connection"](),
        {
            **control(hoop_api, "hoop:connection"),
            "name": name,
            "agent_id": agent_id,
            "remote_url": "https://api.openai.com",
            "headers": {"HEADER_AUTHORIZATION": REF},
            "tags": {"zsp.endpoint": name},
            "reviewers": [],
        },
    )
    return outs


@dataclass
class Case:
    """One kind: its v1 spec, an in-place change, a replacing change, and a live-state probe."""

    kind: str
    spec: Callable[[HoopDouble], dict[str, Any]]
    in_place: dict[str, Any]
    replace: dict[str, Any]
    live: Callable[[HoopDouble, str], Any]


def _conn_id(hoop_api: HoopDouble) -> str:
    return str(hoop_api.state.connections["openai"]["id"])


CASES = [
    Case(
        "hoop:agent",
        lambda h: {"name": "edge", "mode": "standard"},
        {},
        {"mode": "embedded"},
        lambda h, i: h.state.agent(i),
    ),
    Case(
        "hoop:connection",
        lambda h: {
            "name": "anthropic",
            "agent_id": h.state.agents["default"]["id"],
            "remote_url": "https://api.anthropic.com",
            "headers": {"HEADER_X_API_KEY": "_aws:zsp/dev/upstream/anthropic:api_key"},
            "tags": {"zsp.endpoint": "anthropic"},
            "reviewers": [],
        },
        {"remote_url": "https://eu.api.anthropic.com", "tags": {"zsp.risk": "high"}},
        {"name": "anthropic-eu"},
        lambda h, i: h.state.connection(i),
    ),
    Case(
        "hoop:proxy-listener",
        lambda h: {"listen_address": "0.0.0.0:18888"},
        {"listen_address": "0.0.0.0:18889"},
        {},
        lambda h, i: h.state.misc.get("http_proxy_server_config"),
    ),
    Case(
        "hoop:plugin-binding",
        lambda h: {
            "plugin": "access_control",
            "connection_id": _conn_id(h),
            "connection_name": "openai",
            "config": ["ml-engineers"],
        },
        {"config": ["ml-engineers", "support"]},
        {"plugin": "audit", "config": []},
        lambda h, i: next(
            (
                c
                for c in h.state.plugins.get(i.split("/")[0], {}).get("connections", [])
                if c["id"] == i.split("/")[1]
            ),
            None,
        ),
    ),
    Case(
        "hoop:guardrail",
        lambda h: {
            "name": "openai-deny-mutations",
            "description": "block fine-tuning",
            "input": {
                "rules": [
                    {"type": "pattern_match", "pattern_regex": "/v1/fine_tuning", "words": []}
                ]
            },
            "output": {},
            "connection_ids": [_conn_id(h)],
        },
        {"name": "openai-deny-mutations-v2", "description": "renamed in place"},
        {},
        lambda h, i: h.state.guardrails.get(i),
    ),
    Case(
        "hoop:datamasking-rule",
        lambda h: {
            "name": "openai-pii",
            "description": "mask PII",
            "supported_entity_types": [{"name": "PII", "entity_types": ["EMAIL_ADDRESS"]}],
            "custom_entity_types": [],
            "score_threshold": 0.6,
            "connection_ids": [_conn_id(h)],
        },
        {
            "supported_entity_types": [
                {"name": "PII", "entity_types": ["EMAIL_ADDRESS", "PHONE_NUMBER"]}
            ]
        },
        {"name": "openai-pii-v2"},
        lambda h, i: h.state.datamasking_rules.get(i),
    ),
    Case(
        "hoop:access-request-rule",
        lambda h: {
            "name": "openai-jit",
            "description": "high risk",
            "access_type": "jit",
            "connection_names": ["openai"],
            "approval_required_groups": [],
            "reviewers_groups": ["ml-leads"],
            "force_approval_groups": [],
            "min_approvals": 1,
            "access_max_duration": 1800,
            "all_groups_must_approve": False,
        },
        {"min_approvals": 2, "access_max_duration": 900},
        {"name": "openai-jit-v2"},
        lambda h, i: h.state.access_request_rules.get(i),
    ),
    Case(
        "hoop:service-account",
        lambda h: {"subject": "client-abc123", "name": "support-bot", "groups": ["support"]},
        {"groups": ["support", "eval"]},
        {"subject": "client-def456"},
        lambda h, i: (
            h.state.service_accounts.get(i)
            if h.state.service_accounts.get(i, {}).get("status") == "active"
            else None
        ),
    ),
]


@pytest.fixture()
def world(hoop_api: HoopDouble) -> HoopDouble:
    make_connection(hoop_api)
    return hoop_api


def test_every_kind_has_a_case() -> None:
    assert sorted(c.kind for c in CASES) == sorted(PROVIDERS)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.kind)
def test_full_lifecycle(world: HoopDouble, case: Case) -> None:
    provider = PROVIDERS[case.kind]()
    v1 = {**control(world, case.kind), **case.spec(world)}
    id1, outs1 = engine_create(provider, v1)
    assert case.live(world, id1) is not None

    # read (refresh) returns the same spec: no diff
    read = provider.read(id1, outs1)
    assert read.id == id1 and read.outs is not None
    assert provider.diff(id1, read.outs, v1).changes is False

    # update in place
    if case.in_place:
        v2 = {**v1, **case.in_place}
        diff = provider.diff(id1, read.outs, v2)
        assert diff.changes is True and diff.replaces == []
        updated = provider.update(id1, read.outs, v2)
        assert updated.outs is not None
        after = provider.read(id1, updated.outs)
        assert after.id == id1 and after.outs is not None
        assert provider.diff(id1, after.outs, v2).changes is False
        outs1 = after.outs
        v1 = v2

    # a rotated key is stored by an update that sends nothing to hoop (and never replaces)
    rotated = {**v1, "auth": {"mode": "token", "token": "xapi-rotated"}}
    diff = provider.diff(id1, outs1, rotated)
    assert diff.changes is True and diff.replaces == []
    before = len(world.requests)
    stored = provider.update(id1, outs1, rotated).outs
    assert stored is not None and stored["auth"]["token"] == "xapi-rotated"
    assert len(world.requests) == before

    # replace: the engine deletes first (names are unique), then creates
    if case.replace:
        v3 = {**v1, **case.replace}
        diff = provider.diff(id1, outs1, v3)
        expected = sorted(set(case.replace) & set(provider.replace_fields))
        assert expected and diff.replaces == expected
        assert diff.delete_before_replace is True
        provider.delete(id1, outs1)
        id3, outs3 = engine_create(provider, v3)
        assert case.live(world, id3) is not None
        id1, outs1 = id3, outs3

    provider.delete(id1, outs1)
    assert case.live(world, id1) is None
    gone = provider.read(id1, outs1)
    assert not gone.id
    provider.delete(id1, outs1)  # deleting what is gone is a no-op (404 tolerated)


ADOPTABLE = [c for c in CASES if c.kind not in ("hoop:proxy-listener", "hoop:plugin-binding")]


@pytest.mark.parametrize("case", ADOPTABLE, ids=lambda c: c.kind)
def test_create_adopts_an_identical_existing_object(world: HoopDouble, case: Case) -> None:
    provider = PROVIDERS[case.kind]()
    props = {**control(world, case.kind), **case.spec(world)}
    first, _ = engine_create(provider, props)
    before = len(world.requests)
    second, _ = engine_create(provider, props)  # hoop answers 409 (422 for rules): adopted
    assert second == first
    assert any(r.status in (409, 422) for r in world.requests[before:])


@pytest.mark.parametrize(
    "case", [c for c in ADOPTABLE if c.in_place or c.replace], ids=lambda c: c.kind
)
def test_create_refuses_to_adopt_a_different_object(world: HoopDouble, case: Case) -> None:
    provider = PROVIDERS[case.kind]()
    props = {**control(world, case.kind), **case.spec(world)}
    engine_create(provider, props)
    changed = {**props, **(case.in_place or {k: v for k, v in case.replace.items()})}
    if case.kind == "hoop:agent":
        changed = {**props, "mode": "embedded"}
    if case.kind == "hoop:guardrail":
        changed = {**props, "description": "another"}
    with pytest.raises(HoopError, match="already exists with a different spec"):
        provider.create(changed)


def test_drift_deleted_behind_our_back_reads_as_gone(world: HoopDouble) -> None:
    provider = PROVIDERS["hoop:guardrail"]()
    props = {**control(world, "hoop:guardrail"), **CASES[4].spec(world)}
    rule_id, outs = engine_create(provider, props)
    del world.state.guardrails[rule_id]
    assert not provider.read(rule_id, outs).id
    with pytest.raises(HoopError, match="deleted outside Pulumi"):
        provider.update(rule_id, outs, {**props, "description": "x"})


def test_connection_update_keeps_guardrails_attached_by_others(world: HoopDouble) -> None:
    guard = PROVIDERS["hoop:guardrail"]()
    rule_id, _ = engine_create(guard, {**control(world, "hoop:guardrail"), **CASES[4].spec(world)})
    conn = PROVIDERS["hoop:connection"]()
    conn_id = _conn_id(world)
    outs = conn.read(conn_id, {**control(world, "hoop:connection"), "name": "openai"}).outs
    assert outs is not None
    conn.update(conn_id, outs, {**outs, "remote_url": "https://eu.api.openai.com"})
    assert conn_id in world.state.guardrails[rule_id]["connection_ids"]
    assert (
        world.state.connections["openai"]["secret"]["envvar:REMOTE_URL"]
        == base64.b64encode(b"https://eu.api.openai.com").decode()
    )


def test_listener_write_keeps_other_listeners(world: HoopDouble) -> None:
    world.state.misc["postgres_server_config"] = {"listen_address": "0.0.0.0:15432"}
    provider = PROVIDERS["hoop:proxy-listener"]()
    rid, outs = engine_create(
        provider, {**control(world, "hoop:proxy-listener"), "listen_address": "0.0.0.0:18888"}
    )
    provider.delete(rid, outs)
    assert world.state.misc["postgres_server_config"] == {"listen_address": "0.0.0.0:15432"}
    assert "http_proxy_server_config" not in world.state.misc


def test_dlp_binding_goes_through_the_plugin_document(world: HoopDouble) -> None:
    provider = PROVIDERS["hoop:plugin-binding"]()
    props = {
        **control(world, "hoop:plugin-binding"),
        "plugin": "dlp",
        "connection_id": _conn_id(world),
        "connection_name": "openai",
        "config": ["EMAIL_ADDRESS"],
    }
    rid, outs = engine_create(provider, props)
    assert world.state.plugins["dlp"]["connections"][0]["config"] == ["EMAIL_ADDRESS"]
    provider.delete(rid, outs)
    assert world.state.plugins["dlp"]["connections"] == []


def test_401_is_reported_without_the_token(world: HoopDouble) -> None:
    provider = PROVIDERS["hoop:guardrail"]()
    canary = "xapi-CANARY-0f9e8d7c6b5a"
    props = {**control(world, "hoop:guardrail", token=canary), **CASES[4].spec(world)}
    with pytest.raises(HoopAuthError) as err:
        provider.create(props)
    assert "'openai-deny-mutations'" in str(err.value) and "HTTP 401" in str(err.value)
    assert canary not in str(err.value)


def test_404_on_delete_and_read_is_not_an_error(world: HoopDouble) -> None:
    provider = PROVIDERS["hoop:access-request-rule"]()
    props = {**control(world, "hoop:access-request-rule"), **CASES[6].spec(world)}
    provider.delete("never-created", props)
    assert not provider.read("never-created", props).id


def test_500_then_success(world: HoopDouble) -> None:
    provider = PROVIDERS["hoop:datamasking-rule"]()
    world.fail_next(2, status=500, message="database is restarting", match="POST /datamasking")
    rid, _ = engine_create(
        provider, {**control(world, "hoop:datamasking-rule"), **CASES[5].spec(world)}
    )
    assert rid in world.state.datamasking_rules
    statuses = [r.status for r in world.requests if r.path == "/api/datamasking-rules"]
    assert statuses == [500, 500, 201]


def test_500_forever_gives_up_with_hoops_message(world: HoopDouble) -> None:
    provider = PROVIDERS["hoop:guardrail"]()
    world.fail_next(10, status=500, message="database is down")
    with pytest.raises(HoopUnavailable) as err:
        provider.create({**control(world, "hoop:guardrail"), **CASES[4].spec(world)})
    assert "'openai-deny-mutations'" in str(err.value)
    assert "database is down" in str(err.value) and "gave up after 3 attempts" in str(err.value)


def test_timeout_then_success_and_timeout_forever(world: HoopDouble) -> None:
    provider = PROVIDERS["hoop:service-account"]()
    props = {**control(world, "hoop:service-account"), **CASES[7].spec(world)}
    world.delay_next(1, seconds=1.5, match="POST /serviceaccounts")
    sid, _ = engine_create(provider, props)  # the first POST timed out but reached hoop: adopted
    assert world.state.service_accounts[sid]["status"] == "active"
    world.delay_next(5, seconds=1.5)
    with pytest.raises(HoopUnavailable, match="timed out"):
        provider.read(sid, props)


def test_check_refuses_inline_upstream_values(world: HoopDouble) -> None:
    provider = PROVIDERS["hoop:connection"]()
    props = {**CASES[1].spec(world), **control(world, "hoop:connection")}
    props["headers"] = {"HEADER_AUTHORIZATION": "Bearer sk-live-123"}
    reasons = [f.reason for f in provider.check({}, props).failures]
    assert reasons == [
        "headers.HEADER_AUTHORIZATION must be a secret reference such as "
        "_aws:<secret-name>:<key>, never a value"
    ]


def test_agent_dsn_is_returned_once_and_adoption_says_so(world: HoopDouble) -> None:
    provider = PROVIDERS["hoop:agent"]()
    props = {**control(world, "hoop:agent"), "name": "edge", "mode": "standard"}
    _, outs = engine_create(provider, props)
    key = world.state.agent_keys["edge"]
    assert outs["dsn"] == f"grpc://edge:{key}@127.0.0.1:8010?mode=standard"
    assert outs["key_known"] is True
    _, adopted = engine_create(provider, props)
    assert adopted["dsn"] == "" and adopted["key_known"] is False


def test_check_tolerates_values_unknown_during_preview(world: HoopDouble) -> None:
    from pulumi.runtime import rpc

    provider = PROVIDERS["hoop:connection"]()
    props = {**CASES[1].spec(world), **control(world, "hoop:connection")}
    props.update(agent_id=rpc.UNKNOWN, remote_url=rpc.UNKNOWN)
    props["headers"] = {"HEADER_X_API_KEY": rpc.UNKNOWN}
    assert provider.check({}, props).failures == []
    diff = provider.diff("id", {**props, "agent_id": "a"}, props)
    assert diff.changes is True and diff.replaces == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.kind)
def test_drift_for_every_kind_then_recreate(world: HoopDouble, case: Case) -> None:
    provider = PROVIDERS[case.kind]()
    props = {**control(world, case.kind), **case.spec(world)}
    object_id, outs = engine_create(provider, props)
    PROVIDERS[case.kind]().delete(object_id, outs)  # another operator removes it
    assert case.live(world, object_id) is None
    refreshed = provider.read(object_id, outs)
    assert not refreshed.id  # pulumi refresh drops it from state ...
    again, _ = engine_create(provider, props)  # ... and the next up recreates it
    assert case.live(world, again) is not None


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.kind)
def test_401_for_every_kind(world: HoopDouble, case: Case) -> None:
    provider = PROVIDERS[case.kind]()
    props = {**control(world, case.kind, token="xapi-revoked"), **case.spec(world)}
    with pytest.raises(HoopAuthError, match="HTTP 401: invalid authentication"):
        provider.create(props)
    assert all(r.status == 401 for r in world.requests if r.identity is None)


def test_connection_read_with_hide_role_info(world: HoopDouble) -> None:
    """With the org's hide_role_info, inline values read back null; references still round-trip."""
    world.state.hide_role_info = True
    provider = PROVIDERS["hoop:connection"]()
    conn_id = _conn_id(world)
    props = {
        **control(world, "hoop:connection"),
        "name": "openai",
        "remote_url": "https://api.openai.com",
    }
    read = provider.read(conn_id, props)
    assert read.outs is not None
    assert read.outs["headers"] == {"HEADER_AUTHORIZATION": REF}
    assert read.outs["remote_url"] == "https://api.openai.com"  # unobservable: kept as desired
    import httpx

    live = httpx.get(
        f"{world.url}/connections/openai",
        headers={"Authorization": f"Bearer {world.api_key}"},
    ).json()
    assert live["secret"]["envvar:REMOTE_URL"] is None


def test_env_auth_mode_stores_nothing_secret(
    world: HoopDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = PROVIDERS["hoop:guardrail"]()
    props = {
        **control(world, "hoop:guardrail"),
        **CASES[4].spec(world),
        "auth": {"mode": "env", "variable": "ZSP_HOOP_TOKEN"},
    }
    monkeypatch.delenv("ZSP_HOOP_TOKEN", raising=False)
    with pytest.raises(HoopError, match="environment variable ZSP_HOOP_TOKEN is not set"):
        provider.create(props)
    monkeypatch.setenv("ZSP_HOOP_TOKEN", str(world.api_key))
    rule_id, outs = engine_create(provider, props)
    assert rule_id in world.state.guardrails
    assert str(world.api_key) not in json.dumps(outs)


def test_idp_client_credentials_token_end_to_end(world: HoopDouble) -> None:
    """The preferred path: a short-lived IdP token per run, mapped by hoop to a subject."""
    issued: list[str] = []

    class Token(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            token = f"at-{len(issued) + 1}"
            issued.append(token)
            payload = json.dumps({"access_token": token, "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Token)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    world.jwt_verifier = lambda t: (
        {"sub": "zsp-provisioner", "groups": ["admin"]} if t in issued else None
    )
    try:
        provider = PROVIDERS["hoop:service-account"]()
        props = {
            **control(world, "hoop:service-account"),
            **CASES[7].spec(world),
            "auth": {
                "mode": "client_credentials",
                "token_url": f"http://127.0.0.1:{server.server_address[1]}/oauth2/token",
                "client_id": "zsp-provisioner",
                "client_secret": "s3cret",
                "scope": "hoop/admin",
            },
        }
        engine_create(provider, props)
    finally:
        server.shutdown()
        server.server_close()
    writes = [r for r in world.requests if r.path == "/api/serviceaccounts"]
    assert writes[-1].identity is not None
    assert writes[-1].identity.subject == "zsp-provisioner"
    assert world.state.audit_logs[-1]["actor_subject"] == "zsp-provisioner"
