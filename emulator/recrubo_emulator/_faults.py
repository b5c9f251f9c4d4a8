"""Fault injection: configuration and the seeded decisions drawn from it."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

import attrs

from ._schema import BY_PATH, BY_TYPE


def _rate(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be a share between 0 and 1, got {value!r}")


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value!r}")


#: Methods a request fault can name (anything else would never match a request).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: The resource of every faultable route: a resource path, ``organizations`` (also under
#: ``/management``), ``refresh-token`` (``/management/refresh-token/{id}``) and ``embed``.
RESOURCES = frozenset([*BY_PATH, "organizations", "refresh-token", "embed"])


def _names(argument: str, value: Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"{argument} must be a set of names, e.g. {{{value!r}}}, got {value!r}")
    return list(value)


def _methods(value: Iterable[str] | None) -> frozenset[str] | None:
    names = _names("methods", value)
    if names is None:
        return None
    unknown = sorted(n for n in names if n.upper() not in METHODS)
    if unknown:
        raise ValueError(f"methods: unknown HTTP method {unknown}; use {sorted(METHODS)}")
    return frozenset(n.upper() for n in names)


def _resource(name: str) -> str:
    """``vacancyAnalyses`` (the JSON:API type), ``vacancy_analyses`` (the client's attribute)
    and ``vacancy-analyses`` (the path) all name the route resource ``vacancy-analyses``."""
    spec = BY_TYPE.get(name)
    return spec.path if spec is not None else name.strip("/").replace("_", "-")


def _resources(value: Iterable[str] | None) -> frozenset[str] | None:
    names = _names("resources", value)
    if names is None:
        return None
    unknown = sorted(n for n in names if _resource(n) not in RESOURCES)
    if unknown:
        raise ValueError(
            f"resources: unknown resource {unknown}; use resource paths such as "
            f"'flow-generations' (or their types, e.g. 'flowGenerations'): {sorted(RESOURCES)}"
        )
    return frozenset(_resource(n) for n in names)


@attrs.frozen(kw_only=True)
class Faults:
    """What goes wrong, and how often. Shares are probabilities between 0 and 1.

    Args:
        latency: real seconds added before every answer.
        latency_jitter: up to this many extra real seconds, drawn uniformly.
        rate_429: share of requests answered 429 with ``Retry-After: retry_after``.
        rate_500: share answered 500.
        rate_503: share answered 503.
        retry_after: seconds in the ``Retry-After`` header of injected 429s.
        reset_before: share of requests whose connection is closed before they are handled
            (nothing happened on the server).
        reset_after: share whose connection is closed after they were handled (the change
            happened, the client saw only an error).
        stall_after: share whose answer is held back ``stall_seconds`` real seconds after
            they were handled (the change happened; a client with a shorter timeout sees a
            timeout).
        stall_seconds: see ``stall_after``.
        webhook_drop: share of webhook payloads never sent (no retries either).
        webhook_duplicate: share of delivered webhook payloads sent a second time.
        webhook_delay: emulated seconds every first delivery attempt waits.
        webhook_reorder: share of webhook payloads held back by ``reorder_window`` emulated
            seconds, so later payloads overtake them.
        reorder_window: see ``webhook_reorder``.
        methods: HTTP methods the request faults apply to, e.g. ``{"POST"}`` (None: all).
        resources: resources the request faults apply to, by path, JSON:API type or the
            client's attribute name: ``{"flow-generations"}``, ``{"flowGenerations"}`` and
            ``{"flow_generations"}`` are the same (None: all API routes; the OpenAPI document
            is never faulted). Unknown names are refused.
    """

    latency: float = attrs.field(default=0.0, validator=_non_negative)
    latency_jitter: float = attrs.field(default=0.0, validator=_non_negative)
    rate_429: float = attrs.field(default=0.0, validator=_rate)
    rate_500: float = attrs.field(default=0.0, validator=_rate)
    rate_503: float = attrs.field(default=0.0, validator=_rate)
    retry_after: int = attrs.field(default=1, validator=_non_negative)
    reset_before: float = attrs.field(default=0.0, validator=_rate)
    reset_after: float = attrs.field(default=0.0, validator=_rate)
    stall_after: float = attrs.field(default=0.0, validator=_rate)
    stall_seconds: float = attrs.field(default=5.0, validator=_non_negative)
    webhook_drop: float = attrs.field(default=0.0, validator=_rate)
    webhook_duplicate: float = attrs.field(default=0.0, validator=_rate)
    webhook_delay: float = attrs.field(default=0.0, validator=_non_negative)
    webhook_reorder: float = attrs.field(default=0.0, validator=_rate)
    reorder_window: float = attrs.field(default=2.0, validator=_non_negative)
    methods: frozenset[str] | None = attrs.field(default=None, converter=_methods)
    resources: frozenset[str] | None = attrs.field(default=None, converter=_resources)

    def applies(self, method: str, resource: str) -> bool:
        """Whether request faults apply to this method and resource path."""
        return (self.methods is None or method in self.methods) and (
            self.resources is None or resource in self.resources
        )


#: Request fault kinds, in the order they are drawn.
REQUEST_FAULTS = ("reset_before", "429", "500", "503")


class FaultDice:
    """Seeded draws; one generator so a seeded run injects the same faults every time."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def hit(self, share: float) -> bool:
        """True with probability ``share`` (never draws for 0, so disabled faults cost nothing)."""
        return share > 0 and (share >= 1 or self._rng.random() < share)

    def request_fault(self, faults: Faults) -> str | None:
        """The fault to inject before handling a request, if any."""
        for kind, share in zip(
            REQUEST_FAULTS,
            (faults.reset_before, faults.rate_429, faults.rate_500, faults.rate_503),
            strict=True,
        ):
            if self.hit(share):
                return kind
        return None

    def latency(self, faults: Faults) -> float:
        """Real seconds to wait before answering."""
        if faults.latency_jitter <= 0:
            return faults.latency
        return faults.latency + self._rng.uniform(0, faults.latency_jitter)
