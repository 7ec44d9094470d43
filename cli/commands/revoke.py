"""``zsp revoke``: deactivate (then delete) the static credentials a verified run replaced."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from .. import exit_codes
from ..base_duration import parse_grace
from ..project import find_project_dir
from .aws_options import aws_options


@click.command()
@click.option("--run", "run", required=True, help="The migration run (see .zsp/journal/).")
@click.option(
    "--delete", is_flag=True, help="Delete keys that have been inactive for the grace period."
)
@click.option(
    "--grace", default="7d", show_default=True, help="Inactive time before --delete (e.g. 7d, 48h)."
)
@click.option("--force", is_flag=True, help="Revoke even tokens that zsp verify has not passed.")
@click.option(
    "--admin",
    "admin",
    multiple=True,
    type=click.Choice(["anthropic", "openai"]),
    help="Use this provider's admin API (admin key from $ANTHROPIC_ADMIN_KEY / $OPENAI_ADMIN_KEY).",
)
@click.option("--admin-url", multiple=True, help="PROVIDER=URL override of an admin API base URL.")
@click.option("--dry-run", is_flag=True, help="Show what would be revoked; change nothing.")
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The Pulumi project holding .zsp/journal (default: found upwards).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@aws_options
def revoke(
    run: str,
    delete: bool,
    grace: str,
    force: bool,
    admin: tuple[str, ...],
    admin_url: tuple[str, ...],
    dry_run: bool,
    project_dir: Path | None,
    fmt: str,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
    concurrency: int,
) -> int:
    """Retire the old static tokens of a verified migration run."""
    from ..errors import ZspError
    from ..migrate.aws import AwsOptions
    from ..revoke.engine import ADMIN_DEFAULTS, AdminApi, revoke_run

    urls = {}
    for item in admin_url:
        name, sep, url = item.partition("=")
        if not sep or name not in ADMIN_DEFAULTS:
            raise ZspError(f"--admin-url {item!r}: expected anthropic=URL or openai=URL")
        urls[name] = url
    apis = {
        name: AdminApi(name, urls.get(name, ADMIN_DEFAULTS[name][0]), ADMIN_DEFAULTS[name][1])
        for name in admin
    }
    project = (project_dir or find_project_dir()).resolve()
    report = revoke_run(
        project,
        run,
        AwsOptions(profile, region, endpoint_url, concurrency),
        delete=delete,
        grace_seconds=parse_grace(grace),
        force=force,
        admin=apis,
        dry_run=dry_run,
    )
    if fmt == "json":
        click.echo(json.dumps({"run": run, "outcomes": [o.__dict__ for o in report.outcomes]}))
    else:
        table = Table(title=f"zsp revoke {run}")
        for col in ("token", "provider", "result", "detail"):
            table.add_column(col)
        for o in report.outcomes:
            table.add_row(f"{o.preview} [{o.fingerprint[:12]}]", o.provider, o.action, o.detail)
        Console(highlight=False, soft_wrap=True).print(table)
    return exit_codes.FINDINGS if report.failed else exit_codes.OK
