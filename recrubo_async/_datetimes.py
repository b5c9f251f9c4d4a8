"""Wire date-times: RFC 3339 text <-> aware ``datetime`` (naive values are taken as UTC)."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_datetime(value: object, _: object = None) -> datetime:
    """RFC 3339 text to an aware datetime (naive text is taken as UTC).

    The second argument is ignored: it lets the converter register this as a hook.
    """
    if type(value) is str:
        # Python 3.11+ reads RFC 3339 ("Z" included) as it is: the common case, parsed
        # once. The general path below serves Python 3.10 and looser forms.
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    else:
        raise TypeError(f"expected an RFC 3339 timestamp string, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def format_datetime(value: datetime) -> str:
    """An aware datetime as RFC 3339 (UTC as ``Z``); naive values are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
