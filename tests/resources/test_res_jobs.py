"""Flow generations, flow runs, vacancy analyses and vacancies: every verb on the emulator."""

from __future__ import annotations

import pytest

from recrubo_async import Client, NotFoundError, ValidationError
from recrubo_async.models import (
    Flow,
    FlowGenerationStatus,
    FlowRunStatus,
    FlowType,
    Requirement,
    TemplateComponent,
    TemplateMessage,
    TextContext,
    TextMessage,
    VacancyApplicationParameters,
)
from recrubo_async.testing import Emulator

PARAMETERS = VacancyApplicationParameters(
    knockout_requirements=[Requirement("Has a driving licence", "licence")],
    preferred_requirements=[],
    required_fields=[],
)


async def test_flow_generations_every_verb(api: Client, emu: Emulator) -> None:
    gen = await api.flow_generations.create(
        flow_type=FlowType.VACANCY_APPLICATION_FLOW,
        parameters=PARAMETERS,
        context=TextContext(value="Driver wanted in Amsterdam."),
    )
    assert gen.status is FlowGenerationStatus.QUEUED
    await emu.advance(600)
    done = await api.flow_generations.retrieve(gen.id, include="flow")
    assert done.is_finished and done.flow_id is not None
    assert isinstance(done.flow, Flow) and done.flow.id == done.flow_id
    listed = await api.flow_generations.list(filter={"status": "finished"})
    assert [g.id for g in listed] == [gen.id]
    await api.flow_generations.delete(gen)
    with pytest.raises(NotFoundError):
        await api.flow_generations.retrieve(gen.id)


async def test_a_generation_with_an_unknown_flow_type_is_a_422(api: Client) -> None:
    with pytest.raises(ValidationError) as info:
        await api.flow_generations.create(flow_type="no_such_flow", parameters=PARAMETERS)
    assert "/data/attributes/flowType" in [e.pointer for e in info.value.errors]


async def generated_flow(api: Client) -> str:
    gen = await api.flow_generations.create(
        flow_type="vacancy_application_flow",
        parameters=PARAMETERS,
        context=TextContext(value="Driver"),
        sync=True,
    )
    assert gen.flow_id is not None
    return gen.flow_id


async def test_flow_runs_every_verb(api: Client, emu: Emulator) -> None:
    flow_id = await generated_flow(api)
    thread = await api.message_threads.create(channel="whatsapp", identifier="31611111111")
    template = await api.message_templates.create(
        name="invite",
        language="en",
        category="MARKETING",
        components=[TemplateComponent.body("Hi {{1}}!", ["John"])],
    )
    with pytest.raises(ValidationError, match="template"):
        await api.flow_runs.create(
            flow_id=flow_id,
            message_thread_id=thread,
            initial_message=TextMessage("WhatsApp needs a template to start"),
        )
    with pytest.raises(ValidationError, match="not a message template"):
        await api.flow_runs.create(
            flow_id=flow_id,
            message_thread_id=thread,
            initial_message=TemplateMessage.of("no-such-template", body=["John"]),
        )
    run = await api.flow_runs.create(
        flow_id=flow_id,
        message_thread_id=thread,
        state={"source": "sdk"},
        initial_message=TemplateMessage.of(template, body=["John"]),
    )
    assert run.status is FlowRunStatus.QUEUED and not run.is_terminal
    assert run.initial_message == {
        "type": "template",
        "template": {
            "id": template.id,
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "John"}]}],
        },
    }
    got = await api.flow_runs.retrieve(run.id, include=["flow", "message_thread"])
    assert isinstance(got.flow, Flow)
    await emu.advance(5)
    running = await api.flow_runs.retrieve(run.id)
    assert running.status is not None and running.status.is_started
    cancelled = await api.flow_runs.update(run, status=FlowRunStatus.CANCELLED)
    assert cancelled.status is FlowRunStatus.CANCELLED and cancelled.is_terminal
    scrubbed = await api.flow_runs.update(run, state={})
    assert scrubbed.state == {}
    runs = await api.flow_runs.list(
        filter={"status": ["cancelled", "finished"], "message_thread_id": thread.id}
    )
    assert [r.id for r in runs] == [run.id]
    await api.flow_runs.delete(run)
    with pytest.raises(NotFoundError):
        await api.flow_runs.retrieve(run.id)


def test_flow_run_status_sets() -> None:
    assert FlowRunStatus("finished").is_terminal and not FlowRunStatus("finished").is_failure
    assert FlowRunStatus("timeout").is_failure
    assert not FlowRunStatus("queued").is_started
    paused = FlowRunStatus("paused")
    assert not paused.is_known and not paused.is_terminal and paused == "paused"


async def test_vacancy_analyses_create_retrieve_list_delete(api: Client, emu: Emulator) -> None:
    analysis = await api.vacancy_analyses.create(input_text="Java developer, 4 years.")
    assert not analysis.is_done
    await emu.advance(600)
    done = await api.vacancy_analyses.retrieve(analysis.id)
    assert done.is_done and done.analyze_result is not None
    assert "hardSkills" in done.analyze_result
    synced = await api.vacancy_analyses.create(input_text="Nurse, BIG registered.", sync=True)
    assert synced.is_done
    assert len(await api.vacancy_analyses.list()) == 2
    await api.vacancy_analyses.delete(analysis)
    with pytest.raises(NotFoundError):
        await api.vacancy_analyses.retrieve(analysis.id)
    with pytest.raises(ValueError, match="input_text"):
        await api.vacancy_analyses.create(input_text=" ")


async def test_vacancies_every_verb(api: Client) -> None:
    vacancy = await api.vacancies.create(
        title="Developer at Recrubo",
        description="A vacancy description.",
        url="https://example.com/vacancies/dev",
        external_id="1234",
    )
    assert (vacancy.title, vacancy.external_id) == ("Developer at Recrubo", "1234")
    assert await api.vacancies.retrieve(vacancy.id) == vacancy
    changed = await api.vacancies.update(vacancy, title="Senior developer", url=None)
    assert (changed.title, changed.url) == ("Senior developer", None)
    assert [v.id for v in await api.vacancies.list(filter={"external_id": "1234"})] == [vacancy.id]
    await api.vacancies.delete(vacancy)
    with pytest.raises(NotFoundError):
        await api.vacancies.retrieve(vacancy.id)
