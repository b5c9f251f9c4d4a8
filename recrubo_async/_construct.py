"""Building attrs models without their ``__init__``: generated slot stores, same objects.

A speed trick of the fast decoding path (see ``_fastdecode.py``, where its switch is): a
model built here is the model its ``__init__`` builds, field for field, frozen, with the
same eq, hash, repr, pickling and weak references (tests/codec/test_decode_fast_path.py).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

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
    #: Each field's slot descriptor (the C decoder stores through them, ``_decode.c``).
    descriptors: Mapping[str, Any]


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
    return _Build(builder=builder, setters=setters, descriptors=descriptors)


def construction_lines(
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


def field_setter(cls: type[Any], name: str) -> Callable[[Any, Any], None]:
    """``set(obj, value)``: stores a field of a frozen ``cls`` instance the decoder still owns.

    The slot's own descriptor where ``_build_plan`` vouches for it (what ``object.__setattr__``
    finds, without the lookup by name); else ``object.__setattr__`` itself.
    """
    plan = _build_plan(cls)
    if plan is not None:
        return plan.setters[name]

    def store(obj: Any, value: Any) -> None:
        object.__setattr__(obj, name, value)

    return store


def slot_descriptors(cls: type[Any]) -> Mapping[str, Any] | None:
    """Each field's slot descriptor by field name, where ``_build_plan`` vouches that
    storing through them is all ``cls``'s ``__init__`` does; else None."""
    plan = _build_plan(cls)
    return None if plan is None else plan.descriptors


def constructor(cls: type[_T], *, fast: bool) -> Callable[..., _T]:
    """``build(*values)``: what ``cls(**fields)`` builds, fields given in ``attrs.fields`` order.

    ``fast``: generated slot stores where ``_build_plan`` allows them; else ``cls``'s own
    ``__init__``, called with keywords.
    """
    fields = attrs.fields(cls)
    if not fast:
        aliases = [f.alias for f in fields]

        def init(*values: Any) -> _T:
            return cls(**dict(zip(aliases, values, strict=True)))

        return init
    params = [f"v{i}" for i in range(len(fields))]
    names: dict[str, Any] = {}
    body = construction_lines(cls, {f.name: p for f, p in zip(fields, params, strict=True)}, names)
    source = "\n".join([f"def build({', '.join(params)}):", *body, "    return o"])
    exec(compile(source, f"<recrubo_async constructor for {cls.__name__}>", "exec"), names)
    build: Callable[..., _T] = names["build"]
    return build
