"""Every example runs as it is (``python examples/NAME.py``) against the embedded emulator."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recrubo_async import Client
from recrubo_async.testing import Emulator

from ..support import ROOT

EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))

#: What each example must print, so a run that silently does nothing fails.
EXPECTED = {
    "demo.py": [
        "1. Analyzing the vacancy text",
        "generation: finished",
        "[end: accepted]",
        "run: running",
        "run: finished",
        "webhooks received: update",
    ],
    "editing_flows.py": [
        "Before:",
        "now says: Thank you! This role is not a match",
        "[start] Welcome",
        "ask: When could you start?  -> session.start_date",
        "deleted 'Preferred: Has worked in a restaurant'",
        "After:",
    ],
    "observability.py": [
        "span 'wait flowGenerations'",
        "'recrubo.wait.settled_by': 'poll'",
        "metric http.client.request.duration count=1 {'http.request.method': 'POST'",
        "metric recrubo.wait.duration count=1",
        "generate a flow\n  wait flowGenerations\n    POST\n    GET",
    ],
    "pagination_and_filters.py": [
        "10 items, has_next=True",
        "30 candidates",
        "page 3: 6 items, has_next=False",
        "created_at gte the third batch's first: 10 candidates",
        "first_name any of Ada, Noah: 6",
        "first_name prefix M, last_name Batch1: Max, Mila",
        "Ada Batch2, Ada Batch1, Ada Batch0",
        "phone=None",
        "Ada: whatsapp thread",
        "0 of this run's candidates left",
    ],
    "quickstart.py": ["finished", "[start]", "[end: accepted]", "[end: declined]", "ask:"],
    "send_message.py": [
        "after review: APPROVED",
        "outbound template by Recrubo: delivered",
        "outbound text by John: delivered",
        "Cleaned up",
    ],
    "fastapi_receiver.py": [
        "handler: generation",
        "-> 200 {'status': 'ok'}",
        "-> 401 {'status': 'unauthorized'}",
        "GET /healthz -> 200, bus round trip measured: True",
    ],
    "starlette_receiver.py": [
        "handler: generation",
        "-> 200 {'status': 'ok'}",
        "-> 200 {'status': 'duplicate'}",
        "-> 200 {'status': 'stale'}",
        "-> 401 {'status': 'unauthorized'}",
        "-> 400 {'status': 'bad payload'}",
    ],
    "task_queue.py": [
        "[worker] vacancy-1: generation",
        "same generation: True",
        "[worker] vacancy-2: JobMayExistError; the queue will retry it",
        "Emulator: 2 generations created, 2 POSTs, for 4 task runs",
    ],
    "testing_with_emulator.py": [
        "PASS publishes a flow",
        "PASS survives",
        "PASS an ambiguous POST failure",
        "3 passed, 0 failed",
    ],
    "webhook_service.py": [
        "POST /applications -> 200",
        "'status': 'finished'",
        "webhooks received: update flowGenerations processing",
        "update flowGenerations finished",
        "Service stopped",
    ],
    "worker_pool.py": [
        "[web      pid",
        "received webhook: update of generation",
        "(finished); published to Redis",
        "[worker-1 pid",
        "[worker-2 pid",
        "await resolved: generation",
        "done: 2 awaits resolved; safety-net polls: 0",
        "Emulator: 4 generations created",
        "All awaits resolved",
    ],
}


def test_every_example_has_expectations() -> None:
    assert {p.name for p in SCRIPTS} == set(EXPECTED)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_runs(script: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECRUBO_")}
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for text in EXPECTED[script.name]:
        assert text in result.stdout, f"{script.name} did not print {text!r}"
    assert "Traceback" not in result.stderr


async def test_demo_leaves_a_real_organizations_webhooks_alone() -> None:
    """With RECRUBO_API_KEY/RECRUBO_BASE_URL set, the demo neither rewires the organization's
    webhook URL and secret nor adds subscriptions (an emulator stands in for the real API)."""
    async with Emulator(mode="production", speed=50, seed=9) as emu:
        org = await emu.create_organization("A real organization")
        async with Client(org.token, base_url=emu.base_url) as client:
            url, secret = "https://hooks.example.com/recrubo", "the-production-webhook-secret"
            await client.organizations.configure_webhooks(url=url, secret=secret)
            subscriptions_before = [w.id async for w in client.webhooks.list()]
            env = {k: v for k, v in os.environ.items() if not k.startswith("RECRUBO_")}
            env |= {"RECRUBO_API_KEY": org.token, "RECRUBO_BASE_URL": emu.base_url}
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(EXAMPLES / "demo.py"),
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                stdout, stderr = await asyncio.wait_for(proc.communicate(), 120)
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            own = await client.organizations.retrieve(org.id)
            subscriptions_after = [w.id async for w in client.webhooks.list()]
    assert proc.returncode == 0, stderr.decode()
    assert "webhook settings left alone" in stdout.decode()
    assert (own.webhook_url, own.webhook_secret) == (url, secret)
    assert subscriptions_after == subscriptions_before
