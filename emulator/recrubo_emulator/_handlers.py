"""Request handlers, written once for every resource type and driven by the schema."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import attrs

from ._behaviours import behaviour
from ._engine import Engine
from ._ids import iso
from ._jobs import Jobs
from ._jsonapi import ApiError, document, invalid, parse_write
from ._query import Query, candidates, includes, page_of, parse, select
from ._schema import MANAGEMENT_ORGANIZATIONS, ORGANIZATIONS, spec_for
from ._spec import Spec
from ._store import OrgData, Record
from ._writes import WriteContext, is_http_url, resolve_values

#: Types whose POST honours ``?sync=true`` in sandbox mode.
SYNC_TYPES = frozenset({"flowGenerations", "vacancyAnalyses"})


@attrs.define
class Call:
    """What a handler needs to know about one request."""

    method: str
    params: list[tuple[str, str]]
    url: str
    body: Any = None
    spec: Spec | None = None
    id: str | None = None
    org: Record | None = None


Reply = tuple[int, Any]


class Handlers:
    """The API's operations over the engine."""

    def __init__(self, engine: Engine, jobs: Jobs) -> None:
        self.engine = engine
        self.jobs = jobs

    # -- helpers ---------------------------------------------------------------------------

    def _data(self, call: Call) -> OrgData:
        assert call.org is not None
        return self.engine.store.data[call.org.id]

    def _spec(self, call: Call) -> Spec:
        assert call.spec is not None
        return call.spec

    def _render(self, spec: Spec, recs: list[Record], query: Query) -> tuple[list[Any], Any]:
        renderer = self.engine.renderer
        linkage, included = includes(recs, query.include, self.engine.resolve)
        data = [
            renderer.resource(
                spec,
                r,
                fields=query.fields.get(spec.type),
                linkage=linkage.get((r.type, r.id)),
            )
            for r in recs
        ]
        extra = [
            renderer.resource(
                spec_for(r.type) or spec,
                r,
                fields=query.fields.get(r.type),
                linkage=linkage.get((r.type, r.id)),
            )
            for r in included
        ]
        return data, (extra if query.include else None)

    def _one(self, spec: Spec, rec: Record, call: Call, status: int = 200) -> Reply:
        query = parse(call.params, spec, listing=False)
        data, included = self._render(spec, [rec], query)
        return status, document(data[0], included=included)

    def _many(
        self, spec: Spec, records: Iterable[Record], call: Call, query: Query | None = None
    ) -> Reply:
        query = query or parse(call.params, spec, listing=True)
        matching = select(records, query)
        page, links, meta = page_of(matching, query, call.url, call.params)
        data, included = self._render(spec, page, query)
        return 200, document(data, included=included, links=links, meta=meta)

    def _find(self, call: Call) -> Record:
        spec = self._spec(call)
        rec = self._data(call).get(spec.type, call.id or "")
        if rec is None:
            raise ApiError.one(404, f"{spec.title} not found")
        return rec

    def _shown(self, spec: Spec, rec: Record, call: Call) -> Reply:
        self.engine.stats.gets[rec.id] += 1
        return self._one(spec, rec, call)

    def _checked(
        self, call: Call, spec: Spec, org: Record, data: OrgData, rec: Record | None = None
    ) -> WriteContext:
        """Parse and check a POST (``rec`` None) or PATCH document; raises 400/409/422."""
        engine = self.engine
        create, url_id = rec is None, None if rec is None else rec.id
        write = parse_write(call.body, spec, create=create, url_id=url_id, strict=engine.strict)
        ctx = WriteContext(engine, org, data, spec, write, {}, rec)
        resolve_values(ctx)
        behaviour(spec.type).check(ctx)
        if ctx.write.errors:
            raise ApiError(422, ctx.write.errors)
        return ctx

    # -- organization-scoped resources -----------------------------------------------------

    async def list(self, call: Call) -> Reply:
        """GET /<type>."""
        spec = self._spec(call)
        data = self._data(call)
        query = parse(call.params, spec, listing=True)
        return self._many(spec, candidates(data, spec, query), call, query)

    async def show(self, call: Call) -> Reply:
        """GET /<type>/{id}."""
        return self._shown(self._spec(call), self._find(call), call)

    async def create(self, call: Call) -> Reply:
        """POST /<type>."""
        spec = self._spec(call)
        assert call.org is not None
        engine = self.engine
        asked = [v for k, v in call.params if k == "sync"] if spec.type in SYNC_TYPES else []
        for value in asked:
            if value not in ("true", "false"):
                detail = f"Invalid query parameter sync: `{value}` is not true or false"
                raise ApiError.one(400, detail, parameter="sync")
        ctx = self._checked(call, spec, call.org, self._data(call))
        rules = behaviour(spec.type)
        rules.defaults(ctx)
        rules.derive(ctx)
        rec = engine.create(call.org, spec.type, ctx.values)
        engine.stats.created[spec.type] += 1
        sync = engine.sandbox and "true" in asked
        rules.created(engine, self.jobs, rec, sync=sync)
        return self._one(spec, rec, call, 201)

    async def update(self, call: Call) -> Reply:
        """PATCH /<type>/{id}."""
        spec = self._spec(call)
        assert call.org is not None
        rec = self._find(call)
        engine = self.engine
        ctx = self._checked(call, spec, call.org, self._data(call), rec)
        rules = behaviour(spec.type)
        rules.derive(ctx)
        changed = engine.update(rec, ctx.values)
        rules.updated(engine, self.jobs, rec, changed)
        return self._one(spec, rec, call)

    async def delete(self, call: Call) -> Reply:
        """DELETE /<type>/{id}."""
        self.engine.delete(self._find(call))
        return 204, None

    # -- organizations (standard view) -----------------------------------------------------

    async def org_list(self, call: Call) -> Reply:
        """GET /organizations: only the caller's own organization."""
        assert call.org is not None
        return self._many(ORGANIZATIONS, [call.org], call)

    def _own_org(self, call: Call) -> Record:
        if call.org is None or call.id != call.org.id:
            raise ApiError.one(404, "Organization not found")
        return call.org

    async def org_show(self, call: Call) -> Reply:
        """GET /organizations/{id}."""
        return self._shown(ORGANIZATIONS, self._own_org(call), call)

    async def org_update(self, call: Call) -> Reply:
        """PATCH /organizations/{id}: webhookUrl and webhookSecret, both required."""
        return self._patch_org(call, self._own_org(call), ORGANIZATIONS)

    def _patch_org(self, call: Call, org: Record, spec: Spec) -> Reply:
        ctx = self._checked(call, spec, org, self.engine.store.data[org.id], org)
        self.engine.update(org, ctx.values)
        return self._one(spec, org, call)

    # -- management (partner key) ----------------------------------------------------------

    def _managed(self, call: Call) -> Record:
        org = self.engine.store.orgs.get(call.id or "")
        if org is None:
            raise ApiError.one(404, "Organization not found")
        return org

    async def mgmt_list(self, call: Call) -> Reply:
        """GET /management/organizations."""
        return self._many(MANAGEMENT_ORGANIZATIONS, self.engine.store.orgs.values(), call)

    async def mgmt_show(self, call: Call) -> Reply:
        """GET /management/organizations/{id}."""
        return self._shown(MANAGEMENT_ORGANIZATIONS, self._managed(call), call)

    async def mgmt_create(self, call: Call) -> Reply:
        """POST /management/organizations."""
        engine = self.engine
        spec = MANAGEMENT_ORGANIZATIONS
        # A throwaway org stands in for the context: the new one does not exist yet.
        ctx = self._checked(call, spec, Record("organizations", "", {}, ""), OrgData())
        org = engine.new_org(ctx.values)
        engine.stats.created["organizations"] += 1
        return self._one(spec, org, call, 201)

    async def mgmt_update(self, call: Call) -> Reply:
        """PATCH /management/organizations/{id}."""
        return self._patch_org(call, self._managed(call), MANAGEMENT_ORGANIZATIONS)

    async def mgmt_delete(self, call: Call) -> Reply:
        """DELETE /management/organizations/{id}: the organization and all its data."""
        self.engine.store.remove_org(self._managed(call))
        return 204, None

    async def refresh_token(self, call: Call) -> Reply:
        """POST /management/refresh-token/{organizationId}: a new token; the old one dies."""
        org = self._managed(call)
        self.engine.update(org, {"token": self.engine.ids.token()})
        return self._one(MANAGEMENT_ORGANIZATIONS, org, call)

    # -- embed -----------------------------------------------------------------------------

    async def embed_authenticate(self, call: Call) -> Reply:
        """POST /embed/authenticate: an iframe token for a user of the organization."""
        body = call.body
        prefix = ""
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            body = body["data"].get("attributes")
            prefix = "/data/attributes"
        if not isinstance(body, dict):
            raise ApiError.one(400, "The body must be an object with userId and originUrl")
        errors = []
        user_id = body.get("userId")
        if not isinstance(user_id, str) or self._data(call).get("users", user_id) is None:
            errors.append(invalid("userId must be the id of a user", f"{prefix}/userId"))
        origin = body.get("originUrl")
        if not is_http_url(origin):
            errors.append(invalid("originUrl must be an http(s) origin", f"{prefix}/originUrl"))
        if errors:
            raise ApiError(422, errors)
        engine = self.engine
        attributes = {
            "token": engine.ids.token(),
            "userId": user_id,
            "originUrl": origin,
            "expiresAt": iso(engine.now() + timedelta(hours=1)),
        }
        resource = {"id": engine.ids.uuid(), "type": "embedTokens", "attributes": attributes}
        return 200, document(resource)
