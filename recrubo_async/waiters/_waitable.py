"""``Waitable``: what a job resource (flow generations, flow runs, vacancy analyses) adds.

``wait``, ``watch`` and ``create_and_wait`` are written once here; each job resource names
its ``JobSpec`` (``_job``). Every wait starts in ``Waitable._wait``: a resource's states
(``_JobSource``) handed to the wait loop (``run_wait``, ``waiters/_loop.py``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator, Coroutine, Hashable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, TypeVar, cast

from .._billed import create_billed
from .._compat import mark_coroutine_function
from .._ids import checked_id
from .._jsonapi import RelationshipValue
from .._pagination import QueryList
from .._resource import Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from .._validate import Duration, check_duration
from ..bus import ResourceEvent
from ..errors import NotFoundError, ResourceDeletedError
from ..idempotency._protocol import JobLedger
from ..models._base import Resource
from ._conditions import JOB_SPECS, JobSpec
from ._loop import OnStatus, run_reported_wait, run_wait, watch_states
from ._protocol import CompletionWaiter
from ._source import deleted_error
from ._token import WaitToken

if TYPE_CHECKING:
    from .._otel import WaitSpan

_M = TypeVar("_M", bound=Resource)

#: The default overall limit of a wait, in seconds (``timeout=None`` waits forever).
DEFAULT_WAIT_TIMEOUT = 900.0


async def _raise(exc: Exception) -> NoReturn:
    raise exc


def _wait_timeout(timeout: Duration | None) -> float | None:
    """A wait's overall limit in seconds; None (no limit) for None or ``inf``."""
    return check_duration("timeout", timeout, allow_zero=True, allow_inf=True, none_ok=True)


class _JobSource(Generic[_M]):
    """A ``StateSource`` of one job: GET through its resource, events through its codec.

    It holds the resource object rather than two closures over it, and reads the spec and
    scope through it: with 100,000 waits parked, every slot or closure per wait counts
    (see benchmarks/waits.py).
    """

    __slots__ = ("_resource", "id", "initial", "origin", "seen")

    def __init__(self, resource: Waitable[_M], id: str, initial: _M | None, seen: bool) -> None:
        self._resource = resource
        self.id = id
        self.initial = initial
        self.seen = seen or initial is not None
        #: Where the state its waiter last yielded came from (``_source.tag``).
        self.origin: str | None = None

    @property
    def spec(self) -> JobSpec:
        return self._resource._job

    @property
    def scope(self) -> Hashable:
        return self._resource._core.scope

    @property
    def key(self) -> tuple[str, str]:
        return (self._resource._job.type, self.id)

    @property
    def client_closed(self) -> bool:
        return self._resource._core.http._holder.closed

    def deleted(self) -> ResourceDeletedError:
        return deleted_error(self._resource._job, self.id, self)

    def forget_initial(self) -> None:
        """The waiter has passed ``initial`` on (waiters read it first): a pending wait
        keeps no more of the create's answer than its tracker's summary."""
        self.initial = None

    async def fetch(self) -> _M:
        """The current state; ``ResourceDeletedError`` when the API says it is gone."""
        try:
            return await self._resource.retrieve(self.id)
        except NotFoundError as exc:
            raise self.deleted() from exc

    def from_event(self, event: ResourceEvent) -> _M:
        """The state a bus event carries; ``ResourceDeletedError`` for a delete."""
        if event.event == "delete":
            raise self.deleted()
        # The bus delivers only this resource's events: its type decodes to its model.
        return cast(_M, self._resource._core.codec.decode_resource(event.resource))


class _CreatedJobSource(_JobSource[_M]):
    """The source of a ``create_and_wait``, which waits for the time left after the create:
    a timeout's message reports the timeout asked for (``asked``), not that remainder.

    A subclass, so the waits that need no such slot do not carry one.
    """

    __slots__ = ("asked",)

    def __init__(
        self, resource: Waitable[_M], id: str, initial: _M | None, seen: bool, asked: float
    ) -> None:
        super().__init__(resource, id, initial, seen)
        self.asked = asked


class Waitable(Retrievable[_M]):
    """A resource whose jobs finish later: ``wait``, ``watch`` and ``create_and_wait``."""

    _job: ClassVar[JobSpec]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        job: JobSpec | None = cls.__dict__.get("_job")
        if job is not None:
            JOB_SPECS[job.type] = job  # what a WaitToken may name

    def _resolve_waiter(self, waiter: CompletionWaiter | None) -> CompletionWaiter:
        return waiter if waiter is not None else self._core.waiter

    def _source(
        self, id: str, initial: _M | None = None, *, seen: bool = False, asked: float | None = None
    ) -> _JobSource[_M]:
        if asked is not None:
            return _CreatedJobSource(self, id, initial, seen, asked)
        return _JobSource(self, id, initial, seen)

    def _wait(
        self,
        id: str,
        *,
        until: str,
        timeout: float | None,
        waiter: CompletionWaiter | None,
        on_status: OnStatus | None,
        initial: _M | None = None,
        seen: bool = False,
        synced: bool = False,
        started: float | None = None,
        asked: float | None = None,
        span: WaitSpan | None = None,
    ) -> Coroutine[Any, Any, _M]:
        """The one way a wait starts (``wait``, a resumed token, ``create_and_wait``).

        Arguments already checked. A plain method returning the wait loop's coroutine: no
        frame of its own stays parked with the wait. With ``on_wait`` hooks or
        OpenTelemetry (``_otel.py``), the loop is
        ``run_reported_wait`` (``synced``: ``initial`` answered a ``?sync=true`` create;
        ``started``: the wait's start, before its create; ``asked``: the timeout the caller
        gave, which a timeout's message reports in place of the time left after the create;
        ``span``: the wait's span, begun before the create).
        """
        http = self._core.http
        on_wait = http.hooks.on_wait
        if on_wait or http.telemetry is not None:
            return run_reported_wait(
                self._resolve_waiter(waiter),
                self._source(id, initial, seen=seen, asked=asked),
                until=until,
                timeout=timeout,
                on_status=on_status,
                on_wait=on_wait,
                initial_origin="sync" if synced else "create",
                started=started,
                telemetry=http.telemetry,
                span=span,
            )
        return run_wait(
            self._resolve_waiter(waiter),
            self._source(id, initial, seen=seen, asked=asked),
            until=until,
            timeout=timeout,
            on_status=on_status,
        )

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
            id=checked_id(id, "id", self._job.type),
            until=self._job.check_until(until),
            timeout=_wait_timeout(timeout),
        )

    @mark_coroutine_function
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
            rid = checked_id(id, "id", self._job.type)
            until = self._job.check_until(until)
            seconds = DEFAULT_WAIT_TIMEOUT if timeout is NOT_GIVEN else _wait_timeout(timeout)
        except (ValueError, TypeError) as exc:
            return _raise(exc)
        return self._wait(
            rid,
            until=until,
            timeout=seconds,
            waiter=waiter,
            on_status=on_status,
            # A model of this type was read by a client: this client's own, as far as the
            # SDK can tell (an id, which anyone can paste, proves nothing).
            seen=isinstance(id, Resource) and id.type == self._job.type,
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
        return await self._wait(
            checked_id(token.id, "WaitToken id"),
            until=self._job.check_until(until if until is not None else token.until),
            timeout=token.remaining() if timeout is NOT_GIVEN else _wait_timeout(timeout),
            waiter=waiter,
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
        source = self._source(checked_id(id, "id", self._job.type))
        states = watch_states(self._resolve_waiter(waiter), source)
        try:
            async for state in states:
                yield state
        finally:
            await states.aclose()  # closing this one does not close the one it iterates

    async def _create_job(
        self,
        attributes: Mapping[str, Any],
        *,
        relationships: Mapping[str, RelationshipValue] | None = None,
        params: QueryList | None = None,
        timeout: TimeoutLike | NotGiven,
        idempotency_key: str | None = None,
        ledger: JobLedger | None = None,
    ) -> _M:
        """POST a billed job once (``_billed.py``): ``create`` of every job kind; with an
        ``idempotency_key``, once per key (the recorded job otherwise).

        Raises:
            JobMayExistError: it failed in a way that may have created the job anyway.
        """
        return await create_billed(
            self,
            attributes,
            relationships=relationships,
            params=params,
            timeout=timeout,
            idempotency_key=idempotency_key,
            ledger=ledger,
        )

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
        idempotency_key: str | None = None,
        ledger: JobLedger | None = None,
    ) -> _M:
        """Create the job, then the ordinary wait with the created resource as its first state
        (with an ``idempotency_key`` already used: the recorded job's current state).

        The arguments are checked before the POST: a bad one bills nothing.
        """
        spec = self._job
        until = spec.check_until(until)
        limit = _wait_timeout(timeout)
        chosen = self._resolve_waiter(waiter)
        started = time.monotonic()
        synced = chosen.sync_create and spec.supports_sync
        telemetry = self._core.http.telemetry
        # With OpenTelemetry the wait's span begins before the POST: the create is its child.
        span = None if telemetry is None else telemetry.start_wait(spec.type, None, until, chosen)
        with contextlib.nullcontext() if span is None else span.creating():
            created = await self._create_job(
                attributes,
                relationships=relationships,
                params=[("sync", "true")] if synced else None,
                timeout=request_timeout,
                idempotency_key=idempotency_key,
                ledger=ledger,
            )
        if span is not None:
            span.created(created.id)
        remaining = None if limit is None else max(limit - (time.monotonic() - started), 0)
        wait = self._wait(
            created.id,
            until=until,
            timeout=remaining,
            waiter=chosen,
            on_status=on_status,
            initial=created,
            synced=synced,
            started=started,
            asked=limit,
            span=span,
        )
        # This frame stays parked with the wait: it keeps neither the create's answer (the
        # wait's tracker keeps a summary) nor the attributes sent (benchmarks/waits.py).
        del created, attributes, relationships
        return await wait
