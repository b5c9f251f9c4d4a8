"""The SDK's wheel carries the C scanner compiled for the Python that built it, or, when
it cannot be compiled, nothing of it (a pure wheel whose receiver parses with orjson).

``hatch_build.py`` compiles ``recrubo_async/_scan.c``; ``make package-check`` installs the
wheel and runs the examples against it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from ..support import ROOT
from ..support.scanner import require_scanner


def _wheel(out: Path, **env: str) -> tuple[str, set[str]]:
    """Build the SDK's wheel without network: (its file name, its member paths)."""
    command = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)]
    subprocess.run(
        [*command, str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, **env},
    )
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return wheel.name, set(archive.namelist())


def test_the_wheel_carries_the_scanner_built_for_this_python(tmp_path: Path) -> None:
    require_scanner()  # a compiler is there (CI requires it)
    name, members = _wheel(tmp_path)
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    assert f"recrubo_async/_scan{suffix}" in members
    assert {"recrubo_async/_scan.pyi", "recrubo_async/_scanner.py"} <= members
    assert "recrubo_async/_scan.c" not in members
    # A binary wheel, tagged for this interpreter and platform.
    tag = name.removesuffix(".whl").split("-", 2)[2]
    assert not tag.startswith("py3-none-any")
    assert tag.startswith(f"cp{sys.version_info[0]}{sys.version_info[1]}-")


@pytest.mark.parametrize(
    "env",
    [
        {"RECRUBO_NO_EXTENSION": "1"},
        {"CC": "no-such-compiler"},
        {"CC": "false"},  # runs and fails
        {"CC": "true"},  # runs, "succeeds" and writes nothing
        {"CC": 'gcc "'},  # cannot be read
    ],
    ids=["switched-off", "no-compiler", "failing", "writes-nothing", "unreadable"],
)
def test_without_a_compiler_the_wheel_is_pure_and_has_no_scanner(
    tmp_path: Path, env: dict[str, str]
) -> None:
    name, members = _wheel(tmp_path, **env)
    assert name.endswith("-py3-none-any.whl")
    assert not [m for m in members if m.startswith("recrubo_async/_scan.") and m[-3:] != "pyi"]
    assert "recrubo_async/_scanner.py" in members


def _editable(root: Path, **env: str) -> None:
    """The build hook, as an editable install runs it, in the checkout copied to ``root``
    (the rest of an editable build needs the ``editables`` package, which pip brings)."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from hatch_build import ScannerBuildHook; "
        "ScannerBuildHook(sys.argv[1], {}, None, None, sys.argv[2], 'wheel')"
        ".initialize('editable', {'force_include': {}})"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(root), str(root / "dist")],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "not-compiled"])
def test_an_editable_build_never_leaves_an_old_scanner_to_import(
    tmp_path: Path, compiled: bool
) -> None:
    """The scanner built next to the sources is this build's, or there is none (an old
    one would be imported in place of an edited ``_scan.c``)."""
    if compiled:
        require_scanner()
    root = tmp_path / "checkout"
    for name in ("pyproject.toml", "hatch_build.py", "README.md", "LICENSE"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes((ROOT / name).read_bytes())
    shutil.copytree(
        ROOT / "recrubo_async", root / "recrubo_async", ignore=shutil.ignore_patterns("*.so")
    )
    built = root / f"recrubo_async/_scan{sysconfig.get_config_var('EXT_SUFFIX')}"
    built.write_bytes(b"an old build")
    _editable(root, **({} if compiled else {"RECRUBO_NO_EXTENSION": "1"}))
    assert built.exists() == compiled
    if compiled:
        assert built.read_bytes().startswith(b"\x7fELF") or sys.platform != "linux"
