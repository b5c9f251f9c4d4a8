"""A local Recrubo API v2 for tests, examples and demos.

``Emulator`` is a real aiohttp server that behaves like the API as documented: every
resource and verb under ``/public/v2``, JSON:API documents and errors, filters, sorting,
pagination, includes, partner and organization keys, jobs on a controllable clock, webhooks
with retries, ``?sync=true`` in sandbox mode, and fault injection::

    async with Emulator(clock="manual") as emu:
        org = await emu.create_organization("Acme")
        ...  # talk to emu.base_url with "Authorization: Bearer {org.token}"
        await emu.advance(5)  # jobs and webhook deliveries due by then run now

Standalone: ``python -m recrubo_emulator --port 8080``. Under pytest the
``recrubo_emulator`` fixture yields a started sandbox Emulator.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._emulator import Emulator, Organization
    from ._engine import Timings
    from ._faults import Faults
    from ._jobs import FlowRunScript
    from ._stats import Stats
    from ._webhooks import Delivery

__all__ = [
    "Delivery",
    "Emulator",
    "Faults",
    "FlowRunScript",
    "Organization",
    "Stats",
    "Timings",
]

# Imported on first use: the pytest plugin lives in this package and loads into every
# pytest run, which should not pay for aiohttp unless the emulator is used.
_HOMES = {
    "Delivery": "._webhooks",
    "Emulator": "._emulator",
    "Faults": "._faults",
    "FlowRunScript": "._jobs",
    "Organization": "._emulator",
    "Stats": "._stats",
    "Timings": "._engine",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
