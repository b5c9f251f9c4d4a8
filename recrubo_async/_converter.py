"""The one cattrs converter: snake_case models <-> camelCase JSON, RFC 3339 datetimes."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._naming import to_camel
from .models._base import (
    EMPTY,
    ENVELOPE_FIELDS,
    GenericResource,
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
    if type(value) is str:
        # Python 3.11+ reads RFC 3339 ("Z" included) as it is: the common case, parsed
        # once. The general path below serves Python 3.10 and looser forms.
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
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
    if not (type(value) is dict or isinstance(value, Mapping)):
        raise TypeError("a relationship's data must be an object with type and id")
    rtype, rid = value.get("type"), value.get("id")
    if not isinstance(rtype, str) or not isinstance(rid, (str, int)):
        raise TypeError("a relationship's data needs a string type and id")
    return ResourceIdentifier(type=rtype, id=rid if type(rid) is str else str(rid))


def _structure_relationship(value: object, _: object) -> Relationship:
    # ``type(...) is dict`` first: JSON gives dicts, and an ABC check costs more.
    if not (type(value) is dict or isinstance(value, Mapping)):
        raise TypeError("a relationship must be an object")
    links = value.get("links")
    meta = value.get("meta")
    # Most relationships carry no meta (and many no links): share the empty default.
    links = dict(links) if links and (type(links) is dict or isinstance(links, Mapping)) else EMPTY
    meta = dict(meta) if meta and (type(meta) is dict or isinstance(meta, Mapping)) else EMPTY
    if "data" not in value:
        return Relationship(data=None, links=links, meta=meta, loaded=False)
    raw = value["data"]
    data: ResourceIdentifier | tuple[ResourceIdentifier, ...] | None
    if raw is None:
        data = None
    elif isinstance(raw, list):
        data = tuple([_structure_identifier(item, None) for item in raw])
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


#: Builds one model from a resource object's parts: ``(id, type, attributes,
#: relationships, links, meta)``, the last three None when absent.
ResourceDecoder = Callable[
    [
        str,
        str,
        Mapping[str, Any],
        Mapping[str, Any] | None,
        Mapping[str, Any] | None,
        Mapping[str, Any] | None,
    ],
    Resource,
]


def _str_dict(value: Any, hook: Callable[[Any, Any], Any], tp: Any) -> Any:
    """What cattrs makes of a ``Mapping[str, Any]`` (a dict copy), at C speed when it can."""
    if type(value) is dict and all(type(k) is str for k in value):
        return dict(value)
    return hook(value, tp)


def _non_optional(tp: Any) -> Any:
    """``X`` for ``X | None``; anything else unchanged."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def make_resource_decoder(
    conv: cattrs.Converter, cls: type[Resource], *, owned: bool = False
) -> ResourceDecoder | None:
    """A fast decoder for ``cls``: the same model the converter builds, in one straight pass.

    The converter's generated function reads a flattened dict and validates each field in
    a ``try`` block, so that a bad document gets an error naming the field. Valid
    documents are the hot path (pages of 1,000 resources, every webhook and bus event), so
    this generated function reads the resource object's attributes directly, converts
    strings, ints, bools, enums, datetimes and plain mappings inline, and leaves any other
    type to the converter's own hook for it. It raises on anything unexpected; the codec
    then decodes the same object the slow way, which raises the detailed error.
    Attribute values that are null are left out (the field keeps its default), and
    attributes the model does not know go to ``extra``.

    ``owned``: the resource object was just parsed from JSON and nothing else holds it, so
    its dicts (string keys, as JSON has) become the model's without a copy.

    Returns None for a model with a required attribute or a factory default (none of the
    SDK's): the codec then always takes the checked path for it.
    """
    names: dict[str, Any] = {
        "cls": cls,
        "str_dict": _str_dict,
        "structure_relationships": _structure_relationships,
        "parse_datetime": parse_datetime,
        "mapping_hook": conv.get_structure_hook(Mapping[str, Any]),
        "mapping_type": Mapping[str, Any],
    }

    def mapping(var: str, hook: str = "mapping_hook", tp: str = "mapping_type") -> str:
        copy = f"str_dict({var}, {hook}, {tp})"
        return f"{var} if type({var}) is dict else {copy}" if owned else copy

    envelope = {f.name: f for f in attrs.fields(cls) if f.name in ENVELOPE_FIELDS}
    fields = () if cls is GenericResource else attribute_fields(cls)
    defaults = [f.default for f in (*envelope.values(), *fields) if f.name not in ("id", "type")]
    if any(d is attrs.NOTHING or isinstance(d, attrs.Factory) for d in defaults):  # type: ignore[arg-type]
        # Absent attributes are passed as their defaults: a required field or a factory
        # default would need the slow path's care.
        return None
    names["EMPTY_REL"] = envelope["relationships"].default
    names["EMPTY_LINKS"] = envelope["links"].default
    names["EMPTY_META"] = envelope["meta"].default
    names["EMPTY_EXTRA"] = envelope["extra"].default
    lines = [
        "def decode(rid, rtype, a, rels, links, meta):",
        "    rels = EMPTY_REL if rels is None else structure_relationships(rels)",
        f"    links = EMPTY_LINKS if links is None else {mapping('links')}",
        f"    meta = EMPTY_META if meta is None else {mapping('meta')}",
    ]
    call = ["id=rid", "type=rtype", "relationships=rels", "links=links", "meta=meta"]
    if cls is GenericResource:
        call.append(f"attributes={mapping('a')}")
    else:
        names["known"] = frozenset(wire_name_of(f) for f in fields)
        lines.append("    seen = 0")
        for i, field in enumerate(fields):
            # Every model's annotations are resolved when recrubo_async.models is imported.
            tp = _non_optional(field.type)
            names[f"hook{i}"] = conv.get_structure_hook(tp)
            names[f"type{i}"] = tp
            names[f"default{i}"] = field.default
            lines += [
                f"    f{i} = default{i}",
                # ``a`` itself marks "absent": no attribute value can be the object holding it.
                f"    v = a.get({wire_name_of(field)!r}, a)",
                "    if v is not a:",
                "        seen += 1",
                "        if v is not None:",
            ]
            if tp in (str, int, bool):
                # What cattrs does for these (``str(v)``), skipped when v already is one.
                value = f"v if type(v) is type{i} else type{i}(v)"
            elif tp is datetime:
                value = "parse_datetime(v)"
            elif isinstance(tp, type) and issubclass(tp, OpenEnum):
                names[f"members{i}"] = tp._value2member_map_
                lines.append(f"            m = members{i}.get(v)")
                value = f"m if m is not None else type{i}(v)"
            elif tp == Mapping[str, Any]:
                value = mapping("v", f"hook{i}", f"type{i}")
            else:
                value = f"hook{i}(v, type{i})"
            lines.append(f"            f{i} = {value}")
            call.append(f"{field.name}=f{i}")
        lines += [
            "    extra = EMPTY_EXTRA",
            "    if seen != len(a):",
            "        extra = {k: v for k, v in a.items() if k not in known}",
            "        extra = str_dict(extra, mapping_hook, mapping_type)",
        ]
        call.append("extra=extra")
    lines.append(f"    return cls({', '.join(call)})")
    code = compile("\n".join(lines), f"<recrubo_async decoder for {cls.__name__}>", "exec")
    exec(code, names)
    decode: ResourceDecoder = names["decode"]
    return decode


def _structure_relationships(value: Mapping[str, Any]) -> dict[str, Relationship]:
    """What cattrs makes of ``Mapping[str, Relationship]``, for the dict JSON gives."""
    return {
        k if type(k) is str else str(k): _structure_relationship(v, None) for k, v in value.items()
    }
