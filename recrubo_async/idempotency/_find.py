"""``find_possible_jobs``: the jobs a ``JobMayExistError`` may refer to, for callers
without a ledger."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar, cast

from ..models._base import Resource
from ._fingerprint import scope_of
from ._protocol import DEFAULT_CLOCK_SKEW
from ._reconcile import matching_jobs

if TYPE_CHECKING:
    from ..errors import JobMayExistError
    from ..waiters._waitable import Waitable

_M = TypeVar("_M", bound=Resource)


async def find_possible_jobs(
    resource: Waitable[_M], error: JobMayExistError, *, clock_skew: float = DEFAULT_CLOCK_SKEW
) -> list[_M]:
    """The jobs of ``resource`` created since ``error.created_after`` (less ``clock_skew``
    seconds) whose request matches the failed one, oldest first.

    One job: the failed create made it (resume with ``resource.wait(job)``). None, once a
    few minutes have passed: it made nothing. Several: the same request was also sent by
    someone else in that window; decide yourself.

    Args:
        resource: ``client.flow_generations``, ``client.flow_runs`` or
            ``client.vacancy_analyses``: the one whose create raised ``error``.
        error: the ``JobMayExistError`` it raised.
        clock_skew: how far the API's clock may lag this host's.

    Raises:
        ValueError: ``error`` came from another kind of job, or carries no fingerprint.
    """
    type_name = resource._job.type
    if error.resource_type != type_name:
        raise ValueError(
            f"this JobMayExistError is about {error.resource_type}; pass the matching resource "
            f"(not the one for {type_name})"
        )
    if error.fingerprint is None or not isinstance(error.created_after, datetime):
        raise ValueError("this JobMayExistError carries no request fingerprint to match")
    core = resource._core
    items = await matching_jobs(
        core,
        resource._path,
        type_name,
        scope=scope_of(core.scope),
        fingerprint=error.fingerprint,
        since=error.created_after - timedelta(seconds=clock_skew),
    )
    return [cast(_M, core.codec.decode_resource(item)) for item in items]
