"""Hatchling build hook: compile the package's two C accelerators into the wheel (or next
to the sources, for an editable install), for the Python running the build:

- ``recrubo_async/_scan.c``, the webhook receiver's validating scanner, whose pure-Python
  fallback is ``recrubo_async/_scanner.py`` (the receiver parses with orjson);
- ``recrubo_async/_decode.c``, ``Codec.decode_data``'s data decoder, whose pure-Python
  fallback is ``recrubo_async/_fastdecode.py`` (its generated decoder alone).

Both are built or neither is: when there is no C compiler, no Python headers, a compiler
that fails on either source, or ``RECRUBO_NO_EXTENSION=1`` is set, the build says why and
makes a pure wheel that works the same, a little slower.
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

#: Each C extension: its source, and its module's path without the suffix (``EXT_SUFFIX``).
EXTENSIONS = (
    ("recrubo_async/_scan.c", "recrubo_async/_scan"),
    ("recrubo_async/_decode.c", "recrubo_async/_decode"),
)


class ExtensionBuildHook(BuildHookInterface[BuilderConfig]):
    """Compiles every extension (``EXTENSIONS``) for the Python running the build."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        if version == "editable":
            # An editable install imports the package from the source tree: build there,
            # and never leave an old build to import, whether or not this one succeeds.
            targets = [Path(self.root, module + suffix) for _, module in EXTENSIONS]
            for target in targets:
                target.unlink(missing_ok=True)
        else:
            self._scratch = tempfile.mkdtemp(prefix="recrubo-ext-")
            targets = [Path(self._scratch, Path(module).name + suffix) for _, module in EXTENSIONS]
        why_not = _why_not_compiled()
        for (source, _), target in zip(EXTENSIONS, targets, strict=True):
            why_not = why_not or _compile(Path(self.root, source), target)
        if why_not is not None:
            # All or nothing: none of them, when one cannot be built.
            for target in targets:
                target.unlink(missing_ok=True)
            self.app.display_warning(
                f"recrubo-async: building without the C extensions (the scanner and the"
                f" decoder): {why_not}"
            )
            return
        if version != "editable":
            for (_, module), target in zip(EXTENSIONS, targets, strict=True):
                build_data["force_include"][str(target)] = module + suffix
            build_data["pure_python"] = False
            build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _why_not_compiled() -> str | None:
    """Why the extensions cannot be compiled here, or None."""
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
