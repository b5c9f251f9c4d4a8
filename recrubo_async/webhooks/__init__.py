"""Receiving Recrubo webhooks: verify the secret, decode, dedupe, publish, dispatch.

``WebhookReceiver.asgi_app()`` is an ASGI application (mount it in Starlette or FastAPI,
or serve it with uvicorn); ``recrubo_async.webhooks.aiohttp.add_routes(receiver, app,
path)`` (or ``receiver.add_routes(app, path)``) mounts the receiver on an aiohttp
application. Both check the secret before reading the body and bound its size and read
time. For other frameworks the core is ``authorize(headers)`` then ``handle_body(body)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models.webhook import WebhookEvent
from ._dedupe import Claim, DedupeStore, InMemoryDedupe
from ._payload import WebhookPayload
from ._receiver import WebhookReceiver
from ._result import WebhookResult
from ._verify import SECRET_HEADER

if TYPE_CHECKING:
    from ._redis_dedupe import RedisDedupe

__all__ = [
    "SECRET_HEADER",
    "Claim",
    "DedupeStore",
    "InMemoryDedupe",
    "RedisDedupe",
    "WebhookEvent",
    "WebhookPayload",
    "WebhookReceiver",
    "WebhookResult",
]


def __getattr__(name: str) -> Any:
    # Imported on first use, so this package works without the redis extra.
    if name == "RedisDedupe":
        from ._redis_dedupe import RedisDedupe

        return RedisDedupe
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
