"""Checks for the arguments the SDK takes everywhere: durations and resource ids.

Every duration (timeouts, intervals, backoff, TTLs, token deadlines) and every id that
enters a URL path goes through these, so the rule is written once and the error names the
argument and says what would be accepted.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import overload

#: A duration as users give it: seconds (int or float) or a ``timedelta``.
Duration = float | int | timedelta


def _seconds(name: str, value: object) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    # bool is an int, but ``timeout=True`` is a mistake, not one second.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{name} must be a number of seconds or a datetime.timedelta; got {value!r}"
        )
    try:
        return float(value)
    except OverflowError:  # an int too large for a float (10**400)
        raise ValueError(
            f"{name} must be a finite number of seconds; got a {len(str(value))}-digit number"
        ) from None


@overload
def check_duration(
    name: str,
    value: Duration,
    *,
    allow_zero: bool = ...,
    allow_inf: bool = ...,
    none_ok: bool = ...,
) -> float: ...


@overload
def check_duration(
    name: str,
    value: Duration | None,
    *,
    allow_zero: bool = ...,
    allow_inf: bool = ...,
    none_ok: bool = ...,
) -> float | None: ...


def check_duration(
    name: str,
    value: Duration | None,
    *,
    allow_zero: bool = False,
    allow_inf: bool = False,
    none_ok: bool = False,
) -> float | None:
    """``value`` in seconds as a float, or a ``ValueError``/``TypeError`` naming ``name``.

    Args:
        name: the argument's name, as the user wrote it (``"timeout"``,
            ``"PollingWaiter(interval=...)"``).
        value: seconds or a ``timedelta``.
        allow_zero: whether 0 is meaningful (an immediate deadline, no jitter).
        allow_inf: whether ``inf`` means "no limit" here; it is then returned as ``None``,
            so callers need only one spelling of "no limit".
        none_ok: whether ``None`` ("no limit") is accepted; it is returned as ``None``.

    NaN is never accepted: it compares false with everything, so a NaN timer or interval
    silently breaks the loop's scheduling.
    """
    if value is None:
        if none_ok:
            return None
        raise TypeError(f"{name} must be a number of seconds; got None")
    seconds = _seconds(name, value)
    if math.isnan(seconds):
        raise ValueError(f"{name} must be a number of seconds; got NaN")
    if math.isinf(seconds):
        if seconds > 0 and allow_inf:
            return None
        hint = " (use None for no limit)" if none_ok else ""
        raise ValueError(f"{name} must be a finite number of seconds{hint}; got {seconds}")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        least = "0 or more" if allow_zero else "more than 0"
        raise ValueError(f"{name} must be {least} seconds; got {seconds:g}")
    return seconds


def check_factor(name: str, value: float, *, minimum: float, below: float | None = None) -> float:
    """A finite number ``>= minimum`` (and ``< below`` when given), e.g. backoff or jitter."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number; got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < minimum or (below is not None and number >= below):
        bound = f"in [{minimum:g}, {below:g})" if below is not None else f"{minimum:g} or more"
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}")
    return number


#: Ids that would change the meaning of the path they are put in.
_UNSAFE_IDS = frozenset({"", ".", ".."})


def check_path_id(value: object, what: str = "id") -> str:
    """``value`` if it is safe as one URL path segment, else a ``ValueError`` naming ``what``.

    Refused: non-strings, empty or blank ids, ``.`` and ``..`` (which would climb the
    path: ``DELETE /candidates/..`` is ``DELETE /``), and ids containing ``/``, ``\\``,
    ``;`` or control characters. ``;`` because URL libraries send it unquoted and many
    servers and proxies read ``..;`` as ``..`` (a path parameter). Other characters are
    percent-quoted by the caller.
    """
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a resource's id string (a UUID); got {value!r}")
    stripped = value.strip()
    if (
        stripped in _UNSAFE_IDS
        or "/" in value
        or "\\" in value
        or ";" in value
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)
    ):
        raise ValueError(
            f"{what} must be a resource's id (a UUID); {value!r} is not a safe path segment "
            "(empty, '.', '..', or containing '/', '\\', ';' or control characters)"
        )
    return value


def check_webhook_url(name: str, value: object) -> str:
    """A URL Recrubo can deliver webhooks to (``http://`` or ``https://``), else a
    ``ValueError`` naming ``name``."""
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValueError(f"{name} must be an http(s) URL; got {value!r}")
    return value


def check_header_secret(name: str, value: object) -> str:
    """A secret that travels in an HTTP header as it is, else a ``ValueError`` naming ``name``.

    Servers strip whitespace around header values and refuse control characters, so a
    secret with either (one read from a file ends in a newline) could never match: every
    delivery would be answered 401. The message never shows the secret.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    if value != value.strip() or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError(
            f"{name} has surrounding whitespace or control characters (a trailing newline "
            "from a file?), which an HTTP header cannot carry; strip it"
        )
    return value
