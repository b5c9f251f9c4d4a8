"""The C scanner (``recrubo_async/_scan.c``) for tests that need it.

Without it (a build with no C compiler) such a test skips, unless
``RECRUBO_REQUIRE_EXTENSION=1`` (CI sets it): then its absence fails. The other C
extension, and both together, are ``extensions.py``'s.
"""

from __future__ import annotations

from collections.abc import Callable

from recrubo_async import _scanner
from recrubo_async._scanner import Scanned

from .extensions import missing


def require_scanner(*, module: bool = False) -> Callable[[bytes], Scanned | None]:
    """The scanner; without it the test (the whole ``module`` when called at import)
    skips, or fails when CI requires the extension."""
    scan = _scanner.SCAN_DELIVERY
    if scan is None:
        missing("the C scanner (recrubo_async._scan) is not built", module=module)
    return scan
