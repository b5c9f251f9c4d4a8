"""The one cattrs converter: snake_case models <-> camelCase JSON, RFC 3339 datetimes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._naming import to_camel
from .models._base import (
    ENVELOPE_FIELDS,
    OpenEnum,
    Relationship,
    Resource,
    ResourceIdentifier,
    attribute_fields,
    is_relationship_field,
    wire_name_of,
)
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


def parse_datetime(value: object, _: object = None) -> datetime:
    """RFC 3339 text to an aware datetime (naive text is taken as UTC)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    else:
        raise TypeError(f"expected an RFC 3339 timestamp string, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def format_datetime(value: datetime) -> str:
    """An aware datetime as RFC 3339 (UTC as ``Z``); naive values are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _structure_identifier(value: object, _: object) -> ResourceIdentifier:
    if not isinstance(value, Mapping):
        raise TypeError("a relationship's data must be an object with type and id")
    rtype, rid = value.get("type"), value.get("id")
    if not isinstance(rtype, str) or not isinstance(rid, (str, int)):
        raise TypeError("a relationship's data needs a string type and id")
    return ResourceIdentifier(type=rtype, id=str(rid))


def _structure_relationship(value: object, _: object) -> Relationship:
    if not isinstance(value, Mapping):
        raise TypeError("a relationship must be an object")
    links = value.get("links")
    meta = value.get("meta")
    links = dict(links) if isinstance(links, Mapping) else {}
    meta = dict(meta) if isinstance(meta, Mapping) else {}
    if "data" not in value:
        return Relationship(data=None, links=links, meta=meta, loaded=False)
    raw = value["data"]
    data: ResourceIdentifier | tuple[ResourceIdentifier, ...] | None
    if raw is None:
        data = None
    elif isinstance(raw, list):
        data = tuple(_structure_identifier(item, None) for item in raw)
    else:
        data = _structure_identifier(raw, None)
    return Relationship(data=data, links=links, meta=meta)


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


def _is_wire_object(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, WireObject) and attrs.has(cls)


def _relationship_names(cls: type[Resource]) -> list[str]:
    return [f.name for f in attrs.fields(cls) if is_relationship_field(f)]


def make_converter() -> cattrs.Converter:
    """Build the SDK's converter (never cattrs' global one)."""
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
    conv.register_structure_hook(datetime, parse_datetime)
    conv.register_unstructure_hook(datetime, format_datetime)
    conv.register_unstructure_hook(OpenEnum, lambda member: member.value)
    conv.register_structure_hook(Relationship, _structure_relationship)
    conv.register_unstructure_hook(Relationship, _unstructure_relationship)
    conv.register_structure_hook(ResourceIdentifier, _structure_identifier)

    def resource_structure(cls: type[Resource]) -> Callable[[Any, Any], Resource]:
        overrides = {f.name: override(rename=wire_name_of(f)) for f in attribute_fields(cls)}
        overrides.update({name: override(rename=key) for name, key in ENVELOPE_KEYS.items()})
        # Relationship fields are filled from the whole document afterwards (_compound.py).
        overrides.update({name: override(omit=True) for name in _relationship_names(cls)})
        return make_dict_structure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

    def resource_unstructure(cls: type[Resource]) -> Callable[[Resource], dict[str, Any]]:
        # Attributes only, under wire names; the envelope is written by the codec.
        overrides: dict[str, Any] = {
            f.name: override(rename=wire_name_of(f)) for f in attribute_fields(cls)
        }
        overrides.update({name: override(omit=True) for name in ENVELOPE_FIELDS})
        overrides.update({name: override(omit=True) for name in _relationship_names(cls)})
        return make_dict_unstructure_fn(cls, conv, **overrides)

    def wire_unstructure(cls: type[WireObject]) -> Callable[[WireObject], dict[str, Any]]:
        fields = [(f.name, wire_name_of(f)) for f in attrs.fields(cls)]
        unstructure = conv.unstructure
        # A builder whose JSON is not one key per field reshapes the plain dict.
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

    conv.register_structure_hook_factory(_is_resource, resource_structure)
    conv.register_unstructure_hook_factory(_is_resource, resource_unstructure)
    conv.register_unstructure_hook_factory(_is_wire_object, wire_unstructure)
    return conv


def camelize_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level snake_case keys to camelCase (values untouched)."""
    return {to_camel(k): v for k, v in values.items()}
