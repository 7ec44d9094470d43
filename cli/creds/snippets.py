"""Render the caller-side templates (``templates/identity/``) with a stack's real values.

The snippets are the hand-off to application teams: a GitHub Actions job, a GitLab CI job and a
Kubernetes Deployment that reach inference through the gateway without any stored secret.
"""

from __future__ import annotations

from typing import Any

import jinja2

from .render import SDK_ENV

SNIPPETS = {
    "github": "github-actions.yml.j2",
    "gitlab": "gitlab-ci.yml.j2",
    "kubernetes": "kubernetes.yaml.j2",
}


def render_snippet(kind: str, values: dict[str, Any]) -> str:
    """Render one snippet; a missing value is an error, never an empty string in YAML."""
    if kind not in SNIPPETS:
        raise ValueError(f"unknown snippet {kind!r} (one of {sorted(SNIPPETS)})")
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("zsp.templates", "identity"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - YAML output, not HTML
    )
    api = str(values.get("api", "openai"))
    defaults = {
        "idp": "cognito",
        "duration": "15m",
        "max_duration": "1h",
        "key_var": SDK_ENV[api][1],
    }
    return env.get_template(SNIPPETS[kind]).render(**{**defaults, **values})
