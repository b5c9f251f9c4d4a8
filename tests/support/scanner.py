"""The C scanner (``recrubo_async/_scan.c``) for tests that need it.

Without it (a build with no C compiler) such a test skips, unless
``RECRUBO_REQUIRE_EXTENSION=1`` (CI sets it): then its absence fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from recrubo_async import _scanner
from recrubo_async._scanner import Scanned


def require_scanner(*, module: bool = False) -> Callable[[bytes], Scanned | None]:
    """The scanner; without it the test (the whole ``module`` when called at import)
    skips, or fails when CI requires the extension."""
    if _scanner.SCAN_DELIVERY is not None:
        return _scanner.SCAN_DELIVERY
    message = "the C scanner (recrubo_async._scan) is not built"
    if os.environ.get("RECRUBO_REQUIRE_EXTENSION") == "1":
        pytest.fail(f"{message}, and RECRUBO_REQUIRE_EXTENSION=1")
    pytest.skip(message, allow_module_level=module)
