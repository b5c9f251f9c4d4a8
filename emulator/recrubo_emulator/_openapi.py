"""An OpenAPI 3.1 description of the emulated API, generated from the resource specs."""

from __future__ import annotations

from typing import Any

from ._jsonapi import JSONAPI
from ._query import MAX_PAGE_SIZE, OPERATORS
from ._schema import MANAGEMENT_ORGANIZATIONS, ORGANIZATIONS, RESOURCES
from ._spec import Field, Spec

_ERRORS = {
    "400": "Bad request (malformed JSON or document, bad query parameter)",
    "401": "access denied",
    "404": "Not found",
    "405": "Method not allowed",
    "409": "Conflict (type or id does not match)",
    "415": "Unsupported media type",
    "422": "Validation error",
    "429": "Too many requests",
    "500": "Internal server error",
    "503": "Service unavailable",
}


def _kind_schema(f: Field, *, nullable: bool) -> dict[str, Any]:
    base: dict[str, Any] = {
        "string": {"type": "string"},
        "datetime": {"type": "string", "format": "date-time"},
        "integer": {"type": "integer"},
        "number": {"type": "number"},
        "boolean": {"type": "boolean"},
        "object": {"type": "object"},
        "array": {"type": "array"},
    }.get(f.kind, {})
    base = dict(base)
    if f.enum:
        base["enum"] = [*f.enum, None] if nullable else list(f.enum)
    if f.pattern is not None:
        base["pattern"] = f"^(?:{f.pattern})$"
    if nullable and "type" in base:
        base["type"] = [base["type"], "null"]
    return base


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _request_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSONAPI: {"schema": schema}}}


def _write_schema(spec: Spec, *, create: bool) -> dict[str, Any]:
    fields = [f for f in spec.fields if (f.post if create else f.patch)]
    attributes: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: _kind_schema(f, nullable=not f.required) for f in fields},
        "additionalProperties": False,
    }
    required = [f.name for f in fields if (f.required if create else f.name in spec.patch_required)]
    if required:
        attributes["required"] = required
    rels = {
        r.name: {
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": _ref("Identifier")}
                if r.to_many
                else {"oneOf": [_ref("Identifier"), {"type": "null"}]}
            },
            "required": ["data"],
            "x-target-type": r.target,
        }
        for r in spec.rels
        if (r.post if create else r.patch)
    }
    data: dict[str, Any] = {
        "type": "object",
        "properties": {
            "type": {"const": spec.type},
            "id": {"type": "string"},
            "attributes": attributes,
        },
        "required": ["type"],
    }
    if rels:
        data["properties"]["relationships"] = {
            "type": "object",
            "properties": rels,
            "additionalProperties": False,
        }
    return {"type": "object", "properties": {"data": data}, "required": ["data"]}


def _read_schema(spec: Spec) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "type": {"const": spec.type},
            "attributes": {
                "type": "object",
                "properties": {f.name: _kind_schema(f, nullable=True) for f in spec.visible},
            },
            "relationships": {
                "type": "object",
                "properties": {r.name: _ref("Relationship") for r in spec.rels},
            },
        },
        "required": ["id", "type", "attributes"],
    }


def _query_parameters(spec: Spec) -> list[dict[str, Any]]:
    filterable = [f for f in spec.fields if f.kind not in ("object", "array", "any")]
    sortable = [f.name for f in filterable if f.visible]
    return [
        {
            "name": "filter",
            "in": "query",
            "style": "deepObject",
            "explode": True,
            "description": "filter[field]=v or filter[field][op]=v; ops: "
            + ", ".join(OPERATORS)
            + "; comma-separated values mean any of; snake_case names accepted.",
            "schema": {
                "type": "object",
                "properties": {
                    name: {"type": "string"} for name in ["id", *(f.name for f in filterable)]
                },
                "additionalProperties": False,
            },
        },
        {
            "name": "sort",
            "in": "query",
            "description": "Comma-separated keys; prefix - for descending.",
            "schema": {"type": "string", "x-sort-fields": ["id", *sortable]},
        },
        {
            "name": "page",
            "in": "query",
            "style": "deepObject",
            "explode": True,
            "schema": {
                "type": "object",
                "properties": {
                    "size": {
                        "type": "integer",
                        "minimum": 1,
                        "default": 25,
                        "description": f"clamped at {MAX_PAGE_SIZE}",
                    },
                    "number": {"type": "integer", "minimum": 1, "default": 1},
                },
                "additionalProperties": False,
            },
        },
        *_common_parameters(spec),
    ]


def _common_parameters(spec: Spec) -> list[dict[str, Any]]:
    return [
        {
            "name": "include",
            "in": "query",
            "description": "Comma-separated relationship paths (dotted for nested).",
            "schema": {"type": "string", "x-relationships": [r.name for r in spec.rels]},
        },
        {
            "name": "fields",
            "in": "query",
            "style": "deepObject",
            "explode": True,
            "description": "Sparse fieldsets: fields[type]=a,b.",
            "schema": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    ]


def _responses(ok: str, description: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if schema is None:
        out[ok] = {"description": description}
    else:
        out[ok] = {"description": description, "content": {JSONAPI: {"schema": schema}}}
    for code, text in _ERRORS.items():
        out[code] = {"description": text, "content": {JSONAPI: {"schema": _ref("Errors")}}}
    return out


def _operations(spec: Spec, prefix: str, security: str) -> dict[str, dict[str, Any]]:
    title = spec.title
    sec: list[dict[str, list[str]]] = [{security: []}]
    one = {
        "type": "object",
        "properties": {
            "data": _ref(title),
            "included": {"type": "array"},
            "meta": {"type": "object"},
        },
    }
    many = {
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": _ref(title)},
            "included": {"type": "array"},
            "links": _ref("PageLinks"),
            "meta": _ref("PageMeta"),
        },
    }
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    collection: dict[str, Any] = {}
    item: dict[str, Any] = {"parameters": [id_param]}
    verbs = spec.verbs
    if "list" in verbs:
        collection["get"] = {
            "operationId": f"list{title}",
            "security": sec,
            "parameters": _query_parameters(spec),
            "responses": _responses("200", f"{title} list", many),
        }
    if "create" in verbs:
        params = []
        if spec.type in ("flowGenerations", "vacancyAnalyses"):
            params.append(
                {
                    "name": "sync",
                    "in": "query",
                    "description": "Sandbox only: answer with the finished resource.",
                    "schema": {"type": "boolean"},
                }
            )
        collection["post"] = {
            "operationId": f"create{title}",
            "security": sec,
            "parameters": params,
            "requestBody": _request_body(_ref(f"{title}Create")),
            "responses": _responses("201", f"{title} created", one),
        }
    if "show" in verbs:
        item["get"] = {
            "operationId": f"get{title}",
            "security": sec,
            "parameters": _common_parameters(spec),
            "responses": _responses("200", f"{title} found", one),
        }
    if "update" in verbs:
        item["patch"] = {
            "operationId": f"update{title}",
            "security": sec,
            "requestBody": _request_body(_ref(f"{title}Update")),
            "responses": _responses("200", f"{title} updated", one),
        }
    if "delete" in verbs:
        item["delete"] = {
            "operationId": f"delete{title}",
            "security": sec,
            "responses": _responses("204", f"{title} deleted", None),
        }
    out = {}
    if len(collection) > 0:
        out[f"/{prefix}"] = collection
    if len(item) > 1:
        out[f"/{prefix}/{{id}}"] = item
    return out


def build_openapi(base_path: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document; paths are relative to the server URL ``base_path``."""
    schemas: dict[str, Any] = {
        "Identifier": {
            "type": "object",
            "properties": {"type": {"type": "string"}, "id": {"type": "string"}},
            "required": ["type", "id"],
        },
        "Relationship": {
            "type": "object",
            "properties": {"links": {"type": "object"}, "data": {}},
        },
        "Error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "status": {"type": "string"},
                "title": {"type": "string"},
                "detail": {},
                "source": {"type": "object"},
            },
            "required": ["status", "title"],
        },
        "Errors": {
            "type": "object",
            "properties": {"errors": {"type": "array", "items": _ref("Error")}},
            "required": ["errors"],
        },
        "PageLinks": {
            "type": "object",
            "properties": {
                k: {"type": ["string", "null"], "format": "uri"}
                for k in ("self", "first", "prev", "next", "last")
            },
        },
        "PageMeta": {
            "type": "object",
            "properties": {
                "total": {"type": "integer"},
                "pageCount": {"type": "integer"},
                "pageSize": {"type": "integer"},
                "pageNumber": {"type": "integer"},
            },
        },
    }
    paths: dict[str, Any] = {}
    for spec in RESOURCES:
        schemas[spec.title] = _read_schema(spec)
        schemas[f"{spec.title}Create"] = _write_schema(spec, create=True)
        schemas[f"{spec.title}Update"] = _write_schema(spec, create=False)
        paths.update(_operations(spec, spec.path, "organizationKey"))
    schemas["Organization"] = _read_schema(MANAGEMENT_ORGANIZATIONS)
    schemas["OrganizationCreate"] = _write_schema(MANAGEMENT_ORGANIZATIONS, create=True)
    schemas["OrganizationUpdate"] = _write_schema(MANAGEMENT_ORGANIZATIONS, create=False)
    schemas["OrganizationWebhookUpdate"] = _write_schema(ORGANIZATIONS, create=False)
    paths.update(_operations(MANAGEMENT_ORGANIZATIONS, "management/organizations", "partnerKey"))
    standard = _operations(ORGANIZATIONS, "organizations", "organizationKey")
    standard["/organizations/{id}"]["patch"]["requestBody"] = _request_body(
        _ref("OrganizationWebhookUpdate")
    )
    paths.update(standard)
    paths["/management/refresh-token/{id}"] = {
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "post": {
            "operationId": "refreshOrganizationToken",
            "security": [{"partnerKey": []}],
            "responses": _responses("200", "Organization with a new token", None),
        },
    }
    paths["/embed/authenticate"] = {
        "post": {
            "operationId": "embedAuthenticate",
            "security": [{"organizationKey": []}],
            "requestBody": _request_body(
                {
                    "type": "object",
                    "properties": {
                        "userId": {"type": "string"},
                        "originUrl": {"type": "string", "format": "uri"},
                    },
                    "required": ["userId", "originUrl"],
                }
            ),
            "responses": _responses("200", "Embed token", None),
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Recrubo API v2 (emulated)",
            "version": "2",
            "description": "JSON:API; as served by recrubo_emulator.Emulator.",
        },
        "servers": [{"url": base_path}],
        "security": [{"organizationKey": []}],
        "components": {
            "securitySchemes": {
                "organizationKey": {"type": "http", "scheme": "bearer"},
                "partnerKey": {"type": "http", "scheme": "bearer"},
            },
            "schemas": schemas,
        },
        "paths": paths,
    }
