"""Base of the typed builders for nested JSON the API takes (parameters, context, ...)."""

from __future__ import annotations

import attrs


@attrs.frozen
class WireObject:
    """A typed piece of request JSON: snake_case fields, sent with camelCase keys.

    Fields left at their default ``None`` are not sent.
    """
