"""Webhook: a subscription to create/update/delete events of one resource type."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def _events(value: Iterable[WebhookEvent | str]) -> tuple[WebhookEvent | str, ...]:
    if isinstance(value, str):
        raise TypeError(f"events must be a list of events, not one string: [{value!r}]")
    return tuple(value)


def _fields(value: Iterable[str] | None) -> tuple[str, ...] | None:
    if isinstance(value, str):
        raise TypeError(f"fields must be a list of attribute names, not one string: [{value!r}]")
    return None if value is None else tuple(value)


@attrs.frozen
class WebhookSubscription:
    """What ``client.webhooks.ensure()`` makes exist: ``events`` of one resource type.

    One subscription per event is kept on the API; ``fields`` narrows only ``update``
    (changes of those attributes; snake_case or camelCase). Checked by ``ensure()`` before
    it sends anything.

    Args:
        resource_type: ``FlowRun``, ``"flowRuns"`` or ``"flow_runs"``.
        events: any of ``create``, ``update``, ``delete`` (default: all three).
        fields: for ``update``: only changes of these attributes (default: any change).
        webhook_url: where to deliver (default: the organization's webhook URL).
    """

    resource_type: str | type[Resource]
    events: tuple[WebhookEvent | str, ...] = attrs.field(
        default=("create", "update", "delete"), converter=_events, kw_only=True
    )
    fields: tuple[str, ...] | None = attrs.field(default=None, converter=_fields, kw_only=True)
    webhook_url: str | None = attrs.field(default=None, kw_only=True)


@attrs.frozen(kw_only=True)
class EnsureResult:
    """What ``client.webhooks.ensure()`` found and did.

    Attributes:
        created: subscriptions it created (asked for, missing).
        kept: existing subscriptions that match what was asked, one per asked event.
        deleted: subscriptions it deleted (``prune=True``): duplicates and those not asked.
        duplicates: (``prune=False``) more copies of a kept subscription, left in place:
            each delivers every matching event once more, under another delivery id.
        unmatched: (``prune=False``) existing subscriptions that match nothing asked,
            left in place.
        withdrawn: subscriptions it created and then deleted, because a run at the same
            time had created the same one first; that one is in ``kept``.
    """

    created: tuple[Webhook, ...] = ()
    kept: tuple[Webhook, ...] = ()
    deleted: tuple[Webhook, ...] = ()
    duplicates: tuple[Webhook, ...] = ()
    unmatched: tuple[Webhook, ...] = ()
    withdrawn: tuple[Webhook, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether anything was created or deleted (a withdrawn one was both)."""
        return bool(self.created or self.deleted or self.withdrawn)
