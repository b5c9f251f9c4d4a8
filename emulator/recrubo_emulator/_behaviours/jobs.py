"""Rules of the job types, whose creation starts work on the emulated clock: flow generations,
flow runs, vacancy analyses."""

from __future__ import annotations

from typing import Any

from .._engine import Engine
from .._flowbuilder import FIELD_SUBTYPES
from .._jobs import TERMINAL_RUN, Jobs
from .._store import Record
from .._writes import Started, WriteContext
from .messaging import message_type

#: The pointer the API itself uses for every FlowGeneration parameter problem (see the seed's
#: 422 example).
PARAMETER_POINTER = "/data/relationships/parameter"
_LISTS = ("knockoutRequirements", "preferredRequirements", "requiredFields", "optionalFields")


class FlowGenerations(Started):
    def __init__(self) -> None:
        super().__init__(status="queued")

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
                    valid = ", ".join(FIELD_SUBTYPES)
                    ctx.err(
                        f"{name} contains invalid fields: {', '.join(bad)} (valid: {valid})",
                        PARAMETER_POINTER,
                    )
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


def _requirement(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("value"), str)
        and bool(item["value"].strip())
        and isinstance(item.get("sessionField", ""), (str, type(None)))
    )


class FlowRuns(Started):
    def __init__(self) -> None:
        super().__init__(state=dict, initialMessage=dict, cost=0, status="queued")

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
        kind = message_type(ctx, "initialMessage", message)
        if kind is None:
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

    def updated(self, engine: Engine, jobs: Jobs, rec: Record, changed: list[str]) -> None:
        if "status" in changed:
            jobs.forget(rec)
