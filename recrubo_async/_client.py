"""``Client``: its arguments made a ``ClientConfig``, the session it owns or borrows, the
sending and resource layers built on them, and the resource attributes."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING

import aiohttp
import attrs

from ._config import (
    ClientConfig,
    check_base_url,
    check_max_response_size,
    resolve_api_key,
    resolve_base_url,
    visibility_scope,
)
from ._constants import (
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_TIME,
    DEFAULT_TIMEOUT,
    MEDIA_TYPE,
    USER_AGENT,
)
from ._core import ClientCore
from ._hooks import Hooks
from ._http import HTTPCore
from ._jsonapi import Codec
from ._otel import make_telemetry
from ._retry import RetryPolicy
from ._session import SessionHolder
from ._types import NOT_GIVEN, Environment, NotGiven, TimeoutLike, given, to_client_timeout
from .resources.candidates import Candidates
from .resources.conversations import Conversations
from .resources.embed import Embed
from .resources.flow_generations import FlowGenerations
from .resources.flow_runs import FlowRuns
from .resources.flows import Flows
from .resources.management import Management
from .resources.message_templates import MessageTemplates
from .resources.message_threads import MessageThreads
from .resources.messages import Messages
from .resources.node_actions import NodeActions
from .resources.node_transitions import NodeTransitions
from .resources.nodes import Nodes
from .resources.organizations import Organizations
from .resources.users import Users
from .resources.vacancies import Vacancies
from .resources.vacancy_analyses import VacancyAnalyses
from .resources.webhooks import Webhooks
from .waiters._polling import PollingWaiter
from .waiters._protocol import CompletionWaiter

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from .idempotency._protocol import JobLedger


#: What each object argument of ``Client``/``with_options`` takes, for the TypeError naming
#: it (a wrong one would otherwise fail later, as an AttributeError far from the cause).
_EXPECTED: dict[str, tuple[type, str]] = {
    "session": (aiohttp.ClientSession, "an aiohttp.ClientSession"),
    "hooks": (Hooks, "a recrubo_async.Hooks(on_request=..., ...)"),
    "waiter": (
        CompletionWaiter,
        "a CompletionWaiter such as PollingWaiter() (see recrubo_async.waiters)",
    ),
}


def _check_types(**arguments: object) -> None:
    """Raise TypeError for an argument of the wrong type (its type is shown, never its value:
    it could be a key passed in the wrong place)."""
    for name, value in arguments.items():
        expected, what = _EXPECTED[name]
        if value is None or value is NOT_GIVEN:
            continue
        # A class passes a runtime protocol's isinstance check (its attributes are there).
        if isinstance(value, type):
            raise TypeError(f"{name} must be {what}, got the class {value.__name__}")
        if not isinstance(value, expected):
            raise TypeError(f"{name} must be {what}, got {type(value).__name__}")


class Client:
    """The Recrubo API client. Use it as ``async with Client(...) as client:``.

    Args:
        api_key: an organization key (or the partner key for ``management``); defaults to
            the ``RECRUBO_API_KEY`` environment variable.
        base_url: defaults to ``RECRUBO_BASE_URL``, else the environment's URL.
        environment: ``"production"`` or ``"sandbox"`` (the staging API).
        session: an ``aiohttp.ClientSession`` to borrow; the client never closes it.
        timeout: per HTTP call, in seconds, a ``timedelta`` or an ``aiohttp.ClientTimeout``;
            ``None`` for no limit. Each method also takes ``timeout=``.
        max_retries: retries after the first attempt (see README, "Retries").
        max_retry_time: no retry starts after this many seconds since the first attempt
            (a ``timedelta`` works too; ``inf`` for no limit besides ``max_retries``).
        max_response_size: the largest response body read, in bytes (after
            decompression; default 32 MiB); a larger one raises ``ResponseTooLargeError``.
            ``None`` for no limit.
        hooks: ``Hooks(on_request=..., on_response=..., on_retry=..., on_wait=...)``.
        trace_configs: aiohttp ``TraceConfig``s for the session the client makes.
        default_headers: extra headers sent on every request.
        waiter: how ``create_and_wait``/``wait``/``watch`` observe jobs unless a call passes
            its own (default: ``PollingWaiter()``; see ``recrubo_async.waiters``).
        tracer_provider, meter_provider: OpenTelemetry providers for the client's spans
            and metrics (the ``otel`` extra); None uses the global ones. Without the extra
            nothing is recorded (docs/observability.md).
        ledger: where creates with an ``idempotency_key`` record their intents and jobs
            (``recrubo_async.idempotency``: ``RedisLedger``, ``SQLiteLedger``,
            ``MemoryLedger``); never closed by the client.

    Raises:
        ConfigurationError: no API key, or an unknown environment or malformed base URL,
            or a provider given without the ``otel`` extra.
        ValueError, TypeError: a timeout, retry bound or size that means nothing (NaN,
            negative), or a ``session``, ``hooks`` or ``waiter`` of the wrong type; the
            message names the argument.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        environment: Environment = "production",
        session: aiohttp.ClientSession | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_time: float | timedelta = DEFAULT_MAX_RETRY_TIME,
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
        hooks: Hooks | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        default_headers: Mapping[str, str] | None = None,
        waiter: CompletionWaiter | None = None,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        ledger: JobLedger | None = None,
    ) -> None:
        _check_types(session=session, hooks=hooks, waiter=waiter)
        config = ClientConfig(
            api_key=resolve_api_key(api_key),
            base_url=resolve_base_url(base_url, environment),
            environment=environment,
            timeout=given(timeout, DEFAULT_TIMEOUT),
            max_retries=max_retries,
            max_retry_time=max_retry_time,
            max_response_size=check_max_response_size(max_response_size),
            hooks=hooks or Hooks(),
            default_headers=dict(default_headers or {}),
            waiter=waiter if waiter is not None else PollingWaiter(),
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            ledger=ledger,
        )
        self._configure(config, SessionHolder(session, trace_configs), owner=True)

    @classmethod
    def _from_config(
        cls, config: ClientConfig, holder: SessionHolder, *, owner: bool = False
    ) -> Client:
        """A client from a checked configuration and a session holder (``with_options``):
        ``__init__`` without resolving its arguments again."""
        client = cls.__new__(cls)
        client._configure(config, holder, owner=owner)
        return client

    def _configure(self, config: ClientConfig, holder: SessionHolder, *, owner: bool) -> None:
        """Set every attribute a client has (both constructors end here); ``owner``: this
        client closes the holder's session."""
        self._config = config
        self._holder = holder
        self._owner = owner
        headers = {
            **config.default_headers,
            "Authorization": f"Bearer {config.api_key.reveal()}",
            "Content-Type": MEDIA_TYPE,
            "Accept": MEDIA_TYPE,
            "User-Agent": USER_AGENT,
        }
        timeout = to_client_timeout(config.timeout)
        http = HTTPCore(
            holder=holder,
            headers=headers,
            timeout=timeout,
            retry=RetryPolicy(
                max_retries=config.max_retries,
                max_time=config.max_retry_time,  # type: ignore[arg-type]  # checked there
            ),
            hooks=config.hooks,
            max_response_size=config.max_response_size,
            telemetry=make_telemetry(config.tracer_provider, config.meter_provider),
        )
        self._core = ClientCore(
            base_url=config.base_url,
            http=http,
            codec=Codec(),
            timeout=timeout,
            waiter=config.waiter,
            scope=visibility_scope(config),
            ledger=config.ledger,
        )

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def waiter(self) -> CompletionWaiter:
        """The waiter used when a call passes none."""
        return self._config.waiter

    @property
    def environment(self) -> Environment:
        return self._config.environment

    @property
    def is_closed(self) -> bool:
        return self._holder.closed

    def with_options(
        self,
        *,
        api_key: str | NotGiven = NOT_GIVEN,
        base_url: str | NotGiven = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        max_retry_time: float | timedelta | NotGiven = NOT_GIVEN,
        max_response_size: int | NotGiven | None = NOT_GIVEN,
        hooks: Hooks | NotGiven = NOT_GIVEN,
        waiter: CompletionWaiter | NotGiven = NOT_GIVEN,
    ) -> Client:
        """A client with some options changed that shares this one's session.

        Closing the copy leaves the session open; closing the original closes it for both.
        """
        _check_types(hooks=hooks, waiter=waiter)
        old = self._config
        config = attrs.evolve(
            old,
            api_key=old.api_key if api_key is NOT_GIVEN else resolve_api_key(api_key),
            base_url=check_base_url(given(base_url, old.base_url)),
            timeout=given(timeout, old.timeout),
            max_retries=given(max_retries, old.max_retries),
            max_retry_time=given(max_retry_time, old.max_retry_time),
            max_response_size=(
                old.max_response_size
                if max_response_size is NOT_GIVEN
                else check_max_response_size(max_response_size)
            ),
            hooks=given(hooks, old.hooks),
            waiter=given(waiter, old.waiter),
        )
        return Client._from_config(config, self._holder)

    async def aclose(self) -> None:
        """Close the session the client made (a borrowed one stays open). Idempotent."""
        if self._owner:
            await self._holder.aclose()

    async def __aenter__(self) -> Client:
        self._holder.get()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "closed" if self.is_closed else "open"
        return (
            f"<recrubo_async.Client base_url={self.base_url!r} "
            f"environment={self.environment!r} {state}>"
        )

    @functools.cached_property
    def flow_generations(self) -> FlowGenerations:
        """FlowGenerations: generate flows (``create``, ``retrieve``, ``list``, ``delete``)."""
        return FlowGenerations(self._core)

    @functools.cached_property
    def candidates(self) -> Candidates:
        """Candidates: ``list``, ``retrieve``, ``create``, ``update``, ``delete``."""
        return Candidates(self._core)

    @functools.cached_property
    def conversations(self) -> Conversations:
        """Inbox conversations: ``list``, ``retrieve``, ``update``."""
        return Conversations(self._core)

    @functools.cached_property
    def flows(self) -> Flows:
        """Flows: ``list``, ``retrieve``, ``create``, ``update``, ``delete``."""
        return Flows(self._core)

    @functools.cached_property
    def flow_runs(self) -> FlowRuns:
        """FlowRuns (flows triggered on threads): ``list``, ``retrieve``, ``create``,
        ``update``, ``delete``."""
        return FlowRuns(self._core)

    @functools.cached_property
    def messages(self) -> Messages:
        """Messages: ``list``, ``retrieve``, ``create`` (send), ``update``, ``delete``."""
        return Messages(self._core)

    @functools.cached_property
    def message_templates(self) -> MessageTemplates:
        """Message templates: ``list``, ``retrieve``, ``create``, ``delete``."""
        return MessageTemplates(self._core)

    @functools.cached_property
    def message_threads(self) -> MessageThreads:
        """Message threads: ``list``, ``retrieve``, ``create``, ``update``, ``delete``."""
        return MessageThreads(self._core)

    @functools.cached_property
    def nodes(self) -> Nodes:
        """Nodes of flows: ``list``, ``retrieve``, ``create``, ``update``, ``delete``."""
        return Nodes(self._core)

    @functools.cached_property
    def node_actions(self) -> NodeActions:
        """Node actions: ``list``, ``retrieve``, ``create``, ``update``, ``delete``."""
        return NodeActions(self._core)

    @functools.cached_property
    def node_transitions(self) -> NodeTransitions:
        """Node transitions: ``list``, ``retrieve``, ``create``, ``update``, ``delete``."""
        return NodeTransitions(self._core)

    @functools.cached_property
    def vacancies(self) -> Vacancies:
        """Vacancies: ``list``, ``retrieve``, ``create``, ``update``, ``delete``."""
        return Vacancies(self._core)

    @functools.cached_property
    def vacancy_analyses(self) -> VacancyAnalyses:
        """Vacancy analyses: ``list``, ``retrieve``, ``create``, ``delete``."""
        return VacancyAnalyses(self._core)

    @functools.cached_property
    def users(self) -> Users:
        """Users: ``list``, ``retrieve``, ``create``, ``update``, ``delete``."""
        return Users(self._core)

    @functools.cached_property
    def organizations(self) -> Organizations:
        """The key's organization: ``list``, ``retrieve``, ``configure_webhooks``."""
        return Organizations(self._core)

    @functools.cached_property
    def webhooks(self) -> Webhooks:
        """Webhook subscriptions: ``list``, ``retrieve``, ``create``, ``delete``."""
        return Webhooks(self._core)

    @functools.cached_property
    def management(self) -> Management:
        """Partner-key endpoints: ``management.organizations``."""
        return Management(self._core)

    @functools.cached_property
    def embed(self) -> Embed:
        """Iframe tokens: ``embed.authenticate(user_id=..., origin_url=...)``."""
        return Embed(self._core)
