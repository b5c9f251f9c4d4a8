"""Command-line values to SDK arguments: resource types, filters, webhook subscriptions and
the vacancy text."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

from .._query import FILTER_OPERATORS
from ..models import WebhookEvent, WebhookSubscription
from ..resources import RESOURCES, ResourceEntry
from ._errors import UsageError

#: The resources ``get`` and ``list`` can reach: the ``RESOURCES`` entries marked ``cli``.
KINDS = tuple(entry for entry in RESOURCES if entry.cli)


def resolve_kind(name: str) -> ResourceEntry:
    """The resource named ``flow_runs``, ``flow-runs`` or ``flowRuns`` (any case).

    Raises:
        UsageError: no resource has that name.
    """
    wanted = name.strip().lower()
    for kind in KINDS:
        if wanted in (kind.attribute, kind.kebab, kind.json_type.lower()):
            return kind
    choices = ", ".join(kind.kebab for kind in KINDS)
    raise UsageError(f"unknown resource type {name!r}; choose one of: {choices}")


_FILTER = re.compile(r"(?P<field>[A-Za-z_][\w.]*)(?:\[(?P<op>\w+)\])?=(?P<value>.*)", re.DOTALL)

FilterArg = dict[str, str | dict[str, str]]


def parse_filters(items: Sequence[str]) -> FilterArg:
    """``k=v`` and ``k[op]=v`` items to the SDK's ``filter=`` mapping.

    Raises:
        UsageError: an item is malformed, names an unknown operator, or repeats a filter.
    """
    out: FilterArg = {}
    for item in items:
        match = _FILTER.fullmatch(item)
        if match is None:
            raise UsageError(
                f"bad --filter {item!r}: write FIELD=VALUE or FIELD[OP]=VALUE, "
                "e.g. status=finished or createdAt[gte]=2024-01-01"
            )
        field, op, value = match["field"], match["op"], match["value"]
        if not value:
            raise UsageError(f"bad --filter {item!r}: the value is empty")
        current = out.get(field)
        if op is None:
            if current is not None:
                raise UsageError(f"bad --filter {item!r}: {field} is filtered twice")
            out[field] = value
            continue
        if op not in FILTER_OPERATORS:
            raise UsageError(
                f"bad --filter {item!r}: unknown operator {op!r}; "
                f"use one of {', '.join(FILTER_OPERATORS)}"
            )
        if isinstance(current, str) or (current is not None and op in current):
            raise UsageError(f"bad --filter {item!r}: {field} is filtered twice")
        ops = current if current is not None else {}
        ops[op] = value
        out[field] = ops
    return out


_EVENTS = tuple(str(event) for event in WebhookEvent)
_SUBSCRIBE_FORM = "write TYPE[:EVENTS[:FIELDS]], e.g. flowRuns:update:status,state"


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",")]


def parse_subscription(text: str, *, webhook_url: str | None = None) -> WebhookSubscription:
    """``TYPE[:EVENTS[:FIELDS]]`` (events and fields comma-separated) to a subscription.

    ``flowRuns`` asks every event; ``flowRuns:update:status,state`` asks updates of
    those attributes.

    Raises:
        UsageError: malformed, or an unknown type or event, or fields without ``update``.
    """
    parts = text.split(":")
    if len(parts) > 3 or not parts[0].strip():
        raise UsageError(f"bad --subscribe {text!r}: {_SUBSCRIBE_FORM}")
    kind = resolve_kind(parts[0])
    events = _names(parts[1]) if len(parts) > 1 else list(_EVENTS)
    for event in events:
        if event not in _EVENTS:
            raise UsageError(
                f"bad --subscribe {text!r}: unknown event {event!r}; use {', '.join(_EVENTS)}"
            )
    fields = _names(parts[2]) if len(parts) > 2 else None
    if fields is not None:
        if not all(fields):
            raise UsageError(f"bad --subscribe {text!r}: a field name is empty; {_SUBSCRIBE_FORM}")
        if "update" not in events:
            raise UsageError(f"bad --subscribe {text!r}: fields narrow only 'update' events")
    return WebhookSubscription(
        kind.json_type, events=events, fields=fields, webhook_url=webhook_url
    )


def read_text(path: str) -> str:
    """The text of ``path`` (``-``: standard input), UTF-8.

    Raises:
        UsageError: the file cannot be read, is not UTF-8, or holds only whitespace.
    """
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as file:
                text = file.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path!r}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {path!r}: it is not UTF-8 text") from exc
    if not text.strip():
        raise UsageError(f"{'standard input' if path == '-' else repr(path)} is empty")
    return text
