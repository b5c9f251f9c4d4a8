"""``StateSource``: how a waiter reads one resource's state (GET, or a bus event)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable

from ..bus import ResourceEvent
from ..errors import NotFoundError, ResourceDeletedError
from ..models._base import Resource
from ._conditions import JobSpec


class StateSource:
    """One resource's states: the one the create call returned, fetched ones, bus events.

    Args:
        spec: the job kind.
        id: the resource id.
        fetch: GETs the resource (raises ``NotFoundError`` when it is gone).
        decode: turns a bus event's resource object into the typed model.
        initial: the state already in hand (the POST's answer), if any.
        seen: whether this client has already seen the resource (default: when ``initial``
            is given). A webhook waiter lets bus states settle the wait only once the
            wait's own client has seen the resource (this, or its own GET), because bus
            events carry no credentials: a state a client could not GET never reaches it.
        scope: what decides which states ``fetch`` can see (the client's base URL and
            credentials): waits share a poll only with waits of the same scope, so no wait
            ever sees a state fetched with another organization's key.
    """

    __slots__ = ("_decode", "_fetch", "id", "initial", "scope", "seen", "spec")

    def __init__(
        self,
        *,
        spec: JobSpec,
        id: str,
        fetch: Callable[[], Awaitable[Resource]],
        decode: Callable[[ResourceEvent], Resource],
        initial: Resource | None = None,
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

    @property
    def key(self) -> tuple[str, str]:
        return (self.spec.type, self.id)

    @property
    def client_closed(self) -> bool:
        """Whether the client ``fetch`` reads through is closed (never, unless told)."""
        return False

    def deleted(self) -> ResourceDeletedError:
        return ResourceDeletedError(f"{self.spec.type} {self.id} was deleted while waiting for it")

    async def fetch(self) -> Resource:
        """The current state; ``ResourceDeletedError`` when the API says it is gone."""
        try:
            return await self._get()
        except NotFoundError as exc:
            raise self.deleted() from exc

    def from_event(self, event: ResourceEvent) -> Resource:
        """The state a bus event carries; ``ResourceDeletedError`` for a delete."""
        if event.event == "delete":
            raise self.deleted()
        return self._decode_event(event)

    # The two ways in, as methods a subclass can replace (the SDK's own sources read
    # through their resource object, so that a pending wait holds no closures).

    def _get(self) -> Awaitable[Resource]:
        return self._fetch()

    def _decode_event(self, event: ResourceEvent) -> Resource:
        return self._decode(event)
