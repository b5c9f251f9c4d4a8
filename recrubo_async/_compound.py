"""Compound documents: relationship fields filled from ``data`` and ``included``.

``flow.nodes[0].node_actions[0].value`` works when the document included those resources;
a related resource the document did not include stays a ``ResourceIdentifier``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .models._base import (
    Relationship,
    RelationshipSpec,
    Resource,
    ResourceIdentifier,
    relationship_specs,
)

if TYPE_CHECKING:
    from ._fastdecode import Linkers

IdentityMap = dict[tuple[str, str], Resource]


def identity_map(resources: Iterable[Resource]) -> IdentityMap:
    """``(type, id) -> model``; the first occurrence wins (primary data before included)."""
    index: IdentityMap = {}
    for resource in resources:
        index.setdefault((resource.type, resource.id), resource)
    return index


def link(
    resources: Iterable[Resource],
    index: IdentityMap | None = None,
    *,
    linkers: Linkers | None = None,
) -> None:
    """Fill the relationship fields of ``resources`` from the models in ``index``.

    Models are frozen, and related models can point back at each other (node -> flow ->
    nodes), which no constructor can build; so the decoder, which owns these fresh
    instances and has not handed them out yet, sets the fields with ``object.__setattr__``.
    The index is built on first need: a page whose relationships carry only links has none,
    and then this is one look at each relationship's ``loaded``.

    ``linkers``: the fast decoding path's generated linkers (``_fastdecode.make_linker``),
    which do the same per model; None takes the plain loop below.
    """
    items = resources if type(resources) in (list, tuple) else list(resources)
    if linkers is not None:
        _link_generated(items, index, linkers)
        return
    for resource in items:
        specs: Mapping[str, RelationshipSpec] | None = None
        for wire_name, rel in resource.relationships.items():
            if not rel.loaded:
                continue
            if specs is None:
                specs = relationship_specs(type(resource))
            spec = specs.get(wire_name)
            if spec is None:
                continue
            if index is None:
                index = identity_map(items)
            object.__setattr__(resource, spec.name, _value(rel, spec, index))


def _link_generated(items: Iterable[Resource], index: IdentityMap | None, linkers: Linkers) -> None:
    get = None if index is None else index.get
    for resource in items:
        rels = resource.relationships
        if not rels:
            continue
        linker = linkers[type(resource)]
        if linker is None:
            continue
        if get is None:
            for rel in rels.values():
                if rel.loaded:
                    break
            else:
                continue
            get = identity_map(items).get
        linker(resource, get)


def _value(rel: Relationship, spec: RelationshipSpec, index: IdentityMap) -> Any:
    data = rel.data
    if data is None:
        return () if spec.many else None
    refs = data if isinstance(data, tuple) else (data,)
    resolved = tuple(_lookup(ref, index) for ref in refs)
    if spec.many:
        return resolved
    # A to-one relationship sent as a list keeps its first member rather than failing.
    return resolved[0] if resolved else None


def _lookup(ref: ResourceIdentifier, index: IdentityMap) -> Resource | ResourceIdentifier:
    return index.get((ref.type, ref.id), ref)
