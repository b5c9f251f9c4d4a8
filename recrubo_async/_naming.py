"""snake_case (Python) <-> camelCase (wire) names."""

from __future__ import annotations

import functools
import re

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@functools.lru_cache(maxsize=4096)
def to_camel(name: str) -> str:
    """``created_at`` -> ``createdAt``; names without underscores are left alone."""
    if "_" not in name:
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@functools.lru_cache(maxsize=4096)
def to_snake(name: str) -> str:
    """``createdAt`` -> ``created_at``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()
