"""Every client-side duration (timeouts, retry time, backoff, Retry-After) is validated:
NaN, negative and nonsense values are refused naming the argument; ``None`` (and ``inf``
where it means "no limit") is no limit; whatever the server says, a delay is finite."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recrubo_async import Client
from recrubo_async._retry import RetryPolicy, parse_retry_after

from ..support.scripted_server import Reply, ScriptedServer

ONE = Reply(body={"data": {"type": "flowGenerations", "id": "g1", "attributes": {}}})

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from([0, 0.0, -0.0, -1e-9, 1e-9, math.inf, -math.inf, math.nan]),
)
durations = st.one_of(
    numbers,
    st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3)),
)
nonsense = st.sampled_from([True, False, "3", b"3", [1], object()])


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _refused(build: Any, name: str) -> bool:
    """True when ``build()`` raised a ValueError/TypeError naming ``name``."""
    try:
        build()
    except (ValueError, TypeError) as exc:
        error = exc
    else:
        return False
    assert name in str(error), f"the error does not name {name}: {error}"
    return True


@settings(max_examples=300, deadline=None)
@given(durations)
def test_client_timeout_accepts_exactly_positive_durations_and_no_limit(value: Any) -> None:
    seconds = _seconds(value)
    ok = seconds > 0 and not math.isnan(seconds)
    assert _refused(lambda: Client("k", timeout=value), "timeout") is not ok
    client = Client("k")
    assert _refused(lambda: client.with_options(timeout=value), "timeout") is not ok


@settings(max_examples=50, deadline=None)
@given(nonsense)
def test_a_timeout_of_the_wrong_type_is_refused(value: Any) -> None:
    assert _refused(lambda: Client("k", timeout=value), "timeout")


@pytest.mark.parametrize("part", ["total", "connect", "sock_read", "sock_connect"])
@pytest.mark.parametrize("bad", [math.nan, -1.0])
def test_a_client_timeout_object_with_a_bad_part_is_refused(part: str, bad: float) -> None:
    timeout = aiohttp.ClientTimeout(**{part: bad})
    assert _refused(lambda: Client("k", timeout=timeout), f"timeout.{part}")


@settings(max_examples=300, deadline=None)
@given(durations)
def test_max_retry_time_accepts_zero_or_more_and_inf(value: Any) -> None:
    seconds = _seconds(value)
    ok = seconds >= 0 and not math.isnan(seconds)
    assert _refused(lambda: Client("k", max_retry_time=value), "max_retry_time") is not ok
    client = Client("k")
    assert _refused(lambda: client.with_options(max_retry_time=value), "max_retry_time") is not ok


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.integers(-5, 10**9), numbers, nonsense))
def test_max_retries_accepts_whole_numbers_from_zero(value: Any) -> None:
    ok = type(value) is int and value >= 0
    assert _refused(lambda: Client("k", max_retries=value), "max_retries") is not ok


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["initial_delay", "max_delay", "max_retry_after"]), durations)
def test_retry_policy_delays_accept_zero_or_more_finite(field: str, value: Any) -> None:
    seconds = _seconds(value)
    ok = math.isfinite(seconds) and seconds >= 0
    assert _refused(lambda: RetryPolicy(**{field: value}), field) is not ok


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.sampled_from(["nan", "inf", "-inf", "-5", "1e400", "  7 ", "Wed, 21 Oct 2015 07:28:00"]),
        st.floats().map(str),
    ),
    st.integers(min_value=1, max_value=10**6),
)
def test_any_retry_after_gives_a_finite_bounded_delay(header: str, retry_number: int) -> None:
    """Whatever the server sends, and however many retries were allowed, a delay is a
    finite number within the policy's caps (``2**1100`` must not overflow)."""
    seconds = parse_retry_after(header)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)
    policy = RetryPolicy(max_retries=10**6)
    delay = policy.delay(retry_number, seconds)
    assert math.isfinite(delay) and 0 <= delay <= max(policy.max_retry_after, policy.max_delay)


@pytest.mark.parametrize("bad", [math.nan, -1, 0, -math.inf, True, "1"])
async def test_a_bad_per_call_timeout_is_refused_before_sending(
    server: ScriptedServer, client: Client, bad: Any
) -> None:
    with pytest.raises((ValueError, TypeError), match="timeout"):
        await client.flow_generations.retrieve("g1", timeout=bad)
    assert server.requests == []


@pytest.mark.parametrize("no_limit", [None, math.inf, timedelta(seconds=30), 30])
async def test_none_inf_and_timedelta_timeouts_work_per_call(
    server: ScriptedServer, client: Client, no_limit: Any
) -> None:
    server.default = ONE
    assert (await client.flow_generations.retrieve("g1", timeout=no_limit)).id == "g1"


async def test_client_durations_given_as_timedelta_work(server: ScriptedServer) -> None:
    server.add(Reply(status=503, headers={"Retry-After": "0"}), ONE)
    async with Client(
        "k",
        base_url=server.url,
        timeout=timedelta(seconds=30),
        max_retry_time=timedelta(minutes=1),
    ) as client:
        assert (await client.flow_generations.retrieve("g1")).id == "g1"
    assert len(server.requests) == 2
