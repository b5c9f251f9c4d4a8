"""What the CLI prints: wire-form JSON (``--json``) or compact human text, and progress.

Results go to standard output; progress, notices and errors to standard error, so
``$(recrubo ...)`` captures only the result.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

import orjson

from .._jsonapi import Codec
from .._naming import to_snake
from ..models import EnsureResult, Webhook
from ..models._base import Relationship, Resource
from ..webhooks import WebhookPayload

#: Attributes shown as table columns when a resource has them, in this order.
_COLUMNS = (
    "name",
    "title",
    "status",
    "flow_type",
    "resource_type",
    "event",
    "channel",
    "identifier",
    "email",
    "flow_id",
)
#: Never a column of their own (``id`` leads, ``created_at`` closes the table).
_SKIPPED = ("id", "summary", "created_at", "updated_at")
_MAX_COLUMNS = 4
_MAX_CELL = 40


def _default(value: object) -> Any:
    return dict(value) if isinstance(value, Mapping) else str(value)


def dumps(value: object, *, indent: bool = False) -> str:
    """JSON text; any mapping as an object, other unknown values as their string."""
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(value, default=_default, option=option).decode()


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_scalar(value: object) -> bool:
    return not isinstance(value, (Mapping, list, tuple))


def _lines(key: str, value: object, depth: int) -> list[str]:
    pad = "  " * depth
    if isinstance(value, Mapping):
        if not value:
            return [f"{pad}{key}: {{}}"]
        out = [f"{pad}{key}:"]
        for k, v in value.items():
            out.extend(_lines(str(k), v, depth + 1))
        return out
    if isinstance(value, (list, tuple)):
        if all(_is_scalar(v) for v in value):
            return [f"{pad}{key}: [{', '.join(_scalar(v) for v in value)}]"]
        out = [f"{pad}{key}:"]
        for item in value:
            if isinstance(item, Mapping) and item:
                # "- first: value", then the other keys aligned under "first".
                nested = [line for k, v in item.items() for line in _lines(str(k), v, depth + 2)]
                out.append(f"{pad}  - {nested[0].lstrip()}")
                out.extend(nested[1:])
            else:
                out.append(f"{pad}  - {_scalar(item) if _is_scalar(item) else dumps(item)}")
        return out
    text = _scalar(value)
    if "\n" in text:
        body = "\n".join(f"{pad}  {line}" for line in text.splitlines())
        return [f"{pad}{key}: |", body]
    return [f"{pad}{key}: {text}"]


def _target(data: object) -> str:
    if isinstance(data, tuple):
        return "[" + ", ".join(_target(d) for d in data) + "]"
    if data is None:
        return "null"
    return f"{getattr(data, 'type', '?')}/{getattr(data, 'id', '?')}"


def _relationship_lines(relationships: Mapping[str, Relationship]) -> list[str]:
    loaded = {name: rel for name, rel in relationships.items() if rel.loaded}
    if not loaded:
        return []
    out = ["relationships:"]
    out.extend(f"  {to_snake(name)}: {_target(rel.data)}" for name, rel in loaded.items())
    return out


def _cell(value: object) -> str:
    text = "-" if value is None else " ".join(_scalar(value).split())
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 3] + "..."


def _table(rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> list[str]:
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    out = []
    for line in [list(columns), *cells]:
        out.append("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
    return out


class Output:
    """Prints results as JSON (``json=True``) or as human text.

    Args:
        json: machine output: one JSON document per result, JSON lines for streams.
    """

    def __init__(self, *, json: bool) -> None:
        self.json = json
        self._codec: Codec | None = None

    # Looked up on each use, so a redirected sys.stdout (tests, wrappers) is honoured.
    @property
    def stdout(self) -> TextIO:
        return sys.stdout

    @property
    def stderr(self) -> TextIO:
        return sys.stderr

    def wire(self, resource: Resource) -> dict[str, Any]:
        """The resource object (camelCase JSON:API) of a model."""
        if self._codec is None:
            self._codec = Codec()
        return self._codec.encode_resource(resource)

    def _print(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)

    def notice(self, text: str) -> None:
        """A human note on standard error (never part of the result)."""
        print(text, file=self.stderr, flush=True)

    def text(self, text: str) -> None:
        """A bare result line (a flow id, a status)."""
        self._print(text)

    def resource(self, resource: Resource) -> None:
        """One resource: its resource object, or ``key: value`` lines."""
        if self.json:
            self._print(dumps(self.wire(resource), indent=True))
            return
        self._print("\n".join(self.describe(resource)))

    def document(self, resource: Resource, included: Sequence[Resource]) -> None:
        """One resource and what it included: ``{"data": {...}, "included": [...]}``, or its
        ``key: value`` lines followed by an ``included:`` table."""
        if self.json:
            doc = {"data": self.wire(resource), "included": [self.wire(r) for r in included]}
            self._print(dumps(doc, indent=True))
            return
        self._print("\n".join(self.describe(resource)))
        self._included(included)

    def _included(self, included: Sequence[Resource]) -> None:
        if included:
            rows = [{"type": r.type, **self._row(r)} for r in included]
            self._print("\nincluded:")
            self._print("\n".join(_table(rows, ["type", "id", "summary"])))

    def describe(self, resource: Resource) -> list[str]:
        """``key: value`` lines of a resource with snake_case names."""
        wire = self.wire(resource)
        out = [f"type: {resource.type}", f"id: {resource.id}"]
        for name, value in wire["attributes"].items():
            out.extend(_lines(to_snake(name), value, 0))
        out.extend(_relationship_lines(resource.relationships))
        return out

    def resources(
        self, items: Sequence[Resource], included: Iterable[Resource] = (), *, what: str = "items"
    ) -> None:
        """A list: ``{"data": [...], "included": [...]}``, or a table of items and includes."""
        included = list(included)
        if self.json:
            doc = {
                "data": [self.wire(r) for r in items],
                "included": [self.wire(r) for r in included],
            }
            self._print(dumps(doc, indent=True))
            return
        if not items:
            self.notice(f"no {what} found")
            return
        self._print("\n".join(self.table(items)))
        self._included(included)

    def _row(self, resource: Resource) -> dict[str, object]:
        attributes = {to_snake(k): v for k, v in self.wire(resource)["attributes"].items()}
        summary = next((attributes[c] for c in _COLUMNS if attributes.get(c) is not None), None)
        return {"id": resource.id, "summary": summary, **attributes}

    def table(self, items: Sequence[Resource]) -> list[str]:
        """A compact table: the id, up to four telling attributes, and created_at."""
        rows = [self._row(r) for r in items]
        present = [c for c in _COLUMNS if any(row.get(c) is not None for row in rows)]
        # Then any other short attributes, in the model's order, up to the limit.
        present += [
            name
            for name in rows[0]
            if name not in (*_COLUMNS, *_SKIPPED)
            and any(row.get(name) is not None for row in rows)
            and all(_is_scalar(row.get(name)) for row in rows)
        ]
        columns = ["id", *present[:_MAX_COLUMNS]]
        if any(row.get("created_at") is not None for row in rows):
            columns.append("created_at")
        return _table(rows, columns)

    def ensured(self, result: EnsureResult) -> None:
        """What ``webhooks ensure`` did: ``{"created": [...], "kept": [...], ...}`` (resource
        objects), or one table row per subscription and notes on standard error."""
        if self.json:
            doc = {
                name: [self.wire(w) for w in getattr(result, name)] for name, _ in _ENSURE_ACTIONS
            }
            self._print(dumps(doc, indent=True))
        else:
            rows = [
                _subscription_row(action, webhook)
                for name, action in _ENSURE_ACTIONS
                for webhook in getattr(result, name)
            ]
            if rows:
                columns = ["action", "id", "type", "event", "fields", "webhook_url"]
                self._print("\n".join(_table(rows, columns)))
        counts = ", ".join(
            f"{len(getattr(result, name))} {name}" for name, _ in _ENSURE_ACTIONS[:3]
        )
        self.notice(f"webhook subscriptions: {counts}")
        if result.withdrawn:
            self.notice(
                f"{len(result.withdrawn)} created subscription(s) deleted again: a run at the "
                "same time had made them first (those are kept)"
            )
        if result.duplicates:
            self.notice(
                f"warning: {len(result.duplicates)} duplicate subscription(s) left in place: "
                "each delivers every matching event again under another delivery id, so "
                "handlers run twice; run again with --prune to delete them"
            )
        if result.unmatched:
            self.notice(
                f"{len(result.unmatched)} subscription(s) not asked for left in place "
                "(--prune deletes them)"
            )

    def state(self, resource: Resource) -> None:
        """One state of a watched job: a JSON line, or its status."""
        if self.json:
            self._print(dumps(self.wire(resource)))
        else:
            self._print(_scalar(resource.attribute("status")))

    def payload(self, payload: WebhookPayload) -> None:
        """One verified webhook delivery: its wire form as a JSON line, or a summary line."""
        if self.json:
            doc = {
                "type": "webhookPayload",
                "id": payload.id,
                "attributes": {
                    "webhookId": payload.webhook_id,
                    "event": str(payload.event),
                    "fields": list(payload.fields),
                    "resource": payload.raw_resource,
                },
            }
            self._print(dumps(doc))
            return
        resource = payload.resource
        status = resource.attribute("status")
        self._print(
            f"{payload.event} {resource.type} {resource.id} {'-' if status is None else status}"
        )


#: ``EnsureResult`` fields, each with the word its rows are marked with.
_ENSURE_ACTIONS = (
    ("created", "created"),
    ("kept", "kept"),
    ("deleted", "deleted"),
    ("duplicates", "duplicate"),
    ("unmatched", "unmatched"),
    ("withdrawn", "withdrawn"),
)


def _subscription_row(action: str, webhook: Webhook) -> dict[str, object]:
    return {
        "action": action,
        "id": webhook.id,
        "type": webhook.resource_type,
        "event": webhook.event,
        "fields": ",".join(webhook.fields) if webhook.fields else None,
        "webhook_url": webhook.webhook_url or "(organization's)",
    }


class Progress:
    """Shows a job's status changes: one rewritten line on a terminal, else plain lines.

    Use as a context manager so a terminal line is ended whatever happens.

    Args:
        label: what is being waited for, e.g. ``"flow generation"``.
        stream: where to write (standard error by default).
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream if stream is not None else sys.stderr
        self._tty = self._stream.isatty()
        self._width = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._width:
            self._stream.write("\n")
            self._stream.flush()
            self._width = 0

    def update(self, status: str | None, resource: Resource) -> None:
        """Report a new status (the ``on_status`` callback of a wait)."""
        text = f"{self._label} {resource.id}: {status or 'unknown'}"
        if self._tty:
            # \r returns to the line start; padding wipes what a longer line left behind.
            self._stream.write("\r" + text.ljust(self._width))
            self._width = max(self._width, len(text))
        else:
            self._stream.write(text + "\n")
        self._stream.flush()
