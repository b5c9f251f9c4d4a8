"""Every example runs as it is (``python examples/NAME.py``) against the embedded emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"
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
    "quickstart.py": ["finished", "[start]", "[end: accepted]", "[end: declined]", "ask:"],
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
