"""``SyncWaiter``: the sandbox's ``?sync=true``, with a fallback when the answer is not final."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from ..models._base import Resource
from ._polling import PollingWaiter
from ._protocol import CompletionWaiter
from ._source import StateSource


class SyncWaiter:
    """Asks the API to answer the POST only when the job is done (sandbox only).

    Production ignores the flag and answers ``queued``; then, and for waits on existing
    resources, ``fallback`` observes the job.
    """

    sync_create = True

    def __init__(self, fallback: CompletionWaiter | None = None) -> None:
        self.fallback: CompletionWaiter = fallback or PollingWaiter()

    def __repr__(self) -> str:
        return f"SyncWaiter(fallback={self.fallback!r})"

    def observe(self, source: StateSource[Resource]) -> AsyncGenerator[Resource, None]:
        # The sync answer is source.initial; every fallback yields it first, so a final
        # answer ends the wait before the fallback sends anything.
        return self.fallback.observe(source)
