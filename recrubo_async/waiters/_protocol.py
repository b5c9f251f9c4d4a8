"""The ``CompletionWaiter`` protocol."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Protocol, runtime_checkable

from ..models._base import Resource
from ._source import StateSource


@runtime_checkable
class CompletionWaiter(Protocol):
    """Decides how a job's progress is observed (polling, webhooks, sandbox sync, ...).

    ``observe`` yields states of one resource as they become known, oldest first, forever
    (the caller stops iterating once satisfied, times out, or is cancelled; closing the
    iterator must release everything the waiter held for it). It raises
    ``ResourceDeletedError`` when the resource is gone.
    """

    #: Whether creating a job should ask for ``?sync=true`` (sandbox only).
    sync_create: bool

    def observe(self, source: StateSource[Resource]) -> AsyncGenerator[Resource, None]: ...
