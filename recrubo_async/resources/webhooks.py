"""``client.webhooks``: /webhooks subscriptions (GET list/one, POST, DELETE), and
``ensure()``, which makes them match a declared set."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import NamedTuple

from .._naming import to_camel
from .._query import MAX_PAGE_SIZE
from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from .._validate import check_webhook_url
from ..errors import NotFoundError
from ..models._base import Resource
from ..models.webhook import EnsureResult, Webhook, WebhookEvent, WebhookSubscription

logger = logging.getLogger("recrubo_async.webhooks.ensure")

_EVENTS = tuple(str(e) for e in WebhookEvent)
_NEVER = datetime.max.replace(tzinfo=timezone.utc)


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


class _Key(NamedTuple):
    """What makes two subscriptions deliver the same thing to the same place."""

    resource_type: str
    event: str
    #: Only an ``update`` is narrowed by fields; None (or empty) means any change.
    fields: frozenset[str] | None
    webhook_url: str | None


def _key(resource_type: str, event: str, fields: Iterable[str] | None, url: str | None) -> _Key:
    narrowed = frozenset(fields or ()) if event == "update" else frozenset()
    return _Key(resource_type, event, narrowed or None, url or None)


def _asked(subscriptions: Iterable[WebhookSubscription]) -> dict[_Key, None]:
    """The subscriptions asked for, one key per event, in order and without repeats.

    Raises:
        TypeError, ValueError: an entry is not a valid ``WebhookSubscription``.
    """
    if isinstance(subscriptions, (str, bytes, WebhookSubscription)) or not isinstance(
        subscriptions, Iterable
    ):
        raise TypeError(
            "subscriptions must be a list of WebhookSubscription, e.g. "
            "[WebhookSubscription('flowRuns', events=['update'], fields=['status'])]"
        )
    asked: dict[_Key, None] = {}
    for sub in subscriptions:
        if not isinstance(sub, WebhookSubscription):
            raise TypeError(f"expected a WebhookSubscription, got {sub!r}")
        resource_type = _type_name(sub.resource_type)
        events = [str(e).strip().lower() for e in sub.events]
        if not events:
            raise ValueError(f"{resource_type}: events is empty; name at least one of {_EVENTS}")
        for event in events:
            if event not in _EVENTS:
                raise ValueError(f"{resource_type}: unknown event {event!r}; use {_EVENTS}")
        if sub.fields and "update" not in events:
            raise ValueError(
                f"{resource_type}: fields narrow only 'update' events; add 'update' to events "
                "or drop fields"
            )
        if sub.fields is not None and not all(isinstance(f, str) for f in sub.fields):
            raise TypeError(
                f"{resource_type}: fields must be attribute names (strings); "
                f"got {list(sub.fields)!r}"
            )
        fields = None if sub.fields is None else [to_camel(f.strip()) for f in sub.fields]
        if fields is not None and not all(fields):
            raise ValueError(f"{resource_type}: a field name is empty")
        if sub.webhook_url:  # None or "": the organization's URL
            check_webhook_url(f"{resource_type}: webhook_url", sub.webhook_url)
        for event in events:
            asked[_key(resource_type, event, fields, sub.webhook_url)] = None
    return asked


def _existing_key(webhook: Webhook) -> _Key | None:
    if not webhook.resource_type or webhook.event is None:
        return None  # not a subscription ensure() could have asked for: never "kept"
    return _key(webhook.resource_type, str(webhook.event), webhook.fields, webhook.webhook_url)


def _describe(key: _Key) -> str:
    fields = f" on {','.join(sorted(key.fields))}" if key.fields else ""
    return f"{key.resource_type} {key.event}{fields}"


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

    async def ensure(
        self,
        subscriptions: Iterable[WebhookSubscription],
        *,
        prune: bool = False,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> EnsureResult:
        """Make the organization's subscriptions match ``subscriptions``; safe to run on
        every deploy, also from several replicas at once.

        Lists every existing subscription, keeps one that matches each asked
        (resource type, event, fields as a set, webhook URL) exactly, and creates only the
        missing ones. With ``prune``, then deletes the rest: extra copies of a kept one
        (each would deliver every event again under another delivery id, which dedupe
        cannot catch) and those not asked for. Creates come before deletes, so a changed
        subscription never misses an event while it is replaced. Everything is checked
        before the first request; after a failure, running it again carries on. With
        nothing to create it makes one list request (a page per 200 subscriptions).

        Overlapping runs: of several matches the oldest (``created_at``, then id) is the
        one kept, by every run. After creating, a run lists again and withdraws (deletes)
        each subscription *it* created that is not the oldest match for its key, reporting
        the oldest as kept; it never deletes another run's, so two runs cannot delete each
        other's keeper, and the oldest of all survives. The interleavings:

        - A lists, B lists, A creates, B creates, A and B list again: both see both copies
          and agree which is older; its creator keeps it, the other withdraws its own.
        - A lists, B lists, A creates and lists again (sees only its own: keeps it), B
          creates and lists again: B's copy is newer, so B withdraws it.
        - A run stops between its create and its second list (a crash, a failed request):
          its copy stays. If it is the older, the other run withdraws its own; if it is the
          newer, it is a duplicate, which the next run reports (``duplicates``, a warning)
          and the next ``prune=True`` run deletes.

        A run counts its own copy even when its second list does not show it yet. The order
        relies on the server's ``createdAt`` (milliseconds), ties going by id: in the second
        case, B's copy is made a round trip after A's; only if that fits in one millisecond
        could B's copy tie, sort first by id, and both stay until a ``prune`` run.

        Args:
            subscriptions: what should exist, e.g.
                ``[WebhookSubscription(FlowRun, events=["update"], fields=["status"])]``.
            prune: delete every subscription not asked for, and duplicates. Without it they
                stay, are reported in the result, and duplicates are logged as a warning.
            timeout: per HTTP call.

        Raises:
            TypeError, ValueError: ``subscriptions`` is malformed (nothing was sent).
        """
        asked = _asked(subscriptions)
        matching, unmatched = await self._survey(asked, timeout)
        kept: list[Webhook] = []
        duplicates: list[Webhook] = []
        for same in matching.values():
            kept.append(same[0])
            duplicates.extend(same[1:])
        made = {
            key: await self.create(
                resource_type=key.resource_type,
                event=key.event,
                fields=None if key.fields is None else sorted(key.fields),
                webhook_url=key.webhook_url,
                timeout=timeout,
            )
            for key in asked
            if key not in matching
        }
        created: list[Webhook] = []
        withdrawn: list[Webhook] = []
        if made:
            # Another run may have created the same ones meanwhile: yield to the oldest.
            now, _ = await self._survey(made, timeout)
            for key, mine in made.items():
                # Its own copy as listed when the list shows it: every run then compares
                # the same createdAt, whatever precision the create's answer had.
                listed = now.get(key, [])
                if all(w.id != mine.id for w in listed):
                    listed = [*listed, mine]
                oldest = min(listed, key=_age)
                if oldest.id == mine.id:
                    created.append(mine)
                    continue
                with contextlib.suppress(NotFoundError):  # deleted meanwhile: gone anyway
                    await self.delete(mine, timeout=timeout)
                withdrawn.append(mine)
                kept.append(oldest)
        deleted: list[Webhook] = []
        if prune:
            for webhook in (*duplicates, *unmatched):
                # Deleted meanwhile (by another run?): gone either way.
                with contextlib.suppress(NotFoundError):
                    await self.delete(webhook, timeout=timeout)
                deleted.append(webhook)
            duplicates, unmatched = [], []
        else:
            _warn(duplicates, unmatched, asked)
        return EnsureResult(
            created=tuple(created),
            kept=tuple(kept),
            deleted=tuple(deleted),
            duplicates=tuple(duplicates),
            unmatched=tuple(unmatched),
            withdrawn=tuple(withdrawn),
        )

    async def _survey(
        self, asked: Mapping[_Key, object], timeout: TimeoutLike | NotGiven
    ) -> tuple[dict[_Key, list[Webhook]], list[Webhook]]:
        """Every subscription (every page): those matching an asked key, oldest first, and
        the rest."""
        matching: dict[_Key, list[Webhook]] = {}
        unmatched: list[Webhook] = []
        seen: set[str] = set()
        async for webhook in self.list(page_size=MAX_PAGE_SIZE, timeout=timeout):
            if webhook.id in seen:
                continue  # shifted onto the next page by a delete meanwhile: once is enough
            seen.add(webhook.id)
            key = _existing_key(webhook)
            if key is not None and key in asked:
                matching.setdefault(key, []).append(webhook)
            else:
                unmatched.append(webhook)
        for same in matching.values():
            same.sort(key=_age)
        return matching, unmatched


def _age(webhook: Webhook) -> tuple[datetime, str]:
    """The order every run agrees on: the oldest (then the lowest id) is the one kept."""
    return (webhook.created_at or _NEVER, webhook.id)


def _warn(duplicates: list[Webhook], unmatched: list[Webhook], asked: dict[_Key, None]) -> None:
    """Log what, left in place, delivers an asked event more than once."""
    if duplicates:
        keys = sorted({_describe(k) for k in map(_existing_key, duplicates) if k is not None})
        logger.warning(
            "%d duplicate webhook subscription(s) (%s): each delivers every matching event "
            "again under another delivery id, so handlers run twice; "
            "ensure(..., prune=True) deletes them",
            len(duplicates),
            "; ".join(keys),
        )
    # Another subscription to an asked (type, event, url), with other fields, also delivers
    # (some of) the same changes: a leftover of an earlier deploy asking other fields.
    targets = {(k.resource_type, k.event, k.webhook_url) for k in asked}
    overlapping = [
        w
        for w in unmatched
        if (k := _existing_key(w)) is not None
        and (k.resource_type, k.event, k.webhook_url) in targets
    ]
    if overlapping:
        logger.warning(
            "%d other webhook subscription(s) (%s) deliver the same events as those asked, "
            "so handlers may run twice; ensure(..., prune=True) deletes them",
            len(overlapping),
            ", ".join(w.id for w in overlapping),
        )
