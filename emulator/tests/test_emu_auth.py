"""Authentication, scoping of keys, and isolation between organizations."""

from __future__ import annotations

import aiohttp

from emu_helpers import Api
from recrubo_emulator import Emulator, Organization


async def test_missing_key_is_401_access_denied(api: Api) -> None:
    """A request without Authorization gets a JSON:API 401 titled 'access denied'."""
    answer = await api.with_token(None).get("/candidates")
    assert answer.status == 401
    assert answer.headers["Content-Type"].startswith("application/vnd.api+json")
    [err] = answer.errors
    assert err["status"] == "401"
    assert err["title"] == "access denied"
    assert err["code"] == "unauthorized"


async def test_wrong_key_and_wrong_scheme_are_401(api: Api) -> None:
    """An unknown token, or a token without the Bearer scheme, is rejected."""
    assert (await api.with_token("nope").get("/candidates")).status == 401
    unauthenticated = api.with_token(None)
    answer = await unauthenticated.get("/candidates", headers={"Authorization": str(api.token)})
    assert answer.status == 401


async def test_partner_key_only_on_management_routes(api: Api, partner: Api) -> None:
    """The partner key opens /management/..., not organization resources."""
    assert (await partner.get("/management/organizations")).status == 200
    assert (await partner.get("/candidates")).status == 401


async def test_organization_key_not_on_management_routes(api: Api) -> None:
    """An organization key cannot use the management routes."""
    assert (await api.get("/management/organizations")).status == 401
    assert (await api.post("/management/refresh-token/x")).status == 401


async def test_organizations_never_see_each_others_data(
    emu: Emulator, api: Api, session: aiohttp.ClientSession
) -> None:
    """A resource of one organization is a 404 (and absent from lists) for another."""
    other: Organization = await emu.create_organization("Other")
    theirs = Api(session, emu.base_url, other.token)
    vacancy = await api.create("vacancies", "vacancies", {"title": "T", "description": "D"})
    assert (await theirs.get(f"/vacancies/{vacancy['id']}")).status == 404
    assert (await theirs.patch(f"/vacancies/{vacancy['id']}", {"data": {}})).status == 404
    assert (await theirs.delete(f"/vacancies/{vacancy['id']}")).status == 404
    assert (await theirs.get("/vacancies")).data == []
    assert (await api.get(f"/vacancies/{vacancy['id']}")).status == 200


async def test_every_response_has_a_request_id(api: Api) -> None:
    """X-Request-Id is set on successes and errors alike, unique per request."""
    ok = await api.get("/candidates")
    bad = await api.with_token(None).get("/candidates")
    missing = await api.get("/nowhere")
    ids = {a.headers["X-Request-Id"] for a in (ok, bad, missing)}
    assert len(ids) == 3


async def test_refreshed_token_replaces_the_old_one(emu: Emulator, api: Api, partner: Api) -> None:
    """POST /management/refresh-token/{id} returns a new token; the old one stops working."""
    org_id = (await api.get("/organizations")).data[0]["id"]
    answer = await partner.post(f"/management/refresh-token/{org_id}")
    assert answer.status == 200
    new_token = answer.data["attributes"]["token"]
    assert new_token != api.token
    assert (await api.get("/candidates")).status == 401
    assert (await api.with_token(new_token).get("/candidates")).status == 200
