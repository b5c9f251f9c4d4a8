"""``WaitToken``: a wait that another process can resume."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import attrs
import orjson

from .._datetimes import format_datetime, parse_datetime
from .._validate import Duration, check_duration, check_path_id
from ._conditions import JOB_SPECS

#: What a signature covers besides the fields: a MAC made for something else never fits.
_SIGNATURE_CONTEXT = b"recrubo-async wait token v1\n"
_FIELDS = ("type", "id", "until", "deadline")
_KNOWN_KEYS = frozenset((*_FIELDS, "sig"))


def _check_job(type: str, until: str) -> None:
    """A clear ``ValueError`` for a type and ``until`` that no resource could resume."""
    spec = JOB_SPECS.get(type)
    if spec is None:
        raise ValueError(f"not a wait token: type must be one of {', '.join(JOB_SPECS)}")
    if until not in spec.untils:
        raise ValueError(
            f"not a wait token: until must be one of {', '.join(spec.untils)} for {type}"
        )


def _signature(key: bytes, fields: dict[str, Any]) -> str:
    payload = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    return hmac.new(key, _SIGNATURE_CONTEXT + payload, hashlib.sha256).hexdigest()


def _check_key(key: object) -> bytes:
    if not isinstance(key, (bytes, bytearray)) or not key:
        raise TypeError("key must be non-empty bytes (a secret shared by both processes)")
    return bytes(key)


@attrs.frozen(kw_only=True)
class WaitToken:
    """What a wait is for and until when, as JSON that any process can pick up.

    ``client.flow_generations.wait(WaitToken.loads(text))`` resumes the wait, keeping the
    original deadline. ``dumps(key=...)`` signs the token (HMAC-SHA256) and
    ``loads(text, key=...)`` refuses one that is unsigned or was changed: do that for
    tokens that cross a trust boundary (a queue or a browser others can write to).
    """

    #: How far past now a loaded token's deadline may be: a token is a wait in progress,
    #: and a deadline years ahead (tampered, or a bug) would hold a worker for ever.
    MAX_DEADLINE_AHEAD: ClassVar[timedelta] = timedelta(days=7)

    type: str
    id: str
    until: str
    deadline: datetime | None = None

    def __attrs_post_init__(self) -> None:
        # The id ends up in a URL path: one that climbs it ("..") is refused here already.
        check_path_id(self.id, "WaitToken id")
        if self.deadline is not None and (
            not isinstance(self.deadline, datetime) or self.deadline.tzinfo is None
        ):
            raise ValueError("WaitToken deadline must be an aware datetime or None")

    def remaining(self, now: float | None = None) -> float | None:
        """Seconds left before the deadline (never negative), or None for no deadline."""
        if self.deadline is None:
            return None
        current = time.time() if now is None else now
        return max(self.deadline.timestamp() - current, 0.0)

    def _fields(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "until": self.until,
            "deadline": format_datetime(self.deadline) if self.deadline else None,
        }

    def dumps(self, *, key: bytes | None = None) -> str:
        """The token as JSON; signed with HMAC-SHA256 when ``key`` is given."""
        fields = self._fields()
        if key is not None:
            fields["sig"] = _signature(_check_key(key), fields)
        return orjson.dumps(fields).decode()

    @classmethod
    def loads(
        cls, text: str | bytes, *, key: bytes | None = None, allow_no_deadline: bool = False
    ) -> WaitToken:
        """Parse :meth:`dumps` output, strictly.

        Args:
            text: the JSON.
            key: the key it was signed with; then an unsigned or altered token is refused.
            allow_no_deadline: accept an unsigned token without a deadline. Refused by
                default: the deadline bound (``MAX_DEADLINE_AHEAD``) exists so that a
                tampered token cannot hold a worker for ever, and dropping the deadline
                would do just that. A signed token may leave it out (its signer chose to).

        Raises:
            ValueError: not a wait token (unknown keys, wrong types, an unsafe id, an
                ``until`` its type does not have, a deadline more than
                ``MAX_DEADLINE_AHEAD`` from now, no deadline in an unsigned token unless
                allowed), or a bad signature.
        """
        secret = None if key is None else _check_key(key)
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"not a wait token (not JSON): {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError("not a wait token: expected a JSON object")
        unknown = sorted(str(k) for k in data.keys() - _KNOWN_KEYS)
        if unknown:
            raise ValueError(f"not a wait token: unknown keys {', '.join(unknown)}")
        missing = [k for k in ("type", "id", "until") if not isinstance(data.get(k), str)]
        if missing:
            raise ValueError(f"not a wait token: {', '.join(missing)} missing or not a string")
        if secret is not None:
            _verify(secret, data)
        _check_job(data["type"], data["until"])
        token = cls(
            type=data["type"],
            id=data["id"],
            until=data["until"],
            deadline=_parse_deadline(data.get("deadline")),
        )
        if token.deadline is None and secret is None and not allow_no_deadline:
            raise ValueError(
                "not a trusted wait token: it has no deadline and is not signed; sign tokens "
                "that wait without a deadline (dumps(key=...), loads(key=...)), or pass "
                "allow_no_deadline=True if this one comes from a trusted place"
            )
        if token.deadline is not None and token.deadline > datetime.now(timezone.utc) + (
            cls.MAX_DEADLINE_AHEAD
        ):
            raise ValueError(
                f"not a wait token: its deadline {format_datetime(token.deadline)} is more "
                f"than {cls.MAX_DEADLINE_AHEAD.days} days away"
            )
        return token

    @classmethod
    def starting_now(cls, *, type: str, id: str, until: str, timeout: Duration | None) -> WaitToken:
        """A token for a wait of ``timeout`` seconds from now (None or ``inf``: no deadline)."""
        seconds = check_duration("timeout", timeout, allow_zero=True, allow_inf=True, none_ok=True)
        if seconds is not None and seconds > cls.MAX_DEADLINE_AHEAD.total_seconds():
            raise ValueError(
                f"timeout must be at most {cls.MAX_DEADLINE_AHEAD.days} days for a WaitToken "
                f"(loads() refuses later deadlines); got {seconds:g}s. Use None for no deadline"
            )
        deadline = (
            None
            if seconds is None
            else datetime.fromtimestamp(time.time() + seconds, tz=timezone.utc)
        )
        return cls(type=type, id=id, until=until, deadline=deadline)


def _parse_deadline(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a wait token: bad deadline {value!r}")
    try:
        return parse_datetime(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a wait token: bad deadline {value!r}") from exc


def _verify(key: bytes, data: dict[str, Any]) -> None:
    sig = data.get("sig")
    if not isinstance(sig, str):
        raise ValueError("not a trusted wait token: it is not signed, and a key was given")
    expected = _signature(key, {k: data.get(k) for k in _FIELDS})
    if not hmac.compare_digest(sig.encode(), expected.encode()):
        raise ValueError("not a trusted wait token: its signature does not match (altered?)")
