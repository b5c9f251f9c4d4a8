"""``client.embed``: tokens for Recrubo iframe components."""

from __future__ import annotations

import orjson

from .._core import ClientCore
from .._ids import id_of
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..errors import DecodeError
from ..models.embed_token import EmbedToken
from ..models.user import User


class Embed:
    """``POST /embed/authenticate``; call it server-side only, never from a browser."""

    def __init__(self, core: ClientCore) -> None:
        self._core = core

    def __repr__(self) -> str:
        return "<Embed /embed>"

    async def authenticate(
        self,
        *,
        user_id: str | User,
        origin_url: str,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> EmbedToken:
        """A token for ``user_id`` to initialize iframes served to ``origin_url``.

        Args:
            origin_url: the embedding page's origin with scheme, e.g. ``https://ats.example``.
        """
        if not isinstance(origin_url, str) or not origin_url.startswith(("http://", "https://")):
            raise ValueError(f"origin_url must be an http(s) origin; got {origin_url!r}")
        body = orjson.dumps(
            {"userId": id_of(user_id, "user_id", User.TYPE), "originUrl": origin_url}
        )
        answer = await self._core.request("POST", "/embed/authenticate", body=body, timeout=timeout)
        return self._decode(answer)

    def _decode(self, raw: bytes) -> EmbedToken:
        codec = self._core.codec
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            doc = None  # the codec below raises the DecodeError
        if isinstance(doc, dict) and isinstance(doc.get("token"), str):
            # A bare {"token": ...} answer (the docs do not show the response shape).
            return EmbedToken(id="", token=doc["token"])
        token = codec.decode_data(raw, EmbedToken)
        if token.token is None:
            raise DecodeError("the authenticate answer has no token", path="$.data.attributes")
        return token
