"""``zsp export-sessions``: ship hoop sessions and credential events to a SIEM as OCSF."""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import click

from .. import exit_codes
from ..errors import ZspError


def duration_option(_ctx: click.Context, param: click.Parameter, value: str) -> int:
    """``90``, ``15m``, ``1h30m`` → seconds (the stack files' duration syntax)."""
    from zsp.components.config import parse_duration

    try:
        return parse_duration(value)
    except ValueError as err:
        raise click.BadParameter(str(err), param=param) from None


@click.command(name="export-sessions")
@click.option("--hoop-url", envvar="ZSP_HOOP_URL", required=True, help="hoop API_URL.")
@click.option(
    "--hoop-token-secret",
    default=None,
    help='Secrets Manager secret with the hoop API key ({"token": ...}); else $ZSP_HOOP_TOKEN.',
)
@click.option("--hoop-ca-bundle", default=None, help="CA bundle for hoop's TLS certificate.")
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Checkpoint file (on a persistent volume).",
)
@click.option(
    "--sink",
    type=click.Choice(["cloudwatch", "splunk", "syslog"]),
    default="cloudwatch",
    show_default=True,
)
@click.option("--log-group", default=None, help="CloudWatch log group (sink cloudwatch).")
@click.option("--log-stream", default=None, help="Log stream (default exporter-<hostname>).")
@click.option("--region", envvar="AWS_REGION", default=None)
@click.option("--hec-url", default=None, help="Splunk HEC base URL; token in $ZSP_HEC_TOKEN.")
@click.option("--hec-index", default=None)
@click.option("--hec-acks/--no-hec-acks", default=True, show_default=True)
@click.option("--hec-ca-bundle", default=None)
@click.option("--syslog-host", default=None)
@click.option("--syslog-port", type=click.IntRange(1, 65535), default=6514, show_default=True)
@click.option(
    "--syslog-format", type=click.Choice(["json", "cef"]), default="json", show_default=True
)
@click.option("--syslog-tls/--syslog-plain-tcp", default=True, show_default=True)
@click.option("--syslog-ca", default=None, help="CA bundle for the syslog server.")
@click.option("--once", is_flag=True, help="One run, then exit (CronJob).")
@click.option(
    "--interval",
    callback=duration_option,
    default="60",
    show_default=True,
    help="Seconds between runs when not --once.",
)
@click.option("--lag", callback=duration_option, default="60", show_default=True)
@click.option("--slice", "slice_", callback=duration_option, default="1h", show_default=True)
@click.option(
    "--backfill",
    callback=duration_option,
    default="24h",
    show_default=True,
    help="How far back the very first run starts.",
)
@click.option("--batch-size", type=click.IntRange(1, 10000), default=500, show_default=True)
@click.option("--include-bodies", is_flag=True, help="Export request/response bodies, masked.")
@click.option("--max-body-bytes", type=click.IntRange(256, 65536), default=8192, show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def export_sessions(**kw: Any) -> int:
    """Export hoop sessions (OCSF API Activity) and credential events (OCSF Authentication).

    Reads GET /api/sessions and GET /api/audit/logs from a checkpoint, ships each record once
    per run with a stable uid (at-least-once), and moves the checkpoint only after the sink
    accepted the data. Exit 0: all shipped; 1: some records were malformed and skipped; 2: the
    run could not complete (the checkpoint is unchanged past the last shipped window).
    """
    from ..exporter.checkpoint import CheckpointError
    from ..exporter.engine import ExportError, RunReport, summarize
    from ..exporter.runner import RunnerSettings, SetupError, build_exporter, options

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    settings = RunnerSettings(
        hoop_url=kw["hoop_url"],
        hoop_token_secret=kw["hoop_token_secret"],
        hoop_ca_bundle=kw["hoop_ca_bundle"],
        checkpoint=kw["checkpoint"],
        sink=kw["sink"],
        log_group=kw["log_group"],
        log_stream=kw["log_stream"],
        region=kw["region"],
        hec_url=kw["hec_url"],
        hec_index=kw["hec_index"],
        hec_acks=kw["hec_acks"],
        hec_ca_bundle=kw["hec_ca_bundle"],
        syslog_host=kw["syslog_host"],
        syslog_port=kw["syslog_port"],
        syslog_format=kw["syslog_format"],
        syslog_tls=kw["syslog_tls"],
        syslog_ca=kw["syslog_ca"],
        options=options(
            kw["lag"],
            kw["slice_"],
            kw["backfill"],
            kw["batch_size"],
            kw["include_bodies"],
            kw["max_body_bytes"],
        ),
    )
    try:
        exporter = build_exporter(settings)
    except SetupError as err:
        raise ZspError(str(err)) from None

    def show(report: RunReport) -> None:
        if kw["fmt"] == "json":
            click.echo(json.dumps(report.to_json()))
        else:
            click.echo(
                f"exported {report.sessions} sessions and {report.audit} audit events in "
                f"{report.batches} batches; {report.pending} sessions still open; "
                f"{len(report.skipped)} malformed records skipped"
            )
            if report.skipped:
                click.echo(f"skipped: {summarize(report.skipped)}", err=True)

    try:
        if kw["once"]:
            report = exporter.run_once()
            show(report)
            return exit_codes.FINDINGS if report.skipped else exit_codes.OK
        signal.signal(signal.SIGTERM, lambda *_: exporter.stop())
        exporter.run_forever(float(kw["interval"]), show)
        return exit_codes.OK
    except (ExportError, CheckpointError) as err:
        raise ZspError(str(err)) from None
    finally:
        exporter.sink.close()
        exporter.client.close()
