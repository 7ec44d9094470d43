"""AWS options shared by every command that talks to AWS (profile, region, endpoint URL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def aws_options(func: F) -> F:
    options = [
        click.option("--profile", default=None, help="AWS profile (default: the SDK's chain)."),
        click.option(
            "--region", default=None, help="AWS region (default: the stack's aws:region)."
        ),
        click.option(
            "--endpoint-url",
            default=None,
            envvar="ZSP_AWS_ENDPOINT_URL",
            help="Custom AWS endpoint (e.g. a local moto server for the offline demo).",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 64),
            default=8,
            show_default=True,
            help="Parallel AWS calls (boto3 adaptive retries throttle within this bound).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func
