"""A worker pool: jobs awaited in worker processes, completed by webhooks another process gets.

The deployment this script starts, each part its own OS process::

    Recrubo API ──webhook──> web replica ──publish──> Redis ──pub/sub──> worker-1, worker-2
        ^                                                                    │
        └────────────────── POST /flow-generations, GET (safety net) ────────┘

- the **web replica** runs ``WebhookReceiver`` with a ``RedisBus``: it verifies each
  delivery's secret and publishes the resource's new state to Redis;
- each **worker** runs ``create_and_wait`` with a ``HybridWaiter`` on its own ``RedisBus``:
  the ``await`` returns when the "finished" state arrives through Redis, whichever replica
  received the webhook.

Run it with no arguments::

    python examples/worker_pool.py

It uses ``REDIS_URL`` when set, else starts a throwaway ``redis-server`` (and stops with a
clear message when there is none). The API is the embedded emulator in production mode, or
the real API when ``RECRUBO_API_KEY`` and ``RECRUBO_BASE_URL`` are set; the script then
leaves the organization's webhook settings alone (Recrubo cannot reach 127.0.0.1), so there
the safety-net poll resolves the awaits. It prints who did what, as it happens.

Failure modes, and what covers them:

- **Redis down.** The web replica's publish fails, so it answers 500 and does not mark the
  delivery handled; Recrubo redelivers it later (5 retries over about a day, the first
  after about a minute), and the safety-net poll usually resolves the wait before that.
  redis-py (6 and later) keeps retrying an unreachable server for a few seconds before
  giving up, holding the delivery that long: give the replica's client a shorter
  ``retry=`` if Recrubo's delivery timeout is tighter. Each worker's ``RedisBus``
  reconnects with backoff, resubscribes every pending wait and re-reads the latest state
  stored for each, so a state published after the restart but before its resubscription
  is not missed. A Redis without persistence comes back empty; a state it lost that no
  worker had seen yet is again the safety-net poll's to find.
- **Webhooks lost** (receiver unreachable, delivery given up, wrong URL or secret): no
  event ever comes, and the ``HybridWaiter``'s safety-net poll (first after
  ``SAFETY_POLL`` seconds, then backing off) GETs the job and resolves the wait. Without a
  safety net (``WebhookWaiter``) such a wait would end only at its timeout.
- **Duplicated or reordered webhooks:** the receiver dedupes by delivery id and Redis keeps
  the newest state per resource, so an older state never overwrites a newer one.
- **A worker dies mid-wait:** the job carries on at Recrubo. Hand a ``WaitToken``
  (``client.flow_generations.wait_token(id)``) to another process to resume the wait.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from _target import Target, api_target
from aiohttp import web

from recrubo_async import Client
from recrubo_async.bus import RedisBus
from recrubo_async.models import (
    CandidateField,
    Requirement,
    Resource,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.waiters import HybridWaiter
from recrubo_async.webhooks import WebhookPayload, WebhookReceiver

SCRIPT = Path(__file__).resolve()
WORKERS = 2
JOBS_PER_WORKER = 2
#: Seconds before a wait's first safety-net poll: later than a webhook normally takes.
SAFETY_POLL = 10.0
#: Emulated seconds per real second: a generation (4 emulated seconds) takes 1 s.
EMULATOR_SPEED = 4.0
#: How long the whole pool may take before the script gives up.
RUN_LIMIT = 90.0

VACANCY = """Warehouse picker, Rotterdam. Early shifts, 32 hours a week. You pick and pack
orders, hold a forklift certificate, and speak Dutch or English."""


def short(resource_id: str | None) -> str:
    return resource_id[:8] if resource_id else "-"


def say(text: str) -> None:
    """One line of this process's account (the parent prefixes who said it)."""
    print(text, flush=True)


# -- the web replica ----------------------------------------------------------------------


async def run_web_replica() -> None:
    """Receive deliveries on ``/webhooks`` and publish them to Redis, until SIGTERM."""
    bus = RedisBus(os.environ["REDIS_URL"])
    receiver = WebhookReceiver(secret=os.environ["RECRUBO_WEBHOOK_SECRET"], bus=bus)

    @receiver.on("flowGenerations")
    async def account(payload: WebhookPayload) -> None:
        # Handlers run after the state was published, so "published" is already true here.
        status = payload.resource.attribute("status")
        say(
            f"received webhook: {payload.event} of generation {short(payload.resource.id)} "
            f"({status}); published to Redis"
        )

    app = web.Application()
    receiver.add_routes(app, "/webhooks")
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        # The first line tells the parent where deliveries go.
        say(f"listening on http://127.0.0.1:{runner.addresses[0][1]}/webhooks")
        await stop.wait()
    finally:
        await runner.cleanup()
        await bus.aclose()


# -- a worker -----------------------------------------------------------------------------


async def run_worker(name: str, jobs: int) -> None:
    """Create ``jobs`` flow generations at once and await each through Redis."""
    bus = RedisBus(os.environ["REDIS_URL"])
    waiter = HybridWaiter(bus, safety_poll_interval=SAFETY_POLL)

    async def one(client: Client, index: int) -> None:
        started = time.monotonic()

        def progress(status: str | None, state: Resource) -> None:
            if status == "queued":
                say(f"created generation {short(state.id)} (queued); awaiting it")

        generation = await client.flow_generations.create_and_wait(
            flow_type="vacancy_application_flow",
            parameters=VacancyApplicationParameters(
                flow_name=f"Warehouse picker ({name}, job {index + 1})",
                language="en",
                knockout_requirements=[Requirement("Holds a forklift certificate", "forklift")],
                preferred_requirements=[Requirement("Speaks Dutch", "speaks_dutch")],
                required_fields=[CandidateField("email", "email")],
            ),
            context=TextContext(value=VACANCY),
            waiter=waiter,
            on_status=progress,
            timeout=RUN_LIMIT - 10,
        )
        say(
            f"await resolved: generation {short(generation.id)} is {generation.status} "
            f"(flow {short(generation.flow_id)}) after {time.monotonic() - started:.1f}s"
        )

    try:
        async with Client() as client:  # key and URL from the environment
            await asyncio.gather(*(one(client, i) for i in range(jobs)))
    finally:
        await bus.aclose()
    polls = waiter.fallback.polls
    how = "every await came by webhook through Redis" if polls == 0 else "some by the poll"
    say(f"done: {jobs} awaits resolved; safety-net polls: {polls} ({how})")


# -- the parent: Redis, the API, the processes, the account --------------------------------


def start_redis() -> tuple[str, subprocess.Popen[bytes], str]:
    """A throwaway redis-server on a free loopback port: its URL, process and data dir."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit(
            "worker_pool.py needs Redis: set REDIS_URL=redis://host:port/0, or install "
            "redis-server (e.g. apt-get install redis-server) so the example can start one."
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    data_dir = tempfile.mkdtemp(prefix="worker-pool-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", data_dir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0", proc, data_dir
        except OSError:
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise SystemExit("redis-server did not start within 10 s")


@asynccontextmanager
async def redis_url() -> AsyncIterator[str]:
    """``REDIS_URL`` when set; else a redis-server of our own, stopped on the way out."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    url, proc, data_dir = start_redis()
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


class Pool:
    """The child processes: started with only the settings and secrets each needs, in its
    environment (never argv); their output echoed with who said it; all stopped at the end."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.children: dict[str, tuple[asyncio.subprocess.Process, asyncio.Task[None]]] = {}
        # Everything but our own settings: PATH, PYTHONPATH, locale...
        self.base_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("RECRUBO_", "REDIS_URL"))
        }

    async def spawn(self, name: str, args: list[str], env: Mapping[str, str]) -> str:
        """Start a child running this script in another role; return its first line."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            *args,
            env={**self.base_env, **env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
        )
        first: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        echo = asyncio.get_running_loop().create_task(self._echo(name, proc, first))
        self.children[name] = (proc, echo)
        return await asyncio.wait_for(first, 30)

    async def _echo(
        self, name: str, proc: asyncio.subprocess.Process, first: asyncio.Future[str]
    ) -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode().rstrip()
            if not first.done():
                first.set_result(line)
            print(f"{time.monotonic() - self.started:5.1f}s [{name:<8} pid {proc.pid}] {line}")
        if not first.done():
            first.set_exception(RuntimeError(f"{name} exited before saying anything"))

    async def wait(self, names: list[str], timeout: float) -> bool:
        """Wait for the named children to exit; True when all of them succeeded."""
        waits = [self.children[name][0].wait() for name in names]
        codes = await asyncio.wait_for(asyncio.gather(*waits), timeout)
        return all(code == 0 for code in codes)

    async def stop(self) -> None:
        for proc, _ in self.children.values():
            if proc.returncode is None:
                proc.terminate()
        for proc, echo in self.children.values():
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
            await echo


async def deploy(pool: Pool, redis: str, target: Target, secret: str) -> bool:
    """Start the web replica, point the organization's webhooks at it, run the workers."""
    first = await pool.spawn("web", ["web"], {"REDIS_URL": redis, "RECRUBO_WEBHOOK_SECRET": secret})
    webhook_url = first.rsplit(" ", 1)[-1]
    async with Client(target.api_key, base_url=target.base_url) as client:
        if target.emulator is not None:
            await client.organizations.configure_webhooks(url=webhook_url, secret=secret)
            await client.webhooks.subscribe("flowGenerations", events=["update"], fields=["status"])
            print(f"Organization webhooks now go to the web replica: {webhook_url}")
        else:
            print("Real API: webhook settings left alone; the safety-net poll will finish")
    worker_env = {
        "REDIS_URL": redis,
        "RECRUBO_API_KEY": target.api_key,
        "RECRUBO_BASE_URL": target.base_url,
    }
    names = [f"worker-{i + 1}" for i in range(WORKERS)]
    for name in names:
        await pool.spawn(
            name, ["worker", f"--name={name}", f"--jobs={JOBS_PER_WORKER}"], worker_env
        )
    return await pool.wait(names, timeout=RUN_LIMIT)


async def main() -> int:
    # The organization's webhook secret: set on the emulator's organization below. With
    # the real API, RECRUBO_WEBHOOK_SECRET must be your organization's.
    secret = os.environ.get("RECRUBO_WEBHOOK_SECRET") or secrets.token_urlsafe(24)
    async with (
        redis_url() as redis,
        api_target(mode="production", speed=EMULATOR_SPEED) as target,
    ):
        pool = Pool()
        try:
            ok = await deploy(pool, redis, target, secret)
        except (RuntimeError, asyncio.TimeoutError) as exc:
            print(f"The worker pool did not finish: {exc!r}", file=sys.stderr)
            ok = False
        finally:
            await pool.stop()
        if target.emulator is not None:
            stats = target.emulator.stats
            print(
                f"Emulator: {stats.created['flowGenerations']} generations created, "
                f"{stats.webhooks['delivered']} webhooks delivered, "
                f"{sum(stats.gets.values())} GETs of a generation (one per await, right "
                "after subscribing)"
            )
    print("All awaits resolved" if ok else "Some worker failed (see above)")
    return 0 if ok else 1


def cli() -> int:
    parser = argparse.ArgumentParser(description="Run the worker pool example.")
    roles = parser.add_subparsers(dest="role")  # the parent starts the roles itself
    roles.add_parser("web")
    worker_role = roles.add_parser("worker")
    worker_role.add_argument("--name", required=True)
    worker_role.add_argument("--jobs", type=int, default=JOBS_PER_WORKER)
    args = parser.parse_args()
    if args.role == "web":
        asyncio.run(run_web_replica())
        return 0
    if args.role == "worker":
        asyncio.run(run_worker(args.name, args.jobs))
        return 0
    return asyncio.run(main())


if __name__ == "__main__":
    sys.exit(cli())
