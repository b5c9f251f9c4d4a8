"""VacancyAnalysis: a job that extracts skills from a vacancy text."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import Resource, register


@register
@attrs.frozen(kw_only=True)
class VacancyAnalysis(Resource):
    """Done once ``analyze_result`` is present.

    ``analyze_result`` is as sent: ``hardSkills``, ``softSkills`` (``skill``, ``rating``,
    ``reasoning``, ``writtenAsRequirement``), ``certifications``, ...
    """

    TYPE = "vacancyAnalyses"

    input_text: str | None = None
    analyze_result: Mapping[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_done(self) -> bool:
        return self.analyze_result is not None
