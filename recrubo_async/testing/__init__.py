"""Testing with recrubo-async: the emulator (a separate distribution) and the retry switch.

The emulator is the ``recrubo-emulator`` distribution (package ``recrubo_emulator``),
installed apart from the SDK so that production installs carry no test server and no
pytest plugin. Its main names are re-exported here for convenience:

    from recrubo_async.testing import Emulator, Faults

``retry_sleeps_disabled()`` is the SDK's own testing switch: retries happen at once
instead of sleeping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._retry import retry_sleeps_disabled

if TYPE_CHECKING:
    from recrubo_emulator import (
        Delivery,
        Emulator,
        Faults,
        FlowRunScript,
        Organization,
        Stats,
        Timings,
    )

__all__ = [
    "Delivery",
    "Emulator",
    "Faults",
    "FlowRunScript",
    "Organization",
    "Stats",
    "Timings",
    "retry_sleeps_disabled",
]

_EMULATOR_NAMES = frozenset(__all__) - {"retry_sleeps_disabled"}

INSTALL_HINT = (
    "the Recrubo emulator is a separate distribution: pip install recrubo-emulator "
    "(or pip install 'recrubo-async[testing]')"
)


def __getattr__(name: str) -> Any:
    if name not in _EMULATOR_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        import recrubo_emulator
    except ImportError as exc:
        raise ImportError(f"recrubo_async.testing.{name}: {INSTALL_HINT}") from exc
    value = getattr(recrubo_emulator, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
