"""Every duration a waiter or a wait accepts is checked: property tests over each argument.

Accepted: seconds (int or float) or a ``timedelta``, finite and positive (0 where it
means "at once"; ``inf`` and None where they mean "no limit"). Anything else raises a
``ValueError`` or ``TypeError`` that names the argument; a ``wait()``'s is raised when it
is awaited, like its other argument errors.
"""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recrubo_async import Client, WaitTimeoutError
from recrubo_async.bus import InMemoryBus
from recrubo_async.models import FlowGeneration
from recrubo_async.testing import Emulator
from recrubo_async.waiters import HybridWaiter, PollingWaiter, WebhookWaiter

from ..support.deployment import CONTEXT, PARAMETERS

#: Numbers of every kind (NaN, infinities, negatives, huge), timedeltas, and non-numbers.
durations = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**6), max_value=10**12),
    st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=10)),
    st.booleans(),
    st.none(),
    st.sampled_from(["1", b"1", [1]]),
)

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def seconds_of(value: object) -> float | None:
    """The oracle: seconds for a value any duration argument could accept, else None."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return None if math.isnan(value) else float(value)


def accepted(value: object, *, zero: bool = False, inf: bool = False, none: bool = False) -> bool:
    if value is None:
        return none
    seconds = seconds_of(value)
    if seconds is None:
        return False
    if math.isinf(seconds):
        return inf and seconds > 0
    return seconds > 0 or (zero and seconds == 0)


def refused(call: Any, name: str) -> None:
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert name in str(info.value)


@pytest.fixture
async def finished_generation(emu: Emulator, api: Client) -> FlowGeneration:
    gen = await api.flow_generations.create(
        flow_type="vacancy_application_flow", parameters=PARAMETERS, context=CONTEXT
    )
    await emu.advance(60)
    return gen


@PROPERTY
@given(timeout=durations)
async def test_wait_timeout_is_a_duration_none_or_inf(
    api: Client, finished_generation: FlowGeneration, timeout: Any
) -> None:
    waiter = PollingWaiter(interval=0.01, max_interval=0.05)
    wait = api.flow_generations.wait(finished_generation.id, timeout=timeout, waiter=waiter)
    if not accepted(timeout, zero=True, inf=True, none=True):
        with pytest.raises((ValueError, TypeError), match="timeout"):
            await wait
        return
    seconds = seconds_of(timeout)
    try:
        done = await asyncio.wait_for(wait, 30)
    except WaitTimeoutError:
        assert seconds is not None and seconds < 5  # only a deadline shorter than one GET
    else:
        assert done.status == "finished"


async def test_a_nan_timeout_puts_no_timer_in_the_loop(api: Client) -> None:
    loop = asyncio.get_running_loop()
    handles: list[Any] = loop._scheduled  # type: ignore[attr-defined]
    before = len(handles)
    with pytest.raises(ValueError, match="timeout must be a number of seconds; got NaN"):
        await api.flow_generations.wait("g-1", timeout=math.nan)
    assert len(handles) <= before
    assert not any(math.isnan(h.when()) for h in handles)


async def test_create_and_wait_refuses_a_bad_timeout_before_creating_anything(
    emu: Emulator, api: Client
) -> None:
    for bad in (math.nan, -1.0, "60"):
        with pytest.raises((ValueError, TypeError), match="timeout"):
            await api.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow",
                parameters=PARAMETERS,
                context=CONTEXT,
                timeout=bad,  # type: ignore[arg-type]
            )
    assert emu.stats.created["flowGenerations"] == 0


@PROPERTY
@given(timeout=durations)
async def test_wait_token_timeout_is_a_duration_none_or_inf(api: Client, timeout: Any) -> None:
    seconds = seconds_of(timeout)
    week = timedelta(days=7).total_seconds()
    if accepted(timeout, zero=True, inf=True, none=True) and (
        seconds is None or math.isinf(seconds) or seconds <= week
    ):
        token = api.flow_generations.wait_token("g-1", timeout=timeout)
        if seconds is None or math.isinf(seconds):
            assert token.deadline is None
        else:
            remaining = token.remaining()
            assert remaining is not None and 0 <= remaining <= seconds + 1
    else:
        refused(lambda: api.flow_generations.wait_token("g-1", timeout=timeout), "timeout")


@settings(max_examples=300, deadline=None)
@given(
    interval=durations,
    max_interval=durations,
    backoff=st.one_of(st.floats(allow_nan=True), st.integers(-5, 5), st.booleans()),
    jitter=st.one_of(st.floats(allow_nan=True), st.booleans()),
    initial_delay=durations,
)
def test_polling_waiter_arguments(
    interval: Any, max_interval: Any, backoff: Any, jitter: Any, initial_delay: Any
) -> None:
    def make() -> PollingWaiter:
        return PollingWaiter(
            interval=interval,
            max_interval=max_interval,
            backoff=backoff,
            jitter=jitter,
            initial_delay=initial_delay,
        )

    checks = [
        ("interval", accepted(interval)),
        ("max_interval", accepted(max_interval)),
        ("initial_delay", accepted(initial_delay, zero=True, none=True)),
        (
            "backoff",
            not isinstance(backoff, bool) and math.isfinite(backoff) and backoff >= 1,
        ),
        (
            "jitter",
            not isinstance(jitter, bool) and math.isfinite(jitter) and 0 <= jitter < 1,
        ),
    ]
    bad = [name for name, ok in checks if not ok]
    both = accepted(interval) and accepted(max_interval)
    if both and seconds_of(max_interval) < seconds_of(interval):  # type: ignore[operator]
        bad.append("max_interval")
    if bad:
        with pytest.raises((ValueError, TypeError)) as info:
            make()
        assert any(f"PollingWaiter({name}=...)" in str(info.value) for name in bad)
        return
    waiter = make()
    # Accepted values behave: every gap is a finite, positive number of seconds.
    for gap in (waiter.interval, waiter.max_interval):
        delay = waiter.next_delay(gap)
        assert math.isfinite(delay) and delay > 0
    assert math.isfinite(waiter.initial_delay) and waiter.initial_delay >= 0


@settings(max_examples=200, deadline=None)
@given(after=durations)
def test_webhook_waiter_fallback_poll_after(after: Any) -> None:
    bus = InMemoryBus()
    if accepted(after, zero=True, none=True):
        waiter = WebhookWaiter(bus, fallback_poll_after=after)
        assert waiter.fallback_poll_after is None or math.isfinite(waiter.fallback_poll_after)
    else:
        refused(lambda: WebhookWaiter(bus, fallback_poll_after=after), "fallback_poll_after")


@settings(max_examples=200, deadline=None)
@given(every=durations, longest=durations)
def test_hybrid_waiter_safety_poll_interval_and_max_interval(every: Any, longest: Any) -> None:
    bus = InMemoryBus()
    if not accepted(every):
        refused(lambda: HybridWaiter(bus, safety_poll_interval=every), "safety_poll_interval")
    elif not accepted(longest):
        refused(
            lambda: HybridWaiter(bus, safety_poll_interval=every, max_interval=longest),
            "max_interval",
        )
    else:
        waiter = HybridWaiter(bus, safety_poll_interval=every, max_interval=longest)
        assert math.isfinite(waiter.safety_poll_interval) and waiter.safety_poll_interval > 0
        assert waiter.fallback.max_interval >= waiter.fallback.interval


async def test_a_polling_waiter_refuses_nan_instead_of_spinning() -> None:
    for name in ("interval", "max_interval", "initial_delay"):
        with pytest.raises(ValueError, match=f"PollingWaiter\\({name}=...\\).*NaN"):
            PollingWaiter(**{name: math.nan})
