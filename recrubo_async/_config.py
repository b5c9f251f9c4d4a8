"""A client's configuration: its arguments resolved (environment variables, defaults),
checked once, and kept in one frozen ``ClientConfig`` that ``with_options`` evolves."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs
from yarl import URL

from ._constants import API_KEY_ENV, BASE_URL_ENV, ENVIRONMENT_URLS
from ._hooks import Hooks
from ._types import Environment, TimeoutLike
from ._validate import check_header_secret
from .errors import ConfigurationError
from .waiters._protocol import CompletionWaiter

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from .idempotency._protocol import JobLedger


class Secret:
    """Holds a key so that no repr, log line or traceback local shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


@attrs.frozen(kw_only=True)
class ClientConfig:
    api_key: Secret
    base_url: str
    environment: Environment
    timeout: TimeoutLike
    max_retries: int
    max_retry_time: float | timedelta
    max_response_size: int | None
    hooks: Hooks
    default_headers: Mapping[str, str]
    waiter: CompletionWaiter
    #: None: the global providers (with the ``otel`` extra; see ``_otel.py``).
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    #: Idempotency records of creates with an ``idempotency_key`` (None: no default).
    ledger: JobLedger | None = None


def resolve_api_key(api_key: str | None) -> Secret:
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    if not key or not key.strip():
        raise ConfigurationError(
            f"no API key: pass Client(api_key=...) or set the {API_KEY_ENV} environment "
            "variable (an organization key; the partner key for client.management)"
        )
    key = key.strip()
    name = "api_key" if api_key is not None else f"api_key (from {API_KEY_ENV})"
    try:
        # It travels in the Authorization header: the same rule as webhook secrets.
        check_header_secret(name, key)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    return Secret(key)


def resolve_base_url(base_url: str | None, environment: str) -> str:
    if environment not in ENVIRONMENT_URLS:
        raise ConfigurationError(
            f"environment must be one of {', '.join(sorted(ENVIRONMENT_URLS))}; got {environment!r}"
        )
    url = base_url or os.environ.get(BASE_URL_ENV) or ENVIRONMENT_URLS[environment]
    return check_base_url(url)


#: Everything up to the last "@": a URL's credentials, however malformed the URL (no
#: scheme, one slash, an unencoded "/" or a newline in the password). Too much hidden is
#: better than a secret shown.
_USERINFO = re.compile(r"^.*@", re.S)


def check_base_url(url: object) -> str:
    """An http(s) URL with a host and a valid port, in one spelling: scheme and host in
    lower case, no default port, no trailing slash (the visibility scope and the
    idempotency ledger's scope are keyed by it)."""
    problem = None
    if not isinstance(url, str) or not url[:8].lower().startswith(("http://", "https://")):
        problem = "it is not an http(s) URL"
    # yarl reads a bare "?" or "#" as an empty query or fragment: every path would then
    # be appended inside it (DELETE /candidates/c1 sent as DELETE /public/v2).
    elif "?" in url or "#" in url:
        problem = "it has a query or a fragment"
    else:
        try:
            parsed = URL(url)
            if not parsed.host:
                problem = "it has no host"
            elif parsed.port is None or not 0 < parsed.port < 65536:
                problem = "its port is not valid"
            elif parsed.user is not None or parsed.password is not None:
                problem = "it has credentials"
            else:
                # origin(): lower-case scheme and host (IDNA), the port only if not default.
                return str(parsed.origin()) + parsed.raw_path.rstrip("/")
        except ValueError as exc:
            problem = f"it does not parse ({exc})"
    raise ConfigurationError(
        f"base_url must be an http(s) URL such as {ENVIRONMENT_URLS['production']}, "
        f"without a query, fragment or credentials; {problem}: {_shown(url)!r}"
    )


def _shown(url: object) -> object:
    """``url`` for an error message: a password in it is a secret too. Anything but a
    ``str`` is named by its type (a ``yarl.URL`` or bytes would show its password)."""
    return _USERINFO.sub("…@", url) if isinstance(url, str) else f"<{type(url).__name__}>"


def check_max_response_size(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            "max_response_size must be a number of bytes, 1 or more (e.g. 64 * 1024 * 1024), "
            f"or None for no limit; got {value!r}"
        )
    return value


def visibility_scope(config: ClientConfig) -> tuple[str, str, frozenset[tuple[str, str]]]:
    """What decides which states a client can see: base URL, credentials, extra headers.

    The key enters only as a digest, so the scope can be compared and hashed (poll
    groups are keyed by it) without the key itself being kept anywhere else.
    """
    digest = hashlib.blake2b(config.api_key.reveal().encode(), digest_size=16).hexdigest()
    headers = frozenset((k.lower(), v) for k, v in config.default_headers.items())
    return (config.base_url, digest, headers)
