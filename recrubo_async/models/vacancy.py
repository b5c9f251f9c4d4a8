"""Vacancy: a job opening."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ._base import REL, Resource, ResourceIdentifier, register

if TYPE_CHECKING:
    from .flow import Flow


@register
@attrs.frozen(kw_only=True)
class Location(Resource):
    """A place a vacancy is for (``locations``), reached as ``vacancy.locations`` with
    ``include="locations"``.

    Its attributes are not documented: read them by wire name with ``attribute("city")``
    (they are kept in ``extra``).
    """

    TYPE = "locations"
    DOCUMENTED_RELATIONSHIPS = False


@register
@attrs.frozen(kw_only=True)
class Vacancy(Resource):
    """A vacancy; the AI uses ``description`` to answer candidates' questions."""

    TYPE = "vacancies"

    title: str | None = None
    description: str | None = None
    url: str | None = None
    external_id: str | None = None
    deleted_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    locations: tuple[Location | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    flows: tuple[Flow | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
