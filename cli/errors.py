"""Errors the CLI turns into one line on stderr and a stable exit code."""

from __future__ import annotations

from . import exit_codes


class ZspError(Exception):
    """A failure the user can act on; the message is printed as is, without a traceback.

    Messages name the file, key or line at fault and never carry a secret value.
    """

    exit_code: int = exit_codes.USAGE

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
