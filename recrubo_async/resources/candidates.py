"""``client.candidates``: /candidates (GET list/one, POST, PATCH, DELETE)."""

from __future__ import annotations

from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.candidate import Candidate


class Candidates(Listable[Candidate], Retrievable[Candidate], Deletable[Candidate]):
    """Candidates; include ``candidate_status`` for their current status."""

    _path = "/candidates"
    _model = Candidate

    async def create(
        self,
        *,
        phone: str,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        postal_code: str | None = None,
        candidate_status_id: str | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Candidate:
        """Create a candidate; ``phone`` in international form without ``+``."""
        return await self._create(
            {
                "phone": phone,
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "postal_code": postal_code,
                "candidate_status_id": candidate_status_id,
            },
            timeout=timeout,
        )

    async def update(
        self,
        id: str | Candidate,
        *,
        phone: str | NotGiven = NOT_GIVEN,
        first_name: str | NotGiven | None = NOT_GIVEN,
        last_name: str | NotGiven | None = NOT_GIVEN,
        email: str | NotGiven | None = NOT_GIVEN,
        postal_code: str | NotGiven | None = NOT_GIVEN,
        candidate_status_id: str | NotGiven | None = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Candidate:
        """Change the given fields only; ``None`` clears one."""
        return await self._update(
            id,
            {
                "phone": phone,
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "postal_code": postal_code,
                "candidate_status_id": candidate_status_id,
            },
            timeout=timeout,
        )
