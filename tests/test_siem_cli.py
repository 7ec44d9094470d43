"""``zsp export-sessions`` end to end: hoop double → OCSF → CloudWatch Logs on moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from hoop_double import HoopDouble
from siem_samples import iso
from zsp.cli.main import main

GROUP = "/zsp/test/cli-sessions"


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


@pytest.fixture()
def seeded(hoop_api: HoopDouble, aws_env: str) -> HoopDouble:
    start = datetime.now(UTC) - timedelta(hours=2)
    for i in range(12):
        hoop_api.add_session(start_date=iso(start + timedelta(minutes=i)), connection="qwen-chat")
    hoop_api.add_audit_log(
        created_at=iso(start), http_path="/api/connections/qwen-chat/credentials"
    )
    hoop_api.add_session(start_date=iso(start + timedelta(minutes=30)), metrics={"data_masking": 1})
    return hoop_api


def test_once_ships_to_cloudwatch_with_the_token_from_secrets_manager(
    seeded: HoopDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = boto3.client("logs", region_name="eu-west-1")
    logs.create_log_group(logGroupName=GROUP)
    secrets = boto3.client("secretsmanager", region_name="eu-west-1")
    secrets.create_secret(
        Name="zsp/test/hoop-api-key", SecretString=json.dumps({"token": seeded.api_key})
    )
    checkpoint = tmp_path / "state" / "checkpoint.json"
    argv = [
        "export-sessions",
        "--hoop-url",
        seeded.url,
        "--hoop-token-secret",
        "zsp/test/hoop-api-key",
        "--checkpoint",
        str(checkpoint),
        "--log-group",
        GROUP,
        "--log-stream",
        "cli",
        "--region",
        "eu-west-1",
        "--backfill",
        "3h",
        "--once",
        "--format",
        "json",
    ]
    code = _run(argv)
    out, err = capsys.readouterr()
    assert code == 1  # one malformed session: reported, skipped, exit 1
    report = json.loads(out.strip().splitlines()[-1])
    assert (report["sessions"], report["audit"], len(report["skipped"])) == (12, 1, 1)
    assert report["skipped"][0]["problem"] == "metrics.data_masking must be an object"
    assert seeded.api_key not in out + err
    events = logs.get_log_events(logGroupName=GROUP, logStreamName="cli", startFromHead=True)
    classes = sorted(json.loads(e["message"])["class_uid"] for e in events["events"])
    assert classes == [3002] + [6003] * 12
    assert json.loads(checkpoint.read_text())["version"] == 1
    # A second run finds nothing new: nothing is shipped twice.
    assert _run(argv) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (again["sessions"], again["audit"]) == (0, 0)


def test_corrupt_checkpoint_is_a_usage_error_naming_the_file(
    seeded: HoopDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.setenv("ZSP_HOOP_TOKEN", seeded.api_key or "")
    checkpoint = tmp_path / "checkpoint.json"
    checkpoint.write_text("{not json", encoding="utf-8")
    code = _run(
        [
            "export-sessions",
            "--hoop-url",
            seeded.url,
            "--checkpoint",
            str(checkpoint),
            "--log-group",
            GROUP,
            "--once",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert f"zsp: error: {checkpoint}: unreadable checkpoint" in err
    assert checkpoint.read_text() == "{not json"  # left as it was


def test_missing_token_and_bad_duration_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.delenv("ZSP_HOOP_TOKEN", raising=False)
    base = ["export-sessions", "--hoop-url", "https://hoop.example.com"]
    base += ["--checkpoint", str(tmp_path / "c.json"), "--log-group", GROUP, "--once"]
    assert _run(base) == 2
    assert "set ZSP_HOOP_TOKEN or pass --hoop-token-secret" in capsys.readouterr().err
    assert _run([*base, "--lag", "soon"]) == 2
    assert "--lag" in capsys.readouterr().err
