"""Completion waiters: how a job that the API finishes later becomes an awaitable.

=================  ==============================================================
``PollingWaiter``  GETs with backoff; concurrent waits on one id share one poll
``WebhookWaiter``  webhook events from a ``CompletionBus`` (optional fallback poll)
``HybridWaiter``   webhooks first, plus a slow safety-net poll for lost webhooks
``SyncWaiter``     the sandbox's ``?sync=true``, falling back when not final
=================  ==============================================================
"""

from __future__ import annotations

from ._conditions import JobSpec
from ._polling import PollingWaiter
from ._protocol import CompletionWaiter
from ._run import OnStatus
from ._source import StateSource
from ._sync import SyncWaiter
from ._token import WaitToken
from ._webhook import HybridWaiter, WebhookWaiter

__all__ = [
    "CompletionWaiter",
    "HybridWaiter",
    "JobSpec",
    "OnStatus",
    "PollingWaiter",
    "StateSource",
    "SyncWaiter",
    "WaitToken",
    "WebhookWaiter",
]
