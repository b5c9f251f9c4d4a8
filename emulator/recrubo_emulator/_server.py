"""The HTTP layer: routing, authentication, media types, faults, request ids, error rendering."""

from __future__ import annotations

import asyncio
import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
import orjson
from aiohttp import web

from ._faults import FaultDice, Faults
from ._handlers import Call, Handlers, Reply
from ._jsonapi import JSONAPI, ApiError, error
from ._schema import BY_PATH
from ._spec import Spec
from ._stats import Stats
from ._store import Record, Store

log = logging.getLogger("recrubo_emulator")

Handler = Callable[[Call], Awaitable[Reply]]
_VERBS = {"list": "GET", "show": "GET", "create": "POST", "update": "PATCH", "delete": "DELETE"}
#: Where the emulator's counters are served, outside the API's base path.
STATS_PATH = "/_emulator/stats"
_ALLOWED_MEDIA_PARAMS = frozenset({"ext", "profile", "charset"})


@attrs.frozen
class Route:
    """A matched route: its stats name, handlers per method and who may call it."""

    name: str
    methods: Mapping[str, Handler]
    auth: str | None  # "partner", "org" or None
    resource: str
    spec: Spec | None = None
    id: str | None = None
    body_optional: bool = False


class Api:
    """The aiohttp application answering under ``base_path``.

    Args:
        handlers: the operations.
        store: where tokens are looked up.
        partner_key: the partner (management) key.
        base_path: e.g. ``/public/v2``.
        faults: returns the current fault configuration.
        dice: seeded fault draws.
        stats: counters.
        openapi: the OpenAPI document, already serialized.
    """

    def __init__(
        self,
        *,
        handlers: Handlers,
        store: Store,
        partner_key: str,
        base_path: str,
        faults: Callable[[], Faults],
        dice: FaultDice,
        stats: Stats,
        openapi: bytes,
    ) -> None:
        self._h = handlers
        self._store = store
        self._partner_key = partner_key
        self._base = base_path
        self._faults = faults
        self._dice = dice
        self._stats = stats
        self._openapi = openapi

    def app(self) -> web.Application:
        """A fresh application whose one middleware answers everything (our router does 404/405)."""

        @web.middleware
        async def everything(request: web.Request, handler: Any) -> web.StreamResponse:
            return await self.handle(request)

        return web.Application(client_max_size=4 * 1024 * 1024, middlewares=[everything])

    # -- routing ---------------------------------------------------------------------------

    def route(self, path: str) -> Route | None:
        """Match a path to a route."""
        if path != self._base and not path.startswith(self._base + "/"):
            return None
        parts = [p for p in path[len(self._base) :].split("/") if p]
        h = self._h
        n = len(parts)
        if parts == ["openapi.json"]:
            return Route("/openapi.json", {"GET": self._serve_openapi}, None, "openapi.json")
        if n >= 2 and parts[0] == "management":
            if parts[1] == "organizations" and n == 2:
                methods: dict[str, Handler] = {"GET": h.mgmt_list, "POST": h.mgmt_create}
                return Route("/management/organizations", methods, "partner", parts[1])
            if parts[1] == "organizations" and n == 3:
                methods = {"GET": h.mgmt_show, "PATCH": h.mgmt_update, "DELETE": h.mgmt_delete}
                name = "/management/organizations/{id}"
                return Route(name, methods, "partner", parts[1], id=parts[2])
            if parts[1] == "refresh-token" and n == 3:
                name = "/management/refresh-token/{id}"
                return Route(
                    name,
                    {"POST": h.refresh_token},
                    "partner",
                    parts[1],
                    id=parts[2],
                    body_optional=True,
                )
            return None
        if parts == ["embed", "authenticate"]:
            return Route("/embed/authenticate", {"POST": h.embed_authenticate}, "org", "embed")
        if parts and parts[0] == "organizations" and n <= 2:
            if n == 1:
                return Route("/organizations", {"GET": h.org_list}, "org", parts[0])
            methods = {"GET": h.org_show, "PATCH": h.org_update}
            return Route("/organizations/{id}", methods, "org", parts[0], id=parts[1])
        spec = BY_PATH.get(parts[0]) if parts else None
        if spec is None or n > 2:
            return None
        if n == 1:
            ops = {"list": h.list, "create": h.create}
            name = f"/{spec.path}"
        else:
            ops = {"show": h.show, "update": h.update, "delete": h.delete}
            name = f"/{spec.path}/{{id}}"
        methods = {_VERBS[verb]: fn for verb, fn in ops.items() if verb in spec.verbs}
        return Route(name, methods, "org", spec.path, spec, parts[1] if n == 2 else None)

    # -- the handler -----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request."""
        request_id = str(uuid.uuid4())
        method = request.method
        if request.path == STATS_PATH:
            return self._serve_stats(method, request_id)
        route = self.route(request.path)
        faulted = (
            route is not None
            and route.auth is not None
            and self._faults().applies(method, route.resource)
        )
        headers: Mapping[str, str] = {}
        try:
            if faulted and await self._before() == "reset_before":
                return self._reset(request)
            status, body = await self._dispatch(request, route, method)
        except ApiError as exc:
            status, body, headers = exc.status, exc.document(), exc.headers
        except web.HTTPException as exc:
            status, body = exc.status, ApiError.one(exc.status, exc.reason).document()
        except Exception:
            # Never expected (the fuzz tests guard it); answer the way a server would.
            log.exception("emulator bug while handling %s %s", method, request.path)
            status, body = 500, ApiError.one(500, "Internal emulator error").document()
        if faulted and self._dice.hit(self._faults().reset_after):
            self._stats.faults["reset_after"] += 1
            return self._reset(request)
        if faulted and self._dice.hit(self._faults().stall_after):
            # The handler keeps running when the client gives up (aiohttp does not cancel
            # it): the change is made, the answer comes too late.
            self._stats.faults["stall_after"] += 1
            await asyncio.sleep(self._faults().stall_seconds)
        self._stats.responses[status] += 1
        return self._respond(status, body, request_id, headers)

    async def _before(self) -> str | None:
        faults = self._faults()
        delay = self._dice.latency(faults)
        if delay > 0:
            self._stats.faults["latency"] += 1
            await asyncio.sleep(delay)
        fault = self._dice.request_fault(faults)
        if fault is None:
            return None
        self._stats.faults[fault] += 1
        if fault == "reset_before":
            return fault
        status = int(fault)
        headers = {"Retry-After": str(faults.retry_after)} if status == 429 else None
        raise ApiError(status, [error(status, "Injected fault")], headers)

    def _reset(self, request: web.Request) -> web.StreamResponse:
        # The client sees a dropped connection; aiohttp then fails to write this response and
        # treats it as a client disconnect.
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    async def _dispatch(self, request: web.Request, route: Route | None, method: str) -> Reply:
        if route is None:
            raise ApiError.one(404, f"No route matches {request.path}")
        org = self._authenticate(request, route) if route.auth is not None else None
        handler = route.methods.get(method)
        if handler is None:
            allow = ", ".join(route.methods)
            detail = f"{method} is not allowed here (allowed: {allow})"
            raise ApiError(405, [error(405, detail)], {"Allow": allow})
        self._stats.requests[f"{method} {route.name}"] += 1
        call = Call(
            method=method,
            params=list(request.query.items()),
            url=f"{request.scheme}://{request.host}{request.path}",
            spec=route.spec,
            id=route.id,
            org=org,
        )
        if method in ("POST", "PATCH"):
            call.body = await self._body(request, route)
        return await handler(call)

    def _authenticate(self, request: web.Request, route: Route) -> Record | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            if route.auth == "partner":
                if hmac.compare_digest(token.encode(), self._partner_key.encode()):
                    return None
            else:
                org = self._store.org_for_token(token)
                if org is not None:
                    return org
        raise ApiError.one(401, "Missing or invalid API key for this route")

    async def _body(self, request: web.Request, route: Route) -> Any:
        raw = await request.read()
        if route.body_optional and not raw.strip():
            return None
        content_type = request.headers.get("Content-Type", "")
        media, *params = (p.strip() for p in content_type.split(";"))
        names = {p.partition("=")[0].strip().lower() for p in params if p}
        if media.lower() != JSONAPI or not names <= _ALLOWED_MEDIA_PARAMS:
            raise ApiError.one(415, f"Content-Type must be {JSONAPI}")
        if not raw.strip():
            raise ApiError.one(400, "The request body is empty")
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ApiError.one(400, f"Malformed JSON: {exc}") from exc

    def _serve_stats(self, method: str, request_id: str) -> web.Response:
        # Outside the API (no key, no faults, not counted): a rehearsal reads what the
        # emulator saw without changing it. Counters hold no secrets.
        headers = {"X-Request-Id": request_id}
        if method not in ("GET", "HEAD"):
            headers["Allow"] = "GET"
            body = ApiError.one(405, f"{method} is not allowed here (allowed: GET)").document()
            return web.Response(
                status=405,
                body=orjson.dumps(body),
                content_type="application/json",
                headers=headers,
            )
        return web.Response(
            body=orjson.dumps(self._stats.as_dict()),
            content_type="application/json",
            headers=headers,
        )

    async def _serve_openapi(self, call: Call) -> Reply:
        return 200, self._openapi

    def _respond(
        self, status: int, body: Any, request_id: str, headers: Mapping[str, str]
    ) -> web.Response:
        out = {"X-Request-Id": request_id, **headers}
        if body is None:
            return web.Response(status=status, headers=out)
        if isinstance(body, bytes):
            return web.Response(
                status=status, body=body, headers=out, content_type="application/json"
            )
        return web.Response(
            status=status, body=orjson.dumps(body), headers=out, content_type=JSONAPI
        )
