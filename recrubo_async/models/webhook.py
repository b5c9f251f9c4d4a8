"""Webhook: a subscription to create/update/delete events of one resource type."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from ._base import OpenEnum, Resource, register


class WebhookEvent(OpenEnum):
    """A webhook's event: what a subscription fires on and what a delivery reports
    (also ``recrubo_async.webhooks.WebhookEvent``)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@register
@attrs.frozen(kw_only=True)
class Webhook(Resource):
    """Delivers ``event``s of ``resource_type`` (a JSON:API type such as ``flowRuns``).

    ``fields`` limits ``update`` events to changes of those attributes; ``webhook_url``
    overrides the organization's URL. Attributes the SDK does not know are kept in ``extra``.
    """

    TYPE = "webhooks"

    resource_type: str | None = None
    event: WebhookEvent | None = None
    fields: Sequence[str] | None = None
    webhook_url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
