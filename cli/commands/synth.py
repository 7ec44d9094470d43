"""``zsp synth``: print and write the offline desired state of a stack."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from .. import exit_codes
from ..errors import ZspError
from ..project import find_project_dir


@click.command()
@click.option(
    "--stack", "stack", required=True, help="Stack name: reads stacks/Pulumi.<stack>.yaml."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write artifacts (default: .zsp/synth/<stack>).",
)
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The Pulumi project (default: found upwards from the current directory).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: tree for people; json: summary for machines.",
)
def synth(stack: str, out_dir: Path | None, project_dir: Path | None, fmt: str) -> int:
    """Run the stack program offline and write what it would create.

    Writes resources.json (every resource with its inputs, secrets redacted), manifests/ (every
    Kubernetes object, in apply order), iam/ (every IAM document) and policy.json (the guardrail
    verdict). This is the desired state, not a diff against what is deployed. Exits 1 when a
    mandatory guardrail is violated.
    """
    from zsp.components.config import StackConfigError

    from ..synth.artifacts import write_artifacts
    from ..synth.guardrails import check, render, render_exceptions
    from ..synth.runner import SynthError, synthesize
    from ..synth.tree import build_tree

    project = (project_dir or find_project_dir()).resolve()
    try:
        synthesis, config = synthesize(project, stack)
    except StackConfigError as err:
        raise ZspError(str(err)) from None
    except SynthError as err:
        raise ZspError(f"stack {stack}: {err}", exit_codes.USAGE) from None
    target = out_dir if out_dir is not None else project / ".zsp" / "synth" / stack
    report = check(synthesis, config)
    policy_json = json.dumps(report.to_json(), indent=2) + "\n"
    try:
        counts = write_artifacts(synthesis, target, extra={"policy.json": policy_json})
    except OSError as err:
        raise ZspError(f"cannot write synth output to {target}: {err}") from None
    verdict = report.counts()
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "stack": stack,
                    "out": str(target),
                    **counts,
                    "policy": {"passed": not report.blocking, **verdict},
                }
            )
        )
    else:
        console = Console(highlight=False, soft_wrap=True)
        console.print(build_tree(synthesis))
        console.print(render(report))
        exceptions = render_exceptions(report)
        if exceptions is not None:
            console.print(exceptions)
        console.print(
            f"Wrote {counts['resources']} resources, {counts['manifests']} Kubernetes manifests, "
            f"{counts['policies']} IAM documents and {counts['hoop_objects']} hoop objects "
            f"to {target}"
        )
        console.print(
            "[dim]This is the desired state of the stack, not a diff against the cloud.[/]"
        )
        if report.blocking:
            console.print(
                f"[bold red]{len(report.blocking)} mandatory guardrail violation(s)[/]: "
                f"see {target / 'policy.json'}"
            )
    return exit_codes.FINDINGS if report.blocking else exit_codes.OK
