"""``client.webhooks``: /webhooks subscriptions (GET list/one, POST, DELETE)."""

from __future__ import annotations

from collections.abc import Sequence

from .._naming import to_camel
from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models._base import Resource
from ..models.webhook import Webhook, WebhookEvent


def _type_name(resource_type: str | type[Resource]) -> str:
    if isinstance(resource_type, type) and issubclass(resource_type, Resource):
        if not resource_type.TYPE:
            raise ValueError(f"{resource_type.__name__} has no JSON:API type")
        return resource_type.TYPE
    if not isinstance(resource_type, str) or not resource_type.strip():
        raise ValueError(
            "resource_type must be a JSON:API type such as 'flowRuns' or a model class; "
            f"got {resource_type!r}"
        )
    return to_camel(resource_type.strip())


class Webhooks(Listable[Webhook], Retrievable[Webhook], Deletable[Webhook]):
    """Webhook subscriptions. Deliveries go to ``webhook_url`` or the organization's URL."""

    _path = "/webhooks"
    _model = Webhook

    async def create(
        self,
        *,
        resource_type: str | type[Resource],
        event: WebhookEvent | str,
        fields: Sequence[str] | None = None,
        webhook_url: str | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Webhook:
        """Subscribe to ``event`` (create/update/delete) on a resource type.

        Args:
            resource_type: ``FlowRun`` or ``"flowRuns"`` (``"flow_runs"`` works too).
            fields: for ``update``: only changes of these attributes trigger it.
            webhook_url: overrides the organization's webhook URL.
        """
        if isinstance(fields, str):
            raise TypeError("fields must be a list of attribute names, not one string")
        return await self._create(
            {
                "resource_type": _type_name(resource_type),
                "event": event,
                "fields": None if fields is None else [to_camel(f) for f in fields],
                "webhook_url": webhook_url,
            },
            timeout=timeout,
        )

    async def subscribe(
        self,
        resource_type: str | type[Resource],
        *,
        events: Sequence[WebhookEvent | str] = ("create", "update", "delete"),
        fields: Sequence[str] | None = None,
        webhook_url: str | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> list[Webhook]:
        """Subscribe to several events on a resource type at once: one subscription each.

        ``fields`` narrows only the ``update`` subscription.
        """
        if isinstance(events, str) or not events:
            raise ValueError("events must be a non-empty list, e.g. ['update', 'delete']")
        return [
            await self.create(
                resource_type=resource_type,
                event=event,
                fields=fields if str(event) == "update" else None,
                webhook_url=webhook_url,
                timeout=timeout,
            )
            for event in events
        ]
