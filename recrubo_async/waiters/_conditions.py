"""What "done" means for each kind of job, as data (success, failure and terminal tests)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from ..models._base import Resource

Predicate = Callable[[Resource], bool]


def _status(resource: Resource) -> str | None:
    value = resource.attribute("status")
    return str(value) if value is not None else None


def _status_in(*statuses: str) -> Predicate:
    wanted = frozenset(statuses)
    return lambda resource: _status(resource) in wanted


def _never(resource: Resource) -> bool:
    return False


def _has_analysis(resource: Resource) -> bool:
    return resource.attribute("analyzeResult") is not None


def _analysis_label(resource: Resource) -> str:
    return "done" if _has_analysis(resource) else "analyzing"


@attrs.frozen(kw_only=True)
class JobSpec:
    """How to tell, for one resource type, that a wait is over.

    Attributes:
        type: the JSON:API type.
        untils: each accepted ``until=`` value and the test that satisfies it.
        default_until: the ``until`` used when none is given.
        failed: a state that ends the wait with ``JobFailedError``.
        terminal: a state after which nothing changes (ends ``watch``).
        label: the short status shown to ``on_status`` and ``watch``.
        supports_sync: whether the sandbox's ``?sync=true`` applies to its POST.
    """

    type: str
    untils: Mapping[str, Predicate]
    default_until: str
    failed: Predicate = _never
    terminal: Predicate
    label: Callable[[Resource], str | None] = _status
    supports_sync: bool = False

    def check_until(self, until: str | None) -> str:
        """``until`` or the default; a clear error for a value this type does not know."""
        value = self.default_until if until is None else until
        if value not in self.untils:
            raise ValueError(
                f"until={value!r} is not a state of {self.type}; use one of "
                f"{', '.join(repr(u) for u in self.untils)}"
            )
        return value


_FLOW_RUN_TERMINAL = ("finished", "timeout", "exception", "cancelled")

FLOW_GENERATION = JobSpec(
    type="flowGenerations",
    untils={"finished": _status_in("finished")},
    default_until="finished",
    terminal=_status_in("finished"),
    supports_sync=True,
)

FLOW_RUN = JobSpec(
    type="flowRuns",
    untils={
        "started": _status_in("running", *_FLOW_RUN_TERMINAL),
        "terminal": _status_in(*_FLOW_RUN_TERMINAL),
    },
    default_until="terminal",
    failed=_status_in("timeout", "exception"),
    terminal=_status_in(*_FLOW_RUN_TERMINAL),
)

VACANCY_ANALYSIS = JobSpec(
    type="vacancyAnalyses",
    untils={"done": _has_analysis},
    default_until="done",
    terminal=_has_analysis,
    label=_analysis_label,
    supports_sync=True,
)

JOB_SPECS: Mapping[str, JobSpec] = {
    spec.type: spec for spec in (FLOW_GENERATION, FLOW_RUN, VACANCY_ANALYSIS)
}
