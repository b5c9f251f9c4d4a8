"""Candidate: a person applying, reachable through MessageThreads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ._base import REL, Resource, ResourceIdentifier, register

if TYPE_CHECKING:
    from .conversation import Conversation
    from .message_thread import MessageThread
    from .organization import Organization


@register
@attrs.frozen(kw_only=True)
class CandidateStatus(Resource):
    """A candidate's status (``candidateStatuses``), reached as ``candidate.candidate_status``
    with ``include="candidateStatus"``.

    Its attributes are not documented: read them by wire name with ``attribute("name")``
    (they are kept in ``extra``).
    """

    TYPE = "candidateStatuses"
    DOCUMENTED_RELATIONSHIPS = False


@register
@attrs.frozen(kw_only=True)
class Candidate(Resource):
    """A candidate; the Inbox needs one linked to a MessageThread."""

    TYPE = "candidates"

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    postal_code: str | None = None
    candidate_status_id: str | None = None
    deleted_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    candidate_status: CandidateStatus | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    organization: Organization | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    message_threads: tuple[MessageThread | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    conversations: tuple[Conversation | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
