"""Every Python block in README.md and docs/*.md runs, as written, against the emulator.

Blocks run as scripts in a fresh interpreter with ``RECRUBO_API_KEY`` and
``RECRUBO_BASE_URL`` pointing at an emulator served by this test; a block that defines
pytest tests is run by pytest instead. So the documentation cannot drift from the code.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from recrubo_async.testing import Emulator

from ..support import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: How a user's project would configure pytest-asyncio for the fixture.
PYTEST_INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for number, match in enumerate(BLOCK.finditer(doc.read_text()), start=1):
            found.append((f"{doc.relative_to(ROOT)}#{number}", match.group(1)))
    return found


BLOCKS = blocks()


def test_the_docs_have_python_blocks() -> None:
    names = {name.split("#")[0] for name, _ in BLOCKS}
    assert "README.md" in names
    assert len(names) >= 6


@pytest.mark.parametrize(("name", "code"), BLOCKS, ids=[name for name, _ in BLOCKS])
async def test_doc_block_runs(name: str, code: str, tmp_path: Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(code)
    async with Emulator(mode="sandbox", speed=20, seed=5) as emu:
        org = await emu.create_organization("Docs")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RECRUBO_")},
            "RECRUBO_API_KEY": org.token,
            "RECRUBO_BASE_URL": emu.base_url,
            "RECRUBO_WEBHOOK_SECRET": "docs-webhook-secret",
        }
        if "def test_" in code:
            script = script.rename(tmp_path / "test_snippet.py")
            (tmp_path / "pytest.ini").write_text(PYTEST_INI)
            command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)]
        else:
            command = [sys.executable, str(script)]
        proc = await asyncio.create_subprocess_exec(
            *command,
            cwd=str(tmp_path),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, f"{name} failed:\n{out.decode()}\n{err.decode()}"
    assert "Traceback" not in err.decode()
