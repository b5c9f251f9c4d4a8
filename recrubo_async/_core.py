"""``ClientCore``: what every resource needs from its client (where, how to send, decode)."""

from __future__ import annotations

from collections.abc import Coroutine, Hashable
from typing import TYPE_CHECKING, Any

import aiohttp

from ._http import HTTPCore
from ._jsonapi import Codec
from ._pagination import QueryList
from ._types import NOT_GIVEN, NotGiven, TimeoutLike, to_client_timeout

if TYPE_CHECKING:
    from .idempotency._protocol import JobLedger
    from .waiters._protocol import CompletionWaiter


class ClientCore:
    """What resources need from the client: where, how to send, how to decode."""

    def __init__(
        self,
        *,
        base_url: str,
        http: HTTPCore,
        codec: Codec,
        timeout: aiohttp.ClientTimeout,
        waiter: CompletionWaiter,
        scope: Hashable = None,
        ledger: JobLedger | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: Everything that decides what this client may see (base URL, a digest of the
        #: credentials, the extra headers): waits share a poll only within one scope, so
        #: no organization ever sees a state fetched with another's key.
        self.scope = scope
        self.http = http
        self.codec = codec
        self.timeout = timeout
        #: How waits observe jobs when a call does not pass its own ``waiter=``.
        self.waiter = waiter
        #: Where creates with an ``idempotency_key`` record their intents (None: none).
        self.ledger = ledger

    def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryList | None = None,
        body: bytes | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, bytes]:
        """Send one API request (await the result); ``path`` is relative to the base URL.

        A plain function returning the send coroutine: one coroutine less per call.
        """
        return self.http.send(
            method,
            self.base_url + path,
            params,
            body,
            self.timeout if timeout is NOT_GIVEN else to_client_timeout(timeout),
        )
