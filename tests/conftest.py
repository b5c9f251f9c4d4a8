"""Shared fixtures: a scripted loopback server and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from recrubo_async import Client

from .scripted_server import ScriptedServer

API_KEY = "org-key-1234567890-very-secret"


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as srv:
        yield srv


@pytest.fixture
async def client(server: ScriptedServer) -> AsyncIterator[Client]:
    async with Client(API_KEY, base_url=server.url, max_retries=2) as c:
        yield c
