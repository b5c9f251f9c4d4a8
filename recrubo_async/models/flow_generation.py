"""FlowGeneration: a job that generates a Flow with the AI engine, and its parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs

from ._base import REL, OpenEnum, Resource, ResourceIdentifier, register
from ._wire import WireObject

if TYPE_CHECKING:
    from .flow import Flow


class FlowGenerationStatus(OpenEnum):
    """``queued`` -> ``processing`` -> ``finished``; unknown values are kept."""

    QUEUED = "queued"
    PROCESSING = "processing"
    FINISHED = "finished"


class FlowType(OpenEnum):
    """Flow types the AI engine can generate."""

    VACANCY_APPLICATION_FLOW = "vacancy_application_flow"


@register
@attrs.frozen(kw_only=True)
class FlowGeneration(Resource):
    """A request to generate a flow; ``flow_id`` and ``cost`` are set once ``finished``."""

    TYPE = "flowGenerations"

    flow_type: FlowType | None = None
    parameters: Mapping[str, Any] | None = None
    context: Mapping[str, Any] | None = None
    flow_id: str | None = None
    status: FlowGenerationStatus | None = None
    cost: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    flow: Flow | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )

    @property
    def is_finished(self) -> bool:
        return self.status == FlowGenerationStatus.FINISHED


def _items(value: Sequence[Any]) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return tuple(value)


@attrs.frozen
class Requirement(WireObject):
    """A skill to ask about. ``session_field`` names the FlowRun state variable (optional:
    the AI picks a name when it is left out)."""

    value: str
    session_field: str | None = None


#: The names ``requiredFields`` and ``optionalFields`` accept (the API answers 422
#: "requiredFields contains invalid fields: ..." to any other).
CANDIDATE_FIELDS: frozenset[str] = frozenset(
    {
        "name",
        "firstName",
        "lastName",
        "fullName",
        "email",
        "phone",
        "phoneNumber",
        "address",
        "postalCode",
        "city",
        "location",
        "dateOfBirth",
        "birthDate",
        "gender",
        "nationality",
        "linkedin",
        "website",
        "portfolio",
        "cv",
        "resume",
        "coverLetter",
        "photo",
        "video",
        "motivation",
        "availability",
        "startDate",
        "salaryExpectation",
        "driversLicense",
        "experience",
        "education",
    }
)


def _candidate_field_name(_: object, __: object, value: str) -> None:
    if value not in CANDIDATE_FIELDS:
        raise ValueError(
            f"unknown candidate field {value!r}; the valid names are "
            f"{', '.join(sorted(CANDIDATE_FIELDS))}"
        )


@attrs.frozen
class CandidateField(WireObject):
    """A piece of candidate data to collect, e.g. ``CandidateField("email", "email")``.

    ``value`` is one of ``CandidateField.NAMES`` (camelCase, as the API spells it);
    ``session_field`` names the FlowRun state variable that receives the answer.

    Raises:
        ValueError: ``value`` is not a field the API knows (the message lists them).
    """

    #: The names the API accepts.
    NAMES: ClassVar[frozenset[str]] = CANDIDATE_FIELDS

    value: str = attrs.field(validator=_candidate_field_name)
    session_field: str | None = None


@attrs.frozen(kw_only=True)
class ExtraOption(WireObject):
    """An extra step in the generated flow, such as an appointment."""

    value: str
    language: str | None = None
    options: Mapping[str, Any] | None = None

    @classmethod
    def appointment(
        cls, *, schedule_ids: Sequence[int | str], language: str | None = None, version: int = 2
    ) -> ExtraOption:
        """An appointment step (V2 by default) offering the given schedules."""
        ids = ",".join(str(i) for i in schedule_ids)
        return cls(
            value="appointment",
            language=language,
            options={"version": version, "scheduleIds": ids},
        )


@attrs.frozen(kw_only=True)
class VacancyApplicationParameters(WireObject):
    """Parameters of a ``vacancy_application_flow``.

    The three requirement lists are required by the API; pass ``[]`` for "none".
    """

    knockout_requirements: Sequence[Requirement] = attrs.field(converter=_items)
    preferred_requirements: Sequence[Requirement] = attrs.field(converter=_items)
    required_fields: Sequence[CandidateField] = attrs.field(converter=_items)
    optional_fields: Sequence[CandidateField] | None = None
    extra_options: Sequence[ExtraOption] | None = None
    language: str | None = None
    emoji_usage: str | None = None
    flow_name: str | None = None
    vacancy_id: str | None = None


@attrs.frozen(kw_only=True)
class TextContext(WireObject):
    """Context given as text, typically the vacancy text."""

    value: str
    type: Literal["text"] = "text"
