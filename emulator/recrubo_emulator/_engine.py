"""The emulated platform's state changes: create, update and delete, with events and cascades."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from ._clock import Clock
from ._ids import IdFactory
from ._jsonapi import Renderer
from ._schema import BY_TYPE, ORGANIZATIONS, spec_for
from ._spec import Rel
from ._stats import Stats
from ._store import OrgData, Record, Store
from ._webhooks import WebhookDispatcher

_MS = timedelta(milliseconds=1)

# parent type -> (child type, child field pointing at the parent, what happens to the child)
_CASCADE: Mapping[str, tuple[tuple[str, str, str], ...]] = {
    "flows": (("nodes", "flowId", "delete"),),
    "nodes": (
        ("nodeActions", "nodeId", "delete"),
        ("nodeTransitions", "nodeId", "delete"),
        ("nodeTransitions", "exitNodeId", "nullify"),
    ),
    "messageThreads": (
        ("messages", "messageThreadId", "delete"),
        ("conversations", "messageThreadId", "delete"),
    ),
    "candidates": (("conversations", "candidateId", "delete"),),
}


@attrs.frozen(kw_only=True)
class Timings:
    """How long emulated jobs take, in emulated seconds.

    Args:
        generation_queued: a FlowGeneration waits this long before ``processing``.
        generation_processing: and then this long before ``finished``.
        analysis: a VacancyAnalysis gets its ``analyzeResult`` after this long.
        run_queued: a FlowRun waits this long before ``running``.
        run_running: and then this long before it ends (finished, timeout or exception).
        message_sent: a sent Message goes from ``accepted`` to ``sent`` after this long.
        message_delivered: and to ``delivered`` this long after that.
        template_review: a MessageTemplate goes from ``PENDING`` to ``APPROVED`` after this long.
    """

    generation_queued: float = 1.0
    generation_processing: float = 3.0
    analysis: float = 2.0
    run_queued: float = 1.0
    run_running: float = 5.0
    message_sent: float = 0.5
    message_delivered: float = 1.0
    template_review: float = 2.0


def _index_of(rec: Record) -> int:
    index = rec.data.get("index")
    return index if isinstance(index, int) else 0


class Engine:
    """Owns the store and makes every change through one path, so events are never missed."""

    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        ids: IdFactory,
        stats: Stats,
        webhooks: WebhookDispatcher,
        base_path: str,
        timings: Timings,
        sandbox: bool,
        strict: bool,
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.stats = stats
        self.webhooks = webhooks
        self.timings = timings
        self.sandbox = sandbox
        self.strict = strict
        self.store = store
        self.renderer = Renderer(base_path)

    # -- organizations ---------------------------------------------------------------------

    def now(self) -> datetime:
        """The emulated current moment."""
        return self.clock.now()

    def new_org(self, values: Mapping[str, Any]) -> Record:
        """Create an organization with a fresh token."""
        now = self.now()
        data: dict[str, Any] = {
            "name": None,
            "webhookUrl": None,
            "webhookSecret": None,
            "createdAt": now,
            "updatedAt": now,
            "token": self.ids.token(),
        }
        data.update(values)
        org_id = self.ids.uuid()
        rec = Record("organizations", org_id, data, org_id)
        self.store.add_org(rec)
        return rec

    def org_of(self, rec: Record) -> Record | None:
        """The organization a record belongs to (an organization belongs to itself)."""
        return self.store.orgs.get(rec.org_id)

    def data_of(self, rec: Record) -> OrgData | None:
        """The data of the organization a record belongs to."""
        return self.store.data.get(rec.org_id)

    def alive(self, rec: Record) -> bool:
        """Whether a record is still stored (jobs check this before acting)."""
        data = self.data_of(rec)
        return data is not None and data.get(rec.type, rec.id) is rec

    # -- records ---------------------------------------------------------------------------

    def create(self, org: Record, type_: str, values: Mapping[str, Any]) -> Record:
        """Store a new record of ``type_`` and announce it."""
        spec = BY_TYPE[type_]
        now = self.now()
        data: dict[str, Any] = dict.fromkeys(spec.by_name)
        data.update(values)
        data["createdAt"] = now
        data["updatedAt"] = now
        data["organizationId"] = org.id
        rec = Record(type_, self.ids.uuid(), data, org.id)
        self.store.data[org.id].insert(rec)
        self.emit("create", rec, [f.name for f in spec.visible])
        return rec

    def update(self, rec: Record, changes: Mapping[str, Any]) -> list[str]:
        """Change fields of a record; bumps ``updatedAt`` and announces the change.

        Returns:
            the visible attribute names that changed (empty when nothing did).
        """
        changed = {k: v for k, v in changes.items() if rec.data.get(k) != v}
        if not changed:
            return []
        now = self.now()
        previous = rec.data.get("updatedAt")
        if isinstance(previous, datetime) and now <= previous:
            now = previous + _MS  # keep updatedAt strictly increasing per record
        changed["updatedAt"] = now
        if rec.type == "organizations":
            if "token" in changed:
                self.store.set_token(rec, changed["token"])
            rec.data.update(changed)
            spec = ORGANIZATIONS
        else:
            self.store.data[rec.org_id].update(rec, changed)
            spec = BY_TYPE[rec.type]
        names = [f.name for f in spec.visible if f.name in changed]
        self.emit("update", rec, names)
        return names

    def delete(self, rec: Record) -> None:
        """Delete a record, and what hangs off it, announcing each deletion."""
        if not self.alive(rec):
            return
        data = self.store.data[rec.org_id]
        for child_type, field, action in _CASCADE.get(rec.type, ()):
            for child in list(data.where(child_type, field, rec.id)):
                if action == "delete":
                    self.delete(child)
                else:
                    self.update(child, {field: None})
        data.remove(rec)
        self.emit("delete", rec, [])

    # -- reading ---------------------------------------------------------------------------

    def resolve(self, rec: Record, rel: Rel) -> Any:
        """The record(s) a relationship points at (missing ones left out)."""
        if rel.target == "organizations":
            return self.store.orgs.get(rec.data.get(rel.key) or "")
        data = self.store.data.get(rec.org_id)
        if data is None or rel.target not in data.tables:
            return [] if rel.to_many else None
        if rel.kind == "fk":
            value = rec.data.get(rel.key)
            return None if value is None else data.get(rel.target, value)
        if rel.kind == "reverse":
            found_many = list(data.where(rel.target, rel.key, rec.id))
            target = BY_TYPE.get(rel.target)
            if target is not None and "index" in target.by_name:
                # Ordered things (a flow's nodes, a node's actions) come in their order, not
                # in the order they were made (sorted() is stable: ties keep creation order).
                found_many.sort(key=_index_of)
            return found_many
        found = (data.get(rel.target, i) for i in rec.data.get(rel.key) or ())
        return [r for r in found if r is not None]

    def render(self, rec: Record) -> dict[str, Any]:
        """The plain resource object of a record (standard view)."""
        spec = spec_for(rec.type)
        assert spec is not None
        return self.renderer.resource(spec, rec)

    # -- events ----------------------------------------------------------------------------

    def emit(self, event: str, rec: Record, fields: Sequence[str]) -> None:
        """Hand an event to the webhook dispatcher."""
        org = self.store.orgs.get(rec.org_id)
        data = self.store.data.get(rec.org_id)
        if org is None or data is None or not data.tables["webhooks"]:
            return
        self.webhooks.publish(org, data, event, rec, fields, lambda: self.render(rec))
