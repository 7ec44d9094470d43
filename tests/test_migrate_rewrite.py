"""Consumer rewriters, one file kind at a time: exact output, comments kept, token gone."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from zsp.cli.migrate.apply import cut_spans, splice_back
from zsp.cli.migrate.journal import read_events
from zsp.cli.migrate.rewrite import Edit, Unsupported, rewrite_text, switch_base_url

GW = "https://gw.example.internal:18888"
TOKEN = "sk-proj-UNITTESTabcdefghijklmnopqrstuvwxyz0123456789"


def edit_for(
    text: str, kind: str, variable: str | None = None, provider: str = "openai", needle: str = TOKEN
) -> Edit:
    for number, line in enumerate(text.split("\n"), start=1):
        col = line.find(needle)
        if col >= 0:
            return Edit(
                line=number,
                column=col + 1,
                end_column=col + 1 + len(needle),
                kind=kind,
                variable=variable,
                encoding="base64" if needle != TOKEN else "plain",
                fingerprint="f" * 64,
                provider=provider,
                connection="openai",
                secret_name="zsp/dev/upstream/openai",
                upstream="https://api.openai.com",
                gateway_url=GW,
            )
    raise AssertionError("needle not found")


def rewrite(path: str, text: str, kind: str, variable: str | None = None) -> str:
    out = rewrite_text(path, text, [edit_for(text, kind, variable)])
    assert TOKEN not in out
    return out


def test_dotenv_line_becomes_comment_and_gateway_base_url() -> None:
    text = "# dev\nOPENAI_API_KEY=" + TOKEN + "\nDEBUG=1\n"
    out = rewrite(".env", text, "dotenv", "OPENAI_API_KEY")
    lines = out.split("\n")
    assert lines[0] == "# dev"
    assert lines[1].startswith(
        "# zsp: OPENAI_API_KEY moved to Secrets Manager (zsp/dev/upstream/openai)"
    )
    assert 'eval "$(zsp creds --connection openai --format env)"' in lines[1]
    assert lines[2] == f"OPENAI_BASE_URL={GW}/v1"
    assert lines[3] == "DEBUG=1"


def test_dotenv_existing_base_url_is_switched_not_duplicated_and_crlf_kept() -> None:
    text = "export OPENAI_API_KEY=" + TOKEN + "\r\nOPENAI_BASE_URL=https://api.openai.com/v1\r\n"
    out = rewrite(".env", text, "dotenv", "OPENAI_API_KEY")
    assert out.count("OPENAI_BASE_URL=") == 1
    assert out.endswith(f"OPENAI_BASE_URL={GW}/v1\r\n")
    assert "\n" not in out.replace("\r\n", "")


def test_yaml_value_keeps_comments_and_quotes() -> None:
    text = 'llm:\n  api_key: "' + TOKEN + '"  # prod\n  base_url: https://api.openai.com/v1\n'
    out = rewrite("c.yaml", text, "yaml", "api_key")
    assert '  api_key: "${OPENAI_API_KEY}"  # prod\n' in out
    assert f"  base_url: {GW}/v1\n" in out
    assert "  # zsp: OPENAI_API_KEY moved to Secrets Manager" in out


def test_json_stays_valid_json() -> None:
    import json

    text = '{"openai": {"key": "' + TOKEN + '", "url": "https://api.openai.com/v1"}}\n'
    out = rewrite("c.json", text, "json")
    assert json.loads(out) == {"openai": {"key": "${OPENAI_API_KEY}", "url": f"{GW}/v1"}}


def test_toml_and_ini() -> None:
    import configparser
    import tomllib

    toml = '[a]\n# keep me\nkey = "' + TOKEN + '"\n'
    out = rewrite("c.toml", toml, "toml")
    assert tomllib.loads(out) == {"a": {"key": "${OPENAI_API_KEY}"}}
    assert "# keep me" in out
    ini = "[a]\nkey = " + TOKEN + "\n"
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(rewrite("c.ini", ini, "ini"))
    assert parser["a"]["key"] == "${OPENAI_API_KEY}"


def test_python_literal_becomes_environ_and_import_added_after_docstring() -> None:
    text = (
        '"""Doc."""\n\nfrom __future__ import annotations\n\n'
        'from openai import OpenAI\n\nc = OpenAI(api_key="' + TOKEN + '")\n'
    )
    out = rewrite("app/main.py", text, "source")
    assert 'c = OpenAI(api_key=os.environ["OPENAI_API_KEY"])' in out
    assert out.index("from __future__") < out.index("import os\n") < out.index("from openai")
    compile(out, "main.py", "exec")


def test_python_fstring_and_partial_literal() -> None:
    text = 'import os\nh = f"Bearer ' + TOKEN + '"\ng = "Bearer ' + TOKEN + '"\n'
    edits = []
    for number, line in enumerate(text.split("\n"), start=1):
        col = line.find(TOKEN)
        if col >= 0:
            e = edit_for(line, "source")
            edits.append(Edit(**{**e.__dict__, "line": number}))
    out = rewrite_text("x.py", text, edits)
    assert "h = f\"Bearer {os.environ['OPENAI_API_KEY']}\"" in out
    assert 'g = "Bearer " + os.environ["OPENAI_API_KEY"] + ""' in out
    assert out.count("import os") == 1


def test_javascript_and_template_literal() -> None:
    assert "apiKey: process.env.OPENAI_API_KEY }" in rewrite(
        "a.ts", "x({ apiKey: '" + TOKEN + "' })\n", "source"
    )
    out = rewrite("a.js", "const h = `Bearer " + TOKEN + "`;\n", "source")
    assert out == "const h = `Bearer ${process.env.OPENAI_API_KEY}`;\n"


def test_unknown_source_language_is_unsupported() -> None:
    with pytest.raises(Unsupported):
        rewrite("main.c", 'char *k = "' + TOKEN + '";\n', "source")


def test_compose_mapping_uses_required_interpolation_and_gateway() -> None:
    text = "services:\n  bot:\n    environment:\n      OPENAI_API_KEY: " + TOKEN + "\n"
    out = rewrite("docker-compose.yml", text, "compose", "OPENAI_API_KEY")
    assert (
        '      OPENAI_API_KEY: "${OPENAI_API_KEY:?get a short-lived key with '
        'zsp creds --connection openai}"\n' in out
    )
    assert f"      OPENAI_BASE_URL: {GW}/v1\n" in out


def test_dockerfile_env_not_baked() -> None:
    out = rewrite(
        "Dockerfile", "FROM x\nENV OPENAI_API_KEY=" + TOKEN + "\n", "dockerfile", "OPENAI_API_KEY"
    )
    assert out.endswith(f"ENV OPENAI_BASE_URL={GW}/v1\n")
    assert "# zsp: OPENAI_API_KEY is no longer baked into the image" in out


def test_tfvars_and_text() -> None:
    out = rewrite("x.tfvars", 'region = "eu"\nopenai_api_key = "' + TOKEN + '"\n', "tfvars")
    assert out.startswith('region = "eu"\n# zsp: openai_api_key moved to Secrets Manager')
    assert rewrite("n.txt", "key " + TOKEN + " ok\n", "text") == (
        "key [zsp: moved to Secrets Manager zsp/dev/upstream/openai] ok\n"
    )


def test_github_actions_step_permissions_and_env_removed() -> None:
    from ruamel.yaml import YAML

    text = (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    env:\n      OPENAI_API_KEY: "
        + TOKEN
        + "  # old\n    steps:\n      - uses: actions/checkout@v4\n      - run: make eval\n"
    )
    out = rewrite(".github/workflows/ci.yml", text, "github-actions", "OPENAI_API_KEY")
    doc = YAML(typ="safe").load(out)
    job = doc["jobs"]["t"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert "env" not in job
    assert job["steps"][0] == {"uses": "actions/checkout@v4"}
    assert job["steps"][1]["name"] == "Short-lived inference credential (openai, zsp)"
    assert job["steps"][1]["run"].splitlines() == [
        'eval "$(zsp creds --connection openai --format env)"',
        'echo "::add-mask::${OPENAI_API_KEY}"',
        'echo "OPENAI_API_KEY=${OPENAI_API_KEY}" >> "$GITHUB_ENV"',
        'echo "OPENAI_BASE_URL=${OPENAI_BASE_URL}" >> "$GITHUB_ENV"',
    ]
    assert job["steps"][2] == {"run": "make eval"}


def test_gitlab_global_variable_moves_to_default_before_script() -> None:
    from ruamel.yaml import YAML

    text = 'variables:\n  OPENAI_API_KEY: "' + TOKEN + '"\njob:\n  script:\n    - make\n'
    out = rewrite(".gitlab-ci.yml", text, "gitlab-ci", "OPENAI_API_KEY")
    doc = YAML(typ="safe").load(out)
    assert "variables" not in doc
    assert doc["default"]["before_script"] == [
        'eval "$(zsp creds --connection openai --format env)"'
    ]
    assert doc["default"]["id_tokens"] == {"ZSP_ID_TOKEN": {"aud": GW}}
    assert doc["job"] == {"script": ["make"]}


def test_k8s_secret_entry_replaced_by_reference(tmp_path: Path) -> None:
    import kubernetes_validate
    from ruamel.yaml import YAML

    b64 = base64.b64encode(TOKEN.encode()).decode()
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: bot\n  namespace: apps\ntype: Opaque\n"
        f"data:\n  OPENAI_API_KEY: {b64}\n  OTHER: eA==\n"
    )
    e = edit_for(text, "k8s-secret", "OPENAI_API_KEY", needle=b64)
    out = rewrite_text("k8s/secret.yaml", text, [e])
    assert b64 not in out
    doc = YAML(typ="safe").load(out)
    assert doc["data"] == {"OTHER": "eA=="}
    assert doc["stringData"] == {"OPENAI_BASE_URL": f"{GW}/v1"}
    assert (
        "zsp creds --connection openai"
        in doc["metadata"]["annotations"]["zsp.dev/migrated.OPENAI_API_KEY"]
    )
    kubernetes_validate.validate(doc, "1.31", strict=True)


def test_base_url_switch_keeps_path_and_leaves_lookalikes() -> None:
    text = "a https://api.openai.com/v1/chat b https://api.openai.com.evil.example/x c https://api.openai.com\n"
    assert switch_base_url(text, "https://api.openai.com", GW) == (
        f"a {GW}/v1/chat b https://api.openai.com.evil.example/x c {GW}\n"
    )


def test_cut_and_splice_are_inverse() -> None:
    data = "é1 AAAA 2 BBBBBB 3".encode()
    splices = [
        {"offset": data.index(b"AAAA"), "length": 4, "fingerprint": "a", "encoding": "plain"},
        {"offset": data.index(b"BBBBBB"), "length": 6, "fingerprint": "b", "encoding": "plain"},
    ]
    cut = cut_spans(data, splices)
    assert cut == "é1  2  3".encode()
    assert splice_back(cut, splices, {"a:plain": b"AAAA", "b:plain": b"BBBBBB"}) == data


def test_journal_reader_skips_torn_lines(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_bytes(b'{"event":"begin"}\n{"event":"sec\n{"event":"complete"}\n{"event":"x')
    assert [e["event"] for e in read_events(path)] == ["begin", "complete"]


def test_github_actions_workflow_permissions_get_id_token_and_with_inputs_use_env() -> None:
    from ruamel.yaml import YAML

    text = (
        "on: push\npermissions:\n  contents: read\njobs:\n  t:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: example/llm-action@v1\n        with:\n          api-key: "
        + TOKEN
        + "\n"
    )
    out = rewrite(".github/workflows/ci.yml", text, "github-actions", None)
    doc = YAML(typ="safe").load(out)
    assert doc["permissions"] == {"contents": "read", "id-token": "write"}
    assert "permissions" not in doc["jobs"]["t"]
    steps = doc["jobs"]["t"]["steps"]
    assert steps[0]["name"] == "Short-lived inference credential (openai, zsp)"
    assert steps[1]["with"] == {"api-key": "${{ env.OPENAI_API_KEY }}"}
