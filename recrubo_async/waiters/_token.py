"""``WaitToken``: a wait that another process can resume."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import attrs
import orjson

from .._converter import format_datetime, parse_datetime


@attrs.frozen(kw_only=True)
class WaitToken:
    """What a wait is for and until when, as JSON that any process can pick up.

    ``client.flow_generations.wait(WaitToken.loads(text))`` resumes the wait, keeping the
    original deadline.
    """

    type: str
    id: str
    until: str
    deadline: datetime | None = None

    def remaining(self, now: float | None = None) -> float | None:
        """Seconds left before the deadline (never negative), or None for no deadline."""
        if self.deadline is None:
            return None
        current = time.time() if now is None else now
        return max(self.deadline.timestamp() - current, 0.0)

    def dumps(self) -> str:
        return orjson.dumps(
            {
                "type": self.type,
                "id": self.id,
                "until": self.until,
                "deadline": format_datetime(self.deadline) if self.deadline else None,
            }
        ).decode()

    @classmethod
    def loads(cls, text: str | bytes) -> WaitToken:
        """Parse :meth:`dumps` output.

        Raises:
            ValueError: the text is not a wait token.
        """
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"not a wait token (not JSON): {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError("not a wait token: expected a JSON object")
        fields = {k: data.get(k) for k in ("type", "id", "until")}
        missing = [k for k, v in fields.items() if not isinstance(v, str) or not v]
        if missing:
            raise ValueError(f"not a wait token: {', '.join(missing)} missing")
        deadline = data.get("deadline")
        try:
            parsed = parse_datetime(deadline) if deadline is not None else None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not a wait token: bad deadline {deadline!r}") from exc
        return cls(
            type=str(fields["type"]),
            id=str(fields["id"]),
            until=str(fields["until"]),
            deadline=parsed,
        )

    @classmethod
    def starting_now(cls, *, type: str, id: str, until: str, timeout: float | None) -> WaitToken:
        deadline = (
            None
            if timeout is None
            else datetime.fromtimestamp(time.time() + timeout, tz=timezone.utc)
        )
        return cls(type=type, id=id, until=until, deadline=deadline)
