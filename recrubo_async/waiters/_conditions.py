"""``JobSpec``: what "done" means for one kind of job, as data, and the predicates it uses.

Each job's spec sits on its resource (``resources/flow_generations.py`` and so on);
``JOB_SPECS`` is the table of them that a ``WaitToken`` may name, filled in by those
resources (see ``Waitable``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from ..models._base import Resource

Predicate = Callable[[Resource], bool]


def status(resource: Resource) -> str | None:
    """The resource's ``status`` attribute as a string (None when it has none)."""
    value = resource.attribute("status")
    return str(value) if value is not None else None


def status_in(*statuses: str) -> Predicate:
    """A test that the resource's status is one of ``statuses``."""
    wanted = frozenset(statuses)
    return lambda resource: status(resource) in wanted


def _never(resource: Resource) -> bool:
    return False


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
    label: Callable[[Resource], str | None] = status
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


#: Every job kind by its JSON:API type. Each ``Waitable`` resource class adds its spec
#: when it is defined (importing ``recrubo_async`` defines them all); read-only elsewhere.
JOB_SPECS: dict[str, JobSpec] = {}
