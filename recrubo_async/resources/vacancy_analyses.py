"""``client.vacancy_analyses``: /vacancy-analyses (GET list/one, POST, DELETE)."""

from __future__ import annotations

from .._resource import Deletable, Listable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..idempotency._protocol import JobLedger
from ..models._base import Resource
from ..models.vacancy_analysis import VacancyAnalysis
from ..waiters._conditions import JobSpec
from ..waiters._loop import OnStatus
from ..waiters._protocol import CompletionWaiter
from ..waiters._waitable import DEFAULT_WAIT_TIMEOUT, Waitable


def _has_analysis(resource: Resource) -> bool:
    return resource.attribute("analyzeResult") is not None


def _analysis_label(resource: Resource) -> str:
    return "done" if _has_analysis(resource) else "analyzing"


#: An analysis has no status: it is done once ``analyzeResult`` is set.
VACANCY_ANALYSIS = JobSpec(
    type=VacancyAnalysis.TYPE,
    untils={"done": _has_analysis},
    default_until="done",
    terminal=_has_analysis,
    label=_analysis_label,
    supports_sync=True,
)


class VacancyAnalyses(
    Listable[VacancyAnalysis], Waitable[VacancyAnalysis], Deletable[VacancyAnalysis]
):
    """Extract skills from a vacancy text, as input for a vacancy_application_flow."""

    _path = "/vacancy-analyses"
    _model = VacancyAnalysis
    _job = VACANCY_ANALYSIS

    @staticmethod
    def _attributes(input_text: str) -> dict[str, str]:
        if not isinstance(input_text, str) or not input_text.strip():
            raise ValueError("input_text must be the vacancy text to analyze")
        return {"input_text": input_text}

    async def create(
        self,
        *,
        input_text: str,
        sync: bool = False,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
        ledger: JobLedger | None = None,
    ) -> VacancyAnalysis:
        """Start an analysis; it is done once ``analyze_result`` is set.

        Args:
            sync: ask for ``?sync=true`` (sandbox only): the answer is the finished analysis.
            idempotency_key: at most one POST per key, across retries, processes and
                crashes: a later call with the key returns the recorded job (or resumes
                its wait); see docs/idempotency.md. Needs a ledger.
            ledger: where the key is recorded (default: the client's ``ledger=``).

        Raises:
            IdempotencyKeyReusedError: the key was used before with another request.
            IdempotencyConflictError: another live caller holds the key, or several jobs
                match a dead caller's request; nothing was sent.
            JobMayExistError: the POST failed in a way that may have created it anyway (a
                timeout, a lost connection, a 5xx other than 503, an unreadable answer); it
                was not resent: look for it with ``list(filter={"created_at": {"gte":
                err.created_after}})``.
        """
        return await self._create_job(
            self._attributes(input_text),
            params=[("sync", "true")] if sync else None,
            timeout=timeout,
            idempotency_key=idempotency_key,
            ledger=ledger,
        )

    async def create_and_wait(
        self,
        *,
        input_text: str,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        waiter: CompletionWaiter | None = None,
        on_status: OnStatus | None = None,
        request_timeout: TimeoutLike | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
        ledger: JobLedger | None = None,
    ) -> VacancyAnalysis:
        """Analyze a vacancy text and return the analysis once ``analyze_result`` is set.

        Args:
            timeout: overall seconds to wait (None: no limit).
            waiter: how to observe the job (default: the client's waiter).
            on_status: called with ``"analyzing"`` and ``"done"``.
            request_timeout: per HTTP call (default: the client's).
            idempotency_key: at most one POST per key, across retries, processes and
                crashes: a later call with the key returns the recorded job (or resumes
                its wait); see docs/idempotency.md. Needs a ledger.
            ledger: where the key is recorded (default: the client's ``ledger=``).

        Raises:
            IdempotencyKeyReusedError: the key was used before with another request.
            IdempotencyConflictError: another live caller holds the key, or several jobs
                match a dead caller's request; nothing was sent.
            JobMayExistError: the POST failed ambiguously; it was not resent.
            WaitTimeoutError: not done in time.
        """
        return await self._create_and_wait(
            self._attributes(input_text),
            until=None,
            timeout=timeout,
            waiter=waiter,
            on_status=on_status,
            request_timeout=request_timeout,
            idempotency_key=idempotency_key,
            ledger=ledger,
        )
