"""Small shared types: the "not given" sentinel and timeout aliases."""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Final, Literal, TypeVar

import aiohttp

from ._validate import check_duration

_T = TypeVar("_T")


class NotGiven(enum.Enum):
    """Marks an argument the caller left out, so that ``None`` can mean "none"."""

    NOT_GIVEN = enum.auto()

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> Literal[False]:
        return False


NOT_GIVEN: Final = NotGiven.NOT_GIVEN

#: Seconds as a number or ``timedelta``, a full ``aiohttp.ClientTimeout``, or ``None`` for
#: no limit.
TimeoutLike = float | int | timedelta | aiohttp.ClientTimeout | None

Environment = Literal["production", "sandbox"]


def given(value: _T | NotGiven, default: _T) -> _T:
    """Return ``value`` unless it is ``NOT_GIVEN``, else ``default``."""
    return default if value is NOT_GIVEN else value


def to_client_timeout(value: TimeoutLike, name: str = "timeout") -> aiohttp.ClientTimeout:
    """Turn a user's timeout into the ``aiohttp.ClientTimeout`` for one HTTP call.

    ``None`` and ``inf`` mean no limit; NaN, zero and negative values are refused (aiohttp
    would arm a timer that never fires, or fires at once).
    """
    if isinstance(value, aiohttp.ClientTimeout):
        return _checked_client_timeout(value, name)
    return aiohttp.ClientTimeout(total=check_duration(name, value, allow_inf=True, none_ok=True))


def _checked_client_timeout(value: aiohttp.ClientTimeout, name: str) -> aiohttp.ClientTimeout:
    parts = {
        part: check_duration(f"{name}.{part}", getattr(value, part), allow_inf=True, none_ok=True)
        for part in ("total", "connect", "sock_read", "sock_connect")
    }
    if all(parts[part] == getattr(value, part) for part in parts):
        return value
    return aiohttp.ClientTimeout(**parts, ceil_threshold=value.ceil_threshold)
