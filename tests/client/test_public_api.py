"""The exported names are a contract: this pins them."""

from __future__ import annotations

import recrubo_async
from recrubo_async import errors, models


def test_top_level_exports() -> None:
    assert set(recrubo_async.__all__) == {
        "NOT_GIVEN",
        "APIConnectionError",
        "APIStatusError",
        "APITimeoutError",
        "AuthenticationError",
        "BadRequestError",
        "Client",
        "ClientClosedError",
        "ConfigurationError",
        "ConflictError",
        "DecodeError",
        "EventLoopError",
        "Hooks",
        "IdempotencyConflictError",
        "IdempotencyKeyReusedError",
        "InternalServerError",
        "JobFailedError",
        "JobMayExistError",
        "NotFoundError",
        "NotGiven",
        "Page",
        "PaginationCycleError",
        "Paginator",
        "PermissionDeniedError",
        "RateLimitError",
        "RecruboError",
        "RequestEvent",
        "ResourceDeletedError",
        "ResponseEvent",
        "ResponseTooLargeError",
        "RetryEvent",
        "ValidationError",
        "WaitError",
        "WaitEvent",
        "WaitTimeoutError",
        "__version__",
        "errors",
        "idempotency",
        "models",
    }
    for name in recrubo_async.__all__:
        assert hasattr(recrubo_async, name), name


def test_error_tree_matches_the_design() -> None:
    e = errors
    assert issubclass(e.APITimeoutError, e.APIConnectionError)
    assert issubclass(e.ResponseTooLargeError, e.APIConnectionError)
    for new_cls in (e.EventLoopError, e.PaginationCycleError, e.JobMayExistError):
        assert issubclass(new_cls, e.RecruboError)
    for cls in (e.APIConnectionError, e.APIStatusError, e.WaitError):
        assert issubclass(cls, e.RecruboError)
    for bus_cls in (e.BusClosedError, e.BusCheckError):
        assert issubclass(bus_cls, e.RecruboError)
    for cls in (
        e.BadRequestError,
        e.AuthenticationError,
        e.PermissionDeniedError,
        e.NotFoundError,
        e.ConflictError,
        e.ValidationError,
        e.RateLimitError,
        e.InternalServerError,
    ):
        assert issubclass(cls, e.APIStatusError)
    for wait_cls in (e.WaitTimeoutError, e.JobFailedError, e.ResourceDeletedError):
        assert issubclass(wait_cls, e.WaitError)
    for name in errors.__all__:
        assert getattr(recrubo_async, name, getattr(errors, name)) is getattr(errors, name)


def test_models_exports() -> None:
    assert models.__all__ == sorted(models.__all__)
    for name in models.__all__:
        assert hasattr(models, name), name


def test_webhook_setup_names_are_in_models() -> None:
    """``client.webhooks.ensure()`` takes ``WebhookSubscription``s, returns ``EnsureResult``."""
    assert {"EnsureResult", "WebhookSubscription"} <= set(models.__all__)


def test_version_is_a_string() -> None:
    assert isinstance(recrubo_async.__version__, str) and recrubo_async.__version__


def test_subpackage_exports() -> None:
    from recrubo_async import bus, testing, waiters, webhooks

    expected = {
        waiters: {
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
        },
        bus: {
            "BusCheckError",
            "BusClosedError",
            "CompletionBus",
            "InMemoryBus",
            "RedisBus",
            "ResourceEvent",
            "Subscription",
        },
        webhooks: {
            "SECRET_HEADER",
            "Claim",
            "DedupeStore",
            "InMemoryDedupe",
            "RedisDedupe",
            "WebhookEvent",
            "WebhookPayload",
            "WebhookReceiver",
            "WebhookResult",
        },
        testing: {
            "Delivery",
            "Emulator",
            "Faults",
            "FlowRunScript",
            "Organization",
            "Stats",
            "Timings",
            "retry_sleeps_disabled",
        },
    }
    for module, names in expected.items():
        assert set(module.__all__) == names, module.__name__
        for name in names:
            assert getattr(module, name) is not None


def test_one_class_behind_each_name_exported_twice() -> None:
    """The bus errors live in ``errors``; ``WebhookEvent`` in ``models``."""
    from recrubo_async import bus, webhooks

    assert bus.BusClosedError is errors.BusClosedError
    assert bus.BusCheckError is errors.BusCheckError
    assert webhooks.WebhookEvent is models.WebhookEvent


def test_an_error_the_sdk_never_raised_is_gone() -> None:
    """``WebhookVerificationError`` is removed: a receiver answers 401 (``authorize()``
    returns False) and never raised it."""
    assert not hasattr(recrubo_async, "WebhookVerificationError")
    assert not hasattr(errors, "WebhookVerificationError")


def test_the_aiohttp_glue_is_a_public_webhooks_module() -> None:
    """``recrubo_async.webhooks.aiohttp``; ``WebhookReceiver.add_routes`` and
    ``aiohttp_handler`` stay and delegate to it."""
    from recrubo_async.webhooks import WebhookReceiver
    from recrubo_async.webhooks import aiohttp as webhooks_aiohttp

    assert webhooks_aiohttp.__all__ == ["add_routes", "expect_handler", "handler"]
    for name in webhooks_aiohttp.__all__:
        assert callable(getattr(webhooks_aiohttp, name))
    assert callable(WebhookReceiver.add_routes) and callable(WebhookReceiver.aiohttp_handler)
