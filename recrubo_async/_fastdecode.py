"""Generated fast decoders: a resource object to its model in one straight pass.

The converter (``_converter.py``) is the reference: its structure functions validate each
field in a ``try`` block, so that a bad document gets an error naming the field. Valid
documents are the hot path (pages of 1,000 resources, every webhook and bus event), so the
codec first tries a decoder generated here for the model, which builds the same model
faster and raises on anything it does not expect; the codec then decodes the same object
the checked way, which gives the model or the detailed error. tests/codec/test_decode_fast_path.py
pins each generated decoder to the converter, and runs the decode tests on both paths.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any

import attrs
import cattrs

from ._compat import enum_members_by_value
from ._construct import construction_lines, field_setter, slot_descriptors
from ._datetimes import parse_datetime
from .models._base import (
    EMPTY,
    ENVELOPE_FIELDS,
    GenericResource,
    OpenEnum,
    Relationship,
    Resource,
    ResourceIdentifier,
    attribute_fields,
    model_for,
    relationship_specs,
    wire_name_of,
)

#: The one switch between the decoding paths, read when a ``Codec`` is made (its ``fast``
#: argument overrides it). True: valid resource objects are decoded by the code generated
#: here, and identifiers and relationships built by slot stores (``_construct.py``); False:
#: every resource object goes through the converter and every model through its
#: ``__init__``, with no generated code. Both give the same models and the same errors.
FAST_DECODE = True

#: Whether ``make_data_decoder`` puts the C decoder (``_decode.c``) in front of the
#: generated one where the extension is built: the same models, less Python per call.
COMPILED_DECODE = True

#: The C decoder's model-field sources before the attributes, in its order (``SRC_*``).
_C_SOURCES = ("id", "type", "relationships", "links", "meta", "extra")
_CDataDecoder: Callable[..., Any] | None
#: The most attributes the C decoder takes (0 without it).
_C_MAX_ATTRIBUTES: int
try:
    from ._decode import MAX_ATTRS as _C_MAX_ATTRIBUTES
    from ._decode import DataDecoder as _CDataDecoder
except ImportError:  # built without a compiler: the generated decoder alone
    _CDataDecoder = None
    _C_MAX_ATTRIBUTES = 0

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


#: ``Codec.decode_data``'s fast path for one model: the parsed document to the model, or
#: None when the document is not the usual single resource of that model.
DataDecoder = Callable[[Any], Resource | None]


def make_resource_decoder(
    conv: cattrs.Converter, cls: type[Resource], *, owned: bool = False
) -> ResourceDecoder | None:
    """A fast decoder for ``cls``: the same model the converter builds, in one straight pass.

    The generated function reads the resource object's attributes directly (all of them
    in one ``itemgetter`` call when all were sent, as the API does), converts strings,
    ints, bools, enums, datetimes and plain mappings inline, and leaves any other type to
    the converter's own hook for it. It changes nothing it was given, so that the checked
    path reads what it did. Attribute values that are null are left out (the field keeps
    its default), and attributes the model does not know go to ``extra``. The model is
    built by setting its slots when that is exactly what its ``__init__`` does
    (``_construct.py``).

    ``owned``: the resource object was just parsed from JSON and nothing else holds it, so
    its dicts (string keys, as JSON has) become the model's without a copy.

    Returns None for a model with a required attribute or a factory default (none of the
    SDK's): the codec then always takes the checked path for it.
    """
    names = _decoder_names(conv)
    body = _decoder_body(conv, cls, names, owned=owned)
    if body is None:
        return None
    lines = ["def decode(rid, rtype, a, rels, links, meta):", *body, "    return o"]
    code = compile("\n".join(lines), f"<recrubo_async decoder for {cls.__name__}>", "exec")
    exec(code, names)
    decode: ResourceDecoder = names["decode"]
    return decode


def make_data_decoder(
    conv: cattrs.Converter,
    cls: type[Resource],
    link_one: Callable[[Resource], None],
    *,
    compiled: bool | None = None,
) -> DataDecoder | None:
    """``Codec.decode_data``'s fast path for ``cls``, generated: one function for the document.

    Given the parsed document, it checks what ``decode_data`` and ``Codec._decode_resource``
    check on their fast path (an object without ``included``, one resource object of
    ``cls``'s own type, members of the usual types), then builds the model as the owned
    decoder of ``make_resource_decoder`` does, inline, and links it as ``decode_data``
    does when a relationship carries data (``link_one``). Anything else, and any exception
    while building, gives None: the caller then takes the general path, which gives the
    same model or the same error. One call instead of three on every ``retrieve()``,
    ``create()`` and ``update()`` (benchmarks/findings.md, session 6).

    ``compiled``: with the C extension, a ``_decode.DataDecoder`` that decodes the usual
    document itself and hands any other to the generated function (see
    ``compiled_data_decoder``); None: ``COMPILED_DECODE``.

    Returns None where ``make_resource_decoder`` does, and for a ``cls`` that is not the
    model registered for its type.
    """
    if not cls.TYPE or model_for(cls.TYPE) is not cls:
        return None
    names = _decoder_names(conv)
    body = _decoder_body(conv, cls, names, owned=True)
    if body is None:
        return None
    names["TYPE"] = cls.TYPE
    names["link_one"] = link_one
    lines = [
        "def decode_data(doc):",
        "    if type(doc) is not dict or 'included' in doc:",
        "        return None",
        "    top_links = doc.get('links')",
        "    top_meta = doc.get('meta')",
        # Subscripts rather than get() for the members every such document has: no call.
        "    try:",
        "        data = doc['data']",
        "        rtype = data['type']",
        "        rid = data['id']",
        "        a = data['attributes']",
        "    except (KeyError, TypeError):",
        "        return None",
        "    if (",
        "        type(data) is not dict",
        "        or (top_links is not None and type(top_links) is not dict)",
        "        or (top_meta is not None and type(top_meta) is not dict)",
        "    ):",
        "        return None",
        "    rels = data.get('relationships')",
        "    links = data.get('links')",
        "    meta = data.get('meta')",
        "    if (",
        "        type(rtype) is not str",
        "        or rtype != TYPE",
        "        or type(rid) is not str",
        "        or type(a) is not dict",
        "        or (rels is not None and type(rels) is not dict)",
        "        or (links is not None and type(links) is not dict)",
        "        or (meta is not None and type(meta) is not dict)",
        "    ):",
        "        return None",
        "    try:",
        *(f"    {line}" for line in body),
        "    except Exception:",
        "        return None",
        # What decode_data does after the decoder: link a relationship that carries data.
        "    for r in rels.values():",
        "        if r.loaded:",
        "            link_one(o)",
        "            break",
        "    return o",
    ]
    source = "\n".join(lines)
    code = compile(source, f"<recrubo_async data decoder for {cls.__name__}>", "exec")
    exec(code, names)
    decode: DataDecoder = names["decode_data"]
    if compiled is None:
        compiled = COMPILED_DECODE
    if compiled:
        return compiled_data_decoder(conv, cls, link_one, decode) or decode
    return decode


def compiled_data_decoder(
    conv: cattrs.Converter,
    cls: type[Resource],
    link_one: Callable[[Resource], None],
    fallback: DataDecoder,
) -> DataDecoder | None:
    """The C form of ``make_data_decoder``'s function for ``cls`` (``_decode.c``): the same
    model for the usual document, and ``fallback`` (that function) for every other one.

    None without the extension, or where the C decoder cannot build ``cls`` as the
    generated code does: a model, relationship or identifier class not built by slot
    stores (``_construct.slot_descriptors``), or too many attributes.
    """
    if _CDataDecoder is None:
        return None
    model_slots = slot_descriptors(cls)
    rel_slots = slot_descriptors(Relationship)
    id_slots = slot_descriptors(ResourceIdentifier)
    if model_slots is None or rel_slots is None or id_slots is None:
        return None
    fields = attribute_fields(cls)
    if len(fields) > _C_MAX_ATTRIBUTES:
        return None
    specs = [attribute_kind(conv, f) for f in fields]
    # Where each model field's value comes from, in the order of the C decoder's sources.
    sources = {name: i for i, name in enumerate(_C_SOURCES)}
    sources.update({f.name: len(_C_SOURCES) + i for i, f in enumerate(fields)})
    envelope = {f.name: f.default for f in attrs.fields(cls) if f.name in ENVELOPE_FIELDS}
    stores = tuple(
        (model_slots[f.name], sources.get(f.name, -1), f.default) for f in attrs.fields(cls)
    )
    decoder: DataDecoder = _CDataDecoder(
        cls.TYPE,
        tuple(wire_name_of(f) for f in fields),
        tuple(int(kind) for kind, _, _ in specs),
        tuple(aux for _, aux, _ in specs),
        tuple(tp for _, _, tp in specs),
        tuple(f.default for f in fields),
        frozenset(wire_name_of(f) for f in fields),
        cls,
        stores,
        (Relationship, *(rel_slots[name] for name in ("data", "links", "meta", "loaded"))),
        (ResourceIdentifier, id_slots["type"], id_slots["id"]),
        (envelope["relationships"], envelope["links"], envelope["meta"], envelope["extra"], EMPTY),
        datetime.fromisoformat,
        parse_datetime,
        link_one,
        fallback,
    )
    return decoder


def _decoder_names(conv: cattrs.Converter) -> dict[str, Any]:
    """The globals every generated decoder starts from."""
    return {
        "str_dict": _str_dict,
        "structure_relationship": conv.get_structure_hook(Relationship),
        "fromisoformat": datetime.fromisoformat,
        "utc": timezone.utc,
        "parse_datetime": parse_datetime,
        "mapping_hook": conv.get_structure_hook(Mapping[str, Any]),
        "mapping_type": Mapping[str, Any],
        # A relationship's data the generated code leaves to the converter's hook.
        "BAD": object(),
    }


def _decoder_body(
    conv: cattrs.Converter, cls: type[Resource], names: dict[str, Any], *, owned: bool
) -> list[str] | None:
    """The lines that build a ``cls`` into the local ``o`` from the locals ``rid``,
    ``rtype``, ``a``, ``rels``, ``links`` and ``meta`` (see ``make_resource_decoder``);
    their globals go into ``names``. None where no decoder is made."""

    def mapping(var: str, hook: str = "mapping_hook", tp: str = "mapping_type") -> str:
        copy = f"str_dict({var}, {hook}, {tp})"
        return f"{var} if type({var}) is dict else {copy}" if owned else copy

    envelope = {f.name: f for f in attrs.fields(cls) if f.name in ENVELOPE_FIELDS}
    fields = () if cls is GenericResource else attribute_fields(cls)
    defaults = [f.default for f in (*envelope.values(), *fields) if f.name not in ("id", "type")]
    if any(d is attrs.NOTHING or isinstance(d, attrs.Factory) for d in defaults):  # type: ignore[arg-type]
        # Absent attributes are passed as their defaults: a required field or a factory
        # default would need the checked path's care.
        return None
    names["EMPTY_REL"] = envelope["relationships"].default
    names["EMPTY_LINKS"] = envelope["links"].default
    names["EMPTY_META"] = envelope["meta"].default
    names["EMPTY_EXTRA"] = envelope["extra"].default
    lines: list[str] = []
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
    lines += _relationships_lines(names, owned=owned)
    lines += [
        f"    links = EMPTY_LINKS if links is None else {mapping('links')}",
        f"    meta = EMPTY_META if meta is None else {mapping('meta')}",
    ]
    lines += construction_lines(cls, values, names)
    return lines


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
        kind, aux, tp = attribute_kind(conv, field)
        names[f"hook{i}"] = conv.get_structure_hook(tp)
        names[f"type{i}"] = tp
        names[f"default{i}"] = field.default
        v = f"f{i}"
        if kind is Kind.EXACT:
            # What cattrs does for these (``str(v)``), skipped when v already is one.
            convert = [f"if type({v}) is not type{i}:", f"    {v} = type{i}({v})"]
        elif kind is Kind.DATETIME:
            # ``parse_datetime`` inline for RFC 3339 text on Python 3.11+; itself otherwise.
            convert = [
                "try:",
                f"    t = fromisoformat({v})",
                "except (TypeError, ValueError):",
                f"    {v} = parse_datetime({v})",
                "else:",
                f"    {v} = t if t.tzinfo is not None else t.replace(tzinfo=utc)",
            ]
        elif kind is Kind.ENUM:
            names[f"members{i}"] = aux
            # A subscript, not get(): no call for a known value (a quarter of the cost).
            convert = [
                "try:",
                f"    {v} = members{i}[{v}]",
                "except KeyError:",
                f"    {v} = type{i}({v})",
            ]
        elif kind is Kind.MAPPING:
            convert = [f"{v} = {mapping(v, f'hook{i}', f'type{i}')}"]
        else:
            convert = [f"{v} = hook{i}({v}, type{i})"]
        lines.append(f"    if {v} is not None:")
        lines += [f"        {line}" for line in convert]
        if field.default is not None:
            # A null attribute, like an absent one, leaves the field at its default.
            lines += ["    else:", f"        {v} = default{i}"]
    return lines


class Kind(enum.IntEnum):
    """How an attribute's value becomes its field's value on the fast path; the numbers
    are the C decoder's (``_decode.c``, ``K_*``)."""

    #: Kept when its type is exactly the field's (``str``, ``int``, ``bool``); else ``tp(v)``.
    EXACT = 0
    #: A member of the field's ``OpenEnum``, looked up by value (``aux``: value -> member).
    ENUM = 1
    #: RFC 3339 text to an aware ``datetime``.
    DATETIME = 2
    #: A ``Mapping[str, Any]``: a dict just parsed is kept; else a copy.
    MAPPING = 3
    #: Anything else: the converter's hook for the type (``aux``), ``aux(v, tp)``.
    HOOK = 4


def attribute_kind(conv: cattrs.Converter, field: attrs.Attribute[Any]) -> tuple[Kind, Any, Any]:
    """``(kind, aux, tp)`` for an attribute field: how the fast path converts its value
    (see ``Kind``), what that needs, and the field's type without ``| None``."""
    # Every model's annotations are resolved when recrubo_async.models is imported.
    tp = _non_optional(field.type)
    if tp in (str, int, bool):
        return Kind.EXACT, tp, tp
    if tp is datetime:
        return Kind.DATETIME, None, tp
    if isinstance(tp, type) and issubclass(tp, OpenEnum):
        return Kind.ENUM, enum_members_by_value(tp), tp
    if tp == Mapping[str, Any]:
        return Kind.MAPPING, None, tp
    return Kind.HOOK, conv.get_structure_hook(tp), tp


def _relationships_lines(names: dict[str, Any], *, owned: bool) -> list[str]:
    """The decoder's lines that structure ``rels`` with the converter's relationship hook.

    A caller's object: every relationship through the hook, its dicts copied. A just-parsed
    one (``owned``): its dicts kept, and the usual shapes built here without a call, as the
    hook builds them: links and meta objects (or nothing), and no ``data`` member, or
    ``data`` null, one ``{"type", "id"}`` of strings, or a list of them. Anything else (a
    numeric id, links that are not an object, ...) goes through the hook.
    """
    if not owned:
        return [
            "    if rels is None:",
            "        rels = EMPTY_REL",
            "    else:",
            "        rels = {k if type(k) is str else str(k): structure_relationship(r, None)"
            " for k, r in rels.items()}",
        ]
    names["EMPTY"] = EMPTY
    rel = {"data": "d", "links": "l", "meta": "m", "loaded": "loaded"}
    links_only = {"data": "None", "links": "l", "meta": "EMPTY", "loaded": "False"}
    ident = {"type": "t", "id": "i"}
    pad = " " * 20
    return [
        "    if rels is None:",
        "        rels = EMPTY_REL",
        "    else:",
        "        out = {}",
        "        for k, r in rels.items():",
        "            if type(r) is dict:",
        "                l = r.get('links')",
        # The most frequent shape first: links only (``{"links": {"related": ...}}``).
        "                if len(r) == 1 and type(l) is dict and l:",
        *construction_lines(Relationship, links_only, names, var="x", prefix="rel_", indent=pad),
        "                    out[k] = x",
        "                    continue",
        "                m = r.get('meta')",
        "                if (not l or type(l) is dict) and (not m or type(m) is dict):",
        "                    if not l:",
        "                        l = EMPTY",
        "                    if not m:",
        "                        m = EMPTY",
        "                    loaded = 'data' in r",
        "                    d = r['data'] if loaded else None",
        "                    if type(d) is dict:",
        "                        t = d.get('type')",
        "                        i = d.get('id')",
        "                        if type(t) is str and type(i) is str:",
        *construction_lines(
            ResourceIdentifier, ident, names, var="d", prefix="id_", indent=pad + " " * 8
        ),
        "                        else:",
        "                            d = BAD",
        "                    elif type(d) is list:",
        "                        ids = []",
        "                        for e in d:",
        "                            if type(e) is not dict:",
        "                                break",
        "                            t = e.get('type')",
        "                            i = e.get('id')",
        "                            if type(t) is not str or type(i) is not str:",
        "                                break",
        *construction_lines(
            ResourceIdentifier, ident, names, var="e", prefix="id_", indent=pad + " " * 8
        ),
        "                            ids.append(e)",
        "                        else:",
        "                            d = tuple(ids)",
        "                        if type(d) is list:",
        "                            d = BAD",
        "                    elif d is not None:",
        "                        d = BAD",
        "                    if d is not BAD:",
        *construction_lines(Relationship, rel, names, var="x", prefix="rel_", indent=pad + "    "),
        "                        out[k] = x",
        "                        continue",
        "            out[k] = structure_relationship(r, None, True)",
        "        rels = out",
    ]


#: Sets one model's relationship fields from ``get``, the identity map's lookup:
#: ``link(model, get)`` (see ``_compound.link``).
Linker = Callable[[Resource, Callable[[tuple[str, str], Any], Any]], None]


def make_linker(cls: type[Resource]) -> Linker | None:
    """What ``_compound.link`` does to one ``cls`` model, generated for its relationships.

    Each relationship field is looked up by its wire name (rather than each relationship
    sent being looked up among the fields), resolved inline and stored by its slot's
    descriptor. None for a model without relationship fields: nothing to link.
    """
    specs = relationship_specs(cls)
    if not specs:
        return None
    names: dict[str, Any] = {}
    lines = ["def link(o, get):", "    rels = o.relationships"]
    for j, spec in enumerate(specs.values()):
        names[f"set{j}"] = field_setter(cls, spec.name)
        if spec.many:
            # A to-many relationship sent as one object is a tuple of one.
            empty, listed = "()", "tuple([get((x.type, x.id), x) for x in d])"
            single = "(get((d.type, d.id), d),)"
        else:
            # A to-one relationship sent as a list keeps its first member.
            empty, listed = "None", "get((d[0].type, d[0].id), d[0]) if d else None"
            single = "get((d.type, d.id), d)"
        lines += [
            f"    r = rels.get({spec.wire!r})",
            "    if r is not None and r.loaded:",
            "        d = r.data",
            "        if d is None:",
            f"            set{j}(o, {empty})",
            "        elif type(d) is tuple:",
            f"            set{j}(o, {listed})",
            "        else:",
            f"            set{j}(o, {single})",
        ]
    code = compile("\n".join(lines), f"<recrubo_async linker for {cls.__name__}>", "exec")
    exec(code, names)
    linker: Linker = names["link"]
    return linker


class Linkers(dict[type[Resource], Linker | None]):
    """Each model class's generated linker (or None), made on first use."""

    def __missing__(self, cls: type[Resource]) -> Linker | None:
        linker = self[cls] = make_linker(cls)
        return linker


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
