"""User: a person of the organization (needed for embedding and appointments)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ._base import REL, Resource, ResourceIdentifier, register

if TYPE_CHECKING:
    from .candidate import Candidate
    from .organization import Organization


@register
@attrs.frozen(kw_only=True)
class User(Resource):
    """A user; ``full_name`` is read-only."""

    TYPE = "users"

    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    #: IANA name, e.g. ``Europe/Amsterdam``: the zone embedded components show times in.
    time_zone: str | None = None
    external_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    candidates: tuple[Candidate | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    organization: Organization | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
