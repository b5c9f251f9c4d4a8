"""Building webhook deliveries the way Recrubo sends them, for receiver tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

SECRET = "whsec-test-0123456789"
BASE_TIME = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def generation(gid: str, status: str, *, seconds: int = 0) -> dict[str, Any]:
    updated = (BASE_TIME + timedelta(seconds=seconds)).isoformat()
    return {
        "type": "flowGenerations",
        "id": gid,
        "attributes": {"status": status, "updatedAt": updated, "flowType": "x"},
    }


def delivery(
    resource: dict[str, Any],
    *,
    event: str = "update",
    payload_id: str | None = None,
    fields: list[str] | None = None,
) -> bytes:
    attributes: dict[str, Any] = {
        "webhookId": "5a7a2f4e-0000-4000-8000-000000000001",
        "event": event,
        "resource": resource,
    }
    if fields is not None:
        attributes["fields"] = fields
    return orjson.dumps(
        {
            "data": {
                "type": "webhookPayload",
                "id": payload_id or str(uuid.uuid4()),
                "attributes": attributes,
            }
        }
    )


def headers(secret: str = SECRET) -> dict[str, str]:
    return {"X-Recrubo-Webhook-Secret": secret, "Content-Type": "application/vnd.api+json"}
