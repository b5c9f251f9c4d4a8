"""Cross-process completion over Redis, with real processes end to end.

The deployment, each part its own OS process on loopback:

* ``redis-server`` (``tests.support.redis_server.RedisServer``);
* the standalone emulator, ``python -m recrubo_emulator --mode production`` on a real
  clock at ``SPEED`` emulated seconds per second (a generation takes 4 emulated seconds);
* one web replica, ``python -m tests.support.mp_receiver``: a ``WebhookReceiver``
  publishing to a ``RedisBus``, set up from here with the SDK as the organization's webhook
  URL (with its secret) and subscribed to flowGenerations updates;
* ``WORKERS`` worker processes, ``python -m tests.support.mp_worker``, each running
  ``JOBS_PER_WORKER`` ``create_and_wait`` calls at once and printing one JSON line per
  result.

Keys and the webhook secret reach the children through environment variables only. Every
child is killed in a ``finally`` block; every wait on a child has a deadline.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs

from recrubo_async import Client
from recrubo_async.bus import RedisBus, ResourceEvent, Subscription

from ..support.processes import Child, Processes
from ..support.redis_server import RedisServer, running_redis
from ..support.timing import eventually

WORKERS = 4
JOBS_PER_WORKER = 250
TOTAL = WORKERS * JOBS_PER_WORKER
#: Emulated seconds per real second: a generation finishes 4 s after its POST, long after
#: the waiter's one GET even on a loaded machine, so only a webhook through Redis (or a
#: poll) can resolve it.
SPEED = 1.0
#: The HybridWaiter's first safety-net poll, seconds after the create call: after a
#: generation ends (4 s) plus a webhook's usual trip, so webhooks normally win.
SAFETY_POLL = 6.0
#: Real seconds for the whole run of the workers, derived from the work: each wait may
#: take up to its own limit (mp_worker's --timeout, 45 s) after a start spread over up to
#: 2 s, plus the processes' start-up on a busy 2-core machine. A slow run is not a failure;
#: a lost or doubled wait is.
WAIT_LIMIT = 45.0
RUN_LIMIT = WAIT_LIMIT + 2.0 + 30.0


@attrs.define
class Deployment:
    redis: RedisServer
    procs: Processes
    api_env: dict[str, str]
    receiver: Child

    async def start_workers(self, *args: str) -> list[Child]:
        env = {**self.api_env, "REDIS_URL": self.redis.url}
        return [
            await self.procs.start(
                f"worker{i}",
                "tests.support.mp_worker",
                f"--name=w{i}",
                f"--count={JOBS_PER_WORKER}",
                *args,
                env=env,
            )
            for i in range(WORKERS)
        ]

    async def count_generations(self) -> list[str]:
        """Every flow generation the emulator holds, listed 200 a page through the SDK."""
        async with Client(self.api_env["RECRUBO_API_KEY"], base_url=self.base_url) as client:
            return [gen.id async for gen in client.flow_generations.list(page_size=200)]

    @property
    def base_url(self) -> str:
        return self.api_env["RECRUBO_BASE_URL"]


@asynccontextmanager
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    with running_redis() as redis:
        procs = Processes(tmp_path)
        try:
            emulator = await procs.start(
                "emulator",
                "recrubo_emulator",
                "--port=0",
                "--mode=production",
                f"--speed={SPEED}",
                env={},
            )
            await emulator.first_line(lambda line: line.get("text", "").startswith("Serving"))
            printed = dict(
                line["text"].split("=", 1) for line in emulator.lines if "=" in line.get("text", "")
            )
            api_env = {k: printed[k] for k in ("RECRUBO_API_KEY", "RECRUBO_BASE_URL")}
            secret = secrets.token_urlsafe(24)
            receiver = await procs.start(
                "receiver",
                "tests.support.mp_receiver",
                env={"RECRUBO_WEBHOOK_SECRET": secret, "REDIS_URL": redis.url},
            )
            listening = await receiver.first_line(lambda line: line.get("event") == "listening")
            async with Client(
                api_env["RECRUBO_API_KEY"], base_url=api_env["RECRUBO_BASE_URL"]
            ) as c:
                await c.organizations.configure_webhooks(
                    url=f"http://127.0.0.1:{listening['port']}/webhooks", secret=secret
                )
                await c.webhooks.subscribe("flowGenerations", events=["update"])
            yield Deployment(redis, procs, api_env, receiver)
        finally:
            await procs.kill_all()


async def wait_for_exit(workers: list[Child]) -> None:
    try:
        await asyncio.wait_for(asyncio.gather(*(w.proc.wait() for w in workers)), RUN_LIMIT)
    except asyncio.TimeoutError:
        details = "\n".join(f"--- {w.name}:\n{w.stderr_tail()}" for w in workers)
        raise AssertionError(f"workers still running after {RUN_LIMIT} s\n{details}") from None
    for worker in workers:
        assert worker.reader is not None
        await asyncio.wait_for(worker.reader, 10)  # every line read


def results_of(workers: list[Child]) -> list[dict[str, Any]]:
    """Every worker's results, after checking that each worker finished all its waits."""
    for worker in workers:
        summary = worker.events("summary")
        errors = worker.events("error")
        assert worker.proc.returncode == 0 and not errors, (
            f"{worker.name} exited {worker.proc.returncode}; errors {errors[:5]}; "
            f"summary {summary}; stderr:\n{worker.stderr_tail()}"
        )
    return [line for w in workers for line in w.events("result")]


def assert_all_finished_once(results: list[dict[str, Any]], created: list[str]) -> None:
    ids = [r["id"] for r in results]
    assert len(results) == TOTAL
    assert len(set(ids)) == TOTAL, "two waits returned the same generation"
    assert {r["status"] for r in results} == {"finished"}
    assert all(r["flow_id"] for r in results)
    # The emulator holds exactly the generations the workers created: none lost, none twice.
    assert len(created) == TOTAL
    assert set(created) == set(ids)


async def test_a_thousand_waits_in_four_workers_resolve_by_webhooks_through_redis(
    tmp_path: Path,
) -> None:
    """4 workers x 250 concurrent ``create_and_wait`` with a ``WebhookWaiter`` and no
    fallback poll: every await returns its own finished generation (a wait whose one GET
    came too early can only be resolved by Redis), and the emulator holds exactly 1,000
    generations: none lost, none created twice."""
    async with deployment(tmp_path) as env:
        workers = await env.start_workers("--waiter=webhook")
        await wait_for_exit(workers)
        results = results_of(workers)
        assert_all_finished_once(results, await env.count_generations())
        # The promise is every wait resolved, once. Which source won is timing: on a
        # loaded machine a wait's one GET can be answered after its generation finished,
        # and then it settles the wait first. Redis must still have carried most of them.
        by_bus = [r["id"] for r in results if r["via"] == "bus"]
        assert len(by_bus) >= TOTAL // 2, f"only {len(by_bus)} of {TOTAL} waits came from Redis"
        assert not env.receiver.events("publish_failed")


async def test_a_redis_restart_mid_run_loses_no_wait_and_creates_nothing_twice(
    tmp_path: Path,
) -> None:
    """The same 1,000 waits with ``HybridWaiter`` (safety-net poll from 6 s), started over
    2 s; redis-server is stopped once the first awaits have returned, kept down until a
    ``finished`` delivery has failed, then started again on the same port, empty.

    What covers what:

    * A delivery that reaches the receiver while Redis is down (its publish begun after
      redis-server exited; one in flight as it stopped may have run): the publish fails, the
      receiver answers 500 and does not mark it handled. The emulator redelivers the same
      payload 60 emulated seconds later (its first retry; the standalone CLI has no flag to
      shorten the schedule), i.e. 60 / SPEED = 60 s here: too late for this test, as in
      production, where the first retry comes after a minute. The safety-net poll resolves
      those waits; the test checks that each one whose ``finished`` publish failed was
      resolved by the API, not by the bus.
    * Workers: each ``RedisBus`` notices the dropped pub/sub connection, reconnects with
      backoff, resubscribes every pending resource (including those subscribed while Redis
      was down) and re-reads each one's stored latest state, so a state published after the
      restart but before its resubscription is not missed. ``latest()`` answers None while
      Redis is down; the waiter's GET looks instead. The test checks that waits still
      pending at the restart were then resolved through Redis.
    * States stored in Redis before the restart are gone (no persistence); the waits that
      needed them had already been woken by pub/sub, or are covered by the safety-net poll.

    No POST is ever resent: the emulator holds exactly 1,000 generations.
    """
    async with deployment(tmp_path) as env:
        workers = await env.start_workers(
            "--waiter=hybrid", f"--safety-poll={SAFETY_POLL}", "--spread=2"
        )

        def returned() -> list[int]:
            return [len(w.events("result")) for w in workers]

        #: When redis-server had exited: a publish begun from then on never reached it. One
        #: in flight as it stopped may have run there (its PUBLISH delivered) with its
        #: answer lost, and fail all the same: that delivery may reach a waiter.
        down_at = float("inf")

        def failed_finished() -> list[str]:
            return [
                e["id"]
                for e in env.receiver.events("publish_failed")
                if e["status"] == "finished" and e["started"] >= down_at
            ]

        await eventually(lambda: sum(returned()) >= 50, 30)
        env.redis.stop()
        down_at = time.monotonic()
        try:
            await eventually(lambda: bool(failed_finished()), 20)
            await asyncio.sleep(0.3)
        finally:
            await asyncio.to_thread(env.redis.start)
        before_restart = returned()
        await wait_for_exit(workers)
        results = results_of(workers)
        assert_all_finished_once(results, await env.count_generations())

        lost = set(failed_finished())
        via = {r["id"]: r["via"] for r in results}
        assert {via[gid] for gid in lost} == {"api"}, "a failed delivery reached a waiter"
        after_restart = [
            r for w, n in zip(workers, before_restart, strict=True) for r in w.events("result")[n:]
        ]
        assert any(r["via"] == "bus" for r in after_restart), (
            "no wait pending at the restart was resolved through Redis afterwards"
        )
        reconnects = sum(w.events("summary")[0]["reconnects"] for w in workers)
        assert reconnects >= 1, "no worker's RedisBus noticed the restart"


def finished_event(gid: str) -> ResourceEvent:
    return ResourceEvent.from_resource(
        {
            "type": "flowGenerations",
            "id": gid,
            "attributes": {"status": "finished", "updatedAt": "2026-01-01T12:00:05Z"},
        },
        event="update",
    )


async def test_subscribing_while_the_pubsub_connection_drops_never_raises_and_misses_nothing() -> (
    None
):
    """Regression (found by the restart run above): a SUBSCRIBE in flight while the bus's
    listener tore the dropped pub/sub connection down raised ``AttributeError`` out of
    ``RedisBus.subscribe`` (redis-py sets the connection's writer to None), which failed
    that ``create_and_wait``. Subscriptions keep arriving, 600 over 1.2 s, while
    redis-server stops and starts twice: every ``subscribe`` returns, and every subscription
    then receives its resource's event."""
    with running_redis() as redis:
        worker = RedisBus(redis.url, reconnect_delay=0.05, max_reconnect_delay=0.5)
        web = RedisBus(redis.url)
        try:
            await worker.subscribe("flowGenerations", "first")
            await asyncio.sleep(0.1)  # the listener is waiting on the pub/sub connection

            async def subscribe(i: int) -> Subscription:
                await asyncio.sleep(i * 0.002)
                return await worker.subscribe("flowGenerations", f"g{i}")

            tasks = [asyncio.create_task(subscribe(i)) for i in range(600)]
            for _ in range(2):
                await asyncio.sleep(0.2)
                redis.stop()
                await asyncio.sleep(0.3)
                await asyncio.to_thread(redis.start)
            subs = await asyncio.wait_for(asyncio.gather(*tasks), 30)
            await eventually(lambda: worker.reconnects >= 1, 15)
            for i in range(len(subs)):
                await web.publish(finished_event(f"g{i}"))
            for i, sub in enumerate(subs):
                assert (await asyncio.wait_for(sub.get(), 10)).id == f"g{i}"
        finally:
            await worker.aclose()
            await web.aclose()
