"""The SDK's wheel carries both C extensions compiled for the Python that built it, or,
when either cannot be compiled, nothing of either (a pure wheel whose receiver parses with
orjson and whose data decoder is the generated Python one).

``hatch_build.py`` compiles ``recrubo_async/_scan.c`` (the scanner) and
``recrubo_async/_decode.c`` (the decoder); ``make package-check`` installs the wheel and runs
the examples against it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from ..support import ROOT
from ..support.extensions import EXTENSIONS, require_extensions

#: Each extension's path in the package, without a suffix: ``recrubo_async/_scan``, ...
MODULES = [name.replace(".", "/") for name in EXTENSIONS]
#: The pure-Python fallbacks, which every wheel carries.
FALLBACKS = {"recrubo_async/_scanner.py", "recrubo_async/_fastdecode.py"}
#: The build hook's one warning when it builds neither extension.
WARNING = "recrubo-async: building without the C extensions"
#: A compiler that compiles the scanner but fails on the decoder: all or nothing.
FAILS_ON_THE_DECODER = 'sh -c \'case "$*" in *_decode.c*) exit 1;; esac; exec cc "$@"\' sh'


def _wheel(out: Path, **env: str) -> tuple[str, set[str], str]:
    """Build the SDK's wheel without network: (its file name, its member paths, the
    build's output)."""
    command = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)]
    done = subprocess.run(
        [*command, str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return wheel.name, set(archive.namelist()), done.stdout + done.stderr


def test_the_extensions_are_the_build_hooks() -> None:
    """The modules these tests look for are the ones ``hatch_build.py`` compiles."""
    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    assert spec is not None
    assert spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    assert [module for _, module in hook.EXTENSIONS] == MODULES
    assert [source for source, _ in hook.EXTENSIONS] == [f"{m}.c" for m in MODULES]


def test_the_wheel_carries_both_extensions_built_for_this_python(tmp_path: Path) -> None:
    require_extensions()  # a compiler is there (CI requires it)
    name, members, output = _wheel(tmp_path)
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for module in MODULES:
        assert f"{module}{suffix}" in members
        assert f"{module}.pyi" in members
        assert f"{module}.c" not in members
    assert members >= FALLBACKS
    assert WARNING not in output
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
        {"CC": FAILS_ON_THE_DECODER},  # the scanner compiles, the decoder does not
    ],
    ids=["switched-off", "no-compiler", "failing", "writes-nothing", "unreadable", "one-fails"],
)
def test_without_a_compiler_the_wheel_is_pure_and_has_neither_extension(
    tmp_path: Path, env: dict[str, str]
) -> None:
    name, members, output = _wheel(tmp_path, **env)
    assert name.endswith("-py3-none-any.whl")
    for module in MODULES:
        assert not [m for m in members if m.startswith(f"{module}.") and m[-4:] != ".pyi"]
    assert not [m for m in members if m.endswith((".so", ".pyd", ".c"))]
    assert members >= FALLBACKS
    # Said once, with the reason.
    assert output.count(WARNING) == 1


def _editable(root: Path, **env: str) -> None:
    """The build hook, as an editable install runs it, in the checkout copied to ``root``
    (the rest of an editable build needs the ``editables`` package, which pip brings)."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from hatch_build import ExtensionBuildHook; "
        "ExtensionBuildHook(sys.argv[1], {}, None, None, sys.argv[2], 'wheel')"
        ".initialize('editable', {'force_include': {}})"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(root), str(root / "dist")],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize(
    ("env", "compiled"),
    [
        ({}, True),
        ({"RECRUBO_NO_EXTENSION": "1"}, False),
        ({"CC": FAILS_ON_THE_DECODER}, False),  # the scanner alone is not left either
    ],
    ids=["compiled", "not-compiled", "one-fails"],
)
def test_an_editable_build_never_leaves_an_old_extension_to_import(
    tmp_path: Path, env: dict[str, str], compiled: bool
) -> None:
    """Each extension built next to the sources is this build's, or there is none of
    either (an old one would be imported in place of an edited ``_scan.c`` or
    ``_decode.c``)."""
    if compiled or env.get("CC") == FAILS_ON_THE_DECODER:
        require_extensions()  # a compiler is there
    root = tmp_path / "checkout"
    for name in ("pyproject.toml", "hatch_build.py", "README.md", "LICENSE"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes((ROOT / name).read_bytes())
    shutil.copytree(
        ROOT / "recrubo_async", root / "recrubo_async", ignore=shutil.ignore_patterns("*.so")
    )
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    builds = [root / f"{module}{suffix}" for module in MODULES]
    for built in builds:
        built.write_bytes(b"an old build")
    _editable(root, **env)
    for built in builds:
        assert built.exists() == compiled, built.name
        if compiled:
            assert built.read_bytes().startswith(b"\x7fELF") or sys.platform != "linux"
