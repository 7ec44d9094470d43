"""Durations on the command line (``7d``, ``48h``, ``90m``) for grace periods."""

from __future__ import annotations

import re

from .errors import ZspError

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_grace(text: str) -> int:
    """Seconds in ``text``; ``0`` allowed (delete immediately after deactivation)."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhms]?)\s*", text)
    if not match:
        raise ZspError(f"--grace {text!r}: expected a duration such as 7d, 48h or 0")
    return int(match.group(1)) * _UNITS[match.group(2) or "s"]
