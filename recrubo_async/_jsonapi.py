"""JSON:API documents: bytes <-> typed models, through the one converter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs
import cattrs
import orjson

from ._compound import link
from ._converter import ENVELOPE_KEYS, make_converter
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
    """Decodes response documents and encodes request documents."""

    def __init__(self) -> None:
        self.converter = make_converter()
        self._known: dict[type[Resource], frozenset[str]] = {}

    def _known_keys(self, cls: type[Resource]) -> frozenset[str]:
        known = self._known.get(cls)
        if known is None:
            known = frozenset(wire_name_of(f) for f in attribute_fields(cls))
            self._known[cls] = known
        return known

    def decode_resource(self, obj: object, *, path: str = "$.data") -> Resource:
        """One resource object to its model (``GenericResource`` for unknown types).

        Its relationship fields hold ``ResourceIdentifier``s (or itself, if it points at
        itself): a lone resource object has nothing included.
        """
        model = self._decode_resource(obj, path=path)
        link((model,))
        return model

    def _decode_resource(self, obj: object, *, path: str) -> Resource:
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
        if not isinstance(doc, Mapping):
            raise DecodeError("a JSON:API document must be an object")
        raw_data = doc.get("data")
        data: Resource | list[Resource] | None
        if raw_data is None:
            data = None
        elif isinstance(raw_data, list):
            data = [self._decode_resource(o, path=f"$.data[{i}]") for i, o in enumerate(raw_data)]
        else:
            data = self._decode_resource(raw_data, path="$.data")
        raw_included = doc.get("included")
        if raw_included is None:
            raw_included = []
        elif not isinstance(raw_included, list):
            raise DecodeError("included must be a list", path="$.included")
        included = [
            self._decode_resource(o, path=f"$.included[{i}]") for i, o in enumerate(raw_included)
        ]
        primary = data if isinstance(data, list) else [] if data is None else [data]
        link([*primary, *included])
        links = doc.get("links")
        links = {} if links is None else links
        meta = doc.get("meta")
        meta = {} if meta is None else meta
        if not isinstance(links, Mapping):
            raise DecodeError("links must be an object", path="$.links")
        if not isinstance(meta, Mapping):
            raise DecodeError("meta must be an object", path="$.meta")
        return Document(data=data, included=included, links=links, meta=meta)

    def decode_one(self, raw: bytes, model: type[_R]) -> tuple[_R, Document[Resource]]:
        """A single-resource document whose data must be a ``model``."""
        doc = self.decode_document(raw)
        if not isinstance(doc.data, model):
            got = type(doc.data).__name__ if doc.data is not None else "no data"
            raise DecodeError(f"expected one {model.TYPE} resource, got {got}", path="$.data")
        return doc.data, doc

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
