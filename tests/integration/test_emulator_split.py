"""The emulator is its own distribution: the SDK's wheel carries none of it.

The SDK's wheel holds no emulator and registers no pytest plugin; ``recrubo_async.testing``
re-exports the emulator's names and says what to install when it is missing; the emulator
imports nothing from the SDK, so it stays an honest check on it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile

import pytest

import recrubo_async.testing as testing

from ..support import ROOT

EMULATOR = ROOT / "emulator" / "recrubo_emulator"


@pytest.fixture(scope="module")
def sdk_wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = out.glob("recrubo_async-*.whl")
    return zipfile.ZipFile(wheel)


def test_the_sdk_wheel_holds_no_emulator(sdk_wheel: zipfile.ZipFile) -> None:
    names = sdk_wheel.namelist()
    assert not [n for n in names if n.startswith("recrubo_emulator/")]
    testing_files = sorted(n for n in names if n.startswith("recrubo_async/testing/"))
    assert testing_files == [
        "recrubo_async/testing/__init__.py",
        "recrubo_async/testing/__main__.py",
    ]


def test_the_sdk_wheel_registers_no_pytest_plugin(sdk_wheel: zipfile.ZipFile) -> None:
    entry_points = [n for n in sdk_wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = "".join(sdk_wheel.read(n).decode() for n in entry_points)
    assert "pytest11" not in text
    assert "recrubo = recrubo_async.cli:main" in text


def test_the_emulator_imports_nothing_from_the_sdk() -> None:
    offenders = []
    for path in [*EMULATOR.glob("*.py"), *(ROOT / "emulator" / "tests").glob("*.py")]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("recrubo_async"):
                offenders.append(f"{path.name}: from {node.module}")
            if isinstance(node, ast.Import):
                offenders += [
                    f"{path.name}: import {a.name}"
                    for a in node.names
                    if a.name.startswith("recrubo_async")
                ]
    assert offenders == []


def test_testing_re_exports_the_emulator() -> None:
    import recrubo_emulator

    assert testing.Emulator is recrubo_emulator.Emulator
    assert testing.Faults is recrubo_emulator.Faults
    assert set(testing.__all__) >= {"Emulator", "Faults", "retry_sleeps_disabled"}


def test_testing_says_what_to_install_without_the_emulator() -> None:
    # The emulator's absence is simulated: a None entry in sys.modules makes its import fail
    # exactly as it does when the distribution is not installed.
    script = (
        "import sys\n"
        "sys.modules['recrubo_emulator'] = None\n"
        "import recrubo_async.testing as t\n"
        "t.retry_sleeps_disabled\n"
        "try:\n"
        "    t.Emulator\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "pip install recrubo-emulator" in out


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        getattr(testing, "no_such_name")  # noqa: B009


def test_both_command_lines_serve_the_same_emulator() -> None:
    for module in ("recrubo_emulator", "recrubo_async.testing"):
        out = subprocess.run(
            [sys.executable, "-m", module, "--help"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        assert "--mode" in out
