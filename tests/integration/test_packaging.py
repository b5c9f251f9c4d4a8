"""What CI promises about Pythons and packages, pinned where a quiet edit could break it.

The classifiers of both distributions list exactly the versions CI tests (from
``requires-python`` up), ``.ci/find_pythons.py`` finds the interpreter running the suite,
and ``make test`` runs the suite on every found version and the package check (building,
twine-checking, installing and exercising the wheels is ``.ci/package-check``'s job: it is
too slow for every suite run).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ..support import ROOT
from ..support.extensions import EXTENSIONS

PYPROJECTS = [ROOT / "pyproject.toml", ROOT / "emulator" / "pyproject.toml"]


def _minor(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


@pytest.mark.parametrize("pyproject", PYPROJECTS, ids=lambda p: p.parent.name)
def test_classifiers_list_every_version_from_requires_python_up(pyproject: Path) -> None:
    text = pyproject.read_text(encoding="utf-8")
    floor = re.search(r'^requires-python = ">=(3\.\d+)"$', text, re.MULTILINE)
    assert floor is not None, "requires-python must read >=3.X"
    listed = [_minor(v) for v in re.findall(r'"Programming Language :: Python :: (3\.\d+)"', text)]
    assert listed, "no Programming Language :: Python :: 3.X classifier"
    assert listed[0] == _minor(floor.group(1))
    # No gap: every version between the floor and the newest classifier is one CI tests.
    assert listed == [(3, minor) for minor in range(listed[0][1], listed[-1][1] + 1)]


def test_both_distributions_list_the_same_versions() -> None:
    pattern = r'"Programming Language :: Python :: 3\.\d+"|^requires-python = .*$'
    sdk, emulator = (re.findall(pattern, p.read_text(encoding="utf-8"), re.M) for p in PYPROJECTS)
    assert sdk == emulator


def test_find_pythons_lists_the_running_interpreter_once_per_version() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "find_pythons.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    versions = [_minor(line.split(" ", 1)[0]) for line in out.splitlines()]
    assert sys.version_info[:2] in versions
    assert versions == sorted(set(versions))
    assert all(v >= (3, 10) for v in versions)


def test_make_test_runs_the_suite_on_every_version_then_the_package_check() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^test:(.*)$", makefile, re.MULTILINE)
    assert target is not None
    steps = target.group(1).split()
    assert {"lint", "typecheck", "pytest", "pytest-versions", "package-check"} <= set(steps)
    # The other Pythons after the main one (its failures are the quicker to read).
    assert steps.index("pytest") < steps.index("pytest-versions")
    assert re.search(r"^pytest-versions:", makefile, re.MULTILINE)


def _make_variable(makefile: str, name: str) -> list[str]:
    """The words of a ``NAME := ...`` line of the Makefile, with its continuation lines."""
    found = re.search(rf"^{name} := ((?:.*\\\n)*.*)$", makefile, re.MULTILINE)
    assert found is not None, f"no {name} := in the Makefile"
    return found.group(1).replace("\\\n", " ").split()


def test_each_versions_venv_installs_the_dev_extra_again_when_a_pyproject_changes() -> None:
    """A test dependency added later (to the dev extra), or a change to either C extension
    (the scanner or the decoder), reaches every .venv-3.X."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert set(_make_variable(makefile, "BUILD_INPUTS")) == {
        "pyproject.toml",
        "emulator/pyproject.toml",
        "hatch_build.py",
        "recrubo_async/_scan.c",
        "recrubo_async/_decode.c",
    }
    recipe = makefile.split("\npytest-versions:", 1)[1].split("\n\n", 1)[0]
    assert "for input in $(BUILD_INPUTS); do [ $$input -nt $$stamp ]" in recipe
    assert "-e ./emulator -e '.[dev,redis]'" in recipe
    assert re.search(r"STAMP_DEV\):.*\n.*-e ./emulator -e '\.\[dev,redis\]'", makefile)


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_each_c_extension_is_a_build_input_left_out_of_the_wheel_and_cleaned(
    extension: str,
) -> None:
    """Every extension ``hatch_build.py`` compiles (both or neither): its source makes the
    venvs install again, the wheel carries it only compiled, and ``make clean`` removes the
    builds an editable install left in the source tree."""
    source = extension.replace(".", "/")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"{source}.c" in _make_variable(makefile, "BUILD_INPUTS")
    clean = makefile.split("\nclean:", 1)[1].split("\n\n", 1)[0]
    assert f"{source}.*.so" in clean.split()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    exclude = re.search(
        r"^\[tool\.hatch\.build\.targets\.wheel\]$(?:\n(?!\[).*)*?\nexclude = \[(.*)\]$",
        pyproject,
        re.MULTILINE,
    )
    assert exclude is not None
    assert f'"/{source}.c"' in exclude.group(1).split(", ")
