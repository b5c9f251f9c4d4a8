"""What every JSON:API resource model shares, and the generic fallback for unknown types."""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

import attrs

from .._naming import to_camel

_R = TypeVar("_R", bound="Resource")
_E = TypeVar("_E", bound="OpenEnum")

#: Model fields that are the resource object's envelope, not its attributes.
ENVELOPE_FIELDS = frozenset({"id", "type", "relationships", "links", "meta", "extra"})


class _EmptyDict(dict[str, Any]):
    """An empty dict that refuses to change: one shared default instead of a dict per model.

    A plain ``dict`` subclass (not ``types.MappingProxyType``) so that a default still
    compares, prints, serializes (orjson, json), copies and pickles exactly like ``{}``.
    """

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> typing.NoReturn:
        raise TypeError("this empty mapping is a shared default and cannot be changed")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> str:
        return "EMPTY"


#: The shared default of every empty envelope mapping (relationships, links, meta, extra).
EMPTY: Mapping[str, Any] = _EmptyDict()


class OpenEnum(str, enum.Enum):
    """A string enum that keeps values it does not know instead of failing.

    ``FlowGenerationStatus("paused")`` is a valid member whose value is ``"paused"``, so a
    status the API adds later never breaks decoding. Members compare equal to their strings.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(self.value)

    @property
    def is_known(self) -> bool:
        """Whether this value is one the SDK was built with."""
        return self._name_ in type(self).__members__


# Value objects, made by the thousand when a page is decoded: no ``__weakref__`` slot, so
# that the decoder can build them by plain slot stores (``_construct._build_plan``).
@attrs.frozen(kw_only=True, weakref_slot=False)
class ResourceIdentifier:
    """A ``{"type", "id"}`` reference to another resource."""

    type: str
    id: str


@attrs.frozen(kw_only=True, weakref_slot=False)
class Relationship:
    """A relationship as sent: ``data`` (None, one identifier, or several), links and meta.

    ``loaded`` is False when the server sent no ``data`` member (only links), so "not sent"
    and "empty" stay distinguishable.
    """

    data: ResourceIdentifier | tuple[ResourceIdentifier, ...] | None = None
    links: Mapping[str, Any] = EMPTY
    meta: Mapping[str, Any] = EMPTY
    loaded: bool = True


@attrs.frozen(kw_only=True)
class Resource:
    """Base of every resource model: the envelope of a JSON:API resource object.

    Subclasses add one field per attribute (snake_case; the wire name is its camelCase).
    Attributes the SDK does not know yet are kept, with their wire names, in ``extra``.
    """

    TYPE: ClassVar[str] = ""
    #: Whether the API documents this type's relationships; when not, includes below it
    #: are passed on unchecked, as for a type the SDK does not model.
    DOCUMENTED_RELATIONSHIPS: ClassVar[bool] = True

    id: str
    #: The JSON:API type; typed models fill it in from ``TYPE``.
    type: str = attrs.field(default=attrs.Factory(lambda self: type(self).TYPE, takes_self=True))
    relationships: Mapping[str, Relationship] = attrs.field(default=EMPTY, repr=False)
    links: Mapping[str, Any] = attrs.field(default=EMPTY, repr=False)
    meta: Mapping[str, Any] = attrs.field(default=EMPTY, repr=False)
    #: Attributes this SDK version does not know, under their wire (camelCase) names.
    extra: Mapping[str, Any] = attrs.field(default=EMPTY, repr=False)

    def attribute(self, wire_name: str, default: Any = None) -> Any:
        """An attribute by its wire name, known to this SDK version or not."""
        if wire_name in self.extra:
            return self.extra[wire_name]
        for field in attribute_fields(type(self)):
            if wire_name_of(field) == wire_name:
                return getattr(self, field.name)
        return default

    def related(self, name: str) -> ResourceIdentifier | tuple[ResourceIdentifier, ...] | None:
        """The identifier(s) of a relationship (camelCase or snake_case name), or None."""
        rel = self.relationships.get(name) or self.relationships.get(to_camel(name))
        return rel.data if rel is not None else None


@attrs.frozen(kw_only=True)
class GenericResource(Resource):
    """A resource of a type this SDK version does not model; all attributes as sent."""

    attributes: Mapping[str, Any] = EMPTY

    def attribute(self, wire_name: str, default: Any = None) -> Any:
        return self.attributes.get(wire_name, default)


def wire_name_of(field: attrs.Attribute[Any]) -> str:
    """The JSON name of a model field: ``metadata["wire"]`` or its camelCase."""
    wire = field.metadata.get("wire")
    return wire if isinstance(wire, str) else to_camel(field.name)


def wire(name: str) -> dict[str, str]:
    """Field metadata for an attribute whose wire name is not the camelCase of its name."""
    return {"wire": name}


#: Field metadata of a relationship field, used as
#: ``attrs.field(default=None, eq=False, repr=False, metadata=REL)``.
#:
#: Such a field is filled from the resource's ``relationships`` after decoding: the related
#: model when the document included it, else its ``ResourceIdentifier``; ``None`` when the
#: server sent no ``data`` for it. Related models can point back (node -> flow -> nodes),
#: so these fields stay out of eq and repr. The wire name is the field name's camelCase;
#: ``{"relationship": "wireName"}`` names another.
REL: Mapping[str, Any] = {"relationship": True}


def is_relationship_field(field: attrs.Attribute[Any]) -> bool:
    return "relationship" in field.metadata


_ATTRIBUTE_FIELDS: dict[type[Any], tuple[attrs.Attribute[Any], ...]] = {}
_RELATIONSHIP_SPECS: dict[type[Any], Mapping[str, RelationshipSpec]] = {}


def attribute_fields(cls: type[Resource]) -> tuple[attrs.Attribute[Any], ...]:
    """The fields of ``cls`` that are JSON:API attributes (not envelope, not relationships)."""
    found = _ATTRIBUTE_FIELDS.get(cls)
    if found is None:
        found = tuple(
            f
            for f in attrs.fields(cls)
            if f.name not in ENVELOPE_FIELDS and not is_relationship_field(f)
        )
        _ATTRIBUTE_FIELDS[cls] = found
    return found


@attrs.frozen
class RelationshipSpec:
    """A relationship field of a model: Python name, wire name, target model, cardinality."""

    name: str
    wire: str
    target: type[Resource] | None
    many: bool


def _targets(tp: Any) -> tuple[list[type[Resource]], bool]:
    """The Resource classes named in a field type, and whether it is a tuple (to-many)."""
    found: list[type[Resource]] = []
    many = False
    stack = [tp]
    while stack:
        current = stack.pop()
        origin = typing.get_origin(current)
        if origin is tuple:
            many = True
        if origin is not None or isinstance(current, types.UnionType):
            stack.extend(typing.get_args(current))
        elif isinstance(current, type) and issubclass(current, Resource):
            found.append(current)
    return found, many


def relationship_specs(cls: type[Resource]) -> Mapping[str, RelationshipSpec]:
    """The relationship fields of a model, keyed by wire name."""
    cached = _RELATIONSHIP_SPECS.get(cls)
    if cached is not None:
        return cached
    out: dict[str, RelationshipSpec] = {}
    for f in attrs.fields(cls):
        if not is_relationship_field(f):
            continue
        marker = f.metadata["relationship"]
        wire_name = marker if isinstance(marker, str) else to_camel(f.name)
        if isinstance(f.type, str):
            f = _resolved_field(cls, f.name)
        targets, many = _targets(f.type)
        concrete = [t for t in targets if t is not Resource]
        target = concrete[0] if len(concrete) == 1 else None
        out[wire_name] = RelationshipSpec(name=f.name, wire=wire_name, target=target, many=many)
    _RELATIONSHIP_SPECS[cls] = out
    return out


_REGISTRY: dict[str, type[Resource]] = {}


def register(cls: type[_R]) -> type[_R]:
    """Class decorator: make ``cls`` the model decoded for its ``TYPE``."""
    if not cls.TYPE:
        raise TypeError(f"{cls.__name__} needs a TYPE (its JSON:API type)")
    _REGISTRY[cls.TYPE] = cls
    return cls


def model_for(type_name: str) -> type[Resource]:
    """The model registered for a JSON:API type, or ``GenericResource``."""
    return _REGISTRY.get(type_name, GenericResource)


def registered_types() -> Mapping[str, type[Resource]]:
    return dict(_REGISTRY)


def _resolved_field(cls: type[Resource], name: str) -> attrs.Attribute[Any]:
    """The field ``name`` of ``cls`` with its string annotation evaluated."""
    try:
        attrs.resolve_types(cls, localns=_model_names())
    except NameError as exc:
        raise TypeError(
            f"{cls.__name__}.{name}: cannot resolve the relationship's type ({exc}); "
            "import the related model in the module that defines it"
        ) from exc
    field: attrs.Attribute[Any] = getattr(attrs.fields(cls), name)
    return field


def _model_names() -> dict[str, Any]:
    names: dict[str, Any] = {"Resource": Resource, "ResourceIdentifier": ResourceIdentifier}
    names.update({cls.__name__: cls for cls in _REGISTRY.values()})
    return names


def resolve_model_types() -> None:
    """Turn the string annotations of every registered model into real types.

    Models name each other in relationship fields (Flow -> Node -> Flow), so their modules
    import one another only for type checking; this runs once all of them are loaded.
    """
    names = _model_names()
    for cls in _REGISTRY.values():
        attrs.resolve_types(cls, localns=names)
