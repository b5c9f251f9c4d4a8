"""A billed create (generation, analysis, run) that may have created the job raises
JobMayExistError, whether from ``create`` or ``create_and_wait``, and is never resent."""

from __future__ import annotations

import gzip
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from recrubo_async import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    Client,
    DecodeError,
    InternalServerError,
    JobMayExistError,
    RateLimitError,
    ResponseTooLargeError,
    ValidationError,
)
from recrubo_async.testing import Emulator, Faults

from ..support.scripted_server import Action, Reply, Reset, ScriptedServer

Create = Callable[[Client], Awaitable[Any]]
FLOW = "vacancy_application_flow"

#: Each billed job kind, through ``create`` and through ``create_and_wait``.
CREATES: dict[str, tuple[str, Create]] = {
    "flow_generations.create": (
        "flowGenerations",
        lambda c: c.flow_generations.create(flow_type="vacancy_application_flow", parameters={}),
    ),
    "flow_generations.create_and_wait": (
        "flowGenerations",
        lambda c: c.flow_generations.create_and_wait(
            flow_type="vacancy_application_flow", parameters={}, timeout=5
        ),
    ),
    "vacancy_analyses.create": (
        "vacancyAnalyses",
        lambda c: c.vacancy_analyses.create(input_text="Driver wanted."),
    ),
    "vacancy_analyses.create_and_wait": (
        "vacancyAnalyses",
        lambda c: c.vacancy_analyses.create_and_wait(input_text="Driver wanted.", timeout=5),
    ),
    "flow_runs.create": (
        "flowRuns",
        lambda c: c.flow_runs.create(flow_id="f1", message_thread_id="t1"),
    ),
    "flow_runs.create_and_wait": (
        "flowRuns",
        lambda c: c.flow_runs.create_and_wait(flow_id="f1", message_thread_id="t1", timeout=5),
    ),
}

#: Answers after which the job may exist, and the error each one is caused by.
AMBIGUOUS: dict[str, tuple[Action, type[Exception]]] = {
    "reset after reading": (Reset(), APIConnectionError),
    "500": (Reply(status=500, body={"errors": []}), InternalServerError),
    "502": (Reply(status=502, body=b"bad gateway", content_type="text/plain"), APIStatusError),
    "408": (Reply(status=408), APIStatusError),
    # RFC 9110 15.4.4: the server processed the POST and points to its result.
    "303 See Other": (
        Reply(status=303, body=b"", headers={"Location": "https://x.example/g1"}),
        APIStatusError,
    ),
    "undecodable 2xx": (Reply(status=201, body=b"{not json"), DecodeError),
    "2xx of another shape": (Reply(status=201, body={"data": [1, 2]}), DecodeError),
    "2xx over the size limit": (Reply(status=201, body=b"x" * 4096), ResponseTooLargeError),
    "compressed 2xx over the size limit": (
        Reply(status=201, body=gzip.compress(b" " * 65536), headers={"Content-Encoding": "gzip"}),
        ResponseTooLargeError,
    ),
}


@pytest.mark.parametrize("answer", list(AMBIGUOUS), ids=list(AMBIGUOUS))
@pytest.mark.parametrize("call", list(CREATES), ids=list(CREATES))
async def test_an_ambiguous_failure_of_a_billed_create_is_job_may_exist(
    server: ScriptedServer, call: str, answer: str
) -> None:
    type_name, create = CREATES[call]
    action, cause = AMBIGUOUS[answer]
    server.add(action)
    before = datetime.now(timezone.utc)
    async with Client(
        "k", base_url=server.url, environment="sandbox", max_retries=3, max_response_size=1024
    ) as client:
        with pytest.raises(JobMayExistError) as info:
            await create(client)
    err = info.value
    assert len(server.requests) == 1, "a billed create must never be resent"
    assert server.requests[0].method == "POST"
    assert isinstance(err.__cause__, cause)
    assert err.resource_type == type_name
    assert isinstance(err.created_after, datetime)
    assert before <= err.created_after <= datetime.now(timezone.utc)
    assert "NOT sent again" in str(err) and err.created_after.isoformat() in str(err)


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (Reply(status=422, body={"errors": [{"status": "422", "detail": "bad"}]}), ValidationError),
        (Reply(status=429, headers={"Retry-After": "0"}), RateLimitError),
        (Reply(status=503, headers={"Retry-After": "0"}), InternalServerError),
        (Reply(status=307, body=b"", headers={"Location": "https://x.example/"}), APIStatusError),
    ],
    ids=["422", "429", "503", "307"],
)
@pytest.mark.parametrize("call", list(CREATES), ids=list(CREATES))
async def test_a_create_the_api_refused_raises_the_status_error_itself(
    server: ScriptedServer, call: str, action: Reply, error: type[Exception]
) -> None:
    """3xx (not followed), 4xx (but 408) and 503 provably created nothing: the status
    error, not a maybe."""
    server.default = action
    async with Client("k", base_url=server.url, max_retries=1) as client:
        with pytest.raises(error) as info:
            await CREATES[call][1](client)
    assert not isinstance(info.value, JobMayExistError)


async def test_a_create_that_never_connected_raises_the_connection_error() -> None:
    """No connection: nothing reached the API, so no JobMayExistError."""
    async with ScriptedServer() as srv:
        url = srv.url
    async with Client("k", base_url=url, max_retries=0) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.flow_generations.create(flow_type="x", parameters={})
    assert not isinstance(info.value, JobMayExistError)


async def test_a_create_timing_out_on_the_emulator_is_job_may_exist(emu: Emulator) -> None:
    org = await emu.create_organization("Acme")
    emu.faults = Faults(latency=2.0, methods={"POST"})
    async with Client(org.token, base_url=emu.base_url, timeout=0.3, max_retries=3) as client:
        with pytest.raises(JobMayExistError) as info:
            await client.flow_generations.create(
                flow_type="vacancy_application_flow", parameters={}
            )
        cause = info.value.__cause__
        assert isinstance(cause, APITimeoutError)
        # Raising timeout= and retrying is what bills twice: the message must not say so alone.
        assert "just slow" not in str(cause) and "not resent" in str(cause)
    assert emu.stats.faults["latency"] == 1, "the POST was sent once"


async def test_a_create_whose_answer_is_lost_on_the_emulator_exists_and_is_not_resent(
    emu: Emulator,
) -> None:
    org = await emu.create_organization("Acme")
    emu.faults = Faults(reset_after=1.0, methods={"POST"})
    async with Client(org.token, base_url=emu.base_url, max_retries=3) as client:
        with pytest.raises(JobMayExistError) as info:
            await client.vacancy_analyses.create(input_text="Driver wanted in Amsterdam.")
        emu.faults = Faults()
        listed = await client.vacancy_analyses.list().to_list()
    assert isinstance(info.value.__cause__, APIConnectionError)
    assert info.value.resource_type == "vacancyAnalyses"
    # The job exists, once: the API carried out the one POST whose answer was lost.
    assert len(listed) == 1 and emu.stats.created["vacancyAnalyses"] == 1


async def test_a_5xx_on_the_emulator_is_job_may_exist_and_a_503_is_not(emu: Emulator) -> None:
    org = await emu.create_organization("Acme")
    async with Client(org.token, base_url=emu.base_url, max_retries=0) as client:
        emu.faults = Faults(rate_500=1.0, methods={"POST"})
        with pytest.raises(JobMayExistError) as info:
            await client.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow", parameters={}
            )
        assert isinstance(info.value.__cause__, InternalServerError)
        emu.faults = Faults(rate_503=1.0, methods={"POST"})
        with pytest.raises(InternalServerError) as refused:
            await client.flow_generations.create(
                flow_type="vacancy_application_flow", parameters={}
            )
        assert refused.value.status == 503


async def test_a_timed_out_get_still_suggests_a_larger_timeout(emu: Emulator) -> None:
    """Resending a GET is harmless: its timeout message keeps the "just slow" advice."""
    org = await emu.create_organization("Acme")
    emu.faults = Faults(latency=2.0, methods={"GET"})
    async with Client(org.token, base_url=emu.base_url, timeout=0.3, max_retries=0) as client:
        with pytest.raises(APITimeoutError, match="just slow"):
            await client.flow_generations.retrieve("g1")
