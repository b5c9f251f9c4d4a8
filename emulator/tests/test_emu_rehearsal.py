"""The emulator as a rehearsal tool: documented enums, what a flow run leaves behind, included
nodes in order, the stats endpoint and the command line with every ``Emulator`` option."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
import attrs
import pytest

from emu_helpers import Api, doc, generation_attributes
from recrubo_emulator import Emulator, Faults, Timings
from recrubo_emulator.__main__ import fetch_stats, parse_args, print_stats, stats_url

THREAD = {"channel": "whatsapp", "identifier": "31612345678"}


async def _flow_and_thread(api: Api) -> tuple[str, str]:
    gen = await api.post(
        "/flow-generations",
        doc("flowGenerations", generation_attributes()),
        params={"sync": "true"},
    )
    assert gen.status == 201, gen
    thread = await api.create("message-threads", "messageThreads", THREAD)
    return str(gen.data["attributes"]["flowId"]), str(thread["id"])


# -- documented enums and formats ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "type_", "attributes", "pointer"),
    [
        (
            "/message-threads",
            "messageThreads",
            {**THREAD, "channel": "pigeon"},
            "/data/attributes/channel",
        ),
        (
            "/candidates",
            "candidates",
            {"firstName": "A", "lastName": "B", "phone": "not-a-phone"},
            "/data/attributes/phone",
        ),
    ],
)
async def test_values_outside_the_documented_ones_get_422_with_a_pointer(
    api: Api, path: str, type_: str, attributes: dict[str, Any], pointer: str
) -> None:
    answer = await api.post(path, doc(type_, attributes))
    assert answer.status == 422, answer
    assert [e["source"]["pointer"] for e in answer.errors] == [pointer]


async def test_a_phone_number_as_the_docs_write_it_is_accepted(api: Api) -> None:
    for phone in ("31612345678", "+31 6 12345678"):
        created = await api.create("candidates", "candidates", {"firstName": "A", "phone": phone})
        assert created["attributes"]["phone"] == phone


async def test_an_unknown_required_field_is_refused_with_the_valid_names(api: Api) -> None:
    attributes = generation_attributes(requiredFields=[{"value": "shoeSize"}])
    answer = await api.post("/flow-generations", doc("flowGenerations", attributes))
    assert answer.status == 422, answer
    detail = answer.errors[0]["detail"]
    assert "invalid fields: shoeSize" in detail
    assert "firstName" in detail and "phoneNumber" in detail


# -- flow runs and flows ---------------------------------------------------------------------


@pytest.mark.parametrize(("outcome", "all_sent"), [("finished", True), ("timeout", False)])
async def test_an_ended_flow_run_leaves_the_messages_it_sent_in_its_thread(
    session: aiohttp.ClientSession, outcome: str, all_sent: bool
) -> None:
    async with Emulator(clock="manual", flow_run_outcome=outcome) as emu:
        org = await emu.create_organization()
        api = Api(session, emu.base_url, org.token)
        flow_id, thread_id = await _flow_and_thread(api)
        actions = (await api.get("/node-actions", params={"page[size]": "200"})).data
        await api.create("flow-runs", "flowRuns", {"flowId": flow_id, "messageThreadId": thread_id})
        await emu.advance(10)
        answer = await api.get(f"/message-threads/{thread_id}", params={"include": "messages"})
        messages = [m["attributes"] for m in answer.json.get("included", [])]
    assert messages, "the run left no messages"
    assert {(m["origin"], m["sendBy"], m["deliveryStatus"]) for m in messages} == {
        ("outbound", "Recrubo", "delivered")
    }
    texts = [m["payload"]["text"]["value"] for m in messages]
    assert (len(texts) == len(actions)) is all_sent


async def test_included_nodes_come_in_index_order(api: Api) -> None:
    flow_id, _ = await _flow_and_thread(api)
    answer = await api.get(f"/flows/{flow_id}", params={"include": "nodes"})
    indexes = [n["attributes"]["index"] for n in answer.json["included"]]
    assert len(indexes) > 2
    assert indexes == sorted(indexes)


# -- stats endpoint --------------------------------------------------------------------------


async def test_the_stats_endpoint_serves_the_counters_without_a_key(
    emu: Emulator, api: Api, session: aiohttp.ClientSession
) -> None:
    await api.get("/candidates")
    async with session.get(emu.stats_url) as response:
        assert response.status == 200
        stats = await response.json()
    assert stats["requests"]["GET /candidates"] == 1
    assert stats["responses"]["200"] >= 1
    # Reading the stats is not counted, so it does not change what it reports.
    assert stats == await fetch_stats(emu.base_url)


def test_the_stats_url_is_found_from_any_url_on_the_emulator() -> None:
    expected = "http://127.0.0.1:9/_emulator/stats"
    for url in ("http://127.0.0.1:9", "http://127.0.0.1:9/public/v2", expected):
        assert stats_url(url) == expected


def test_stats_print_plain_and_as_json() -> None:
    stats = {"requests": {"GET /candidates": 2}, "faults": {}}
    plain, as_json = io.StringIO(), io.StringIO()
    print_stats(stats, as_json=False, out=plain)
    print_stats(stats, as_json=True, out=as_json)
    assert plain.getvalue() == "requests:\n  GET /candidates  2\nfaults:\n  (none)\n"
    assert as_json.getvalue().strip() == '{"faults": {}, "requests": {"GET /candidates": 2}}'


# -- the command line ------------------------------------------------------------------------


def test_every_faults_and_timings_field_has_an_option() -> None:
    argv: list[str] = []
    for field in attrs.fields(Faults):
        if field.name in ("methods", "resources"):
            continue
        argv += ["--" + field.name.replace("_", "-"), "1"]
    for field in attrs.fields(Timings):
        argv += ["--" + field.name.replace("_", "-"), "7"]
    args = parse_args([*argv, "--methods", "get,post", "--resources", "flow-runs"])
    assert args.faults.rate_503 == 1.0 and args.faults.retry_after == 1
    assert args.faults.methods == frozenset({"GET", "POST"})
    assert args.faults.resources == frozenset({"flow-runs"})
    assert args.timings == Timings(**{f.name: 7.0 for f in attrs.fields(Timings)})


def test_an_out_of_range_share_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(["--rate-500", "2"])
    assert exc.value.code == 2
    assert "rate_500 must be a share between 0 and 1" in capsys.readouterr().err


def test_flow_run_outcome_and_webhook_timeout_are_options() -> None:
    args = parse_args(["--flow-run-outcome", "exception", "--webhook-timeout", "0.5"])
    assert (args.flow_run_outcome, args.webhook_timeout) == ("exception", 0.5)
    assert (args.faults, args.timings) == (Faults(), Timings())


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--speed", "0", "emulated seconds per real second above 0"),
        ("--speed", "-1", "emulated seconds per real second above 0"),
        ("--speed", "nan", "emulated seconds per real second above 0"),
        ("--speed", "inf", "emulated seconds per real second above 0"),
        ("--webhook-timeout", "0", "real seconds above 0"),
    ],
)
def test_speed_and_webhook_timeout_must_be_finite_and_above_zero(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value the emulator cannot run with is a usage error naming the option (exit 2)."""
    with pytest.raises(SystemExit) as exited:
        parse_args(["--port", "0", option, value])
    assert exited.value.code == 2
    assert f"argument {option}: expected {message}" in capsys.readouterr().err


def test_the_command_name_in_usage_is_the_one_given(capsys: pytest.CaptureFixture[str]) -> None:
    """prog= names the command as typed (``recrubo emulator`` forwards here)."""
    for argv in (["--rate-500", "2"], ["stats", "--bogus"]):
        with pytest.raises(SystemExit):
            parse_args(argv, prog="recrubo emulator")
        err = capsys.readouterr().err
        assert "usage: recrubo emulator" in err
        assert "recrubo_emulator" not in err
