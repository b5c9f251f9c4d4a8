"""``client.vacancy_analyses``: /vacancy-analyses (GET list/one, POST, DELETE)."""

from __future__ import annotations

from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.vacancy_analysis import VacancyAnalysis


class VacancyAnalyses(
    Listable[VacancyAnalysis], Retrievable[VacancyAnalysis], Deletable[VacancyAnalysis]
):
    """Extract skills from a vacancy text, as input for a vacancy_application_flow."""

    _path = "/vacancy-analyses"
    _model = VacancyAnalysis

    async def create(
        self,
        *,
        input_text: str,
        sync: bool = False,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> VacancyAnalysis:
        """Start an analysis; it is done once ``analyze_result`` is set.

        Args:
            sync: ask for ``?sync=true`` (sandbox only): the answer is the finished analysis.
        """
        if not isinstance(input_text, str) or not input_text.strip():
            raise ValueError("input_text must be the vacancy text to analyze")
        return await self._create(
            {"input_text": input_text},
            params=[("sync", "true")] if sync else None,
            timeout=timeout,
        )
