"""List query parameters: filter, sort, include, sparse fields, page size."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from ._datetimes import format_datetime
from ._naming import to_camel
from .models._base import Resource, relationship_specs

FILTER_OPERATORS = ("eq", "eql", "prefix", "suffix", "gt", "gte", "lt", "lte", "match")
MAX_PAGE_SIZE = 200

Scalar = str | int | float | bool | datetime | date | enum.Enum
FilterValue = Scalar | Sequence[Scalar]
#: ``{"status": "finished"}``, ``{"created_at": {"gt": dt}}``, ``{"status": ["a", "b"]}``.
Filter = Mapping[str, FilterValue | Mapping[str, FilterValue]]
#: ``"-created_at"`` or ``["status", "-created_at"]``.
Sort = str | Sequence[str]
#: ``"nodes.node_actions"`` or ``["nodes", "flow_runs"]``.
Include = str | Sequence[str]
#: ``{"flows": ["name", "status"]}``.
Fields = Mapping[str, Sequence[str]]


def _scalar(value: Scalar, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TypeError(
        f"{where}: filter values must be str, int, float, bool, datetime or a list of them; "
        f"got {type(value).__name__}"
    )


def _value(value: FilterValue, where: str) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        if not value:
            raise ValueError(f"{where}: an empty list matches nothing; leave the filter out")
        return ",".join(_scalar(v, where) for v in value)
    return _scalar(value, where)  # type: ignore[arg-type]


def _names(value: str | Sequence[str], what: str) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)
    out = [part.strip() for item in items for part in item.split(",") if part.strip()]
    if not out:
        raise ValueError(f"{what} is empty; leave it out instead")
    return out


def filter_params(filter: Filter) -> list[tuple[str, str]]:
    """``filter[field]=v`` and ``filter[field][op]=v`` with camelCase field names."""
    params: list[tuple[str, str]] = []
    for name, spec in filter.items():
        field = to_camel(name)
        if isinstance(spec, Mapping):
            if not spec:
                # Dropped, it would widen the list to everything (as an empty list would).
                raise ValueError(
                    f"filter[{name}]: no operator given (an empty mapping); give one of "
                    f"{', '.join(FILTER_OPERATORS)}, or leave the filter out"
                )
            for op, value in spec.items():
                if op not in FILTER_OPERATORS:
                    raise ValueError(
                        f"filter[{name}]: unknown operator {op!r}; use one of "
                        f"{', '.join(FILTER_OPERATORS)}"
                    )
                params.append((f"filter[{field}][{op}]", _value(value, f"filter[{name}][{op}]")))
        else:
            params.append((f"filter[{field}]", _value(spec, f"filter[{name}]")))
    return params


def sort_param(sort: Sort) -> str:
    """``-created_at`` -> ``-createdAt``; several keys comma-joined."""
    keys = []
    for key in _names(sort, "sort"):
        desc = key.startswith("-")
        keys.append(("-" if desc else "") + to_camel(key.lstrip("-")))
    return ",".join(keys)


def include_paths(include: Include, model: type[Resource] | None = None) -> list[str]:
    """Dotted include paths with camelCase segments, checked against ``model``.

    Raises:
        ValueError: a segment names no relationship of the model it applies to.
    """
    return [_include_path(path, model) for path in _names(include, "include")]


def _include_path(path: str, model: type[Resource] | None) -> str:
    segments = []
    current = model
    for segment in path.split("."):
        wire = to_camel(segment)
        if current is not None:
            specs = relationship_specs(current)
            spec = specs.get(wire)
            if spec is None and not current.DOCUMENTED_RELATIONSHIPS:
                # A model whose relationships are not documented (CandidateStatus,
                # Location): nothing to check below it, as for an unmodelled type.
                current = None
            elif spec is None:
                valid = ", ".join(sorted(s.name for s in specs.values())) or "none"
                raise ValueError(
                    f"include={path!r}: {current.TYPE} has no relationship {segment!r}; "
                    f"valid ones: {valid}"
                )
            else:
                current = spec.target
        segments.append(wire)
    return ".".join(segments)


def fields_params(fields: Fields) -> list[tuple[str, str]]:
    """Sparse fieldsets: ``fields[type]=a,b`` with camelCase attribute names."""
    return [
        (
            f"fields[{to_camel(type_name)}]",
            ",".join(to_camel(n) for n in _names(names, f"fields[{type_name}]")),
        )
        for type_name, names in fields.items()
    ]


def check_page_size(page_size: int) -> int:
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise TypeError(f"page_size must be an int from 1 to {MAX_PAGE_SIZE}; got {page_size!r}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be from 1 to {MAX_PAGE_SIZE}; got {page_size}")
    return page_size
