"""Messaging rules: messages, message templates and message threads (with their conversation)."""

from __future__ import annotations

from typing import Any

from .._engine import Engine
from .._jobs import Jobs
from .._jsonapi import ApiError, error
from .._store import Record
from .._writes import Behaviour, Started, WriteContext

#: What a message (a Message's ``payload``, a FlowRun's ``initialMessage``) may be.
MESSAGE_TYPES = ("text", "template", "image", "video", "audio", "document")
_COMPONENT_TYPES = ("HEADER", "BODY", "FOOTER", "BUTTONS")
_CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION", "AUTHORIZATION")


def message_type(ctx: WriteContext, name: str, message: dict[str, Any]) -> str | None:
    """The ``type`` of the message written under attribute ``name``; None (and a 422 problem)
    when it is not one of ``MESSAGE_TYPES``."""
    kind = message.get("type")
    if kind in MESSAGE_TYPES:
        return str(kind)
    ctx.err(f"{name} type must be one of {', '.join(MESSAGE_TYPES)}", f"/data/attributes/{name}")
    return None


class Messages(Started):
    def __init__(self) -> None:
        super().__init__(origin="outbound", deliveryStatus="accepted", errorMessages=list)

    def check(self, ctx: WriteContext) -> None:
        payload = ctx.values.get("payload")
        if payload is None:
            return
        pointer = "/data/attributes/payload"
        kind = message_type(ctx, "payload", payload)
        if kind == "text":
            body = payload.get("text") or payload.get("attributes")
            if not (isinstance(body, dict) and isinstance(body.get("value"), str)):
                ctx.err("a text payload needs text.value", pointer)
        elif kind == "template":
            template = payload.get("template")
            if not (isinstance(template, dict) and isinstance(template.get("id"), str)):
                ctx.err("a template payload needs template.id", pointer)


class MessageTemplates(Started):
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


class MessageThreads(Behaviour):
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
        # A thread with a candidate has a conversation: the API opens one when it is attached.
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
