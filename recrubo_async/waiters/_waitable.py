"""What job resources (flow generations, flow runs, vacancy analyses) add: waits.

``create_and_wait``, ``wait`` and ``watch`` are written once here; each job resource only
names its ``JobSpec``.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar, NoReturn, TypeVar

import aiohttp

from ._jsonapi import RelationshipValue
from ._pagination import QueryList
from ._resource import Retrievable, checked_id
from ._types import NOT_GIVEN, NotGiven, TimeoutLike
from ._validate import Duration, check_duration
from .bus import ResourceEvent
from .errors import (
    APIConnectionError,
    APIStatusError,
    DecodeError,
    JobMayExistError,
    ResponseTooLargeError,
)
from .models._base import Resource
from .waiters._conditions import JobSpec
from .waiters._protocol import CompletionWaiter
from .waiters._run import OnStatus, run_wait, watch_states
from .waiters._source import StateSource
from .waiters._token import WaitToken

_M = TypeVar("_M", bound=Resource)

#: The default overall limit of a wait, in seconds (``timeout=None`` waits forever).
DEFAULT_WAIT_TIMEOUT = 900.0

#: Statuses after which the API provably did not create anything.
_NOT_CREATED_STATUSES = frozenset(range(400, 500)) - {408}


_F = TypeVar("_F", bound=Callable[..., Any])

if sys.version_info >= (3, 12):
    _coroutine_function = inspect.markcoroutinefunction
else:

    def _coroutine_function(func: _F) -> _F:
        # What asyncio.iscoroutinefunction (and so unittest.mock) looks for before 3.12.
        func._is_coroutine = asyncio.coroutines._is_coroutine  # type: ignore[attr-defined]
        return func


async def _raise(exc: Exception) -> NoReturn:
    raise exc


def _never_reached(exc: APIConnectionError | APIStatusError | DecodeError) -> bool:
    """Whether a failed create provably created nothing, so sending it again is safe.

    A 4xx (but 408) or 503 answer, or no connection at all. Anything else (a timeout or a
    reset after sending, another 5xx, an unreadable or oversized 2xx) may hide a job.
    """
    if isinstance(exc, (APIStatusError, ResponseTooLargeError)):
        return exc.status in _NOT_CREATED_STATUSES or exc.status == 503
    if isinstance(exc, APIConnectionError):
        return isinstance(
            exc.__cause__, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
        )
    return False  # a DecodeError: the API answered 2xx, so the job exists


def _may_exist(
    type_name: str, started: datetime, exc: APIConnectionError | APIStatusError | DecodeError
) -> JobMayExistError:
    since = started.isoformat()
    return JobMayExistError(
        f"creating {type_name} failed ({exc}); the API may have created it anyway, so it "
        "was NOT sent again (it could be billed twice). Look for it with "
        f"list(filter={{'created_at': {{'gte': '{since}'}}}}, sort='-created_at') and "
        "resume with .wait(id) before creating it again",
        resource_type=type_name,
        created_after=started,
    )


def _wait_timeout(timeout: Duration | None) -> float | None:
    """A wait's overall limit in seconds; None (no limit) for None or ``inf``."""
    return check_duration("timeout", timeout, allow_zero=True, allow_inf=True, none_ok=True)


class _JobSource(StateSource):
    """The states of one job: GET through its resource, events through the client's codec.

    It holds the resource object rather than two closures over it: with 100,000 waits
    parked, a closure pair per wait is a few hundred KiB more (see benchmarks/waits.py).
    """

    __slots__ = ("_resource",)

    def __init__(
        self, resource: Waitable[Any], id: str, initial: Resource | None, seen: bool
    ) -> None:
        # fetch and decode are these methods, not callables stored by StateSource.__init__.
        self.spec = resource._job
        self.id = id
        self.initial = initial
        self.seen = seen or initial is not None
        self._resource = resource
        self.scope = resource._core.scope

    @property
    def client_closed(self) -> bool:
        return self._resource._core.http._holder.closed

    def _get(self) -> Awaitable[Resource]:
        return self._resource.retrieve(self.id)

    def _decode_event(self, event: ResourceEvent) -> Resource:
        return self._resource._core.codec.decode_resource(event.resource)


class Waitable(Retrievable[_M]):
    """A resource whose jobs finish later: ``wait``, ``watch`` and ``create_and_wait``."""

    _job: ClassVar[JobSpec]

    def _resolve_waiter(self, waiter: CompletionWaiter | None) -> CompletionWaiter:
        return waiter if waiter is not None else self._core.waiter

    def _source(
        self, id: str, initial: Resource | None = None, *, seen: bool = False
    ) -> StateSource:
        return _JobSource(self, id, initial, seen)

    def wait_token(
        self,
        id: str | Resource,
        *,
        until: str | None = None,
        timeout: Duration | None = DEFAULT_WAIT_TIMEOUT,
    ) -> WaitToken:
        """A token for a wait starting now, which any process can resume with ``wait``.

        ``timeout`` None or ``inf``: no deadline.
        """
        return WaitToken.starting_now(
            type=self._job.type,
            id=checked_id(id),
            until=self._job.check_until(until),
            timeout=_wait_timeout(timeout),
        )

    @_coroutine_function
    def wait(
        self,
        id: str | Resource | WaitToken,
        *,
        until: str | None = None,
        timeout: Duration | NotGiven | None = NOT_GIVEN,
        waiter: CompletionWaiter | None = None,
        on_status: OnStatus | None = None,
    ) -> Coroutine[Any, Any, _M]:
        """Wait until the job reaches ``until`` (by default its success state).

        A coroutine method: ``await client.flow_generations.wait(id)``.

        Args:
            id: the resource, its id, or a ``WaitToken`` (whose until and deadline apply
                unless given here).
            until: a state of this job kind (see the README's table).
            timeout: overall seconds (or a ``timedelta``) to wait (default 900; None or
                ``inf`` waits forever).
            waiter: how to observe the job (default: the client's waiter).
            on_status: called with each new status, for progress display.

        Raises:
            JobFailedError: the job ended in a failure state.
            ResourceDeletedError: the resource was deleted.
            WaitTimeoutError: the timeout passed; ``last_seen`` has the newest state.
        """
        # A plain method returning the wait loop's own coroutine: an ``async def`` here
        # would park one more coroutine frame per wait (about 290 B; benchmarks/waits.py).
        # Whatever can go wrong with the arguments is raised when awaited, as before.
        if isinstance(id, WaitToken):
            return self._resume(id, until, timeout, waiter, on_status)
        try:
            rid = checked_id(id)
            until = self._job.check_until(until)
            seconds = DEFAULT_WAIT_TIMEOUT if timeout is NOT_GIVEN else _wait_timeout(timeout)
        except (ValueError, TypeError) as exc:
            return _raise(exc)
        return run_wait(  # type: ignore[return-value]
            self._resolve_waiter(waiter),
            # A model of this type was read by a client: this client's own, as far as the
            # SDK can tell (an id, which anyone can paste, proves nothing).
            self._source(rid, seen=isinstance(id, Resource) and id.type == self._job.type),
            until=until,
            timeout=seconds,
            on_status=on_status,
        )

    async def _resume(
        self,
        token: WaitToken,
        until: str | None,
        timeout: Duration | NotGiven | None,
        waiter: CompletionWaiter | None,
        on_status: OnStatus | None,
    ) -> _M:
        """``wait`` for a token: its deadline is read when the wait starts."""
        if token.type != self._job.type:
            raise ValueError(
                f"this WaitToken is for {token.type}, not {self._job.type}; resume it with "
                f"the matching resource"
            )
        return await run_wait(  # type: ignore[return-value]
            self._resolve_waiter(waiter),
            self._source(checked_id(token.id, "WaitToken id")),
            until=self._job.check_until(until if until is not None else token.until),
            timeout=token.remaining() if timeout is NOT_GIVEN else _wait_timeout(timeout),
            on_status=on_status,
        )

    async def watch(
        self, id: str | Resource, *, waiter: CompletionWaiter | None = None
    ) -> AsyncGenerator[_M, None]:
        """Each distinct status change of the job, ending after a terminal state.

        Close it early with ``contextlib.aclosing`` (or let the loop finish) to release its
        subscription at once.

        Raises:
            ResourceDeletedError: the resource was deleted.
        """
        source = self._source(checked_id(id))
        states = watch_states(self._resolve_waiter(waiter), source)
        try:
            async for state in states:
                yield state  # type: ignore[misc]
        finally:
            await states.aclose()  # closing this one does not close the one it iterates

    async def _create_job(
        self,
        attributes: Mapping[str, Any],
        *,
        relationships: Mapping[str, RelationshipValue] | None = None,
        params: QueryList | None = None,
        timeout: TimeoutLike | NotGiven,
    ) -> _M:
        """POST a billed job once: ``create`` and ``create_and_wait`` of every job kind.

        Raises:
            JobMayExistError: it failed in a way that may have created the job anyway.
        """
        started = datetime.now(timezone.utc)
        try:
            return await self._create(
                attributes, relationships=relationships, params=params, timeout=timeout
            )
        except (APIConnectionError, APIStatusError, DecodeError) as exc:
            if _never_reached(exc):
                raise
            raise _may_exist(self._job.type, started, exc) from exc

    async def _create_and_wait(
        self,
        attributes: Mapping[str, Any],
        *,
        relationships: Mapping[str, RelationshipValue] | None = None,
        until: str | None,
        timeout: Duration | None,
        waiter: CompletionWaiter | None,
        on_status: OnStatus | None,
        request_timeout: TimeoutLike | NotGiven,
    ) -> _M:
        spec = self._job
        until = spec.check_until(until)
        limit = _wait_timeout(timeout)  # before the POST: a bad argument bills nothing
        chosen = self._resolve_waiter(waiter)
        sync = chosen.sync_create and spec.supports_sync
        started = time.monotonic()
        created = await self._create_job(
            attributes,
            relationships=relationships,
            params=[("sync", "true")] if sync else None,
            timeout=request_timeout,
        )
        remaining = None if limit is None else max(limit - (time.monotonic() - started), 0)
        return await run_wait(  # type: ignore[return-value]
            chosen,
            self._source(created.id, initial=created),
            until=until,
            timeout=remaining,
            on_status=on_status,
        )
