"""Fuzzing from the served OpenAPI document: no generated request may crash the emulator.

Hypothesis runs in a worker thread and sends each request through the test's event loop,
so the emulator and the client live where pytest-asyncio put them.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emu_helpers import Answer, Api, doc, generation_attributes
from recrubo_emulator import Emulator

OPERATORS = ["eq", "eql", "prefix", "suffix", "gt", "gte", "lt", "lte", "match", "nope", ""]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
texts = st.text(max_size=16)
query_values = (
    texts
    | st.integers(min_value=-5, max_value=300).map(str)
    | st.sampled_from(["2024-01-01", "2024-01-01T10:00:00Z", "true", "null", "a,b", ""])
)


def _from_schema(schema: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "$ref" in schema:
        return _from_schema(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "oneOf" in schema:
        return st.one_of([_from_schema(s, components) for s in schema["oneOf"]])
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    options: list[st.SearchStrategy[Any]] = []
    for k in kinds:
        if k == "null":
            options.append(st.none())
        elif k == "string":
            options.append(texts)
        elif k == "integer":
            options.append(st.integers(min_value=-1000, max_value=1000))
        elif k == "number":
            options.append(st.floats(allow_nan=False, allow_infinity=False))
        elif k == "boolean":
            options.append(st.booleans())
        elif k == "array":
            items = schema.get("items")
            element = _from_schema(items, components) if items else json_values
            options.append(st.lists(element, max_size=3))
        elif k == "object" and "properties" in schema:
            options.append(_object(schema, components))
        else:
            options.append(st.dictionaries(st.text(max_size=6), json_values, max_size=3))
    return st.one_of(options) if options else json_values


def _object(schema: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy[Any]:
    props = schema["properties"]
    required = set(schema.get("required", []))
    fixed = {k: _from_schema(v, components) for k, v in props.items() if k in required}
    optional = {k: _from_schema(v, components) for k, v in props.items() if k not in required}
    return st.fixed_dictionaries(fixed, optional=optional)


def _body(op: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy[Any]:
    content = op.get("requestBody", {}).get("content", {})
    if not content:
        return st.none()
    schema = next(iter(content.values()))["schema"]
    valid = _from_schema(schema, components)
    junk_attributes = st.dictionaries(st.text(max_size=8), json_values, max_size=3)
    return st.one_of(
        valid,
        valid,
        st.builds(
            lambda t, a: {"data": {"type": t, "attributes": a}},
            st.sampled_from(["candidates", "flows", "x"]) | texts,
            junk_attributes,
        ),
        json_values,
    )


def _query(op: dict[str, Any]) -> st.SearchStrategy[list[tuple[str, str]]]:
    pairs: list[st.SearchStrategy[tuple[str, str]]] = [
        st.tuples(st.sampled_from(["foo", "sync", "filter", "page[x]", "fields"]), query_values)
    ]
    for param in op.get("parameters", []):
        schema = param.get("schema", {})
        name = param["name"]
        if name == "filter":
            fields = [*schema.get("properties", {}), "unknownField"]
            keys = st.builds(
                lambda f, o: f"filter[{f}]" + (f"[{o}]" if o else ""),
                st.sampled_from(fields),
                st.sampled_from(OPERATORS),
            )
            pairs.append(st.tuples(keys, query_values))
        elif name == "sort":
            names = [*schema.get("x-sort-fields", []), "nope"]
            sort = st.lists(
                st.builds(lambda d, n: d + n, st.sampled_from(["", "-"]), st.sampled_from(names)),
                min_size=1,
                max_size=3,
            ).map(",".join)
            pairs.append(st.tuples(st.just("sort"), sort | texts))
        elif name == "page":
            keys = st.sampled_from(["page[size]", "page[number]"])
            pairs.append(st.tuples(keys, query_values))
        elif name == "include":
            rels = [*schema.get("x-relationships", []), "nope"]
            include = st.lists(
                st.lists(st.sampled_from(rels), min_size=1, max_size=2).map(".".join),
                min_size=1,
                max_size=3,
            ).map(",".join)
            pairs.append(st.tuples(st.just("include"), include))
        elif name == "fields":
            types = st.sampled_from(["candidates", "nodes", "organizations", "flows", "x"])
            keys = types.map(lambda t: f"fields[{t}]")
            pairs.append(st.tuples(keys, query_values))
    return st.lists(st.one_of(pairs), max_size=4)


async def _seed(api: Api) -> list[str]:
    gen = await api.post(
        "/flow-generations",
        doc("flowGenerations", generation_attributes()),
        params={"sync": "true"},
    )
    flow_id = gen.data["attributes"]["flowId"]
    ids = [gen.data["id"], flow_id]
    nodes = await api.get("/nodes", params={"include": "nodeActions,nodeTransitions"})
    ids += [n["id"] for n in nodes.data] + [i["id"] for i in nodes.json["included"]]
    thread = await api.create(
        "message-threads", "messageThreads", {"channel": "sms", "identifier": "1"}
    )
    ids.append(thread["id"])
    return ids


def _check(answer: Answer, path: str) -> None:
    assert answer.status < 500, (path, answer)
    if answer.status == 204:
        assert answer.raw == b""
        return
    body = answer.json
    assert isinstance(body, dict)
    if answer.status >= 400:
        assert answer.headers["Content-Type"].startswith("application/vnd.api+json")
        assert all(e["status"] == str(answer.status) for e in body["errors"])
    elif not path.endswith("openapi.json"):
        assert "data" in body


async def _fuzz(emu: Emulator, api: Api, *, writes: bool, examples: int) -> None:
    spec = (await api.get("/openapi.json")).json
    components = spec["components"]["schemas"]
    ids = await _seed(api)
    victim = await emu.create_organization("Victim")
    ops = [
        (path, method.upper(), op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method != "parameters" and ((method in ("post", "patch", "delete")) == writes)
    ]
    loop = asyncio.get_running_loop()

    async def send(path: str, method: str, params: Any, body: Any, token: Any, raw: Any) -> None:
        client = api.with_token(token)
        if raw is not None:
            answer = await client.request(method, path, params=params, raw=raw)
        else:
            answer = await client.request(method, path, body, params=params)
        _check(answer, path)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def run(data: st.DataObject) -> None:
        path, method, op = data.draw(st.sampled_from(ops))
        partner = path.startswith("/management")
        pool = [victim.id, "nope"] if partner else [*ids, "nope", victim.id]
        ident = data.draw(st.sampled_from(pool) | texts.filter(bool))
        concrete = path.replace("{id}", quote(ident, safe=""))
        params = data.draw(_query(op))
        body = data.draw(_body(op, components))
        raw = data.draw(st.sampled_from([None, None, None, b"{bad", b"", b"[]"]))
        good = emu.partner_key if partner else api.token
        token = data.draw(st.sampled_from([good, good, good, None, "wrong"]))
        future = asyncio.run_coroutine_threadsafe(
            send(concrete, method, params, body, token, raw), loop
        )
        future.result(timeout=30)

    await loop.run_in_executor(None, run)


async def test_fuzzed_reads_never_crash(emu: Emulator, api: Api) -> None:
    """Generated GETs (random ids, filters, operators, sorts, pages, includes) never give 5xx."""
    await _fuzz(emu, api, writes=False, examples=300)


async def test_fuzzed_writes_never_crash(emu: Emulator, api: Api) -> None:
    """Generated POST/PATCH/DELETE bodies (valid, mutated, junk) never give 5xx."""
    await _fuzz(emu, api, writes=True, examples=400)
    assert emu.stats.responses[500] == 0
