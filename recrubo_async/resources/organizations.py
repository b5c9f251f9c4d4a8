"""``client.organizations``: the organization of the key (GET list/one, PATCH webhooks)."""

from __future__ import annotations

from .._resource import Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from .._validate import check_header_secret
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
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"url must be an http(s) URL; got {url!r}")
        # Never echo the value: it is the secret.
        check_header_secret("secret", secret)
        if id is None:
            page = await self.list(page_size=1, timeout=timeout)
            if not page.items:
                raise LookupError("the API listed no organization for this key")
            id = page.items[0]
        return await self._update(
            id, {"webhook_url": url, "webhook_secret": secret}, timeout=timeout
        )
