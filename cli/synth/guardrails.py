"""The guardrails in ``zsp synth``: evaluate the rules over the recorded desired state.

The recorded resources are adapted into the rules' neutral ``ResourceView`` (inputs exactly as the
engine would receive them, values marked secret already redacted), so synth and the CrossGuard pack
judge the same thing the same way.
"""

from __future__ import annotations

import datetime

from rich.table import Table
from rich.text import Text
from zsp.components.config import StackConfig
from zsp.components.rules import PolicyReport, ResourceView, evaluate

from .model import RecordedResource, Synthesis

_STATUS_STYLE = {"violation": "bold red", "excepted": "yellow", "acknowledged": "cyan"}


def view(resource: RecordedResource) -> ResourceView:
    return ResourceView(
        type=resource.type,
        name=resource.name,
        urn=resource.urn,
        inputs=resource.inputs,
        parent=resource.parent,
        dependencies=tuple(resource.dependencies),
        custom=resource.custom,
        secrets_redacted=True,
    )


def check(
    synthesis: Synthesis, config: StackConfig, today: datetime.date | None = None
) -> PolicyReport:
    """Run every enabled rule over the synthesis; the report says what blocks."""
    return evaluate([view(r) for r in synthesis.resources], config, synthesis.stack, today=today)


def render(report: PolicyReport) -> Table:
    """The rule table: rule, severity, level/status, resource, message (and exception notes)."""
    counts = report.counts()
    table = Table(
        title=(
            f"Guardrails for stack {report.stack}: {counts['mandatory']} mandatory, "
            f"{counts['advisory']} advisory, {counts['excepted']} excepted, "
            f"{counts['acknowledged']} acknowledged"
        ),
        title_justify="left",
        show_lines=False,
    )
    table.add_column("rule", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("resource", overflow="fold")
    table.add_column("message", overflow="fold")
    for finding in report.findings:
        status = finding.status if finding.status != "violation" else finding.level
        message = Text(finding.message)
        if finding.note:
            message.append(f"\n{finding.note}", style="dim")
        table.add_row(
            finding.rule,
            finding.severity,
            Text(
                status,
                style=_STATUS_STYLE[finding.status]
                if finding.blocks or finding.status != "violation"
                else "magenta",
            ),
            f"{finding.resource}\n[dim]{finding.resource_type}[/]",
            message,
        )
    if not report.findings:
        table.add_row(
            "-", "-", Text("pass", style="green"), "-", f"all {len(report.rules)} rules pass"
        )
    return table


def render_exceptions(report: PolicyReport) -> Table | None:
    """Every configured exception, on every run: an exception is reviewed, never forgotten."""
    if not report.exceptions:
        return None
    table = Table(title="Policy exceptions (zsp:guardrails.exceptions)", title_justify="left")
    for column in ("rule", "resource", "expires", "state", "matched", "reason"):
        table.add_column(column, overflow="fold")
    for exc in report.exceptions:
        style = "green" if exc.state == "active" else "bold red"
        table.add_row(
            exc.rule,
            exc.resource,
            exc.expires,
            Text(exc.state, style=style),
            str(exc.matched),
            exc.reason,
        )
    return table
