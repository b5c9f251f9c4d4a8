"""The webhook receiver against garbage, near-valid and oversized bodies over a real socket.

Hypothesis builds the bodies; each is POSTed to a ``WebhookReceiver`` mounted on an aiohttp
app on loopback (``add_routes``) with a small ``max_body``: never a 500, never a handler
call for what is not a delivery.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recrubo_async._naming import to_camel
from recrubo_async.bus import InMemoryBus
from recrubo_async.models._base import Resource, registered_types
from recrubo_async.webhooks import SECRET_HEADER, WebhookPayload, WebhookReceiver

from ..support.servers import receiver_app, serve

SECRET = "whsec-fuzz-0001"
#: The client's limit for one answer (the receiver answers at once).
RECEIVER_TIMEOUT = 2.0
PATH = "/hooks/recrubo"

MAX_BODY = 2048

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture
async def fuzz_target() -> AsyncIterator[tuple[str, aiohttp.ClientSession, list[WebhookPayload]]]:
    """A receiver app on loopback (small max_body), a client session, and handler calls."""
    receiver = WebhookReceiver(secret=SECRET, bus=InMemoryBus(), max_body=MAX_BODY)
    handled: list[WebhookPayload] = []

    @receiver.on()
    async def record(payload: WebhookPayload) -> None:
        handled.append(payload)

    timeout = aiohttp.ClientTimeout(total=RECEIVER_TIMEOUT)
    server = serve(receiver_app(receiver, PATH), shutdown_timeout=1.0)
    async with server as served, aiohttp.ClientSession(timeout=timeout) as session:
        yield served.url(PATH), session, handled


def _headers() -> dict[str, str]:
    return {SECRET_HEADER: SECRET, "Content-Type": "application/vnd.api+json"}


async def _chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(
    body=st.binary(max_size=MAX_BODY)
    | st.text(max_size=300).map(str.encode)
    | json_values.map(orjson.dumps)
    | st.builds(
        lambda data: orjson.dumps({"data": data}),
        st.fixed_dictionaries(
            {"type": st.just("webhookPayload")},
            optional={"id": json_values, "attributes": json_values},
        ),
    ),
    chunked=st.booleans(),
)
async def test_garbage_bodies_posted_over_a_socket_get_4xx_never_500(
    fuzz_target: tuple[str, aiohttp.ClientSession, list[WebhookPayload]],
    body: bytes,
    chunked: bool,
) -> None:
    url, session, handled = fuzz_target
    data: bytes | AsyncIterator[bytes] = _chunks(body, 512) if chunked else body
    async with session.post(url, data=data, headers=_headers()) as resp:
        assert 400 <= resp.status < 500, (resp.status, body[:200])
        assert resp.status in (400, 413)
    assert handled == []


_BASE_FIELDS = frozenset(f.name for f in attrs.fields(Resource))
#: Every modelled JSON:API type and the wire names of its fields.
_WIRE_NAMES = {
    rtype: sorted(to_camel(f.name) for f in attrs.fields(cls) if f.name not in _BASE_FIELDS)
    for rtype, cls in registered_types().items()
}
_TIMESTAMPS = st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat())


@st.composite
def near_valid_payloads(draw: st.DrawFn) -> bytes:
    """A webhookPayload whose envelope is right but whose resource holds values of any
    type (and, sometimes, an odd event, fields list or id) under real attribute names."""
    rtype = draw(st.sampled_from(sorted(_WIRE_NAMES)))
    names = _WIRE_NAMES[rtype] or ["name"]
    attributes = draw(
        st.dictionaries(
            st.sampled_from(names), json_values | _TIMESTAMPS | st.just("finished"), max_size=6
        )
    )
    resource: dict[str, Any] = {
        "type": rtype,
        "id": draw(st.sampled_from(["r1", "r2"]) | json_values),
        "attributes": attributes,
    }
    if draw(st.booleans()):
        resource["relationships"] = draw(
            st.dictionaries(st.sampled_from(names), json_values, max_size=2) | json_values
        )
    return orjson.dumps(
        {
            "data": {
                "type": "webhookPayload",
                "id": draw(st.uuids().map(str)),
                "attributes": {
                    "webhookId": draw(st.uuids().map(str) | json_values),
                    "event": draw(st.sampled_from(["create", "update", "delete"]) | json_values),
                    "fields": draw(st.lists(st.sampled_from(names), max_size=3) | json_values),
                    "resource": resource,
                },
            }
        }
    )


@FUZZ
@given(body=near_valid_payloads())
async def test_well_formed_payloads_with_wrongly_typed_values_get_200_or_400_never_500(
    fuzz_target: tuple[str, aiohttp.ClientSession, list[WebhookPayload]], body: bytes
) -> None:
    url, session, _ = fuzz_target
    async with session.post(url, data=body, headers=_headers()) as resp:
        assert resp.status in (200, 400), (resp.status, body)


@FUZZ
@given(
    size=st.integers(min_value=MAX_BODY + 1, max_value=8 * MAX_BODY),
    fill=st.binary(min_size=1, max_size=64),
    chunk=st.sampled_from([None, 1000, 4096]),
)
async def test_oversized_bodies_posted_over_a_socket_get_413_with_or_without_length(
    fuzz_target: tuple[str, aiohttp.ClientSession, list[WebhookPayload]],
    size: int,
    fill: bytes,
    chunk: int | None,
) -> None:
    url, session, handled = fuzz_target
    body = (fill * (size // len(fill) + 1))[:size]
    data: bytes | AsyncIterator[bytes] = body if chunk is None else _chunks(body, chunk)
    async with session.post(url, data=data, headers=_headers()) as resp:
        assert resp.status == 413
    assert handled == []
