"""One rule for the secret header on every adapter: its raw bytes equal the secret's UTF-8.

The same non-ASCII secret goes through aiohttp, the ASGI app under uvicorn, a Starlette
route using the framework-neutral core (the README's pattern; Starlette decodes header
values as latin-1) and the core itself: every right one is 200, every wrong one 401.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from recrubo_async.webhooks import SECRET_HEADER, WebhookReceiver

from ..support.deliveries import delivery, generation
from ..support.raw_http import post_raw
from ..support.servers import Serve, serve_aiohttp, serve_asgi, uvicorn_server

#: Not ASCII, and not latin-1 either: only its UTF-8 bytes can carry it.
SECRET = "whsec-clé-Ω-🔑"
#: Latin-1 characters only: its latin-1 bytes differ from its UTF-8 bytes.
LATIN_SECRET = "clé-secrète"
PATH = "/webhooks"


@contextlib.asynccontextmanager
async def serve_starlette_core(receiver: WebhookReceiver) -> AsyncIterator[int]:
    """The framework-neutral core in a Starlette route, as the README showed it."""

    async def recrubo_webhook(request: Request) -> JSONResponse:
        result = await receiver.handle(request.headers, await request.body())
        return JSONResponse({"status": result.reason}, status_code=result.status)

    app = Starlette(routes=[Route(PATH, recrubo_webhook, methods=["POST"])])
    async with uvicorn_server(app) as port:
        yield port


ADAPTERS = [serve_aiohttp, serve_asgi, serve_starlette_core]
RAW_ADAPTERS = [serve_aiohttp, serve_asgi]


def ids(serve: Serve) -> str:
    return serve.__name__.removeprefix("serve_")


@pytest.mark.parametrize("serve", ADAPTERS, ids=ids)
async def test_a_non_ascii_secret_is_accepted_and_a_wrong_one_refused(serve: Serve) -> None:
    receiver = WebhookReceiver(secret=SECRET)
    async with serve(receiver) as port:
        good = delivery(generation("g-enc", "finished"))
        right = await post_raw(port, PATH, SECRET.encode("utf-8"), good)
        assert right == (200, {"status": "ok"})
        for wrong in ("whsec-cle-Ω-🔑", "whsec-clé-Ω-🔒", "whsec-clé-Ω"):
            body = delivery(generation("g-enc", "finished"))
            answer = await post_raw(port, PATH, wrong.encode("utf-8"), body)
            assert answer == (401, {"status": "unauthorized"}), wrong


@pytest.mark.parametrize("serve", RAW_ADAPTERS, ids=ids)
async def test_raw_adapters_compare_bytes_so_a_latin1_encoding_is_refused(
    serve: Serve,
) -> None:
    """Where the raw bytes are at hand, only the secret's UTF-8 bytes are the secret."""
    receiver = WebhookReceiver(secret=LATIN_SECRET)
    async with serve(receiver) as port:
        body = delivery(generation("g-lat", "finished"))
        assert await post_raw(port, PATH, LATIN_SECRET.encode("latin-1"), body) == (
            401,
            {"status": "unauthorized"},
        )
        assert await post_raw(port, PATH, LATIN_SECRET.encode("utf-8"), body) == (
            200,
            {"status": "ok"},
        )


@pytest.mark.parametrize("decoding", ["utf-8", "latin-1"])
async def test_the_core_accepts_a_str_header_decoded_either_way(decoding: str) -> None:
    """Frameworks decode header bytes as UTF-8 (aiohttp) or latin-1 (Starlette, Django)."""
    receiver = WebhookReceiver(secret=SECRET)
    presented = SECRET.encode("utf-8").decode(decoding)
    result = await receiver.handle(
        {SECRET_HEADER.lower(): presented}, delivery(generation("g-core", "finished"))
    )
    assert (result.status, result.reason) == (200, "ok")


@pytest.mark.parametrize(
    "presented",
    [
        "whsec-clé-Ω",
        "whsec-cle-Ω-🔑",
        "whsec-clé-Ω-🔑".encode().decode("latin-1")[:-1],
        "\ud800",  # a lone surrogate: no bytes decode to it; refused, not an error
        "",
    ],
)
async def test_the_core_refuses_wrong_str_headers(presented: str) -> None:
    receiver = WebhookReceiver(secret=SECRET)
    result = await receiver.handle(
        {SECRET_HEADER: presented}, delivery(generation("g-core", "finished"))
    )
    assert (result.status, result.reason) == (401, "unauthorized")


async def test_authorize_takes_raw_header_pairs_and_mappings() -> None:
    receiver = WebhookReceiver(secret="old", secrets=[SECRET])
    raw = SECRET.encode("utf-8")
    assert receiver.authorize([(b"X-Recrubo-Webhook-Secret", raw)])
    assert receiver.authorize([(b"x-recrubo-webhook-secret", b"old")])
    assert not receiver.authorize([(b"x-recrubo-webhook-secret", raw[:-1])])
    assert not receiver.authorize([(b"x-other", raw)])
    assert receiver.authorize({"X-RECRUBO-WEBHOOK-SECRET": SECRET})
    assert not receiver.authorize({})
