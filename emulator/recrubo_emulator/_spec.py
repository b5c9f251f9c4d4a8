"""How a resource type is described: its fields, relationships and verbs (``Spec``)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

#: Value kinds an attribute can hold; checked on writes (``_jsonapi.kind_ok``) and described
#: by the OpenAPI document.
KINDS = ("string", "integer", "number", "boolean", "object", "array", "datetime", "any")

_SNAKE = re.compile(r"_([a-z0-9])")


def camelize(name: str) -> str:
    """Turn ``delivery_status`` into ``deliveryStatus``; camelCase passes unchanged."""
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


@attrs.frozen
class Field:
    """One stored field of a resource.

    Args:
        name: wire name (camelCase).
        kind: one of ``KINDS``.
        post: writable in a POST.
        patch: writable in a PATCH.
        required: must be present (and not null) in a POST.
        visible: rendered under ``attributes``; hidden fields back relationships and filters.
        enum: allowed values for writes (compared case-sensitively).
        pattern: a regular expression a written string must match in full.
        pattern_hint: what ``pattern`` asks for, in words, for the 422's detail.
        indexed: keep an index for fast equality filters and reverse relationships.
    """

    name: str
    kind: str = attrs.field(default="string", validator=attrs.validators.in_(KINDS))
    post: bool = False
    patch: bool = False
    required: bool = False
    visible: bool = True
    enum: tuple[str, ...] = ()
    indexed: bool = False
    pattern: str | None = None
    pattern_hint: str = ""


@attrs.frozen
class Rel:
    """A relationship.

    Args:
        name: relationship name on the wire.
        target: JSON:API type of the related resource(s).
        kind: ``fk`` (to-one, id stored in ``key`` on this record), ``reverse`` (to-many,
            records of ``target`` whose ``key`` equals this id) or ``ids`` (to-many, list of
            ids stored in ``key`` on this record).
        key: the backing field.
        post: settable in a POST under ``relationships``.
        patch: settable in a PATCH under ``relationships``.
        required: must be given in a POST (as relationship or as its backing attribute).
    """

    name: str
    target: str
    kind: str
    key: str
    post: bool = False
    patch: bool = False
    required: bool = False

    @property
    def to_many(self) -> bool:
        """Whether the relationship holds a list."""
        return self.kind != "fk"


@attrs.frozen
class Spec:
    """A resource type: where it lives, what it holds, which verbs it answers."""

    type: str
    path: str
    fields: tuple[Field, ...]
    rels: tuple[Rel, ...] = ()
    verbs: frozenset[str] = frozenset({"list", "show", "create", "update", "delete"})
    title: str = ""
    patch_required: tuple[str, ...] = ()
    by_name: Mapping[str, Field] = attrs.field(init=False)
    rel_by_name: Mapping[str, Rel] = attrs.field(init=False)
    visible: tuple[Field, ...] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "rel_by_name", {r.name: r for r in self.rels})
        object.__setattr__(self, "visible", tuple(f for f in self.fields if f.visible))

    def field(self, name: str) -> Field | None:
        """Find a field by camelCase or snake_case name (``id`` is not a field)."""
        return self.by_name.get(name) or self.by_name.get(camelize(name))

    def rel(self, name: str) -> Rel | None:
        """Find a relationship by camelCase or snake_case name."""
        return self.rel_by_name.get(name) or self.rel_by_name.get(camelize(name))
