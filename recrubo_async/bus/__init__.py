"""Completion buses: how a webhook received anywhere resolves an ``await`` somewhere.

``InMemoryBus`` works inside one process. ``RedisBus`` (the ``redis`` extra) carries events
between processes; it is imported on first use, so this package works without redis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import BusCheckError, BusClosedError
from ._event import ResourceEvent
from ._memory import InMemoryBus
from ._protocol import CompletionBus, Subscription

if TYPE_CHECKING:
    from ._redis import RedisBus

__all__ = [
    "BusCheckError",
    "BusClosedError",
    "CompletionBus",
    "InMemoryBus",
    "RedisBus",
    "ResourceEvent",
    "Subscription",
]


def __getattr__(name: str) -> Any:
    if name == "RedisBus":
        from ._redis import RedisBus

        return RedisBus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
