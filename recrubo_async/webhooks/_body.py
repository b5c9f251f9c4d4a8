"""What adapters share when reading a body from an unauthenticated network peer.

A webhook URL is public: anyone can open a connection and send headers, then drip a body
byte by byte, or send more than any delivery needs. Adapters therefore check the secret
header first, then read the body in a loop that stops at ``max_body`` (whatever
``Content-Length`` claimed) and within ``read_timeout``.
"""

from __future__ import annotations

from .._within import within
from ._result import WebhookResult

__all__ = [
    "INCOMPLETE",
    "NOT_POST",
    "TIMED_OUT",
    "TOO_LARGE",
    "UNAUTHORIZED",
    "declared_too_large",
    "within",
]

UNAUTHORIZED = WebhookResult(status=401, reason="unauthorized")
TOO_LARGE = WebhookResult(status=413, reason="body too large")
TIMED_OUT = WebhookResult(status=408, reason="body read timed out")
NOT_POST = WebhookResult(status=405, reason="method not allowed")
INCOMPLETE = WebhookResult(status=400, reason="incomplete body")


def declared_too_large(content_length: int | None, limit: int) -> bool:
    """Whether ``Content-Length`` alone already says the body is over the limit."""
    return content_length is not None and content_length > limit
