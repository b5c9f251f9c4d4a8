"""Background jobs on the emulated clock: generations, analyses, flow runs, message delivery."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ._analysis import analyze
from ._engine import Engine
from ._flowbuilder import GENERATION_COST, plan_flow, session_fields, vacancy_from_context
from ._store import Record

#: Outcomes a flow run can be scripted to: the three terminal ones the API reports on its own,
#: plus ``running`` (starts, never ends by itself) and ``queued`` (never starts).
FLOW_RUN_OUTCOMES = ("finished", "timeout", "exception", "running", "queued")
#: A key in a FlowRun's posted ``state`` that picks its outcome, for clients that cannot reach
#: the Emulator object (e.g. the standalone server).
OUTCOME_STATE_KEY = "emulatorOutcome"
TERMINAL_RUN = frozenset({"finished", "timeout", "exception", "cancelled"})


@attrs.define
class FlowRunScript:
    """A rule picking the outcome of matching flow runs.

    A run is matched when it leaves ``queued``; the first rule (in the order added) whose
    filters all hold and that has uses left wins.

    Args:
        outcome: one of ``FLOW_RUN_OUTCOMES``.
        flow_run_id: match only this run.
        flow_id: match runs of this flow.
        message_thread_id: match runs on this thread.
        metadata: match runs whose posted ``state`` contains these key/value pairs.
        times: how many runs the rule applies to (None: unlimited).
        state: extra values merged into the run's final ``state``.
        running_seconds: emulated seconds the run stays ``running`` (default: the timings).
    """

    outcome: str
    flow_run_id: str | None = None
    flow_id: str | None = None
    message_thread_id: str | None = None
    metadata: Mapping[str, Any] | None = None
    times: int | None = 1
    state: Mapping[str, Any] | None = None
    running_seconds: float | None = None

    def __attrs_post_init__(self) -> None:
        if self.outcome not in FLOW_RUN_OUTCOMES:
            raise ValueError(f"outcome must be one of {FLOW_RUN_OUTCOMES}, got {self.outcome!r}")

    def matches(self, run: Record, initial_state: Mapping[str, Any]) -> bool:
        """Whether this rule applies to a run."""
        data = run.data
        return (
            (self.times is None or self.times > 0)
            and self.flow_run_id in (None, run.id)
            and self.flow_id in (None, data.get("flowId"))
            and self.message_thread_id in (None, data.get("messageThreadId"))
            and all(initial_state.get(k) == v for k, v in (self.metadata or {}).items())
        )


def _index(rec: Record) -> int:
    index = rec.data.get("index")
    return index if isinstance(index, int) else 0


def _sent_texts(actions: list[dict[str, Any]], *, answered: int, finished: bool) -> list[str]:
    """The texts a run sent, in flow order: every action's when it finished; otherwise up to
    the question left unanswered (the run stopped waiting for its answer)."""
    texts: list[str] = []
    asked = 0
    for action in actions:
        value = action.get("value")
        text = value.get("text") if isinstance(value, dict) else None
        if isinstance(text, str) and text:
            texts.append(text)
        if action.get("actionType") == "ask" and action.get("variableName"):
            asked += 1
            if not finished and asked > answered:
                break
    return texts


class Jobs:
    """Schedules and performs the platform's asynchronous work."""

    def __init__(self, engine: Engine, default_outcome: str = "finished") -> None:
        self.engine = engine
        self.scripts: list[FlowRunScript] = []
        self.default_outcome = default_outcome
        self._starts: dict[str, dict[str, Any]] = {}  # run id -> posted state

    def _later(self, delay: float, rec: Record, step: Callable[[Record], None]) -> None:
        async def job() -> None:
            if self.engine.alive(rec):
                step(rec)

        self.engine.clock.schedule(delay, job)

    def started(self, rec: Record, *, sync: bool) -> None:
        """React to a record created through the API."""
        t = self.engine.timings
        if rec.type == "flowGenerations":
            if sync:
                self._processing(rec)
                self._finish_generation(rec)
            else:
                self._later(t.generation_queued, rec, self._processing)
        elif rec.type == "vacancyAnalyses":
            if sync:
                self._analyze(rec)
            else:
                self._later(t.analysis, rec, self._analyze)
        elif rec.type == "flowRuns":
            self._starts[rec.id] = dict(rec.data.get("state") or {})
            self._later(t.run_queued, rec, self._start_run)
        elif rec.type == "messages":
            self._later(t.message_sent, rec, self._sent)
        elif rec.type == "messageTemplates":
            self._later(t.template_review, rec, self._approve)

    # -- flow generations ------------------------------------------------------------------

    def _processing(self, rec: Record) -> None:
        if rec.data["status"] != "queued":
            return
        self.engine.update(rec, {"status": "processing"})
        self._later(self.engine.timings.generation_processing, rec, self._finish_generation)

    def _finish_generation(self, rec: Record) -> None:
        if rec.data["status"] != "processing":
            return
        flow = self.build_flow(rec)
        self.engine.update(rec, {"status": "finished", "flowId": flow.id, "cost": GENERATION_COST})

    def build_flow(self, gen: Record) -> Record:
        """Create the Flow (nodes, actions, transitions, and a Vacancy) a generation yields."""
        engine = self.engine
        org = engine.org_of(gen)
        data = engine.data_of(gen)
        assert org is not None and data is not None
        parameters: Mapping[str, Any] = gen.data.get("parameters") or {}
        vacancy = data.get("vacancies", str(parameters.get("vacancyId")))
        if vacancy is None:
            context = gen.data.get("context") or {}
            vacancy = engine.create(org, "vacancies", vacancy_from_context(context, parameters))
        plan = plan_flow(parameters, vacancy.data.get("title") or "this vacancy")
        flow = engine.create(
            org,
            "flows",
            {
                "name": plan.name,
                "reminderInterval": plan.reminder_interval,
                "reminderMessage": plan.reminder_message,
                "sessionTimeout": plan.session_timeout,
                "flowGenerationId": gen.id,
                "publishedAt": engine.now(),
                "unpublishedChanges": False,
                "vacancyId": vacancy.id,
            },
        )
        node_ids: dict[str, str] = {}
        for index, node in enumerate(plan.nodes):
            created = engine.create(
                org,
                "nodes",
                {
                    "name": node.name,
                    "index": index,
                    "flowId": flow.id,
                    "isStartFlow": node.is_start,
                    "isEndFlow": node.end_type is not None,
                    "endFlowType": node.end_type,
                },
            )
            node_ids[node.key] = created.id
            engine.create(org, "nodeActions", {**node.action, "index": 0, "nodeId": created.id})
        for node in plan.nodes:
            for index, (condition, target) in enumerate(node.transitions):
                engine.create(
                    org,
                    "nodeTransitions",
                    {
                        "condition": condition,
                        "index": index,
                        "nodeId": node_ids[node.key],
                        "exitNodeId": node_ids[target],
                    },
                )
        return flow

    # -- vacancy analyses ------------------------------------------------------------------

    def _analyze(self, rec: Record) -> None:
        if rec.data.get("analyzeResult") is None:
            self.engine.update(rec, {"analyzeResult": analyze(str(rec.data["inputText"]))})

    # -- flow runs -------------------------------------------------------------------------

    def _script_for(self, run: Record, initial: Mapping[str, Any]) -> FlowRunScript:
        for script in self.scripts:
            if script.matches(run, initial):
                if script.times is not None:
                    script.times -= 1
                return script
        outcome = initial.get(OUTCOME_STATE_KEY)
        if outcome in FLOW_RUN_OUTCOMES:
            return FlowRunScript(str(outcome), times=None)
        return FlowRunScript(self.default_outcome, times=None)

    def _start_run(self, run: Record) -> None:
        if run.data["status"] != "queued":
            return
        initial = self._starts.get(run.id, {})
        script = self._script_for(run, initial)
        if script.outcome == "queued":
            return
        self.engine.update(run, {"status": "running", "cost": 1})
        initial_message = run.data.get("initialMessage")
        if isinstance(initial_message, dict) and initial_message:
            self._leave_message(run, initial_message)
        if script.outcome == "running":
            return
        delay = script.running_seconds
        if delay is None:
            delay = self.engine.timings.run_running

        async def end() -> None:
            if self.engine.alive(run) and run.data["status"] == "running":
                self._end_run(run, script)

        self.engine.clock.schedule(delay, end)

    def _end_run(self, run: Record, script: FlowRunScript) -> None:
        actions = self._flow_actions(run)
        answers = session_fields(actions)
        if script.outcome != "finished":
            answers = answers[: len(answers) // 2]
        for text in _sent_texts(
            actions, answered=len(answers), finished=script.outcome == "finished"
        ):
            self._leave_message(run, {"type": "text", "text": {"value": text}})
        state = dict(run.data.get("state") or {})
        for name, value in answers:
            state.setdefault(name, value)
        state.update(script.state or {})
        self._starts.pop(run.id, None)
        self.engine.update(
            run, {"status": script.outcome, "state": state, "cost": max(1, len(answers))}
        )

    def _leave_message(self, run: Record, payload: Mapping[str, Any]) -> None:
        """Store a message the run sent on its thread (as the API's bot does), delivered."""
        org = self.engine.org_of(run)
        data = self.engine.data_of(run)
        thread_id = run.data.get("messageThreadId")
        if org is None or data is None or data.get("messageThreads", str(thread_id)) is None:
            return
        self.engine.create(
            org,
            "messages",
            {
                "sendBy": "Recrubo",
                "origin": "outbound",
                "messageThreadId": thread_id,
                "payload": dict(payload),
                "deliveryStatus": "delivered",
                "errorMessages": [],
            },
        )

    def _flow_actions(self, run: Record) -> list[dict[str, Any]]:
        data = self.engine.data_of(run)
        flow = data.get("flows", str(run.data.get("flowId"))) if data is not None else None
        if data is None or flow is None:
            return []
        nodes = sorted(data.where("nodes", "flowId", flow.id), key=_index)
        actions: list[dict[str, Any]] = []
        for node in nodes:
            actions.extend(
                a.data for a in sorted(data.where("nodeActions", "nodeId", node.id), key=_index)
            )
        return actions

    def forget(self, run: Record) -> None:
        """Drop what a run remembered once it is ended by hand."""
        self._starts.pop(run.id, None)

    # -- messages and templates ------------------------------------------------------------

    def _sent(self, rec: Record) -> None:
        if rec.data.get("deliveryStatus") == "accepted":
            self.engine.update(rec, {"deliveryStatus": "sent"})
            self._later(self.engine.timings.message_delivered, rec, self._delivered)

    def _delivered(self, rec: Record) -> None:
        if rec.data.get("deliveryStatus") == "sent":
            self.engine.update(rec, {"deliveryStatus": "delivered"})

    def _approve(self, rec: Record) -> None:
        if rec.data.get("status") == "PENDING":
            self.engine.update(rec, {"status": "APPROVED"})
