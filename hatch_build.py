"""Hatchling build hook: compile ``recrubo_async/_scan.c``, the webhook receiver's
validating scanner, into the wheel (or next to it, for an editable install).

The extension is an accelerator with a pure-Python fallback (``recrubo_async/_scanner.py``):
when there is no C compiler, no Python headers, or ``RECRUBO_NO_EXTENSION=1`` is set, the
build says why and makes a pure wheel that works the same, a little slower.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = "recrubo_async/_scan.c"
MODULE = "recrubo_async/_scan"


class ScannerBuildHook(BuildHookInterface[BuilderConfig]):
    """Compiles the scanner for the Python running the build."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        if version == "editable":
            # An editable install imports the package from the source tree: build there,
            # and never leave an old build to import, whether or not this one succeeds.
            target = Path(self.root, MODULE + suffix)
            target.unlink(missing_ok=True)
        else:
            self._scratch = tempfile.mkdtemp(prefix="recrubo-scan-")
            target = Path(self._scratch, "_scan" + suffix)
        why_not = _why_not_compiled() or _compile(Path(self.root, SOURCE), target)
        if why_not is not None:
            target.unlink(missing_ok=True)
            self.app.display_warning(f"recrubo-async: building without the C scanner: {why_not}")
            return
        if version != "editable":
            build_data["force_include"][str(target)] = MODULE + suffix
            build_data["pure_python"] = False
            build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _why_not_compiled() -> str | None:
    """Why the scanner cannot be compiled here, or None."""
    if os.environ.get("RECRUBO_NO_EXTENSION") == "1":
        return "RECRUBO_NO_EXTENSION=1"
    if sys.implementation.name != "cpython":
        return f"{sys.implementation.name} is not CPython"
    if sys.platform == "win32":
        return "no compiler set-up for Windows here"
    if not Path(sysconfig.get_paths()["include"], "Python.h").is_file():
        return "Python.h not found (install the Python development headers)"
    try:
        compiler = _compiler()
    except ValueError as exc:  # an unbalanced quote in CC
        return f"CC cannot be read: {exc}"
    if not compiler or shutil.which(compiler[0]) is None:
        return f"no C compiler ({' '.join(compiler)}) on PATH"
    return None


def _compiler() -> list[str]:
    return shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")


def _compile(source: Path, target: Path) -> str | None:
    """Compile ``source`` into the extension ``target``; why not, on failure."""
    command = [
        *_compiler(),
        "-O2",
        "-fPIC",
        "-shared",
        f"-I{sysconfig.get_paths()['include']}",
        str(source),
        "-o",
        str(target),
    ]
    if sys.platform == "darwin":
        command[1:1] = ["-undefined", "dynamic_lookup"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"the compiler could not run: {exc}"
    if done.returncode != 0:
        return f"the compiler failed:\n{shlex.join(command)}\n{done.stdout}{done.stderr}"
    if not target.is_file():
        return f"the compiler wrote no {target.name}: {shlex.join(command)}"
    return None
