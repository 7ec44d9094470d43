"""How the guardrails scale with the stack, and what the CrossGuard path costs on top.

For N endpoints (default 50, 200, 500) a compliant prod-like desired state is built (model,
isolation, agent, connection, plugins, guardrail, masking, JIT, migrated secret per endpoint), then
evaluated (a) by the rule library, as ``zsp synth`` does, and (b) through the CrossGuard wrappers
with every resource wrapped in the analyzer's unknown-checking proxy, as ``pulumi preview`` does.
Figures: seconds, resources per second, and the ratio CrossGuard / library. Per-resource cost
roughly constant means linear growth.

    python bench/policy_eval.py [--sizes 50 200 500]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures_guardrails import compliant, crossguard_run, load_config  # noqa: E402
from zsp.components.config import StackConfig  # noqa: E402
from zsp.components.rules import evaluate  # noqa: E402


def scaled_config(endpoints: int) -> StackConfig:
    """prod's config with ``endpoints`` endpoints cycling through prod's three."""
    base = load_config("prod")
    generated: list[dict[str, Any]] = []
    for i in range(endpoints):
        entry = base.endpoints[i % len(base.endpoints)].model_dump(
            by_alias=True, mode="json", exclude_none=True
        )
        entry["name"] = f"{entry['name']}-{i:04d}"
        if entry.get("server"):
            entry["server"]["podLabels"] = {"app": entry["name"]}
        if entry.get("upstreamSecret"):
            entry["upstreamSecret"] = f"{entry['upstreamSecret']}-{i:04d}"
        generated.append(entry)
    return load_config("prod", endpoints=generated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500])
    args = parser.parse_args()
    print(f"{'endpoints':>9} {'resources':>9} {'library s':>10} {'res/s':>9} "
          f"{'crossguard s':>12} {'res/s':>9} {'ratio':>6}")  # fmt: skip
    for size in args.sizes:
        config = scaled_config(size)
        resources = compliant(config)
        start = time.perf_counter()
        report = evaluate(resources, config, "prod")
        library = time.perf_counter() - start
        assert not report.findings, report.findings[:3]
        start = time.perf_counter()
        reported = crossguard_run(resources, config)
        crossguard = time.perf_counter() - start
        assert not reported, reported[:3]
        n = len(resources)
        print(
            f"{size:>9} {n:>9} {library:>10.3f} {n / library:>9.0f} "
            f"{crossguard:>12.3f} {n / crossguard:>9.0f} {crossguard / library:>6.1f}"
        )


if __name__ == "__main__":
    main()
