"""Command-line values to SDK arguments: resource types, filters and the vacancy text."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

from .._query import FILTER_OPERATORS
from .._resource import APIResource
from ..models._base import Resource
from ..resources.candidates import Candidates
from ..resources.conversations import Conversations
from ..resources.flow_generations import FlowGenerations
from ..resources.flow_runs import FlowRuns
from ..resources.flows import Flows
from ..resources.message_templates import MessageTemplates
from ..resources.message_threads import MessageThreads
from ..resources.messages import Messages
from ..resources.node_actions import NodeActions
from ..resources.node_transitions import NodeTransitions
from ..resources.nodes import Nodes
from ..resources.organizations import Organizations
from ..resources.users import Users
from ..resources.vacancies import Vacancies
from ..resources.vacancy_analyses import VacancyAnalyses
from ..resources.webhooks import Webhooks
from ._errors import UsageError

#: ``client.<attribute>`` for every resource ``get`` and ``list`` can reach.
_RESOURCES: dict[str, type[APIResource[Any]]] = {
    "candidates": Candidates,
    "conversations": Conversations,
    "flow_generations": FlowGenerations,
    "flow_runs": FlowRuns,
    "flows": Flows,
    "message_templates": MessageTemplates,
    "message_threads": MessageThreads,
    "messages": Messages,
    "node_actions": NodeActions,
    "node_transitions": NodeTransitions,
    "nodes": Nodes,
    "organizations": Organizations,
    "users": Users,
    "vacancies": Vacancies,
    "vacancy_analyses": VacancyAnalyses,
    "webhooks": Webhooks,
}


class ResourceKind(NamedTuple):
    """A resource the CLI can reach: its client attribute, JSON:API type and model."""

    attribute: str
    json_type: str
    model: type[Resource]

    @property
    def kebab(self) -> str:
        return self.attribute.replace("_", "-")


KINDS = tuple(ResourceKind(name, cls._model.TYPE, cls._model) for name, cls in _RESOURCES.items())


def resolve_kind(name: str) -> ResourceKind:
    """The resource named ``flow_runs``, ``flow-runs`` or ``flowRuns`` (any case).

    Raises:
        UsageError: no resource has that name.
    """
    wanted = name.strip().lower()
    for kind in KINDS:
        if wanted in (kind.attribute, kind.kebab, kind.json_type.lower()):
            return kind
    choices = ", ".join(kind.kebab for kind in KINDS)
    raise UsageError(f"unknown resource type {name!r}; choose one of: {choices}")


_FILTER = re.compile(r"(?P<field>[A-Za-z_][\w.]*)(?:\[(?P<op>\w+)\])?=(?P<value>.*)", re.DOTALL)

FilterArg = dict[str, str | dict[str, str]]


def parse_filters(items: Sequence[str]) -> FilterArg:
    """``k=v`` and ``k[op]=v`` items to the SDK's ``filter=`` mapping.

    Raises:
        UsageError: an item is malformed, names an unknown operator, or repeats a filter.
    """
    out: FilterArg = {}
    for item in items:
        match = _FILTER.fullmatch(item)
        if match is None:
            raise UsageError(
                f"bad --filter {item!r}: write FIELD=VALUE or FIELD[OP]=VALUE, "
                "e.g. status=finished or createdAt[gte]=2024-01-01"
            )
        field, op, value = match["field"], match["op"], match["value"]
        if not value:
            raise UsageError(f"bad --filter {item!r}: the value is empty")
        current = out.get(field)
        if op is None:
            if current is not None:
                raise UsageError(f"bad --filter {item!r}: {field} is filtered twice")
            out[field] = value
            continue
        if op not in FILTER_OPERATORS:
            raise UsageError(
                f"bad --filter {item!r}: unknown operator {op!r}; "
                f"use one of {', '.join(FILTER_OPERATORS)}"
            )
        if isinstance(current, str) or (current is not None and op in current):
            raise UsageError(f"bad --filter {item!r}: {field} is filtered twice")
        ops = current if current is not None else {}
        ops[op] = value
        out[field] = ops
    return out


def read_text(path: str) -> str:
    """The text of ``path`` (``-``: standard input), UTF-8.

    Raises:
        UsageError: the file cannot be read, is not UTF-8, or holds only whitespace.
    """
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as file:
                text = file.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path!r}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {path!r}: it is not UTF-8 text") from exc
    if not text.strip():
        raise UsageError(f"{'standard input' if path == '-' else repr(path)} is empty")
    return text
