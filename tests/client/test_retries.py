"""Retry policy: what is retried, how long the client waits, and what is never resent."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time

import pytest

from recrubo_async import (
    APIConnectionError,
    APIStatusError,
    Client,
    Hooks,
    InternalServerError,
    JobMayExistError,
    NotFoundError,
    RateLimitError,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
    _retry,
)
from recrubo_async._retry import RetryPolicy, parse_retry_after, retry_sleeps_disabled

from ..support.scripted_server import Reply, Reset, ScriptedServer

OK_ONE = Reply(body={"data": {"type": "flowGenerations", "id": "g1", "attributes": {}}})
CREATED = Reply(status=201, body=OK_ONE.body)


def unavailable(retry_after: str | None = None) -> Reply:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Reply(status=503, body={"errors": [{"status": "503"}]}, headers=headers)


class Recorder:
    def __init__(self) -> None:
        self.retries: list[RetryEvent] = []
        self.requests: list[RequestEvent] = []
        self.responses: list[ResponseEvent] = []

    def hooks(self) -> Hooks:
        async def on_response(event: ResponseEvent) -> None:
            self.responses.append(event)

        return Hooks(
            on_request=self.requests.append,
            on_response=on_response,
            on_retry=[self.retries.append],
        )


@pytest.fixture(autouse=True)
def _no_sleeps() -> object:
    with retry_sleeps_disabled():
        yield


async def test_get_is_retried_on_503_and_honours_retry_after(server: ScriptedServer) -> None:
    server.add(unavailable("7"), OK_ONE)
    rec = Recorder()
    async with Client("k", base_url=server.url, hooks=rec.hooks()) as client:
        gen = await client.flow_generations.retrieve("g1")
    assert gen.id == "g1"
    assert len(server.requests) == 2
    (retry,) = rec.retries
    assert retry.delay == 7.0
    assert retry.status == 503
    assert [r.attempt for r in rec.requests] == [1, 2]
    assert [r.status for r in rec.responses] == [503, 200]


async def test_retry_after_as_http_date(server: ScriptedServer) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.add(unavailable(when), OK_ONE)
    rec = Recorder()
    async with Client("k", base_url=server.url, hooks=rec.hooks()) as client:
        await client.flow_generations.retrieve("g1")
    assert 25 <= rec.retries[0].delay <= 30


def _asctime(timestamp: float) -> str:
    """RFC 9110's third (obsolete) HTTP-date form, "Sun Nov  6 08:49:37 1994": UTC."""
    return time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(timestamp))


async def test_retry_after_as_an_asctime_date_is_honoured(server: ScriptedServer) -> None:
    """An HTTP date without a zone (asctime form) is UTC, as every HTTP date."""
    server.add(unavailable(_asctime(time.time() + 30)), OK_ONE)
    rec = Recorder()
    async with Client("k", base_url=server.url, hooks=rec.hooks()) as client:
        await client.flow_generations.retrieve("g1")
    assert 25 <= rec.retries[0].delay <= 30


async def test_retry_after_is_capped(server: ScriptedServer) -> None:
    server.add(unavailable("86400"), OK_ONE)
    rec = Recorder()
    async with Client("k", base_url=server.url, hooks=rec.hooks(), max_retry_time=1000) as client:
        await client.flow_generations.retrieve("g1")
    assert rec.retries[0].delay == RetryPolicy().max_retry_after


async def test_retries_stop_when_the_total_time_budget_would_be_exceeded(
    server: ScriptedServer,
) -> None:
    server.add(unavailable("30"), OK_ONE)
    async with Client("k", base_url=server.url, max_retry_time=10) as client:
        with pytest.raises(InternalServerError):
            await client.flow_generations.retrieve("g1")
    assert len(server.requests) == 1


async def test_retries_stop_after_max_retries(server: ScriptedServer) -> None:
    server.default = unavailable()
    rec = Recorder()
    async with Client("k", base_url=server.url, max_retries=3, hooks=rec.hooks()) as client:
        with pytest.raises(InternalServerError):
            await client.flow_generations.retrieve("g1")
    assert len(server.requests) == 4
    assert [r.attempt for r in rec.retries] == [1, 2, 3]


async def test_get_is_retried_after_connection_resets(server: ScriptedServer) -> None:
    # Two resets in a row: the SDK's own retries (the only ones) get the answer.
    server.add(Reset(), Reset(), OK_ONE)
    rec = Recorder()
    async with Client("k", base_url=server.url, hooks=rec.hooks()) as client:
        gen = await client.flow_generations.retrieve("g1")
    assert gen.id == "g1"
    assert len(server.requests) == 3
    assert rec.retries and rec.retries[0].status is None
    assert isinstance(rec.retries[0].error, APIConnectionError)


async def test_post_is_not_resent_after_a_reset_once_the_server_read_it(
    server: ScriptedServer,
) -> None:
    server.add(Reset(), CREATED)
    async with Client("k", base_url=server.url, max_retries=5) as client:
        with pytest.raises(JobMayExistError) as info:
            await client.flow_generations.create(
                flow_type="vacancy_application_flow", parameters={}
            )
    assert len(server.requests) == 1
    assert isinstance(info.value.__cause__, APIConnectionError)
    assert "got no answer" in str(info.value.__cause__)


@pytest.mark.parametrize("status", [429, 503])
async def test_post_is_retried_when_the_server_says_it_did_not_act(
    server: ScriptedServer, status: int
) -> None:
    server.add(Reply(status=status, headers={"Retry-After": "1"}), CREATED)
    async with Client("k", base_url=server.url) as client:
        gen = await client.flow_generations.create(flow_type="x", parameters={})
    assert gen.id == "g1"
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [500, 502, 504, 408])
async def test_post_is_not_retried_on_ambiguous_statuses(
    server: ScriptedServer, status: int
) -> None:
    server.add(Reply(status=status), CREATED)
    async with Client("k", base_url=server.url) as client:
        # A billed create: an ambiguous answer is JobMayExistError (test_billed_create.py).
        with pytest.raises(JobMayExistError) as info:
            await client.flow_generations.create(flow_type="x", parameters={})
    assert isinstance(info.value.__cause__, APIStatusError)
    assert info.value.__cause__.status == status
    assert len(server.requests) == 1


async def test_rate_limit_error_after_retries_are_spent(server: ScriptedServer) -> None:
    server.default = Reply(status=429, headers={"Retry-After": "0"})
    async with Client("k", base_url=server.url, max_retries=1) as client:
        with pytest.raises(RateLimitError):
            await client.flow_generations.list()
    assert len(server.requests) == 2


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_post_is_retried_when_it_never_reached_the_server() -> None:
    rec = Recorder()
    url = f"http://127.0.0.1:{_closed_port()}/public/v2"
    async with Client("k", base_url=url, max_retries=2, hooks=rec.hooks()) as client:
        with pytest.raises(APIConnectionError, match="check the base URL"):
            await client.flow_generations.create(flow_type="x", parameters={})
    assert len(rec.requests) == 3


async def test_max_retries_zero_sends_once(server: ScriptedServer) -> None:
    server.default = unavailable()
    async with Client("k", base_url=server.url, max_retries=0) as client:
        with pytest.raises(InternalServerError):
            await client.flow_generations.list()
    assert len(server.requests) == 1


def test_backoff_is_full_jitter_within_a_doubling_ceiling() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=4)
    for n, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        delays = [policy.backoff(n) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2


def test_parse_retry_after_variants() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0
    # The other two HTTP-date forms (RFC 9110 5.6.7); a date with no zone is UTC.
    assert parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed Oct 21 07:28:00 2015", now=1445412470.0) == 10.0
    assert parse_retry_after(_asctime(1445412480.0), now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 -0000", now=1445412470.0) == 10.0


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="max_retry_time"):
        RetryPolicy(max_time=-1)


def test_testing_switch_nests_and_restores() -> None:
    outer = _retry._sleep
    with retry_sleeps_disabled():
        assert _retry._sleep is not asyncio.sleep
    assert _retry._sleep is outer


async def test_a_delete_whose_answer_was_lost_is_not_reported_as_not_found(
    server: ScriptedServer,
) -> None:
    server.add(Reset(), Reply(status=404, body={"errors": [{"status": "404"}]}))
    async with Client("k", base_url=server.url) as client:
        await client.flow_generations.delete("g1")  # the first attempt deleted it
    assert [r.method for r in server.requests] == ["DELETE", "DELETE"]


async def test_a_delete_of_a_missing_id_answered_503_then_404_is_not_found(
    server: ScriptedServer,
) -> None:
    """A 503 says the server did not act (POSTs are resent on it): the 404 after it is
    the id's own, not a lost delete's."""
    server.add(unavailable(), Reply(status=404, body={"errors": [{"status": "404"}]}))
    async with Client("k", base_url=server.url) as client:
        with pytest.raises(NotFoundError):
            await client.candidates.delete("no-such-candidate")
    assert [r.method for r in server.requests] == ["DELETE", "DELETE"]


async def test_a_plain_404_on_delete_is_still_not_found(server: ScriptedServer) -> None:
    server.add(Reply(status=404, body={"errors": [{"status": "404"}]}))
    async with Client("k", base_url=server.url) as client:
        with pytest.raises(NotFoundError):
            await client.flow_generations.delete("g1")


async def test_the_sdk_retry_policy_is_the_only_one(server: ScriptedServer) -> None:
    server.add(Reset(), OK_ONE)
    rec = Recorder()
    async with Client("k", base_url=server.url, hooks=rec.hooks()) as client:
        await client.flow_generations.retrieve("g1")
    assert [r.attempt for r in rec.requests] == [1, 2]  # no hidden resend by aiohttp
    assert len(rec.retries) == 1


def test_retry_after_that_is_not_a_finite_number_is_ignored() -> None:
    for value in ("nan", "inf", "-inf"):
        assert parse_retry_after(value) is None


@pytest.mark.parametrize(
    ("method", "status", "retryable", "may_have_acted"),
    [
        ("GET", 503, True, False),
        ("GET", 500, True, True),
        ("GET", 408, True, False),
        ("GET", 429, True, False),
        ("GET", 404, False, False),
        ("DELETE", 502, True, True),
        ("PATCH", 504, True, True),
        ("POST", 429, True, False),
        ("POST", 503, True, False),
        ("GET", 307, False, False),
        ("DELETE", 301, False, False),
        ("POST", 303, False, True),
        ("POST", 500, False, True),
        ("POST", 408, False, False),
        ("POST", 422, False, False),
    ],
)
def test_an_error_answer_is_classified_by_method_and_status(
    method: str, status: int, retryable: bool, may_have_acted: bool
) -> None:
    """Which answers are resent for which method, and which may have been carried out."""
    assert _retry.answered(method, status) == _retry.Verdict(
        retryable=retryable, may_have_acted=may_have_acted
    )


@pytest.mark.parametrize("method", ["GET", "DELETE", "PATCH", "POST"])
def test_an_attempt_that_never_reached_the_server_is_always_resent(method: str) -> None:
    assert _retry.unanswered(method, sent=False) == _retry.Verdict(
        retryable=True, may_have_acted=False
    )


@pytest.mark.parametrize(
    ("method", "retryable"), [("GET", True), ("DELETE", True), ("POST", False)]
)
def test_an_unanswered_sent_attempt_is_resent_only_when_idempotent(
    method: str, retryable: bool
) -> None:
    assert _retry.unanswered(method, sent=True) == _retry.Verdict(
        retryable=retryable, may_have_acted=True
    )


def test_only_a_delete_found_gone_after_an_earlier_attempt_may_have_acted_is_a_lost_delete() -> (
    None
):
    assert _retry.is_lost_delete("DELETE", 404, True)
    assert not _retry.is_lost_delete("DELETE", 404, False)
    assert not _retry.is_lost_delete("GET", 404, True)
    assert not _retry.is_lost_delete("DELETE", 410, True)


def test_the_next_delay_is_none_once_attempts_or_time_are_spent() -> None:
    policy = RetryPolicy(max_retries=2, max_time=10)
    assert policy.next_delay(1, 3.0, elapsed=0.0) == 3.0
    assert policy.next_delay(2, 3.0, elapsed=6.9) == 3.0
    assert policy.next_delay(3, 0.0, elapsed=0.0) is None  # the third failure: none left
    assert policy.next_delay(1, 3.0, elapsed=7.5) is None  # would start after max_time
