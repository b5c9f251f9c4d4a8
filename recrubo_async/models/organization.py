"""Organization: a tenant; its ``token`` (management view only) is its API key."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ._base import REL, Resource, ResourceIdentifier, register

if TYPE_CHECKING:
    from .user import User


@register
@attrs.frozen(kw_only=True)
class Organization(Resource):
    """An organization. ``webhook_secret`` and ``token`` never show in its repr."""

    TYPE = "organizations"

    name: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = attrs.field(default=None, repr=False)
    #: The organization's API key; only the management endpoints return it.
    token: str | None = attrs.field(default=None, repr=False)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    users: tuple[User | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
