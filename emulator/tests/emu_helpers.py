"""Helpers for the emulator's own tests: a plain JSON:API client, documents, a webhook receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson
from aiohttp import web

JSONAPI = "application/vnd.api+json"


class Answer:
    """One HTTP answer: status, headers and the decoded JSON body (None when empty)."""

    def __init__(self, status: int, headers: Any, raw: bytes) -> None:
        self.status = status
        self.headers = headers
        self.raw = raw
        self.json: Any = orjson.loads(raw) if raw else None

    @property
    def data(self) -> Any:
        """The primary data of the document."""
        return self.json["data"]

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The error objects of the document."""
        errors: list[dict[str, Any]] = self.json["errors"]
        return errors

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.raw[:300]!r})"


class Api:
    """A thin JSON:API client over a plain aiohttp session (deliberately not the SDK)."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str | None) -> None:
        self.session = session
        self.base_url = base_url
        self.token = token

    def with_token(self, token: str | None) -> Api:
        """The same client with another key."""
        return Api(self.session, self.base_url, token)

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Any = None,
        raw: bytes | None = None,
        content_type: str | None = JSONAPI,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Send a request; ``path`` is relative to the base URL unless absolute."""
        url = path if path.startswith("http") else self.base_url + path
        sent = dict(headers or {})
        if self.token is not None:
            sent["Authorization"] = f"Bearer {self.token}"
        data = raw if raw is not None else (orjson.dumps(body) if body is not None else None)
        if data is not None and content_type is not None:
            sent["Content-Type"] = content_type
        async with self.session.request(
            method, url, data=data, params=params, headers=sent
        ) as resp:
            return Answer(resp.status, resp.headers, await resp.read())

    async def get(self, path: str, **kw: Any) -> Answer:
        """GET."""
        return await self.request("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        """POST."""
        return await self.request("POST", path, body, **kw)

    async def patch(self, path: str, body: Any = None, **kw: Any) -> Answer:
        """PATCH."""
        return await self.request("PATCH", path, body, **kw)

    async def delete(self, path: str, **kw: Any) -> Answer:
        """DELETE."""
        return await self.request("DELETE", path, **kw)

    async def create(
        self, type_path: str, type_: str, attributes: dict[str, Any], **kw: Any
    ) -> Any:
        """POST a resource and return its data (asserting 201)."""
        body: dict[str, Any] = {"data": {"type": type_, "attributes": attributes}}
        if "relationships" in kw:
            body["data"]["relationships"] = kw.pop("relationships")
        answer = await self.post(f"/{type_path}", body, **kw)
        assert answer.status == 201, answer
        return answer.data


def doc(type_: str, attributes: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A write document."""
    data: dict[str, Any] = {"type": type_, **extra}
    if attributes is not None:
        data["attributes"] = attributes
    return {"data": data}


async def hook_up(api: Api, url: str, secret: str = "s3cret") -> None:
    """Point the caller's organization's webhooks at ``url`` (with ``secret``)."""
    own = (await api.get("/organizations")).data[0]
    answer = await api.patch(
        f"/organizations/{own['id']}",
        doc("organizations", {"webhookUrl": url, "webhookSecret": secret}),
    )
    assert answer.status == 200, answer


def generation_attributes(**parameters: Any) -> dict[str, Any]:
    """The docs' example FlowGeneration attributes (parameters overridable)."""
    params: dict[str, Any] = {
        "language": "nl",
        "emojiUsage": "3",
        "flowName": "Driver",
        "knockoutRequirements": [
            {"value": "Has drivers license B", "sessionField": "drivers_license"},
            {"value": "Must be communicative", "sessionField": "communicative"},
        ],
        "preferredRequirements": [{"value": "Lives in Amsterdam", "sessionField": "location"}],
        "requiredFields": [
            {"value": "firstName", "sessionField": "first_name"},
            {"value": "email", "sessionField": "email"},
            {"value": "phoneNumber", "sessionField": "phone"},
        ],
        "optionalFields": [
            {"value": "address", "sessionField": "address"},
            {"value": "linkedin", "sessionField": "linkedin"},
            {"value": "portfolio", "sessionField": "portfolio"},
        ],
    }
    params.update(parameters)
    return {
        "flowType": "vacancy_application_flow",
        "parameters": {k: v for k, v in params.items() if v is not None},
        "context": {"type": "text", "value": "Example vacancy text here."},
    }


class Receiver:
    """A webhook receiver: records every request; answers with scripted statuses."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], Any]] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        """Record a delivery and answer the next scripted status (200 when none is left)."""
        self.received.append((dict(request.headers), orjson.loads(await request.read())))
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status)

    @property
    def payload_ids(self) -> list[str]:
        """The payload ids received, in order."""
        return [body["data"]["id"] for _, body in self.received]

    def of(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Payload attribute objects matching a predicate."""
        return [
            b["data"]["attributes"] for _, b in self.received if predicate(b["data"]["attributes"])
        ]


@asynccontextmanager
async def serving_receiver() -> AsyncIterator[Receiver]:
    """A ``Receiver`` served on a free loopback port at ``/hook`` (its ``url``)."""
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    rec.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield rec
    finally:
        await runner.cleanup()
