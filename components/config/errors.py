"""The one error type a broken stack file produces."""

from __future__ import annotations


class StackConfigError(Exception):
    """A stack config problem, located as precisely as we can: file, line, key.

    Rendered as a single line because it is read in CI logs and by people fixing a YAML file, not
    by a debugger; the Python traceback is never what they need.
    """

    def __init__(self, file: str, key: str | None, message: str, line: int | None = None):
        self.file = file
        self.key = key
        self.message = message
        self.line = line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")
