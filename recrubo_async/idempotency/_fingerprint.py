"""Fingerprints: stable hashes of a create request, its scope and its resource type.

Two hashes of canonical JSON (sorted keys, no whitespace):

* ``request_fingerprint``: the whole JSON:API body (attributes and relationships). A key
  reused with another body is refused (``IdempotencyKeyReusedError``).
* ``match_fingerprint``: only the attributes the API echoes back on the created job
  (``MATCH_KEYS``), computed the same way for a request and for a listed job, so that
  reconciliation can tell which listed job a lost POST created.

Both include the scope (a digest of base URL and credentials; never the key itself).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping
from typing import Any

import orjson

#: Per job type, the request attributes the API returns unchanged on the job. ``context``
#: (generations), ``state`` (runs, changed by the flow) and ``initialMessage`` are not.
MATCH_KEYS: Mapping[str, tuple[str, ...]] = {
    "flowGenerations": ("flowType", "parameters"),
    "vacancyAnalyses": ("inputText",),
    "flowRuns": ("flowId", "messageThreadId"),
}


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _plain(value: Any) -> Any:
    """A JSON-able, order-free form of a client's scope (frozensets become sorted lists)."""
    if isinstance(value, (frozenset, set)):
        return sorted((_plain(v) for v in value), key=repr)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def scope_of(scope: Hashable) -> str:
    """A short digest of a client's visibility scope: the ledger's organization key.

    The scope already holds only a digest of the API key; this hashes it once more, so a
    record shows neither.
    """
    return hashlib.blake2b(_canonical(_plain(scope)), digest_size=16).hexdigest()


def request_fingerprint(scope: str, type_name: str, body: Mapping[str, Any]) -> str:
    """The hash of a create's JSON:API ``data`` (type, attributes, relationships)."""
    data = body.get("data", {})
    document = {
        "scope": scope,
        "type": type_name,
        "attributes": data.get("attributes", {}),
        "relationships": data.get("relationships", {}),
    }
    return hashlib.sha256(_canonical(document)).hexdigest()


def match_fingerprint(scope: str, type_name: str, attributes: Mapping[str, Any]) -> str:
    """The hash of the echoed request attributes (``MATCH_KEYS``; absent counts as null)."""
    keys = MATCH_KEYS.get(type_name, ())
    document = {
        "scope": scope,
        "type": type_name,
        "attributes": {key: attributes.get(key) for key in keys},
    }
    return hashlib.sha256(_canonical(document)).hexdigest()
