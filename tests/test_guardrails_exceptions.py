"""``zsp:guardrails``: enforcement levels, maxima and expiring exceptions, judged the same way by
the library and by the CrossGuard pack (config read from ``PULUMI_CONFIG`` as the engine passes
it)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from fixtures_guardrails import BREAKS, ROOT, TODAY, compliant, crossguard_run, load_config
from pulumi_policy import StackValidationArgs, StackValidationPolicy
from zsp.components.config import StackConfigError, read_stack_file
from zsp.components.rules import evaluate
from zsp.components.rules.crossguard import build_policies

ZSP013 = next(b for b in BREAKS if b.rule == "ZSP013")  # prod, resource "gateway"


def _broken_prod(policy: dict[str, Any]) -> tuple[Any, Any]:
    config = load_config("prod", guardrails=policy)
    return config, ZSP013.mutate(compliant(config), config)


def _exception(expires: datetime.date) -> dict[str, Any]:
    return {
        "rule": "ZSP013",
        "resource": "gateway",
        "reason": "hoop ships the patched image as latest until 1.35.13 (SEC-412)",
        "expires": expires.isoformat(),
    }


def test_active_exception_is_reported_but_does_not_block() -> None:
    config, resources = _broken_prod(
        {"exceptions": [_exception(TODAY + datetime.timedelta(days=7))]}
    )
    report = evaluate(resources, config, "prod", today=TODAY)
    assert report.blocking == []
    [finding] = report.findings
    assert (finding.rule, finding.resource, finding.status) == ("ZSP013", "gateway", "excepted")
    assert finding.note == "exception until 2026-12-06: " + _exception(TODAY)["reason"]
    [record] = report.exceptions
    assert (record.state, record.matched) == ("active", 1)
    assert report.to_json()["passed"] is True


def test_exception_holds_through_its_expiry_day() -> None:
    config, resources = _broken_prod({"exceptions": [_exception(TODAY)]})
    assert evaluate(resources, config, "prod", today=TODAY).blocking == []


def test_expired_exception_turns_back_into_a_violation() -> None:
    config, resources = _broken_prod(
        {"exceptions": [_exception(TODAY - datetime.timedelta(days=1))]}
    )
    report = evaluate(resources, config, "prod", today=TODAY)
    [finding] = report.blocking
    assert (finding.rule, finding.resource, finding.status) == ("ZSP013", "gateway", "violation")
    assert finding.note is not None and "EXPIRED on 2026-11-28" in finding.note
    assert report.exceptions[0].state == "expired"
    assert report.to_json()["passed"] is False


def test_exception_matches_by_urn_too() -> None:
    config = load_config("prod")
    resources = ZSP013.mutate(compliant(config), config)
    gateway = next(r for r in resources if r.name == "gateway")
    exc = {**_exception(TODAY), "resource": gateway.urn}
    config = load_config("prod", guardrails={"exceptions": [exc]})
    assert evaluate(resources, config, "prod", today=TODAY).blocking == []


def test_advisory_reports_without_blocking_and_disabled_is_silent() -> None:
    config, resources = _broken_prod({"enforcement": {"ZSP013": "advisory"}})
    report = evaluate(resources, config, "prod", today=TODAY)
    assert report.blocking == [] and [f.level for f in report.findings] == ["advisory"]
    config, resources = _broken_prod({"enforcement": {"ZSP013": "disabled"}})
    report = evaluate(resources, config, "prod", today=TODAY)
    assert report.findings == []
    assert next(r for r in report.rules if r["id"] == "ZSP013")["level"] == "disabled"


def test_crossguard_applies_levels_and_exceptions_from_stack_config() -> None:
    expired, resources = _broken_prod(
        {"exceptions": [_exception(TODAY - datetime.timedelta(days=1))]}
    )
    reported = crossguard_run(resources, expired)
    messages = [m for name, m, _ in reported if name == "ZSP013-image-pinned"]
    assert len(messages) == 1 and "EXPIRED on 2026-11-28" in messages[0]
    assert any(
        name == "zsp-policy-exceptions" and "EXPIRED on 2026-11-28" in m for name, m, _ in reported
    )

    active, resources = _broken_prod({"exceptions": [_exception(TODAY)]})
    reported = crossguard_run(resources, active)
    assert [name for name, _, _ in reported] == ["zsp-policy-exceptions"]

    advisory, _ = _broken_prod({"enforcement": {"ZSP013": "advisory", "ZSP004": "disabled"}})
    levels = {p.name: p.enforcement_level for p in build_policies(advisory)}
    assert levels["ZSP013-image-pinned"] is not None
    assert levels["ZSP013-image-pinned"].value == "advisory"
    assert levels["ZSP004-endpoint-isolated"].value == "disabled"  # type: ignore[union-attr]
    assert levels["ZSP001-trust-policy-pinned"].value == "mandatory"  # type: ignore[union-attr]


def test_pack_reads_stack_config_from_pulumi_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine passes the stack's config to the pack as JSON strings in ``PULUMI_CONFIG``."""
    values = read_stack_file(ROOT, "prod").values
    engine_config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(engine_config))
    monkeypatch.setenv("PULUMI_STACK", "prod")
    policies = build_policies(today=lambda: TODAY)
    siem = next(p for p in policies if p.name == "ZSP011-siem-shipping")
    assert isinstance(siem, StackValidationPolicy)
    reported: list[str] = []
    siem.validate(StackValidationArgs([]), lambda message, urn=None: reported.append(message))
    assert reported == [
        "[ZSP011] zsp:environment: prod stack has no zsp:siem:SiemShipping component"
    ]


def test_pack_fails_closed_without_stack_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)
    policies = build_policies()
    siem = next(p for p in policies if p.name == "ZSP011-siem-shipping")
    assert isinstance(siem, StackValidationPolicy)
    with pytest.raises(RuntimeError, match="no stack config in PULUMI_CONFIG"):
        siem.validate(StackValidationArgs([]), lambda message, urn=None: None)


@pytest.mark.parametrize(
    ("policy", "key", "message"),
    [
        (
            {"enforcement": {"ZSP999": "mandatory"}},
            "zsp:guardrails.enforcement",
            "unknown rule 'ZSP999'",
        ),
        ({"enforcement": {"ZSP001": "warn"}}, "zsp:guardrails.enforcement.ZSP001", "'mandatory'"),
        (
            {"exceptions": [{"rule": "ZSP001", "resource": "r", "expires": "2026-12-01"}]},
            "zsp:guardrails.exceptions[0].reason",
            "required value is missing",
        ),
        (
            {
                "exceptions": [
                    {
                        "rule": "ZSP001",
                        "resource": "r",
                        "reason": "because I said so",
                        "expires": "soon",
                    }
                ]
            },
            "zsp:guardrails.exceptions[0].expires",
            "date",
        ),
        ({"maxRoleSessionDuration": "13h"}, "zsp:guardrails.maxRoleSessionDuration", "43200"),
    ],
)
def test_bad_policy_config_names_the_key(policy: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(StackConfigError) as err:
        load_config("dev", guardrails=policy)
    assert err.value.key == key
    assert message in err.value.message
