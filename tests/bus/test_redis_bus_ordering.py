"""RedisBus's publish script is the ordering rule in Lua: each case of the rule's table
goes through a real redis-server, and Redis must answer what the Python rule answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import redis.asyncio as aioredis

from recrubo_async._ordering import CASES, is_stale
from recrubo_async.bus import RedisBus, ResourceEvent

from ..support.redis_server import RedisServer


def resource(gid: str, updated_at: datetime | None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"status": "processing"}
    if updated_at is not None:
        attributes["updatedAt"] = updated_at.isoformat()
    return {"type": "flowGenerations", "id": gid, "attributes": attributes}


async def test_the_publish_script_agrees_with_the_rule_on_every_case(
    redis_server: RedisServer,
) -> None:
    bus = RedisBus(redis_server.url)
    try:
        for number, case in enumerate(CASES):
            gid = f"case-{number}"
            held = ResourceEvent.from_resource(
                resource(gid, case.held_updated_at), event=case.held_kind
            )
            new = ResourceEvent.from_resource(resource(gid, case.updated_at), event=case.kind)
            rule = is_stale(case.kind, case.updated_at, case.held_kind, case.held_updated_at)
            assert rule is case.stale, case
            assert await bus.publish(held) is True, case
            assert await bus.publish(new) is (not rule), case
            assert await bus.latest("flowGenerations", gid) == (held if rule else new), case
    finally:
        await bus.aclose()


def older_layout(event: ResourceEvent) -> bytes:
    """``event`` as an earlier version of the SDK stored it: the same fields, with the
    ordering ones (event, ts) not first, so the script must decode it whole."""
    fields = orjson.loads(event.to_json())
    order = ("type", "id", "event", "status", "updatedAt", "ts", "resource")
    return orjson.dumps({name: fields[name] for name in order})


async def test_the_publish_script_reads_the_ordering_from_the_head_of_the_stored_state(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """What the script matches is what ``to_json`` writes first: the event, then ``ts``."""
    bus = RedisBus(redis_server.url)
    try:
        event = ResourceEvent.from_resource(
            resource("head", CASES[0].held_updated_at), event="update"
        )
        assert await bus.publish(event) is True
        stored = await admin.get(bus._latest_key(event.key))
        assert isinstance(stored, bytes)
        ts = event.updated_at.timestamp() if event.updated_at else None
        assert stored.startswith(b'{"event":"update","ts":' + orjson.dumps(ts) + b",")
    finally:
        await bus.aclose()


async def test_states_stored_by_an_earlier_layout_are_ordered_by_the_same_rule(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """A held state written in the earlier layout (a rolling upgrade: older replicas still
    publishing) is decoded whole, and every case of the table still holds."""
    bus = RedisBus(redis_server.url)
    try:
        for number, case in enumerate(CASES):
            gid = f"old-{number}"
            held = ResourceEvent.from_resource(
                resource(gid, case.held_updated_at), event=case.held_kind
            )
            await admin.set(bus._latest_key(held.key), older_layout(held))
            new = ResourceEvent.from_resource(resource(gid, case.updated_at), event=case.kind)
            assert await bus.publish(new) is (not case.stale), case
            assert await bus.latest("flowGenerations", gid) == (held if case.stale else new), case
    finally:
        await bus.aclose()
