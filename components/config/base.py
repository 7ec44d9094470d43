"""Shared base for every stack-config section.

Pulumi stack files use camelCase keys (``zsp:gateway: {apiHost: ...}``) while components use
snake_case attributes; one alias generator serves both. ``extra="forbid"`` is what turns
a typo in ``stacks/Pulumi.<env>.yaml`` into an error instead of a silently ignored setting.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

REDACTED = "[redacted]"
"""What a secure config value reads as under ``zsp synth``: the value never enters the process."""


class Section(BaseModel):
    """Base of every config model: camelCase aliases, unknown keys refused, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
    )


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(value: Any) -> int:
    """Accept ``900``, ``"900"``, ``"15m"``, ``"1h30m"`` and return seconds.

    Durations are the values reviewers check most (token lifetimes, session limits), so they are
    written the way people say them and normalised once, here.
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 15m or 900")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            seconds = int(text)
        else:
            match = _DURATION.match(text)
            if not text or not match:
                raise ValueError(f"expected a duration such as 15m, 1h or 900 (got {value!r})")
            hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
            seconds = hours * 3600 + minutes * 60 + secs
    else:
        raise ValueError(f"expected a duration such as 15m or 900 (got {type(value).__name__})")
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


Seconds = Annotated[int, BeforeValidator(parse_duration)]
"""An integer number of seconds, written in config as ``900`` or ``15m``."""
