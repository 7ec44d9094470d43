"""How ``zsp synth`` scales with the number of inference endpoints (10, 100, 500 by default).

Each size runs in a fresh subprocess so that peak RSS is that size's own. The figure that matters
is the per-endpoint cost: roughly constant means linear growth.

    python bench/synth_scale.py [--sizes 10 100 500]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from stack_fixtures import copy_project  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from zsp.cli.synth import synthesize
from zsp.cli.synth.artifacts import write_artifacts
project, stack, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
start = time.perf_counter()
synthesis, _ = synthesize(project, stack)
synth_s = time.perf_counter() - start
counts = write_artifacts(synthesis, out)
total_s = time.perf_counter() - start
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"synth_s": synth_s, "total_s": total_s, "peak_mib": peak_kib / 1024, **counts}))
"""


def make_stack(project: Path, endpoints: int) -> str:
    """A stack like dev with ``endpoints`` endpoints, alternating in-cluster and hosted."""
    yaml = YAML(typ="rt")
    document = yaml.load((project / "stacks" / "Pulumi.dev.yaml").read_text())
    config = document["config"]
    template_in, template_hosted = config["zsp:endpoints"][0], config["zsp:endpoints"][1]
    generated = []
    for i in range(endpoints):
        if i % 2 == 0:
            entry = json.loads(json.dumps(template_in))
            entry["name"] = f"model-{i:04d}"
            entry["server"]["podLabels"] = {"app": f"model-{i:04d}"}
        else:
            entry = json.loads(json.dumps(template_hosted))
            entry["name"] = f"hosted-{i:04d}"
            entry["upstreamSecret"] = f"zsp/bench/upstream/hosted-{i:04d}"
        generated.append(entry)
    config["zsp:endpoints"] = generated
    if "zsp:policy" in config:
        config["zsp:policy"]["endpoints"] = []  # per-endpoint overrides name the dev endpoints
    with (project / "stacks" / "Pulumi.bench.yaml").open("w") as handle:
        yaml.dump(document, handle)
    return "bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="zsp-bench-") as tmp:
        for size in args.sizes:
            project = copy_project(Path(tmp) / f"p{size}")
            stack = make_stack(project, size)
            result = subprocess.run(
                [sys.executable, "-c", CHILD, str(project), stack, str(Path(tmp) / f"out{size}")],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                return 1
            rows.append({"endpoints": size, **json.loads(result.stdout.strip().splitlines()[-1])})
    base = rows[0]
    print(
        f"{'endpoints':>9} {'resources':>9} {'manifests':>9} {'synth s':>8} {'total s':>8} "
        f"{'ms/endpt':>9} {'peak MiB':>9} {'time ratio':>10} {'size ratio':>10}"
    )
    for row in rows:
        per = 1000 * row["total_s"] / row["endpoints"]
        time_ratio = row["total_s"] / base["total_s"]
        size_ratio = row["endpoints"] / base["endpoints"]
        print(
            f"{row['endpoints']:>9} {row['resources']:>9} {row['manifests']:>9} "
            f"{row['synth_s']:>8.2f} {row['total_s']:>8.2f} {per:>9.1f} {row['peak_mib']:>9.0f} "
            f"{time_ratio:>10.1f} {size_ratio:>10.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
