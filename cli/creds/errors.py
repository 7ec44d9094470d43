"""Errors of ``zsp creds``: one line, no secret value, an exit code."""

from __future__ import annotations

from zsp.cli import exit_codes
from zsp.cli.errors import ZspError


class CredsError(ZspError):
    """Obtaining, exchanging or caching a credential failed; the message says which step."""

    exit_code = exit_codes.USAGE


class TokenRejected(CredsError):
    """An IdP token failed verification (signature, issuer, audience, expiry or scope)."""
