"""RedisBus's publish script is the ordering rule in Lua: each case of the rule's table
goes through a real redis-server, and Redis must answer what the Python rule answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
