"""Checked by mypy --strict, never run: what the docs say to do with an error type-checks.

README and docs/errors-and-retries.md tell users to look for a job that may exist with
``filter={"created_at": {"gte": exc.created_after}}`` and to read a failed job's final
state from ``exc.resource``; both must be typed for that (not ``object``).
"""

from __future__ import annotations

from datetime import datetime

from typing_extensions import assert_type

from recrubo_async import Client, JobFailedError, JobMayExistError, WaitTimeoutError
from recrubo_async.models import Resource


async def look_for_the_job(client: Client, exc: JobMayExistError) -> list[str]:
    assert_type(exc.created_after, datetime)
    page = await client.flow_generations.list(
        filter={"created_at": {"gte": exc.created_after}}, sort="-created_at"
    )
    return [generation.id for generation in page.items]


def failed_job(exc: JobFailedError) -> str:
    assert_type(exc.resource, Resource)
    return exc.resource.id


def last_seen(exc: WaitTimeoutError) -> str | None:
    assert_type(exc.last_seen, Resource | None)
    return None if exc.last_seen is None else exc.last_seen.id
