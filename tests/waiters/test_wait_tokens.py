"""Wait tokens against the emulator: round trips, the job kinds they may name, and a wait
resumed from a token in another process."""

from __future__ import annotations

import asyncio
import os
import sys

import orjson
import pytest

from recrubo_async.resources.flow_generations import FlowGenerations
from recrubo_async.resources.flow_runs import FlowRuns
from recrubo_async.resources.vacancy_analyses import VacancyAnalyses
from recrubo_async.waiters import WaitToken
from recrubo_async.waiters._conditions import JOB_SPECS

from ..support import ROOT
from ..support.deployment import deployment


async def test_until_must_be_a_state_of_the_job() -> None:
    async with deployment(clock="manual") as env:
        with pytest.raises(ValueError, match="'started', 'terminal'"):
            await env.client.flow_runs.wait("x", until="done")


def test_wait_tokens_round_trip_and_reject_garbage() -> None:
    token = WaitToken.starting_now(type="flowGenerations", id="g1", until="finished", timeout=60)
    again = WaitToken.loads(token.dumps())
    assert again == token
    remaining = again.remaining()
    assert remaining is not None and 55 < remaining <= 60
    assert WaitToken(type="x", id="1", until="done").remaining() is None
    for bad in ("{", "[]", '{"type": "x"}', '{"type":"x","id":"1","until":"u","deadline":"soon"}'):
        with pytest.raises(ValueError, match="not a wait token"):
            WaitToken.loads(bad)


async def test_a_token_for_another_type_is_refused() -> None:
    async with deployment(clock="manual") as env:
        token = WaitToken(type="flowRuns", id="r1", until="terminal")
        with pytest.raises(ValueError, match="flowRuns"):
            await env.client.flow_generations.wait(token)


async def test_a_model_of_another_type_is_refused_by_wait_watch_and_wait_token() -> None:
    """``flow_runs.wait(generation)`` would poll ``/flow-runs/<the generation's id>`` and end
    in a misleading ``ResourceDeletedError``: refused, naming the types, before any GET."""
    async with deployment(clock="manual") as env:
        generation = await env.generation()
        before = dict(env.emu.stats.requests)
        with pytest.raises(ValueError, match="flowRuns resource; got a flowGenerations"):
            await env.client.flow_runs.wait(generation, timeout=5)
        with pytest.raises(ValueError, match="flowRuns resource; got a flowGenerations"):
            env.client.flow_runs.wait_token(generation)
        with pytest.raises(ValueError, match="flowRuns resource; got a flowGenerations"):
            async for _ in env.client.flow_runs.watch(generation):
                pass
        assert dict(env.emu.stats.requests) == before


def test_a_wait_token_may_name_exactly_the_job_kinds_of_the_resources() -> None:
    """Each job's spec sits on its resource; the table tokens are checked against is theirs."""
    resources = (FlowGenerations, FlowRuns, VacancyAnalyses)
    assert {r._job.type: r._job for r in resources} == JOB_SPECS
    for resource in resources:
        spec = resource._job
        token = WaitToken(type=spec.type, id="x1", until=spec.default_until)
        assert WaitToken.loads(token.dumps(), allow_no_deadline=True) == token


async def test_a_wait_token_resumes_the_wait_in_another_process() -> None:
    async with deployment(speed=20) as env:
        gen = await env.generation()
        token = env.client.flow_generations.wait_token(gen, timeout=30)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.resume_wait",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=str(ROOT),
            env={
                **os.environ,
                "RECRUBO_API_KEY": env.client._config.api_key.reveal(),
                "RECRUBO_BASE_URL": env.emu.base_url,
            },
        )
        out, err = await asyncio.wait_for(proc.communicate(token.dumps().encode()), 30)
        assert proc.returncode == 0, err.decode()
        assert orjson.loads(out) == {"id": gen.id, "status": "finished"}
