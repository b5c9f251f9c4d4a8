"""Reconciliation: which jobs of a type, created since a moment, match a request.

The list is read raw (``createdAt >= since``, oldest first, 200 a page) so that each job's
echoed attributes are hashed exactly as the API returned them, the same way as the
request's (``_fingerprint.match_fingerprint``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from .._core import ClientCore
from .._query import filter_params
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..errors import DecodeError
from ._fingerprint import match_fingerprint

#: The page size of the list (the API's maximum).
_PAGE_SIZE = 200


async def matching_jobs(
    core: ClientCore,
    path: str,
    type_name: str,
    *,
    scope: str,
    fingerprint: str,
    since: datetime,
    timeout: TimeoutLike | NotGiven = NOT_GIVEN,
) -> list[dict[str, Any]]:
    """The raw resource objects at ``path`` created since ``since`` whose echoed request
    attributes hash to ``fingerprint``, oldest first.

    Raises:
        APIStatusError, APIConnectionError: a page could not be read (GETs are retried by
            the client first).
        DecodeError: a page is not a JSON:API list.
    """
    base = [
        *filter_params({"created_at": {"gte": since}}),
        ("sort", "createdAt"),
        ("page[size]", str(_PAGE_SIZE)),
    ]
    found: list[dict[str, Any]] = []
    number = 1
    while True:
        params = [*base, ("page[number]", str(number))]
        body = await core.request("GET", path, params=params, timeout=timeout)
        items = _items(body)
        for item in items:
            attributes = item.get("attributes")
            if item.get("type") != type_name or not isinstance(attributes, Mapping):
                continue
            if match_fingerprint(scope, type_name, attributes) == fingerprint:
                found.append(item)
        if len(items) < _PAGE_SIZE:
            return found
        number += 1


def _items(body: bytes) -> list[dict[str, Any]]:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"the list response is not JSON: {exc}") from exc
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list):
        raise DecodeError("a list response must have a data array", path="$.data")
    return [item for item in data if isinstance(item, dict)]
