"""Every public error survives pickling (task queues, multiprocessing and process pools
send a task's exception to another process) with its type, message and attributes."""

from __future__ import annotations

import inspect
import pickle
from datetime import datetime, timezone
from typing import Any

import pytest

from recrubo_async import Client, JobMayExistError, NotFoundError, RecruboError, errors
from recrubo_async._retry import retry_sleeps_disabled
from recrubo_async.errors import ErrorObject
from recrubo_async.models import FlowGeneration, FlowGenerationStatus

from ..support.scripted_server import Reply, Reset, ScriptedServer

GEN = FlowGeneration(id="g1", type="flowGenerations", status=FlowGenerationStatus.FINISHED)

#: A value for each keyword the errors' constructors take.
KEYWORDS: dict[str, Any] = {
    "path": "$.data.attributes.createdAt",
    "method": "GET",
    "url": "https://api.example/public/v2/flow-generations/g1",
    "status": 404,
    "limit": 1024,
    "request_id": "req-1",
    "errors": [ErrorObject(status=404, title="Not found", pointer="/data/id")],
    "body": {"errors": [{"status": "404", "title": "Not found"}]},
    "last_seen": GEN,
    "resource": GEN,
    "query": [("page[number]", "2")],
    "resource_type": "flowGenerations",
    "created_after": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    "fingerprint": "abc123",
    "key": "task-1",
    "reason": "ambiguous",
    "job_ids": ["g1", "g2"],
}

ERROR_CLASSES = [
    cls
    for name in errors.__all__
    if isinstance(cls := getattr(errors, name), type) and issubclass(cls, BaseException)
]


def make(cls: type[RecruboError]) -> RecruboError:
    params = inspect.signature(cls.__init__).parameters
    kwargs = {n: KEYWORDS[n] for n, p in params.items() if p.kind is p.KEYWORD_ONLY}
    return cls(f"{cls.__name__} happened", **kwargs)


def round_trip(err: BaseException) -> BaseException:
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert str(copy) == str(err) and copy.args == err.args
    assert vars(copy) == vars(err)
    return copy


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_public_error_round_trips_through_pickle(cls: type[RecruboError]) -> None:
    round_trip(make(cls))


def test_every_public_error_is_covered() -> None:
    assert len(ERROR_CLASSES) == len(errors.__all__) - 1  # all but ErrorObject


async def test_a_not_found_error_from_the_api_survives_pickling(server: ScriptedServer) -> None:
    server.default = Reply(status=404, body={"errors": [{"status": "404", "title": "gone"}]})
    async with Client("k", base_url=server.url) as client:
        with pytest.raises(NotFoundError) as info:
            await client.candidates.retrieve("c1")
    copy = round_trip(info.value)
    assert isinstance(copy, NotFoundError)
    assert copy.status == 404 and copy.errors[0].title == "gone"


async def test_a_job_may_exist_error_survives_pickling(server: ScriptedServer) -> None:
    server.add(Reset())
    with retry_sleeps_disabled():
        async with Client("k", base_url=server.url) as client:
            with pytest.raises(JobMayExistError) as info:
                await client.flow_generations.create(
                    flow_type="vacancy_application_flow", parameters={}
                )
    copy = round_trip(info.value)
    assert isinstance(copy, JobMayExistError)
    assert copy.created_after == info.value.created_after
    assert copy.fingerprint == info.value.fingerprint
