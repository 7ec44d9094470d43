"""A string that does not print itself.

Credentials travel through dataclasses, exceptions and log calls; wrapping them means an accidental
``repr``/``str``/f-string shows ``***`` instead of the token (invariant 1).
"""

from __future__ import annotations


class SecretStr:
    """Holds a secret; only ``reveal()`` returns it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)
