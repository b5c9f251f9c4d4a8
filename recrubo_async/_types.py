"""Small shared types: the "not given" sentinel and timeout aliases."""

from __future__ import annotations

import enum
from typing import Final, Literal, TypeVar

import aiohttp

_T = TypeVar("_T")


class NotGiven(enum.Enum):
    """Marks an argument the caller left out, so that ``None`` can mean "none"."""

    NOT_GIVEN = enum.auto()

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> Literal[False]:
        return False


NOT_GIVEN: Final = NotGiven.NOT_GIVEN

#: Seconds as a number, a full ``aiohttp.ClientTimeout``, or ``None`` for no limit.
TimeoutLike = float | int | aiohttp.ClientTimeout | None

Environment = Literal["production", "sandbox"]


def given(value: _T | NotGiven, default: _T) -> _T:
    """Return ``value`` unless it is ``NOT_GIVEN``, else ``default``."""
    return default if value is NOT_GIVEN else value


def to_client_timeout(value: TimeoutLike) -> aiohttp.ClientTimeout:
    """Turn a user's timeout into the ``aiohttp.ClientTimeout`` for one HTTP call."""
    if value is None:
        return aiohttp.ClientTimeout(total=None)
    if isinstance(value, aiohttp.ClientTimeout):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(
            f"timeout must be a positive number of seconds, an aiohttp.ClientTimeout or None "
            f"(no limit); got {value!r}"
        )
    return aiohttp.ClientTimeout(total=float(value))
