"""An OpenAPI 3.1 description of the emulated API, generated from the resource specs."""

from __future__ import annotations

from typing import Any

import attrs

from ._jsonapi import JSONAPI
from ._openapi_values import (
    CREATE_RULES,
    HTTP_URL,
    NOT_BLANK,
    URLS,
    VALUES,
    WEBHOOK_SECRET,
)
from ._query import MAX_PAGE_NUMBER, MAX_PAGE_SIZE, OPERATORS, value_list_pattern
from ._schema import MANAGEMENT_ORGANIZATIONS, ORGANIZATIONS, RESOURCES, spec_for
from ._spec import Field, Rel, Spec

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
    kinds: dict[str, dict[str, Any]] = {
        "string": {"type": "string"},
        "datetime": {"type": "string", "format": "date-time"},
        "integer": {"type": "integer", "minimum": -(2**63) + 1, "maximum": 2**63 - 1},
        "number": {"type": "number"},
        "boolean": {"type": "boolean"},
        "object": {"type": "object"},
        "array": {"type": "array"},
    }
    base = dict(kinds.get(f.kind, {}))
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


def _value_schema(spec: Spec, f: Field) -> dict[str, Any]:
    """A written attribute's value: never null or blank when the field is required (in a
    PATCH too); null otherwise allowed."""
    special = VALUES.get((spec.type, f.name))
    required = f.required
    if f.name == "webhookSecret" and spec.patch_required:
        special, required = WEBHOOK_SECRET, True
    elif f.name in URLS:
        special = HTTP_URL
    if special is None:
        base = _kind_schema(f, nullable=False)
        if required and f.kind == "string" and not f.enum and f.pattern is None:
            base.update(NOT_BLANK)
    else:
        base = dict(special)
    if required:
        return base
    return {"anyOf": [base, {"type": "null"}]}


def _identifier(target: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"type": {"const": target}, "id": {"type": "string"}},
        "required": ["type", "id"],
    }


def _linkage_schema(r: Rel) -> dict[str, Any]:
    if r.to_many:
        data: dict[str, Any] = {"type": "array", "items": _identifier(r.target)}
    elif r.required:
        data = _identifier(r.target)
    else:
        data = {"anyOf": [_identifier(r.target), {"type": "null"}]}
    return {"type": "object", "properties": {"data": data}, "required": ["data"]}


def _write_schema(spec: Spec, *, create: bool) -> dict[str, Any]:
    fields = [f for f in spec.fields if (f.post if create else f.patch)]
    required = [f.name for f in fields if (f.required if create else f.name in spec.patch_required)]
    attributes: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: _value_schema(spec, f) for f in fields},
        "additionalProperties": False,
    }
    if required:
        attributes["required"] = required
    if create and spec.type in CREATE_RULES:
        attributes["allOf"] = CREATE_RULES[spec.type]
    writable = [r for r in spec.rels if (r.post if create else r.patch)]
    data: dict[str, Any] = {
        "type": "object",
        "properties": {"type": {"const": spec.type}, "attributes": attributes},
        "required": ["type", *(["attributes"] if required else [])],
    }
    if create:
        # JSON:API: a server that takes no client-generated ids answers 403 to one.
        data["properties"]["id"] = {"not": {}, "description": "not allowed: answered 403"}
    else:
        data["properties"]["id"] = {"type": "string", "description": "the id in the URL"}
    if writable:
        data["properties"]["relationships"] = {
            "type": "object",
            "properties": {r.name: _linkage_schema(r) for r in writable},
            "additionalProperties": False,
        }
        needed = [r.name for r in writable if create and r.required]
        if needed:
            data["properties"]["relationships"]["required"] = needed
            data["required"].append("relationships")
        # A relationship and its attribute (flow, flowId) in one write: one or the other.
        keys = {f.name for f in fields}
        both = [r for r in writable if r.key in keys]
        if both:
            data["allOf"] = [
                {
                    "if": {
                        "properties": {"relationships": {"required": [r.name]}},
                        "required": ["relationships"],
                    },
                    "then": {"properties": {"attributes": {"not": {"required": [r.key]}}}},
                }
                for r in both
            ]
    return {"type": "object", "properties": {"data": data}, "required": ["data"]}


def _read_schema(spec: Spec) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "type": {"const": spec.type},
            "attributes": {
                "type": "object",
                # Without the write enums: a stored status may be one no write sets (queued).
                "properties": {
                    f.name: _kind_schema(attrs.evolve(f, enum=()), nullable=True)
                    for f in spec.visible
                },
            },
            "relationships": {
                "type": "object",
                "properties": {r.name: _ref("Relationship") for r in spec.rels},
            },
        },
        "required": ["id", "type", "attributes"],
    }


def _names_pattern(names: list[str], *, empty: bool) -> str:
    """An anchored pattern for a comma-separated list of ``names`` (or nothing)."""
    one = "(?:" + "|".join(names) + ")"
    listed = f"{one}(?:,{one})*"
    return f"^(?:{listed})?$" if empty else f"^{listed}$"


def _filter_value(f: Field) -> dict[str, Any]:
    pattern = value_list_pattern(f.kind)
    if pattern is not None:
        return {"type": "string", "pattern": pattern}
    if f.kind == "datetime":
        return {
            "type": "string",
            "format": "date-time",
            "description": "a moment; also a date (2022-02-05) or a comma-separated list",
        }
    return {"type": "string", "minLength": 1}


def _query_parameters(spec: Spec) -> list[dict[str, Any]]:
    filterable = [f for f in spec.fields if f.kind not in ("object", "array", "any")]
    sortable = ["id", *(f.name for f in filterable if f.visible)]
    keys = [f"-?{name}" for name in sortable]
    return [
        {
            "name": "filter",
            "in": "query",
            "style": "deepObject",
            "explode": True,
            "description": "filter[field]=v or filter[field][op]=v; ops: "
            + ", ".join(OPERATORS)
            + "; comma-separated values mean any of; null means no value; snake_case names "
            "accepted. An empty value is refused (400): leave the filter out.",
            "schema": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    **{f.name: _filter_value(f) for f in filterable},
                },
                "additionalProperties": False,
            },
        },
        {
            "name": "sort",
            "in": "query",
            "description": "Comma-separated keys; prefix - for descending.",
            "schema": {"type": "string", "pattern": _names_pattern(keys, empty=False)},
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
                    "number": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_PAGE_NUMBER,
                        "default": 1,
                    },
                },
                "additionalProperties": False,
            },
        },
        *_common_parameters(spec),
    ]


def _fieldsets(spec: Spec) -> dict[str, Any]:
    """``fields[type]`` for the primary type and the types it includes directly: a
    comma-separated list of the type's attributes and relationships (empty: none)."""
    out: dict[str, Any] = {}
    for type_ in [spec.type, *(r.target for r in spec.rels)]:
        other = spec if type_ == spec.type else spec_for(type_)
        if other is None or type_ in out:
            continue
        names = [f.name for f in other.visible] + [r.name for r in other.rels]
        out[type_] = {"type": "string", "pattern": _names_pattern(names, empty=True)}
    return {
        "type": "object",
        "properties": out,
        "additionalProperties": {"type": "string"},
        "propertyNames": {"pattern": "^[^\\[\\]]*$"},
        "description": "a fieldset for a type the answer holds none of has no effect; a "
        "name that is not one of the type's fields is refused (400)",
    }


def _common_parameters(spec: Spec) -> list[dict[str, Any]]:
    rels = [r.name for r in spec.rels]
    include: dict[str, Any] = {"type": "string"}
    if rels:
        include["pattern"] = _names_pattern(rels, empty=True)
    else:
        include["maxLength"] = 0
    return [
        {
            "name": "include",
            "in": "query",
            "description": "Comma-separated relationship paths (dotted for nested, which this "
            "pattern leaves out).",
            "schema": include,
        },
        {
            "name": "fields",
            "in": "query",
            "style": "deepObject",
            "explode": True,
            "description": "Sparse fieldsets: fields[type]=a,b.",
            "schema": _fieldsets(spec),
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


def _links(name: str, verbs: frozenset[str], *wanted: str) -> dict[str, Any]:
    """OpenAPI links from an answer holding one ``name`` to the operations on it."""
    ops = {"show": "get", "update": "update", "delete": "delete"}
    out: dict[str, Any] = {}
    for verb in wanted:
        if verb in verbs:
            out[f"{ops[verb].capitalize()}{name}"] = {
                "operationId": f"{ops[verb]}{name}",
                "parameters": {"id": "$response.body#/data/id"},
            }
    return out


def _operations(
    spec: Spec, prefix: str, security: str, name: str = ""
) -> dict[str, dict[str, Any]]:
    """The operations of one spec; ``name`` (default: its title) names them
    (``getOrganization``) and must be unique in the document."""
    title = spec.title
    name = name or title
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
            "operationId": f"list{name}",
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
        created = _responses("201", f"{title} created", one)
        created["201"]["links"] = _links(name, verbs, "show", "update", "delete")
        created["403"] = {
            "description": "Forbidden: a client-generated id (data.id)",
            "content": {JSONAPI: {"schema": _ref("Errors")}},
        }
        collection["post"] = {
            "operationId": f"create{name}",
            "security": sec,
            "parameters": params,
            "requestBody": _request_body(_ref(f"{name}Create")),
            "responses": created,
        }
    if "show" in verbs:
        found = _responses("200", f"{title} found", one)
        found["200"]["links"] = _links(name, verbs, "update", "delete")
        item["get"] = {
            "operationId": f"get{name}",
            "security": sec,
            "parameters": _common_parameters(spec),
            "responses": found,
        }
    if "update" in verbs:
        updated = _responses("200", f"{title} updated", one)
        updated["200"]["links"] = _links(name, verbs, "show", "delete")
        item["patch"] = {
            "operationId": f"update{name}",
            "security": sec,
            "requestBody": _request_body(_ref(f"{name}Update")),
            "responses": updated,
        }
    if "delete" in verbs:
        item["delete"] = {
            "operationId": f"delete{name}",
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
    # One read schema (the management view adds the token); the writes differ by route.
    schemas["Organization"] = _read_schema(MANAGEMENT_ORGANIZATIONS)
    management = "ManagementOrganization"
    schemas[f"{management}Create"] = _write_schema(MANAGEMENT_ORGANIZATIONS, create=True)
    schemas[f"{management}Update"] = _write_schema(MANAGEMENT_ORGANIZATIONS, create=False)
    schemas["OrganizationUpdate"] = _write_schema(ORGANIZATIONS, create=False)
    paths.update(
        _operations(MANAGEMENT_ORGANIZATIONS, "management/organizations", "partnerKey", management)
    )
    paths.update(_operations(ORGANIZATIONS, "organizations", "organizationKey"))
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
                        "originUrl": HTTP_URL,
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
