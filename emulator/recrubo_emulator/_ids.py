"""Identifiers, tokens and timestamp formatting."""

from __future__ import annotations

import random
import uuid
from datetime import datetime


class IdFactory:
    """UUIDs and tokens from one seeded generator, so a seeded emulator is reproducible."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def uuid(self) -> str:
        """A random (version 4) UUID string."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def token(self) -> str:
        """An opaque API token."""
        return f"rcb_{self._rng.getrandbits(192):048x}"


def iso(moment: datetime) -> str:
    """RFC 3339 with milliseconds, e.g. ``2024-08-20T10:45:10.123+00:00``."""
    return moment.isoformat(timespec="milliseconds")
