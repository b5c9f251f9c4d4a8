"""The pytest plugin's fixture in a new project: under pytest-asyncio (auto and strict) and
anyio it yields a started emulator; with neither it fails saying what to install or set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TEST = """
import aiohttp
{imports}

{decorator}
async def test_served(recrubo_emulator):
    async with aiohttp.ClientSession() as session:
        async with session.get(recrubo_emulator.stats_url) as response:
            assert response.status == 200
"""
ANYIO = """
import pytest

@pytest.fixture
def anyio_backend():
    return "{backend}"
"""


def _pytest(tmp_path: Path, test: str, *options: str, conftest: str = "") -> tuple[int, str]:
    (tmp_path / "test_new_project.py").write_text(test)
    (tmp_path / "conftest.py").write_text(conftest)
    # A new project: its own rootdir and ini, not this repository's settings.
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("options", "decorator"),
    [
        (("-o", "asyncio_mode=auto"), ""),
        (("-o", "asyncio_mode=strict"), "@pytest.mark.asyncio"),
    ],
    ids=["asyncio-auto", "asyncio-strict"],
)
def test_the_fixture_runs_under_pytest_asyncio(
    tmp_path: Path, options: tuple[str, ...], decorator: str
) -> None:
    test = TEST.format(imports="import pytest", decorator=decorator)
    code, output = _pytest(tmp_path, test, *options)
    assert code == 0, output


@pytest.mark.parametrize(
    "options",
    [("-p", "no:asyncio"), ("-o", "asyncio_mode=strict")],
    ids=["anyio-alone", "anyio-beside-pytest-asyncio"],
)
def test_the_fixture_runs_under_anyio(tmp_path: Path, options: tuple[str, ...]) -> None:
    test = TEST.format(imports="import pytest", decorator="@pytest.mark.anyio")
    code, output = _pytest(tmp_path, test, *options, conftest=ANYIO.format(backend="asyncio"))
    assert code == 0, output


def test_anyio_on_trio_says_the_emulator_needs_asyncio(tmp_path: Path) -> None:
    test = TEST.format(imports="import pytest", decorator="@pytest.mark.anyio")
    code, output = _pytest(
        tmp_path, test, "-p", "no:asyncio", conftest=ANYIO.format(backend="trio")
    )
    assert code != 0
    assert 'return "asyncio" from your anyio_backend fixture' in output


def test_without_an_async_plugin_the_failure_says_what_to_install(tmp_path: Path) -> None:
    test = TEST.format(imports="import pytest", decorator="")
    code, output = _pytest(tmp_path, test, "-p", "no:asyncio", "-p", "no:anyio")
    assert code != 0
    assert "pip install pytest-asyncio" in output
    assert 'asyncio_mode = "auto"' in output


def test_strict_mode_without_the_marker_says_to_mark_or_set_auto(tmp_path: Path) -> None:
    test = TEST.format(imports="import pytest", decorator="")
    code, output = _pytest(tmp_path, test, "-o", "asyncio_mode=strict", "-p", "no:anyio")
    assert code != 0
    assert "@pytest.mark.asyncio" in output
