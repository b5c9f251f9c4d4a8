"""The C data decoder (``recrubo_async._decode``) held to the generated Python decoder.

``DataDecoder(doc)`` may answer only what ``make_data_decoder(..., compiled=False)``
answers for the same document: the same model, field for field, with the same value types
and the same objects kept from the document, for the usual single-resource document, which
it must decode itself (every model's realistic document and each usual variant of it);
for every other document, its fallback's answer, whatever that is. Held here over seeded
mutations of every model's document and hypothesis' documents of every shape (each answer
checked against the generated decoder, and the document left as it was), RFC 3339 text,
errors from ``link_one``, the fallback and converter hooks, bad constructor specs, the
constants it shares with ``_fastdecode.py``, leaks and garbage collection, and the codec's
use of it.
"""

from __future__ import annotations

import copy
import gc
import os
import random
import re
import subprocess
import sys
import textwrap
import tracemalloc
import types
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, cast

import attrs
import cattrs
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recrubo_async import _fastdecode
from recrubo_async._converter import make_converter
from recrubo_async._datetimes import parse_datetime
from recrubo_async._fastdecode import (
    Kind,
    attribute_kind,
    compiled_data_decoder,
    make_data_decoder,
)
from recrubo_async._jsonapi import Codec
from recrubo_async.models import FlowGeneration, Resource, ResourceIdentifier
from recrubo_async.models import _base as models_base
from recrubo_async.models._base import (
    EMPTY,
    attribute_fields,
    registered_types,
    wire_name_of,
)
from recrubo_async.models.flow_generation import FlowGenerationStatus

from ..support.codec_paths import FAST
from ..support.extensions import require_decoder
from .test_decode_data import ASIDE, GOOD, same_model
from .test_decode_fast_path import assert_same, resource_object, resource_objects

require_decoder(module=True)

from recrubo_async import _decode  # noqa: E402  (once it is known to be built)

Decoder = Callable[[Any], Any]

#: What a recording fallback answers: never a decoder's own answer.
SENTINEL: Any = object()

MODELS: list[type[Resource]] = [registered_types()[name] for name in sorted(registered_types())]


class Recorder:
    """A fallback that records each document it is given and answers ``SENTINEL``."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def __call__(self, doc: Any) -> Any:
        self.calls.append(doc)
        return SENTINEL


class Links:
    """A ``link_one`` that records each model and links it as the codec does."""

    def __init__(self) -> None:
        self.calls: list[Resource] = []

    def __call__(self, model: Resource) -> None:
        self.calls.append(model)
        FAST._link_one(model)


def python_decoder(
    cls: type[Resource],
    *,
    conv: cattrs.Converter = FAST.converter,
    link_one: Callable[[Resource], None] = FAST._link_one,
) -> Decoder:
    """The generated Python decoder alone: the reference."""
    decoder = make_data_decoder(conv, cls, link_one, compiled=False)
    assert isinstance(decoder, types.FunctionType)
    return decoder


def c_decoder(
    cls: type[Resource],
    fallback: Decoder,
    *,
    conv: cattrs.Converter = FAST.converter,
    link_one: Callable[[Resource], None] = FAST._link_one,
) -> Decoder:
    decoder = compiled_data_decoder(conv, cls, link_one, fallback)
    assert type(decoder) is _decode.DataDecoder
    return decoder


def parsed(obj: Any) -> Any:
    """``obj`` as orjson parses it, as the codec's decoders get it."""
    return orjson.loads(orjson.dumps(obj))


def realistic(cls: type[Resource]) -> dict[str, Any]:
    """A document as the API sends it: relationships with data, an unknown attribute."""
    doc: dict[str, Any] = parsed(
        {"data": resource_object(cls), "links": {"self": "/x"}, "meta": {}}
    )
    return doc


# ---------------------------------------------------------------- comparing answers


@attrs.frozen
class Raised:
    """An exception as an answer: its type and message."""

    type: type[BaseException]
    message: str


def answer(decoder: Decoder, doc: Any) -> Any:
    try:
        return decoder(doc)
    except Exception as exc:
        return Raised(type(exc), str(exc))


def snapshot(value: Any) -> Any:
    """``value`` with the type of everything in it, keys and their order included."""
    if isinstance(value, dict):
        return type(value), [(snapshot(k), snapshot(v)) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return type(value), [snapshot(v) for v in value]
    return type(value), value


def document_index(doc: Any) -> dict[int, str]:
    """Where each object of ``doc`` is in it, by ``id``."""
    where: dict[int, str] = {}

    def index(value: Any, path: str) -> None:
        where.setdefault(id(value), path)
        if isinstance(value, dict):
            for k, v in value.items():
                index(k, f"{path}<key {k!r}>")
                index(v, f"{path}[{k!r}]")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                index(v, f"{path}[{i}]")

    index(doc, "$")
    return where


def provenance(model: Any, where: dict[int, str]) -> list[tuple[str, str]]:
    """Where each object in ``model`` comes from: which object of the document it is
    (``where``: ``document_index``), the ``EMPTY`` mapping, an object met earlier in the
    model, or a new one of its type. Two decoders that keep, copy and share alike give
    the same list."""
    seen: dict[int, str] = {}
    found: list[tuple[str, str]] = []

    def visit(value: Any, path: str) -> None:
        if id(value) in where:
            found.append((path, f"the document's {where[id(value)]}"))
            return
        if value is EMPTY:
            found.append((path, "EMPTY"))
            return
        if id(value) in seen:
            found.append((path, f"the model's {seen[id(value)]}"))
            return
        seen[id(value)] = path
        found.append((path, f"a new {type(value).__qualname__}"))
        if attrs.has(type(value)):
            for f in attrs.fields(type(value)):
                visit(getattr(value, f.name), f"{path}.{f.name}")
        elif isinstance(value, dict):
            for k, v in value.items():
                visit(v, f"{path}[{k!r}]")
        elif isinstance(value, tuple):
            for i, v in enumerate(value):
                visit(v, f"{path}[{i}]")

    visit(model, "model")
    return found


def assert_same_answer(
    got: Any, expected: Any, doc: Any, where: dict[int, str] | None = None
) -> None:
    """The same answer: the same exception, None, or the same model built alike."""
    if not isinstance(expected, Resource):
        assert got == expected
        return
    assert isinstance(got, Resource), got
    assert_same(got, expected)
    if where is None:
        where = document_index(doc)
    assert provenance(got, where) == provenance(expected, where)


class Reference:
    """One model's decoders: the generated one, and the C one in front of it and of a
    ``Recorder``."""

    def __init__(self, cls: type[Resource]) -> None:
        self.cls = cls
        self.python = python_decoder(cls)
        self.through = c_decoder(cls, self.python)
        self.fallback = Recorder()
        self.alone = c_decoder(cls, self.fallback)


REFERENCES = {cls: Reference(cls) for cls in MODELS}


def check(cls: type[Resource], doc: Any) -> tuple[Any, bool]:
    """The generated decoder's answer for ``doc``, and whether the C decoder took it
    itself; asserts that the C decoder gives that answer in front of the generated
    decoder, and that answer or its fallback's in front of a recorder, and that no
    decoder changed the document."""
    ref = REFERENCES[cls]
    sent = snapshot(doc)
    where = document_index(doc)
    expected = answer(ref.python, doc)
    through = answer(ref.through, doc)
    ref.fallback.calls.clear()
    alone = answer(ref.alone, doc)
    assert snapshot(doc) == sent, "a decoder changed the document"
    assert_same_answer(through, expected, doc, where)
    if alone is SENTINEL:
        assert len(ref.fallback.calls) == 1 and ref.fallback.calls[0] is doc
        return expected, False
    assert not ref.fallback.calls
    assert isinstance(expected, Resource | Raised), (
        f"C decoded what the generated code has {expected!r} for"
    )
    assert_same_answer(alone, expected, doc, where)
    return expected, True


# ---------------------------------------------------------------- the constants


def test_the_constants_are_those_of_fastdecode() -> None:
    for kind in Kind:
        assert getattr(_decode, f"K_{kind.name}") == kind.value, kind
    assert [k for k in vars(_decode) if k.startswith("K_")] == [f"K_{k.name}" for k in Kind]
    sources = _fastdecode._C_SOURCES
    assert sources.index("id") == _decode.SRC_ID
    assert sources.index("type") == _decode.SRC_TYPE
    assert sources.index("relationships") == _decode.SRC_RELS
    assert sources.index("links") == _decode.SRC_LINKS
    assert sources.index("meta") == _decode.SRC_META
    assert sources.index("extra") == _decode.SRC_EXTRA
    assert len(sources) == _decode.SRC_ATTRS
    assert len([k for k in vars(_decode) if k.startswith("SRC_")]) == len(sources) + 1


def test_the_extension_is_what_fastdecode_uses() -> None:
    assert _fastdecode._CDataDecoder is _decode.DataDecoder
    assert _fastdecode.COMPILED_DECODE is True


# ---------------------------------------------------------------- every model, usual shapes


def usual_variants(cls: type[Resource]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Documents of ``cls`` of the usual shape, each differing from the realistic one
    in one way: the C decoder must decode every one itself."""

    def variant(change: Callable[[dict[str, Any], dict[str, Any]], object]) -> dict[str, Any]:
        doc = realistic(cls)
        change(doc, doc["data"])
        return doc

    yield "as sent", realistic(cls)
    yield "no unknown attribute", variant(lambda d, r: r["attributes"].pop("someNewAttribute"))
    yield (
        "unknown attributes",
        variant(
            lambda d, r: r["attributes"].update({"zz": [1, {"a": None}], "nothing": None, "": ""})
        ),
    )
    yield (
        "null attributes",
        variant(lambda d, r: r["attributes"].update({w: None for w in wires(cls)})),
    )
    yield "no top-level links or meta", variant(lambda d, r: [d.pop("links"), d.pop("meta")])
    yield "null top-level links and meta", variant(lambda d, r: d.update(links=None, meta=None))
    yield "top-level members besides", variant(lambda d, r: d.update(jsonapi={"version": "1.1"}))
    yield (
        "no links, meta or relationships",
        variant(lambda d, r: [r.pop("links"), r.pop("meta"), r.pop("relationships")]),
    )
    yield (
        "null links, meta and relationships",
        variant(lambda d, r: r.update(links=None, meta=None, relationships=None)),
    )
    yield (
        "empty links, meta and relationships",
        variant(lambda d, r: r.update(links={}, meta={}, relationships={})),
    )
    yield "members besides", variant(lambda d, r: r.update(lid="l1", extraMember=[1]))
    yield "a non-ASCII id", variant(lambda d, r: r.update(id="ǅ-\U0001f600-é"))
    yield "an empty id", variant(lambda d, r: r.update(id=""))
    for name, rel in RELATIONSHIP_SHAPES.items():
        yield f"relationship: {name}", variant(with_relationships(flow=rel, owner=rel))
    yield (
        "every relationship shape",
        variant(with_relationships(*RELATIONSHIP_SHAPES.values())),
    )


def with_relationships(
    *listed: Any, **named: Any
) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    """A change to a document: these relationships (copies), keyed by name or position
    (``"r0"``, ``"r1"``, ...)."""

    def change(doc: dict[str, Any], resource: dict[str, Any]) -> None:
        rels: dict[Any, Any] = {**{f"r{i}": rel for i, rel in enumerate(listed)}, **named}
        resource["relationships"] = copy.deepcopy(rels)

    return change


#: Every shape of relationship the C decoder takes.
RELATIONSHIP_SHAPES: dict[str, dict[str, Any]] = {
    "links only": {"links": {"related": "/flows/f1"}},
    "links and meta": {"links": {"related": "/x"}, "meta": {"n": 1}},
    "links and a member besides": {"links": {"related": "/x"}, "other": 1},
    "one identifier": {"data": {"type": "flows", "id": "f1"}},
    "one identifier, links and meta": {
        "data": {"type": "flows", "id": "f1"},
        "links": {"self": "/r"},
        "meta": {"m": [1]},
    },
    "an identifier with members besides": {
        "data": {"type": "flows", "id": "f1", "meta": {"x": 1}, "lid": "z"}
    },
    "a list of identifiers": {"data": [{"type": "nodes", "id": "n1"}, {"type": "x", "id": ""}]},
    "an empty list": {"data": []},
    "null data": {"data": None},
    "null data and links": {"data": None, "links": {"self": "/r"}},
    "empty": {},
    "empty links": {"links": {}},
    "empty links and meta, with data": {"links": {}, "meta": {}, "data": {"type": "a", "id": "b"}},
    "null links and meta": {"links": None, "meta": None},
    "meta only": {"meta": {"n": 1}},
    "data, links and a member besides": {
        "links": {"a": "b"},
        "data": {"type": "a", "id": "b"},
        "extra": 1,
    },
}


def wires(cls: type[Resource]) -> list[str]:
    return [wire_name_of(f) for f in attribute_fields(cls)]


@pytest.mark.parametrize("cls", MODELS, ids=[cls.TYPE for cls in MODELS])
def test_every_models_usual_documents_are_decoded_in_c_as_the_generated_code_does(
    cls: type[Resource],
) -> None:
    python_links, c_links = Links(), Links()
    python = python_decoder(cls, link_one=python_links)
    fallback = Recorder()
    decoder = c_decoder(cls, fallback, link_one=c_links)
    assert decoder.fallback is fallback  # type: ignore[attr-defined]
    for name, doc in usual_variants(cls):
        sent = snapshot(doc)
        expected = python(doc)
        assert isinstance(expected, cls), name
        model = decoder(doc)
        assert not fallback.calls, f"{name}: left to the fallback"
        assert snapshot(doc) == sent, name
        assert isinstance(model, cls), name
        assert_same_answer(model, expected, doc)
        # Linked as the generated code links: once, when a relationship carries data.
        assert len(c_links.calls) == len(python_links.calls) <= 1, name
        assert [m is model for m in c_links.calls] == [True] * len(c_links.calls), name
        loaded = any(r.loaded for r in model.relationships.values())
        assert len(c_links.calls) == loaded, name
        python_links.calls.clear()
        c_links.calls.clear()


def test_the_realistic_document_decodes_to_what_it_says() -> None:
    """A spot check of the reference itself, on one model."""
    doc = realistic(FlowGeneration)
    model = REFERENCES[FlowGeneration].alone(doc)
    assert isinstance(model, FlowGeneration)
    assert model.id == "r1" and model.extra == {"someNewAttribute": {"kept": 1}}
    assert model.parameters is doc["data"]["attributes"]["parameters"]
    assert model.links is doc["data"]["links"]
    owner = model.relationships["owner"]
    assert owner.data == ResourceIdentifier(type="users", id="u1") and owner.loaded
    assert owner.meta is doc["data"]["relationships"]["owner"]["meta"]
    assert owner.links is EMPTY
    other = model.relationships["other"]
    assert other.data is None and not other.loaded and other.meta is EMPTY
    items = model.relationships["items"].data
    assert type(items) is tuple and items == (ResourceIdentifier(type="nodes", id="n1"),)
    assert model.created_at is not None and model.created_at.tzinfo is not None


def big_model(count: int, **field: Any) -> type[Resource]:
    """A model with ``count`` optional str attributes (not registered)."""
    fields = {f"a{i}": attrs.field(default=None, type=str, **field) for i in range(count)}
    cls: type[Resource] = attrs.make_class(
        f"Big{count}", fields, bases=(Resource,), slots=True, frozen=True, kw_only=True
    )
    cls.TYPE = f"bigs{count}"
    return cls


def test_where_there_is_no_c_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every registered model has one; a model its slots cannot build (a validator), one
    with more attributes than the C decoder holds, and a build without the extension have
    none, and ``make_data_decoder`` then gives the generated function."""
    for cls in MODELS:
        assert type(make_data_decoder(FAST.converter, cls, FAST._link_one)) is (_decode.DataDecoder)
    validated = big_model(2, validator=attrs.validators.optional(attrs.validators.instance_of(str)))
    too_many = big_model(_fastdecode._C_MAX_ATTRIBUTES + 1)
    for cls in (validated, too_many):
        monkeypatch.setitem(models_base._REGISTRY, cls.TYPE, cls)
        assert compiled_data_decoder(FAST.converter, cls, FAST._link_one, Recorder()) is None
        decoder = make_data_decoder(FAST.converter, cls, FAST._link_one, compiled=True)
        assert isinstance(decoder, types.FunctionType)
        doc = {"data": {"type": cls.TYPE, "id": "b", "attributes": {"a0": "x", "a1": None}}}
        model = decoder(doc)
        assert isinstance(model, cls) and model.a0 == "x"  # type: ignore[attr-defined]
    monkeypatch.setattr(_fastdecode, "_CDataDecoder", None)
    assert compiled_data_decoder(FAST.converter, FlowGeneration, FAST._link_one, Recorder()) is None
    plain = make_data_decoder(FAST.converter, FlowGeneration, FAST._link_one, compiled=True)
    assert isinstance(plain, types.FunctionType)


def test_the_most_attributes_decode_in_c(monkeypatch: pytest.MonkeyPatch) -> None:
    cls = big_model(_fastdecode._C_MAX_ATTRIBUTES)
    monkeypatch.setitem(models_base._REGISTRY, cls.TYPE, cls)
    python = python_decoder(cls)
    fallback = Recorder()
    decoder = c_decoder(cls, fallback)
    attributes = {f"a{i}": (f"v{i}" if i % 3 else None) for i in range(len(attribute_fields(cls)))}
    for extra in ({}, {"zz": 1}):
        doc = parsed({"data": {"type": cls.TYPE, "id": "b", "attributes": {**attributes, **extra}}})
        model = decoder(doc)
        assert not fallback.calls
        assert_same_answer(model, python(doc), doc)
    doc["data"]["attributes"].pop("a95")
    assert decoder(doc) is SENTINEL


def test_attributes_with_defaults_besides_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SDK model has one yet: a null attribute takes its field's default, of each kind,
    in C as in the generated code."""
    defaults: dict[str, tuple[Any, Any]] = {
        "name": (str, "unnamed"),
        "count": (int, 0),
        "flag": (bool, True),
        "status": (FlowGenerationStatus, FlowGenerationStatus.QUEUED),
        "parameters": (Mapping[str, Any], EMPTY),
        "when": (datetime, datetime(2020, 1, 2, tzinfo=timezone.utc)),
        "names": (Sequence[str], ("a",)),
    }
    fields = {
        name: attrs.field(default=default, type=tp) for name, (tp, default) in defaults.items()
    }
    cls: type[Resource] = attrs.make_class(
        "Defaulted", fields, bases=(Resource,), slots=True, frozen=True, kw_only=True
    )
    cls.TYPE = "defaulted"
    monkeypatch.setitem(models_base._REGISTRY, cls.TYPE, cls)
    assert [attribute_kind(FAST.converter, f)[0] for f in attribute_fields(cls)] == [
        Kind.EXACT,
        Kind.EXACT,
        Kind.EXACT,
        Kind.ENUM,
        Kind.MAPPING,
        Kind.DATETIME,
        Kind.HOOK,
    ]
    python = python_decoder(cls)
    fallback = Recorder()
    decoder = c_decoder(cls, fallback)
    sent = {
        "name": "n",
        "count": 3,
        "flag": False,
        "status": "finished",
        "parameters": {"a": 1},
        "when": "2026-01-02T03:04:05Z",
        "names": ["b"],
    }
    for nulls in ([], list(sent), ["name", "flag"], ["when", "names", "status"]):
        doc = parsed({"data": {"type": cls.TYPE, "id": "d", "attributes": sent}})
        doc["data"]["attributes"].update(dict.fromkeys(nulls))
        model = decoder(doc)
        assert not fallback.calls, nulls
        assert_same_answer(model, python(doc), doc)
        for name in nulls:
            assert getattr(model, name) is defaults[name][1], name


# ---------------------------------------------------------------- documents the C decoder leaves


class D(dict[Any, Any]):
    """A dict that is not exactly a dict."""


class L(list[Any]):
    """A list that is not exactly a list."""


class S(str):
    """A str that is not exactly a str."""


def enum_values() -> list[Any]:
    """Every value of every enum of the models, and one no enum has."""
    found: set[Any] = set()
    for cls in MODELS:
        for f in attribute_fields(cls):
            kind, aux, _ = attribute_kind(FAST.converter, f)
            if kind is Kind.ENUM:
                found.update(aux)
    return sorted(found)


#: Values an attribute may be given: the wrong type for most fields, and the right one
#: for some (with ``VALUES``: every enum's values besides).
ANY_VALUES: list[Any] = [
    None,
    0,
    1,
    -7,
    2**64,
    True,
    False,
    2.5,
    0.0,
    "",
    "x",
    "3",
    S("queued"),
    S("x"),
    [],
    ["a", 1],
    L(["a"]),
    {},
    {"k": [1]},
    D(k=1),
    {1: "non-str key"},
    "2026-01-01",
    "2026-01-01T00:00:00",
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00+02:00",
    "2026-01-01T00:00:00.123456789Z",
    " 2026-01-01T00:00:00Z ",
    "2026-01-01T00:00:00z",
    "2026-13-01T00:00:00Z",
    S("2026-01-01T00:00:00Z"),
    datetime(2026, 1, 1),
    "not_a_known_value",
]
VALUES = [*ANY_VALUES, *enum_values()]

#: Relationship objects, the usual and the unusual.
RELATIONSHIPS: list[Any] = [
    *RELATIONSHIP_SHAPES.values(),
    None,
    1,
    "x",
    [],
    [{"links": {}}],
    D(links={"a": "b"}),
    {"data": 1},
    {"data": "flows"},
    {"data": True},
    {"data": {"type": "flows", "id": 7}},
    {"data": {"type": "flows"}},
    {"data": {"id": "f1"}},
    {"data": {"type": S("flows"), "id": "f1"}},
    {"data": {"type": "flows", "id": S("f1")}},
    {"data": D(type="flows", id="f1")},
    {"data": [{"type": "nodes", "id": "n1"}, 1]},
    {"data": [{"type": "nodes", "id": "n1"}, {"type": "nodes", "id": None}]},
    {"data": [D(type="nodes", id="n1")]},
    {"data": L([{"type": "nodes", "id": "n1"}])},
    {"links": "x"},
    {"links": ["x"]},
    {"links": 0},
    {"links": ""},
    {"links": False},
    {"links": D(a="b")},
    {"links": {"a": "b"}, "meta": 0},
    {"links": {"a": "b"}, "meta": ""},
    {"links": {"a": "b"}, "meta": []},
    {"links": {"a": "b"}, "meta": "x"},
    {"links": {"a": "b"}, "meta": D(n=1)},
    {"meta": 0, "data": None},
]

#: Members a document or its resource object may have, or be.
MEMBERS: list[Any] = [None, {}, {"a": 1}, D(a=1), [], [1], "x", "", 0, 1, True]


def mutations(cls: type[Resource]) -> list[Callable[[dict[str, Any], random.Random], None]]:
    """Changes to a realistic document of ``cls``: each ``change(doc, rng)``."""
    names = wires(cls)
    other_types = [c.TYPE for c in MODELS if c is not cls]

    def data(doc: dict[str, Any]) -> Any:
        return doc.get("data")

    def resource(doc: dict[str, Any]) -> dict[str, Any] | None:
        found = data(doc)
        return found if isinstance(found, dict) else None

    def attributes(doc: dict[str, Any]) -> dict[Any, Any] | None:
        found = (resource(doc) or {}).get("attributes")
        return found if isinstance(found, dict) else None

    def set_attribute(doc: dict[str, Any], rng: random.Random) -> None:
        a = attributes(doc)
        if a is not None and names:
            a[rng.choice(names)] = copy.deepcopy(rng.choice(VALUES))

    def drop_attribute(doc: dict[str, Any], rng: random.Random) -> None:
        a = attributes(doc)
        if a:
            del a[rng.choice(list(a))]

    def add_attribute(doc: dict[str, Any], rng: random.Random) -> None:
        a = attributes(doc)
        if a is not None:
            key = rng.choice(
                ["zz", "", "id", "type", 1, (1, 2), S("zz"), S(rng.choice(names or ["q"]))]
            )
            a[key] = copy.deepcopy(rng.choice(VALUES))

    def reorder_attributes(doc: dict[str, Any], rng: random.Random) -> None:
        a = attributes(doc)
        if a is not None:
            items = list(a.items())
            rng.shuffle(items)
            a.clear()
            a.update(items)

    def retype_attributes(doc: dict[str, Any], rng: random.Random) -> None:
        r = resource(doc)
        if r is not None:
            a = r.get("attributes")
            options = [D(a) if isinstance(a, dict) else D(), [a], None, "x", 1]
            r["attributes"] = copy.deepcopy(rng.choice(options))

    def set_relationship(doc: dict[str, Any], rng: random.Random) -> None:
        r = resource(doc)
        if r is not None:
            rels = r.get("relationships")
            if not isinstance(rels, dict):
                rels = r["relationships"] = {}
            key = rng.choice([*rels, "flow", "owner", 1, S("flow")])
            rels[key] = copy.deepcopy(rng.choice(RELATIONSHIPS))

    def retype_relationships(doc: dict[str, Any], rng: random.Random) -> None:
        r = resource(doc)
        if r is not None:
            rels = r.get("relationships")
            r["relationships"] = copy.deepcopy(
                rng.choice([D(rels) if isinstance(rels, dict) else D(), *MEMBERS])
            )

    def set_resource_member(doc: dict[str, Any], rng: random.Random) -> None:
        r = resource(doc)
        if r is not None:
            r[rng.choice(["links", "meta", "lid"])] = copy.deepcopy(rng.choice(MEMBERS))

    def set_type(doc: dict[str, Any], rng: random.Random) -> None:
        r = resource(doc)
        if r is not None:
            r["type"] = rng.choice([*other_types[:3], S(cls.TYPE), cls.TYPE.upper(), 1, None, ""])

    def set_id(doc: dict[str, Any], rng: random.Random) -> None:
        r = resource(doc)
        if r is not None:
            r["id"] = rng.choice([7, 7.5, None, S("r1"), ["r1"], True])

    def drop_member(doc: dict[str, Any], rng: random.Random) -> None:
        r = resource(doc)
        if r:
            del r[rng.choice(list(r))]

    def set_top_member(doc: dict[str, Any], rng: random.Random) -> None:
        doc[rng.choice(["links", "meta", "included", "jsonapi"])] = copy.deepcopy(
            rng.choice(MEMBERS)
        )

    def drop_top_member(doc: dict[str, Any], rng: random.Random) -> None:
        if doc:
            del doc[rng.choice(list(doc))]

    def retype_data(doc: dict[str, Any], rng: random.Random) -> None:
        found = data(doc)
        doc["data"] = rng.choice([[found], D(found) if isinstance(found, dict) else D(), "x", 1])

    def subclass_one(doc: dict[str, Any], rng: random.Random, exact: type, sub: type) -> None:
        """One ``exact`` value anywhere below the document becomes a ``sub`` of it."""
        found: list[tuple[Any, Any]] = []

        def walk(value: Any) -> None:
            members = value.items() if isinstance(value, dict) else enumerate(value)
            for k, v in members:
                if type(v) is exact:
                    found.append((value, k))
                if isinstance(v, (dict, list)):
                    walk(v)

        walk(doc)
        if found:
            parent, key = rng.choice(found)
            parent[key] = sub(parent[key])

    def subclass_a_dict(doc: dict[str, Any], rng: random.Random) -> None:
        """One dict anywhere in the document becomes a ``D`` (the document itself below)."""
        subclass_one(doc, rng, dict, D)

    def subclass_a_str(doc: dict[str, Any], rng: random.Random) -> None:
        subclass_one(doc, rng, str, S)

    return [
        set_attribute,
        set_attribute,
        set_attribute,
        drop_attribute,
        add_attribute,
        reorder_attributes,
        retype_attributes,
        set_relationship,
        set_relationship,
        retype_relationships,
        set_resource_member,
        set_type,
        set_id,
        drop_member,
        set_top_member,
        drop_top_member,
        retype_data,
        subclass_a_dict,
        subclass_a_str,
    ]


@pytest.mark.parametrize("cls", MODELS, ids=[cls.TYPE for cls in MODELS])
def test_seeded_mutations_get_the_generated_decoders_answer(cls: type[Resource]) -> None:
    """Thousands of changed documents: each answered as the generated decoder answers,
    and many of them (a changed attribute of the right kind, ...) still taken in C."""
    rng = random.Random(f"test_decode_c {cls.TYPE}")
    changes = mutations(cls)
    taken = left = 0
    for _ in range(250):
        doc = realistic(cls)
        for change in rng.sample(changes, rng.choice([1, 1, 1, 2, 3])):
            change(doc, rng)
        if rng.random() < 0.05:
            doc = D(doc)
        _, took = check(cls, doc)
        taken += took
        left += not took
    assert taken > 10 and left > 50, (taken, left)


@pytest.mark.parametrize("cls", MODELS, ids=[cls.TYPE for cls in MODELS])
def test_each_wrong_value_of_each_attribute_gets_the_generated_decoders_answer(
    cls: type[Resource],
) -> None:
    for field in attribute_fields(cls):
        wire = wire_name_of(field)
        kind, aux, _ = attribute_kind(FAST.converter, field)
        own = list(aux) if kind is Kind.ENUM else []
        for value in [*ANY_VALUES, *own, *(S(v) for v in own)]:
            doc = realistic(cls)
            doc["data"]["attributes"][wire] = copy.deepcopy(value)
            check(cls, doc)
        doc = realistic(cls)
        del doc["data"]["attributes"][wire]
        assert check(cls, doc)[1] is False, f"{wire} missing: the generated code decides"


@pytest.mark.parametrize("relationship", RELATIONSHIPS, ids=repr)
def test_each_relationship_gets_the_generated_decoders_answer(relationship: Any) -> None:
    for cls in (FlowGeneration, registered_types()["messageThreads"]):
        for key in ("flow", 1):
            doc = realistic(cls)
            doc["data"]["relationships"][key] = copy.deepcopy(relationship)
            expected, took = check(cls, doc)
            # A key JSON cannot have (not a str) is left to the generated code.
            usual = (
                key == "flow"
                and relationship in RELATIONSHIP_SHAPES.values()
                and _exact(relationship)
            )
            assert took is usual, (relationship, expected)


def _exact(value: Any) -> bool:
    """Whether every dict, list and str in ``value`` is exactly one."""
    if isinstance(value, dict):
        return type(value) is dict and all(_exact(k) and _exact(v) for k, v in value.items())
    if isinstance(value, list):
        return type(value) is list and all(_exact(v) for v in value)
    return not isinstance(value, str) or type(value) is str


@pytest.mark.parametrize(
    ("name", "doc"),
    [
        *((f"aside: {name}", orjson.loads(raw)) for name, raw in ASIDE.items() if raw != b"{nope"),
        ("not a dict", None),
        ("a list", [realistic(FlowGeneration)]),
        ("a dict subclass", D(realistic(FlowGeneration))),
        ("included null", {**realistic(FlowGeneration), "included": None}),
        ("included empty", {**realistic(FlowGeneration), "included": []}),
        ("no data", {"links": {}}),
        ("data null", {"data": None}),
        ("data a list", {"data": [realistic(FlowGeneration)["data"]]}),
        ("data a string", {"data": "flowGenerations"}),
        ("data a number", {"data": 1}),
        ("data a dict subclass", {"data": D(realistic(FlowGeneration)["data"])}),
        ("another type", {"data": {**realistic(FlowGeneration)["data"], "type": "flows"}}),
        ("a numeric id", {"data": {**realistic(FlowGeneration)["data"], "id": 7}}),
        ("no id", {"data": {"type": "flowGenerations", "attributes": {}}}),
        ("attributes a list", {"data": {**realistic(FlowGeneration)["data"], "attributes": [1]}}),
        ("attributes null", {"data": {**realistic(FlowGeneration)["data"], "attributes": None}}),
        ("attributes empty", {"data": {**realistic(FlowGeneration)["data"], "attributes": {}}}),
        ("top-level meta falsy", {**realistic(FlowGeneration), "meta": 0}),
        ("top-level links a string", {**realistic(FlowGeneration), "links": ""}),
        ("resource links empty list", {"data": {**realistic(FlowGeneration)["data"], "links": []}}),
        ("resource meta zero", {"data": {**realistic(FlowGeneration)["data"], "meta": 0}}),
        (
            "relationships a list",
            {"data": {**realistic(FlowGeneration)["data"], "relationships": []}},
        ),
        (
            "relationships empty string",
            {"data": {**realistic(FlowGeneration)["data"], "relationships": ""}},
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_other_documents_go_to_the_fallback(name: str, doc: Any) -> None:
    expected, took = check(FlowGeneration, doc)
    assert not took, name
    assert expected is None or isinstance(expected, Resource), name


def test_non_str_keys_in_a_hand_built_document() -> None:
    """Keys JSON cannot have: unknown attributes and relationships keyed by non-strs (left
    to the generated code), an attribute keyed by a str subclass."""
    for extra in ({1: "x"}, {(1,): "x"}, {S("zz"): 1}, {None: None}):
        doc = realistic(FlowGeneration)
        doc["data"]["attributes"].update(extra)
        assert check(FlowGeneration, doc)[1] is False, extra
    doc = realistic(FlowGeneration)
    a = doc["data"]["attributes"]
    a[S("status")] = a.pop("status")  # found by the str it equals
    check(FlowGeneration, doc)
    doc = realistic(FlowGeneration)
    doc["data"]["relationships"][7] = {"data": None}
    assert check(FlowGeneration, doc)[1] is False


def fresh_keys(value: Any) -> Any:
    """``value`` with every dict key a new str object of the same text."""
    if isinstance(value, dict):
        return {"".join(list(k)): fresh_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fresh_keys(v) for v in value]
    return value


def key_shapes() -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(name, document, whether the C decoder takes it): one document's keys as other
    objects, in other orders, at other entries, and more of them than a memo holds."""
    base = realistic(FlowGeneration)
    yield "orjson's keys", base, True
    yield "other key objects", fresh_keys(base), True
    doc = copy.deepcopy(base)
    doc["data"] = dict(reversed(list(fresh_keys(doc["data"]).items())))
    doc["data"]["attributes"] = dict(reversed(list(doc["data"]["attributes"].items())))
    yield "reversed orders", doc, True
    doc = copy.deepcopy(base)
    a = doc["data"]["attributes"]
    a["status"] = a.pop("status")  # a hole where it was
    a["zz"] = a.pop("flowType")
    a["flowType"] = "vacancy_application_flow"
    yield "holes, and an unknown key where a known one was", doc, True
    doc = copy.deepcopy(base)
    doc["data"]["attributes"].update({f"x{i}": i for i in range(120)})
    yield "more keys than a memo holds", doc, True
    doc = copy.deepcopy(base)
    doc["data"]["attributes"] = {"zz": 1, **doc["data"]["attributes"]}
    yield "every attribute one entry later", doc, True
    doc = copy.deepcopy(base)
    doc["data"]["attributes"].pop("cost")
    doc["data"]["attributes"]["coSt"] = 3
    yield "an attribute missing, a key of nearly its text", doc, False
    doc = copy.deepcopy(base)
    a = doc["data"]["attributes"]
    a[S("status")] = a.pop("status")
    # Read by lookups; the unknown attribute beside it then leaves it to the fallback.
    yield "a str subclass key", doc, False
    doc = copy.deepcopy(doc)
    doc["data"]["attributes"].pop("someNewAttribute")
    yield "a str subclass key, no unknown attribute", doc, True
    doc = copy.deepcopy(base)
    doc["data"]["relationships"] = {
        "a": {"data": {"id": "1", "type": "users"}},
        "b": {"meta": {"m": 1}, "links": {"self": "/b"}, "data": None},
        "c": {"links": {"self": "/c"}},
    }
    yield "relationships of other shapes and orders", doc, True
    yield "orjson's keys again", base, True


def test_one_decoder_reads_documents_whose_keys_change_between_calls() -> None:
    """Each object of a document is read in one pass that finds keys by the address where
    the last document had them (see ``members`` in _decode.c): whatever the next
    document's key objects, orders, holes and sizes, one decoder gives the generated
    decoder's answer for each, round after round."""
    shapes = list(key_shapes())
    fallback = Recorder()
    decoder = c_decoder(FlowGeneration, fallback)
    python = python_decoder(FlowGeneration)
    for _ in range(3):
        for name, doc, takes in shapes:
            fallback.calls.clear()
            got = decoder(doc)
            assert (not fallback.calls) is takes, name
            if takes:
                assert_same_answer(got, python(doc), doc)
            check(FlowGeneration, doc)


# ---------------------------------------------------------------- hypothesis


def exotic(value: Any, rng: random.Random) -> Any:
    """``value`` with some dicts, lists and strs (keys too) of subclasses."""
    if isinstance(value, dict):
        items = {exotic(k, rng): exotic(v, rng) for k, v in value.items()}
        return D(items) if rng.random() < 0.08 else items
    if isinstance(value, list):
        items_ = [exotic(v, rng) for v in value]
        return L(items_) if rng.random() < 0.05 else items_
    if type(value) is str and rng.random() < 0.04:
        return S(value)
    return value


def _timestamp(parts: tuple[int, int, int, int, int, int, str, str]) -> str:
    year, month, day, hour, minute, second, fraction, zone = parts
    return f"{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}{zone}"


#: Times as the API sends them, and as it might (no zone, seconds out of range, ...).
timestamps = st.tuples(
    st.integers(1, 9999),
    st.integers(1, 12),
    st.integers(1, 31),
    st.integers(0, 24),
    st.integers(0, 59),
    st.integers(0, 60),
    st.sampled_from(["", ".5", ".123", ".123456", ".1234567", ".123456789"]),
    st.sampled_from(["Z", "z", "+02:00", "-05:30", "+00:00", "+14:00", ""]),
).map(_timestamp)
attribute_values = st.sampled_from(VALUES) | timestamps
relationship_values = st.sampled_from(RELATIONSHIPS)


@st.composite
def documents(draw: st.DrawFn) -> tuple[type[Resource], Any]:
    """A model and a document starting from its realistic one: attributes replaced,
    dropped or added, relationships replaced, members replaced or dropped, some dicts,
    lists and strs made subclasses."""
    cls = draw(st.sampled_from(MODELS))
    doc = realistic(cls)
    resource = doc["data"]
    a = resource["attributes"]
    for wire in wires(cls):
        action = draw(st.sampled_from(["keep", "keep", "keep", "replace", "drop"]))
        if action == "replace":
            a[wire] = copy.deepcopy(draw(attribute_values))
        elif action == "drop":
            del a[wire]
    a.update(
        draw(st.dictionaries(st.sampled_from(["zz", "q", 1, ""]), attribute_values, max_size=2))
    )
    if draw(st.booleans()):
        resource["relationships"] = copy.deepcopy(
            draw(
                st.dictionaries(
                    st.sampled_from(["flow", "owner", "x"]), relationship_values, max_size=3
                )
            )
        )
    for holder, member in ((doc, "links"), (doc, "meta"), (resource, "links"), (resource, "meta")):
        action = draw(st.sampled_from(["keep", "keep", "keep", "replace", "drop"]))
        if action == "replace":
            holder[member] = copy.deepcopy(draw(st.sampled_from(MEMBERS)))
        elif action == "drop":
            del holder[member]
    if draw(st.integers(0, 9)) == 0:
        doc["included"] = []
    if draw(st.integers(0, 9)) == 0:
        resource["type"] = draw(st.sampled_from([c.TYPE for c in MODELS]))
    rng = draw(st.randoms(use_true_random=False))
    return cls, exotic(doc, rng) if draw(st.integers(0, 3)) == 0 else doc


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(documents())
def test_generated_documents_get_the_generated_decoders_answer(
    drawn: tuple[type[Resource], Any],
) -> None:
    cls, doc = drawn
    check(cls, doc)


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(
    resource_objects,
    st.dictionaries(st.sampled_from(["links", "meta", "included"]), st.sampled_from(MEMBERS)),
)
def test_the_fast_path_tests_resource_objects_get_the_generated_decoders_answer(
    obj: dict[str, Any], top: dict[str, Any]
) -> None:
    """The resource objects of test_decode_fast_path.py, as documents of FlowGeneration."""
    check(FlowGeneration, parsed({"data": obj, **top}))


# ---------------------------------------------------------------- date-times

#: RFC 3339 text and near misses: (text, whether the C decoder decodes it itself).
RFC3339_TIMES: list[str] = [
    "2026-01-02T03:04:05Z",
    "2026-01-02T03:04:05+02:00",
    "2026-01-02T03:04:05-05:30",
    "2026-01-02T03:04:05+00:00",
    "2026-01-02T23:59:59.999999+14:00",
    *(f"2026-01-02T03:04:05.{'123456789'[:n]}Z" for n in range(1, 10)),
    *(f"2026-01-02T03:04:05.{'987654321'[:n]}+02:00" for n in range(1, 10)),
]
TIMES: list[str] = [
    *RFC3339_TIMES,
    "2026-01-02T03:04:05z",
    " 2026-01-02T03:04:05Z ",
    "2026-01-02 03:04:05Z",
    "2026-01-02T03:04:05",
    "2026-01-02T03:04:05.5",
    "2026-01-02",
    "2026-01-01T00:00:00",
    "20260102T030405Z",
    "x",
    "",
    "2026-02-30T00:00:00Z",
    "2026-01-02T25:00:00Z",
]


#: Whether datetime.fromisoformat reads RFC 3339 ("Z" and any fraction): 3.11+.
READS_Z: bool = sys.version_info >= (3, 11)
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def c_takes_time(text: str) -> bool:
    """What the C decoder does with ``text``: fromisoformat's aware time, else
    parse_datetime's (any time: it makes naive text UTC); fromisoformat's naive time is
    left to the generated code."""
    try:
        parsed_time = datetime.fromisoformat(text)
    except ValueError:
        try:
            parse_datetime(text)
        except ValueError:
            return False
        return True
    return parsed_time.tzinfo is not None


@pytest.mark.parametrize("text", TIMES)
def test_timestamps_decode_in_c_as_the_generated_code_decodes_them(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []

    def counted(value: object, _: object = None) -> datetime:
        calls.append(value)
        return parse_datetime(value)

    monkeypatch.setattr(_fastdecode, "parse_datetime", counted)
    fallback = Recorder()
    decoder = c_decoder(FlowGeneration, fallback)
    python = python_decoder(FlowGeneration)
    doc = realistic(FlowGeneration)
    doc["data"]["attributes"]["createdAt"] = text
    expected = python(doc)
    calls.clear()
    model = decoder(doc)
    if c_takes_time(text):
        assert not fallback.calls, text
        assert_same_answer(model, expected, doc)
        assert isinstance(model, FlowGeneration) and model.created_at is not None
        assert model.created_at.tzinfo is not None
        assert model.created_at.utcoffset() == expected.created_at.utcoffset()
    else:
        assert model is SENTINEL and fallback.calls == [doc], text
    if READS_Z and RFC3339.fullmatch(text) and c_takes_time(text):
        # RFC 3339 text, "Z" or an offset: one fromisoformat call, no parse_datetime.
        assert calls == [], text
    check(FlowGeneration, doc)


@pytest.mark.skipif(not READS_Z, reason="3.10's fromisoformat reads no Z, and 3 or 6 digits")
def test_fractional_seconds_and_offsets_on_this_python() -> None:
    """On 3.11+ every length of fraction, with "Z" or an offset, is taken in C."""
    for text in RFC3339_TIMES:
        assert c_takes_time(text), text


def api_times() -> Iterator[str]:
    """Times in the API's form ("Z", none, 3 or 6 digits of a second) around every edge
    its C reader checks, and the near misses it must leave to fromisoformat."""
    for year in (1, 1900, 2000, 2023, 2024, 9999):
        for month in range(1, 13):
            for day in (0, 1, 28, 29, 30, 31, 32):
                yield f"{year:04}-{month:02}-{day:02}T00:00:00Z"
    for clock in ("23:59:59", "24:00:00", "00:60:00", "00:00:60", "12:34:56", "99:99:99"):
        for fraction in ("", ".5", ".12", ".123", ".1234", ".12345", ".123456", ".1234567"):
            yield f"2024-02-29T{clock}{fraction}Z"
    good = "2026-01-02T03:04:05.678Z"
    for i, char in enumerate(good):
        for other in {"x", "0", "-", ".", "Z", "z", "\u0660", "\uff10"} - {char}:
            yield good[:i] + other + good[i + 1 :]
    yield from ("0000-01-01T00:00:00Z", good + "Z", good[:-1], good.replace("Z", "+00:00"))


def test_the_api_s_times_are_read_in_c_as_fromisoformat_reads_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The C reader of the API's own form gives fromisoformat's answer (parse_datetime's
    on 3.10) for every text around its edges, and takes that form on every Python
    without parse_datetime, which 3.10 would otherwise need for "Z"."""
    calls: list[object] = []

    def counted(value: object, _: object = None) -> datetime:
        calls.append(value)
        return parse_datetime(value)

    monkeypatch.setattr(_fastdecode, "parse_datetime", counted)
    decoder = c_decoder(FlowGeneration, Recorder())
    python = python_decoder(FlowGeneration)
    api_form = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?Z", re.ASCII)
    for text in api_times():
        doc = realistic(FlowGeneration)
        doc["data"]["attributes"]["createdAt"] = text
        expected = python(doc)
        calls.clear()
        got = decoder(doc)
        if got is SENTINEL:  # left to the generated code, as c_takes_time says
            assert not c_takes_time(text), text
            continue
        assert_same_answer(got, expected, doc)
        assert isinstance(got, FlowGeneration) and got.created_at is not None
        assert got.created_at == parse_datetime(text), text
        assert got.created_at.tzinfo is not None, text
        if api_form.fullmatch(text):
            assert got.created_at.tzinfo is timezone.utc, text
            assert calls == [], text


def test_a_decoder_given_another_fromisoformat_calls_it_for_every_time() -> None:
    """The C reader of the API's form stands in for datetime.fromisoformat only."""
    seen: list[object] = []

    def fromisoformat(text: str) -> datetime:
        seen.append(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    args = spec()
    assert args[12] == datetime.fromisoformat
    args[12] = fromisoformat
    decoder = _decode.DataDecoder(*args)
    doc = realistic(FlowGeneration)
    model = decoder(doc)
    assert isinstance(model, FlowGeneration)
    attributes = doc["data"]["attributes"]
    assert seen == [attributes["createdAt"], attributes["updatedAt"]]


def test_a_naive_time_is_left_to_the_generated_code_which_makes_it_utc() -> None:
    fallback = Recorder()
    decoder = c_decoder(FlowGeneration, fallback)
    for text in ("2026-01-02T03:04:05", "2026-01-02"):
        doc = realistic(FlowGeneration)
        doc["data"]["attributes"]["updatedAt"] = text
        assert decoder(doc) is SENTINEL
        model = REFERENCES[FlowGeneration].through(doc)
        assert isinstance(model, FlowGeneration) and model.updated_at is not None
        assert model.updated_at.tzinfo is not None and model.updated_at.utcoffset() is not None


# ---------------------------------------------------------------- errors


def loaded_doc() -> dict[str, Any]:
    doc = realistic(FlowGeneration)
    doc["data"]["relationships"] = {"flow": {"data": {"type": "flows", "id": "f1"}}}
    return doc


class Boom(LookupError):
    pass


@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_an_error_of_link_one_is_the_callers(error: type[BaseException]) -> None:
    def link_one(model: Resource) -> None:
        raise error("link")

    fallback = Recorder()
    decoder = c_decoder(FlowGeneration, fallback, link_one=link_one)
    python = python_decoder(FlowGeneration, link_one=link_one)
    with pytest.raises(error, match="link"):
        python(loaded_doc())
    with pytest.raises(error, match="link"):
        decoder(loaded_doc())
    assert not fallback.calls
    # Not called without data to link.
    doc = realistic(FlowGeneration)
    doc["data"]["relationships"] = {"flow": {"links": {"related": "/x"}}}
    assert isinstance(decoder(doc), FlowGeneration)


@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt, SystemExit])
def test_an_error_of_the_fallback_is_the_callers(error: type[BaseException]) -> None:
    def fallback(doc: Any) -> Any:
        raise error("fallback")

    decoder = c_decoder(FlowGeneration, fallback)
    with pytest.raises(error, match="fallback"):
        decoder({"data": None})
    assert isinstance(decoder(realistic(FlowGeneration)), FlowGeneration)


def hook_field() -> tuple[type[Resource], attrs.Attribute[Any]]:
    """A model's attribute field whose value goes through a converter hook (HOOK)."""
    for cls in MODELS:
        for f in attribute_fields(cls):
            if attribute_kind(FAST.converter, f)[0] is Kind.HOOK:
                return cls, f
    raise AssertionError("no model has a HOOK-kind attribute")


@pytest.mark.parametrize("error", [ValueError, TypeError, Boom, RecursionError])
def test_a_hook_refusing_a_value_leaves_the_document_to_the_fallback(
    error: type[Exception],
) -> None:
    cls, field = hook_field()
    _, _, tp = attribute_kind(FAST.converter, field)
    conv = make_converter(fast=True)
    seen: list[tuple[Any, Any]] = []

    def hook(value: Any, given: Any) -> Any:
        seen.append((value, given))
        if value == "refuse":
            raise error("refused")
        return tuple(value)

    conv.register_structure_hook_func(lambda t: t == tp, hook)
    assert attribute_kind(conv, field) == (Kind.HOOK, hook, tp)
    fallback = Recorder()
    decoder = c_decoder(cls, fallback, conv=conv)
    python = python_decoder(cls, conv=conv)
    doc = realistic(cls)
    sent = doc["data"]["attributes"][wire_name_of(field)]
    model = decoder(doc)
    assert not fallback.calls and isinstance(model, cls)
    assert len(seen) == 1 and seen[0][0] is sent and seen[0][1] is tp  # hook(value, type)
    assert_same_answer(model, python(doc), doc)
    doc["data"]["attributes"][wire_name_of(field)] = "refuse"
    seen.clear()
    assert decoder(doc) is SENTINEL and fallback.calls == [doc]
    assert seen == [("refuse", tp)]
    assert python(doc) is None
    assert c_decoder(cls, python, conv=conv)(doc) is None


def test_a_hook_interrupted_is_not_taken_for_a_refusal() -> None:
    cls, field = hook_field()
    _, _, tp = attribute_kind(FAST.converter, field)
    conv = make_converter(fast=True)

    def hook(value: Any, _: Any) -> Any:
        raise KeyboardInterrupt

    conv.register_structure_hook_func(lambda t: t == tp, hook)
    fallback = Recorder()
    decoder = c_decoder(cls, fallback, conv=conv)
    with pytest.raises(KeyboardInterrupt):
        decoder(realistic(cls))
    with pytest.raises(KeyboardInterrupt):
        python_decoder(cls, conv=conv)(realistic(cls))
    assert not fallback.calls
    doc = realistic(cls)
    doc["data"]["attributes"][wire_name_of(field)] = None  # null: no hook
    assert isinstance(decoder(doc), cls)


def test_the_sdks_own_hooks_refusing_leave_the_document_to_the_fallback() -> None:
    for cls in MODELS:
        for f in attribute_fields(cls):
            if attribute_kind(FAST.converter, f)[0] is Kind.HOOK:
                for value in ("text", 1, {"a": 1}, [1, [2]], [{"a": object()}]):
                    doc = realistic(cls)
                    doc["data"]["attributes"][wire_name_of(f)] = value
                    check(cls, doc)


def test_it_takes_one_positional_argument() -> None:
    decoder = REFERENCES[FlowGeneration].alone
    doc = realistic(FlowGeneration)
    calls: list[Callable[[], Any]] = [
        lambda: decoder(),  # type: ignore[call-arg]
        lambda: decoder(doc, doc),  # type: ignore[call-arg]
        lambda: decoder(doc=doc),  # type: ignore[call-arg]
        lambda: decoder(doc, x=1),  # type: ignore[call-arg]
        lambda: decoder(*[doc, None]),
        lambda: decoder.__call__(),  # type: ignore[operator]
    ]
    for call in calls:
        with pytest.raises(TypeError):
            call()
    no_keywords: dict[str, Any] = {}
    assert isinstance(decoder(*[doc], **no_keywords), FlowGeneration)
    assert isinstance(decoder.__call__(doc), FlowGeneration)  # type: ignore[operator]


def spec(cls: type[Resource] = FlowGeneration) -> list[Any]:
    """The constructor's arguments for ``cls``, as ``compiled_data_decoder`` gives them."""
    given: list[Any] = []

    def capture(*args: Any) -> Any:
        given.extend(args)
        return _decode.DataDecoder(*args)

    real = _fastdecode._CDataDecoder
    _fastdecode._CDataDecoder = capture
    try:
        compiled_data_decoder(FAST.converter, cls, FAST._link_one, Recorder())
    finally:
        _fastdecode._CDataDecoder = real
    assert len(given) == 16
    return given


def spec_with(index: int, value: Any) -> list[Any]:
    args = spec()
    args[index] = value
    return args


def replaced(items: Sequence[Any], index: int, value: Any) -> tuple[Any, ...]:
    return (*items[:index], value, *items[index + 1 :])


def bad_specs() -> Iterator[Any]:
    """(name, arguments, the error)."""
    args = spec()
    wires_, kinds, aux, types_, defaults, _, _, stores, rel, ident, empties = args[1:12]
    n = len(wires_)
    stores_at = 8
    yield "no arguments", [], TypeError
    yield "15 arguments", args[:15], TypeError
    yield "17 arguments", [*args, None], TypeError
    yield "type name not a str", spec_with(0, b"flowGenerations"), TypeError
    yield "wires a list", spec_with(1, list(wires_)), TypeError
    yield "known a set", spec_with(6, set(wires_)), TypeError
    yield "model not a class", spec_with(7, FlowGeneration(id="x")), TypeError
    yield "stores a list", spec_with(stores_at, list(stores)), TypeError
    yield "kinds short", spec_with(2, kinds[:-1]), TypeError
    yield "aux long", spec_with(3, (*aux, None)), TypeError
    yield "types short", spec_with(4, types_[:-1]), TypeError
    yield "defaults long", spec_with(5, (*defaults, None)), TypeError
    yield "kinds a list", spec_with(2, list(kinds)), TypeError
    yield "rel of 4", spec_with(9, rel[:4]), TypeError
    yield "rel of 6", spec_with(9, (*rel, rel[1])), TypeError
    yield "ident of 2", spec_with(10, ident[:2]), TypeError
    yield "empties of 4", spec_with(11, empties[:4]), TypeError
    yield "rel[0] not a class", spec_with(9, replaced(rel, 0, "Relationship")), TypeError
    yield "ident[0] not a class", spec_with(10, replaced(ident, 0, None)), TypeError
    yield "rel[1] not a descriptor", spec_with(9, replaced(rel, 1, "data")), TypeError
    yield "rel[4] a getter only", spec_with(9, replaced(rel, 4, snapshot)), TypeError
    yield "ident[2] not a descriptor", spec_with(10, replaced(ident, 2, 1)), TypeError

    # object.__new__ refuses these ("not safe"): a class must be made by it unchanged.
    class SlottedDict(dict[str, Any]):
        __slots__ = ("x",)

    class OwnNew:
        def __new__(cls) -> OwnNew:
            return super().__new__(cls)

    yield "model not made by object.__new__", spec_with(7, SlottedDict), TypeError
    yield "rel[0] with its own __new__", spec_with(9, replaced(rel, 0, OwnNew)), TypeError
    yield "ident[0] a dict subclass", spec_with(10, replaced(ident, 0, SlottedDict)), TypeError
    # A set look-up of a name then runs no code (an element's __eq__ could free the key).
    yield "known holds a non-str", spec_with(6, frozenset({*wires_, 1})), TypeError
    yield "known holds a str subclass", spec_with(6, frozenset({*wires_, S("x")})), TypeError
    keyword = (*args[:15], {"fallback": args[15]})
    yield "keywords", keyword, TypeError
    for i, kind in enumerate(kinds):
        yield f"kind {i} out of range", spec_with(2, replaced(kinds, i, 5)), ValueError
        yield f"kind {i} negative", spec_with(2, replaced(kinds, i, -1)), ValueError
        yield f"kind {i} huge", spec_with(2, replaced(kinds, i, 2**80)), ValueError
        yield f"kind {i} not an int", spec_with(2, replaced(kinds, i, str(kind))), ValueError
        yield f"wire {i} not a str", spec_with(1, replaced(wires_, i, i)), ValueError
        yield (
            f"wire {i} a str subclass",
            spec_with(1, replaced(wires_, i, S(wires_[i]))),
            ValueError,
        )
        if kind == Kind.EXACT:
            yield f"EXACT {i} aux not a class", spec_with(3, replaced(aux, i, "str")), ValueError
        if kind == Kind.ENUM:
            proxy = types.MappingProxyType(aux[i])
            yield f"ENUM {i} aux not a dict", spec_with(3, replaced(aux, i, proxy)), ValueError
    hooked = replaced(kinds, 0, int(Kind.HOOK))
    yield (
        "HOOK aux not callable",
        [*spec_with(2, hooked)[:3], replaced(aux, 0, 1), *args[4:]],
        (ValueError),
    )
    for i in (0, len(stores) - 1):
        descr, source, constant = stores[i]
        yield (
            f"store {i} not a tuple",
            spec_with(stores_at, replaced(stores, i, list(stores[i]))),
            (ValueError),
        )
        yield (
            f"store {i} of 2",
            spec_with(stores_at, replaced(stores, i, (descr, source))),
            (ValueError),
        )
        not_descriptor = (len, source, constant)
        yield (
            f"store {i} not a descriptor",
            spec_with(stores_at, replaced(stores, i, not_descriptor)),
            ValueError,
        )
        for bad in (-2, _decode.SRC_ATTRS + n, 10**6, "1", None, 1.0):
            yield (
                f"store {i} source {bad!r}",
                spec_with(stores_at, replaced(stores, i, (descr, bad, constant))),
                ValueError,
            )
    many = _fastdecode._C_MAX_ATTRIBUTES + 1
    too_many = [
        args[0],
        tuple(f"a{i}" for i in range(many)),
        (int(Kind.EXACT),) * many,
        (str,) * many,
        (str,) * many,
        (None,) * many,
        frozenset(f"a{i}" for i in range(many)),
        *args[7:],
    ]
    yield "too many attributes", too_many, ValueError


@pytest.mark.parametrize(
    ("name", "args", "error"), list(bad_specs()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_the_constructor_refuses_bad_specs(name: str, args: Any, error: type[Exception]) -> None:
    positional, keywords = (args[:-1], args[-1]) if isinstance(args, tuple) else (args, {})
    with pytest.raises(error):
        _decode.DataDecoder(*positional, **keywords)


def test_the_constructor_takes_a_good_spec() -> None:
    args = spec()
    decoder = _decode.DataDecoder(*args)
    doc = realistic(FlowGeneration)
    assert_same_answer(decoder(doc), REFERENCES[FlowGeneration].python(doc), doc)
    assert decoder.fallback is args[15]


def test_the_constructor_refuses_a_source_too_large_for_c() -> None:
    args = spec()
    stores = args[8]
    descr, _, constant = stores[0]
    args[8] = replaced(stores, 0, (descr, 2**70, constant))
    with pytest.raises((ValueError, OverflowError)):
        _decode.DataDecoder(*args)


# ---------------------------------------------------------------- leaks and cycles


def doc_objects(doc: Any) -> list[Any]:
    """The dicts, lists and strs in ``doc`` (keys included), each once."""
    found: dict[int, Any] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict | list | str) and id(value) not in found:
            found[id(value)] = value
            items = value.items() if isinstance(value, dict) else value
            if not isinstance(value, str):
                for item in items:
                    if isinstance(item, tuple):
                        walk(item[0])
                        walk(item[1])
                    else:
                        walk(item)

    walk(doc)
    return list(found.values())


def moved_references(objects: Sequence[Any], before: Sequence[int]) -> list[tuple[Any, int]]:
    """The objects whose reference count moved by 100 or more since ``before``.

    A reference kept or dropped per call moves a count by as many calls as were made (the
    leak tests make thousands). Interned strings and classes are shared with the whole
    process, where another thread's work may move them by a few meanwhile: not a leak.
    """
    return [
        (o, sys.getrefcount(o) - count)
        for o, count in zip(objects, before, strict=True)
        if abs(sys.getrefcount(o) - count) >= 100
    ]


def leak_documents() -> dict[str, dict[str, Any]]:
    def changed(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        doc = realistic(FlowGeneration)
        change(doc["data"])
        return doc

    cases = {
        "usual": realistic(FlowGeneration),
        "usual, every relationship shape": changed(
            lambda r: r.update(
                relationships={str(i): v for i, v in enumerate(RELATIONSHIP_SHAPES.values())}
            )
        ),
        "included": {**realistic(FlowGeneration), "included": []},
        "another type": changed(lambda r: r.update(type="flows")),
        "an unknown enum value": changed(lambda r: r["attributes"].update(status="paused")),
        "a naive time": changed(lambda r: r["attributes"].update(updatedAt="2026-01-01T00:00:00")),
        "a bad time, late": changed(lambda r: r["attributes"].update(updatedAt="x")),
        "a non-str unknown key": changed(lambda r: r["attributes"].update({1: 2})),
        "a list with a bad member": changed(
            lambda r: r["relationships"].update(
                x={"data": [{"type": "a", "id": "b"}, {"type": "a", "id": "c"}, 1]}
            )
        ),
        "a bad relationship last": changed(
            lambda r: r["relationships"].update(z={"links": {"a": "b"}, "meta": 0})
        ),
        "a missing attribute": changed(lambda r: r["attributes"].pop("cost")),
    }
    analysis = realistic(registered_types()["vacancyAnalyses"])
    analysis["data"]["attributes"]["analyzeResult"] = "not an object"
    return {**cases, "a hook refusing": analysis}


def test_no_leaks() -> None:
    """Taken or left, a document leaves no reference, object or memory behind: tens of
    thousands of calls, each of which keeping one would show."""
    linked, left = object(), object()

    def link_one(model: Resource) -> object:
        FAST._link_one(model)
        return linked  # what the decoder drops

    cases = []
    for name, doc in leak_documents().items():
        decoder = c_decoder(
            registered_types()[doc["data"]["type"]],
            lambda doc: left,
            link_one=cast(Callable[[Resource], None], link_one),
        )
        assert (decoder(doc) is not left) is name.startswith("usual"), name
        cases.append((name, doc, decoder, 20_000 if name.startswith("usual") else 5_000))
    calls = sum(n for *_, n in cases)

    def run(share: int = 1) -> None:
        for _, doc, decoder, n in cases:
            for _ in range(n // share):
                decoder(doc)

    run(100)
    objects = {name: doc_objects(doc) for name, doc, *_ in cases}
    objects["link_one's and the fallback's answers"] = [linked, left]
    gc.collect()
    refs = {name: [sys.getrefcount(o) for o in found] for name, found in objects.items()}
    live = len(gc.get_objects())
    blocks = sys.getallocatedblocks()
    run()
    gc.collect()
    for name, found in objects.items():
        assert not moved_references(found, refs[name]), name
    assert len(gc.get_objects()) - live < 50
    assert sys.getallocatedblocks() - blocks < calls // 100
    # What the count of blocks may miss (PYTHONMALLOC=malloc counts none): a tenth as many.
    tracemalloc.start()
    try:
        traced = tracemalloc.get_traced_memory()[0]
        run(10)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - traced
    finally:
        tracemalloc.stop()
    assert grown < calls // 10 * 8, grown


def test_no_leak_when_the_constructor_refuses() -> None:
    args = spec()
    bad = spec_with(2, replaced(args[2], 3, 9))
    held = [sys.getrefcount(a) for a in bad]
    for _ in range(2000):
        with pytest.raises(ValueError, match="not a valid spec"):
            _decode.DataDecoder(*bad)
    assert not moved_references(bad, held)


def test_a_decoder_in_a_reference_cycle_is_collected() -> None:
    """Its fallback (and link_one) refer to it: gc.collect() frees them all."""

    class Marker:
        pass

    def make() -> tuple[weakref.ref[Any], weakref.ref[Marker]]:
        marker = Marker()
        decoder: Decoder | None = None

        def fallback(doc: Any) -> Any:
            return (decoder, marker)

        def link_one(model: Resource) -> None:
            assert decoder is not None

        decoder = c_decoder(FlowGeneration, fallback, link_one=link_one)
        assert decoder(None) == (decoder, marker)
        assert isinstance(decoder(loaded_doc()), FlowGeneration)
        return weakref.ref(fallback), weakref.ref(marker)

    gc.collect()
    gc.disable()
    try:
        fallback, marker = make()
        assert fallback() is not None, "not a cycle"
        gc.collect()
        assert fallback() is None and marker() is None
    finally:
        gc.enable()


def test_the_garbage_collector_sees_what_a_decoder_holds() -> None:
    fallback = Recorder()
    decoder = c_decoder(FlowGeneration, fallback)
    referents = gc.get_referents(decoder)
    assert fallback in referents and FlowGeneration in referents
    assert gc.is_tracked(decoder)


# ---------------------------------------------------------------- the codec


def test_the_codec_decodes_by_the_c_decoder_and_without_it_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compiled = Codec()
    models = {name: compiled.decode_data(raw, FlowGeneration) for name, raw in GOOD.items()}
    assert compiled._data_decoders is not None
    assert type(compiled._data_decoders[FlowGeneration]) is _decode.DataDecoder
    monkeypatch.setattr(_fastdecode, "COMPILED_DECODE", False)
    plain = Codec()
    for name, raw in GOOD.items():
        model = plain.decode_data(raw, FlowGeneration)
        same_model(model, models[name])
        assert_same(model, models[name])
    assert plain._data_decoders is not None
    generated = plain._data_decoders[FlowGeneration]
    assert isinstance(generated, types.FunctionType)
    assert generated.__name__ == "decode_data"
    assert compiled._data_decoders[FlowGeneration].fallback.__name__ == "decode_data"  # type: ignore[union-attr]


# ---------------------------------------------------------------- known bugs


def test_a_document_changed_while_it_is_read_decodes_to_what_was_read() -> None:
    """A str subclass's __hash__ (called by the enum lookup) replaces the resource's id:
    the model must have the id that was read, as the generated code's has. Run in a
    child with the debug allocator, which fills freed memory, so a read of it shows."""
    code = textwrap.dedent(
        """
        from recrubo_async import _fastdecode
        from recrubo_async._jsonapi import Codec
        from recrubo_async.models import FlowGeneration

        codec = Codec()
        decoder = _fastdecode.make_data_decoder(codec.converter, FlowGeneration, codec._link_one)
        assert type(decoder).__name__ == "DataDecoder"
        held = {}

        class Sneaky(str):
            def __hash__(self):
                held["data"]["id"] = "replaced"
                return str.__hash__(self)

        for i in range(20):
            sent = "g-" + "x" * 40 + str(i)
            data = {"type": "flowGenerations", "id": "g-" + "x" * 40 + str(i), "attributes": {
                "flowType": None, "parameters": None, "context": None, "flowId": None,
                "status": Sneaky("queued"), "cost": None, "createdAt": None, "updatedAt": None}}
            held["data"] = data
            model = decoder({"data": data})
            junk = ["y" * 57 for _ in range(100)]
            assert model.id == sent, repr(model.id)
        print("ok")
        """
    )
    env = {**os.environ, "PYTHONMALLOC": "debug"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_unknown_attributes_are_those_before_any_conversion_runs() -> None:
    """A str subclass's __hash__ (run by the enum lookup) adds an attribute: ``extra`` is
    what the attributes held before the conversions, in C as in the generated code."""
    held: dict[str, dict[str, Any]] = {}

    class Sneaky(str):
        __slots__ = ()

        def __hash__(self) -> int:
            held["attributes"]["lateArrival"] = 1
            return str.__hash__(self)

    def document() -> dict[str, Any]:
        doc = realistic(FlowGeneration)
        attributes: dict[str, Any] = doc["data"]["attributes"]
        attributes["status"] = Sneaky(attributes["status"])
        held["attributes"] = attributes
        return doc

    expected = python_decoder(FlowGeneration)(document())
    assert isinstance(expected, FlowGeneration)
    assert "lateArrival" not in expected.extra
    fallback = Recorder()
    got = c_decoder(FlowGeneration, fallback)(document())
    assert not fallback.calls  # the C decoder answered, not the reference behind it
    assert_same_answer(got, expected, document())


# ---------------------------------------------------------------- slot stores


class Through:
    """A data descriptor that stores through another one, counting its stores."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.stores = 0

    def __get__(self, obj: object, cls: type | None = None) -> Any:
        return self.inner.__get__(obj, cls)

    def __set__(self, obj: object, value: Any) -> None:
        self.stores += 1
        self.inner.__set__(obj, value)


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_every_store_of_every_model_is_made_at_its_slot(cls: type[Resource]) -> None:
    """Models, relationships and identifiers are built by plain slots: each store is
    made at the slot's offset (what the member descriptor would do), none through it."""
    args = spec(cls)
    decoder = _decode.DataDecoder(*args)
    assert decoder.slot_stores == len(args[8]) + 4 + 2
    doc = realistic(cls)
    assert_same_answer(decoder(doc), REFERENCES[cls].python(doc), doc)


def test_a_store_through_another_descriptor_calls_it_and_builds_the_same_model() -> None:
    args = spec()
    stores = list(args[8])
    index = next(i for i, (_, source, _) in enumerate(stores) if source == _decode.SRC_ATTRS)
    descriptor, source, default = stores[index]
    through = Through(descriptor)
    stores[index] = (through, source, default)
    args[8] = tuple(stores)
    rel = list(args[9])
    rel_through = Through(rel[2])  # the relationship's links
    rel[2] = rel_through
    args[9] = tuple(rel)
    decoder = _decode.DataDecoder(*args)
    assert decoder.slot_stores == len(stores) + 4 + 2 - 2
    doc = realistic(FlowGeneration)
    model = decoder(doc)
    assert through.stores == 1 and rel_through.stores == len(doc["data"]["relationships"])
    assert_same_answer(model, REFERENCES[FlowGeneration].python(doc), doc)


def test_a_member_of_another_class_is_not_stored_at_its_offset() -> None:
    """A slot of a class the model does not derive from: its descriptor refuses the
    store (TypeError), and the fallback decides, as for any error while building."""

    class Elsewhere:
        __slots__ = ("value",)

    args = spec()
    stores = list(args[8])
    _, source, default = stores[0]
    stores[0] = (Elsewhere.__dict__["value"], source, default)
    args[8] = tuple(stores)
    fallback = Recorder()
    args[15] = fallback
    decoder = _decode.DataDecoder(*args)
    assert decoder.slot_stores == len(stores) + 4 + 2 - 1
    doc = realistic(FlowGeneration)
    assert decoder(doc) is SENTINEL
    assert fallback.calls == [doc]
