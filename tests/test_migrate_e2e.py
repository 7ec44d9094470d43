"""plan → apply → verify → rollback on a sample repository with every file kind, against moto."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from fixtures_migrate import FILES, GATEWAY, make_sample_repo
from migrate_helpers import assert_no_tokens, managed_secrets, sm_client, tree_texts, zsp
from zsp.cli.migrate.inventory import KINDS
from zsp.components.config import read_stack_file


def test_plan_apply_verify_rollback_every_kind(
    tmp_path: Path, project_root: Path, migrate_env: str
) -> None:
    repo = make_sample_repo(tmp_path, project_root)
    stack_before = (repo.project / "stacks" / "Pulumi.dev.yaml").read_bytes()
    plan_path = tmp_path / "plan.json"
    outputs: list[str] = []

    def run(*args: str | Path, expect: int = 0) -> str:
        result = zsp(*args, endpoint=migrate_env)
        outputs.extend([result.stdout, result.stderr])
        assert result.returncode == expect, result.stderr + result.stdout
        return result.stdout

    run(
        "migrate",
        "plan",
        "--inventory",
        repo.inventory,
        "--stack",
        "dev",
        "--project-dir",
        repo.project,
        "--gateway-url",
        GATEWAY,
        "--out",
        plan_path,
    )
    plan = json.loads(plan_path.read_text())
    assert {k for f in plan["files"] for k in f["kind"]} == set(KINDS)
    assert len(plan["files"]) == len(FILES)
    by_fp = {t["fingerprint"]: t for t in plan["tokens"]}
    openai = by_fp[repo.fp("openai")]
    assert openai["secret"] == {
        "name": "zsp/dev/upstream/openai",
        "kms_key": "alias/zsp-dev-secrets",
        "tags": {"zsp:fingerprint": repo.fp("openai"), "zsp:source": ".env:2", "managed-by": "zsp"},
    }
    assert openai["connection_reference"] == "_aws:zsp/dev/upstream/openai:authorization"
    assert not openai["new_endpoint"]
    assert (
        by_fp[repo.fp("openai2")]["secret"]["name"]
        == f"zsp/dev/upstream/openai-{repo.fp('openai2')[:6]}"
    )
    assert by_fp[repo.fp("anthropic")]["new_endpoint"]
    # The plan changed nothing.
    for path, data in repo.originals.items():
        assert (repo.root / path).read_bytes() == data
    assert managed_secrets(migrate_env) == []

    dry = run("migrate", "apply", plan_path, "--dry-run")
    assert "would create" in dry
    assert managed_secrets(migrate_env) == []
    assert not (repo.project / ".zsp" / "journal").exists()

    run("migrate", "apply", plan_path)
    secrets = {s["Name"]: s for s in managed_secrets(migrate_env)}
    assert len(secrets) == 5
    kms = boto3.client(
        "kms",
        region_name="eu-west-1",
        endpoint_url=migrate_env,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    key_arn = kms.describe_key(KeyId="alias/zsp-dev-secrets")["KeyMetadata"]["Arn"]
    sm = sm_client(migrate_env)
    for name, token in [
        ("zsp/dev/upstream/openai", "openai"),
        ("zsp/dev/upstream/anthropic", "anthropic"),
    ]:
        meta = sm.describe_secret(SecretId=name)
        assert meta["KmsKeyId"] == key_arn
        tags = {t["Key"]: t["Value"] for t in meta["Tags"]}
        assert tags["zsp:fingerprint"] == repo.fp(token)
        assert tags["managed-by"] == "zsp"
        assert json.loads(sm.get_secret_value(SecretId=name)["SecretString"]) == {
            "api_key": repo.tokens[token],
            "authorization": f"Bearer {repo.tokens[token]}",
        }
    # Every consumer lost its token and points at the gateway.
    for path in FILES:
        text = (repo.root / path).read_text()
        assert_no_tokens([text], repo.tokens)
        assert "api.openai.com" not in text
    assert (
        "OPENAI_BASE_URL=https://gw.dev.example.internal:18888/v1"
        in (repo.root / ".env").read_text()
    )
    config = read_stack_file(repo.project, "dev").parse()
    endpoints = {e.name: e for e in config.endpoints}
    assert endpoints["anthropic"].upstream_secret == "zsp/dev/upstream/anthropic"
    assert endpoints["anthropic"].kind == "hosted"
    assert (
        "# Hosted OpenAI API; the upstream key moves"
        in (repo.project / "stacks" / "Pulumi.dev.yaml").read_text()
    )

    # Idempotent: a second apply neither duplicates secrets nor versions.
    versions = {n: len(sm.list_secret_version_ids(SecretId=n)["Versions"]) for n in secrets}
    run("migrate", "apply", plan_path)
    assert {n: len(sm.list_secret_version_ids(SecretId=n)["Versions"]) for n in secrets} == versions

    report = run("verify", "--run", plan["id"], "--project-dir", repo.project)
    assert "**PASS**" in report
    data = json.loads(
        run("verify", "--run", plan["id"], "--project-dir", repo.project, "--format", "json")
    )
    assert data["passed"] and all(t["after"] == [] and t["kms_ok"] for t in data["tokens"])

    # A copy left behind anywhere under the root fails verify and is named.
    leak = repo.root / "tmp" / "copy.md"
    leak.parent.mkdir()
    leak.write_text("old key: " + repo.tokens["anthropic"] + "\n")
    failing = json.loads(
        run(
            "verify",
            "--run",
            plan["id"],
            "--project-dir",
            repo.project,
            "--format",
            "json",
            expect=1,
        )
    )
    bad = [t for t in failing["tokens"] if not t["passed"]]
    assert [(t["fingerprint"], t["after"]) for t in bad] == [
        (repo.fp("anthropic"), ["tmp/copy.md:1"])
    ]
    leak.unlink()

    run("migrate", "rollback", plan["id"], "--project-dir", repo.project)
    for path, data in repo.originals.items():
        assert (repo.root / path).read_bytes() == data, path
    assert (repo.project / "stacks" / "Pulumi.dev.yaml").read_bytes() == stack_before
    for secret in managed_secrets(migrate_env, include_deleted=True):
        assert "DeletedDate" in secret
    # A rolled-back run cannot be applied again by accident.
    again = zsp("migrate", "apply", plan_path, endpoint=migrate_env)
    assert again.returncode == 2 and "rolled back" in again.stderr

    # Canary: no token in any output, the plan, the journal, backups or verify records.
    assert_no_tokens(
        [*outputs, plan_path.read_text(), *tree_texts(repo.project / ".zsp")], repo.tokens
    )


def test_rollback_refuses_when_a_file_changed(
    tmp_path: Path, project_root: Path, migrate_env: str
) -> None:
    repo = make_sample_repo(tmp_path, project_root)
    plan_path = tmp_path / "plan.json"
    assert (
        zsp(
            "migrate",
            "plan",
            "--inventory",
            repo.inventory,
            "--stack",
            "dev",
            "--project-dir",
            repo.project,
            "--gateway-url",
            GATEWAY,
            "--out",
            plan_path,
            endpoint=migrate_env,
        ).returncode
        == 0
    )
    assert zsp("migrate", "apply", plan_path, endpoint=migrate_env).returncode == 0
    run_id = json.loads(plan_path.read_text())["id"]
    edited = repo.root / "config" / "app.ini"
    edited.write_text(edited.read_text() + "timeout = 5\n")
    snapshot = {p: (repo.root / p).read_bytes() for p in FILES}
    result = zsp("migrate", "rollback", run_id, "--project-dir", repo.project, endpoint=migrate_env)
    assert result.returncode == 2
    assert "config/app.ini (changed since the migration)" in result.stderr
    assert {p: (repo.root / p).read_bytes() for p in FILES} == snapshot
    assert all("DeletedDate" not in s for s in managed_secrets(migrate_env))


def test_bad_inventory_is_one_clear_line(
    tmp_path: Path, project_root: Path, migrate_env: str
) -> None:
    repo = make_sample_repo(tmp_path, project_root)
    doc = json.loads(repo.inventory.read_text())
    doc["findings"][3]["line"] = "seven"
    repo.inventory.write_text(json.dumps(doc))
    result = zsp(
        "migrate",
        "plan",
        "--inventory",
        repo.inventory,
        "--stack",
        "dev",
        "--project-dir",
        repo.project,
        "--gateway-url",
        GATEWAY,
        endpoint=migrate_env,
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"zsp: error: {repo.inventory}: findings[3].line: expected an integer"
    )
    assert not (repo.project / ".zsp").exists()


def test_changed_file_since_scan_goes_to_manual(
    tmp_path: Path, project_root: Path, migrate_env: str
) -> None:
    repo = make_sample_repo(tmp_path, project_root)
    (repo.root / "config" / "app.ini").write_text("[mistral]\napi_key = rotated-already\n")
    plan_path = tmp_path / "plan.json"
    assert (
        zsp(
            "migrate",
            "plan",
            "--inventory",
            repo.inventory,
            "--stack",
            "dev",
            "--project-dir",
            repo.project,
            "--gateway-url",
            GATEWAY,
            "--out",
            plan_path,
            endpoint=migrate_env,
        ).returncode
        == 0
    )
    plan = json.loads(plan_path.read_text())
    mistral = next(t for t in plan["tokens"] if t["fingerprint"] == repo.fp("mistral"))
    assert mistral["locations"] == []
    assert mistral["manual"] == [
        {
            "path": "config/app.ini",
            "line": 2,
            "kind": "ini",
            "reason": "file changed since the scan (fingerprint mismatch)",
        }
    ]
    assert "config/app.ini" not in {f["path"] for f in plan["files"]}
