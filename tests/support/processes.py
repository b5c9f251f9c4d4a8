"""Child processes for the multi-process tests, run as ``python -m <module>`` from the
repository root; each one's stdout JSON lines are collected as they come."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import attrs
import orjson

from . import ROOT
from .timing import eventually


@attrs.define
class Child:
    """A child process whose stdout JSON lines are collected as they come."""

    name: str
    proc: asyncio.subprocess.Process
    stderr_path: Path
    stderr_file: BinaryIO
    lines: list[dict[str, Any]] = attrs.Factory(list)
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            text = raw.decode(errors="replace").strip()
            if text.startswith("{"):
                self.lines.append(orjson.loads(text))
            elif text:
                self.lines.append({"text": text})

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line.get("event") == kind]

    def stderr_tail(self, size: int = 3000) -> str:
        self.stderr_file.flush()
        return self.stderr_path.read_bytes()[-size:].decode(errors="replace")

    async def first_line(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first stdout line matching ``predicate``, waiting up to 20 s for it."""

        def found() -> dict[str, Any] | None:
            return next((line for line in self.lines if predicate(line)), None)

        await eventually(lambda: found() is not None or self.proc.returncode is not None, 20)
        line = found()
        assert line is not None, f"{self.name} exited early; stderr:\n{self.stderr_tail()}"
        return line


class Processes:
    """Starts children and guarantees that every one is killed and reaped."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.children: list[Child] = []

    async def start(self, name: str, *args: str, env: Mapping[str, str]) -> Child:
        # The parent's RECRUBO_* settings never leak into a child: each gets exactly its own.
        base = {k: v for k, v in os.environ.items() if not k.startswith(("RECRUBO_", "REDIS_"))}
        stderr_path = self.logs / f"{name}.stderr"
        stderr_file = stderr_path.open("wb")
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                *args,
                cwd=ROOT,
                env={**base, **env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr_file,
            )
        except BaseException:
            stderr_file.close()
            raise
        child = Child(name, proc, stderr_path, stderr_file)
        self.children.append(child)
        child.reader = asyncio.get_running_loop().create_task(child.read())
        return child

    async def kill_all(self) -> None:
        for child in self.children:
            if child.proc.returncode is None:
                child.proc.kill()
        for child in self.children:
            await asyncio.wait_for(child.proc.wait(), 10)
            if child.reader is not None:
                await asyncio.wait_for(child.reader, 10)
            child.stderr_file.close()
