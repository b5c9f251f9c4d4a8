"""Receiving Recrubo webhooks: verify the secret, decode, dedupe, publish, dispatch.

``WebhookReceiver.handle(headers, body)`` is framework-neutral; ``add_routes(app, path)``
mounts it on an aiohttp application.
"""

from __future__ import annotations

from ._dedupe import DedupeStore, InMemoryDedupe
from ._payload import WebhookEvent, WebhookPayload
from ._receiver import WebhookReceiver, WebhookResult
from ._verify import SECRET_HEADER

__all__ = [
    "SECRET_HEADER",
    "DedupeStore",
    "InMemoryDedupe",
    "WebhookEvent",
    "WebhookPayload",
    "WebhookReceiver",
    "WebhookResult",
]
