"""Fixtures for the emulator's own tests: an emulator, a plain HTTP client, a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from emu_helpers import Api, Receiver, serving_receiver
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
    async with serving_receiver() as rec:
        yield rec
