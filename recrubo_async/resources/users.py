"""``client.users``: /users (GET list/one, POST, PATCH, DELETE)."""

from __future__ import annotations

from collections.abc import Sequence

from .._ids import refs
from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models._base import ResourceIdentifier
from ..models.candidate import Candidate
from ..models.user import User


class Users(Listable[User], Retrievable[User], Deletable[User]):
    """Users of the organization (needed to embed iframes)."""

    _path = "/users"
    _model = User

    async def create(
        self,
        *,
        first_name: str,
        last_name: str,
        email: str,
        phone: str | None = None,
        time_zone: str | None = None,
        external_id: str | None = None,
        candidates: Sequence[str | Candidate | ResourceIdentifier] | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> User:
        """Create a user; ``time_zone`` is an IANA name such as ``Europe/Amsterdam``."""
        return await self._create(
            {
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "phone": phone,
                "time_zone": time_zone,
                "external_id": external_id,
            },
            relationships={
                "candidates": None
                if candidates is None
                else refs(candidates, "candidates", "candidates")
            },
            timeout=timeout,
        )

    async def update(
        self,
        id: str | User,
        *,
        first_name: str | NotGiven = NOT_GIVEN,
        last_name: str | NotGiven = NOT_GIVEN,
        email: str | NotGiven = NOT_GIVEN,
        phone: str | NotGiven | None = NOT_GIVEN,
        time_zone: str | NotGiven | None = NOT_GIVEN,
        external_id: str | NotGiven | None = NOT_GIVEN,
        candidates: Sequence[str | Candidate | ResourceIdentifier] | NotGiven = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> User:
        """Change the given fields only; ``candidates`` replaces the whole list."""
        return await self._update(
            id,
            {
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "phone": phone,
                "time_zone": time_zone,
                "external_id": external_id,
            },
            relationships={
                "candidates": candidates
                if candidates is NOT_GIVEN
                else refs(candidates, "candidates", "candidates")
            },
            timeout=timeout,
        )
