"""The API commands: ``flows generate``, ``flow-runs watch``, ``get``, ``list``,
``webhooks ensure``, ``emulator``.

Each takes the parsed arguments and an ``Output`` and returns the exit status; failures
are raised (``UsageError``, SDK errors) and turned into one line by ``_app``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from .._client import Client
from .._constants import API_KEY_ENV, ENVIRONMENT_URLS
from .._query import MAX_PAGE_SIZE, check_page_size, include_paths, sort_param
from .._types import Environment
from .._validate import check_path_id
from ..models import CandidateField, Requirement, TextContext, VacancyApplicationParameters
from ..models._base import Resource, relationship_specs
from ..resources import ResourceEntry
from ..resources.flow_runs import FLOW_RUN
from ..waiters import PollingWaiter
from ..waiters._waitable import DEFAULT_WAIT_TIMEOUT
from ._errors import CommandError, UsageError
from ._output import Output, Progress
from ._parsing import parse_filters, parse_subscription, read_text, resolve_kind

# The command reports duplicates itself; without this, Python's last-resort handler would
# print the SDK's warning too. Handlers the user configures still get it.
logging.getLogger("recrubo_async.webhooks.ensure").addHandler(logging.NullHandler())


def make_client(args: argparse.Namespace, *, poll_interval: float | None = None) -> Client:
    """A client from the global options and the environment.

    Args:
        poll_interval: poll jobs at this fixed interval instead of the SDK's backoff.

    Raises:
        UsageError: no API key anywhere.
    """
    api_key: str | None = args.api_key
    if api_key is None and not os.environ.get(API_KEY_ENV, "").strip():
        raise UsageError(f"no API key: set {API_KEY_ENV} (or pass --api-key)")
    waiter = None
    if poll_interval is not None:
        waiter = PollingWaiter(interval=poll_interval, max_interval=poll_interval, backoff=1.0)
    environment: Environment | None = args.environment
    base_url: str | None = args.base_url
    if base_url is None and environment is not None:
        # An explicit --environment beats $RECRUBO_BASE_URL; --base-url beats both.
        base_url = ENVIRONMENT_URLS[environment]
    return Client(
        api_key,
        base_url=base_url,
        environment=environment or "production",
        max_retries=args.max_retries,
        waiter=waiter,
    )


def _resource_id(value: str) -> str:
    if not value.strip():
        raise UsageError("the resource ID is empty")
    # The SDK's own rule, checked before a client is made: a usage error, not a traceback.
    try:
        return check_path_id(value.strip(), "the resource ID")
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


async def flows_generate(args: argparse.Namespace, out: Output) -> int:
    """Create a flow generation from a vacancy text; with ``--wait``, print the flow id."""
    if args.timeout is not None and not args.wait:
        raise UsageError("--timeout applies only with --wait")
    text = read_text(args.vacancy)
    try:
        parameters = VacancyApplicationParameters(
            knockout_requirements=[Requirement(t) for t in args.knockout],
            preferred_requirements=[Requirement(t) for t in args.preferred],
            required_fields=[CandidateField(n) for n in args.required_field],
            optional_fields=[CandidateField(n) for n in args.optional_field] or None,
            language=args.language,
            flow_name=args.flow_name,
        )
    except ValueError as exc:  # an unknown --required-field/--optional-field name
        raise UsageError(str(exc)) from exc
    request: dict[str, Any] = {
        "flow_type": "vacancy_application_flow",
        "parameters": parameters,
        "context": TextContext(value=text),
    }
    async with make_client(args, poll_interval=args.poll_interval) as client:
        if not args.wait:
            out.resource(await client.flow_generations.create(**request))
            return 0
        timeout = DEFAULT_WAIT_TIMEOUT if args.timeout is None else args.timeout
        with Progress("flow generation") as progress:
            generation = await client.flow_generations.create_and_wait(
                **request, timeout=timeout, on_status=progress.update
            )
    if out.json:
        out.resource(generation)
    elif generation.flow_id is None:
        raise CommandError(f"flow generation {generation.id} finished without a flow id")
    else:
        out.text(generation.flow_id)
    return 0


async def flow_runs_watch(args: argparse.Namespace, out: Output) -> int:
    """Print each status change of a flow run until it ends."""
    run_id = _resource_id(args.id)
    last: Resource | None = None
    async with make_client(args, poll_interval=args.poll_interval) as client:
        async for state in client.flow_runs.watch(run_id):
            out.state(state)
            last = state
    failed = last is not None and FLOW_RUN.failed(last)
    return 1 if args.exit_status and failed else 0


def _check_include(include: str | None, kind: ResourceEntry) -> None:
    if include is not None:
        try:
            include_paths(include, kind.model)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc


async def get(args: argparse.Namespace, out: Output) -> int:
    """Print one resource (with ``--include``, its relationships' targets)."""
    kind = resolve_kind(args.type)
    resource_id = _resource_id(args.id)
    _check_include(args.include, kind)
    async with make_client(args) as client:
        resources = getattr(client, kind.attribute)
        resource = await resources.retrieve(resource_id, include=args.include)
    if args.include is None:
        out.resource(resource)
    else:
        out.document(resource, reachable(resource))
    return 0


def reachable(resource: Resource) -> list[Resource]:
    """The models linked from ``resource`` (what its document included), each once, in the
    order a breadth-first walk meets them; the resource itself is not among them."""
    seen = {(resource.type, resource.id)}
    found: list[Resource] = []
    queue = [resource]
    while queue:
        current = queue.pop(0)
        for spec in relationship_specs(type(current)).values():
            value = getattr(current, spec.name)
            for target in value if isinstance(value, tuple) else (value,):
                if isinstance(target, Resource) and (target.type, target.id) not in seen:
                    seen.add((target.type, target.id))
                    found.append(target)
                    queue.append(target)
    return found


async def list_(args: argparse.Namespace, out: Output) -> int:
    """Print up to ``--limit`` resources of a type, following pages."""
    kind = resolve_kind(args.type)
    filters = parse_filters(args.filter)
    limit: int = args.limit
    page_size: int | None = args.page_size
    if page_size is None and limit:
        page_size = min(limit, MAX_PAGE_SIZE)
    # Checked before any request, so a typo is a usage error and costs no call.
    _check_include(args.include, kind)
    try:
        if args.sort is not None:
            sort_param(args.sort)
        if page_size is not None:
            check_page_size(page_size)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    items: list[Resource] = []
    included: dict[tuple[str, str], Resource] = {}
    async with make_client(args) as client:
        paginator = getattr(client, kind.attribute).list(
            filter=filters or None, sort=args.sort, include=args.include, page_size=page_size
        )
        async for page in paginator.pages():
            items.extend(page.items)
            included.update(((r.type, r.id), r) for r in page.included)
            if limit and len(items) >= limit:
                del items[limit:]
                break
    out.resources(items, included.values(), what=kind.kebab)
    return 0


async def webhooks_ensure(args: argparse.Namespace, out: Output) -> int:
    """Make the webhook subscriptions match ``--subscribe``; print what it created, kept
    and deleted."""
    webhook_url: str | None = args.webhook_url
    if webhook_url is not None and not webhook_url.strip():
        raise UsageError("--webhook-url is empty")
    subscriptions = [parse_subscription(s, webhook_url=webhook_url) for s in args.subscribe]
    async with make_client(args) as client:
        result = await client.webhooks.ensure(subscriptions, prune=args.prune)
    out.ensured(result)
    return 0


async def emulator(args: argparse.Namespace, out: Output) -> int:
    """Hand the arguments to the emulator's command line (``python -m recrubo_emulator``)."""
    try:
        from recrubo_emulator.__main__ import fetch_stats, parse_args, print_stats, serve
    except ImportError as exc:
        from ..testing import INSTALL_HINT

        raise SystemExit(f"recrubo emulator: {INSTALL_HINT}") from exc
    from ._app import _Parser  # at call time: _app imports this module

    argv: list[str] = list(args.emulator_args)
    # `recrubo --json emulator stats`: the global flag was taken before the command.
    if args.json and argv[:1] == ["stats"] and "--json" not in argv:
        argv.append("--json")
    try:
        # The emulator's own options, read by its parser, named as the user typed them;
        # usage mistakes become this command line's one `recrubo: error:` line.
        options = parse_args(argv, prog="recrubo emulator", parser_class=_Parser)
    except SystemExit as exc:  # --help printed
        return exc.code if isinstance(exc.code, int) else 0
    if options.command == "stats":
        try:
            stats = await fetch_stats(options.url)
        except ValueError as exc:  # not an http URL
            raise UsageError(str(exc)) from exc
        print_stats(stats, as_json=options.json, out=sys.stdout)
        return 0
    await serve(options, out=sys.stdout)
    return 0
