"""``WebhookResult``: what a receiver answers, shared by the receiver and its adapters."""

from __future__ import annotations

import attrs

from .._construct import constructor
from ._payload import WebhookPayload


# One per delivery: no ``__weakref__`` slot, so that ``_construct`` builds it by plain
# slot stores.
@attrs.frozen(kw_only=True, weakref_slot=False)
class WebhookResult:
    """What to answer Recrubo, and what was received.

    Attributes:
        status: the HTTP status to send (200, 400, 401, 413, 500, or 503 while another
            replica handles the same delivery; the adapters also
            answer 405 to other methods and 408 to a body not sent within
            ``read_timeout``).
        reason: a short word for logs and the response body (never a secret).
        payload: the decoded payload, when it got that far.
    """

    status: int
    reason: str
    payload: WebhookPayload | None = None

    @property
    def ok(self) -> bool:
        return self.status < 300


#: ``answered(status, reason, payload)`` builds ``WebhookResult(status=..., reason=...,
#: payload=...)`` by slot stores (``_construct.py``): the same object, for every delivery.
answered = constructor(WebhookResult, fast=True)
