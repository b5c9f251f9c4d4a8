"""``client.vacancies``: /vacancies (GET list/one, POST, PATCH, DELETE)."""

from __future__ import annotations

from collections.abc import Sequence

from .._ids import refs
from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models._base import Resource, ResourceIdentifier
from ..models.vacancy import Vacancy

#: Location ids (the Location resource is not documented), identifiers or models.
Locations = Sequence[str | Resource | ResourceIdentifier]


class Vacancies(Listable[Vacancy], Retrievable[Vacancy], Deletable[Vacancy]):
    """Job openings. The docs print ``/vacancy``; the SDK uses ``/vacancies``."""

    _path = "/vacancies"
    _model = Vacancy

    async def create(
        self,
        *,
        title: str,
        description: str,
        url: str | None = None,
        external_id: str | None = None,
        locations: Locations | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Vacancy:
        """Create a vacancy; the AI answers candidates' questions from ``description``."""
        return await self._create(
            {"title": title, "description": description, "url": url, "external_id": external_id},
            relationships={
                "locations": None
                if locations is None
                else refs(locations, "locations", "locations")
            },
            timeout=timeout,
        )

    async def update(
        self,
        id: str | Vacancy,
        *,
        title: str | NotGiven = NOT_GIVEN,
        description: str | NotGiven = NOT_GIVEN,
        url: str | NotGiven | None = NOT_GIVEN,
        external_id: str | NotGiven | None = NOT_GIVEN,
        locations: Locations | NotGiven = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Vacancy:
        """Change the given fields only; ``locations`` replaces the whole list."""
        return await self._update(
            id,
            {"title": title, "description": description, "url": url, "external_id": external_id},
            relationships={
                "locations": locations
                if locations is NOT_GIVEN
                else refs(locations, "locations", "locations")
            },
            timeout=timeout,
        )
