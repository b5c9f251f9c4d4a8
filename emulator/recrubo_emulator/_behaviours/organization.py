"""Rules of the organization's own settings: the organization, its users, webhook subscriptions."""

from __future__ import annotations

from .._schema import SUBSCRIBABLE, attribute_names
from .._writes import Behaviour, WriteContext


class Organizations(Behaviour):
    def check(self, ctx: WriteContext) -> None:
        ctx.check_url("webhookUrl")
        if (
            "webhookSecret" in ctx.values
            and not ctx.values["webhookSecret"]
            and ctx.spec.patch_required
        ):
            ctx.err("webhookSecret can't be blank", "/data/attributes/webhookSecret")


class Users(Behaviour):
    def derive(self, ctx: WriteContext) -> None:
        if "firstName" in ctx.values or "lastName" in ctx.values:
            parts = [ctx.get("firstName"), ctx.get("lastName")]
            ctx.values["fullName"] = " ".join(p for p in parts if p) or None


class Webhooks(Behaviour):
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
        ctx.check_url("webhookUrl")

    def defaults(self, ctx: WriteContext) -> None:
        if ctx.values.get("fields") is None:
            ctx.values["fields"] = []
