"""Schemathesis hooks for ``test_schemathesis.py`` (loaded by the CLI: ``SCHEMATHESIS_HOOKS``).

A schema cannot say that an id must name a record that exists, that a flow has one start
node, or that a template's name is taken; the emulator refuses such a schema-valid write
with a 422 (a 400 for the taken template name, as the API passes Meta's error on). The run
therefore lets ``positive_data_acceptance`` accept 400 and 422, and this check holds those
refusals to that list: any other reason is a document that says too little.
"""

from __future__ import annotations

import json
import re
from typing import Any

import schemathesis

#: Refusals that depend on other records (or on the record's stored state), never on the
#: request alone.
OTHER_RECORDS = re.compile(
    "|".join(
        [
            r"not found",  # a relationship or parameter naming no record
            r"must be the id of a user",
            r"already has a start node",
            r"must belong to the same flow",
            r"is not a message template",
            r"on WhatsApp the initialMessage must be a template message",
            r"can't be changed once",
            r"can only be updated when",
            r"when isEndFlow is true",  # a PATCH: the stored isEndFlow decides
            r"when actionType is ask",  # a PATCH: the stored actionType decides
        ]
    )
)


def _details(body: Any) -> list[Any]:
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e.get("detail") for e in errors or [] if isinstance(e, dict)]


def _explained(detail: Any) -> bool:
    if isinstance(detail, dict):  # Meta's error, passed on: a template name already taken
        return detail.get("error_subcode") == 2388024
    return isinstance(detail, str) and OTHER_RECORDS.search(detail) is not None


@schemathesis.check
def refused_only_for_other_records(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-valid request answered 400 or 422 was refused for a reason about other
    records, never for one the document could have stated."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"{response.status_code} without a JSON:API error body") from exc
    unexplained = [d for d in _details(body) if not _explained(d)]
    if unexplained or not _details(body):
        raise AssertionError(
            f"Schema-valid request refused ({response.status_code}) for a reason the "
            f"document could state: {unexplained or body}"
        )
    return None
