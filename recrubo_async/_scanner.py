"""The webhook receiver's validating scanner: one seam for the C extension (``_scan.c``).

``SCAN_DELIVERY(body)`` walks a delivery body without building it, checks that it is JSON
that ``orjson.loads`` accepts and a ``webhookPayload`` of the usual shape, and returns the
few values a receiver needs (``_payload.scanned_delivery`` reads them). Whenever it is not
sure it returns None, and the plain path (``orjson.loads`` and the checks in
``_payload.py``) decides, errors included; ``tests/webhooks/test_scan_delivery.py`` holds
it to that path. None here (no scanner) when the package was built without a C compiler
(``hatch_build.py``) or on another Python implementation: every delivery then takes the
plain path, which gives the same answers.
"""

from __future__ import annotations

from collections.abc import Callable

#: ``(payload id, webhook id, event, fields, resource type, resource id, status,
#: updatedAt)``, each as sent.
Scanned = tuple[str, str | None, str, tuple[str, ...], str, str, str | None, str | None]

SCAN_DELIVERY: Callable[[bytes], Scanned | None] | None
try:
    from ._scan import scan_delivery as SCAN_DELIVERY
except ImportError:  # built without a compiler: the plain path only
    SCAN_DELIVERY = None
