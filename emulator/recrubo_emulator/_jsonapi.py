"""JSON:API documents: error objects, resource rendering and parsing of write documents."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ._ids import iso
from ._schema import BY_TYPE
from ._spec import Field, Rel, Spec
from ._store import Record

JSONAPI = "application/vnd.api+json"

_CODES: Mapping[int, tuple[str, str]] = {
    400: ("bad_request", "Bad Request"),
    401: ("unauthorized", "access denied"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not Found"),
    405: ("method_not_allowed", "Method Not Allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload_too_large", "Payload Too Large"),
    415: ("unsupported_media_type", "Unsupported Media Type"),
    422: ("unprocessable_entity", "Validation Error"),
    429: ("too_many_requests", "Too Many Requests"),
    500: ("internal_server_error", "Internal Server Error"),
    503: ("service_unavailable", "Service Unavailable"),
}

ErrorObject = dict[str, Any]


def error(
    status: int,
    detail: Any,
    *,
    pointer: str | None = None,
    parameter: str | None = None,
) -> ErrorObject:
    """One JSON:API error object (keys in the order the API's own examples use)."""
    code, title = _CODES.get(status, ("error", "Error"))
    obj: ErrorObject = {"code": code, "status": str(status), "title": title, "detail": detail}
    if pointer is not None:
        obj["source"] = {"pointer": pointer}
    elif parameter is not None:
        obj["source"] = {"parameter": parameter}
    return obj


def invalid(detail: str, pointer: str) -> ErrorObject:
    """A 422 validation error pointing into the request document."""
    return error(422, detail, pointer=pointer)


class ApiError(Exception):
    """An error answer; raised anywhere below the HTTP layer and rendered once there."""

    def __init__(
        self,
        status: int,
        errors: Sequence[ErrorObject],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.errors = list(errors)
        self.headers = dict(headers or {})

    @classmethod
    def one(
        cls,
        status: int,
        detail: Any,
        *,
        pointer: str | None = None,
        parameter: str | None = None,
    ) -> ApiError:
        """An ApiError holding a single error object."""
        return cls(status, [error(status, detail, pointer=pointer, parameter=parameter)])

    def document(self) -> dict[str, Any]:
        """The error document."""
        return {"errors": self.errors}


def _kebab(type_: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in type_)


def _path_of(type_: str) -> str:
    spec = BY_TYPE.get(type_)
    return spec.path if spec else _kebab(type_)


def _plain(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


Linkage = Mapping[str, Any]


class Renderer:
    """Renders records as JSON:API resource objects under one base path."""

    def __init__(self, base_path: str) -> None:
        self.base = base_path

    def resource(
        self,
        spec: Spec,
        rec: Record,
        *,
        fields: frozenset[str] | None = None,
        linkage: Linkage | None = None,
    ) -> dict[str, Any]:
        """A resource object; ``linkage`` maps relationship names to included records."""
        data = rec.data
        attributes = {
            f.name: _plain(data.get(f.name))
            for f in spec.visible
            if fields is None or f.name in fields
        }
        out: dict[str, Any] = {"id": rec.id, "type": spec.type, "attributes": attributes}
        rels: dict[str, Any] = {}
        for rel in spec.rels:
            if fields is not None and rel.name not in fields:
                continue
            obj = self._relationship(rel, rec)
            if linkage is not None and rel.name in linkage:
                obj["data"] = _identifiers(rel, linkage[rel.name])
            rels[rel.name] = obj
        if rels:
            out["relationships"] = rels
        return out

    def _relationship(self, rel: Rel, rec: Record) -> dict[str, Any]:
        target = _path_of(rel.target)
        if rel.kind == "fk":
            value = rec.data.get(rel.key)
            if value is None:
                return {"links": {"related": None}, "data": None}
            return {"links": {"related": f"{self.base}/{target}/{value}"}}
        if rel.kind == "reverse":
            return {"links": {"related": f"{self.base}/{target}?filter[{rel.key}]={rec.id}"}}
        ids = rec.data.get(rel.key) or []
        return {
            "links": {"related": f"{self.base}/{target}?filter[id]={','.join(ids)}"},
            "data": [{"type": rel.target, "id": i} for i in ids],
        }


def _identifiers(rel: Rel, value: Any) -> Any:
    if rel.to_many:
        return [{"type": r.type, "id": r.id} for r in value]
    if value is None:
        return None
    return {"type": value.type, "id": value.id}


def document(data: Any, *, included: list[dict[str, Any]] | None = None, **extra: Any) -> Any:
    """A top-level document with ``meta`` (and ``included`` when asked for)."""
    doc: dict[str, Any] = {"data": data}
    if included is not None:
        doc["included"] = included
    doc.update(extra)
    doc.setdefault("meta", {})
    return doc


# -- writes ------------------------------------------------------------------------------------


def kind_ok(kind: str, value: Any) -> bool:
    """Whether a written value has the field's kind."""
    if kind in ("string", "datetime"):
        return isinstance(value, str)
    if kind == "integer":
        # 5.0 is an integer to JSON Schema; stored values must fit a signed 64-bit integer
        # (the document's bounds; orjson writes no more).
        if isinstance(value, float):
            return value.is_integer() and abs(value) < 2**63
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    return True


_ARTICLE = {
    "string": "a string",
    "datetime": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
}


def blank(value: Any) -> bool:
    """Rails' idea of blank for a required value: missing, null or an empty string."""
    return value is None or (isinstance(value, str) and not value.strip())


class Write:
    """The parsed content of a POST or PATCH resource document."""

    def __init__(self) -> None:
        self.attributes: dict[str, Any] = {}
        self.relationships: dict[str, Any] = {}
        self.errors: list[ErrorObject] = []
        self.given: set[str] = set()  # attribute and relationship names present in the document


def parse_write(
    body: Any,
    spec: Spec,
    *,
    create: bool,
    url_id: str | None,
    strict: bool,
) -> Write:
    """Check a write document's structure (raising 400/409) and collect 422 problems."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise ApiError.one(400, "The request document must hold a `data` object", pointer="/data")
    data = body["data"]
    type_ = data.get("type")
    if not isinstance(type_, str):
        raise ApiError.one(400, "`type` is missing", pointer="/data/type")
    if type_ != spec.type:
        raise ApiError.one(
            409,
            f"type `{type_}` does not match this endpoint (`{spec.type}`)",
            pointer="/data/type",
        )
    if create and "id" in data:
        raise ApiError.one(
            403, "Client-generated ids are not supported: leave `id` out", pointer="/data/id"
        )
    if not create and "id" in data and data["id"] != url_id:
        raise ApiError.one(409, "id does not match the URL", pointer="/data/id")
    attributes = data.get("attributes", {})
    if not isinstance(attributes, dict):
        raise ApiError.one(400, "`attributes` must be an object", pointer="/data/attributes")
    relationships = data.get("relationships", {})
    if not isinstance(relationships, dict):
        raise ApiError.one(400, "`relationships` must be an object", pointer="/data/relationships")

    out = Write()
    out.given.update(attributes)
    out.given.update(relationships)
    for name, value in attributes.items():
        pointer = f"/data/attributes/{name}"
        f = spec.by_name.get(name)
        if f is None or (not f.visible and not (f.post or f.patch)):
            if strict:
                out.errors.append(invalid(f"{name} is not a known attribute", pointer))
            continue
        if not (f.post if create else f.patch):
            if strict:
                out.errors.append(invalid(f"{name} is read-only", pointer))
            continue
        problem = _check_value(f, value)
        if problem:
            out.errors.append(invalid(problem, pointer))
            continue
        out.attributes[name] = value

    for name, value in relationships.items():
        pointer = f"/data/relationships/{name}"
        rel = spec.rel_by_name.get(name)
        if rel is None or not (rel.post if create else rel.patch):
            if strict:
                what = "is not a known relationship" if rel is None else "is read-only"
                out.errors.append(invalid(f"{name} {what}", pointer))
            continue
        parsed = _linkage(rel, value, pointer, out.errors)
        if parsed is not _BAD:
            out.relationships[name] = parsed
    return out


def _check_value(f: Field, value: Any) -> str | None:
    if value is None:
        return f"{f.name} can't be blank" if f.required else None
    if not kind_ok(f.kind, value):
        return f"{f.name} must be {_ARTICLE.get(f.kind, 'valid')}"
    if f.required and blank(value):
        return f"{f.name} can't be blank"
    if f.enum and value not in f.enum:
        return f"{f.name} is not included in the list ({', '.join(f.enum)})"
    if f.pattern is not None and not re.fullmatch(f.pattern, value):
        return f"{f.name} is invalid: {f.pattern_hint or 'expected ' + f.pattern}"
    return None


_BAD = object()


def _linkage(rel: Rel, value: Any, pointer: str, errors: list[ErrorObject]) -> Any:
    if not isinstance(value, dict) or "data" not in value:
        errors.append(invalid(f"{rel.name} must be an object with `data`", pointer))
        return _BAD
    data = value["data"]
    items = data if rel.to_many else [data]
    if rel.to_many and not isinstance(data, list):
        errors.append(invalid(f"{rel.name} takes a list of identifiers", f"{pointer}/data"))
        return _BAD
    if not rel.to_many and data is None:
        return None
    ids: list[str] = []
    for i, item in enumerate(items):
        where = f"{pointer}/data/{i}" if rel.to_many else f"{pointer}/data"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            errors.append(invalid(f"{rel.name} needs a resource identifier", where))
            return _BAD
        if item.get("type") != rel.target:
            errors.append(invalid(f"{rel.name} must point to `{rel.target}`", f"{where}/type"))
            return _BAD
        ids.append(item["id"])
    return ids if rel.to_many else ids[0]
