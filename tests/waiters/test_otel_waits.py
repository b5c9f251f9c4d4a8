"""OpenTelemetry for waits: one INTERNAL span per wait (its GETs as children, each status an
event, the outcome and what settled it), the pending-waits counter and the wait-duration
histogram. Real SDK, real emulator, webhooks over loopback to a real receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from recrubo_async.errors import ValidationError
from recrubo_async.waiters import CompletionWaiter, PollingWaiter, WebhookWaiter

from ..support.deployment import CONTEXT, FAST_POLL, PARAMETERS, Deployment, deployment
from ..support.otel import Recorded, children
from ..support.timing import eventually, result_of


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    rec = Recorded.make()
    yield rec
    rec.shutdown()


@asynccontextmanager
async def traced(recorded: Recorded, **options: Any) -> AsyncIterator[Deployment]:
    """A deployment on a manual clock whose client records into ``recorded``."""
    async with deployment(
        client_options=recorded.providers, **{"clock": "manual", **options}
    ) as env:
        recorded.exporter.clear()  # the set-up calls (webhook configuration)
        yield env


def generate(env: Deployment, recorded: Recorded, waiter: CompletionWaiter) -> asyncio.Task[Any]:
    """``create_and_wait`` inside the application's own span, ``job``."""
    tracer = recorded.tracer_provider.get_tracer("app")

    async def job() -> Any:
        with tracer.start_as_current_span("job"):
            return await env.client.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow",
                parameters=PARAMETERS,
                context=CONTEXT,
                waiter=waiter,
            )

    return asyncio.create_task(job())


async def finish_after_first_look(env: Deployment, task: asyncio.Task[Any]) -> Any:
    before = sum(env.emu.stats.gets.values())
    await eventually(
        lambda: sum(env.emu.stats.gets.values()) > before or task.done(), what="first look"
    )
    await env.emu.advance(30)
    return await result_of(task)


def wait_duration_points(recorded: Recorded) -> list[tuple[dict[str, Any], int]]:
    return [(dict(a), p.count) for a, p in recorded.points("recrubo.wait.duration") if p.count]


def pending(recorded: Recorded) -> dict[str, int]:
    return {
        str(a["recrubo.resource.type"]): p.value
        for a, p in recorded.points("recrubo.waits.pending")
    }


async def test_a_wait_settled_by_a_webhook_is_a_span_under_the_callers_with_its_create_and_look(
    recorded: Recorded,
) -> None:
    async with traced(recorded) as env:
        gen = await finish_after_first_look(env, generate(env, recorded, WebhookWaiter(env.bus)))
    spans = recorded.spans()
    (job,) = recorded.spans("job")
    (wait,) = children(spans, job)
    assert (wait.name, wait.kind) == ("wait flowGenerations", SpanKind.INTERNAL)
    assert dict(wait.attributes or {}) == {
        "recrubo.resource.type": "flowGenerations",
        "recrubo.resource.id": gen.id,
        "recrubo.wait.until": "finished",
        "recrubo.wait.waiter": "WebhookWaiter",
        "recrubo.wait.outcome": "done",
        "recrubo.wait.settled_by": "webhook",
        "recrubo.wait.gets": 1,
    }
    assert wait.status.status_code is StatusCode.UNSET
    # The create's POST, then the look after subscribing: both the wait's own.
    post, look = children(spans, wait)
    assert (post.name, post.kind) == ("POST", SpanKind.CLIENT)
    assert post.attributes is not None
    assert str(post.attributes["url.full"]).endswith("/flow-generations")
    assert post.attributes["http.response.status_code"] == 201
    assert post.end_time is not None and wait.start_time is not None
    assert wait.start_time <= (post.start_time or 0) <= post.end_time
    assert look.name == "GET"
    assert look.attributes is not None
    assert str(look.attributes["url.full"]).endswith(f"/flow-generations/{gen.id}")
    statuses = [e.attributes["recrubo.status"] for e in wait.events if e.attributes]
    assert statuses[0] == "queued"
    assert statuses[-1] == "finished"
    assert wait_duration_points(recorded) == [
        (
            {
                "recrubo.resource.type": "flowGenerations",
                "recrubo.wait.outcome": "done",
                "recrubo.wait.settled_by": "webhook",
            },
            1,
        )
    ]
    assert pending(recorded) == {"flowGenerations": 0}


async def test_a_wait_settled_by_a_poll_has_its_polls_as_children(recorded: Recorded) -> None:
    async with traced(recorded) as env:
        gen = await finish_after_first_look(
            env, generate(env, recorded, PollingWaiter(**FAST_POLL))
        )
    spans = recorded.spans()
    (job,) = recorded.spans("job")
    (wait,) = children(spans, job)
    assert wait.attributes is not None
    assert wait.attributes["recrubo.resource.id"] == gen.id
    assert wait.attributes["recrubo.wait.settled_by"] == "poll"
    assert wait.attributes["recrubo.wait.waiter"] == "PollingWaiter"
    post, *polls = children(spans, wait)
    assert (post.name, post.kind) == ("POST", SpanKind.CLIENT)
    assert len(polls) >= 2
    assert {p.name for p in polls} == {"GET"}
    assert all(str((p.attributes or {})["url.full"]).endswith(gen.id) for p in polls)
    points = wait_duration_points(recorded)
    assert [a for a, _ in points] == [
        {
            "recrubo.resource.type": "flowGenerations",
            "recrubo.wait.outcome": "done",
            "recrubo.wait.settled_by": "poll",
        }
    ]
    ((attributes, http),) = [
        (a, p)
        for a, p in recorded.points("http.client.request.duration")
        if a["http.request.method"] == "POST"
    ]
    assert http.count >= 1  # the set-up's subscriptions, then the create
    assert attributes["http.response.status_code"] == 201


async def test_a_pending_wait_is_counted_until_it_ends(recorded: Recorded) -> None:
    async with traced(recorded) as env:
        gen = await env.generation()
        task = asyncio.create_task(
            env.client.flow_generations.wait(gen.id, waiter=WebhookWaiter(env.bus))
        )
        await eventually(lambda: pending(recorded).get("flowGenerations") == 1, what="pending")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert pending(recorded) == {"flowGenerations": 0}
    (wait,) = recorded.spans("wait flowGenerations")
    assert wait.attributes is not None
    assert wait.attributes["recrubo.wait.outcome"] == "cancelled"
    assert "recrubo.wait.settled_by" not in wait.attributes
    assert wait.status.status_code is StatusCode.UNSET


async def test_a_create_and_wait_whose_create_is_refused_ends_its_wait_span_in_error(
    recorded: Recorded,
) -> None:
    """The refused POST is still the wait span's child; no wait began, so no duration."""
    async with traced(recorded) as env:
        with pytest.raises(ValidationError):
            await env.client.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow",
                parameters={},
                waiter=PollingWaiter(**FAST_POLL),
            )
    spans = recorded.spans()
    (wait,) = recorded.spans("wait flowGenerations")
    assert wait.parent is None
    assert wait.status.status_code is StatusCode.ERROR
    assert wait.attributes is not None
    assert wait.attributes["error.type"] == "recrubo_async.errors.ValidationError"
    assert "recrubo.resource.id" not in wait.attributes
    (post,) = children(spans, wait)
    assert post.attributes is not None
    assert (post.name, post.attributes["http.response.status_code"]) == ("POST", 422)
    assert pending(recorded) == {"flowGenerations": 0}
    assert wait_duration_points(recorded) == []
