"""Completion buses: how a webhook received anywhere resolves an ``await`` somewhere.

``InMemoryBus`` works inside one process. ``RedisBus`` (the ``redis`` extra) carries events
between processes.
"""

from __future__ import annotations

from ._event import ResourceEvent
from ._local import BusClosedError
from ._memory import InMemoryBus
from ._protocol import CompletionBus, Subscription

__all__ = ["BusClosedError", "CompletionBus", "InMemoryBus", "ResourceEvent", "Subscription"]
