"""SIEM shipping (``zsp:siem``): where session and credential events go, and how they get there.

The exporter always writes OCSF events to one KMS-encrypted CloudWatch log group. From there a
subscription filter feeds Kinesis Data Firehose, whose destination is one of:

* ``splunk`` — Splunk HEC, token read by Firehose from Secrets Manager, failed events to S3;
* ``http`` — a generic HTTP endpoint (Datadog, Elastic …), access key from Secrets Manager;
* ``s3`` — an encrypted, partitioned S3 bucket only (Security Lake-style landing zone);
* ``cloudwatch`` — no Firehose at all: the log group is the SIEM (small or dev stacks).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl, field_validator, model_validator

from .base import Seconds, Section

LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
"""The only values CloudWatch Logs accepts for ``retentionInDays``."""

SECRETS_MANAGER_ID = r"^[A-Za-z0-9/_+=.@-]{1,512}$"
CRON = r"^(\S+\s+){4}\S+$"


def _https(url: HttpUrl) -> HttpUrl:
    if url.scheme != "https":
        raise ValueError("must be an https:// URL (events and tokens cross the network)")
    return url


class SplunkDestination(Section):
    """Splunk HEC behind Firehose."""

    hec_url: HttpUrl = Field(
        description="HEC base URL, e.g. https://http-inputs-acme.splunkcloud.com"
    )
    hec_token_secret: str = Field(
        pattern=SECRETS_MANAGER_ID,
        description='Secrets Manager secret holding {"hec_token": ...}; zsp creates it empty.',
    )
    endpoint_type: Literal["Raw", "Event"] = "Raw"
    ack_timeout: Seconds = Field(default=300, ge=180, le=600)
    retry_duration: Seconds = Field(default=3600, ge=0, le=7200)

    _tls = field_validator("hec_url")(_https)


class HttpDestination(Section):
    """A generic Firehose HTTP endpoint (Datadog, Elastic, Sumo Logic …)."""

    name: str = Field(min_length=1, max_length=256)
    url: HttpUrl
    access_key_secret: str = Field(
        pattern=SECRETS_MANAGER_ID,
        description='Secrets Manager secret holding {"api_key": ...}; zsp creates it empty.',
    )
    common_attributes: dict[str, str] = Field(default_factory=dict)
    retry_duration: Seconds = Field(default=3600, ge=0, le=7200)

    _tls = field_validator("url")(_https)


class ExporterSettings(Section):
    """The session exporter workload (Kubernetes) and how it reads hoop."""

    mode: Literal["deployment", "cronjob"] = "deployment"
    schedule: str = Field(default="*/5 * * * *", pattern=CRON)
    interval: Seconds = Field(default=60, ge=10, le=3600)
    namespace: str = Field(default="zsp-siem", pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    image: str = Field(description="zsp image with the exporter, pinned by tag or digest.")
    hoop_api_url: HttpUrl
    hoop_token_secret: str = Field(
        pattern=SECRETS_MANAGER_ID,
        description="Secrets Manager secret with the hoop API key the exporter reads at start.",
    )
    lag: Seconds = Field(default=60, ge=5, le=3600)
    batch_size: int = Field(default=500, ge=1, le=10000)
    include_bodies: bool = False
    checkpoint_size: str = "1Gi"
    storage_class: str | None = None

    @field_validator("image")
    @classmethod
    def _pinned(cls, value: str) -> str:
        tag = value.rsplit("/", 1)[-1]
        if "@sha256:" not in value and (":" not in tag or tag.endswith(":latest")):
            raise ValueError(f"image {value!r} must be pinned by tag or digest, not latest")
        return value


class SiemSettings(Section):
    """``zsp:siem``."""

    destination: Literal["splunk", "http", "s3", "cloudwatch"]
    retention_days: int = Field(default=90)
    backup_retention_days: int = Field(default=365, ge=1, le=3650)
    splunk: SplunkDestination | None = None
    http: HttpDestination | None = None
    exporter: ExporterSettings

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"retentionDays must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}"
            )
        return value

    @model_validator(mode="after")
    def _destination_section(self) -> SiemSettings:
        if self.destination == "splunk" and self.splunk is None:
            raise ValueError("destination splunk needs a splunk section")
        if self.destination == "http" and self.http is None:
            raise ValueError("destination http needs an http section")
        if self.destination != "splunk" and self.splunk is not None:
            raise ValueError("a splunk section is only used with destination splunk")
        if self.destination != "http" and self.http is not None:
            raise ValueError("an http section is only used with destination http")
        return self
