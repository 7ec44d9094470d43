"""Canary: an upstream API key never reaches hoop, Pulumi state, the pickled provider or a log.

The key sits where it really would during ``pulumi up``: in Secrets Manager (moto, the secret the
connection references) and in the operator's environment. The whole policy bundle of the dev
stack's ``openai`` endpoint then goes through create → read → update → delete against the
contract-enforcing double, with every log record captured.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import boto3
import pytest
from hoop_double import HoopDouble
from pulumi.dynamic.dynamic import serialize_provider
from synth_helpers import synth_stack
from zsp.components.hoop.provider import PROVIDERS
from zsp.components.policy import guardrail_input, plan_stack

CANARY = "sk-proj-CANARY-7c1e0f9a2b3d4e5f60718293a4b5c6d7"

pytestmark = pytest.mark.timeout(120)


def _control(hoop_api: HoopDouble, kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "api_url": hoop_api.url,
        "auth": {"mode": "token", "token": hoop_api.api_key},
        "transport": {"timeout_seconds": 2, "max_attempts": 2, "backoff_seconds": 0.01},
    }


def test_upstream_key_reaches_no_request_state_or_log(
    hoop_api: HoopDouble,
    aws_env: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    _, config = synth_stack("dev")
    assert config.policy is not None and config.hoop is not None
    plan = plan_stack(config.endpoints, config.policy, "enterprise")["openai"]
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(
        Name="zsp/dev/upstream/openai", SecretString=json.dumps({"api_key": CANARY})
    )
    # from here on only zsp code runs (the boto3 setup call above logs its own payload)
    caplog.clear()
    caplog.set_level(logging.DEBUG)

    states: list[dict[str, Any]] = []

    def run(kind: str, spec: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
        provider = PROVIDERS[kind]()
        props = {**_control(hoop_api, kind), **spec}
        assert provider.check({}, props).failures == []
        created = provider.create(props)
        assert created.outs is not None
        read = provider.read(str(created.id), created.outs)
        assert read.outs is not None
        updated = provider.update(str(created.id), read.outs, {**props, **change})
        assert updated.outs is not None
        states.extend([created.outs, read.outs, updated.outs])
        states.append({"__provider": serialize_provider(provider)})
        return {"id": created.id, "outs": updated.outs, "provider": provider}

    agent = run("hoop:agent", {"name": "zsp-dev-agent", "mode": "standard"}, {})
    agent_id = agent["outs"]["agent_id"]
    conn = run(
        "hoop:connection",
        {
            "name": "openai",
            "agent_id": agent_id,
            "remote_url": plan.remote_url,
            "headers": plan.headers,
            "tags": {"zsp.endpoint": "openai"},
        },
        {"tags": {"zsp.endpoint": "openai", "zsp.risk": "medium"}},
    )
    conn_id = conn["outs"]["connection_id"]
    bindings = [
        run(
            "hoop:plugin-binding",
            {"plugin": name, "connection_id": conn_id, "connection_name": "openai", "config": cfg},
            {},
        )
        for name, cfg in (
            ("audit", []),
            ("access_control", list(plan.access_groups)),
            ("dlp", list(plan.mask_entities)),
        )
    ]
    guard = run(
        "hoop:guardrail",
        {
            "name": "openai-deny-model-mutations",
            "input": guardrail_input(plan, "enterprise"),
            "connection_ids": [conn_id],
        },
        {"description": "updated"},
    )
    mask = run(
        "hoop:datamasking-rule",
        {
            "name": "openai-mask-pii",
            "supported_entity_types": [{"name": "PII", "entity_types": list(plan.mask_entities)}],
            "connection_ids": [conn_id],
        },
        {"score_threshold": 0.5},
    )
    for made in [mask, guard, *bindings, conn, agent]:
        made["provider"].delete(str(made["id"]), made["outs"])

    # the reference went to hoop, resolved by the agent later; the value never did
    stored = [r.body for r in hoop_api.requests if r.path == "/api/connections" and r.body]
    assert (
        stored[0]["secret"]["envvar:HEADER_AUTHORIZATION"]
        == base64.b64encode(b"_aws:zsp/dev/upstream/openai:authorization").decode()
    )

    encoded = base64.b64encode(CANARY.encode()).decode()
    for request in hoop_api.requests:
        wire = request.raw_body.decode() + request.path + json.dumps(request.query)
        assert CANARY not in wire and encoded not in wire, request.operation
    assert CANARY not in json.dumps(hoop_api.state.connections)
    assert CANARY not in json.dumps(hoop_api.state.audit_logs)
    for state in states:
        assert CANARY not in json.dumps(state, default=str)
        assert encoded not in json.dumps(state, default=str)
    out, err = capsys.readouterr()
    assert CANARY not in caplog.text + out + err
    # and the hoop admin token is only ever in the secret ``auth`` input, never in a log
    assert str(hoop_api.api_key) not in caplog.text + out + err


def test_the_pickled_provider_carries_no_credential(hoop_api: HoopDouble) -> None:
    """``__provider`` is stored in state: it must hold code only, never the hoop token."""
    for kind, cls in PROVIDERS.items():
        provider = cls()
        provider.check({}, {**_control(hoop_api, kind)})  # exercise it before pickling
        blob = base64.b64decode(serialize_provider(provider))
        assert str(hoop_api.api_key).encode() not in blob, kind
        assert vars(provider) == {}, kind
        assert len(blob) < 200, kind  # pickled by reference to its class: code, no data


def test_the_pickled_provider_loads_in_a_fresh_provider_host(hoop_api: HoopDouble) -> None:
    """What ``pulumi up`` does: a new Python process dill-loads ``__provider`` and calls it."""
    import subprocess
    import sys

    provider = PROVIDERS["hoop:guardrail"]()
    blob = serialize_provider(provider)
    props = {**_control(hoop_api, "hoop:guardrail"), "name": "from-host"}
    script = (
        "import base64, json, sys, dill\n"
        "p = dill.loads(base64.b64decode(sys.argv[1]))\n"
        "props = json.loads(sys.argv[2])\n"
        "assert p.check({}, props).failures == []\n"
        "print(p.create(props).id)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, blob, json.dumps(props)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in hoop_api.state.guardrails
