"""``python -m recrubo_async.testing``: the emulator's command line (``recrubo_emulator``)."""

from __future__ import annotations

import sys

from . import INSTALL_HINT

try:
    from recrubo_emulator.__main__ import main
except ImportError as exc:  # pragma: no cover - only without the emulator installed
    raise SystemExit(f"python -m recrubo_async.testing: {INSTALL_HINT}") from exc

if __name__ == "__main__":
    sys.exit(main())
