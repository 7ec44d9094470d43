"""Crash, outage and bad-file tests for ``zsp migrate apply`` (invariant 5: no token is ever lost).

* SIGKILL at ≥ 20 random points (subprocess), then ``apply`` again;
* the moto server stopped mid-apply, then restarted and ``apply`` again;
* a read-only and a vanished consumer file.
"""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fixtures_migrate import GATEWAY, SampleRepo, create_kms_alias, make_sample_repo, reset_moto
from migrate_helpers import CLI, assert_no_tokens, managed_secrets, sm_client, tree_texts
from zsp.cli.migrate import apply as apply_module
from zsp.cli.migrate.apply import Applier
from zsp.cli.migrate.aws import AwsOptions
from zsp.cli.migrate.fsutil import sha256_bytes
from zsp.cli.migrate.journal import fold, journal_path, read_events
from zsp.cli.migrate.plan import PlanOptions, build_plan, write_plan
from zsp.cli.migrate.rollback import rollback_run

KILLS = 24


def make_plan(repo: SampleRepo, dest: Path) -> dict[str, Any]:
    plan = build_plan(PlanOptions(repo.inventory, "dev", repo.project, GATEWAY))
    write_plan(plan, dest)
    return plan


def env_for(endpoint: str) -> dict[str, str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    env.pop("AWS_PROFILE", None)
    return env


def assert_invariant(repo: SampleRepo, plan: dict[str, Any], endpoint: str) -> None:
    """Every token is in its original place or in Secrets Manager; never two secrets per token."""
    secrets = managed_secrets(endpoint, include_deleted=True)
    count = Counter(s["TagMap"]["zsp:fingerprint"] for s in secrets)
    assert all(n == 1 for n in count.values()), count
    sm = sm_client(endpoint)
    by_fp = {repo.fp(name): value for name, value in repo.tokens.items()}
    for token in plan["tokens"]:
        value = by_fp[token["fingerprint"]]
        forms = (value, base64.b64encode(value.encode()).decode())
        in_place = any(
            (repo.root / loc["path"]).exists()
            and any(f in (repo.root / loc["path"]).read_text() for f in forms)
            for loc in token["locations"]
        )
        in_sm = False
        if count[token["fingerprint"]]:
            stored = sm.get_secret_value(SecretId=token["secret"]["name"])
            in_sm = json.loads(stored["SecretString"])["api_key"] == value
        assert in_place or in_sm, f"token {token['fingerprint'][:12]} lost"
    # The journal agrees with the disk: rewritten files hold their new bytes, others old or new.
    state = fold(read_events(journal_path(repo.project, plan["id"])))
    for entry in plan["files"]:
        target = repo.root / entry["path"]
        sha = sha256_bytes(target.read_bytes())
        if str(target) in state.rewritten:
            assert sha == entry["sha256_after"]
        else:
            assert sha in (entry["sha256_before"], entry["sha256_after"])
            if sha == entry["sha256_after"]:
                assert str(target) in state.backups  # renamed after its backup was journaled
    for fp in state.secrets:
        assert count[fp] == 1


def assert_done(repo: SampleRepo, plan: dict[str, Any], endpoint: str) -> None:
    secrets = managed_secrets(endpoint)
    assert sorted(s["TagMap"]["zsp:fingerprint"] for s in secrets) == sorted(
        t["fingerprint"] for t in plan["tokens"]
    )
    for entry in plan["files"]:
        assert sha256_bytes((repo.root / entry["path"]).read_bytes()) == entry["sha256_after"], (
            entry["path"]
        )
    assert not list(repo.root.rglob("*.zsp-tmp"))


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.timeout(900)
def test_sigkill_at_random_points_then_resume(
    tmp_path: Path, project_root: Path, migrate_env: str
) -> None:
    rng = random.Random(20261129)
    env = env_for(migrate_env)
    # Baseline: how many journal records and how long an uninterrupted apply takes.
    repo = make_sample_repo(tmp_path / "baseline", project_root)
    plan = make_plan(repo, tmp_path / "baseline" / "plan.json")
    started = time.monotonic()
    done = subprocess.run(
        [
            *CLI,
            "migrate",
            "apply",
            str(tmp_path / "baseline" / "plan.json"),
            "--endpoint-url",
            migrate_env,
            "--format",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    total = _lines(journal_path(repo.project, plan["id"]))
    assert total >= 40

    landed: list[str] = []
    outputs: list[str] = []
    for i in range(KILLS):
        reset_moto(migrate_env)
        create_kms_alias(migrate_env)
        repo = make_sample_repo(tmp_path / f"k{i}", project_root)
        plan_path = tmp_path / f"k{i}" / "plan.json"
        plan = make_plan(repo, plan_path)
        journal = journal_path(repo.project, plan["id"])
        proc = subprocess.Popen(
            [*CLI, "migrate", "apply", str(plan_path), "--endpoint-url", migrate_env],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        if i % 4 == 0:  # a random instant, including interpreter start-up and the AWS set-up
            point = f"t={rng.uniform(0.2, duration * 0.9):.2f}s"
            time.sleep(float(point[2:-1]))
        else:  # right after a random journal record, spread over the whole run
            k = rng.randint(1, total - 1)
            point = f"record {k}/{total}"
            deadline = time.monotonic() + 60
            while _lines(journal) < k and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            landed.append(point)
        out, err = proc.communicate(timeout=60)
        outputs += [out.decode(), err.decode()]
        assert_invariant(repo, plan, migrate_env)
        again = subprocess.run(
            [*CLI, "migrate", "apply", str(plan_path), "--endpoint-url", migrate_env],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        outputs += [again.stdout, again.stderr]
        assert again.returncode == 0, f"{point}: {again.stderr}{again.stdout}"
        assert_invariant(repo, plan, migrate_env)
        assert_done(repo, plan, migrate_env)
        # And the resumed run still rolls back byte-for-byte.
        rollback_run(
            repo.project, plan["id"], AwsOptions(endpoint_url=migrate_env, region="eu-west-1")
        )
        for path, data in repo.originals.items():
            assert (repo.root / path).read_bytes() == data, f"{point}: {path}"
        assert_no_tokens(outputs + tree_texts(repo.project / ".zsp"), repo.tokens)
        outputs.clear()
    print(f"SIGKILL landed at {len(landed)} points: {', '.join(landed)}")
    assert len(landed) >= 20


def test_moto_stopped_mid_apply_is_reported_and_resumable(
    tmp_path: Path, project_root: Path, migrate_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import free_port
    from moto.server import ThreadedMotoServer

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    create_kms_alias(url)
    repo = make_sample_repo(tmp_path, project_root)
    plan = make_plan(repo, tmp_path / "plan.json")
    real_store = apply_module.store_token
    calls = {"n": 0}

    def store_then_outage(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        result = real_store(*args, **kwargs)
        if calls["n"] == 1:
            server.stop()
        return result

    monkeypatch.setattr(apply_module, "store_token", store_then_outage)
    opts = AwsOptions(endpoint_url=url, region="eu-west-1", concurrency=1, max_attempts=2)
    result = Applier(tmp_path / "plan.json", opts).apply()
    assert not result.completed
    assert len(result.stored) == 1
    assert len(result.token_errors) == 4
    assert all(
        e.startswith("EndpointConnectionError: Could not connect")
        for e in result.token_errors.values()
    )
    assert_no_tokens(list(result.token_errors.values()), repo.tokens)
    # Files whose tokens are not all stored were left alone; the journal says why.
    failed = {fp[:12] for fp in result.token_errors}
    assert result.file_errors
    for reason in result.file_errors.values():
        assert reason.startswith("secret not stored for ")
        assert set(reason.removeprefix("secret not stored for ").split(", ")) <= failed
    events = read_events(journal_path(repo.project, plan["id"]))
    secret_failed = sorted(e["fingerprint"] for e in events if e["event"] == "secret-failed")
    assert secret_failed == sorted(result.token_errors)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        assert_invariant(repo, plan, url)
        monkeypatch.setattr(apply_module, "store_token", real_store)
        second = Applier(tmp_path / "plan.json", opts).apply()
        assert second.completed and second.ok
        assert_done(repo, plan, url)
    finally:
        server.stop()


def test_read_only_and_vanished_files(tmp_path: Path, project_root: Path, migrate_env: str) -> None:
    repo = make_sample_repo(tmp_path, project_root)
    plan = make_plan(repo, tmp_path / "plan.json")
    notes = repo.root / "docs" / "notes.txt"
    notes.chmod(0o444)
    (repo.root / "config" / "app.ini").unlink()  # the mistral token's only location
    opts = AwsOptions(endpoint_url=migrate_env, region="eu-west-1")
    result = Applier(tmp_path / "plan.json", opts).apply()
    assert result.file_errors == {
        "config/app.ini": f"secret not stored for {repo.fp('mistral')[:12]}",
        "docs/notes.txt": "file is read-only; left unchanged",
    }
    assert result.token_errors == {
        repo.fp("mistral"): "token no longer in its files and not in Secrets Manager"
    }
    assert len(result.rewritten) == len(plan["files"]) - 2
    assert notes.read_bytes() == repo.originals["docs/notes.txt"]
    events = read_events(journal_path(repo.project, plan["id"]))
    failed = sorted(e["rel"] for e in events if e["event"] == "file-failed")
    assert failed == ["config/app.ini", "docs/notes.txt"]
    assert not any(e["event"] == "complete" for e in events)
    # Once the file is writable again, apply finishes it; the vanished token stays reported.
    notes.chmod(0o644)
    second = Applier(tmp_path / "plan.json", opts).apply()
    assert "docs/notes.txt" in second.rewritten
    assert list(second.token_errors) == [repo.fp("mistral")]
    assert len(managed_secrets(migrate_env)) == 4


def test_rollback_deletes_a_secret_the_journal_never_recorded(
    tmp_path: Path, project_root: Path, migrate_env: str
) -> None:
    repo = make_sample_repo(tmp_path, project_root)
    plan = make_plan(repo, tmp_path / "plan.json")
    opts = AwsOptions(endpoint_url=migrate_env, region="eu-west-1")
    assert Applier(tmp_path / "plan.json", opts).apply().completed
    # As if CreateSecret succeeded and the process died before journaling it.
    sm_client(migrate_env).create_secret(
        Name="zsp/dev/upstream/orphan",
        SecretString='{"api_key": "x"}',
        Tags=[{"Key": "zsp:run", "Value": plan["id"]}, {"Key": "managed-by", "Value": "zsp"}],
    )
    result = rollback_run(repo.project, plan["id"], opts)
    assert (
        result.secrets["zsp/dev/upstream/orphan"] == "deleted (created by the run, not journaled)"
    )
    assert all("DeletedDate" in s for s in managed_secrets(migrate_env, include_deleted=True))
    for path, data in repo.originals.items():
        assert (repo.root / path).read_bytes() == data
