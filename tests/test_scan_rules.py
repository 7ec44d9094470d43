"""Rules are data: every shipped rule's positive and negative examples are checked here."""

from __future__ import annotations

import re

import pytest
from zsp.cli.scan.detect import Matcher, detect, entropy, is_placeholder
from zsp.cli.scan.rules import load_rules

RULES = load_rules()
MATCHER = Matcher()


def test_every_provider_family_of_the_issue_has_rules() -> None:
    providers = {r.provider.name for r in RULES}
    assert providers == {
        "openai",
        "anthropic",
        "huggingface",
        "google",
        "aws",
        "azure-openai",
        "cohere",
        "mistral",
        "groq",
        "replicate",
        "together",
        "fireworks",
        "perplexity",
        "deepseek",
        "xai",
        "openrouter",
        "databricks",
        "generic",
    }
    # one data file per provider family
    assert {r.provider.source for r in RULES} == {
        f"{p}.toml".replace("azure-openai", "azure") for p in providers
    }


def test_rules_have_examples_and_compile_in_hyperscan() -> None:
    assert MATCHER.engine == "hyperscan"
    for rule in RULES:
        assert rule.positives, rule.id
        assert rule.negatives, rule.id
        assert "(?<" not in rule.pattern and "(?=" not in rule.pattern, rule.id


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_positive_examples_are_found_by_their_rule(rule) -> None:  # type: ignore[no-untyped-def]
    for example in rule.positives:
        found, _ = detect(example.encode(), "text", MATCHER)
        ids = [c.rule.id for c in found]
        # an anchored rule's example also holds its anchor (the key id beside the secret)
        assert rule.id in ids and set(ids) <= {rule.id, rule.anchor}, example[:40]
        cand = found[ids.index(rule.id)]
        # the span is exactly the token: it is delimited on both sides
        assert example[cand.start - 1] in "=: \"'(\n\t" or cand.start == 0
        assert cand.value == example[cand.start : cand.end]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_negative_examples_are_not_findings(rule) -> None:  # type: ignore[no-untyped-def]
    for example in rule.negatives:
        found, _ = detect(example.encode(), "text", MATCHER)
        # only the anchor itself may be found (an anchored rule's negatives show it unpaired)
        assert [c.rule.id for c in found if c.rule.id != rule.anchor] == [], example[:40]


def test_python_re_fallback_agrees_with_hyperscan() -> None:
    fallback = Matcher()
    fallback._db = None
    assert fallback.engine == "python-re"
    for rule in RULES:
        for example in (*rule.positives, *rule.negatives):
            assert fallback.hits(example.encode()) == MATCHER.hits(example.encode())


@pytest.mark.parametrize(
    "value",
    [
        "sk-...",
        "<YOUR_KEY>",
        "${OPENAI_API_KEY}",
        "{{ .Values.key }}",
        "xxxxxxxxxxxxxxxx",
        "AKIAIOSFODNN7EXAMPLE",
        "changeme-changeme-123",
        "aaaaaaaaaaaaaaaaaaa1",
    ],
)
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


def test_entropy_separates_random_from_repetitive() -> None:
    assert entropy("abababababababab") == pytest.approx(1.0)
    assert entropy("Rk3J8vQw2LmN5pZx7Ty1Ua9Hc4Gd6Fe0") > 4.5


def test_rule_patterns_are_anchored_by_boundaries() -> None:
    # a token-shaped run inside a longer base64/identifier run is not a token
    blob = "iVBORw0KGgo" + "AIzaSyD8kQ2mN5pR7tV9xZ1bC3eF6hJ8lM0oQ2s" + "AAAA"
    assert detect(blob.encode(), "text", MATCHER)[0] == []
    assert re.search("AIza", blob)


def test_ripgrep_accepts_the_same_patterns(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The throughput bench gives ripgrep zsp's own rule patterns: they must stay valid there and
    match the same positive examples (single-line ones: ripgrep runs line by line)."""
    import importlib.util
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    rg = shutil.which("rg")
    if rg is None:
        pytest.skip("ripgrep not installed (scripts/apt-packages.txt installs it)")
    bench = Path(__file__).resolve().parent.parent / "bench" / "scan_throughput.py"
    spec = importlib.util.spec_from_file_location("scan_throughput", bench)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["scan_throughput"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    patterns = tmp_path / "patterns.txt"
    module.rg_patterns(patterns)
    lines = [p for r in RULES for p in r.positives if "\n" not in p]
    sample = tmp_path / "sample.txt"
    sample.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        [rg, "--no-ignore", "-c", "-f", str(patterns), str(sample)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == len(lines)
