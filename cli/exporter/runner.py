"""Assemble an ``Exporter`` from command-line settings (kept out of click so tests can drive it).

Tokens come from the environment or from Secrets Manager, never from a command-line argument
(``ps`` and shell history would show them), and they never appear in a message this module
raises.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

from .checkpoint import FileCheckpointStore
from .engine import Exporter, ExportOptions
from .hoop import HoopClient
from .sinks import CloudWatchSink, Sink, SplunkHecSink, SyslogSink


class SetupError(Exception):
    """A setting is missing or unusable; the message names the option or variable."""


@dataclass(frozen=True)
class RunnerSettings:
    hoop_url: str
    checkpoint: Path
    sink: Literal["cloudwatch", "splunk", "syslog"]
    hoop_token_secret: str | None = None
    hoop_ca_bundle: str | None = None
    log_group: str | None = None
    log_stream: str | None = None
    region: str | None = None
    hec_url: str | None = None
    hec_index: str | None = None
    hec_acks: bool = True
    hec_ca_bundle: str | None = None
    syslog_host: str | None = None
    syslog_port: int = 6514
    syslog_format: Literal["json", "cef"] = "json"
    syslog_tls: bool = True
    syslog_ca: str | None = None
    options: ExportOptions = field(default_factory=ExportOptions)


def _secret_from_manager(secret_id: str, region: str | None, key: str) -> str:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        value = boto3.client("secretsmanager", region_name=region).get_secret_value(
            SecretId=secret_id
        )
    except (BotoCoreError, ClientError) as err:
        code = getattr(err, "response", {}).get("Error", {}).get("Code", type(err).__name__)
        raise SetupError(f"cannot read secret {secret_id}: {code}") from None
    text = value.get("SecretString") or ""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        parsed = text
    if isinstance(parsed, dict):
        token = parsed.get(key)
        if not isinstance(token, str) or not token:
            raise SetupError(f"secret {secret_id} has no string key {key!r}")
        return token
    if not isinstance(parsed, str) or not parsed.strip():
        raise SetupError(f"secret {secret_id} is empty")
    return parsed.strip()


def hoop_token(settings: RunnerSettings) -> str:
    """``ZSP_HOOP_TOKEN`` or the secret named by ``--hoop-token-secret`` (key ``token``)."""
    if settings.hoop_token_secret:
        return _secret_from_manager(settings.hoop_token_secret, settings.region, "token")
    token = os.environ.get("ZSP_HOOP_TOKEN", "").strip()
    if not token:
        raise SetupError("no hoop API key: set ZSP_HOOP_TOKEN or pass --hoop-token-secret")
    return token


def build_sink(settings: RunnerSettings) -> Sink:
    if settings.sink == "cloudwatch":
        if not settings.log_group:
            raise SetupError("--log-group is required with --sink cloudwatch")
        stream = settings.log_stream or f"exporter-{socket.gethostname()}"
        return CloudWatchSink(settings.log_group, stream, region=settings.region)
    if settings.sink == "splunk":
        token = os.environ.get("ZSP_HEC_TOKEN", "").strip()
        if not settings.hec_url or not token:
            raise SetupError("--sink splunk needs --hec-url and ZSP_HEC_TOKEN")
        return SplunkHecSink(
            settings.hec_url,
            token,
            index=settings.hec_index,
            acks=settings.hec_acks,
            verify=settings.hec_ca_bundle or True,
        )
    if not settings.syslog_host:
        raise SetupError("--sink syslog needs --syslog-host")
    return SyslogSink(
        settings.syslog_host,
        settings.syslog_port,
        fmt=settings.syslog_format,
        tls=settings.syslog_tls,
        ca_file=settings.syslog_ca,
    )


def build_exporter(settings: RunnerSettings) -> Exporter:
    client = HoopClient(
        settings.hoop_url, hoop_token(settings), verify=settings.hoop_ca_bundle or True
    )
    return Exporter(
        client, build_sink(settings), FileCheckpointStore(settings.checkpoint), settings.options
    )


def options(
    lag: int,
    slice_seconds: int,
    backfill: int,
    batch_size: int,
    include_bodies: bool,
    max_body_bytes: int,
) -> ExportOptions:
    return ExportOptions(
        lag=timedelta(seconds=lag),
        slice=timedelta(seconds=slice_seconds),
        backfill=timedelta(seconds=backfill),
        batch_size=batch_size,
        include_bodies=include_bodies,
        max_body_bytes=max_body_bytes,
    )
