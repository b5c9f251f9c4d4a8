"""The one cattrs converter: JSON:API resource objects <-> attrs models (the checked path)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._construct import constructor
from ._datetimes import format_datetime, parse_datetime
from .models._base import (
    EMPTY,
    ENVELOPE_FIELDS,
    OpenEnum,
    Relationship,
    Resource,
    ResourceIdentifier,
    attribute_fields,
    is_relationship_field,
    wire_name_of,
)
from .models._record import Record
from .models._wire import WireObject

#: Keys under which a resource object's envelope members travel in the flattened dict a
#: model's generated structure function reads. JSON:API forbids attributes named ``id`` or
#: ``type``; the others get a prefix no attribute name can have.
ENVELOPE_KEYS: Mapping[str, str] = {
    "id": "id",
    "type": "type",
    "relationships": "@relationships",
    "links": "@links",
    "meta": "@meta",
    "extra": "@extra",
}


def make_converter(*, fast: bool = False) -> cattrs.Converter:
    """Build the SDK's converter (never cattrs' global one), with these rules.

    - Names: a model field ``snake_case`` is the attribute ``snakeCase`` on the wire, or
      the name its ``metadata["wire"]`` gives (``models._base.wire``), both ways.
    - Envelope: ``id``, ``type``, ``relationships``, ``links``, ``meta`` and ``extra`` are
      model fields, not attributes. A model is structured from one flat dict (the codec
      builds it) holding its attributes under wire names and the envelope under
      ``ENVELOPE_KEYS``; it is unstructured to its attributes alone (the codec writes the
      envelope).
    - Unknown attributes are kept: the codec passes them under ``@extra`` and they land,
      wire-named, in ``extra``; unknown keys never fail (``forbid_extra_keys=False``).
      A type no model is registered for is a ``GenericResource``, attributes as sent.
    - Nulls: the codec leaves a null attribute out, so the field keeps its default.
    - Date-times: RFC 3339 text <-> aware ``datetime``; naive means UTC, UTC is written
      ``Z`` (``_datetimes.py``).
    - Open enums: an ``OpenEnum`` is its string value; a value the SDK does not know
      becomes a member of its own instead of an error.
    - Relationships: ``{"data", "links", "meta"}`` is a ``Relationship``; ``data`` null is
      None, an object a ``ResourceIdentifier`` (a numeric id as a string), a list a tuple
      of them; no ``data`` member is ``loaded=False``; links or meta that are not objects
      are empty. Relationship fields (``models._base.REL``) are not structured here: the
      document layer fills them afterwards (``_compound.link``).
    - Request builders (``WireObject``): snake_case fields under wire names, fields left
      at None not sent, reshaped by the class's ``_wire_reshape`` when it has one.
    - Errors are detailed (``detailed_validation``): the codec turns the first into a
      ``DecodeError`` naming the field.

    ``fast``: build identifiers and relationships by slot stores (``_construct.py``)
    rather than ``__init__``; the same objects. ``Codec`` passes its decoding switch.
    """
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
    structure_identifier, structure_relationship = _relationship_hooks(fast)
    conv.register_structure_hook(datetime, parse_datetime)
    conv.register_unstructure_hook(datetime, format_datetime)
    conv.register_unstructure_hook(OpenEnum, lambda member: member.value)
    conv.register_structure_hook(Relationship, structure_relationship)
    conv.register_unstructure_hook(Relationship, _unstructure_relationship)
    conv.register_structure_hook(ResourceIdentifier, structure_identifier)

    def resource_structure(cls: type[Resource]) -> Callable[[Any, Any], Resource]:
        overrides = {f.name: override(rename=wire_name_of(f)) for f in attribute_fields(cls)}
        overrides.update({name: override(rename=key) for name, key in ENVELOPE_KEYS.items()})
        overrides.update({name: override(omit=True) for name in _relationship_names(cls)})
        return make_dict_structure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

    def resource_unstructure(cls: type[Resource]) -> Callable[[Resource], dict[str, Any]]:
        overrides: dict[str, Any] = {
            f.name: override(rename=wire_name_of(f)) for f in attribute_fields(cls)
        }
        overrides.update({name: override(omit=True) for name in ENVELOPE_FIELDS})
        overrides.update({name: override(omit=True) for name in _relationship_names(cls)})
        return make_dict_unstructure_fn(cls, conv, **overrides)

    def wire_unstructure(cls: type[WireObject]) -> Callable[[WireObject], dict[str, Any]]:
        fields = [(f.name, wire_name_of(f)) for f in attrs.fields(cls)]
        unstructure = conv.unstructure
        reshape: Callable[[WireObject, dict[str, Any]], dict[str, Any]] | None = getattr(
            cls, "_wire_reshape", None
        )

        def fn(obj: WireObject) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, key in fields:
                value = getattr(obj, name)
                if value is not None:
                    out[key] = unstructure(value)
            return reshape(obj, out) if reshape is not None else out

        return fn

    # Records read themselves leniently (``models._record``): an AI-made object whose shape
    # varies must not fail the resource that carries it.
    conv.register_structure_hook_factory(
        _is_record, lambda cls: lambda value, _: cls.from_wire(value)
    )
    conv.register_unstructure_hook_factory(_is_record, lambda cls: Record.to_wire)
    conv.register_structure_hook_factory(_is_resource, resource_structure)
    conv.register_unstructure_hook_factory(_is_resource, resource_unstructure)
    conv.register_unstructure_hook_factory(_is_wire_object, wire_unstructure)
    return conv


def _relationship_hooks(
    fast: bool,
) -> tuple[Callable[[object, object], ResourceIdentifier], Callable[..., Relationship]]:
    """The structure hooks of ``ResourceIdentifier`` and ``Relationship``.

    The second also takes ``owned`` (see ``_fastdecode._relationships_lines``).
    """
    new_identifier = constructor(ResourceIdentifier, fast=fast)
    new_relationship = constructor(Relationship, fast=fast)

    def structure_identifier(value: object, _: object = None) -> ResourceIdentifier:
        if not (type(value) is dict or isinstance(value, Mapping)):
            raise TypeError("a relationship's data must be an object with type and id")
        rtype, rid = value.get("type"), value.get("id")
        if not isinstance(rtype, str) or not isinstance(rid, (str, int)):
            raise TypeError("a relationship's data needs a string type and id")
        return new_identifier(rtype, rid if type(rid) is str else str(rid))

    def structure_relationship(
        value: object, _: object = None, owned: bool = False
    ) -> Relationship:
        """``owned``: ``value`` was just parsed and is held by nothing else: keep its dicts."""
        # ``type(...) is dict`` first: JSON gives dicts, and an ABC check costs more.
        if not (type(value) is dict or isinstance(value, Mapping)):
            raise TypeError("a relationship must be an object")
        links, meta = value.get("links"), value.get("meta")
        # Most relationships carry no meta (and many no links): share the empty default.
        if not links:
            links = EMPTY
        elif type(links) is not dict or not owned:
            links = dict(links) if isinstance(links, Mapping) else EMPTY
        if not meta:
            meta = EMPTY
        elif type(meta) is not dict or not owned:
            meta = dict(meta) if isinstance(meta, Mapping) else EMPTY
        if "data" not in value:
            return new_relationship(None, links, meta, False)
        raw = value["data"]
        data: ResourceIdentifier | tuple[ResourceIdentifier, ...] | None
        if raw is None:
            data = None
        elif isinstance(raw, list):
            data = tuple([structure_identifier(item) for item in raw])
        else:
            data = structure_identifier(raw)
        return new_relationship(data, links, meta, True)

    return structure_identifier, structure_relationship


def _unstructure_relationship(rel: Relationship) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rel.loaded:
        if rel.data is None:
            out["data"] = None
        elif isinstance(rel.data, tuple):
            out["data"] = [{"type": r.type, "id": r.id} for r in rel.data]
        else:
            out["data"] = {"type": rel.data.type, "id": rel.data.id}
    if rel.links:
        out["links"] = dict(rel.links)
    if rel.meta:
        out["meta"] = dict(rel.meta)
    return out


def _is_resource(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, Resource) and attrs.has(cls)


def _is_record(cls: Any) -> bool:
    # Python 3.10 counts ``Mapping[str, Any]`` as a type, which Record's ABC check refuses.
    return isinstance(cls, type) and get_origin(cls) is None and issubclass(cls, Record)


def _is_wire_object(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, WireObject) and attrs.has(cls)


def _relationship_names(cls: type[Resource]) -> list[str]:
    return [f.name for f in attrs.fields(cls) if is_relationship_field(f)]
