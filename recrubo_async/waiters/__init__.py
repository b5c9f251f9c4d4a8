"""Completion waiters: how a job that the API finishes later becomes an awaitable.

| waiter            | how it learns that a job is done                                 |
| ----------------- | ---------------------------------------------------------------- |
| ``PollingWaiter`` | GETs with backoff; concurrent waits on one id share one poll     |
| ``WebhookWaiter`` | webhook events from a ``CompletionBus`` (optional fallback poll) |
| ``HybridWaiter``  | webhooks first, plus a slow safety-net poll for lost webhooks    |
| ``SyncWaiter``    | the sandbox's ``?sync=true``, falling back when not final        |
"""

from __future__ import annotations

# Where things are: _waitable.py (what a job resource adds: wait, watch, create_and_wait)
# starts every wait in _loop.py (the wait loop), which keeps a _tracker.py (the newest
# state) and a _deadline.py (its timeout). _source.py: StateSource, what a waiter reads;
# _protocol.py: CompletionWaiter; _conditions.py: JobSpec (each job's spec sits on its
# resource). The waiters: _polling.py, _webhook.py (+ _merge.py), _sync.py; _token.py.
from ._conditions import JobSpec
from ._loop import OnStatus
from ._polling import PollingWaiter
from ._protocol import CompletionWaiter
from ._source import CallableSource, StateSource
from ._sync import SyncWaiter
from ._token import WaitToken
from ._webhook import HybridWaiter, WebhookWaiter

__all__ = [
    "CallableSource",
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
