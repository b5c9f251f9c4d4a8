"""The ordering rule for a resource's states: an older ``updatedAt`` never overwrites a
newer state, and a delete is final.

Written once, here, and used by everything that holds a "newest state": the webhook
receiver, ``InMemoryBus``, the waiters, and (in Lua, held to :data:`CASES` by a test)
``RedisBus``'s publish script.

A state without ``updatedAt`` cannot be placed in time, so it is accepted (after a delete
it is still refused), and a held state without one refuses nothing by date. Dropping
such states instead would freeze a resource whose server omits the field.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import NamedTuple

DELETE = "delete"


def is_stale(
    kind: str,
    updated_at: datetime | None,
    held_kind: str,
    held_updated_at: datetime | None,
) -> bool:
    """Whether a state must not replace the one held for the same resource.

    Args:
        kind: the new state's event: ``"create"``, ``"update"`` or ``"delete"``.
        updated_at: the new state's ``updatedAt`` (None when it has none).
        held_kind: the held state's event.
        held_updated_at: the held state's ``updatedAt``.
    """
    if held_kind == DELETE and kind != DELETE:
        return True
    return updated_at is not None and held_updated_at is not None and updated_at < held_updated_at


class Case(NamedTuple):
    """One row of the rule: a state arrives while another is held; is it stale?"""

    held_kind: str
    held_updated_at: datetime | None
    kind: str
    updated_at: datetime | None
    stale: bool


_T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
_EARLY, _LATE = _T0, _T0 + timedelta(microseconds=1)

#: The rule as data: every implementation (this module's, the Redis script's) must agree.
CASES: tuple[Case, ...] = (
    Case("update", _LATE, "update", _EARLY, stale=True),
    Case("update", _EARLY, "update", _LATE, stale=False),
    # The same instant is not older: a redelivery, or two changes in one microsecond.
    Case("update", _EARLY, "update", _EARLY, stale=False),
    Case("create", _LATE, "update", _EARLY, stale=True),
    Case("update", _LATE, "create", _EARLY, stale=True),
    # No updatedAt on either side: accepted.
    Case("update", _LATE, "update", None, stale=False),
    Case("update", None, "update", _EARLY, stale=False),
    Case("update", None, "update", None, stale=False),
    # A delete is final: nothing but another delete follows it, whatever its date.
    Case("delete", _EARLY, "update", _LATE, stale=True),
    Case("delete", _EARLY, "create", _LATE, stale=True),
    Case("delete", None, "update", None, stale=True),
    Case("delete", _LATE, "delete", _EARLY, stale=True),
    Case("delete", _EARLY, "delete", _LATE, stale=False),
    Case("delete", _EARLY, "delete", None, stale=False),
    # A delete is ordered by date like any state: an older one is stale.
    Case("update", _LATE, "delete", _EARLY, stale=True),
    Case("update", _EARLY, "delete", _LATE, stale=False),
    Case("update", _LATE, "delete", None, stale=False),
)
