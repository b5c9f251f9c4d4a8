"""OpenTelemetry traces and metrics: the ``otel`` extra (``opentelemetry-api`` only).

Decided once: a client asks ``make_telemetry`` at construction and keeps a ``Telemetry``
or None. None (the extra is absent) costs the request path one attribute read per
request; nothing of OpenTelemetry is imported until a client or receiver is made, and
not at all without the extra. The receiver and the Redis bus are not made by a client,
so they use the global providers (``global_telemetry``).

What is recorded (docs/observability.md has the picture):

* one CLIENT span per HTTP attempt (stable HTTP semantic conventions) and the
  ``http.client.request.duration`` histogram; the trace context is injected into the
  attempt's headers;
* one INTERNAL span per wait (``wait flowGenerations``), each status change an event
  on it, ``recrubo.waits.pending`` and ``recrubo.wait.duration``;
* one SERVER span per webhook delivery and ``recrubo.webhook.deliveries`` by result;
* ``recrubo.bus.reconnects``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from yarl import URL

from ._constants import REQUEST_ID_HEADER
from ._version import __version__
from .errors import APIStatusError, APITimeoutError, ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import Span, TracerProvider

    from ._hooks import WaitEvent
    from ._http import _Failure
    from ._session import QueryParams
    from .models._base import Resource
    from .webhooks._result import WebhookResult

#: The instrumentation scope every tracer and meter of the SDK is named by.
SCOPE_NAME = "recrubo_async"
#: The semantic conventions the attribute names follow (the stable HTTP ones).
SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"

#: The buckets the HTTP semantic conventions advise for ``http.client.request.duration``.
HTTP_DURATION_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip
#: A wait lasts seconds to many minutes.
WAIT_DURATION_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)

#: ``WebhookResult.reason`` -> the ``recrubo.webhook.result`` attribute.
WEBHOOK_RESULTS: Mapping[str, str] = {
    "ok": "ok",
    "stale": "stale",
    "duplicate": "duplicate",
    "unauthorized": "unauthorized",
    "body too large": "too_large",
    "body read timed out": "timed_out",
    "incomplete body": "incomplete",
    "bad payload": "bad_payload",
    "handler failed": "handler_error",
    "in progress": "in_progress",
    "internal error": "error",
}

OnStatus = Callable[[str | None, "Resource"], Awaitable[None] | None]


@functools.lru_cache(maxsize=1)
def _otel_available() -> bool:
    try:
        import opentelemetry.metrics
        import opentelemetry.propagate
        import opentelemetry.trace  # noqa: F401
    except ImportError:
        return False
    return True


def make_telemetry(
    tracer_provider: TracerProvider | None, meter_provider: MeterProvider | None
) -> Telemetry | None:
    """A client's telemetry, or None when nothing would record it.

    None without the extra (and then no provider may be given), and when both providers
    (those given, else the global ones as they are now) are the API's own no-op or
    not-yet-set proxy: a client made before the application sets its providers records
    nothing, and its requests pay nothing for OpenTelemetry (benchmarks/requests.py).
    """
    if not _otel_available():
        if tracer_provider is not None or meter_provider is not None:
            raise ConfigurationError(
                "tracer_provider= and meter_provider= need OpenTelemetry's API: "
                "pip install 'recrubo-async[otel]'"
            )
        return None
    if tracer_provider is None and meter_provider is None:
        return global_telemetry()
    from opentelemetry import metrics, trace

    tracing = tracer_provider if tracer_provider is not None else trace.get_tracer_provider()
    metering = meter_provider if meter_provider is not None else metrics.get_meter_provider()
    if _records_nothing(tracing) and _records_nothing(metering):
        return None
    return Telemetry(tracer_provider, meter_provider)


def _records_nothing(provider: object) -> bool:
    """Whether ``provider`` is one of the API package's own (no-op, or the global proxy
    before a provider is set): an SDK's or a vendor's comes from another module."""
    module = type(provider).__module__
    return module.startswith(("opentelemetry.trace", "opentelemetry.metrics"))


def global_telemetry() -> Telemetry | None:
    """Telemetry on the global providers (clients given none, receivers, the Redis bus);
    None without the extra, or while neither global provider is set (asked again by
    each client or receiver made, and by each bus reconnect)."""
    if not _otel_available():
        return None
    from opentelemetry import metrics, trace

    if _records_nothing(trace.get_tracer_provider()) and _records_nothing(
        metrics.get_meter_provider()
    ):
        return None
    return _global_telemetry()


@functools.lru_cache(maxsize=1)
def _global_telemetry() -> Telemetry:
    # Made on the API's proxies: one instance for the process, whichever provider is set.
    return Telemetry(None, None)


class Telemetry:
    """A tracer and the SDK's instruments, made once per client (or once globally)."""

    def __init__(
        self, tracer_provider: TracerProvider | None, meter_provider: MeterProvider | None
    ) -> None:
        from opentelemetry import metrics, propagate, trace

        self._trace = trace
        self._propagate = propagate
        self.tracer = trace.get_tracer(
            SCOPE_NAME, __version__, tracer_provider, schema_url=SCHEMA_URL
        )
        meter = metrics.get_meter(SCOPE_NAME, __version__, meter_provider, schema_url=SCHEMA_URL)
        self.http_duration = meter.create_histogram(
            "http.client.request.duration",
            unit="s",
            description="Duration of HTTP client requests.",
            explicit_bucket_boundaries_advisory=HTTP_DURATION_BUCKETS,
        )
        self.pending_waits = meter.create_up_down_counter(
            "recrubo.waits.pending",
            unit="{wait}",
            description="Waits (wait, create_and_wait) in progress.",
        )
        self.wait_duration = meter.create_histogram(
            "recrubo.wait.duration",
            unit="s",
            description="Duration of waits, by resource type, outcome and what settled them.",
            explicit_bucket_boundaries_advisory=WAIT_DURATION_BUCKETS,
        )
        self.deliveries = meter.create_counter(
            "recrubo.webhook.deliveries",
            unit="{delivery}",
            description="Webhook deliveries received, by result.",
        )
        self.reconnects = meter.create_counter(
            "recrubo.bus.reconnects",
            unit="{reconnect}",
            description="Completion bus (Redis pub/sub) connections restored.",
        )

    # -- HTTP attempts ----------------------------------------------------------------

    def start_attempt(
        self, method: str, url: str, params: QueryParams | None, attempt: int
    ) -> AttemptNote:
        """A CLIENT span for one attempt (``HTTPCore.send``), started now: the attempt
        sends ``note.headers`` (the trace context), tells ``note.answered`` the answer's
        status and headers, and ends with ``note.ended`` or ``note.failed``, which end the
        span and time the attempt into the histogram."""
        trace = self._trace
        host, port, full = _url_attributes(url, params)
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "server.address": host,
            "server.port": port,
            "url.full": full,
        }
        if attempt > 1:
            attributes["http.request.resend_count"] = attempt - 1
        span = self.tracer.start_span(method, kind=trace.SpanKind.CLIENT, attributes=attributes)
        metric = {"http.request.method": method, "server.address": host, "server.port": port}
        note = AttemptNote(self, span, metric)
        self._propagate.inject(note.headers, context=trace.set_span_in_context(span))
        note.started = time.perf_counter()
        return note

    # -- waits -----------------------------------------------------------------------

    def start_wait(self, type: str, id: str | None, until: str, waiter: object) -> WaitSpan:
        """A wait's span, started now; ``id`` None: a ``create_and_wait``'s, whose POST
        runs inside it (``WaitSpan.creating``) and names the id."""
        attributes = {
            "recrubo.resource.type": type,
            "recrubo.wait.until": until,
            "recrubo.wait.waiter": type_name(waiter),
        }
        if id is not None:
            attributes["recrubo.resource.id"] = id
        span = self.tracer.start_span(
            f"wait {type}", kind=self._trace.SpanKind.INTERNAL, attributes=attributes
        )
        self.pending_waits.add(1, {"recrubo.resource.type": type})
        return WaitSpan(self, span, type)

    # -- webhook deliveries ----------------------------------------------------------

    @contextlib.contextmanager
    def delivery(self) -> Iterator[DeliveryNote]:
        """A SERVER span around one delivery; ``note.result(...)`` says how it ended."""
        span = self.tracer.start_span("webhook delivery", kind=self._trace.SpanKind.SERVER)
        note = DeliveryNote(span)
        try:
            yield note
        except BaseException as exc:
            note.outcome = "error"
            span.set_attribute("error.type", _qualified(exc))
            raise
        finally:
            attributes: dict[str, Any] = {"recrubo.webhook.result": note.outcome}
            attributes.update(note.resource)
            span.set_attributes(attributes)
            if note.outcome in ("handler_error", "error"):
                span.set_status(self._trace.StatusCode.ERROR)
            span.end()
            self.deliveries.add(1, attributes)

    async def traced_delivery(self, handling: Awaitable[WebhookResult]) -> WebhookResult:
        """``await handling`` (the receiver's ``_handle_body``) inside a delivery span."""
        with self.delivery() as note:
            result = await handling
            payload = result.payload
            if payload is None:
                note.result(result.reason, None, None, None)
            else:
                # Not raw_resource: a delivery the receiver only scanned stays unparsed.
                rtype, rid = payload._type_and_id()
                note.result(result.reason, str(rtype), str(rid), str(payload.event))
            return result

    def rejected_delivery(self) -> None:
        """A delivery refused before its body was read (a wrong or missing secret)."""
        self.refused_delivery("unauthorized")

    def refused_delivery(self, reason: str) -> None:
        """A delivery the adapter answered without handling it: ``reason`` is the
        ``WebhookResult.reason`` (unauthorized, body too large, body read timed out, ...)."""
        with self.delivery() as note:
            note.outcome = WEBHOOK_RESULTS.get(reason, reason)


class AttemptNote:
    """One attempt's span and what it learns (``Telemetry.start_attempt``); its headers
    carry the trace context."""

    __slots__ = ("_telemetry", "headers", "metric", "span", "started")

    def __init__(self, telemetry: Telemetry, span: Span, metric: dict[str, Any]) -> None:
        self._telemetry = telemetry
        self.span = span
        #: The histogram's attributes, the status and error type added as learnt.
        self.metric = metric
        self.headers: dict[str, str] = {}
        self.started = 0.0

    def answered(self, status: int, headers: Mapping[str, str]) -> None:
        self.metric["http.response.status_code"] = status
        self.span.set_attribute("http.response.status_code", status)
        request_id = headers.get(REQUEST_ID_HEADER)
        if request_id:
            self.span.set_attribute("recrubo.request.id", request_id)

    def ended(self, outcome: bytes | _Failure) -> None:
        """The attempt ended with a body (a success) or a failure the retry loop judges."""
        self._end(None if isinstance(outcome, bytes) else _error_type(outcome.error))

    def failed(self, exc: BaseException) -> None:
        """The attempt raised ``exc`` (a hook's error, cancellation, a closed client)."""
        self._end(_qualified(exc))

    def _end(self, error_type: str | None) -> None:
        elapsed = time.perf_counter() - self.started
        if error_type is not None:
            self.metric["error.type"] = error_type
            self.span.set_attribute("error.type", error_type)
            self.span.set_status(self._telemetry._trace.StatusCode.ERROR)
        self.span.end()
        self._telemetry.http_duration.record(elapsed, self.metric)


class WaitSpan:
    """One wait's span: current while the wait runs, an event per status, ended by its
    ``WaitEvent`` (the same one ``Hooks(on_wait=...)`` receives)."""

    __slots__ = ("_telemetry", "_type", "span")

    def __init__(self, telemetry: Telemetry, span: Span, type: str) -> None:
        self._telemetry = telemetry
        self.span = span
        self._type = type

    def current(self) -> contextlib.AbstractContextManager[Any]:
        """The span as the current one: the wait's GETs become its children."""
        # Its status is the WaitEvent's outcome, not whatever exception passes through.
        manager: contextlib.AbstractContextManager[Any] = self._telemetry._trace.use_span(
            self.span, end_on_exit=False, record_exception=False, set_status_on_exception=False
        )
        return manager

    @contextlib.contextmanager
    def creating(self) -> Iterator[None]:
        """Current around a ``create_and_wait``'s POST, so its attempts are children.

        A create that raises ends the span (``error.type``, no wait-duration point: no
        wait began); the caller then names the created id with ``created``.
        """
        try:
            with self.current():
                yield
        except BaseException as exc:
            span = self.span
            span.set_attribute("error.type", _qualified(exc))
            span.set_status(self._telemetry._trace.StatusCode.ERROR)
            span.end()
            self._telemetry.pending_waits.add(-1, {"recrubo.resource.type": self._type})
            raise

    def created(self, id: str) -> None:
        """Name the resource the POST created (``recrubo.resource.id``)."""
        self.span.set_attribute("recrubo.resource.id", id)

    def on_status(self, user: OnStatus | None) -> OnStatus:
        """An ``on_status`` that adds the status as an event, then calls ``user``'s."""
        span = self.span

        async def noting(label: str | None, state: Resource) -> None:
            span.add_event("status", {"recrubo.status": label if label is not None else ""})
            if user is not None:
                result = user(label, state)
                if inspect.isawaitable(result):
                    await result

        return noting

    def end(self, event: WaitEvent) -> None:
        telemetry = self._telemetry
        attributes: dict[str, Any] = {
            "recrubo.resource.type": event.type,
            "recrubo.wait.outcome": event.outcome,
        }
        if event.settled_by is not None:
            attributes["recrubo.wait.settled_by"] = event.settled_by
        span = self.span
        span.set_attributes(attributes)
        span.set_attribute("recrubo.wait.gets", event.gets)
        if event.outcome in ("failed", "timed_out", "error", "deleted"):
            span.set_attribute("error.type", event.outcome)
            span.set_status(telemetry._trace.StatusCode.ERROR)
        span.end()
        telemetry.pending_waits.add(-1, {"recrubo.resource.type": self._type})
        telemetry.wait_duration.record(event.duration, attributes)


class DeliveryNote:
    """How a delivery ended (``recrubo.webhook.result``) and what it was about."""

    __slots__ = ("outcome", "resource", "span")

    def __init__(self, span: Span) -> None:
        self.span = span
        self.outcome = "error"
        self.resource: dict[str, str] = {}

    def result(self, reason: str, type: str | None, id: str | None, event: str | None) -> None:
        self.outcome = WEBHOOK_RESULTS.get(reason, reason)
        if type is not None:
            self.resource["recrubo.resource.type"] = type
        if event is not None:
            self.resource["recrubo.webhook.event"] = event
        if id is not None:
            # Not a metric attribute (unbounded): on the span only.
            self.span.set_attribute("recrubo.resource.id", id)


def type_name(obj: object) -> str:
    return type(obj).__name__


def _qualified(exc: BaseException) -> str:
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _error_type(error: BaseException) -> str:
    """``error.type`` of a failed attempt: the status, ``timeout``, or the cause's class."""
    if isinstance(error, APIStatusError):
        return str(error.status)
    if isinstance(error, APITimeoutError):
        return "timeout"
    cause = error.__cause__
    return _qualified(cause if cause is not None else error)


def _url_attributes(url: str, params: QueryParams | None) -> tuple[str, int, str]:
    """``server.address``, ``server.port`` and ``url.full`` (no credentials: the key is in
    a header, never in the URL, and any user info is dropped)."""
    parsed = URL(url)
    full = parsed.with_user(None)
    if params:
        full = full.update_query(list(params))
    return parsed.host or "", parsed.port or 0, str(full)
