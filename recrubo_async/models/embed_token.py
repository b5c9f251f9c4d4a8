"""EmbedToken: what ``client.embed.authenticate`` returns for an iframe component."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._base import Resource, register


@register
@attrs.frozen(kw_only=True)
class EmbedToken(Resource):
    """A user's token for Recrubo iframes; ``token`` never shows in its repr."""

    TYPE = "embedTokens"

    token: str | None = attrs.field(default=None, repr=False)
    user_id: str | None = None
    origin_url: str | None = None
    expires_at: datetime | None = None
