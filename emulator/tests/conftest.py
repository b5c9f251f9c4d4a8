"""Fixtures for the emulator's own tests: an emulator, a plain HTTP client, a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from emu_helpers import Api, Receiver
from recrubo_emulator import Emulator, Organization


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A sandbox emulator on a manual clock."""
    async with Emulator(clock="manual", seed=7) as emulator:
        yield emulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session."""
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def org(emu: Emulator) -> Organization:
    """An organization of ``emu``."""
    return await emu.create_organization("Acme")


@pytest.fixture
def api(emu: Emulator, org: Organization, session: aiohttp.ClientSession) -> Api:
    """A client of ``emu`` authenticated as ``org``."""
    return Api(session, emu.base_url, org.token)


@pytest.fixture
def partner(emu: Emulator, session: aiohttp.ClientSession) -> Api:
    """A client of ``emu`` authenticated with the partner key."""
    return Api(session, emu.base_url, emu.partner_key)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A running webhook receiver."""
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    rec.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield rec
    finally:
        await runner.cleanup()
