"""Decoding: compound pages (data plus included resources) into linked, typed models.

The same bytes (``benchmarks/_compound_page.py``: a page of flowGenerations with
``include=flow.nodes.nodeActions``, the seed's parameters and a vacancy text, every
relationship between the page's resources sent with ``data``) at 10, 100, 1,000 and 10,000
resources in all are decoded by:

* the SDK: ``Codec().decode_document(raw)``: every resource to its model, then each
  relationship field set to the included model it names (``generation.flow.nodes[0]
  .node_actions[0].value``), what every ``list(include=...)`` page goes through;
* pydantic v2, written as one would for speed: ``Document.model_validate_json(raw)`` (one
  pass in Rust: models of the same shape with camelCase aliases, enums, datetimes, the
  included resources a union discriminated on ``type``), then the same linking in Python:
  an identity map of ``(type, id)``, each relationship with ``data`` resolved through it
  and stored on the model's relationship field (into its ``__dict__``, pydantic's own
  storage: cheaper than its validating ``__setattr__`` path, and nothing to validate);
* and, as the floor, ``orjson.loads(raw)``: dicts, nothing typed, nothing linked.

``check_same`` holds both typed decoders to the same values, through the links. Rounds
alternate the decoders (rotating who goes first); in a round each decoder's figure is the
best of a few timed batches (a batch decodes the page enough times to take a few ms), the
garbage collector on, as in a service, and collected before each batch. The verdict per
size is the median over rounds of the paired ratio pydantic time / SDK time, with its min
and max. Target: the SDK at least 1.5x as fast as pydantic v2 at every size.
"""

from __future__ import annotations

import argparse
import enum
import functools
import gc
import operator
import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson

from benchmarks._common import median, optional_module, spread, verdict, write_results
from benchmarks._compound_page import page
from recrubo_async._jsonapi import Codec
from recrubo_async.models import Flow, FlowGeneration, Node, NodeAction

TARGET = 1.5
SIZES = [10, 100, 1000, 10000]


class Status(str, enum.Enum):
    QUEUED = "queued"
    PROCESSING = "processing"
    FINISHED = "finished"


class FlowType(str, enum.Enum):
    VACANCY_APPLICATION_FLOW = "vacancy_application_flow"


class EndFlowType(str, enum.Enum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    UPDATE = "update"
    RESET = "reset"


class ActionType(str, enum.Enum):
    ASK = "ask"
    SAY = "say"


class ActionSubType(str, enum.Enum):
    TEXT = "text"
    LIST = "list"
    APPOINTMENT = "appointment"


#: Per JSON:API type: its attributes (snake_case name, type), and its relationship fields
#: (wire name -> (field name, to-many)), as the SDK's models have them.
TYPES: dict[str, tuple[list[tuple[str, Any]], dict[str, tuple[str, bool]]]] = {
    "flowGenerations": (
        [
            ("flow_type", FlowType | None),
            ("parameters", dict[str, Any] | None),
            ("context", dict[str, Any] | None),
            ("flow_id", str | None),
            ("status", Status | None),
            ("cost", int | None),
            ("created_at", datetime | None),
            ("updated_at", datetime | None),
        ],
        {"flow": ("flow", False)},
    ),
    "flows": (
        [
            ("name", str | None),
            ("reminder_interval", int | None),
            ("reminder_message", str | None),
            ("session_timeout", int | None),
            ("flow_generation_id", str | None),
            ("published_at", datetime | None),
            ("unpublished_changes", bool | None),
            ("created_at", datetime | None),
            ("updated_at", datetime | None),
        ],
        {
            "nodes": ("nodes", True),
            "flowGeneration": ("flow_generation", False),
            "vacancy": ("vacancy", False),
            "flowRuns": ("flow_runs", True),
        },
    ),
    "nodes": (
        [
            ("name", str | None),
            ("index", int | None),
            ("flow_id", str | None),
            ("is_start_flow", bool | None),
            ("is_end_flow", bool | None),
            ("end_flow_type", EndFlowType | None),
            ("created_at", datetime | None),
            ("updated_at", datetime | None),
        ],
        {
            "flow": ("flow", False),
            "nodeActions": ("node_actions", True),
            "nodeTransitions": ("node_transitions", True),
        },
    ),
    "nodeActions": (
        [
            ("action_type", ActionType | None),
            ("sub_type", ActionSubType | None),
            ("value", dict[str, Any] | None),
            ("variable_name", str | None),
            ("index", int | None),
            ("attachment_data", dict[str, Any] | None),
            ("created_at", datetime | None),
            ("updated_at", datetime | None),
        ],
        {"node": ("node", False)},
    ),
}


def pydantic_decoder() -> Callable[[bytes], Any]:
    """``Document.model_validate_json``, then the includes linked as the SDK links them."""
    pydantic = optional_module("pydantic")
    to_camel = optional_module("pydantic.alias_generators").to_camel
    # Wire (camelCase) names only: the SDK does not look for snake_case ones either.
    config = pydantic.ConfigDict(alias_generator=to_camel)
    identifier = pydantic.create_model("ResourceIdentifier", type=(str, ...), id=(str, ...))
    relationship = pydantic.create_model(
        "Relationship",
        data=(identifier | _list_of(identifier) | None, None),
        links=(dict[str, Any], {}),
        meta=(dict[str, Any], {}),
    )
    models: dict[str, Any] = {}
    for rtype, (attributes, rels) in TYPES.items():
        attrs_model = pydantic.create_model(
            f"{rtype}Attributes",
            __config__=config,
            **{name: (tp, None) for name, tp in attributes},
        )
        # The relationship fields: filled by link() below, never read from the JSON.
        linked = {
            name: (Any, pydantic.Field(default=None, exclude=True, repr=False))
            for name, _ in rels.values()
        }
        models[rtype] = pydantic.create_model(
            f"{rtype}Resource",
            id=(str, ...),
            type=(Literal[rtype], ...),
            attributes=(attrs_model, ...),
            relationships=(dict[str, relationship], {}),  # type: ignore[valid-type]
            links=(dict[str, Any], {}),
            meta=(dict[str, Any], {}),
            **linked,
        )
    # The included resources: a union of the four, told apart by their ``type``.
    union: Any = functools.reduce(operator.or_, models.values())
    any_resource: Any = Annotated[union, pydantic.Field(discriminator="type")]
    document = pydantic.create_model(
        "Document",
        data=(_list_of(models["flowGenerations"]), ...),
        included=(_list_of(any_resource), []),
        links=(dict[str, Any], {}),
        meta=(dict[str, Any], {}),
    )
    specs = {rtype: rels for rtype, (_, rels) in TYPES.items()}
    validate = document.model_validate_json

    def decode(raw: bytes) -> Any:
        doc = validate(raw)
        resources = [*doc.data, *doc.included]
        index: dict[tuple[str, str], Any] = {}
        for r in resources:
            index.setdefault((r.type, r.id), r)
        for r in resources:
            fields = specs[r.type]
            store = r.__dict__
            for wire, rel in r.relationships.items():
                if "data" not in rel.model_fields_set:
                    continue  # links only: nothing to resolve
                spec = fields.get(wire)
                if spec is None:
                    continue
                name, many = spec
                data = rel.data
                if data is None:
                    store[name] = () if many else None
                elif type(data) is list:
                    found = tuple([index.get((d.type, d.id), d) for d in data])
                    store[name] = found if many else (found[0] if found else None)
                else:
                    one = index.get((data.type, data.id), data)
                    store[name] = (one,) if many else one
        return doc

    return decode


def _list_of(tp: Any) -> Any:
    """``list[tp]`` for a type made at run time."""
    return list[tp]


def sdk_decoder() -> Callable[[bytes], Any]:
    return Codec().decode_document


def check_same(raw: bytes, decoders: dict[str, Callable[[bytes], Any]]) -> None:
    """Both typed decoders read the same values and resolved the same links."""
    sdk_doc = decoders["sdk"](raw)
    doc = decoders["pydantic"](raw)
    assert (doc.links, doc.meta) == (sdk_doc.links, sdk_doc.meta)
    assert len(doc.data) == len(sdk_doc.data) and len(doc.included) == len(sdk_doc.included)
    for generation, resource in ((sdk_doc.data[0], doc.data[0]), (sdk_doc.data[-1], doc.data[-1])):
        assert isinstance(generation, FlowGeneration)
        flow, pflow = generation.flow, resource.flow
        assert isinstance(flow, Flow) and flow.flow_generation is generation
        assert pflow.flow_generation is resource
        assert flow.nodes is not None
        start, end = flow.nodes
        assert isinstance(start, Node) and isinstance(end, Node) and start.flow is flow
        assert start.node_actions is not None and end.node_actions == ()
        action = start.node_actions[0]
        assert isinstance(action, NodeAction) and action.node is start
        pstart, pend = pflow.nodes
        paction = pstart.node_actions[0]
        assert pstart.flow is pflow and pend.node_actions == () and paction.node is pstart
        a, fa = resource.attributes, pflow.attributes
        got = (
            resource.id,
            a.flow_type.value,
            a.status.value,
            a.parameters,
            a.context,
            a.flow_id,
            a.cost,
            a.created_at,
            a.updated_at,
            resource.relationships["flow"].links,
            resource.links,
            (fa.name, fa.reminder_interval, fa.published_at, fa.updated_at),
            pflow.vacancy,
            (pend.attributes.end_flow_type.value, pend.attributes.is_end_flow),
            (paction.attributes.value, paction.attributes.sub_type.value, paction.id),
        )
        want = (
            generation.id,
            str(generation.flow_type),
            str(generation.status),
            generation.parameters,
            generation.context,
            generation.flow_id,
            generation.cost,
            generation.created_at,
            generation.updated_at,
            generation.relationships["flow"].links,
            generation.links,
            (flow.name, flow.reminder_interval, flow.published_at, flow.updated_at),
            flow.vacancy,
            (str(end.end_flow_type), end.is_end_flow),
            (action.value, str(action.sub_type), action.id),
        )
        assert got == want, (got, want)


def best_of(decode: Callable[[bytes], Any], raw: bytes, reps: int, batch: int) -> float:
    """Seconds per decode: the fastest of ``reps`` batches of ``batch`` decodes."""
    best = float("inf")
    for _ in range(reps):
        gc.collect()
        started = time.perf_counter()
        for _ in range(batch):
            decode(raw)
        best = min(best, (time.perf_counter() - started) / batch)
    return best


def measure(n: int, rounds: int, reps: int) -> dict[str, Any]:
    """Every decoder on the ``n``-resource page, ``rounds`` alternated rounds."""
    raw = page(n)
    decoders: dict[str, Callable[[bytes], Any]] = {
        "sdk": sdk_decoder(),
        "pydantic": pydantic_decoder(),
        "orjson": orjson.loads,
    }
    check_same(raw, decoders)
    batch = max(1, 2000 // n)  # a few ms per timed batch
    names = list(decoders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            times[name].append(best_of(decoders[name], raw, reps, batch))
    paired = [p / s for p, s in zip(times["pydantic"], times["sdk"], strict=True)]
    ms = {name: median(times[name]) * 1e3 for name in names}
    ratios = spread(paired)
    print(
        f"{n:>6,} resources ({len(raw) / 1024:,.0f} KiB): "
        + "  ".join(f"{name} {ms[name]:.3f} ms" for name in names)
        + f"  SDK / pydantic speed {ratios['min']:.2f} / {ratios['median']:.2f} / "
        f"{ratios['max']:.2f} (min / median / max of {rounds} rounds)",
        flush=True,
    )
    return {
        "resources": n,
        "bytes": len(raw),
        "ms": ms,
        "us_per_resource": {name: ms[name] / n * 1e3 for name in names},
        "rounds_ms": {name: [t * 1e3 for t in times[name]] for name in names},
        "paired_ratios": paired,
        "ratio_spread": ratios,
        "ratio": ratios["median"],
    }


def main(sizes: list[int], rounds: int, reps: int) -> dict[str, Any]:
    print(
        f"decode a compound flowGenerations page (include=flow.nodes.nodeActions): SDK vs "
        f"pydantic v2 vs orjson; target SDK >= {TARGET}x pydantic at every size"
    )
    rows = [measure(n, rounds, reps) for n in sizes]
    top = max(rows, key=lambda row: row["resources"])
    result = {
        "benchmark": "decoding",
        "title": "Decoding compound pages (data + included, linked) into typed models",
        **top,
        "rows": rows,
        "target": TARGET,
        "rounds": rounds,
        "reps": reps,
        "verdicts": [
            verdict(
                f"decode a compound page of {row['resources']:,} resources: "
                "SDK speed / pydantic v2",
                row["ratio"],
                target=TARGET,
                rounds=row["paired_ratios"],
            )
            for row in rows
        ],
    }
    write_results("decoding", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    main(args.sizes, args.rounds, args.reps)
