"""``zsp verify``: no migrated token left in plaintext; secrets stored and encrypted; a report."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import exit_codes
from ..project import find_project_dir
from .aws_options import aws_options


@click.command()
@click.option("--run", "run", required=True, help="The migration run (see .zsp/journal/).")
@click.option("--offline", is_flag=True, help="Skip the AWS checks; only re-scan for plaintext.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="markdown: a change-ticket summary; json: for machines.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the report here.",
)
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The Pulumi project holding .zsp/journal (default: found upwards).",
)
@aws_options
def verify(
    run: str,
    offline: bool,
    fmt: str,
    out: Path | None,
    project_dir: Path | None,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
    concurrency: int,
) -> int:
    """Re-scan the migrated paths and fail if any migrated fingerprint is still in plaintext.

    Also checks each secret (present, fingerprint tag, KMS key, value) and, for AWS access keys,
    reports GetAccessKeyLastUsed against the cut-over time.
    """
    from ..migrate.aws import AwsOptions
    from ..verify.engine import render_markdown, verify_run

    project = (project_dir or find_project_dir()).resolve()
    aws = None if offline else AwsOptions(profile, region, endpoint_url, concurrency)
    report = verify_run(project, run, aws)
    text = (
        json.dumps(report.to_json(), indent=2) + "\n" if fmt == "json" else render_markdown(report)
    )
    click.echo(text, nl=False)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    return exit_codes.OK if report.passed else exit_codes.FINDINGS
