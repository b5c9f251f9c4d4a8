"""The shared-secret check on every delivery."""

from __future__ import annotations

import hmac
from collections.abc import Sequence

SECRET_HEADER = "X-Recrubo-Webhook-Secret"


def secret_matches(presented: str | None, accepted: Sequence[bytes]) -> bool:
    """Compare ``presented`` with every accepted secret in constant time.

    Every secret is compared even after a match, so the time taken does not tell which
    (or whether an early) secret matched.
    """
    if presented is None:
        return False
    candidate = presented.encode("utf-8", errors="surrogateescape")
    matched = False
    for secret in accepted:
        matched |= hmac.compare_digest(candidate, secret)
    return matched
