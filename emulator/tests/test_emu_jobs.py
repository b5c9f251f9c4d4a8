"""Jobs on the emulated clock: generations, analyses, flow runs, ?sync=true."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from emu_helpers import Api, doc, generation_attributes
from recrubo_emulator import Emulator, Timings

THREAD = {"channel": "whatsapp", "identifier": "31612345678"}


async def _generate(api: Api, sync: bool = False, **parameters: Any) -> Any:
    params = {"sync": "true"} if sync else None
    answer = await api.post(
        "/flow-generations",
        doc("flowGenerations", generation_attributes(**parameters)),
        params=params,
    )
    assert answer.status == 201, answer
    return answer.data


async def test_flow_generation_moves_through_its_statuses(emu: Emulator, api: Api) -> None:
    """queued, then processing after 1 s, then finished after 3 more, with flowId and cost."""
    gen = await _generate(api)
    url = f"/flow-generations/{gen['id']}"
    assert gen["attributes"]["status"] == "queued"
    assert gen["attributes"]["flowId"] is None
    await emu.advance(0.99)
    assert (await api.get(url)).data["attributes"]["status"] == "queued"
    await emu.advance(0.01)
    processing = (await api.get(url)).data["attributes"]
    assert processing["status"] == "processing"
    assert processing["updatedAt"] > gen["attributes"]["updatedAt"]
    await emu.advance(3)
    done = (await api.get(url)).data["attributes"]
    assert done["status"] == "finished"
    assert done["cost"] == 3
    assert done["updatedAt"] > processing["updatedAt"]
    flow = await api.get(f"/flows/{done['flowId']}")
    assert flow.data["attributes"]["flowGenerationId"] == gen["id"]
    assert flow.data["attributes"]["publishedAt"] is not None


async def test_generated_flow_structure(api: Api) -> None:
    """Start node, one ask per requirement and field, appointment, accepted and declined ends."""
    extra = [{"value": "appointment", "options": {"version": 2, "scheduleIds": "1,2,3"}}]
    gen = await _generate(api, sync=True, extraOptions=extra)
    flow_id = gen["attributes"]["flowId"]
    nodes = await api.get(
        "/nodes",
        params={
            "filter[flowId]": flow_id,
            "sort": "index",
            "include": "nodeActions,nodeTransitions",
        },
    )
    attrs = [n["attributes"] for n in nodes.data]
    assert [a["isStartFlow"] for a in attrs].count(True) == 1
    assert attrs[0]["isStartFlow"] is True
    assert [a["endFlowType"] for a in attrs if a["isEndFlow"]] == ["accepted", "declined"]
    actions = {
        i["id"]: i["attributes"] for i in nodes.json["included"] if i["type"] == "nodeActions"
    }
    asks = [a for a in actions.values() if a["actionType"] == "ask"]
    by_var = {a["variableName"]: a["subType"] for a in asks}
    assert by_var == {
        "drivers_license": "list",
        "communicative": "list",
        "location": "list",
        "first_name": "text",
        "email": "text",
        "phone": "contact",
        "address": "location",
        "linkedin": "text",
        "portfolio": "document",
        "appointment": "appointment",
    }
    appointment = next(a for a in asks if a["subType"] == "appointment")
    assert appointment["value"]["scheduleIds"] == "1,2,3"
    assert all(len(n["relationships"]["nodeActions"]["data"]) == 1 for n in nodes.data)
    declined = next(n for n in nodes.data if n["attributes"]["endFlowType"] == "declined")
    into_declined = await api.get(
        "/node-transitions", params={"filter[exitNodeId]": declined["id"]}
    )
    conditions = sorted(t["attributes"]["condition"] for t in into_declined.data)
    assert conditions == [
        'session.communicative === "no"',
        'session.drivers_license === "no"',
    ]


async def test_generation_is_deterministic(api: Api) -> None:
    """The same parameters give the same node names, actions and transitions."""

    async def shape() -> list[Any]:
        gen = await _generate(api, sync=True)
        nodes = await api.get(
            "/nodes",
            params={"filter[flowId]": gen["attributes"]["flowId"], "sort": "index"},
        )
        return [(n["attributes"]["name"], n["attributes"]["endFlowType"]) for n in nodes.data]

    assert await shape() == await shape()


async def test_generation_creates_a_vacancy_unless_one_is_given(api: Api) -> None:
    """Without vacancyId a Vacancy is made from the context text; with one, it is reused."""
    gen = await _generate(api, sync=True)
    flow = await api.get(f"/flows/{gen['attributes']['flowId']}", params={"include": "vacancy"})
    [vacancy] = flow.json["included"]
    assert vacancy["attributes"]["description"] == "Example vacancy text here."
    assert vacancy["attributes"]["title"] == "Driver"
    again = await _generate(api, sync=True, vacancyId=vacancy["id"])
    flow2 = await api.get(f"/flows/{again['attributes']['flowId']}", params={"include": "vacancy"})
    assert flow2.json["included"][0]["id"] == vacancy["id"]
    assert len((await api.get("/vacancies")).data) == 1
    missing = await api.post(
        "/flow-generations",
        doc("flowGenerations", generation_attributes(vacancyId="nope")),
    )
    assert missing.errors[0]["detail"] == "Parameter vacancyId not found"


async def test_generation_parameter_validation(api: Api) -> None:
    """Malformed lists, unknown fields, bad extraOptions and a missing context are 422s."""
    attributes = generation_attributes(
        knockoutRequirements=[{"value": ""}],
        requiredFields=[{"value": "shoeSize"}],
        extraOptions="appointment",
    )
    attributes.pop("context")
    answer = await api.post("/flow-generations", doc("flowGenerations", attributes))
    # The unknown-field detail goes on to list the valid names (see test_emu_rehearsal).
    assert [e["detail"].partition(" (valid: ")[0] for e in answer.errors] == [
        "Parameter knockoutRequirements is invalid",
        "requiredFields contains invalid fields: shoeSize",
        "Parameter extraOptions is invalid",
        "context can't be blank",
    ]
    bad_context = {**generation_attributes(), "context": {"type": "pdf"}}
    answer = await api.post("/flow-generations", doc("flowGenerations", bad_context))
    assert answer.errors[0]["source"]["pointer"] == "/data/attributes/context"
    other_type = {**generation_attributes(), "flowType": "other_flow"}
    answer = await api.post("/flow-generations", doc("flowGenerations", other_type))
    assert answer.errors[0]["source"]["pointer"] == "/data/attributes/flowType"


async def test_sync_true_in_sandbox_answers_the_finished_generation(api: Api) -> None:
    """?sync=true on POST answers 201 with status finished and a flowId (sandbox)."""
    gen = await _generate(api, sync=True)
    assert gen["attributes"]["status"] == "finished"
    assert gen["attributes"]["flowId"]


async def test_sync_true_is_ignored_in_production(session: aiohttp.ClientSession) -> None:
    """In production mode ?sync=true is ignored: the answer is queued."""
    async with Emulator(mode="production", clock="manual") as emu:
        org = await emu.create_organization("P")
        api = Api(session, emu.base_url, org.token)
        gen = await _generate(api, sync=True)
        assert gen["attributes"]["status"] == "queued"
        analysis = await api.post(
            "/vacancy-analyses",
            doc("vacancyAnalyses", {"inputText": "Python"}),
            params={"sync": "true"},
        )
        assert analysis.data["attributes"]["analyzeResult"] is None


async def test_vacancy_analysis(emu: Emulator, api: Api) -> None:
    """analyzeResult appears after the analysis time; ?sync=true gives it at once."""
    text = (
        "We need a developer. Python and SQL experience is required. "
        "Nice to have: Docker. You are communicative and a team player. "
        "A driver's license B is a plus. VCA certificate required."
    )
    created = await api.create("vacancy-analyses", "vacancyAnalyses", {"inputText": text})
    assert created["attributes"]["analyzeResult"] is None
    await emu.advance(2)
    result = (await api.get(f"/vacancy-analyses/{created['id']}")).data["attributes"][
        "analyzeResult"
    ]
    hard = {s["skill"]: s["rating"] for s in result["hardSkills"]}
    assert hard == {"Python": 5, "SQL": 5, "Docker": 2}
    assert {s["skill"] for s in result["softSkills"]} == {"Communication", "Teamwork"}
    certs = {c["certification"]: c["required"] for c in result["certifications"]}
    assert certs == {"Driver's license B": False, "VCA": True}
    assert set(result["hardSkills"][0]) == {"skill", "rating", "reasoning", "writtenAsRequirement"}
    sync = await api.post(
        "/vacancy-analyses",
        doc("vacancyAnalyses", {"inputText": text}),
        params={"sync": "true"},
    )
    assert sync.status == 201
    assert sync.data["attributes"]["analyzeResult"] == result


async def _run_setup(api: Api) -> tuple[str, str]:
    gen = await _generate(api, sync=True)
    thread = await api.create("message-threads", "messageThreads", THREAD)
    return gen["attributes"]["flowId"], thread["id"]


async def _post_run(api: Api, flow_id: str, thread_id: str, state: Any = None) -> Any:
    attributes: dict[str, Any] = {"flowId": flow_id, "messageThreadId": thread_id}
    if state is not None:
        attributes["state"] = state
    return await api.create("flow-runs", "flowRuns", attributes)


async def test_flow_run_finishes_with_session_state(emu: Emulator, api: Api) -> None:
    """queued (cost 0), running after 1 s, finished after 5 more with every session field."""
    flow_id, thread_id = await _run_setup(api)
    run = await _post_run(api, flow_id, thread_id, state={"source": "ats"})
    url = f"/flow-runs/{run['id']}"
    assert run["attributes"]["status"] == "queued"
    assert run["attributes"]["cost"] == 0
    await emu.advance(1)
    assert (await api.get(url)).data["attributes"]["status"] == "running"
    await emu.advance(5)
    done = (await api.get(url)).data["attributes"]
    assert done["status"] == "finished"
    state = done["state"]
    assert state["source"] == "ats"
    assert state["drivers_license"] == "yes"
    assert state["email"] == "candidate@example.com"
    assert state["phone"] == "31612345678"
    assert {"first_name", "address", "linkedin", "portfolio", "location"} <= set(state)


@pytest.mark.parametrize("outcome", ["timeout", "exception"])
async def test_scripted_outcome_by_run_id(emu: Emulator, api: Api, outcome: str) -> None:
    """script_flow_run_outcome(outcome, flow_run_id=...) ends that run so, with partial state."""
    flow_id, thread_id = await _run_setup(api)
    run = await _post_run(api, flow_id, thread_id)
    emu.script_flow_run_outcome(outcome, flow_run_id=run["id"], state={"reason": "test"})
    other = await _post_run(api, flow_id, thread_id)
    await emu.advance(6)
    ended = (await api.get(f"/flow-runs/{run['id']}")).data["attributes"]
    assert ended["status"] == outcome
    assert ended["state"]["reason"] == "test"
    assert 0 < len(ended["state"]) < 10
    assert (await api.get(f"/flow-runs/{other['id']}")).data["attributes"]["status"] == "finished"


async def test_scripted_outcome_by_metadata_and_times(emu: Emulator, api: Api) -> None:
    """A metadata rule matches runs by posted state and is used up after `times` runs."""
    flow_id, thread_id = await _run_setup(api)
    rule = emu.script_flow_run_outcome("exception", metadata={"case": "boom"}, times=1)
    first = await _post_run(api, flow_id, thread_id, state={"case": "boom"})
    second = await _post_run(api, flow_id, thread_id, state={"case": "boom"})
    await emu.advance(6)
    statuses = [
        (await api.get(f"/flow-runs/{r['id']}")).data["attributes"]["status"]
        for r in (first, second)
    ]
    assert statuses == ["exception", "finished"]
    assert rule.times == 0


async def test_outcome_from_state_key_and_never_ending_runs(emu: Emulator, api: Api) -> None:
    """state.emulatorOutcome picks the outcome; 'running' and 'queued' never end by themselves."""
    flow_id, thread_id = await _run_setup(api)
    timeout = await _post_run(api, flow_id, thread_id, state={"emulatorOutcome": "timeout"})
    stuck = await _post_run(api, flow_id, thread_id, state={"emulatorOutcome": "running"})
    waiting = await _post_run(api, flow_id, thread_id, state={"emulatorOutcome": "queued"})
    emu.script_flow_run_outcome(
        "finished", metadata={"slow": True}, running_seconds=100, times=None
    )
    slow = await _post_run(api, flow_id, thread_id, state={"slow": True})
    await emu.advance(60)
    runs = (timeout, stuck, waiting, slow)
    got = [(await api.get(f"/flow-runs/{r['id']}")).data["attributes"]["status"] for r in runs]
    assert got == ["timeout", "running", "queued", "running"]
    await emu.advance(41)
    assert (await api.get(f"/flow-runs/{slow['id']}")).data["attributes"]["status"] == "finished"
    with pytest.raises(ValueError, match="outcome"):
        emu.script_flow_run_outcome("exploded")


async def test_flow_run_patch_rules(emu: Emulator, api: Api) -> None:
    """state cannot change while running; status can be set to an end state once, not after."""
    flow_id, thread_id = await _run_setup(api)
    run = await _post_run(api, flow_id, thread_id)
    url = f"/flow-runs/{run['id']}"
    await emu.advance(1)
    blocked = await api.patch(url, doc("flowRuns", {"state": {}}))
    assert blocked.errors[0]["source"]["pointer"] == "/data/attributes/state"
    bad_status = await api.patch(url, doc("flowRuns", {"status": "running"}))
    assert bad_status.status == 422
    cancelled = await api.patch(url, doc("flowRuns", {"status": "cancelled"}))
    assert cancelled.data["attributes"]["status"] == "cancelled"
    await emu.advance(10)
    assert (await api.get(url)).data["attributes"]["status"] == "cancelled"
    again = await api.patch(url, doc("flowRuns", {"status": "finished"}))
    assert again.errors[0]["source"]["pointer"] == "/data/attributes/status"
    scrubbed = await api.patch(url, doc("flowRuns", {"state": {}}))
    assert scrubbed.data["attributes"]["state"] == {}
    not_patchable = await api.patch(url, doc("flowRuns", {"flowId": flow_id}))
    assert not_patchable.errors[0]["detail"] == "flowId is read-only"


async def test_flow_run_references_must_exist(api: Api) -> None:
    """flowId and messageThreadId must name resources of the organization."""
    answer = await api.post(
        "/flow-runs", doc("flowRuns", {"flowId": "nope", "messageThreadId": "nope"})
    )
    assert [e["source"]["pointer"] for e in answer.errors] == [
        "/data/attributes/flowId",
        "/data/attributes/messageThreadId",
    ]


async def test_deleted_job_stops(emu: Emulator, api: Api) -> None:
    """A generation deleted while queued never produces a flow."""
    gen = await _generate(api)
    assert (await api.delete(f"/flow-generations/{gen['id']}")).status == 204
    await emu.advance(10)
    assert (await api.get("/flows")).data == []


async def test_real_clock_is_scaled_by_speed(session: aiohttp.ClientSession) -> None:
    """speed=100 makes the 4 emulated seconds of a generation take about 0.04 s."""
    timings = Timings(generation_queued=1, generation_processing=3)
    async with Emulator(speed=100, timings=timings) as emu:
        org = await emu.create_organization("R")
        api = Api(session, emu.base_url, org.token)
        gen = await _generate(api)
        assert not emu.manual_clock
        url = f"/flow-generations/{gen['id']}"
        for _ in range(200):
            if (await api.get(url)).data["attributes"]["status"] == "finished":
                break
            await asyncio.sleep(0.01)
        assert (await api.get(url)).data["attributes"]["status"] == "finished"
        assert (emu.now() - emu.now()).total_seconds() <= 0
        with pytest.raises(RuntimeError):
            await emu.advance(1)


async def test_manual_clock_guards(emu: Emulator) -> None:
    """advance() refuses negative time; now() moves exactly by the advanced amount."""
    before = emu.now()
    await emu.advance(2.5)
    assert (emu.now() - before).total_seconds() == 2.5
    with pytest.raises(ValueError, match="backwards"):
        await emu.advance(-1)
