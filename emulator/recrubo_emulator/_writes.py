"""A write on its way to the store: its context, the schema's own checks, and the per-type hooks.

A POST or PATCH walks: ``parse_write`` (``_jsonapi``: structure and value kinds), then
``resolve_values`` (here: relationships folded into fields, references, required fields),
then the type's ``Behaviour`` (``_behaviours``: check, defaults, derive), then the store, then
the behaviour's ``created`` or ``updated``.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from ._engine import Engine
from ._jobs import Jobs
from ._jsonapi import Write, invalid
from ._schema import BY_TYPE
from ._spec import Spec
from ._store import OrgData, Record

#: An absolute http(s) URL with a host, as the OpenAPI document states it: printable ASCII
#: (RFC 3986 characters; a URL with spaces or others must be percent-encoded).
HTTP_URL_PATTERN = r"^https?://[A-Za-z0-9][A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]*$"


def is_http_url(value: Any) -> bool:
    """Whether a value is an absolute http(s) URL with a host (``HTTP_URL_PATTERN``)."""
    return isinstance(value, str) and re.fullmatch(HTTP_URL_PATTERN, value) is not None


@attrs.define
class WriteContext:
    """A write being validated: the parsed document, the values it sets, and the record."""

    engine: Engine
    org: Record
    data: OrgData
    spec: Spec
    write: Write
    values: dict[str, Any]
    rec: Record | None = None

    @property
    def creating(self) -> bool:
        """Whether this is a POST."""
        return self.rec is None

    def get(self, name: str) -> Any:
        """The value after the write: the new one if written, else the stored one."""
        if name in self.values:
            return self.values[name]
        return None if self.rec is None else self.rec.data.get(name)

    def err(self, detail: str, pointer: str) -> None:
        """Record a 422 problem."""
        self.write.errors.append(invalid(detail, pointer))

    def check_url(self, name: str) -> None:
        """A written URL attribute must be an absolute http(s) URL."""
        url = self.values.get(name)
        if url is not None and not is_http_url(url):
            self.err(f"{name} must be an http(s) URL", f"/data/attributes/{name}")

    def count(self, type_: str, field: str, value: Any) -> int:
        """How many stored records of ``type_`` have ``field`` (indexed) equal to ``value``."""
        return sum(1 for _ in self.data.where(type_, field, value)) if value is not None else 0


def resolve_values(ctx: WriteContext) -> None:
    """Fold relationships into their backing fields; check references and required fields."""
    spec, write, values = ctx.spec, ctx.write, ctx.values
    values.update(write.attributes)
    for name, target in write.relationships.items():
        rel = spec.rel_by_name[name]
        if rel.key in write.attributes and write.attributes[rel.key] != target:
            ctx.err(f"{name} and {rel.key} disagree", f"/data/relationships/{name}")
        values[rel.key] = target
    for rel in spec.rels:
        if rel.kind == "reverse" or rel.target not in BY_TYPE or values.get(rel.key) is None:
            continue
        pointer = (
            f"/data/relationships/{rel.name}"
            if rel.name in write.relationships
            else f"/data/attributes/{rel.key}"
        )
        ids = values[rel.key] if rel.to_many else [values[rel.key]]
        missing = [i for i in ids if not isinstance(i, str) or ctx.data.get(rel.target, i) is None]
        if missing:
            ctx.err(f"{rel.name} not found: {', '.join(map(str, missing))}", pointer)
    if ctx.creating:
        for f in spec.fields:
            if f.required and f.name not in values and f.name not in write.given:
                rel_name = next((r.name for r in spec.rels if r.key == f.name), None)
                if rel_name is None or rel_name not in write.given:
                    ctx.err(f"{f.name} can't be blank", f"/data/attributes/{f.name}")
        for rel in spec.rels:
            if rel.required and values.get(rel.key) is None:
                ctx.err(f"{rel.name} can't be blank", f"/data/relationships/{rel.name}")
    else:
        for name in spec.patch_required:
            if name not in write.given:
                ctx.err(f"{name} can't be blank", f"/data/attributes/{name}")


class Behaviour:
    """Rules for one type beyond the schema; the defaults do nothing."""

    def check(self, ctx: WriteContext) -> None:
        """Add 422 problems (or raise an ApiError) for writes the schema alone cannot judge."""

    def defaults(self, ctx: WriteContext) -> None:
        """Fill server-set fields of a new record."""

    def derive(self, ctx: WriteContext) -> None:
        """Compute fields that follow from written ones (POST and PATCH)."""

    def created(self, engine: Engine, jobs: Jobs, rec: Record, *, sync: bool) -> None:
        """React once a new record is stored."""

    def updated(self, engine: Engine, jobs: Jobs, rec: Record, changed: list[str]) -> None:
        """React once a PATCH is stored (``changed``: the attributes that changed)."""


class Started(Behaviour):
    """Types whose creation starts a job; ``defaults`` are server-set values (a callable is
    called for each record, e.g. ``dict``)."""

    def __init__(self, **defaults: Any) -> None:
        self._defaults = defaults

    def defaults(self, ctx: WriteContext) -> None:
        for key, value in self._defaults.items():
            ctx.values.setdefault(key, value() if callable(value) else value)

    def created(self, engine: Engine, jobs: Jobs, rec: Record, *, sync: bool) -> None:
        jobs.started(rec, sync=sync)
