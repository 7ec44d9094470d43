"""Jinja2 templates shipped with zsp (config files, reports, consumer snippets)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined


def environment() -> Environment:
    """The one Jinja2 environment: undefined variables are errors, never empty strings."""
    return Environment(
        loader=PackageLoader("zsp.templates", ""),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - renders YAML/shell/Markdown, never HTML
    )
