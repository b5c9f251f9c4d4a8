"""The shared-secret check on every delivery: one rule for every adapter.

The rule: the raw bytes of the ``X-Recrubo-Webhook-Secret`` header must equal the UTF-8
bytes of an accepted secret, compared in constant time against every accepted secret.

Adapters that see the raw header bytes (ASGI ``scope["headers"]``, aiohttp
``request.raw_headers``) compare those. Frameworks that only hand out ``str`` values
decoded them from the bytes one of two ways: as UTF-8 (aiohttp, with ``surrogateescape``)
or as latin-1 (Starlette, Django, anything following WSGI/ASGI conventions). A ``str``
cannot say which, so it is accepted when either encoding turns it back into the secret's
bytes: both mean the sender put exactly those bytes on the wire.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence

SECRET_HEADER = "X-Recrubo-Webhook-Secret"
_RAW_NAME = SECRET_HEADER.lower().encode("ascii")
#: How a ``str`` header value is turned back into the bytes it was decoded from.
#: surrogateescape: aiohttp decodes undecodable bytes that way, so this restores them.
_STR_READINGS = (("utf-8", "surrogateescape"), ("latin-1", "strict"))


def raw_secret_header(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    """The secret header's raw value from ``(name, value)`` byte pairs, or ``None``.

    Names are compared case-insensitively (ASGI servers lower-case them; aiohttp's
    ``raw_headers`` keep the sender's case).
    """
    for name, value in headers:
        if len(name) == len(_RAW_NAME) and name.lower() == _RAW_NAME:
            return value
    return None


def secret_matches(presented: bytes | str | None, accepted: Sequence[bytes]) -> bool:
    """Whether ``presented`` is an accepted secret, in constant time.

    Args:
        presented: the header's raw bytes, or its value decoded as UTF-8 or latin-1.
        accepted: every accepted secret, UTF-8 encoded.

    Every secret is compared even after a match, so the time taken does not tell which
    (or whether an early) secret matched.
    """
    if presented is None:
        return False
    if isinstance(presented, bytes):
        return _any_equal(presented, accepted)
    matched = False
    for codec, errors in _STR_READINGS:
        try:
            candidate = presented.encode(codec, errors)
        except UnicodeEncodeError:
            continue  # not a decoding this codec could have produced
        matched |= _any_equal(candidate, accepted)
    return matched


def _any_equal(candidate: bytes, accepted: Sequence[bytes]) -> bool:
    matched = False
    for secret in accepted:
        matched |= hmac.compare_digest(candidate, secret)
    return matched
