"""``StateSource``: how a waiter reads one resource's states (a GET, or a bus event).

The SDK's own waits read through their resource object (``waiters/_waitable.py``);
``CallableSource`` builds one from two callables, for an integration or a test.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from ..bus import ResourceEvent
from ..errors import NotFoundError, ResourceDeletedError
from ..models._base import Resource
from ._conditions import JobSpec

_M = TypeVar("_M", bound=Resource)
_M_co = TypeVar("_M_co", bound=Resource, covariant=True)


@runtime_checkable
class StateSource(Protocol[_M_co]):
    """One resource's states, as a waiter reads them: in hand, fetched, or from the bus.

    What ``CompletionWaiter.observe`` is given. ``fetch`` and ``from_event`` raise
    ``ResourceDeletedError`` (``deleted()``) when the resource is gone.

    Optional, outside the protocol: a writable ``origin`` attribute, where the SDK's
    waiters record what delivered each state (``tag``) for ``Hooks(on_wait=...)``.
    """

    @property
    def spec(self) -> JobSpec:
        """The job kind."""

    @property
    def id(self) -> str:
        """The resource id."""

    @property
    def initial(self) -> _M_co | None:
        """The state already in hand (the create call's answer), if any.

        A waiter reads it before it yields anything: once the wait has taken a state, the
        SDK's own sources drop it (``Tracker.park``), and it reads None.
        """

    @property
    def seen(self) -> bool:
        """Whether this client has seen the resource (``initial``, a model, its own GET).

        A webhook waiter lets bus states settle the wait only once it has, because bus
        events carry no credentials: a state a client could not GET never reaches it.
        """

    @property
    def scope(self) -> Hashable:
        """What decides which states ``fetch`` can see (base URL and credentials).

        Waits share a poll only with waits of the same scope, so no wait ever sees a
        state fetched with another organization's key.
        """

    @property
    def key(self) -> tuple[str, str]:
        """``(type, id)``: what the bus is keyed by."""

    @property
    def client_closed(self) -> bool:
        """Whether the client ``fetch`` reads through is closed."""

    def fetch(self) -> Awaitable[_M_co]:
        """The current state (a GET)."""

    def from_event(self, event: ResourceEvent) -> _M_co:
        """The state a bus event carries."""

    def deleted(self) -> ResourceDeletedError:
        """The error for a resource that is gone."""


#: Where a state came from, as a waiter records it on its source (``tag``) just before it
#: yields the state (or raises the delete): ``WaitEvent.settled_by``'s values. A source's
#: ``initial`` needs no tag: it is the create's answer ("sync" or "create").
WEBHOOK = "webhook"
POLL = "poll"
SAFETY_POLL = "safety_poll"
#: The origins that are GET answers (what ``WaitEvent.gets`` counts).
GET_ORIGINS = frozenset((POLL, SAFETY_POLL))
#: Tagged by the wait loop (and ``watch``) once a state has ended the wait, before it
#: closes the waiter's states: how a waiter tells that from a close for a timeout, a
#: cancellation or a ``break`` (``HybridWaiter.safety_poll_settled``). The state's own
#: origin has been read by then.
DECIDED = "decided"


def tag(source: StateSource[Any], origin: str | None) -> None:
    """Record on ``source`` where the state about to be yielded (or raised) came from.

    One slot per source (``origin``), rewritten per state, rather than an object per
    state. A source of its own making may have no such attribute: then nothing is
    recorded (a ``WaitEvent`` says ``settled_by=None``).
    """
    # Not contextlib.suppress: this runs for every state, and suppress makes an object.
    try:  # noqa: SIM105
        source.origin = origin  # type: ignore[attr-defined]
    except AttributeError:
        pass


def origin_of(source: StateSource[Any]) -> str | None:
    """The origin last recorded on ``source`` (None when it records none)."""
    value: str | None = getattr(source, "origin", None)
    return value


#: The attribute of a ``ResourceDeletedError`` made by ``deleted_error``: the ``id()`` of
#: the source it was made for (an int, so the error still pickles).
_SOURCE_ID = "_recrubo_source_id"


def deleted_error(
    spec: JobSpec, id: str, source: StateSource[Any] | None = None
) -> ResourceDeletedError:
    """A ``StateSource``'s ``deleted()``: the one message for a resource gone mid-wait,
    marked as ``source``'s own (``is_delete_of``)."""
    error = ResourceDeletedError(f"{spec.type} {id} was deleted while waiting for it")
    if source is not None:
        setattr(error, _SOURCE_ID, builtins.id(source))
    return error


def is_delete_of(error: BaseException, source: StateSource[Any]) -> bool:
    """Whether ``error`` is the delete ``source.deleted()`` made: that wait's own outcome,
    not one that some callback of it caught from elsewhere."""
    return getattr(error, _SOURCE_ID, None) == builtins.id(source)


class CallableSource(Generic[_M]):
    """A ``StateSource`` from callables: a GET and a bus-event decoder.

    Args:
        spec: the job kind.
        id: the resource id.
        fetch: GETs the resource (raises ``NotFoundError`` when it is gone).
        decode: turns a bus event's resource object into the typed model.
        initial: the state already in hand (the POST's answer), if any.
        seen: whether this client has already seen the resource (default: when ``initial``
            is given).
        scope: what decides which states ``fetch`` can see (see ``StateSource.scope``).
    """

    __slots__ = ("_decode", "_fetch", "id", "initial", "origin", "scope", "seen", "spec")

    def __init__(
        self,
        *,
        spec: JobSpec,
        id: str,
        fetch: Callable[[], Awaitable[_M]],
        decode: Callable[[ResourceEvent], _M],
        initial: _M | None = None,
        seen: bool | None = None,
        scope: Hashable = None,
    ) -> None:
        self.spec = spec
        self.id = id
        self._fetch = fetch
        self._decode = decode
        self.initial = initial
        self.seen = initial is not None if seen is None else seen
        self.scope = scope
        #: Where the state last yielded from it came from (see ``tag``).
        self.origin: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.spec.type, self.id)

    @property
    def client_closed(self) -> bool:
        """Never: the callables say nothing of a client."""
        return False

    def deleted(self) -> ResourceDeletedError:
        return deleted_error(self.spec, self.id, self)

    async def fetch(self) -> _M:
        """The current state; ``ResourceDeletedError`` when the API says it is gone."""
        try:
            return await self._fetch()
        except NotFoundError as exc:
            raise self.deleted() from exc

    def from_event(self, event: ResourceEvent) -> _M:
        """The state a bus event carries; ``ResourceDeletedError`` for a delete."""
        if event.event == "delete":
            raise self.deleted()
        return self._decode(event)
