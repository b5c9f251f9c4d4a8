"""VacancyAnalysis: a job that extracts skills from a vacancy text, and its result."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._base import Resource, register
from ._record import Record, field, flag, integer, records, text


@attrs.frozen(kw_only=True)
class Skill(Record):
    """A hard or soft skill the vacancy asks for.

    ``rating`` is how much the vacancy insists on it (the emulator gives 5 for "must", 2
    for "nice to have", else 3); ``written_as_requirement`` is a ready-made sentence for a
    flow's ``Requirement``.
    """

    skill: str | None = field(text)
    rating: int | None = field(integer)
    reasoning: str | None = field(text)
    written_as_requirement: str | None = field(text)


@attrs.frozen(kw_only=True)
class Certification(Record):
    """A certification the vacancy names; ``required`` when it is a must."""

    certification: str | None = field(text)
    required: bool | None = field(flag)
    reasoning: str | None = field(text)
    written_as_requirement: str | None = field(text)


@attrs.frozen(kw_only=True)
class AnalyzeResult(Record):
    """What an analysis found (``analyzeResult``); also a mapping by wire name, so
    ``result["hardSkills"]`` works as on the plain JSON."""

    hard_skills: tuple[Skill, ...] | None = field(records(Skill))
    soft_skills: tuple[Skill, ...] | None = field(records(Skill))
    certifications: tuple[Certification, ...] | None = field(records(Certification))


@register
@attrs.frozen(kw_only=True)
class VacancyAnalysis(Resource):
    """Done once ``analyze_result`` is present.

    ``analyze_result`` holds ``hard_skills``, ``soft_skills`` and ``certifications``; keys
    this SDK version does not know, and values not of the documented type, are kept in
    each record's ``extra``.
    """

    TYPE = "vacancyAnalyses"

    input_text: str | None = None
    analyze_result: AnalyzeResult | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_done(self) -> bool:
        return self.analyze_result is not None
