"""``client.organizations``: the organization of the key (GET list/one, PATCH its webhook
URL and secret)."""

from __future__ import annotations

from .._resource import Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from .._validate import check_header_secret, check_webhook_url
from ..models.organization import Organization


class Organizations(Listable[Organization], Retrievable[Organization]):
    """The key's own organization (the list holds only it)."""

    _path = "/organizations"
    _model = Organization

    async def configure_webhooks(
        self,
        id: str | Organization | None = None,
        *,
        url: str,
        secret: str,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Organization:
        """Set where webhooks go and the secret sent with them (``X-Recrubo-Webhook-Secret``).

        Args:
            id: the organization; by default the key's own (one extra GET finds it).

        Raises:
            ValueError: ``url`` is not http(s), or ``secret`` is empty or could not travel
                in a header (surrounding whitespace, control characters).
        """
        _check_webhook("url", url, "secret", secret)
        if id is None:
            page = await self.list(page_size=1, timeout=timeout)
            if not page.items:
                raise LookupError("the API listed no organization for this key")
            id = page.items[0]
        return await self.update(id, webhook_url=url, webhook_secret=secret, timeout=timeout)

    async def update(
        self,
        id: str | Organization,
        *,
        webhook_url: str,
        webhook_secret: str,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Organization:
        """PATCH the organization: its two writable fields, which the API wants together.

        ``configure_webhooks`` does the same and finds the key's organization itself.

        Raises:
            ValueError: ``webhook_url`` is not http(s), or ``webhook_secret`` is empty or
                could not travel in a header.
        """
        _check_webhook("webhook_url", webhook_url, "webhook_secret", webhook_secret)
        return await self._update(
            id, {"webhook_url": webhook_url, "webhook_secret": webhook_secret}, timeout=timeout
        )


def _check_webhook(url_name: str, url: str, secret_name: str, secret: str) -> None:
    check_webhook_url(url_name, url)
    # Never echo the value: it is the secret.
    check_header_secret(secret_name, secret)
