"""The emulated clock: real time scaled by a speed factor, or manual time moved by advance()."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

log = logging.getLogger("recrubo_emulator")

Job = Callable[[], Awaitable[None]]


class Clock:
    """Schedules jobs in emulated seconds.

    Args:
        start: the emulated moment the clock starts at.
        speed: emulated seconds per real second; None makes the clock manual.
    """

    def __init__(self, start: datetime, speed: float | None) -> None:
        if speed is not None and not (math.isfinite(speed) and speed > 0):
            raise ValueError(
                f"speed must be a finite number above 0 (or None for a manual clock), got {speed!r}"
            )
        self.speed = speed
        self._start = start
        self._elapsed = 0.0  # manual mode: emulated seconds since start
        self._t0 = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._heap: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._handles: set[asyncio.TimerHandle] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._advance_lock = asyncio.Lock()
        self._closed = False

    @property
    def manual(self) -> bool:
        """Whether time moves only by advance()."""
        return self.speed is None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start counting real time on a loop."""
        self._loop = loop
        self._t0 = loop.time()

    def elapsed(self) -> float:
        """Emulated seconds since the start."""
        if self.speed is None or self._loop is None:
            return self._elapsed
        return (self._loop.time() - self._t0) * self.speed

    def now(self) -> datetime:
        """The emulated current moment (UTC), in whole milliseconds like the rendered form."""
        moment = self._start + timedelta(seconds=self.elapsed())
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def schedule(self, delay: float, job: Job) -> None:
        """Run ``job`` after ``delay`` emulated seconds."""
        if self._closed:
            return
        delay = max(0.0, delay)
        if self.speed is None or self._loop is None:
            heapq.heappush(self._heap, (self._elapsed + delay, next(self._seq), job))
            return
        holder: list[asyncio.TimerHandle] = []
        handle = self._loop.call_later(delay / self.speed, self._fire, job, holder)
        holder.append(handle)
        self._handles.add(handle)

    def _fire(self, job: Job, holder: list[asyncio.TimerHandle]) -> None:
        self._handles.discard(holder[0])
        self.spawn(job)

    def _loop_time(self) -> float:
        return self._loop.time() if self._loop is not None else 0.0

    def spawn(self, job: Job) -> None:
        """Run a job now as a tracked task (cancelled by close())."""
        if self._closed or self._loop is None:
            return
        task = self._loop.create_task(self._run(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: Job) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("emulator job failed")

    async def advance(self, seconds: float) -> None:
        """Move a manual clock forward, running every job that falls due, in order."""
        if self.speed is not None:
            raise RuntimeError("advance() needs a manual clock (clock='manual' or speed=None)")
        if seconds < 0:
            raise ValueError("cannot move the clock backwards")
        async with self._advance_lock:
            target = self._elapsed + seconds
            while self._heap and self._heap[0][0] <= target:
                due, _, job = heapq.heappop(self._heap)
                self._elapsed = max(self._elapsed, due)
                await self._run(job)
            self._elapsed = target

    async def settle(self) -> None:
        """Wait until no job is due now or running (a manual clock runs what is due now)."""
        if self.speed is None:
            await self.advance(0)
            return
        while True:
            await asyncio.sleep(0)
            now = self._loop_time()
            due = any(h.when() <= now + 0.001 for h in self._handles)
            running = [t for t in self._tasks if not t.done()]
            if not due and not running:
                return
            if running:
                await asyncio.wait(running)
            else:
                await asyncio.sleep(0.001)

    def pending(self) -> int:
        """How many jobs wait for their time."""
        return len(self._heap) + len(self._handles)

    async def close(self) -> None:
        """Drop every scheduled job and cancel running ones."""
        self._closed = True
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()
        self._heap.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
