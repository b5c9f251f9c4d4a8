"""The one cattrs converter: snake_case models <-> camelCase JSON, RFC 3339 datetimes."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any, TypeVar

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


_T = TypeVar("_T", bound=attrs.AttrsInstance)

#: How the file name of every method attrs generates starts (its ``__init__`` among them).
_ATTRS_GENERATED = "<attrs generated"


@attrs.frozen
class _Build:
    """How to build a ``cls`` without ``__init__``: see ``_build_plan``."""

    #: A class laid out as ``cls`` that takes plain stores, then made a ``cls``; or None.
    builder: type[Any] | None
    #: Each field's slot setter (used when there is no builder).
    setters: Mapping[str, Callable[[Any, Any], None]]


_PLANS: dict[type[Any], _Build | None] = {}


def _build_plan(cls: type[Any]) -> _Build | None:
    """How to build a ``cls`` by storing its slots, when that is all its ``__init__`` does.

    attrs' ``__init__`` of a frozen class stores each field through a bound
    ``object.__setattr__`` call, about 80 ns a field: 1.3 us for a 15-field model, a
    quarter of decoding one. That is all it does for a slotted class with attrs' own
    ``__init__`` and object's ``__new__``, whose slots are exactly its fields (no cached
    hash) and whose fields take their values as given (no validator, converter or
    pre/post-init hook); for any other class this is None, and it is built by ``__init__``.

    The fastest way: an instance of a builder class (``cls``'s base and ``cls``'s own
    slots: the same memory layout, without the frozen ``__setattr__``) takes each store as
    one bytecode, and assigning ``__class__ = cls`` (CPython refuses it unless the layouts
    match) makes it a ``cls`` like any other: frozen, with ``cls``'s eq, hash and repr.
    CPython refuses it for a class that adds the ``__weakref__`` slot itself (attrs adds
    one to a class whose base has none); such a class is built by each slot's own
    descriptor, about half the cost of ``__init__``. Either way is tried once here, a
    distinct value per field, and must give back every value.
    """
    if cls not in _PLANS:
        _PLANS[cls] = _make_build_plan(cls)
    return _PLANS[cls]


def _make_build_plan(cls: type[Any]) -> _Build | None:
    if not attrs.has(cls) or cls.__new__ is not object.__new__ or cls.__dictoffset__:
        return None
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return None
    init = getattr(cls.__init__, "__code__", None)
    if init is None or not init.co_filename.startswith(_ATTRS_GENERATED):
        return None
    fields = attrs.fields(cls)
    if not all(f.init and f.validator is None and f.converter is None for f in fields):
        return None
    slots: set[str] = set()
    for klass in cls.__mro__:
        declared = klass.__dict__.get("__slots__", ())
        slots.update((declared,) if isinstance(declared, str) else declared)
    if slots - {"__weakref__"} != {f.name for f in fields}:
        return None
    descriptors: dict[str, Any] = {f.name: getattr(cls, f.name, None) for f in fields}
    if not all(type(d) is types.MemberDescriptorType for d in descriptors.values()):
        return None
    setters = {name: d.__set__ for name, d in descriptors.items()}
    values = {f.name: object() for f in fields}
    probe: Any = object.__new__(cls)
    for name, value in values.items():
        setters[name](probe, value)
    if not all(getattr(probe, name) is value for name, value in values.items()):
        return None
    namespace = {
        "__slots__": cls.__dict__.get("__slots__", ()),
        # Both: the type's one setattr slot is then object's own, and stores are plain.
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
        "__module__": __name__,
    }
    twin = type(f"_{cls.__name__}Builder", cls.__bases__, namespace)
    probe = object.__new__(twin)
    builder: type[Any] | None = twin
    try:
        for name, value in values.items():
            setattr(probe, name, value)
        probe.__class__ = cls
    except TypeError:  # "object layout differs"
        builder = None
    else:
        if not all(getattr(probe, name) is value for name, value in values.items()):
            builder = None
    return _Build(builder=builder, setters=setters)


def _construction_lines(
    cls: type[Any],
    values: Mapping[str, str],
    names: dict[str, Any],
    *,
    var: str = "o",
    prefix: str = "",
    indent: str = "    ",
) -> list[str]:
    """Generated lines that build a ``cls`` into the local ``var``, from the locals in ``values``.

    Fields not in ``values`` keep their defaults (none may be a factory, or required). The
    globals the lines use go into ``names``, under ``prefix``.
    """
    fields = attrs.fields(cls)
    plan = _build_plan(cls)
    names[f"{prefix}cls"] = cls
    if plan is None:
        args = ", ".join(f"{f.alias}={values[f.name]}" for f in fields if f.name in values)
        return [f"{indent}{var} = {prefix}cls({args})"]
    names["new"] = object.__new__
    names[f"{prefix}builder"] = plan.builder
    lines = [f"{indent}{var} = new({prefix}{'cls' if plan.builder is None else 'builder'})"]
    for j, f in enumerate(fields):
        value = values.get(f.name)
        if value is None:
            value = f"{prefix}unset_{j}"
            names[value] = f.default
        if plan.builder is None:
            names[f"{prefix}set_{j}"] = plan.setters[f.name]
            lines.append(f"{indent}{prefix}set_{j}({var}, {value})")
        else:
            lines.append(f"{indent}{var}.{f.name} = {value}")
    if plan.builder is not None:
        lines.append(f"{indent}{var}.__class__ = {prefix}cls")
    return lines


def fast_constructor(cls: type[_T]) -> Callable[..., _T]:
    """``build(*values)``: what ``cls(**fields)`` builds, fields given in ``attrs.fields`` order."""
    fields = attrs.fields(cls)
    params = [f"v{i}" for i in range(len(fields))]
    names: dict[str, Any] = {"cls": cls}
    body = _construction_lines(cls, {f.name: p for f, p in zip(fields, params, strict=True)}, names)
    source = "\n".join([f"def build({', '.join(params)}):", *body, "    return o"])
    exec(compile(source, f"<recrubo_async constructor for {cls.__name__}>", "exec"), names)
    build: Callable[..., _T] = names["build"]
    return build


_new_identifier: Callable[[str, str], ResourceIdentifier] = fast_constructor(ResourceIdentifier)
_new_relationship: Callable[..., Relationship] = fast_constructor(Relationship)


def _structure_identifier(value: object, _: object) -> ResourceIdentifier:
    if not (type(value) is dict or isinstance(value, Mapping)):
        raise TypeError("a relationship's data must be an object with type and id")
    rtype, rid = value.get("type"), value.get("id")
    if not isinstance(rtype, str) or not isinstance(rid, (str, int)):
        raise TypeError("a relationship's data needs a string type and id")
    return _new_identifier(rtype, rid if type(rid) is str else str(rid))


def _structure_relationship(value: object, _: object = None, owned: bool = False) -> Relationship:
    """A relationship object to its model; ``owned``: keep its dicts (just parsed) uncopied."""
    # ``type(...) is dict`` first: JSON gives dicts, and an ABC check costs more.
    if not (type(value) is dict or isinstance(value, Mapping)):
        raise TypeError("a relationship must be an object")
    links = value.get("links")
    meta = value.get("meta")
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
        return _new_relationship(None, links, meta, False)
    raw = value["data"]
    data: ResourceIdentifier | tuple[ResourceIdentifier, ...] | None
    if raw is None:
        data = None
    elif isinstance(raw, list):
        data = tuple([_structure_identifier(item, None) for item in raw])
    else:
        data = _structure_identifier(raw, None)
    return _new_relationship(data, links, meta, True)


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
    this generated function reads the resource object's attributes directly (all of them
    in one ``itemgetter`` call when all were sent, as the API does), converts strings,
    ints, bools, enums, datetimes and plain mappings inline, and leaves any other type to
    the converter's own hook for it. It raises on anything unexpected; the codec then
    decodes the same object the slow way, which raises the detailed error. It changes
    nothing it was given, so that the slow way reads what it did. Attribute values that
    are null are left out (the field keeps its default), and attributes the model does not
    know go to ``extra``. The model is built by setting its slots when that is exactly what
    its ``__init__`` does (``_build_plan``).

    ``owned``: the resource object was just parsed from JSON and nothing else holds it, so
    its dicts (string keys, as JSON has) become the model's without a copy.

    Returns None for a model with a required attribute or a factory default (none of the
    SDK's): the codec then always takes the checked path for it.
    """
    names: dict[str, Any] = {
        "cls": cls,
        "str_dict": _str_dict,
        "structure_relationships": _structure_relationships,
        "structure_relationship": _structure_relationship,
        "fromisoformat": datetime.fromisoformat,
        "utc": timezone.utc,
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
    lines = ["def decode(rid, rtype, a, rels, links, meta):"]
    # Model field name -> the local holding its value.
    values = {"id": "rid", "type": "rtype", "relationships": "rels", "links": "links"}
    values["meta"] = "meta"
    if cls is GenericResource:
        lines.append(f"    a = {mapping('a')}")
        values["attributes"] = "a"
    else:
        lines += _attribute_lines(conv, fields, names, mapping)
        values["extra"] = "extra"
        values.update({f.name: f"f{i}" for i, f in enumerate(fields)})
    lines += (
        _relationships_lines(names)
        if owned
        else ["    rels = EMPTY_REL if rels is None else structure_relationships(rels)"]
    )
    lines += [
        f"    links = EMPTY_LINKS if links is None else {mapping('links')}",
        f"    meta = EMPTY_META if meta is None else {mapping('meta')}",
    ]
    lines += _construction_lines(cls, values, names)
    lines.append("    return o")
    code = compile("\n".join(lines), f"<recrubo_async decoder for {cls.__name__}>", "exec")
    exec(code, names)
    decode: ResourceDecoder = names["decode"]
    return decode


def _attribute_lines(
    conv: cattrs.Converter,
    fields: Sequence[attrs.Attribute[Any]],
    names: dict[str, Any],
    mapping: Callable[[str, str, str], str],
) -> list[str]:
    """The decoder's lines that set ``f0``, ``f1``, ... and ``extra`` from the attributes ``a``."""
    wires = [wire_name_of(f) for f in fields]
    names["known"] = frozenset(wires)
    unknown = "{k: v for k, v in a.items() if k not in known}"
    if not fields:
        return [
            f"    extra = str_dict({unknown}, mapping_hook, mapping_type) if a else EMPTY_EXTRA"
        ]
    names["getter"] = itemgetter(*wires)
    count = len(fields)
    lines = [
        "    n = len(a)",
        f"    if n >= {count}:",
        "        try:",
        # One C call for the usual case, every attribute sent (null or not).
        f"            {''.join(f'f{i}, ' for i in range(count))}= "
        + ("getter(a)," if count == 1 else "getter(a)"),
        "        except KeyError:",
        "            n = -1",
        # All known attributes were there: any more are unknown ones.
        f"    if n == {count}:",
        "        extra = EMPTY_EXTRA",
        f"    elif n > {count}:",
        f"        extra = str_dict({unknown}, mapping_hook, mapping_type)",
        # Some not sent (no exception raised for it when there are fewer): one by one.
        "    else:",
        *(f"        f{i} = a.get({wire!r})" for i, wire in enumerate(wires)),
        f"        extra = {unknown}",
        "        extra = str_dict(extra, mapping_hook, mapping_type) if extra else EMPTY_EXTRA",
    ]
    for i, field in enumerate(fields):
        # Every model's annotations are resolved when recrubo_async.models is imported.
        tp = _non_optional(field.type)
        names[f"hook{i}"] = conv.get_structure_hook(tp)
        names[f"type{i}"] = tp
        names[f"default{i}"] = field.default
        v = f"f{i}"
        if tp in (str, int, bool):
            # What cattrs does for these (``str(v)``), skipped when v already is one.
            convert = [f"if type({v}) is not type{i}:", f"    {v} = type{i}({v})"]
        elif tp is datetime:
            # ``parse_datetime`` inline for RFC 3339 text on Python 3.11+; itself otherwise.
            convert = [
                "try:",
                f"    t = fromisoformat({v})",
                "except (TypeError, ValueError):",
                f"    {v} = parse_datetime({v})",
                "else:",
                f"    {v} = t if t.tzinfo is not None else t.replace(tzinfo=utc)",
            ]
        elif isinstance(tp, type) and issubclass(tp, OpenEnum):
            names[f"members{i}"] = tp._value2member_map_
            convert = [f"m = members{i}.get({v})", f"{v} = m if m is not None else type{i}({v})"]
        elif tp == Mapping[str, Any]:
            convert = [f"{v} = {mapping(v, f'hook{i}', f'type{i}')}"]
        else:
            convert = [f"{v} = hook{i}({v}, type{i})"]
        lines.append(f"    if {v} is not None:")
        lines += [f"        {line}" for line in convert]
        if field.default is not None:
            # A null attribute, like an absent one, leaves the field at its default.
            lines += ["    else:", f"        {v} = default{i}"]
    return lines


def _relationships_lines(names: dict[str, Any]) -> list[str]:
    """Generated lines that structure ``rels`` of a just-parsed object (its dicts kept).

    ``_structure_relationships_owned`` inline: a page's relationships are mostly links
    only (``{"links": {"related": ...}}``), built here without a call; any other shape is
    left to ``_structure_relationship``.
    """
    names["EMPTY"] = EMPTY
    values = {"data": "None", "links": "l", "meta": "EMPTY", "loaded": "False"}
    return [
        "    if rels is None:",
        "        rels = EMPTY_REL",
        "    else:",
        "        out = {}",
        "        for k, r in rels.items():",
        "            if type(r) is dict and len(r) == 1:",
        "                l = r.get('links')",
        "                if type(l) is dict and l:",
        *_construction_lines(Relationship, values, names, var="x", prefix="rel_", indent=" " * 20),
        "                    out[k] = x",
        "                    continue",
        "            out[k] = structure_relationship(r, None, True)",
        "        rels = out",
    ]


def _structure_relationships(value: Mapping[str, Any]) -> dict[str, Relationship]:
    """What cattrs makes of ``Mapping[str, Relationship]``, for the dict JSON gives."""
    return {
        k if type(k) is str else str(k): _structure_relationship(v, None) for k, v in value.items()
    }
