"""Query parameters: filter, sort, page, sparse fieldsets and include."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import attrs

from ._jsonapi import ApiError
from ._schema import spec_for
from ._spec import Field, Spec
from ._store import OrgData, Record

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
#: The largest page number asked for (answers echo it in ``meta``, which JSON holds to 64 bits).
MAX_PAGE_NUMBER = 2**31 - 1
OPERATORS = ("eq", "eql", "prefix", "suffix", "gt", "gte", "lt", "lte", "match")

#: One filter value of a number or boolean field, as the OpenAPI document states it (``null``
#: means no value; a comma-separated list means any of); ``_convert`` holds values to it.
VALUE_PATTERNS: Mapping[str, str] = {
    "integer": r"-?[0-9]+",
    "number": r"-?[0-9]+(?:\.[0-9]+)?",
    "boolean": r"true|false|1|0",
}


def value_list_pattern(kind: str) -> str | None:
    """The anchored pattern a whole ``filter[field]`` value of ``kind`` matches, or None
    (text and moments: see the document)."""
    one = VALUE_PATTERNS.get(kind)
    if one is None:
        return None
    item = f"(?:null|{one})"
    return f"^{item}(?:,{item})*$"


_FAMILY = re.compile(r"^(filter|page|fields)\[([^\[\]]*)\](?:\[([^\[\]]*)\])?$")
_ID = Field("id")
_DIGITS = re.compile(r"-?[0-9]+")
_COMPARABLE = ("string", "integer", "number", "datetime", "boolean")


@attrs.frozen
class Condition:
    """One ``filter[field][op]=values`` clause."""

    field: str
    op: str
    values: tuple[Any, ...]


@attrs.frozen
class Query:
    """A parsed query string."""

    conditions: tuple[Condition, ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()
    size: int = DEFAULT_PAGE_SIZE
    number: int = 1
    fields: Mapping[str, frozenset[str]] = attrs.field(factory=dict)
    include: tuple[tuple[str, ...], ...] = ()


def _bad(parameter: str, detail: str) -> ApiError:
    return ApiError.one(400, f"Invalid query parameter {parameter}: {detail}", parameter=parameter)


def _lookup(spec: Spec, name: str) -> Field | None:
    return _ID if name == "id" else spec.field(name)


_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})"
    r"(?:\.([0-9]+))?)?([Zz]|[+-][0-9]{2}:[0-9]{2})?)?"
)


def _parse_datetime(raw: str) -> datetime:
    # By hand, not fromisoformat: what it accepts differs between Python versions.
    match = _DATETIME.fullmatch(raw)
    if match is None:
        raise ValueError(raw)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tz = timezone.utc
    if zone is not None and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
        micro, tzinfo=tz,
    )  # fmt: skip


def _convert(kind: str, raw: str) -> Any:
    one = VALUE_PATTERNS.get(kind)
    if one is not None and not re.fullmatch(one, raw):
        raise ValueError(raw)
    if kind in ("integer", "number"):
        return float(raw)
    if kind == "boolean":
        return raw in ("true", "1")
    if kind == "datetime":
        return _parse_datetime(raw)
    return raw


def _coerce(f: Field, raw: str, parameter: str) -> Any:
    if raw == "null":
        return None
    try:
        return _convert(f.kind, raw)
    except (ValueError, OverflowError) as exc:
        raise _bad(parameter, f"`{raw}` is not a valid {f.kind}") from exc


def parse(params: Iterable[tuple[str, str]], spec: Spec, *, listing: bool) -> Query:
    """Parse and check query parameters against a spec; raises a 400 ApiError naming the bad one.

    Args:
        params: the raw (key, value) pairs, in order.
        spec: the primary resource type.
        listing: whether the request is a list (filter, sort and page apply only then).
    """
    conditions: list[Condition] = []
    sort: tuple[tuple[str, bool], ...] = ()
    size, number = DEFAULT_PAGE_SIZE, 1
    fields: dict[str, frozenset[str]] = {}
    include: tuple[tuple[str, ...], ...] = ()
    for key, value in params:
        if key == "include":
            include = _parse_include(spec, value)
            continue
        if key == "sort":
            if listing:
                sort = _parse_sort(spec, value)
            continue
        match = _FAMILY.match(key)
        if match is None:
            if key.startswith(("filter", "page", "fields")):
                raise _bad(key, "malformed parameter name")
            continue  # other parameters (e.g. sync) are not ours to judge
        family, name, op = match.groups()
        if family == "fields":
            if op is not None:
                raise _bad(key, "malformed parameter name")
            fields[name] = _parse_fieldset(name, value, key)
        elif family == "page":
            if op is not None or name not in ("size", "number"):
                raise _bad(key, "only page[size] and page[number] are supported")
            if not _DIGITS.fullmatch(value):
                raise _bad(key, f"`{value}` is not an integer")
            parsed = int(value)
            if parsed < 1:
                raise _bad(key, "must be 1 or more")
            if name == "number" and parsed > MAX_PAGE_NUMBER:
                raise _bad(key, f"must be at most {MAX_PAGE_NUMBER}")
            if name == "size":
                size = min(parsed, MAX_PAGE_SIZE)
            else:
                number = parsed
        elif listing:
            conditions.append(_parse_condition(spec, name, op, value, key))
    return Query(tuple(conditions), sort, size, number, fields, include)


def _parse_condition(spec: Spec, name: str, op: str | None, value: str, key: str) -> Condition:
    f = _lookup(spec, name)
    if f is None or f.kind not in _COMPARABLE:
        raise _bad(key, f"`{name}` is not a filterable field of {spec.type}")
    op = (op or "eq").lower()
    if op not in OPERATORS:
        raise _bad(key, f"unknown operator `{op}` (use one of {', '.join(OPERATORS)})")
    if op in ("prefix", "suffix") and f.kind != "string":
        raise _bad(key, f"`{op}` only applies to text fields")
    if op in ("gt", "gte", "lt", "lte") and f.kind == "boolean":
        raise _bad(key, f"`{op}` does not apply to a boolean field")
    if not value:
        raise _bad(key, "the value is empty (leave the filter out to match everything)")
    values = tuple(_coerce(f, part, key) for part in value.split(","))
    if op in ("eql", "prefix", "suffix"):
        values = tuple(v.lower() if isinstance(v, str) and op == "eql" else v for v in values)
    return Condition(f.name, op, values)


def _parse_sort(spec: Spec, value: str) -> tuple[tuple[str, bool], ...]:
    keys: list[tuple[str, bool]] = []
    for part in value.split(","):
        desc = part.startswith("-")
        name = part[1:] if desc else part
        f = _lookup(spec, name)
        if f is None or f.kind not in _COMPARABLE:
            raise _bad("sort", f"`{name}` is not a sortable field of {spec.type}")
        keys.append((f.name, desc))
    return tuple(keys)


def _parse_fieldset(type_: str, value: str, key: str) -> frozenset[str]:
    spec = spec_for(type_)
    if spec is None:
        # JSON:API: a fieldset limits the fields of that type's resources in the answer; an
        # answer can hold none of an unknown type, so there is nothing to limit.
        return frozenset()
    names: set[str] = set()
    for part in value.split(",") if value else ():
        f = spec.field(part)
        rel = spec.rel(part)
        if f is not None and f.visible:
            names.add(f.name)
        elif rel is not None:
            names.add(rel.name)
        else:
            raise _bad(key, f"`{part}` is not a field of {type_}")
    return frozenset(names)


def _parse_include(spec: Spec, value: str) -> tuple[tuple[str, ...], ...]:
    paths: list[tuple[str, ...]] = []
    for raw in value.split(",") if value else ():
        current: Spec | None = spec
        path: list[str] = []
        for segment in raw.split("."):
            rel = current.rel(segment) if current is not None else None
            if rel is None:
                raise _bad("include", f"`{raw}` is not a relationship path of {spec.type}")
            path.append(rel.name)
            current = spec_for(rel.target)
        paths.append(tuple(path))
    return tuple(paths)


# -- applying ----------------------------------------------------------------------------------


def _value(rec: Record, name: str) -> Any:
    return rec.id if name == "id" else rec.data.get(name)


def _matches(value: Any, cond: Condition) -> bool:
    op = cond.op
    for wanted in cond.values:
        try:
            if op in ("eq", "match"):
                hit = value == wanted
            elif op == "eql":
                hit = (value.lower() if isinstance(value, str) else value) == wanted
            elif value is None or wanted is None:
                hit = False
            elif op == "prefix":
                hit = value.startswith(wanted)
            elif op == "suffix":
                hit = value.endswith(wanted)
            elif op == "gt":
                hit = value > wanted
            elif op == "gte":
                hit = value >= wanted
            elif op == "lt":
                hit = value < wanted
            else:
                hit = value <= wanted
        except TypeError:
            hit = False
        if hit:
            return True
    return False


def select(records: Iterable[Record], query: Query) -> list[Record]:
    """Filter and sort records."""
    out = [r for r in records if all(_matches(_value(r, c.field), c) for c in query.conditions)]
    for name, desc in reversed(query.sort):
        present = [r for r in out if _value(r, name) is not None]
        missing = [r for r in out if _value(r, name) is None]
        present.sort(key=_sort_key(name), reverse=desc)
        out = present + missing if desc else missing + present
    return out


def _sort_key(name: str) -> Callable[[Record], Any]:
    return lambda rec: _value(rec, name)


def candidates(org: OrgData, spec: Spec, query: Query) -> Iterable[Record]:
    """The records worth filtering: an index hit for an equality filter, else the whole table."""
    for cond in query.conditions:
        if cond.op in ("eq", "match") and org.indexed(spec.type, cond.field):
            seen: dict[str, Record] = {}
            for value in cond.values:
                for rec in org.where(spec.type, cond.field, value):
                    seen[rec.id] = rec
            return (
                sorted(seen.values(), key=lambda r: r.seq)
                if len(cond.values) > 1
                else seen.values()
            )
    return org.tables[spec.type].values()


def page_of(
    records: list[Record], query: Query, url: str, params: Iterable[tuple[str, str]]
) -> tuple[list[Record], dict[str, Any], dict[str, Any]]:
    """Slice one page and build its links and meta.

    Args:
        records: every matching record, in order.
        query: the parsed query.
        url: the absolute URL of the list, without query string.
        params: the raw query parameters (kept in the links).
    """
    total = len(records)
    size, number = query.size, query.number
    pages = max(1, math.ceil(total / size))
    start = (number - 1) * size
    kept = [(k, v) for k, v in params if k not in ("page[size]", "page[number]")]

    def link(n: int) -> str:
        pairs = [*kept, ("page[size]", str(size)), ("page[number]", str(n))]
        # Brackets percent-encoded: a link is a URI (RFC 3986 allows them only in a host).
        return f"{url}?{urlencode(pairs, safe=',')}"

    links = {
        "self": link(number),
        "first": link(1),
        "prev": link(min(number - 1, pages)) if number > 1 else None,
        "next": link(number + 1) if number < pages else None,
        "last": link(pages),
    }
    meta = {"total": total, "pageCount": pages, "pageSize": size, "pageNumber": number}
    return records[start : start + size], links, meta


Resolver = Callable[[Record, Any], Any]


def includes(
    primary: list[Record],
    paths: tuple[tuple[str, ...], ...],
    resolve: Resolver,
) -> tuple[dict[tuple[str, str], dict[str, Any]], list[Record]]:
    """Follow include paths.

    Returns:
        linkage per (type, id) (relationship name -> related record(s)) and the included
        records (deduplicated, primary records left out).
    """
    linkage: dict[tuple[str, str], dict[str, Any]] = {}
    included: dict[tuple[str, str], Record] = {}
    primary_keys = {(r.type, r.id) for r in primary}
    for path in paths:
        level = primary
        for name in path:
            nxt: list[Record] = []
            for rec in level:
                spec = spec_for(rec.type)
                rel = spec.rel_by_name.get(name) if spec is not None else None
                if rel is None:
                    continue
                related = resolve(rec, rel)
                linkage.setdefault((rec.type, rec.id), {})[name] = related
                found = related if rel.to_many else ([related] if related is not None else [])
                for other in found:
                    key = (other.type, other.id)
                    if key not in primary_keys:
                        included.setdefault(key, other)
                    nxt.append(other)
            level = nxt
    return linkage, list(included.values())
