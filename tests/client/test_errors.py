"""Error responses become the most specific APIStatusError with parsed JSON:API errors;
a redirect is an error too (it is not followed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recrubo_async import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    Client,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ValidationError,
)
from recrubo_async.errors import ErrorObject

from ..support.scripted_server import Reply, ScriptedServer

SEED_422 = json.loads((Path(__file__).parent / "data" / "seed_422.json").read_text())


def error_body(status: int, title: str, detail: object = "something is off") -> dict[str, object]:
    return {"errors": [{"status": str(status), "title": title, "detail": detail}]}


async def test_seed_422_yields_validation_error_with_details_and_pointers(
    server: ScriptedServer,
) -> None:
    server.add(Reply(status=422, body=SEED_422, headers={"X-Request-Id": "req-42"}))
    async with Client("k", base_url=server.url) as client:
        with pytest.raises(ValidationError) as info:
            await client.flow_generations.create(
                flow_type="vacancy_application_flow", parameters={}
            )
    err = info.value
    assert err.status == 422
    assert err.request_id == "req-42"
    assert [e.detail for e in err.errors] == [
        "Parameter knockoutRequirements can't be blank",
        "Parameter requiredFields can't be blank",
    ]
    assert [e.pointer for e in err.errors] == ["/data/relationships/parameter"] * 2
    assert all(e.status == 422 and e.code == "unprocessable_entity" for e in err.errors)
    assert err.body == SEED_422
    message = str(err)
    assert "Parameter knockoutRequirements can't be blank" in message
    assert "Parameter requiredFields can't be blank" in message
    assert "req-42" in message
    assert "POST" in message and "/flow-generations" in message


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (418, APIStatusError),
    ],
)
async def test_status_maps_to_its_class(
    server: ScriptedServer, status: int, cls: type[APIStatusError]
) -> None:
    server.default = Reply(status=status, body=error_body(status, "Nope"))
    async with Client("k", base_url=server.url, max_retries=0) as client:
        with pytest.raises(cls) as info:
            await client.flow_generations.retrieve("abc")
    assert type(info.value) is cls
    assert info.value.status == status
    assert info.value.errors[0].title == "Nope"


async def test_html_502_from_a_proxy_is_an_internal_server_error_with_truncated_body(
    server: ScriptedServer,
) -> None:
    html = b"<html><body><h1>502 Bad Gateway</h1>" + b"x" * 5000 + b"</body></html>"
    server.default = Reply(status=502, body=html, content_type="text/html")
    async with Client("k", base_url=server.url, max_retries=0) as client:
        with pytest.raises(InternalServerError) as info:
            await client.flow_generations.retrieve("abc")
    err = info.value
    assert err.status == 502
    assert err.errors == []
    assert isinstance(err.body, str) and err.body.startswith("<html>")
    assert "502 Bad Gateway" in str(err)
    assert len(str(err)) < 600


async def test_integer_status_and_object_detail_are_tolerated(server: ScriptedServer) -> None:
    body = {
        "errors": [
            {"status": 409, "title": "Conflict", "detail": {"state": "already running"}},
            {"status": "x", "detail": 12, "source": {"parameter": "filter[foo]"}},
            "not an object",
        ]
    }
    server.default = Reply(status=409, body=body)
    async with Client("k", base_url=server.url) as client:
        with pytest.raises(ConflictError) as info:
            await client.flow_generations.retrieve("abc")
    first, second = info.value.errors
    assert first == ErrorObject(status=409, title="Conflict", detail={"state": "already running"})
    assert second.status is None and second.detail == "12" and second.parameter == "filter[foo]"
    assert "state: already running" in str(info.value)
    assert "parameter filter[foo]" in str(info.value)


async def test_401_message_says_how_to_fix_it(server: ScriptedServer) -> None:
    server.default = Reply(status=401, body=error_body(401, "access denied"))
    async with Client("k", base_url=server.url) as client:
        with pytest.raises(AuthenticationError, match="RECRUBO_API_KEY"):
            await client.flow_generations.list()


async def test_empty_error_body_still_maps(server: ScriptedServer) -> None:
    server.default = Reply(status=404, body=None)
    async with Client("k", base_url=server.url) as client:
        with pytest.raises(NotFoundError) as info:
            await client.flow_generations.retrieve("abc")
    assert info.value.body is None and info.value.request_id is None


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_an_error_that_says_it_is_not_followed(
    server: ScriptedServer, status: int
) -> None:
    """A DELETE answered with a redirect (a proxy, a wrong base_url) deleted nothing."""
    location = "https://elsewhere.example/public/v2/candidates/c1"
    server.default = Reply(status=status, body=b"", headers={"Location": location})
    async with Client("k", base_url=server.url) as client:
        with pytest.raises(APIStatusError) as info:
            await client.candidates.delete("c1")
    assert type(info.value) is APIStatusError and info.value.status == status
    assert "not follow" in str(info.value) and "base_url" in str(info.value)
    assert location in str(info.value)
    # A 303 See Other says the server carried the request out; the others that it did not.
    assert ("carried the request out" in str(info.value)) is (status == 303)
    assert ("not carried out" in str(info.value)) is (status != 303)
    assert len(server.requests) == 1  # not retried: the same request gets the same answer
