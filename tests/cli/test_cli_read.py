"""Help, get and list: what the ``recrubo`` command line prints (against the real emulator)."""

from __future__ import annotations

import json

import pytest

from recrubo_async import __version__
from tests.cli._helpers import (
    VACANCY,
    EmulatorThread,
    Org,
    flow_run,
    generation,
    run,
)

# -- help ----------------------------------------------------------------------------------


def test_help_lists_every_command_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "--help")
    assert result.code == 0
    for command in ("emulator", "flows", "flow-runs", "get", "list", "webhooks"):
        assert command in result.out


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "--version")
    assert (result.code, result.out.strip()) == (0, f"recrubo {__version__}")


# -- get -----------------------------------------------------------------------------------


def test_get_prints_key_value_lines_with_snake_case_names(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    gen = generation(emulator, org)
    result = run(capsys, "get", "flow-generations", gen.id)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[:2] == ["type: flowGenerations", f"id: {gen.id}"]
    assert f"flow_id: {gen.flow_id}" in lines
    assert "status: finished" in lines
    assert "flow_type: vacancy_application_flow" in lines
    assert "    - value: Has licence B" in lines  # a list of objects, indented
    assert "    Full time, licence B." in lines  # the multi-line vacancy text
    assert any(line.startswith("created_at: ") for line in lines)


@pytest.mark.parametrize("type_name", ["flow_generations", "flow-generations", "flowGenerations"])
def test_get_accepts_the_attribute_kebab_and_json_api_type_names(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str], type_name: str
) -> None:
    gen = generation(emulator, org)
    result = run(capsys, "get", type_name, gen.id, "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert (doc["type"], doc["id"]) == ("flowGenerations", gen.id)
    assert doc["attributes"]["flowId"] == gen.flow_id  # the wire's camelCase
    assert doc["attributes"]["context"] == {"type": "text", "value": VACANCY}


def test_get_include_shows_relationship_targets_and_nested_state(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ = flow_run(emulator, org, "get")
    result = run(capsys, "get", "flowRuns", run_.id, "--include", "flow,message_thread")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[lines.index("state:") + 1] == "  case: get"
    assert "initial_message: {}" in lines
    relationships = lines[lines.index("relationships:") :]
    assert f"  flow: flows/{run_.flow_id}" in relationships
    assert f"  message_thread: messageThreads/{run_.message_thread_id}" in relationships


def test_get_include_prints_the_included_resources_as_a_table(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    flow_id = generation(emulator, org).flow_id
    assert flow_id is not None
    result = run(capsys, "get", "flows", flow_id, "--include", "nodes.node_actions")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    included = lines[lines.index("included:") + 1 :]
    assert included[0].split() == ["type", "id", "summary"]
    types = {line.split()[0] for line in included[1:]}
    assert types == {"nodes", "nodeActions"}


def test_get_include_json_prints_data_and_included(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ = flow_run(emulator, org, "get-json")
    result = run(capsys, "get", "flowRuns", run_.id, "--include", "flow,message_thread", "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert (doc["data"]["type"], doc["data"]["id"]) == ("flowRuns", run_.id)
    assert {(r["type"], r["id"]) for r in doc["included"]} == {
        ("flows", run_.flow_id),
        ("messageThreads", run_.message_thread_id),
    }


def test_get_shows_booleans_and_lists_of_values(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    flow_id = generation(emulator, org).flow_id
    assert flow_id is not None
    hook = emulator.api(
        org.token,
        lambda c: c.webhooks.create(
            resource_type="flowRuns", event="update", fields=["status", "state"]
        ),
    )
    flow = run(capsys, "get", "flows", flow_id)
    assert "unpublished_changes: false" in flow.out.splitlines()
    webhook = run(capsys, "get", "webhooks", hook.id)
    assert "fields: [status, state]" in webhook.out.splitlines()


# -- list ----------------------------------------------------------------------------------


def test_list_prints_a_table_following_pages_up_to_the_limit(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = {generation(emulator, org).id for _ in range(3)}
    before = emulator.emu.stats.requests["GET /flow-generations"]
    result = run(capsys, "list", "flow_generations", "--page-size", "2", "--limit", "3")
    assert result.code == 0, result.err
    header, *rows = result.out.splitlines()
    assert header.split() == ["id", "status", "flow_type", "flow_id", "cost", "created_at"]
    assert {row.split()[0] for row in rows} == ids
    assert emulator.emu.stats.requests["GET /flow-generations"] - before == 2  # two pages
    limited = run(capsys, "list", "flow-generations", "--limit", "2")
    assert len(limited.out.splitlines()) == 3


def test_list_json_prints_one_document_of_sorted_filtered_items_and_includes(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    gens = [generation(emulator, org) for _ in range(2)]
    result = run(
        capsys,
        "--json",
        "list",
        "flowGenerations",
        "--filter",
        "status=finished",
        "--filter",
        "createdAt[gte]=2000-01-01T00:00:00Z",
        "--sort",
        "-createdAt",
        "--include",
        "flow",
        "--limit",
        "0",
    )
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert [item["id"] for item in doc["data"]] == [g.id for g in reversed(gens)]
    assert {(i["type"], i["id"]) for i in doc["included"]} == {("flows", g.flow_id) for g in gens}


def test_list_shows_included_resources_below_the_table(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    gen = generation(emulator, org)
    result = run(capsys, "list", "flow-generations", "--include", "flow")
    assert result.code == 0, result.err
    assert "\nincluded:\n" in result.out
    assert f"flows  {gen.flow_id}" in result.out


def test_list_with_no_match_says_so_on_stderr(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "list", "flows", "--filter", "createdAt[gt]=2999-01-01T00:00:00Z")
    assert (result.code, result.out, result.err) == (0, "", "no flows found\n")
    empty = run(capsys, "list", "flows", "--json")
    assert json.loads(empty.out) == {"data": [], "included": []}
