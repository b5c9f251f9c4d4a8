"""Per-type write rules beyond the schema: cross-field validation, server defaults, side effects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from ._engine import Engine
from ._flowbuilder import FIELD_SUBTYPES
from ._jobs import TERMINAL_RUN, Jobs
from ._jsonapi import ApiError, Write, error, invalid
from ._schema import BY_TYPE, SUBSCRIBABLE, Spec, attribute_names
from ._store import OrgData, Record

#: The pointer the API itself uses for every FlowGeneration parameter problem (see the seed's
#: 422 example).
PARAMETER_POINTER = "/data/relationships/parameter"
_LISTS = ("knockoutRequirements", "preferredRequirements", "requiredFields", "optionalFields")
_MESSAGE_TYPES = ("text", "template", "image", "video", "audio", "document")
_COMPONENT_TYPES = ("HEADER", "BODY", "FOOTER", "BUTTONS")
_CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION", "AUTHORIZATION")


def is_http_url(value: Any) -> bool:
    """Whether a value is an absolute http(s) URL with a host."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@attrs.define
class WriteContext:
    """A write being validated: the parsed document, the values it sets, and the record."""

    engine: Engine
    org: Record
    data: OrgData
    spec: Spec
    write: Write
    values: dict[str, Any]
    rec: Record | None = None

    @property
    def creating(self) -> bool:
        """Whether this is a POST."""
        return self.rec is None

    def get(self, name: str) -> Any:
        """The value after the write: the new one if written, else the stored one."""
        if name in self.values:
            return self.values[name]
        return None if self.rec is None else self.rec.data.get(name)

    def err(self, detail: str, pointer: str) -> None:
        """Record a 422 problem."""
        self.write.errors.append(invalid(detail, pointer))


def resolve_values(ctx: WriteContext) -> None:
    """Fold relationships into their backing fields; check references and required fields."""
    spec, write, values = ctx.spec, ctx.write, ctx.values
    values.update(write.attributes)
    for name, target in write.relationships.items():
        rel = spec.rel_by_name[name]
        if rel.key in write.attributes and write.attributes[rel.key] != target:
            ctx.err(f"{name} and {rel.key} disagree", f"/data/relationships/{name}")
        values[rel.key] = target
    for rel in spec.rels:
        if rel.kind == "reverse" or rel.target not in BY_TYPE or values.get(rel.key) is None:
            continue
        pointer = (
            f"/data/relationships/{rel.name}"
            if rel.name in write.relationships
            else f"/data/attributes/{rel.key}"
        )
        ids = values[rel.key] if rel.to_many else [values[rel.key]]
        missing = [i for i in ids if not isinstance(i, str) or ctx.data.get(rel.target, i) is None]
        if missing:
            ctx.err(f"{rel.name} not found: {', '.join(map(str, missing))}", pointer)
    if ctx.creating:
        for f in spec.fields:
            if f.required and f.name not in values and f.name not in write.given:
                rel_name = next((r.name for r in spec.rels if r.key == f.name), None)
                if rel_name is None or rel_name not in write.given:
                    ctx.err(f"{f.name} can't be blank", f"/data/attributes/{f.name}")
        for rel in spec.rels:
            if rel.required and rel.key not in values and rel.name not in write.given:
                ctx.err(f"{rel.name} can't be blank", f"/data/relationships/{rel.name}")
    else:
        for name in spec.patch_required:
            if name not in write.given:
                ctx.err(f"{name} can't be blank", f"/data/attributes/{name}")


class Behaviour:
    """Rules for one type; the defaults do nothing."""

    def check(self, ctx: WriteContext) -> None:
        """Add 422 problems (or raise an ApiError) for writes the schema alone cannot judge."""

    def defaults(self, ctx: WriteContext) -> None:
        """Fill server-set fields of a new record."""

    def derive(self, ctx: WriteContext) -> None:
        """Compute fields that follow from written ones (POST and PATCH)."""

    def created(self, engine: Engine, jobs: Jobs, rec: Record, *, sync: bool) -> None:
        """React once a new record is stored."""

    def updated(self, engine: Engine, jobs: Jobs, rec: Record, changed: list[str]) -> None:
        """React once a PATCH is stored (``changed``: the attributes that changed)."""


class _FlowGenerations(Behaviour):
    def check(self, ctx: WriteContext) -> None:
        params = ctx.values.get("parameters")
        if not isinstance(params, dict) or ctx.values.get("flowType") != "vacancy_application_flow":
            return
        for name in ("knockoutRequirements", "requiredFields"):
            if params.get(name) is None:
                ctx.err(f"Parameter {name} can't be blank", PARAMETER_POINTER)
        for name in _LISTS:
            items = params.get(name)
            if items is None:
                continue
            if not isinstance(items, list) or not all(_requirement(i) for i in items):
                ctx.err(f"Parameter {name} is invalid", PARAMETER_POINTER)
            elif name.endswith("Fields"):
                bad = [str(i["value"]) for i in items if i["value"] not in FIELD_SUBTYPES]
                if bad:
                    ctx.err(f"{name} contains invalid fields: {', '.join(bad)}", PARAMETER_POINTER)
        extra = params.get("extraOptions")
        if extra is not None and not (
            isinstance(extra, list)
            and all(isinstance(o, dict) and isinstance(o.get("value"), str) for o in extra)
        ):
            ctx.err("Parameter extraOptions is invalid", PARAMETER_POINTER)
        vacancy_id = params.get("vacancyId")
        if vacancy_id is not None:
            if not isinstance(vacancy_id, str) or ctx.data.get("vacancies", vacancy_id) is None:
                ctx.err("Parameter vacancyId not found", PARAMETER_POINTER)
            return
        context = ctx.values.get("context")
        if context is None:
            ctx.err("context can't be blank", "/data/attributes/context")
        elif not (
            context.get("type") == "text"
            and isinstance(context.get("value"), str)
            and context["value"].strip()
        ):
            ctx.err(
                'context must be {"type": "text", "value": <vacancy text>}',
                "/data/attributes/context",
            )

    def defaults(self, ctx: WriteContext) -> None:
        ctx.values["status"] = "queued"

    def created(self, engine: Engine, jobs: Jobs, rec: Record, *, sync: bool) -> None:
        jobs.started(rec, sync=sync)


def _requirement(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("value"), str)
        and bool(item["value"].strip())
        and isinstance(item.get("sessionField", ""), (str, type(None)))
    )


class _Started(Behaviour):
    """Types whose creation starts a job (and nothing else)."""

    def __init__(self, **defaults: Any) -> None:
        self._defaults = defaults

    def defaults(self, ctx: WriteContext) -> None:
        for key, value in self._defaults.items():
            ctx.values.setdefault(key, value() if callable(value) else value)

    def created(self, engine: Engine, jobs: Jobs, rec: Record, *, sync: bool) -> None:
        jobs.started(rec, sync=sync)


class _FlowRuns(_Started):
    def __init__(self) -> None:
        super().__init__(state=dict, initialMessage=dict, cost=0)

    def check(self, ctx: WriteContext) -> None:
        if ctx.rec is None:
            self._check_initial_message(ctx)
            return
        status = ctx.rec.data["status"]
        if "status" in ctx.values and status in TERMINAL_RUN:
            ctx.err(
                f"status can't be changed once the flow run is {status}", "/data/attributes/status"
            )
        if "state" in ctx.values and ctx.get("status") == "running":
            ctx.err(
                "state can only be updated when the flow run is not running",
                "/data/attributes/state",
            )

    @staticmethod
    def _check_initial_message(ctx: WriteContext) -> None:
        """WhatsApp only lets a business open a conversation with an approved template."""
        message = ctx.values.get("initialMessage")
        if not message:
            return
        pointer = "/data/attributes/initialMessage"
        kind = message.get("type")
        if kind not in _MESSAGE_TYPES:
            ctx.err(f"initialMessage type must be one of {', '.join(_MESSAGE_TYPES)}", pointer)
            return
        thread_id = ctx.values.get("messageThreadId")
        thread = ctx.data.get("messageThreads", thread_id) if isinstance(thread_id, str) else None
        if thread is not None and thread.data.get("channel") == "whatsapp" and kind != "template":
            ctx.err("on WhatsApp the initialMessage must be a template message", pointer)
            return
        if kind == "template":
            template = message.get("template")
            tid = template.get("id") if isinstance(template, dict) else None
            if not isinstance(tid, str) or ctx.data.get("messageTemplates", tid) is None:
                ctx.err("initialMessage template.id is not a message template", pointer)

    def defaults(self, ctx: WriteContext) -> None:
        super().defaults(ctx)
        ctx.values["status"] = "queued"

    def updated(self, engine: Engine, jobs: Jobs, rec: Record, changed: list[str]) -> None:
        if "status" in changed:
            jobs.forget(rec)


class _Messages(_Started):
    def __init__(self) -> None:
        super().__init__(origin="outbound", deliveryStatus="accepted", errorMessages=list)

    def check(self, ctx: WriteContext) -> None:
        payload = ctx.values.get("payload")
        if payload is None:
            return
        pointer = "/data/attributes/payload"
        kind = payload.get("type")
        if kind not in _MESSAGE_TYPES:
            ctx.err(f"payload type must be one of {', '.join(_MESSAGE_TYPES)}", pointer)
        elif kind == "text":
            body = payload.get("text") or payload.get("attributes")
            if not (isinstance(body, dict) and isinstance(body.get("value"), str)):
                ctx.err("a text payload needs text.value", pointer)
        elif kind == "template":
            template = payload.get("template")
            if not (isinstance(template, dict) and isinstance(template.get("id"), str)):
                ctx.err("a template payload needs template.id", pointer)


class _MessageTemplates(_Started):
    def __init__(self) -> None:
        super().__init__(status="PENDING")

    def check(self, ctx: WriteContext) -> None:
        components = ctx.values.get("components")
        if isinstance(components, list):
            for i, comp in enumerate(components):
                if not (
                    isinstance(comp, dict)
                    and str(comp.get("type", "")).upper() in _COMPONENT_TYPES
                    and isinstance(comp.get("text", ""), str)
                ):
                    ctx.err(
                        "component needs a type (HEADER, BODY, FOOTER or BUTTONS) and text",
                        f"/data/attributes/components/{i}",
                    )
            if not any(
                isinstance(c, dict) and str(c.get("type", "")).upper() == "BODY" for c in components
            ):
                ctx.err("components must contain a BODY component", "/data/attributes/components")
        category = ctx.values.get("category")
        if isinstance(category, str) and category.upper() not in _CATEGORIES:
            ctx.err(
                f"category must be one of {', '.join(_CATEGORIES)}", "/data/attributes/category"
            )
        if ctx.write.errors:
            return
        name, language = ctx.values.get("name"), ctx.values.get("language")
        for other in ctx.data.tables["messageTemplates"].values():
            if other.data["name"] == name and other.data["language"] == language:
                # Mirrors the API's pass-through of Meta's error (see the MessageTemplate docs).
                raise ApiError(400, [error(400, _DUPLICATE_TEMPLATE)])

    def defaults(self, ctx: WriteContext) -> None:
        super().defaults(ctx)
        if ctx.values.get("preview") is None:
            components = ctx.values.get("components") or []
            body = [c.get("text") for c in components if str(c.get("type", "")).upper() == "BODY"]
            ctx.values["preview"] = body[0] if body else None


_DUPLICATE_TEMPLATE = {
    "message": "Invalid parameter",
    "type": "OAuthException",
    "code": 100,
    "error_subcode": 2388024,
    "is_transient": False,
    "error_user_title": "Content in this language already exists",
    "error_user_msg": "There is already content in this language for this template. "
    "You can create a new template and try again.",
}


class _MessageThreads(Behaviour):
    def check(self, ctx: WriteContext) -> None:
        if ctx.rec is None or "candidateId" not in ctx.values:
            return
        current = ctx.rec.data.get("candidateId")
        if current is not None and ctx.values["candidateId"] != current:
            pointer = (
                "/data/relationships/candidate"
                if "candidate" in ctx.write.relationships
                else "/data/attributes/candidateId"
            )
            ctx.err("candidate can't be changed once set", pointer)

    def defaults(self, ctx: WriteContext) -> None:
        ctx.values.setdefault("chatbotPaused", False)

    def created(self, engine: Engine, jobs: Jobs, rec: Record, *, sync: bool) -> None:
        self.updated(engine, jobs, rec, [])

    def updated(self, engine: Engine, jobs: Jobs, rec: Record, changed: list[str]) -> None:
        candidate = rec.data.get("candidateId")
        data = engine.data_of(rec)
        org = engine.org_of(rec)
        if candidate is None or data is None or org is None:
            return
        if next(data.where("conversations", "messageThreadId", rec.id), None) is None:
            engine.create(
                org,
                "conversations",
                {
                    "status": "open",
                    "unreadMessages": False,
                    "unreadMessagesCount": 0,
                    "messageThreadId": rec.id,
                    "candidateId": candidate,
                },
            )


def _count(data: OrgData, type_: str, field: str, value: Any) -> int:
    return sum(1 for _ in data.where(type_, field, value)) if value is not None else 0


class _Nodes(Behaviour):
    def check(self, ctx: WriteContext) -> None:
        if ctx.get("isEndFlow") is True and ctx.get("endFlowType") is None:
            ctx.err(
                "endFlowType can't be blank when isEndFlow is true", "/data/attributes/endFlowType"
            )
        if ctx.values.get("isStartFlow") is True:
            flow_id = ctx.get("flowId")
            others = (
                [
                    n
                    for n in ctx.data.where("nodes", "flowId", flow_id)
                    if n is not ctx.rec and n.data.get("isStartFlow")
                ]
                if flow_id is not None
                else []
            )
            if others:
                ctx.err("the flow already has a start node", "/data/attributes/isStartFlow")

    def defaults(self, ctx: WriteContext) -> None:
        ctx.values.setdefault(
            "index", _count(ctx.data, "nodes", "flowId", ctx.values.get("flowId"))
        )
        ctx.values.setdefault("isStartFlow", False)
        ctx.values.setdefault("isEndFlow", False)


class _NodeActions(Behaviour):
    def check(self, ctx: WriteContext) -> None:
        if ctx.get("actionType") == "ask" and not ctx.get("variableName"):
            ctx.err(
                "variableName can't be blank when actionType is ask",
                "/data/attributes/variableName",
            )

    def defaults(self, ctx: WriteContext) -> None:
        node = ctx.values.get("nodeId")
        ctx.values.setdefault("index", _count(ctx.data, "nodeActions", "nodeId", node))


class _NodeTransitions(Behaviour):
    def check(self, ctx: WriteContext) -> None:
        node = ctx.data.get("nodes", str(ctx.get("nodeId")))
        exit_node = ctx.data.get("nodes", str(ctx.get("exitNodeId")))
        if (
            node is not None
            and exit_node is not None
            and node.data["flowId"] != exit_node.data["flowId"]
        ):
            ctx.err("exitNode must belong to the same flow as node", "/data/relationships/exitNode")

    def defaults(self, ctx: WriteContext) -> None:
        node = ctx.values.get("nodeId")
        ctx.values.setdefault("index", _count(ctx.data, "nodeTransitions", "nodeId", node))


class _Webhooks(Behaviour):
    def check(self, ctx: WriteContext) -> None:
        resource_type = ctx.values.get("resourceType")
        if isinstance(resource_type, str) and resource_type not in SUBSCRIBABLE:
            ctx.err(
                f"resourceType `{resource_type}` is not a resource type",
                "/data/attributes/resourceType",
            )
        fields = ctx.values.get("fields")
        if fields is not None:
            known = set(attribute_names(str(resource_type)))
            bad = [str(f) for f in fields if not isinstance(f, str) or f not in known]
            if bad:
                ctx.err(
                    f"fields contains unknown attributes: {', '.join(bad)}",
                    "/data/attributes/fields",
                )
        url = ctx.values.get("webhookUrl")
        if url is not None and not is_http_url(url):
            ctx.err("webhookUrl must be an http(s) URL", "/data/attributes/webhookUrl")

    def defaults(self, ctx: WriteContext) -> None:
        if ctx.values.get("fields") is None:
            ctx.values["fields"] = []


class _Flows(Behaviour):
    def defaults(self, ctx: WriteContext) -> None:
        ctx.values["unpublishedChanges"] = False

    def derive(self, ctx: WriteContext) -> None:
        if ctx.rec is not None:
            ctx.values["unpublishedChanges"] = True


class _Users(Behaviour):
    def derive(self, ctx: WriteContext) -> None:
        if "firstName" in ctx.values or "lastName" in ctx.values:
            parts = [ctx.get("firstName"), ctx.get("lastName")]
            ctx.values["fullName"] = " ".join(p for p in parts if p) or None


class _Organizations(Behaviour):
    def check(self, ctx: WriteContext) -> None:
        url = ctx.values.get("webhookUrl")
        if url is not None and not is_http_url(url):
            ctx.err("webhookUrl must be an http(s) URL", "/data/attributes/webhookUrl")
        if (
            "webhookSecret" in ctx.values
            and not ctx.values["webhookSecret"]
            and ctx.spec.patch_required
        ):
            ctx.err("webhookSecret can't be blank", "/data/attributes/webhookSecret")


_PLAIN = Behaviour()
BEHAVIOURS: Mapping[str, Behaviour] = {
    "flowGenerations": _FlowGenerations(),
    "vacancyAnalyses": _Started(),
    "flowRuns": _FlowRuns(),
    "messages": _Messages(),
    "messageTemplates": _MessageTemplates(),
    "messageThreads": _MessageThreads(),
    "nodes": _Nodes(),
    "nodeActions": _NodeActions(),
    "nodeTransitions": _NodeTransitions(),
    "webhooks": _Webhooks(),
    "users": _Users(),
    "flows": _Flows(),
    "organizations": _Organizations(),
}


def behaviour(type_: str) -> Behaviour:
    """The rules of a type."""
    return BEHAVIOURS.get(type_, _PLAIN)
