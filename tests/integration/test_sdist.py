"""Each source distribution holds its own package, its licence and nothing of the other one.

The tests stay out of both: they read the whole repository (docs/, benchmarks/, .ci/, the
Makefile) and its pytest settings, so an sdist could not run them. ``license = "MIT"`` travels
with its text, as the licence requires.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ..support import ROOT
from ..support.extensions import EXTENSIONS

#: What every sdist has besides its own files (hatchling adds them).
ALWAYS = {"PKG-INFO", "pyproject.toml", ".gitignore", "LICENSE", "README.md"}


def _sdist(source: Path, out: Path) -> dict[str, bytes]:
    """Build the sdist of ``source`` without network and return its files by path."""
    command = [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out)]
    subprocess.run(
        [*command, str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (archive,) = out.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        return {
            member.name.split("/", 1)[1]: tar.extractfile(member).read()  # type: ignore[union-attr]
            for member in tar.getmembers()
            if member.isfile()
        }


@pytest.fixture(scope="module")
def sdists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    return {
        "recrubo-async": _sdist(ROOT, tmp_path_factory.mktemp("sdk")),
        "recrubo-emulator": _sdist(ROOT / "emulator", tmp_path_factory.mktemp("emulator")),
    }


@pytest.mark.parametrize(
    ("name", "own"),
    [
        ("recrubo-async", {"recrubo_async", "examples", "CHANGELOG.md", "hatch_build.py"}),
        ("recrubo-emulator", {"recrubo_emulator"}),
    ],
)
def test_an_sdist_holds_its_package_and_no_tests_or_other_distribution(
    sdists: dict[str, dict[str, bytes]], name: str, own: set[str]
) -> None:
    top = {path.split("/", 1)[0] for path in sdists[name]}
    assert top == own | ALWAYS


@pytest.mark.parametrize("name", ["recrubo-async", "recrubo-emulator"])
def test_the_mit_licence_text_ships_and_is_declared(
    sdists: dict[str, dict[str, bytes]], name: str
) -> None:
    files = sdists[name]
    assert files["LICENSE"] == (ROOT / "LICENSE").read_bytes()
    assert files["LICENSE"].startswith(b"MIT License")
    metadata = files["PKG-INFO"].decode()
    assert "License-Expression: MIT" in metadata
    assert "License-File: LICENSE" in metadata


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_the_sdk_sdist_carries_each_extensions_source_and_no_build_of_it(
    sdists: dict[str, dict[str, bytes]], extension: str
) -> None:
    """The wheel built from the sdist compiles the scanner and the decoder
    (``hatch_build.py``); a build left in the checkout by an editable install never travels."""
    files = sdists["recrubo-async"]
    source = extension.replace(".", "/")
    assert files[f"{source}.c"] == (ROOT / f"{source}.c").read_bytes()
    assert f"{source}.pyi" in files
    assert not [path for path in files if path.endswith((".so", ".pyd"))]
