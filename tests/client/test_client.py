"""Client configuration, session ownership, timeouts and secrecy of the API key."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import pytest
from yarl import URL

from recrubo_async import (
    APITimeoutError,
    Client,
    ClientClosedError,
    ConfigurationError,
    Hooks,
    InternalServerError,
    JobMayExistError,
    NotFoundError,
    RetryEvent,
    ValidationError,
)
from recrubo_async._constants import PRODUCTION_URL, SANDBOX_URL
from recrubo_async._retry import retry_sleeps_disabled

from ..conftest import API_KEY
from ..support.scripted_server import Reply, Reset, ScriptedServer

ONE = Reply(body={"data": {"type": "flowGenerations", "id": "g1", "attributes": {}}})


def test_missing_key_names_the_argument_and_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RECRUBO_API_KEY", raising=False)
    with pytest.raises(ConfigurationError) as info:
        Client()
    assert "api_key" in str(info.value)
    assert "RECRUBO_API_KEY" in str(info.value)


def test_key_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECRUBO_API_KEY", "env-key")
    monkeypatch.setenv("RECRUBO_BASE_URL", "http://127.0.0.1:1/public/v2/")
    client = Client()
    assert client.base_url == "http://127.0.0.1:1/public/v2"


def test_environment_selects_the_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECRUBO_BASE_URL", raising=False)
    assert Client("k").base_url == PRODUCTION_URL
    assert Client("k", environment="sandbox").base_url == SANDBOX_URL
    assert Client("k", environment="sandbox", base_url="https://x.test/v2").base_url == (
        "https://x.test/v2"
    )
    with pytest.raises(ConfigurationError, match="production, sandbox"):
        Client("k", environment="staging")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="http"):
        Client("k", base_url="api.recrubo.app")


@pytest.mark.parametrize("key", ["org-key\r\nsecond-line", "org\x00key", "org\tkey\x7f"])
def test_a_key_no_header_can_carry_is_a_configuration_error_naming_api_key(
    monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    """Found when the client is made, not as aiohttp's bare ValueError at the first call;
    the message never shows the key."""
    with pytest.raises(ConfigurationError, match="api_key") as info:
        Client(key)
    assert key not in str(info.value) and "org" not in str(info.value)
    with pytest.raises(ConfigurationError, match="api_key"):
        Client("good-key").with_options(api_key=key)
    monkeypatch.setenv("RECRUBO_API_KEY", key.replace("\x00", "\x01"))  # no NUL in environ
    with pytest.raises(ConfigurationError, match="RECRUBO_API_KEY") as info:
        Client()
    assert "org" not in str(info.value)


def test_a_key_read_with_a_trailing_newline_is_still_stripped() -> None:
    client = Client("org-key\n", base_url="http://127.0.0.1:1/public/v2")
    assert client._config.api_key.reveal() == "org-key"


@pytest.mark.parametrize("tail", ["?", "#", "?#", "?a=1", "#top"])
async def test_a_base_url_with_a_query_or_fragment_even_empty_is_refused(
    server: ScriptedServer, tail: str
) -> None:
    """An empty "?" or "#" would put every path inside it: DELETE /candidates/c1 would be
    sent as DELETE /public/v2."""
    with pytest.raises(ConfigurationError, match="query or a fragment"):
        Client("k", base_url=server.url + tail)
    with pytest.raises(ConfigurationError, match="query or a fragment"):
        Client("k", base_url=server.url).with_options(base_url=server.url + tail)
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2@api.example/public/v2",
        # An unencoded "/" or "@" in the password: still not shown, whatever the problem.
        "https://user:hun/ter2@api.example/public/v2",
        "https://user:hun@ter2@api.example/public/v2",
        "https://user:hun/ter2@api.example:99999/public/v2",
        "user:hunter2@api.example/public/v2",  # the scheme forgotten
        "https:/user:hunter2@api.example",  # one slash short
        "https://user:hunter2\n@api.example",  # a stray newline (a pasted value)
    ],
)
def test_a_base_url_with_credentials_is_refused_without_showing_them(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Client("k", base_url=url)
    for part in ("hunter2", "hun", "ter2", "user"):
        assert part not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [URL("https://user:hunter2@api.example/public/v2"), b"https://user:hunter2@api.example"],
    ids=["yarl.URL", "bytes"],
)
def test_a_base_url_of_another_type_is_named_by_its_type_not_shown(url: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        Client("k", base_url=url)  # type: ignore[arg-type]
    assert "hunter2" not in str(info.value)
    assert type(url).__name__ in str(info.value)


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("HTTPS://API.Recrubo.APP/public/v2/", "https://api.recrubo.app/public/v2"),
        ("https://api.recrubo.app:443/public/v2", "https://api.recrubo.app/public/v2"),
        ("http://LOCALHOST:80/Public/V2", "http://localhost/Public/V2"),
        ("http://localhost:8080/public/v2", "http://localhost:8080/public/v2"),
        ("http://[::1]:8080/public/v2/", "http://[::1]:8080/public/v2"),
    ],
)
def test_a_base_url_is_kept_in_one_spelling(spelling: str, canonical: str) -> None:
    """Scheme and host lower case, no default port, no trailing slash; the path as given.
    The visibility scope and the idempotency ledger's scope are keyed by it."""
    client = Client("k", base_url=spelling)
    assert client.base_url == canonical
    assert client._core.scope == Client("k", base_url=canonical)._core.scope


async def test_owned_session_is_closed_by_async_with(server: ScriptedServer) -> None:
    server.add(ONE)
    async with Client("k", base_url=server.url) as client:
        await client.flow_generations.retrieve("g1")
        open_inside = not client.is_closed
    assert open_inside
    assert client.is_closed
    await client.aclose()  # idempotent


async def test_borrowed_session_is_never_closed(server: ScriptedServer) -> None:
    server.add(ONE)
    async with aiohttp.ClientSession() as session:
        async with Client("k", base_url=server.url, session=session) as client:
            await client.flow_generations.retrieve("g1")
        assert not session.closed
        with pytest.raises(ClientClosedError):
            await client.flow_generations.retrieve("g1")


async def test_use_after_close_raises_a_clear_error(server: ScriptedServer) -> None:
    client = Client("k", base_url=server.url)
    await client.aclose()
    with pytest.raises(ClientClosedError, match="async with Client"):
        await client.flow_generations.list()
    assert server.requests == []


async def test_with_options_shares_the_session_and_overrides_settings(
    server: ScriptedServer,
) -> None:
    server.default = Reply(status=503)
    async with Client("k", base_url=server.url, max_retries=0) as client:
        patient = client.with_options(max_retries=1, api_key="other-key")
        with pytest.raises(InternalServerError):
            await patient.flow_generations.retrieve("g1")
        assert len(server.requests) == 2
        assert server.requests[0].headers["authorization"] == "Bearer other-key"
        assert patient._holder is client._holder
        await patient.aclose()
        assert not client.is_closed
    assert patient.is_closed


async def test_a_borrowed_session_closed_by_its_owner_gives_a_clear_error(
    server: ScriptedServer,
) -> None:
    server.default = ONE
    session = aiohttp.ClientSession()
    client = Client("k", base_url=server.url, session=session)
    assert (await client.flow_generations.retrieve("g1")).id == "g1"
    await session.close()
    with pytest.raises(ClientClosedError, match="closed"):
        await client.flow_generations.retrieve("g1")
    assert len(server.requests) == 1


async def test_a_copy_and_its_original_each_send_their_own_headers_once(
    server: ScriptedServer,
) -> None:
    # The owned session sends the original's headers by default; a copy with another key
    # passes its own on each request. Interleaved on one session, neither leaks.
    server.default = ONE
    async with Client("k", base_url=server.url, default_headers={"X-Team": "a"}) as client:
        other = client.with_options(api_key="other-key")
        same = client.with_options(max_retries=5)
        for c in (client, other, same, client, other):
            await c.flow_generations.retrieve("g1")
    keys = [r.headers["authorization"] for r in server.requests]
    assert keys == ["Bearer k", "Bearer other-key", "Bearer k", "Bearer k", "Bearer other-key"]
    for recorded in server.requests:
        names = [name for name, _ in recorded.header_lines]
        assert names.count("authorization") == 1
        assert names.count("accept") == 1
        assert recorded.headers["x-team"] == "a"


async def test_a_borrowed_session_keeps_its_defaults_but_the_client_headers_win(
    server: ScriptedServer,
) -> None:
    server.default = ONE
    async with (
        aiohttp.ClientSession(
            headers={"Authorization": "Bearer session-default", "X-Trace": "t1"}
        ) as session,
        Client("k", base_url=server.url, session=session) as client,
    ):
        await client.flow_generations.retrieve("g1")
    (recorded,) = server.requests
    assert recorded.headers["authorization"] == "Bearer k"
    assert [n for n, _ in recorded.header_lines].count("authorization") == 1
    assert recorded.headers["x-trace"] == "t1"


async def test_a_borrowed_session_that_raises_for_status_still_gets_the_sdk_errors(
    server: ScriptedServer,
) -> None:
    """raise_for_status=True is a common application-wide setting: the SDK's error
    mapping, retry rules and billed-create rule must not depend on it."""
    server.add(Reply(status=404, body={"errors": [{"status": "404", "title": "Not found"}]}))
    server.add(Reply(status=422, body={"errors": [{"status": "422", "detail": "bad"}]}))
    server.add(Reply(status=503), ONE)
    async with (
        aiohttp.ClientSession(raise_for_status=True) as session,
        Client("k", base_url=server.url, session=session) as client,
    ):
        with pytest.raises(NotFoundError):
            await client.flow_generations.retrieve("g1")
        with pytest.raises(ValidationError):
            await client.flow_generations.create(
                flow_type="vacancy_application_flow", parameters={}
            )
        with retry_sleeps_disabled():
            assert (await client.flow_generations.retrieve("g1")).id == "g1"
    assert [r.method for r in server.requests] == ["GET", "POST", "GET", "GET"]


async def test_client_timeout_and_per_call_timeout(server: ScriptedServer) -> None:
    server.default = Reply(body=ONE.body, delay=0.5)
    async with Client("k", base_url=server.url, timeout=0.1, max_retries=0) as client:
        with pytest.raises(APITimeoutError, match="timed out"):
            await client.flow_generations.retrieve("g1")
        gen = await client.flow_generations.retrieve("g1", timeout=5)
        assert gen.id == "g1"
    async with Client("k", base_url=server.url, timeout=5, max_retries=0) as client:
        with pytest.raises(APITimeoutError):
            await client.flow_generations.retrieve("g1", timeout=0.1)
        gen = await client.flow_generations.retrieve("g1", timeout=None)
        assert gen.id == "g1"


async def test_a_copy_with_another_timeout_keeps_it_on_the_shared_session(
    server: ScriptedServer,
) -> None:
    # The owned session's default timeout is the original's; a copy passes its own.
    server.default = Reply(body=ONE.body, delay=0.3)
    async with Client("k", base_url=server.url, timeout=5, max_retries=0) as client:
        hasty = client.with_options(timeout=0.05)
        with pytest.raises(APITimeoutError):
            await hasty.flow_generations.retrieve("g1")
        assert (await client.flow_generations.retrieve("g1")).id == "g1"
        hasty_first = Client("k", base_url=server.url, timeout=0.05, max_retries=0)
        async with hasty_first, hasty_first.with_options(timeout=5) as patient:
            assert (await patient.flow_generations.retrieve("g1")).id == "g1"
            with pytest.raises(APITimeoutError):
                await hasty_first.flow_generations.retrieve("g1")


async def test_timeout_none_on_the_client_disables_it(server: ScriptedServer) -> None:
    server.default = Reply(body=ONE.body, delay=0.2)
    async with Client("k", base_url=server.url, timeout=None) as client:
        assert (await client.flow_generations.retrieve("g1")).id == "g1"
        timeout = aiohttp.ClientTimeout(total=0.05)
        with pytest.raises(APITimeoutError):
            await client.flow_generations.retrieve("g1", timeout=timeout)


@pytest.mark.parametrize("bad", [0, -1, "3", True])
def test_bad_timeout_is_rejected(bad: object) -> None:
    # A wrong type ("3", True) is a TypeError, a wrong number a ValueError (_validate's rule).
    with pytest.raises((ValueError, TypeError), match="timeout"):
        Client("k", timeout=bad)  # type: ignore[arg-type]


async def test_retry_really_sleeps_outside_the_testing_switch(server: ScriptedServer) -> None:
    server.add(Reply(status=503, headers={"Retry-After": "0.2"}), ONE)
    async with Client("k", base_url=server.url) as client:
        started = time.monotonic()
        await client.flow_generations.retrieve("g1")
    assert time.monotonic() - started >= 0.19


async def test_trace_configs_are_passed_to_the_session(server: ScriptedServer) -> None:
    starts: list[str] = []

    async def on_start(
        session: aiohttp.ClientSession,
        ctx: object,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        starts.append(params.method)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    server.add(ONE)
    async with Client("k", base_url=server.url, trace_configs=[trace]) as client:
        await client.flow_generations.retrieve("g1")
    assert starts == ["GET"]


async def test_the_key_never_shows_in_repr_errors_or_logs(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    retries: list[RetryEvent] = []
    server.add(Reply(status=503), Reset(), Reset(), Reply(status=404, body={"errors": []}))
    caplog.set_level(logging.DEBUG)
    async with Client(
        API_KEY, base_url=server.url, max_retries=3, hooks=Hooks(on_retry=retries.append)
    ) as client:
        texts = [repr(client), str(client), repr(client._config), repr(client.flow_generations)]
        with pytest.raises(NotFoundError) as info:
            await client.flow_generations.retrieve("g1")
        texts += [str(info.value), repr(info.value), repr(info.value.body)]
        texts += [repr(event) for event in retries]
    url = f"http://127.0.0.1:{server.port}/nowhere"
    async with Client(API_KEY, base_url=url, max_retries=0) as client:
        server.add(Reset())
        with pytest.raises(JobMayExistError) as conn:
            await client.flow_generations.create(flow_type="x", parameters={})
        cause = conn.value.__cause__
        texts += [str(conn.value), repr(conn.value), str(cause), str(cause and cause.__cause__)]
    texts += [record.getMessage() for record in caplog.records]
    assert any("recrubo_async" in r.name for r in caplog.records)
    for text in texts:
        assert API_KEY not in text
    assert "<secret>" in repr(client._config)


async def test_requests_are_logged_at_debug_with_method_and_status(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.add(ONE)
    caplog.set_level(logging.DEBUG, logger="recrubo_async")
    async with Client("k", base_url=server.url) as client:
        await client.flow_generations.retrieve("g1")
    messages = [r.getMessage() for r in caplog.records if r.name == "recrubo_async"]
    assert any("GET" in m and "-> 200" in m for m in messages)


async def test_concurrent_calls_share_one_session(server: ScriptedServer) -> None:
    server.default = ONE
    async with Client("k", base_url=server.url) as client:
        results = await asyncio.gather(*(client.flow_generations.retrieve("g1") for _ in range(20)))
        session = client._holder.get()
    assert {r.id for r in results} == {"g1"}
    assert session.closed
