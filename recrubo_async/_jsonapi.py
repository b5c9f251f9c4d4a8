"""The JSON:API document layer: response bytes -> typed models, writes -> request bytes.

A document's resource objects are decoded one by one (``Codec._decode_resource``: the
generated decoder of ``_fastdecode.py`` when the switch there is on and the object has the
usual shape, else the converter of ``_converter.py``), then linked to one another
(``_compound.link``). ``DecodeError``s name the ``$.path`` of what was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs
import cattrs
import orjson

from . import _fastdecode
from ._compound import link
from ._converter import ENVELOPE_KEYS, make_converter
from ._fastdecode import (
    DataDecoder,
    Linkers,
    ResourceDecoder,
    make_data_decoder,
    make_resource_decoder,
)
from ._naming import to_camel
from ._types import NOT_GIVEN, NotGiven
from .errors import DecodeError
from .models._base import (
    GenericResource,
    Resource,
    ResourceIdentifier,
    attribute_fields,
    model_for,
    wire_name_of,
)

_R = TypeVar("_R", bound=Resource)

#: What a relationship can be set to in a write: one resource, several, or none.
RelationshipValue = ResourceIdentifier | Resource | Sequence[ResourceIdentifier | Resource] | None


@attrs.frozen(kw_only=True)
class Document(Generic[_R]):
    """A decoded top-level document."""

    data: _R | list[_R] | None
    included: list[Resource]
    links: Mapping[str, Any]
    meta: Mapping[str, Any]


class Codec:
    """Decodes response documents and encodes request documents.

    ``fast``: decode by generated code where it can (see ``_fastdecode.FAST_DECODE``, the
    default); False takes the checked path for everything. The models are the same.
    """

    def __init__(self, *, fast: bool | None = None) -> None:
        self.fast = _fastdecode.FAST_DECODE if fast is None else fast
        self.converter = make_converter(fast=self.fast)
        self._known: dict[type[Resource], frozenset[str]] = {}
        # Generated decoders by JSON:API type, for callers' objects and for just-parsed ones.
        self._decoders: dict[str, ResourceDecoder | None] = {}
        self._owned_decoders: dict[str, ResourceDecoder | None] = {}
        # Generated relationship linkers by model class (the fast path only).
        self._linkers = Linkers() if self.fast else None
        # decode_data's generated fast paths by model class (the fast path only).
        self._data_decoders: dict[type[Resource], DataDecoder | None] | None = (
            {} if self.fast else None
        )

    def _known_keys(self, cls: type[Resource]) -> frozenset[str]:
        known = self._known.get(cls)
        if known is None:
            known = frozenset(wire_name_of(f) for f in attribute_fields(cls))
            self._known[cls] = known
        return known

    def decode_resource(
        self, obj: object, *, path: str = "$.data", owned: bool = False
    ) -> Resource:
        """One resource object to its model (``GenericResource`` for unknown types).

        Its relationship fields hold ``ResourceIdentifier``s (or itself, if it points at
        itself): a lone resource object has nothing included. ``owned``: ``obj`` was just
        parsed by the caller, so the model may keep its dicts uncopied (as a page's do).
        """
        model = self._decode_resource(obj, path, -1, owned)
        link((model,), linkers=self._linkers)
        return model

    def _decode_resource(
        self, obj: object, path: str, index: int = -1, owned: bool = False
    ) -> Resource:
        """``obj``, found at ``path`` (at ``path[index]`` for a list member).

        ``owned``: ``obj`` was just parsed here, so the model may keep its dicts uncopied.
        Positional arguments, and the path formatted only for an error: this runs once per
        resource of every page.
        """
        if type(obj) is dict:
            rtype, rid = obj.get("type"), obj.get("id")
            attributes = obj.get("attributes")
            rels, links, meta = obj.get("relationships"), obj.get("links"), obj.get("meta")
            # The fast path: the common, valid shape; anything else takes the checked one.
            if (
                type(rtype) is str
                and rtype
                and type(rid) is str
                and type(attributes) is dict
                and (rels is None or type(rels) is dict)
                and (links is None or type(links) is dict)
                and (meta is None or type(meta) is dict)
            ):
                decoders = self._owned_decoders if owned else self._decoders
                try:
                    decoder = decoders[rtype]
                except KeyError:
                    decoder = (
                        make_resource_decoder(self.converter, model_for(rtype), owned=owned)
                        if self.fast
                        else None
                    )
                    decoders[rtype] = decoder
                if decoder is not None:
                    try:
                        return decoder(rid, rtype, attributes, rels, links, meta)
                    except Exception:
                        pass  # the checked path below finds what is wrong and says so
        if index >= 0:
            path = f"{path}[{index}]"
        return self._decode_resource_checked(obj, path=path)

    def _decode_resource_checked(self, obj: object, *, path: str) -> Resource:
        if not isinstance(obj, Mapping):
            raise DecodeError("expected a resource object", path=path)
        rtype, rid = obj.get("type"), obj.get("id")
        if not isinstance(rtype, str) or not rtype:
            raise DecodeError("a resource object needs a string type", path=f"{path}.type")
        if not isinstance(rid, (str, int)) or isinstance(rid, bool):
            raise DecodeError("a resource object needs a string id", path=f"{path}.id")
        attributes = obj.get("attributes")
        if attributes is None:
            attributes = {}
        elif not isinstance(attributes, Mapping):
            raise DecodeError("attributes must be an object", path=f"{path}.attributes")
        cls = model_for(rtype)
        flat: dict[str, Any] = {
            ENVELOPE_KEYS["id"]: str(rid),
            ENVELOPE_KEYS["type"]: rtype,
        }
        for member in ("relationships", "links", "meta"):
            value = obj.get(member)
            if value is not None:
                if not isinstance(value, Mapping):
                    raise DecodeError(f"{member} must be an object", path=f"{path}.{member}")
                flat[ENVELOPE_KEYS[member]] = value
        if cls is GenericResource:
            flat["attributes"] = attributes
        else:
            known = self._known_keys(cls)
            extra: dict[str, Any] = {}
            for key, value in attributes.items():
                if key in known:
                    if value is not None:
                        flat[key] = value
                else:
                    extra[key] = value
            if extra:
                flat[ENVELOPE_KEYS["extra"]] = extra
        try:
            return self.converter.structure(flat, cls)
        except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
            raise DecodeError(
                f"cannot decode {rtype} {rid}: {_first_reason(exc, f'{path}.attributes')}",
                path=path,
            ) from exc

    def decode_document(self, raw: bytes | str) -> Document[Resource]:
        """A whole response body (``data``, ``included``, ``links``, ``meta``)."""
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise DecodeError(f"the response is not JSON: {exc}") from exc
        # orjson makes plain dicts and lists: exact type checks, cheaper than ABC ones.
        if type(doc) is not dict:
            raise DecodeError("a JSON:API document must be an object")
        decode = self._decode_resource
        raw_data = doc.get("data")
        data: Resource | list[Resource] | None
        if raw_data is None:
            data = None
        elif type(raw_data) is list:
            data = [decode(o, "$.data", i, True) for i, o in enumerate(raw_data)]
        else:
            data = decode(raw_data, "$.data", -1, True)
        raw_included = doc.get("included")
        if raw_included is None:
            raw_included = []
        elif type(raw_included) is not list:
            raise DecodeError("included must be a list", path="$.included")
        included = [decode(o, "$.included", i, True) for i, o in enumerate(raw_included)]
        primary = data if isinstance(data, list) else [] if data is None else [data]
        link([*primary, *included] if included else primary, linkers=self._linkers)
        links = doc.get("links")
        links = {} if links is None else links
        meta = doc.get("meta")
        meta = {} if meta is None else meta
        if type(links) is not dict:
            raise DecodeError("links must be an object", path="$.links")
        if type(meta) is not dict:
            raise DecodeError("meta must be an object", path="$.meta")
        return Document(data=data, included=included, links=links, meta=meta)

    def decode_data(self, raw: bytes, model: type[_R]) -> _R:
        """The one ``model`` of a single-resource document: what retrieve, create and update
        return, so the common shape skips building a ``Document``.

        Anything but that shape (an ``included`` member, bad JSON, the wrong type) goes
        through ``_decode_data_checked``, which gives the same model or the same error.
        On the fast path, the usual shape is decoded by one generated function
        (``_fastdecode.make_data_decoder``), which does what the lines below do.
        """
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            doc = None
        decoders = self._data_decoders
        if decoders is not None:
            try:
                fast = decoders[model]
            except KeyError:
                fast = decoders[model] = make_data_decoder(self.converter, model, self._link_one)
            if fast is not None:
                resource = fast(doc)
                if resource is not None:
                    return resource  # type: ignore[return-value]  # a ``model``, by its TYPE
        if type(doc) is dict and "included" not in doc:
            data, links, meta = doc.get("data"), doc.get("links"), doc.get("meta")
            if (
                type(data) is dict
                and (links is None or type(links) is dict)
                and (meta is None or type(meta) is dict)
            ):
                resource = self._decode_resource(data, "$.data", -1, True)
                if isinstance(resource, model):
                    for rel in resource.relationships.values():
                        if rel.loaded:  # something to resolve (see link())
                            link((resource,), linkers=self._linkers)
                            break
                    return resource
        return self._decode_data_checked(raw, model)

    def _link_one(self, resource: Resource) -> None:
        link((resource,), linkers=self._linkers)

    def _decode_data_checked(self, raw: bytes, model: type[_R]) -> _R:
        """The whole document, whose data must be one ``model``."""
        data = self.decode_document(raw).data
        if not isinstance(data, model):
            got = type(data).__name__ if data is not None else "no data"
            raise DecodeError(f"expected one {model.TYPE} resource, got {got}", path="$.data")
        return data

    def encode_resource(self, resource: Resource) -> dict[str, Any]:
        """A model back to its resource object (attributes under wire names, extras kept)."""
        if isinstance(resource, GenericResource):
            attributes: dict[str, Any] = dict(resource.attributes)
        else:
            attributes = {
                k: v for k, v in self.converter.unstructure(resource).items() if v is not None
            }
            attributes.update(resource.extra)
        out: dict[str, Any] = {"type": resource.type, "id": resource.id, "attributes": attributes}
        if resource.relationships:
            out["relationships"] = {
                k: self.converter.unstructure(v) for k, v in resource.relationships.items()
            }
        if resource.links:
            out["links"] = dict(resource.links)
        if resource.meta:
            out["meta"] = dict(resource.meta)
        return out

    def encode_write(
        self,
        type_name: str,
        attributes: Mapping[str, Any],
        *,
        relationships: Mapping[str, RelationshipValue | NotGiven] | None = None,
        id: str | None = None,
    ) -> bytes:
        """A request document: ``{"data": {"type", "id"?, "attributes", "relationships"?}}``.

        ``attributes`` and ``relationships`` use Python (snake_case) names; ``NOT_GIVEN``
        values are left out, ``None`` is sent as ``null``.
        """
        unstructure = self.converter.unstructure
        data: dict[str, Any] = {"type": type_name}
        if id is not None:
            data["id"] = id
        data["attributes"] = {
            to_camel(name): unstructure(value)
            for name, value in attributes.items()
            if value is not NOT_GIVEN
        }
        rels = {
            to_camel(name): {"data": _identifier_data(value)}
            for name, value in (relationships or {}).items()
            if value is not NOT_GIVEN
        }
        if rels:
            data["relationships"] = rels
        return orjson.dumps({"data": data})


def _identifier(value: ResourceIdentifier | Resource) -> dict[str, str]:
    return {"type": value.type, "id": value.id}


def _identifier_data(value: RelationshipValue) -> Any:
    if value is None:
        return None
    if isinstance(value, (ResourceIdentifier, Resource)):
        return _identifier(value)
    return [_identifier(v) for v in value]


def _first_reason(exc: BaseException, path: str) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        messages = cattrs.transform_error(exc, path=path)
        if messages:
            return messages[0]
    return str(exc) or type(exc).__name__
