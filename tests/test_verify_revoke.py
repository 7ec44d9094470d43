"""``zsp verify`` + ``zsp revoke``: IAM keys in moto, provider admin APIs against local fakes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from fixtures_migrate import GATEWAY, make_sample_repo, make_tokens
from migrate_helpers import assert_no_tokens, zsp
from zsp.cli.revoke.engine import hint_matches

ADMIN_KEY = "sk-ant-admin01-local-fake-admin-key"


class FakeAdmin:
    """Anthropic and OpenAI admin endpoints, recording every request they receive."""

    def __init__(self, anthropic_token: str, openai_token: str) -> None:
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _record(self) -> dict[str, Any]:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                entry = {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": body,
                }
                fake.requests.append(entry)
                return entry

            def _authorized(self) -> bool:
                if self.path.startswith("/v1/organizations/"):
                    return self.headers.get("x-api-key") == ADMIN_KEY and bool(
                        self.headers.get("anthropic-version")
                    )
                return self.headers.get("authorization") == f"Bearer {ADMIN_KEY}"

            def do_GET(self) -> None:
                self._record()
                if not self._authorized():
                    return self._reply(401, {"error": "unauthorized"})
                if self.path.startswith("/v1/organizations/api_keys"):
                    return self._reply(
                        200,
                        {
                            "data": [
                                {
                                    "id": "apikey_other",
                                    "name": "ci",
                                    "status": "active",
                                    "partial_key_hint": "sk-ant-api03-Zz9...QQAA",
                                },
                                {
                                    "id": "apikey_old",
                                    "name": "support-bot",
                                    "status": "active",
                                    "partial_key_hint": anthropic_token[:16]
                                    + "..."
                                    + anthropic_token[-4:],
                                },
                            ],
                            "has_more": False,
                            "first_id": "apikey_other",
                            "last_id": "apikey_old",
                        },
                    )
                if self.path.startswith("/v1/organization/projects/proj_1/api_keys"):
                    return self._reply(
                        200,
                        {
                            "data": [
                                {
                                    "id": "key_old",
                                    "redacted_value": openai_token[:10] + "..." + openai_token[-4:],
                                }
                            ]
                        },
                    )
                if self.path.startswith("/v1/organization/projects"):
                    return self._reply(200, {"data": [{"id": "proj_1", "name": "Default"}]})
                return self._reply(404, {"error": "not found"})

            def do_POST(self) -> None:
                entry = self._record()
                if self.path == "/v1/organizations/api_keys/apikey_old" and self._authorized():
                    return self._reply(200, {"id": "apikey_old", **json.loads(entry["body"])})
                return self._reply(404, {"error": "not found"})

            def do_DELETE(self) -> None:
                self._record()
                if (
                    self.path == "/v1/organization/projects/proj_1/api_keys/key_old"
                    and self._authorized()
                ):
                    return self._reply(200, {"id": "key_old", "deleted": True})
                return self._reply(404, {"error": "not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def iam_key(migrate_env: str) -> Iterator[tuple[Any, str]]:
    iam = boto3.client(
        "iam",
        region_name="us-east-1",
        endpoint_url=migrate_env,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    iam.create_user(UserName="bedrock-app")
    key = iam.create_access_key(UserName="bedrock-app")["AccessKey"]["AccessKeyId"]
    yield iam, key


FILES = {
    ".env": (
        "dotenv",
        "AWS_ACCESS_KEY_ID={awskey}\nOPENAI_API_KEY={openai}\n",
        {"awskey": "AWS_ACCESS_KEY_ID", "openai": "OPENAI_API_KEY"},
    ),
    "config/app.json": ("json", '{"anthropic": {"key": "{anthropic}"}}\n', {"anthropic": "key"}),
    "config/app.ini": ("ini", "[m]\nkey = {mistral}\n", {"mistral": "key"}),
}


def test_hint_matching() -> None:
    token = "sk-ant-api03-abcdefghijklmnop-xyzAA"
    assert hint_matches("sk-ant-api03-abc...yzAA", token)
    assert not hint_matches("sk-ant-api03-abd...yzAA", token)
    assert not hint_matches("sk...A", token)  # too little to identify a key
    assert not hint_matches("no-ellipsis", token)


def test_verify_then_revoke(
    tmp_path: Path,
    project_root: Path,
    migrate_env: str,
    iam_key: tuple[Any, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    iam, key_id = iam_key
    tokens = {**make_tokens(), "awskey": key_id}
    repo = make_sample_repo(tmp_path, project_root, FILES, tokens)
    plan_path = tmp_path / "plan.json"
    outputs: list[str] = []

    def run(*args: str | Path, expect: int = 0) -> str:
        result = zsp(*args, endpoint=migrate_env)
        outputs.extend([result.stdout, result.stderr])
        assert result.returncode == expect, result.stderr + result.stdout
        return result.stdout + result.stderr

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
    run("migrate", "apply", plan_path)
    run_id = json.loads(plan_path.read_text())["id"]

    refused = run("revoke", "--run", run_id, "--project-dir", repo.project, expect=2)
    assert f"run {run_id} has not been verified" in refused

    report = json.loads(
        run("verify", "--run", run_id, "--project-dir", repo.project, "--format", "json")
    )
    aws_row = next(t for t in report["tokens"] if t["fingerprint"] == repo.fp("awskey"))
    assert aws_row["provider"] == "aws"
    assert aws_row["last_used"] is not None  # GetAccessKeyLastUsed answered for the key id
    assert aws_row["used_since_cutover"] in (False, True)
    assert report["passed"]

    fake = FakeAdmin(tokens["anthropic"], tokens["openai"])
    try:
        monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
        monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
        out = json.loads(
            run(
                "revoke",
                "--run",
                run_id,
                "--project-dir",
                repo.project,
                "--admin",
                "anthropic",
                "--admin-url",
                f"anthropic={fake.url}",
                "--format",
                "json",
            ).splitlines()[0]
        )
        by_fp = {o["fingerprint"]: o for o in out["outcomes"]}
        assert by_fp[repo.fp("awskey")]["action"] == "deactivated"
        assert by_fp[repo.fp("anthropic")]["action"] == "deactivated"
        assert "apikey_old" in by_fp[repo.fp("anthropic")]["detail"]
        assert by_fp[repo.fp("mistral")]["action"] == "manual"
        assert "console.mistral.ai" in by_fp[repo.fp("mistral")]["detail"]
        assert by_fp[repo.fp("openai")]["action"] == "manual"
        status = iam.list_access_keys(UserName="bedrock-app")["AccessKeyMetadata"]
        assert [(k["AccessKeyId"], k["Status"]) for k in status] == [(key_id, "Inactive")]
        posts = [r for r in fake.requests if r["method"] == "POST"]
        assert [(p["path"], json.loads(p["body"])) for p in posts] == [
            ("/v1/organizations/api_keys/apikey_old", {"status": "inactive"})
        ]

        # --delete waits for the grace period, then deletes.
        out = run(
            "revoke", "--run", run_id, "--project-dir", repo.project, "--delete", "--format", "json"
        )
        outcome = {o["fingerprint"]: o for o in json.loads(out.splitlines()[0])["outcomes"]}[
            repo.fp("awskey")
        ]
        assert outcome["action"] == "skipped" and "grace period ends in" in outcome["detail"]
        assert len(iam.list_access_keys(UserName="bedrock-app")["AccessKeyMetadata"]) == 1
        out = run(
            "revoke",
            "--run",
            run_id,
            "--project-dir",
            repo.project,
            "--delete",
            "--grace",
            "0",
            "--admin",
            "openai",
            "--admin-url",
            f"openai={fake.url}",
            "--format",
            "json",
        )
        by_fp = {o["fingerprint"]: o for o in json.loads(out.splitlines()[0])["outcomes"]}
        assert by_fp[repo.fp("awskey")]["action"] == "deleted"
        assert by_fp[repo.fp("openai")]["action"] == "deleted"
        assert iam.list_access_keys(UserName="bedrock-app")["AccessKeyMetadata"] == []
        deletes = [r["path"] for r in fake.requests if r["method"] == "DELETE"]
        assert deletes == ["/v1/organization/projects/proj_1/api_keys/key_old"]
        # The admin APIs were never sent a token: keys are found by their redacted hints.
        assert_no_tokens(
            [json.dumps(fake.requests)], {k: v for k, v in tokens.items() if k != "awskey"}
        )
    finally:
        fake.close()
    assert_no_tokens(outputs, {k: v for k, v in tokens.items() if k != "awskey"})
    for text in outputs:
        assert key_id not in text  # IAM key ids are shown shortened only


def test_revoke_skips_unverified_tokens_and_force(
    tmp_path: Path, project_root: Path, migrate_env: str, iam_key: tuple[Any, str]
) -> None:
    iam, key_id = iam_key
    tokens = {**make_tokens(), "awskey": key_id}
    repo = make_sample_repo(tmp_path, project_root, FILES, tokens)
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
    # A copy of the AWS key left in the repository makes verify fail for that token only.
    (repo.root / "leftover.sh").write_text(f"export AWS_ACCESS_KEY_ID={key_id}\n")
    assert (
        zsp(
            "verify", "--run", run_id, "--project-dir", repo.project, endpoint=migrate_env
        ).returncode
        == 1
    )
    out = zsp(
        "revoke",
        "--run",
        run_id,
        "--project-dir",
        repo.project,
        "--format",
        "json",
        endpoint=migrate_env,
    )
    outcome = {o["fingerprint"]: o for o in json.loads(out.stdout)["outcomes"]}
    assert outcome[repo.fp("awskey")]["action"] == "skipped"
    assert "verify has not passed" in outcome[repo.fp("awskey")]["detail"]
    assert (
        iam.list_access_keys(UserName="bedrock-app")["AccessKeyMetadata"][0]["Status"] == "Active"
    )
    forced = zsp(
        "revoke",
        "--run",
        run_id,
        "--project-dir",
        repo.project,
        "--force",
        "--format",
        "json",
        endpoint=migrate_env,
    )
    outcome = {o["fingerprint"]: o for o in json.loads(forced.stdout)["outcomes"]}
    assert outcome[repo.fp("awskey")]["action"] == "deactivated"
