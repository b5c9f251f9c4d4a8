"""``client.management``: partner-key endpoints (organizations and their tokens)."""

from __future__ import annotations

import functools

from .._core import ClientCore
from .._ids import resource_id
from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.organization import Organization


class ManagementOrganizations(
    Listable[Organization], Retrievable[Organization], Deletable[Organization]
):
    """The partner's organizations; each has the ``token`` its own API calls use."""

    _path = "/management/organizations"
    _model = Organization

    async def create(
        self,
        *,
        name: str,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Organization:
        """Create an organization; the answer carries its ``token``."""
        return await self._create(
            {"name": name, "webhook_url": webhook_url, "webhook_secret": webhook_secret},
            timeout=timeout,
        )

    async def update(
        self,
        id: str | Organization,
        *,
        name: str | NotGiven = NOT_GIVEN,
        webhook_url: str | NotGiven | None = NOT_GIVEN,
        webhook_secret: str | NotGiven | None = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Organization:
        """Change the given fields only."""
        return await self._update(
            id,
            {"name": name, "webhook_url": webhook_url, "webhook_secret": webhook_secret},
            timeout=timeout,
        )

    async def refresh_token(
        self, id: str | Organization, *, timeout: TimeoutLike | NotGiven = NOT_GIVEN
    ) -> Organization:
        """Issue a new token (the old one stops working); returns the organization."""
        body = await self._core.request(
            "POST",
            f"/management/refresh-token/{resource_id(id, 'id', self._model.TYPE)}",
            timeout=timeout,
        )
        return self._decode(body)


class Management:
    """Endpoints under ``/management``; the client must hold the partner key."""

    def __init__(self, core: ClientCore) -> None:
        self._core = core

    def __repr__(self) -> str:
        return "<Management /management>"

    @functools.cached_property
    def organizations(self) -> ManagementOrganizations:
        return ManagementOrganizations(self._core)
