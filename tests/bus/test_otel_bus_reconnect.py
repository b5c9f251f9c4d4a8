"""OpenTelemetry for the Redis bus: ``recrubo.bus.reconnects`` counts each time the pub/sub
connection is restored after a real redis-server was killed and started again mid-run,
and events flow again after each restart."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterator

import pytest
from redis.exceptions import ConnectionError

from recrubo_async import _otel
from recrubo_async.bus import RedisBus, ResourceEvent, _redis_channels

from ..support.deliveries import generation
from ..support.otel import Recorded
from ..support.redis_server import RedisServer
from ..support.timing import eventually


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorded]:
    """The bus records into in-memory providers in place of the global ones (which a
    process can set only once); the bus asks for them at each reconnect."""
    rec = Recorded.make()
    telemetry = _otel.Telemetry(rec.tracer_provider, rec.meter_provider)
    monkeypatch.setattr(_redis_channels, "global_telemetry", lambda: telemetry)
    yield rec
    rec.shutdown()


def reconnects_counted(recorded: Recorded) -> int:
    """The ``recrubo.bus.reconnects`` sum collected now (0 before the first point)."""
    return sum(int(point.value) for _, point in recorded.points("recrubo.bus.reconnects"))


def kill(server: RedisServer) -> None:
    """SIGKILL the redis-server: no goodbye to its clients, as a crash would be."""
    proc = server._proc
    assert proc is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    server._proc = None


def reconnected(bus: RedisBus, times: int) -> Callable[[], bool]:
    return lambda: bus.reconnects >= times


async def publish(bus: RedisBus, event: ResourceEvent) -> None:
    """Publish; the publisher's pooled connection may still be the killed server's."""
    for _ in range(50):
        try:
            await bus.publish(event)
        except ConnectionError:
            await asyncio.sleep(0.1)
        else:
            return
    await bus.publish(event)


async def test_each_redis_restart_mid_run_adds_one_reconnect_to_the_metric(
    recorded: Recorded, redis_server: RedisServer
) -> None:
    bus = RedisBus(redis_server.url, reconnect_delay=0.05, max_reconnect_delay=0.5)
    web = RedisBus(redis_server.url)
    try:
        sub = await bus.subscribe("flowGenerations", "g1")
        assert reconnects_counted(recorded) == 0
        for round_, status in ((1, "processing"), (2, "finished")):
            kill(redis_server)
            await asyncio.to_thread(redis_server.start)
            # Generous: the listener backs off at most 0.5 s between attempts.
            await eventually(reconnected(bus, round_), 30, f"reconnect {round_}")
            assert reconnects_counted(recorded) == bus.reconnects == round_
            # The restored subscription delivers again (Redis restarted empty).
            state = generation("g1", status, seconds=round_)
            await publish(web, ResourceEvent.from_resource(state, event="update"))
            got = await asyncio.wait_for(sub.get(), 20)
            assert (got.id, got.status) == ("g1", status)
        await sub.close()
    finally:
        await web.aclose()
        await bus.aclose()
