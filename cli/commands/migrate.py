"""``zsp migrate plan|apply|rollback``: static tokens into Secrets Manager, behind the gateway."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from .. import exit_codes
from ..project import find_project_dir
from .aws_options import aws_options


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


@click.group()
def migrate() -> None:
    """Plan, apply and roll back the migration of static tokens to the gateway."""


@migrate.command("plan")
@click.option(
    "--inventory",
    "inventory",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Inventory JSON written by zsp scan --format json.",
)
@click.option(
    "--stack", required=True, help="Stack whose config receives the endpoints (dev, prod...)."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Plan file (default: .zsp/plans/<run>.json in the project).",
)
@click.option(
    "--gateway-url", default=None, help="Gateway HTTP proxy URL (default: zsp:gateway.proxyUrl)."
)
@click.option(
    "--only", multiple=True, help="Only tokens whose fingerprint starts with this (repeatable)."
)
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The Pulumi project (default: found upwards from the current directory).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def plan_cmd(
    inventory: Path,
    stack: str,
    out: Path | None,
    gateway_url: str | None,
    only: tuple[str, ...],
    project_dir: Path | None,
    fmt: str,
) -> int:
    """Write a plan: secrets, connections, consumer diffs and stack changes. Changes nothing."""
    from ..migrate.plan import PlanOptions, build_plan, default_plan_path, write_plan

    project = (project_dir or find_project_dir()).resolve()
    plan = build_plan(PlanOptions(inventory, stack, project, gateway_url, only))
    target = out or default_plan_path(project, plan["id"])
    write_plan(plan, target)
    manual = sum(len(t["manual"]) for t in plan["tokens"])
    summary = {
        "plan": str(target),
        "run": plan["id"],
        "tokens": len(plan["tokens"]),
        "files": len(plan["files"]),
        "manual": manual,
        "endpoints": [e["name"] for e in plan["stack_file"]["endpoints"]],
    }
    if fmt == "json":
        click.echo(json.dumps(summary))
        return exit_codes.OK
    console = _console()
    table = Table(title=f"zsp migrate plan {plan['id']} (stack {stack})")
    for col in ("token", "provider", "secret (KMS)", "connection", "locations", "manual"):
        table.add_column(col)
    for t in plan["tokens"]:
        table.add_row(
            f"{t['preview']} [{t['fingerprint'][:12]}]",
            t["provider"],
            f"{t['secret']['name']} ({t['secret']['kms_key']})",
            f"{t['connection']}{' (new)' if t['new_endpoint'] else ''}",
            str(len(t["locations"])),
            str(len(t["manual"])),
        )
    console.print(table)
    for entry in plan["files"]:
        click.echo(entry["diff"])
    if plan["stack_file"]["diff"]:
        click.echo(plan["stack_file"]["diff"])
    for t in plan["tokens"]:
        for m in t["manual"]:
            where = f"{m['path']}:{m['line']}"
            console.print(f"[yellow]manual[/] {where} ({t['fingerprint'][:12]}): {m['reason']}")
    console.print(f"Plan written to {target}. Nothing was changed; run: zsp migrate apply {target}")
    return exit_codes.OK


@migrate.command("apply")
@click.argument("plan_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print what would happen (read-only AWS calls).")
@aws_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def apply_cmd(
    plan_file: Path,
    dry_run: bool,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
    concurrency: int,
    fmt: str,
) -> int:
    """Store tokens in Secrets Manager, rewrite consumers, update the stack; resumable."""
    from ..migrate.apply import apply_plan
    from ..migrate.aws import AwsOptions

    console = _console()
    quiet = fmt == "json"
    progress = None if quiet else (lambda msg: console.print(f"  {msg}"))
    result = apply_plan(
        plan_file, AwsOptions(profile, region, endpoint_url, concurrency), dry_run, progress
    )
    data: dict[str, Any] = {
        "run": result.run,
        "journal": str(result.journal),
        "dry_run": result.dry_run,
        "completed": result.completed,
        "secrets": result.stored,
        "rewritten": result.rewritten,
        "already_rewritten": result.already,
        "stack_updated": result.stack_updated,
        "token_errors": result.token_errors,
        "file_errors": result.file_errors,
        "actions": result.actions,
    }
    if quiet:
        click.echo(json.dumps(data))
    else:
        for action in result.actions:
            console.print(f"  would: {action}" if dry_run else action)
        for fp, err in result.token_errors.items():
            console.print(f"[red]token {fp[:12]}[/]: {err}")
        for path, err in result.file_errors.items():
            console.print(f"[red]{path}[/]: {err}")
        if dry_run:
            console.print("Dry run: nothing was changed.")
        elif result.completed:
            console.print(
                f"Run {result.run} complete: {len(result.stored)} secrets, "
                f"{len(result.rewritten) + len(result.already)} files. Journal: {result.journal}. "
                f"Next: zsp verify --run {result.run}"
            )
        else:
            console.print(
                f"Run {result.run} incomplete: fix the errors above and run "
                f"zsp migrate apply {plan_file} again (it resumes). Journal: {result.journal}"
            )
    return exit_codes.OK if result.ok else exit_codes.FINDINGS


@migrate.command("rollback")
@click.argument("run")
@click.option("--purge", is_flag=True, help="Delete created secrets now instead of scheduling it.")
@click.option(
    "--recovery-days",
    type=int,
    default=7,
    show_default=True,
    help="Secrets Manager recovery window.",
)
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The Pulumi project holding .zsp/journal (default: found upwards).",
)
@aws_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rollback_cmd(
    run: str,
    purge: bool,
    recovery_days: int,
    project_dir: Path | None,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
    concurrency: int,
    fmt: str,
) -> int:
    """Restore every file of RUN byte-for-byte and remove the secrets it created."""
    from ..migrate.aws import AwsOptions
    from ..migrate.rollback import rollback_run

    project = (project_dir or find_project_dir()).resolve()
    result = rollback_run(
        project, run, AwsOptions(profile, region, endpoint_url, concurrency), purge, recovery_days
    )
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "run": run,
                    "restored": result.restored,
                    "unchanged": result.unchanged,
                    "secrets": result.secrets,
                    "errors": result.errors,
                }
            )
        )
    else:
        console = _console()
        for path in result.restored:
            console.print(f"restored {path}")
        for name, what in result.secrets.items():
            console.print(f"secret {name}: {what}")
        for name, err in result.errors.items():
            console.print(f"[red]secret {name}[/]: {err}")
        console.print(f"Run {run}: {len(result.restored)} files restored.")
    return exit_codes.FINDINGS if result.errors else exit_codes.OK
