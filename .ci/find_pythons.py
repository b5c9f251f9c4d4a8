"""Print the CPython interpreters CI tests on: one ``X.Y /path/to/python`` line per version.

The supported versions (``requires-python``, >= 3.10) are looked for beside the interpreter
running this script: pyenv, and the CI image, keep every version in one ``versions/``
folder. The newest patch release of each minor version wins. The running interpreter is
always listed, so a machine with only one Python still tests that one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MINIMUM = (3, 10)


def _minor(python: Path) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [str(python), "-c", "import sys; print(*sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return int(out[0]), int(out[1])


def find() -> dict[tuple[int, int], Path]:
    """Map each supported ``(major, minor)`` found to its newest interpreter."""
    here = Path(sys.base_prefix)
    candidates = sorted(
        here.parent.glob("*/bin/python3"),
        # "3.10.13" sorts after "3.9.18" only when compared as numbers.
        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parents[1].name.split(".")],
    )
    found: dict[tuple[int, int], Path] = {}
    for python in candidates:
        version = _minor(python)
        if version is not None and version >= MINIMUM:
            found[version] = python
    found[sys.version_info.major, sys.version_info.minor] = Path(sys.executable)
    return dict(sorted(found.items()))


def main() -> None:
    for (major, minor), python in find().items():
        print(f"{major}.{minor} {python}")


if __name__ == "__main__":
    main()
