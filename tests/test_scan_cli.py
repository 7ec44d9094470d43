"""``zsp scan`` end to end: formats, exit codes, baseline, history, consumers, robustness and
the canary (no raw token in any output)."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fixtures_scan import Corpus
from zsp.cli.scan.engine import TokenReadError, read_token, scan_paths
from zsp.cli.scan.fingerprint import fingerprint

OPENAI = "sk-proj-" + "Rk3J8vQw2LmN5pZx7Ty1Ua9Hc4Gd6Fe0Sb2Ki8Oj3Lm5Nq7Pr9St1Uv4Wx6Yz8Ab0Cd2Ef4Gh6"
HF = "hf_" + "QmLpZkRtXwVbNcYdGsJhAeFuTiOqWrKeMnBv"[:34]
GROQ = "gsk_" + ("Hk3Lz5Xc2Vb6Nm8Qw0Er4Ty7Ui1Op3As5Df9Gh2Jk6Lq8Wm0Np3Rs7Tv1Xz" * 2)[:52]
KEY = b"\x01" * 32


def zsp(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zsp.cli.main", "scan", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A small repository where one OpenAI key is shared by CI, a compose service, a workload,
    a program and a Dockerfile."""
    root = tmp_path / "proj"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "k8s").mkdir()
    (root / "src").mkdir()
    (root / ".env").write_text(
        f"OPENAI_BASE_URL=https://api.openai.com/v1\nOPENAI_API_KEY={OPENAI}\n"
    )
    (root / "src" / "app.py").write_text("import os\nkey = os.environ['OPENAI_API_KEY']\n")
    (root / ".github" / "workflows" / "eval.yml").write_text(
        "name: Eval\non: push\njobs:\n  nightly:\n    runs-on: ubuntu-latest\n    env:\n"
        "      OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}\n    steps:\n      - run: make eval\n"
    )
    (root / "docker-compose.yml").write_text(
        "services:\n  worker:\n    image: w:1\n    environment:\n      - OPENAI_API_KEY\n"
        "  db:\n    image: postgres:16\n"
    )
    b64 = base64.b64encode(OPENAI.encode()).decode()
    (root / "k8s" / "app.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: llm\ndata:\n"
        f"  OPENAI_API_KEY: {b64}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        "  name: api\n  namespace: ml\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - name: api\n          image: api:1\n          envFrom:\n"
        "            - secretRef:\n"
        "                name: llm\n"
    )
    (root / "Dockerfile").write_text(f"FROM python:3.12\nENV HF_TOKEN={HF}\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    return root


def test_json_inventory_contract(project: Path) -> None:
    run = zsp(project, "--format", "json")
    assert run.returncode == 1, run.stderr
    doc = json.loads(run.stdout)
    assert doc["schema"] == "zsp.inventory/v1"
    assert doc["root"] == str(project)
    key_file = project / ".zsp" / "fingerprint.key"
    assert doc["fingerprint"] == {"algorithm": "hmac-sha256", "key_file": str(key_file)}
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = bytes.fromhex(key_file.read_text().strip())
    assert len(key) == 32
    assert set(doc) == {"schema", "root", "fingerprint", "findings", "tokens", "stats"}
    by_path = {f["path"]: f for f in doc["findings"]}
    env = by_path[".env"]
    assert env == {
        "path": ".env",
        "line": 2,
        "column": 16,
        "end_column": 16 + len(OPENAI),
        "provider": "openai",
        "rule": "openai-project-key",
        "fingerprint": fingerprint(key, OPENAI),
        "preview": "sk-p…4Gh6",
        "kind": "dotenv",
        "variable": "OPENAI_API_KEY",
        "encoding": "plain",
        "commit": None,
        "endpoint": "https://api.openai.com/v1",
    }
    secret = by_path["k8s/app.yaml"]
    assert (secret["encoding"], secret["kind"], secret["line"], secret["column"]) == (
        "base64",
        "k8s-secret",
        6,
        19,
    )
    assert secret["fingerprint"] == env["fingerprint"]
    tokens = {t["provider"]: t for t in doc["tokens"]}
    openai = tokens["openai"]
    assert set(openai) == {"fingerprint", "provider", "endpoint", "locations", "consumers", "flags"}
    assert openai["locations"] == [
        {"path": ".env", "line": 2, "commit": None},
        {"path": "k8s/app.yaml", "line": 6, "commit": None},
    ]
    assert openai["consumers"] == [
        {"kind": "compose-service", "name": "worker", "path": "docker-compose.yml"},
        {"kind": "dotenv", "name": ".env", "path": ".env"},
        {"kind": "github-workflow", "name": "Eval/nightly", "path": ".github/workflows/eval.yml"},
        {"kind": "k8s-workload", "name": "Deployment/api", "path": "k8s/app.yaml"},
        {"kind": "program", "name": "src/app.py", "path": "src/app.py"},
    ]
    assert openai["flags"] == ["shared", "ci", "git-history"]
    assert tokens["huggingface"]["flags"] == ["git-history", "container-build"]
    # stable fingerprints across scans (key reused)
    again = json.loads(zsp(project, "--format", "json").stdout)
    assert [f["fingerprint"] for f in again["findings"]] == [
        f["fingerprint"] for f in doc["findings"]
    ]


def test_scan_does_not_import_pulumi_or_boto3(project: Path, tmp_path: Path) -> None:
    code = (
        "import sys, json\n"
        "from zsp.cli.main import main\n"
        "try:\n"
        f"    main(['scan', {str(project)!r}, '--format', 'json',\n"
        f"          '-o', {str(tmp_path / 'o.json')!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('pulumi', 'pulumi_aws', 'boto3', 'botocore')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "print(json.dumps(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
    assert json.loads((tmp_path / "o.json").read_text())["findings"]


def test_sarif_is_valid_against_the_official_schema(project: Path, shared_dir: Path) -> None:
    run = zsp(project, "--format", "sarif", "--history")
    assert run.returncode == 1
    sarif = json.loads(run.stdout)
    schema = json.loads((shared_dir / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"openai-project-key", "huggingface-token"}
    env = next(
        r
        for r in results
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ".env"
    )
    assert env["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 2,
        "startColumn": 16,
        "endColumn": 16 + len(OPENAI),
    }


def test_markdown_csv_table_and_output_file(project: Path, tmp_path: Path) -> None:
    md = zsp(project, "--format", "markdown")
    assert md.returncode == 1 and "| openai |" in md.stdout and "`sk-p…4Gh6`" in md.stdout
    rows = list(csv.DictReader(io.StringIO(zsp(project, "--format", "csv").stdout)))
    assert {(r["path"], r["line"], r["provider"]) for r in rows} == {
        (".env", "2", "openai"),
        ("k8s/app.yaml", "6", "openai"),
        ("Dockerfile", "2", "huggingface"),
    }
    table = zsp(project)
    assert table.returncode == 1 and "static inference token" in table.stdout
    out = tmp_path / "report.json"
    run = zsp(project, "--format", "json", "-o", out)
    assert run.returncode == 1 and run.stdout == ""
    assert json.loads(out.read_text())["stats"]["findings"] == 3


def test_exit_codes(tmp_path: Path, project: Path) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.py").write_text("print('hello')\n")
    assert zsp(clean).returncode == 0
    assert zsp(project, "--format", "json").returncode == 1
    missing = zsp(tmp_path / "nope")
    assert missing.returncode == 2 and "nope" in missing.stderr
    bad_format = zsp(project, "--format", "xml")
    assert bad_format.returncode == 2
    bad_key = tmp_path / "bad.key"
    bad_key.write_text("not hex\n")
    run = zsp(project, "--fingerprint-key", bad_key)
    assert run.returncode == 2 and "bad.key" in run.stderr
    run = zsp(project, "--verify-endpoint", "openai")
    assert run.returncode == 2 and "PROVIDER=" in run.stderr


def test_baseline_suppresses_accepted_findings(project: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert zsp(project, "--format", "json", "-o", baseline).returncode == 1
    run = zsp(project, "--format", "json", "--baseline", baseline)
    assert run.returncode == 0, run.stdout
    doc = json.loads(run.stdout)
    assert doc["findings"] == [] and doc["tokens"] == [] and doc["stats"]["suppressed"] == 3
    (project / "more.env").write_text(f"GROQ_API_KEY={GROQ}\n")
    doc = json.loads(zsp(project, "--format", "json", "--baseline", baseline).stdout)
    assert [(f["path"], f["provider"]) for f in doc["findings"]] == [("more.env", "groq")]
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "zsp.inventory/v1", "findings": [')
    run = zsp(project, "--baseline", broken)
    assert run.returncode == 2 and "broken.json" in run.stderr


def test_fingerprint_key_override_and_env(project: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "k"
    key_file.write_text(("ab" * 32) + "\n")
    doc = json.loads(zsp(project, "--format", "json", "--fingerprint-key", key_file).stdout)
    assert doc["fingerprint"]["key_file"] == str(key_file)
    assert doc["findings"][0]["fingerprint"] == fingerprint(bytes.fromhex("ab" * 32), OPENAI)
    doc2 = json.loads(
        zsp(project, "--format", "json", env={"ZSP_FINGERPRINT_KEY_FILE": str(key_file)}).stdout
    )
    assert doc2["findings"] == doc["findings"]


def test_history_finds_removed_tokens_each_blob_once(project: Path) -> None:
    (project / "old.env").write_text(f"GROQ_API_KEY={GROQ}\n")
    git(project, "add", "old.env")
    git(project, "commit", "-qm", "add")
    git(project, "rm", "-q", "old.env")
    git(project, "commit", "-qm", "remove")
    added = subprocess.run(
        ["git", "-C", str(project), "rev-parse", "HEAD~1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    without = json.loads(zsp(project, "--format", "json").stdout)
    assert "groq" not in {f["provider"] for f in without["findings"]}
    doc = json.loads(zsp(project, "--format", "json", "--history").stdout)
    groq = [f for f in doc["findings"] if f["provider"] == "groq"]
    assert [(f["path"], f["line"], f["commit"]) for f in groq] == [("old.env", 1, added)]
    assert doc["stats"]["history"]["commits"] == 3
    token = next(t for t in doc["tokens"] if t["provider"] == "groq")
    assert token["flags"] == ["git-history"]
    key = bytes.fromhex((project / ".zsp" / "fingerprint.key").read_text().strip())
    assert read_token(project, groq[0], key) == GROQ
    # the committed .env blob equals the working tree: not reported twice
    assert len([f for f in doc["findings"] if f["path"] == ".env"]) == 1


def test_history_outside_git_is_reported_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text(f"HF_TOKEN={HF}\n")
    run = zsp(tmp_path, "--format", "json", "--history")
    assert run.returncode == 1
    assert "not a git repository" in json.loads(run.stdout)["stats"]["history"]["error"]


def test_robustness(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "loop").mkdir()
    os.symlink(root / "loop", root / "loop" / "self")
    os.symlink(root / "b", root / "a")
    os.symlink(root / "a", root / "b")
    os.symlink(root / "missing", root / "dangling")
    os.mkfifo(root / "fifo")
    (root / "latin1.env").write_bytes(b"# caf\xe9 \xff\xfe\nHF_TOKEN=" + HF.encode() + b"\n")
    (root / "truncated.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n"
        f"  HF_TOKEN: {base64.b64encode(HF.encode()).decode()}\n  other: [unclosed\n"
    )
    (root / "truncated.json").write_text('{"GROQ_API_KEY": "' + GROQ + '", "x": [1, 2')
    (root / "huge.js").write_text("var x='" + "a" * 5_000_000 + "';var k='" + OPENAI + "';\n")
    (root / "image.bin").write_bytes(b"\x89PNG\0\0" + HF.encode())
    (root / "big.txt").write_text("x" * 200 + f" HF_TOKEN={HF}\n" + "y" * 3_000_000)
    (root / "node_modules").mkdir()
    (root / "node_modules" / "k.env").write_text(f"HF_TOKEN={HF}\n")
    (root / ".gitignore").write_text("ignored.env\n")
    (root / "ignored.env").write_text(f"GROQ_API_KEY={GROQ}\n")
    run = zsp(root, "--format", "json", "--max-file-size", "2000000", "--history")
    assert run.returncode == 1, run.stderr
    doc = json.loads(run.stdout)
    found = {(f["path"], f["provider"]) for f in doc["findings"]}
    assert found == {
        ("latin1.env", "huggingface"),
        ("truncated.yaml", "huggingface"),
        ("truncated.json", "groq"),
    }
    skipped = doc["stats"]["skipped"]
    assert skipped["symlink"] == 4 and skipped["special"] == 1 and skipped["binary"] == 1
    assert skipped["oversized"] == 2 and skipped["vendored"] == 1 and skipped["ignored"] == 1
    assert doc["stats"]["invalid_utf8"] == 1
    latin = next(f for f in doc["findings"] if f["path"] == "latin1.env")
    assert (latin["line"], latin["column"]) == (2, 10)
    # a file that exists but cannot be read (EIO) is reported, counted, and the scan goes on
    unreadable = zsp(root, "/proc/self/mem", "--format", "json")
    assert unreadable.returncode == 1
    stats = json.loads(unreadable.stdout)["stats"]
    assert stats["skipped"]["unreadable"] == 1
    assert [e["error"] for e in stats["errors"]] == ["Input/output error"]
    assert stats["errors"][0]["path"].endswith("/proc/self/mem")
    assert "could not be read" in unreadable.stderr
    everything = json.loads(zsp(root, "--format", "json", "--no-ignore").stdout)
    found = {(f["path"], f["provider"]) for f in everything["findings"]}
    assert ("ignored.env", "groq") in found and ("huge.js", "openai") in found


def test_read_token_refuses_changed_locations(project: Path) -> None:
    result = scan_paths([project], key=KEY)
    env = next(f for f in result.findings if f.path == ".env")
    assert read_token(project, env, KEY) == OPENAI
    secret = next(f for f in result.findings if f.encoding == "base64")
    assert read_token(project, secret, KEY) == OPENAI
    (project / ".env").write_text(
        f"OPENAI_BASE_URL=https://api.openai.com/v1\nOPENAI_API_KEY={GROQ}\n"
    )
    with pytest.raises(TokenReadError) as err:
        read_token(project, env, KEY)
    assert OPENAI not in str(err.value) and GROQ not in str(err.value)


def _leaks(text: str, secrets: list[str]) -> list[str]:
    out = []
    for value in secrets:
        b64 = base64.b64encode(value.encode()).decode()
        for needle in (value, b64, value[8:-8], json.dumps(value)[1:-1]):
            if needle and needle in text:
                out.append(value[:6])
    return out


def test_canary_no_raw_token_in_any_output(scan_corpus: Corpus, tmp_path: Path) -> None:
    secrets = scan_corpus.tokens
    outputs: list[str] = []
    for fmt in ("table", "json", "sarif", "markdown", "csv"):
        run = zsp(scan_corpus.root, "--format", fmt, "--history", env={"COLUMNS": "400"})
        assert run.returncode == 1, run.stderr
        outputs += [run.stdout, run.stderr]
        out = tmp_path / f"report.{fmt}"
        run = zsp(scan_corpus.root, "--format", fmt, "-o", out, "-j", "2")
        outputs += [run.stdout, run.stderr, out.read_text()]
    baseline = tmp_path / "report.json"
    run = zsp(scan_corpus.root, "--format", "json", "--baseline", baseline)
    outputs += [run.stdout, run.stderr]
    # verification against an endpoint that refuses connections: errors must not carry values
    run = zsp(
        scan_corpus.root,
        "--format",
        "json",
        "--verify",
        *[
            a
            for p in (
                "openai",
                "huggingface",
                "groq",
                "anthropic",
                "google",
                "mistral",
                "cohere",
                "together",
                "fireworks",
                "deepseek",
                "xai",
                "openrouter",
                "replicate",
                "databricks",
                "azure-openai",
            )
            for a in ("--verify-endpoint", f"{p}=http://127.0.0.1:9")
        ],
    )
    outputs += [run.stdout, run.stderr]
    doc: dict[str, Any] = json.loads(run.stdout)
    assert {t["verification"]["status"] for t in doc["tokens"]} <= {"error", "unsupported"}
    for text in outputs:
        assert _leaks(text, secrets) == []
    # nothing written under .zsp but the key
    assert sorted(p.name for p in (scan_corpus.root / ".zsp").iterdir()) == [
        ".gitignore",
        "fingerprint.key",
    ]


def test_overlapping_paths_and_symlinked_root(project: Path, tmp_path: Path) -> None:
    once = scan_paths([project], key=KEY)
    twice = scan_paths([project, project / "k8s", project / ".env"], key=KEY)
    assert twice.findings == once.findings
    link = tmp_path / "link"
    link.symlink_to(project)
    via_link = scan_paths([link], key=KEY)
    assert [(f.path, f.line) for f in via_link.findings] == [
        (f.path, f.line) for f in once.findings
    ]


def test_an_example_dotenv_is_not_a_consumer(project: Path) -> None:
    (project / ".env.example").write_text("OPENAI_API_KEY=sk-...\n")
    result = scan_paths([project], key=KEY)
    openai = next(t for t in result.tokens if t.provider == "openai")
    assert ".env.example" not in {c.path for c in openai.consumers}


def test_read_token_finds_the_inventory_key_itself(project: Path) -> None:
    doc = json.loads(zsp(project, "--format", "json").stdout)
    assert {read_token(doc["root"], f) for f in doc["findings"]} == {OPENAI, HF}


def test_unwritable_output_is_a_usage_error_and_writes_nothing(
    project: Path, tmp_path: Path
) -> None:
    run = zsp(project, "--format", "json", "-o", tmp_path / "missing" / "out.json")
    assert run.returncode == 2 and "out.json" in run.stderr
    assert not (tmp_path / "missing").exists()
