"""Counters of what the emulator received and did."""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs


@attrs.define
class Stats:
    """Counters, all starting at zero.

    Attributes:
        requests: per ``"METHOD /route"``, e.g. ``"POST /flow-generations"`` or
            ``"GET /flow-generations/{id}"``.
        responses: per HTTP status answered.
        created: resources created through the API, per JSON:API type.
        gets: GETs of a single resource, per resource id.
        faults: injected faults per kind (``latency``, ``429``, ``500``, ``503``,
            ``reset_before``, ``reset_after``, ``stall_after``, ``webhook_drop``,
            ``webhook_duplicate``, ``webhook_delay``, ``webhook_reorder``).
        webhooks: delivery attempts: ``attempts``, ``delivered``, ``failed``, ``dropped``,
            ``duplicated``, ``gave_up``, ``discarded`` (not sent: the subscription or the
            organization was deleted before the attempt).
    """

    requests: Counter[str] = attrs.field(factory=Counter)
    responses: Counter[int] = attrs.field(factory=Counter)
    created: Counter[str] = attrs.field(factory=Counter)
    gets: Counter[str] = attrs.field(factory=Counter)
    faults: Counter[str] = attrs.field(factory=Counter)
    webhooks: Counter[str] = attrs.field(factory=Counter)

    def as_dict(self) -> dict[str, dict[str, int]]:
        """Every counter as a plain mapping with string keys, sorted (the stats endpoint's
        body: ``GET /_emulator/stats``)."""
        counters: dict[str, Counter[Any]] = {
            "requests": self.requests,
            "responses": self.responses,
            "created": self.created,
            "gets": self.gets,
            "faults": self.faults,
            "webhooks": self.webhooks,
        }
        return {
            name: {str(key): count for key, count in sorted(counter.items(), key=_key)}
            for name, counter in counters.items()
        }

    def reset(self) -> None:
        """Set every counter back to zero."""
        for counter in (
            self.requests,
            self.responses,
            self.created,
            self.gets,
            self.faults,
            self.webhooks,
        ):
            counter.clear()


def _key(item: tuple[Any, int]) -> str:
    return str(item[0])
