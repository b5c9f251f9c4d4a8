"""Decoding: a 1,000-resource page of flowGenerations into typed models, three ways.

The same bytes (a JSON:API list page as the API sends it: attributes with nested
parameters and context, two timestamps, two enums, a links-only relationship, page links
and meta) are decoded by:

* the SDK: ``Codec().decode_document(raw)`` into ``FlowGeneration`` models (what every
  ``list()`` page goes through);
* pydantic v2: ``Document.model_validate_json(raw)``, models of the same shape (camelCase
  aliases, enums, datetimes, relationships as models; wire names only, as the SDK reads);
* msgspec: ``msgspec.json.decode(raw, type=Document)`` with structs of the same shape;
* and, as the floor, ``orjson.loads(raw)``: dicts, nothing typed.

``check_same`` holds every typed decoder to the same values: attributes, enums,
timestamps, the relationship's links, the resource's links and the page's links and meta.
Rounds alternate the decoders; each figure is the median over rounds of the best of a
few repetitions. Target: the SDK at least 1.5x as fast as pydantic v2.
"""

from __future__ import annotations

import argparse
import enum
import gc
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from benchmarks._common import median, optional_module, verdict, write_results
from recrubo_async._jsonapi import Codec
from recrubo_async.models import FlowGeneration

TARGET = 1.5
BASE_PATH = "/public/v2"


def page(n: int) -> bytes:
    """A list page of ``n`` flow generations, as the API renders one."""

    def resource(i: int) -> dict[str, Any]:
        gid, fid = str(uuid.UUID(int=i + 1)), str(uuid.UUID(int=10**9 + i))
        return {
            "id": gid,
            "type": "flowGenerations",
            "attributes": {
                "flowType": "vacancy_application_flow",
                "parameters": {
                    "knockoutRequirements": [{"value": "Driving licence B"}],
                    "preferredRequirements": [{"value": "Forklift certificate"}],
                    "requiredFields": [{"value": "email", "sessionField": "email"}],
                    "language": "nl",
                },
                "context": {"type": "text", "value": f"Vacancy {i}: drivers in Utrecht."},
                "flowId": fid,
                "status": ("queued", "processing", "finished")[i % 3],
                "cost": 3,
                "createdAt": f"2026-06-07T05:{i % 60:02d}:09.714Z",
                "updatedAt": f"2026-06-07T06:{i % 60:02d}:21.102Z",
            },
            "relationships": {"flow": {"links": {"related": f"{BASE_PATH}/flows/{fid}"}}},
            "links": {"self": f"{BASE_PATH}/flow-generations/{gid}"},
        }

    url = f"{BASE_PATH}/flow-generations?page[size]={n}"
    return orjson.dumps(
        {
            "data": [resource(i) for i in range(n)],
            "links": {"self": f"{url}&page[number]=1", "next": f"{url}&page[number]=2"},
            "meta": {"total": 10 * n, "pageCount": 10, "pageSize": n, "pageNumber": 1},
        }
    )


class Status(str, enum.Enum):
    QUEUED = "queued"
    PROCESSING = "processing"
    FINISHED = "finished"


class FlowType(str, enum.Enum):
    VACANCY_APPLICATION_FLOW = "vacancy_application_flow"


#: The attributes of a flowGenerations resource: (snake_case name, type).
ATTRIBUTES: list[tuple[str, Any]] = [
    ("flow_type", FlowType | None),
    ("parameters", dict[str, Any] | None),
    ("context", dict[str, Any] | None),
    ("flow_id", str | None),
    ("status", Status | None),
    ("cost", int | None),
    ("created_at", datetime | None),
    ("updated_at", datetime | None),
]


def pydantic_decoder() -> Callable[[bytes], Any]:
    """``Document.model_validate_json`` for pydantic v2 models of the page's shape."""
    pydantic = optional_module("pydantic")
    to_camel = optional_module("pydantic.alias_generators").to_camel
    # Wire (camelCase) names only: the SDK does not look for snake_case ones either.
    config = pydantic.ConfigDict(alias_generator=to_camel)
    fields: dict[str, Any] = {name: (tp, None) for name, tp in ATTRIBUTES}
    attributes = pydantic.create_model("FlowGenerationAttributes", __config__=config, **fields)
    relationship = pydantic.create_model(
        "Relationship",
        data=(Any, None),
        links=(dict[str, Any], {}),
        meta=(dict[str, Any], {}),
    )
    resource = pydantic.create_model(
        "FlowGenerationResource",
        id=(str, ...),
        type=(str, ...),
        attributes=(attributes, ...),
        relationships=(dict[str, relationship], {}),  # type: ignore[valid-type]
        links=(dict[str, Any], {}),
        meta=(dict[str, Any], {}),
    )
    document = pydantic.create_model(
        "Document",
        data=(list[resource], ...),  # type: ignore[valid-type]
        included=(list[resource], []),  # type: ignore[valid-type]
        links=(dict[str, Any], {}),
        meta=(dict[str, Any], {}),
    )
    decode: Callable[[bytes], Any] = document.model_validate_json
    return decode


def msgspec_decoder() -> Callable[[bytes], Any]:
    """A ``msgspec.json.Decoder`` for structs of the page's shape."""
    msgspec = optional_module("msgspec")
    attributes = msgspec.defstruct(
        "FlowGenerationAttributes",
        [(name, tp, None) for name, tp in ATTRIBUTES],
        rename="camel",
        kw_only=True,
    )
    relationship = msgspec.defstruct(
        "Relationship",
        [
            ("data", Any, None),
            ("links", dict[str, Any], msgspec.field(default_factory=dict)),
            ("meta", dict[str, Any], msgspec.field(default_factory=dict)),
        ],
        kw_only=True,
    )
    resource = msgspec.defstruct(
        "FlowGenerationResource",
        [
            ("id", str),
            ("type", str),
            ("attributes", attributes),
            ("relationships", dict[str, relationship], msgspec.field(default_factory=dict)),  # type: ignore[valid-type]
            ("links", dict[str, Any], msgspec.field(default_factory=dict)),
            ("meta", dict[str, Any], msgspec.field(default_factory=dict)),
        ],
        kw_only=True,
    )
    document = msgspec.defstruct(
        "Document",
        [
            ("data", list[resource]),  # type: ignore[valid-type]
            ("included", list[resource], msgspec.field(default_factory=list)),  # type: ignore[valid-type]
            ("links", dict[str, Any], msgspec.field(default_factory=dict)),
            ("meta", dict[str, Any], msgspec.field(default_factory=dict)),
        ],
        kw_only=True,
    )
    decode: Callable[[bytes], Any] = msgspec.json.Decoder(document).decode
    return decode


def sdk_decoder() -> Callable[[bytes], Any]:
    return Codec().decode_document


def check_same(raw: bytes, decoders: dict[str, Callable[[bytes], Any]]) -> None:
    """Every typed decoder read the same values, the whole shape: attributes, enums,
    timestamps, relationships, links and meta."""
    sdk_doc = decoders["sdk"](raw)
    sdk = sdk_doc.data
    assert isinstance(sdk, list) and isinstance(sdk[-1], FlowGeneration)
    for name in ("pydantic", "msgspec"):
        doc = decoders[name](raw)
        assert (doc.links, doc.meta) == (sdk_doc.links, sdk_doc.meta), name
        for model, resource in ((sdk[0], doc.data[0]), (sdk[-1], doc.data[-1])):
            attributes = resource.attributes
            got = (
                resource.id,
                attributes.flow_type.value,
                attributes.status.value,
                attributes.parameters,
                attributes.context,
                attributes.flow_id,
                attributes.cost,
                attributes.created_at,
                attributes.updated_at,
                resource.relationships["flow"].data,
                resource.relationships["flow"].links,
                resource.links,
            )
            want = (
                model.id,
                str(model.flow_type),
                str(model.status),
                model.parameters,
                model.context,
                model.flow_id,
                model.cost,
                model.created_at,
                model.updated_at,
                model.relationships["flow"].data,
                model.relationships["flow"].links,
                model.links,
            )
            assert got == want, (name, got, want)


def best_of(decode: Callable[[bytes], Any], raw: bytes, reps: int) -> float:
    """Seconds of the fastest of ``reps`` decodes (the result dropped between runs)."""
    best = float("inf")
    for _ in range(reps):
        gc.collect()
        started = time.perf_counter()
        decode(raw)
        best = min(best, time.perf_counter() - started)
    return best


def main(n: int, rounds: int, reps: int) -> dict[str, Any]:
    raw = page(n)
    decoders = {
        "sdk": sdk_decoder(),
        "pydantic": pydantic_decoder(),
        "msgspec": msgspec_decoder(),
        "orjson": orjson.loads,
    }
    check_same(raw, decoders)
    names = list(decoders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            times[name].append(best_of(decoders[name], raw, reps))
    ms = {name: median(times[name]) * 1e3 for name in names}
    print(
        f"decode one {n:,}-resource flowGenerations page ({len(raw) / 1024:,.0f} KiB), "
        f"median of {rounds} rounds, best of {reps}"
    )
    for name in names:
        print(
            f"  {name:<9} {ms[name]:7.2f} ms  {ms[name] / n * 1e3:6.2f} us/resource  "
            f"SDK speed relative to it: x{ms[name] / ms['sdk']:.2f}"
        )
    ratio = ms["pydantic"] / ms["sdk"]
    print(f"ratio SDK speed / pydantic v2: {ratio:.2f} (target >= {TARGET})")
    print(f"ratio SDK speed / msgspec: {ms['msgspec'] / ms['sdk']:.2f}")
    result = {
        "benchmark": "decoding",
        "title": f"Decoding a {n:,}-resource page into typed models",
        "resources": n,
        "bytes": len(raw),
        "ms": ms,
        "rounds_ms": {name: [t * 1e3 for t in times[name]] for name in names},
        "ratio": ratio,
        "msgspec_ratio": ms["msgspec"] / ms["sdk"],
        "target": TARGET,
        "rounds": rounds,
        "verdicts": [verdict("decode page: SDK speed / pydantic v2", ratio, target=TARGET)],
    }
    write_results("decoding", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    main(args.resources, args.rounds, args.reps)
