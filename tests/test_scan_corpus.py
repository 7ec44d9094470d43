"""Labelled corpus: recall and precision of ``zsp scan`` over every provider x every file kind."""

from __future__ import annotations

from fixtures_scan import SPECS, Corpus
from zsp.cli.scan.engine import read_token, scan_paths

KEY = bytes(range(32))


def test_recall_precision_and_no_placeholder_findings(scan_corpus: Corpus) -> None:
    result = scan_paths([scan_corpus.root], key=KEY)
    found = {(f.path, f.line, f.provider) for f in result.findings}
    true_positives = found & scan_corpus.labels
    recall = len(true_positives) / len(scan_corpus.labels)
    precision = len(true_positives) / len(found)
    print(
        f"corpus: {len(scan_corpus.labels)} labels, recall {recall:.4f}, precision {precision:.4f}"
    )
    assert len(scan_corpus.labels) >= 400
    assert recall >= 0.98, sorted(scan_corpus.labels - found)[:10]
    assert precision >= 0.95, sorted(found - scan_corpus.labels)[:10]
    negatives = [f for f in result.findings if f.path.startswith(scan_corpus.negative_prefixes)]
    assert negatives == []


def test_every_kind_is_classified_and_every_provider_found(scan_corpus: Corpus) -> None:
    result = scan_paths([scan_corpus.root], key=KEY)
    kinds = {f.kind for f in result.findings}
    assert kinds == {
        "dotenv",
        "yaml",
        "json",
        "toml",
        "ini",
        "github-actions",
        "gitlab-ci",
        "k8s-secret",
        "compose",
        "dockerfile",
        "helm-values",
        "tfvars",
        "notebook",
        "shell",
        "source",
        "text",
    }
    assert {f.provider for f in result.findings} == {s.provider for s in SPECS}
    assert {f.encoding for f in result.findings if f.path.endswith("secret-data.yaml")} == {
        "base64"
    }


def test_variable_and_endpoint_beside_the_token(scan_corpus: Corpus) -> None:
    result = scan_paths([scan_corpus.root], key=KEY)
    expected_var = {s.provider: set() for s in SPECS}
    for s in SPECS:
        expected_var[s.provider].add(s.var)
    urls = {s.provider: {s.url} for s in SPECS}
    for s in SPECS:
        urls[s.provider].add(s.url)
    unnamed = [f for f in result.findings if f.path.startswith("pair/")]
    assert [(f.rule, f.variable) for f in unnamed] == [
        ("aws-access-key-id", None),
        ("aws-secret-access-key-paired", None),
    ]
    wrong_var = [
        f
        for f in result.findings
        if f not in unnamed and f.variable not in expected_var[f.provider]
    ]
    assert wrong_var == []
    wrong_endpoint = [f for f in result.findings if f.endpoint not in urls[f.provider]]
    assert wrong_endpoint == []


def test_columns_point_at_the_token_and_read_token_round_trips(scan_corpus: Corpus) -> None:
    result = scan_paths([scan_corpus.root], key=KEY)
    tokens = set(scan_corpus.tokens)
    for f in result.findings:
        value = read_token(scan_corpus.root, f, KEY)
        assert value in tokens
        if f.encoding == "plain":
            line = (scan_corpus.root / f.path).read_text().split("\n")[f.line - 1]
            assert line[f.column - 1 : f.end_column - 1] == value


def test_jobs_give_the_same_inventory(scan_corpus: Corpus) -> None:
    one = scan_paths([scan_corpus.root], key=KEY, jobs=1)
    two = scan_paths([scan_corpus.root], key=KEY, jobs=2)
    assert one.findings == two.findings
    assert [t.to_dict() for t in one.tokens] == [t.to_dict() for t in two.tokens]


def test_engine_document_matches_the_cli_contract(scan_corpus: Corpus, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from zsp.cli.scan.report import to_json

    result = scan_paths([scan_corpus.root], key=KEY)
    doc = result.to_document(tmp_path / "k")
    assert doc["schema"] == "zsp.inventory/v1" and doc["root"] == str(scan_corpus.root)
    assert doc["fingerprint"] == {"algorithm": "hmac-sha256", "key_file": str(tmp_path / "k")}
    text = to_json(
        str(result.root), str(tmp_path / "k"), result.findings, result.tokens, result.stats
    )
    assert json.loads(text) == json.loads(json.dumps(doc))
