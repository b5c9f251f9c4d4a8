"""Where the examples run: the real API when configured, else an embedded emulator.

With ``RECRUBO_API_KEY`` and ``RECRUBO_BASE_URL`` set, examples talk to that API. Otherwise
they start ``recrubo_async.testing.Emulator`` in process and use a fresh organization, so
they run with no key and no network.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs

from recrubo_async.testing import Emulator


@attrs.frozen
class Target:
    api_key: str = attrs.field(repr=False)
    base_url: str
    emulator: Emulator | None


@asynccontextmanager
async def api_target(**emulator_options: Any) -> AsyncIterator[Target]:
    key, url = os.environ.get("RECRUBO_API_KEY"), os.environ.get("RECRUBO_BASE_URL")
    if key and url:
        yield Target(key, url, None)
        return
    async with Emulator(**emulator_options) as emu:
        org = await emu.create_organization("Example organization")
        yield Target(org.token, emu.base_url, emu)
