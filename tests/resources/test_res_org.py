"""Users, organizations, webhooks, management and embed against the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from recrubo_async import AuthenticationError, Client, NotFoundError, ValidationError
from recrubo_async.models import Candidate, FlowRun, User, WebhookEvent
from recrubo_async.testing import Emulator

SECRET = "whsec-do-not-print-4711"


@pytest.fixture
async def partner(emu: Emulator) -> AsyncIterator[Client]:
    async with Client(emu.partner_key, base_url=emu.base_url, max_retries=0) as c:
        yield c


async def test_users_every_verb_with_candidates(api: Client) -> None:
    cand = await api.candidates.create(phone="31600000009")
    user = await api.users.create(
        first_name="John", last_name="Doe", email="john@doe.example", time_zone="Europe/Amsterdam"
    )
    assert user.full_name == "John Doe"
    assert await api.users.retrieve(user.id) == user
    moved = await api.users.update(user, time_zone="Europe/Berlin", candidates=[cand])
    assert moved.time_zone == "Europe/Berlin"
    got = await api.users.retrieve(user.id, include="candidates")
    assert got.candidates is not None
    assert [c.id for c in got.candidates if isinstance(c, Candidate)] == [cand.id]
    assert [u.id async for u in api.users.list(filter={"email": "john@doe.example"})] == [user.id]
    await api.users.delete(user)
    with pytest.raises(NotFoundError):
        await api.users.retrieve(user.id)


async def test_organization_list_retrieve_and_configure_webhooks(api: Client) -> None:
    (own,) = (await api.organizations.list()).items
    assert own.name == "Acme" and own.token is None
    assert await api.organizations.retrieve(own.id) == own
    configured = await api.organizations.configure_webhooks(
        url="https://hooks.example/recrubo", secret=SECRET
    )
    assert configured.webhook_url == "https://hooks.example/recrubo"
    assert SECRET not in repr(configured)
    again = await api.organizations.configure_webhooks(
        own, url="https://hooks.example/v2", secret=SECRET
    )
    assert again.webhook_url == "https://hooks.example/v2"
    assert not hasattr(api.organizations, "create")
    assert not hasattr(api.organizations, "delete")


async def test_organization_update_patches_the_webhook_url_and_secret(
    api: Client, emu: Emulator
) -> None:
    (own,) = (await api.organizations.list()).items
    updated = await api.organizations.update(
        own, webhook_url="https://hooks.example/updated", webhook_secret=SECRET
    )
    assert (updated.id, updated.webhook_url) == (own.id, "https://hooks.example/updated")
    assert (await api.organizations.retrieve(own.id)).webhook_url == updated.webhook_url

    def patches() -> int:
        return sum(n for k, n in emu.stats.requests.items() if k.startswith("PATCH "))

    before = patches()
    with pytest.raises(ValueError, match="webhook_url must be an http"):
        await api.organizations.update(own.id, webhook_url="hooks.example", webhook_secret=SECRET)
    with pytest.raises(ValueError, match="webhook_secret must be a non-empty string"):
        await api.organizations.update(own.id, webhook_url="https://h.example", webhook_secret="")
    assert patches() == before  # refused before sending


async def test_configure_webhooks_checks_input_without_echoing_the_secret(api: Client) -> None:
    with pytest.raises(ValueError, match="url must be an http"):
        await api.organizations.configure_webhooks(url="hooks.example", secret=SECRET)
    with pytest.raises(ValueError, match="secret must be a non-empty string") as info:
        await api.organizations.configure_webhooks(url="https://h.example", secret="")
    assert SECRET not in str(info.value)


async def test_webhook_subscriptions_create_retrieve_list_delete(api: Client) -> None:
    hook = await api.webhooks.create(resource_type=FlowRun, event="update", fields=["status"])
    assert (hook.resource_type, hook.event, hook.fields) == (
        "flowRuns",
        WebhookEvent.UPDATE,
        ("status",),
    )
    other = await api.webhooks.create(
        resource_type="message_threads",
        event=WebhookEvent.CREATE,
        webhook_url="https://hooks.example/threads",
    )
    assert other.resource_type == "messageThreads"
    assert await api.webhooks.retrieve(hook.id) == hook
    assert {h.id for h in await api.webhooks.list()} == {hook.id, other.id}
    await api.webhooks.delete(hook)
    with pytest.raises(NotFoundError):
        await api.webhooks.retrieve(hook.id)
    assert not hasattr(api.webhooks, "update")


async def test_webhook_subscription_input_errors(api: Client) -> None:
    with pytest.raises(ValidationError):
        await api.webhooks.create(resource_type="flowRuns", event="explode")
    with pytest.raises(ValueError, match="resource_type"):
        await api.webhooks.create(resource_type="", event="create")
    with pytest.raises(TypeError, match="fields"):
        await api.webhooks.create(resource_type="flows", event="update", fields="name")


async def test_management_organizations_every_verb_and_token_refresh(
    emu: Emulator, partner: Client
) -> None:
    org = await partner.management.organizations.create(name="Beta")
    assert org.token and org.token not in repr(org)
    assert (await partner.management.organizations.retrieve(org.id)).name == "Beta"
    renamed = await partner.management.organizations.update(org, name="Beta BV")
    assert renamed.name == "Beta BV"
    assert org.id in {o.id async for o in partner.management.organizations.list()}
    refreshed = await partner.management.organizations.refresh_token(org)
    assert refreshed.token and refreshed.token != org.token
    async with Client(org.token, base_url=emu.base_url, max_retries=0) as stale:
        with pytest.raises(AuthenticationError):
            await stale.flows.list()
    async with Client(refreshed.token, base_url=emu.base_url) as fresh:
        assert (await fresh.organizations.list()).items[0].id == org.id
    await partner.management.organizations.delete(org)
    with pytest.raises(NotFoundError):
        await partner.management.organizations.retrieve(org.id)


async def test_an_organization_key_cannot_use_management(api: Client) -> None:
    with pytest.raises(AuthenticationError, match="partner key"):
        await api.management.organizations.list()


async def test_embed_authenticate_returns_a_hidden_token(api: Client) -> None:
    user = await api.users.create(first_name="A", last_name="B", email="a@b.example")
    token = await api.embed.authenticate(user_id=user, origin_url="https://ats.example")
    assert token.token and token.token not in repr(token)
    assert token.user_id == user.id and token.expires_at is not None
    with pytest.raises(ValidationError):
        await api.embed.authenticate(user_id="nobody", origin_url="https://ats.example")
    with pytest.raises(ValueError, match="origin_url"):
        await api.embed.authenticate(user_id=user.id, origin_url="ats.example")


def test_namespaces_have_helpful_reprs(api: Client) -> None:
    assert repr(api.management) == "<Management /management>"
    assert (
        repr(api.management.organizations) == "<ManagementOrganizations /management/organizations>"
    )
    assert repr(api.embed) == "<Embed /embed>"
    assert api.users is api.users
    assert isinstance(User(id="u"), User)
