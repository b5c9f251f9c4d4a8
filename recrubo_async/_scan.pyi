"""A validating scanner for webhook delivery bodies (C, ``_scan.c``): the receiver's fast
path, held to the plain path (``orjson.loads``, ``decode_payload``, ``resource_event``) by
``tests/webhooks/test_scan_delivery.py``."""

def scan_delivery(
    body: bytes, /
) -> tuple[str, str | None, str, tuple[str, ...], str, str, str | None, str | None] | None:
    """``(payload_id, webhook_id, event, fields, resource_type, resource_id, status,
    updated_at)`` as sent, only when the plain path certainly accepts ``body`` and gives
    these values; None whenever the scanner is not sure (the plain path then decides),
    and for a subclass of ``bytes``, which ``orjson.loads`` refuses.

    Raises:
        TypeError: ``body`` is not ``bytes`` (nor a subclass): a ``bytearray``, a
            ``memoryview`` or a ``str`` is refused, not scanned.
    """
