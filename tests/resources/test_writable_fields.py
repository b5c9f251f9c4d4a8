"""Each resource's writable fields, written in its ``create``/``update`` signatures and in
the bodies they send, match the emulator's schema (the docs' HTTP-methods tables), so the
copies cannot drift apart.

A relationship and the attribute that backs it (``flow`` and ``flowId``) are one writable
field: the SDK offers one keyword for it.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import attrs
import pytest

from recrubo_async import Client
from recrubo_async._naming import to_camel
from recrubo_async.resources import RESOURCES
from recrubo_async.resources.management import ManagementOrganizations
from recrubo_async.resources.organizations import Organizations
from recrubo_emulator._schema import BY_TYPE, MANAGEMENT_ORGANIZATIONS, ORGANIZATIONS

from ..support.scripted_server import Reply, ScriptedServer

#: An emulator ``Spec`` (its module is the emulator's business; only the schema is read).
Spec = Any

#: Keywords that are not fields: how to send or wait, not what to write.
NOT_FIELDS = frozenset(
    {"self", "id", "timeout", "sync", "idempotency_key", "ledger"}
    | {"until", "waiter", "on_status", "request_timeout"}
)
#: ``organizations.configure_webhooks(url=..., secret=...)``: the docs' PATCH, named plainly.
RENAMED = {"url": "webhook_url", "secret": "webhook_secret"}
ANY_ID = "5a7a2f4e-0000-4000-8000-0000000000aa"


@attrs.frozen
class Verb:
    """One writing method and the schema it must match."""

    name: str  # e.g. "candidates.create"
    cls: type[Any]
    method: str
    spec: Spec
    post: bool  # POST (create) or PATCH (update)
    renamed: Mapping[str, str] = attrs.field(factory=dict)

    def keywords(self) -> dict[str, inspect.Parameter]:
        """The field keywords, by their snake_case field names."""
        params = inspect.signature(getattr(self.cls, self.method)).parameters
        return {self.renamed.get(n, n): p for n, p in params.items() if n not in NOT_FIELDS}

    def __str__(self) -> str:
        return self.name


def _verbs() -> list[Verb]:
    # The organization key's own organization: its one write is the webhook pair, as
    # ``update`` and as ``configure_webhooks``.
    found = [
        Verb(
            "organizations.configure_webhooks",
            Organizations,
            "configure_webhooks",
            ORGANIZATIONS,
            False,
            RENAMED,
        ),
        Verb("organizations.update", Organizations, "update", ORGANIZATIONS, False),
    ]
    classes: list[tuple[str, type[Any], Spec]] = [
        (e.attribute, e.cls, BY_TYPE[e.json_type])
        for e in RESOURCES
        if e.cli and e.cls is not Organizations
    ]
    classes.append(("management.organizations", ManagementOrganizations, MANAGEMENT_ORGANIZATIONS))
    for name, cls, spec in classes:
        for method, post in (("create", True), ("update", False)):
            if callable(getattr(cls, method, None)):
                found.append(Verb(f"{name}.{method}", cls, method, spec, post))
    return found


VERBS = _verbs()


def _keywords(func: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    params = inspect.signature(func).parameters
    return {n: p for n, p in params.items() if n not in NOT_FIELDS}


def _writable(spec: Spec, *, post: bool) -> dict[str, bool]:
    """Each writable field's backing attribute -> whether a POST requires it."""
    out: dict[str, bool] = {}
    for field in spec.fields:
        if field.post if post else field.patch:
            out[field.name] = field.required
    for rel in spec.rels:
        if rel.post if post else rel.patch:
            out[rel.key] = out.get(rel.key, False) or rel.required
    return out


def _slot(spec: Spec, wire_name: str) -> str:
    """The backing attribute of a wire name (a relationship's key, else the name)."""
    rel = spec.rel_by_name.get(wire_name)
    return rel.key if rel is not None else wire_name


@pytest.mark.parametrize("verb", VERBS, ids=str)
def test_the_keywords_are_the_schemas_writable_fields(verb: Verb) -> None:
    keywords = verb.keywords()
    slots = [_slot(verb.spec, to_camel(name)) for name in keywords]
    assert len(slots) == len(set(slots)), f"two keywords write one field: {keywords}"
    writable = _writable(verb.spec, post=verb.post)
    assert set(slots) == set(writable)
    if verb.post:
        required = {
            _slot(verb.spec, to_camel(name))
            for name, param in keywords.items()
            if param.default is inspect.Parameter.empty
        }
        assert required == {slot for slot, needed in writable.items() if needed}


@pytest.mark.parametrize(
    "cls", [e.cls for e in RESOURCES if hasattr(e.cls, "create_and_wait")], ids=repr
)
def test_create_and_wait_takes_the_same_fields_as_create(cls: type[Any]) -> None:
    assert _keywords(cls.create_and_wait).keys() == _keywords(cls.create).keys()


# -- the bodies --------------------------------------------------------------------------

#: A value each keyword accepts (the SDK checks some); the rest get a string.
VALUES: Mapping[str, Any] = {
    "is_start_flow": True,
    "is_end_flow": True,
    "end_flow_type": "accepted",
    "chatbot_paused": True,
    "unread_messages": True,
    "unread_messages_count": 1,
    "index": 1,
    "reminder_interval": 1,
    "session_timeout": 1,
    "candidates": [ANY_ID],
    "locations": [ANY_ID],
    "fields": ["status"],
    "state": {"a": 1},
    "value": {"text": "hi"},
    "attachment_data": {"url": "https://example.com/a.png"},
    "parameters": {"knockoutRequirements": []},
    "context": {"type": "text", "value": "a vacancy"},
    "initial_message": {},
    "payload": {"type": "text", "text": "hi"},
    "components": [{"type": "BODY", "text": "hi"}],
    "resource_type": "flowRuns",
    "event": "update",
    "flow_type": "vacancy_application_flow",
    "phone": "31612345678",
    "email": "a@example.com",
    "webhook_url": "https://example.com/hooks",
    "url": "https://example.com/vacancy",
}


def _value(name: str, param: inspect.Parameter) -> Any:
    if param.name in VALUES:
        return VALUES[param.name]
    if name.endswith("_id") or name in ("flow", "node", "exit_node", "candidate"):
        return ANY_ID
    return "x"


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[ScriptedServer, Client]]:
    async with (
        ScriptedServer() as server,
        Client("key-for-the-fields-test", base_url=server.url, max_retries=0) as client,
    ):
        yield server, client


def _resource(client: Client, verb: Verb) -> Any:
    attribute, _, _ = verb.name.rpartition(".")
    target: Any = client
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


@pytest.mark.parametrize("verb", VERBS, ids=str)
async def test_the_body_sends_every_keyword_under_its_wire_name(
    verb: Verb, scripted: tuple[ScriptedServer, Client]
) -> None:
    server, client = scripted
    server.default = Reply(body={"data": {"type": verb.spec.type, "id": ANY_ID}})
    keywords = verb.keywords()
    arguments = {param.name: _value(name, param) for name, param in keywords.items()}
    method = getattr(_resource(client, verb), verb.method)
    if verb.post:
        await method(**arguments)
    else:
        await method(ANY_ID, **arguments)
    data = server.requests[-1].json()["data"]
    sent = {_slot(verb.spec, name) for name in data.get("attributes", {})}
    sent |= {_slot(verb.spec, name) for name in data.get("relationships", {})}
    assert sent == {_slot(verb.spec, to_camel(name)) for name in keywords}
