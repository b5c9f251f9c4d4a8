"""In-memory data: organizations and, per organization, one table per resource type."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from ._schema import BY_TYPE


@attrs.define(eq=False)
class Record:
    """One stored resource; ``data`` holds every field under its wire name."""

    type: str
    id: str
    data: dict[str, Any]
    org_id: str
    seq: int = 0


_INDEXED: dict[str, tuple[str, ...]] = {
    spec.type: tuple(f.name for f in spec.fields if f.indexed) for spec in BY_TYPE.values()
}


class OrgData:
    """The resources of one organization, with equality indexes on foreign keys."""

    def __init__(self) -> None:
        self._seq = 0
        self.tables: dict[str, dict[str, Record]] = {t: {} for t in BY_TYPE}
        # (type, field) -> value -> ordered set of ids (a dict keeps insertion order)
        self._index: dict[tuple[str, str], dict[Any, dict[str, None]]] = {
            (t, f): {} for t, fields in _INDEXED.items() for f in fields
        }

    def get(self, type_: str, id_: str) -> Record | None:
        """The record or None."""
        table = self.tables.get(type_)
        return None if table is None else table.get(id_)

    def all(self, type_: str) -> list[Record]:
        """Every record of a type, oldest first."""
        return list(self.tables[type_].values())

    def count(self) -> int:
        """How many records this organization holds."""
        return sum(len(t) for t in self.tables.values())

    def indexed(self, type_: str, field: str) -> bool:
        """Whether ``field`` of ``type_`` has an index."""
        return (type_, field) in self._index

    def where(self, type_: str, field: str, value: Any) -> Iterator[Record]:
        """Records whose indexed ``field`` equals ``value``, oldest first."""
        table = self.tables[type_]
        for id_ in list(self._index[(type_, field)].get(value, ())):
            rec = table.get(id_)
            if rec is not None:
                yield rec

    def insert(self, rec: Record) -> None:
        """Add a record."""
        self._seq += 1
        rec.seq = self._seq
        self.tables[rec.type][rec.id] = rec
        for f in _INDEXED[rec.type]:
            self._add(rec.type, f, rec.data.get(f), rec.id)

    def update(self, rec: Record, changes: dict[str, Any]) -> None:
        """Apply changes to a record, keeping indexes right."""
        for name, value in changes.items():
            if name in _INDEXED[rec.type]:
                self._drop(rec.type, name, rec.data.get(name), rec.id)
                self._add(rec.type, name, value, rec.id)
            rec.data[name] = value

    def remove(self, rec: Record) -> None:
        """Delete a record."""
        self.tables[rec.type].pop(rec.id, None)
        for f in _INDEXED[rec.type]:
            self._drop(rec.type, f, rec.data.get(f), rec.id)

    def _add(self, type_: str, field: str, value: Any, id_: str) -> None:
        if value is not None:
            self._index[(type_, field)].setdefault(value, {})[id_] = None

    def _drop(self, type_: str, field: str, value: Any, id_: str) -> None:
        bucket = self._index[(type_, field)].get(value)
        if bucket is not None:
            bucket.pop(id_, None)
            if not bucket:
                del self._index[(type_, field)][value]


class Store:
    """Organizations, their tokens and their data."""

    def __init__(self) -> None:
        self.orgs: dict[str, Record] = {}
        self.data: dict[str, OrgData] = {}
        self._by_token: dict[str, str] = {}

    def add_org(self, rec: Record) -> None:
        """Register an organization record (its ``token`` field must be set)."""
        self.orgs[rec.id] = rec
        self.data[rec.id] = OrgData()
        self._by_token[rec.data["token"]] = rec.id

    def set_token(self, rec: Record, token: str) -> None:
        """Replace an organization's token; the old one stops working at once."""
        self._by_token.pop(rec.data["token"], None)
        rec.data["token"] = token
        self._by_token[token] = rec.id

    def remove_org(self, rec: Record) -> None:
        """Delete an organization and everything it owns."""
        self._by_token.pop(rec.data["token"], None)
        self.orgs.pop(rec.id, None)
        self.data.pop(rec.id, None)

    def org_for_token(self, token: str) -> Record | None:
        """The organization a token belongs to."""
        org_id = self._by_token.get(token)
        return None if org_id is None else self.orgs.get(org_id)
