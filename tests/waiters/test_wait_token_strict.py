"""``WaitToken.loads`` is strict, and optionally checks an HMAC signature.

An unsigned token is only as trustworthy as whoever could write it: loads refuses what
no SDK wrote (unknown keys, unsafe ids, deadlines more than ``MAX_DEADLINE_AHEAD`` away);
``dumps(key=)``/``loads(key=)`` refuse any change at all.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import orjson
import pytest

from recrubo_async import Client
from recrubo_async.testing import Emulator
from recrubo_async.waiters import PollingWaiter, WaitToken

from ..support.deployment import CONTEXT, PARAMETERS

KEY = b"token-signing-key"


def token_text(**changes: object) -> str:
    fields: dict[str, object] = {
        "type": "flowGenerations",
        "id": "1d8a9e2c-5b0e-4d8e-9d1e-3b1f8f0c2a11",
        "until": "finished",
        "deadline": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(),
    }
    fields.update(changes)
    return orjson.dumps({k: v for k, v in fields.items() if v is not ...}).decode()


def test_a_well_formed_token_loads() -> None:
    token = WaitToken.loads(token_text())
    remaining = token.remaining()
    assert remaining is not None and 3500 < remaining <= 3600
    assert WaitToken.loads(token_text(deadline=None), allow_no_deadline=True).remaining() is None


def test_an_unsigned_token_without_a_deadline_is_refused_unless_allowed() -> None:
    """Dropping the deadline would bypass MAX_DEADLINE_AHEAD: it waits for ever."""
    for text in (token_text(deadline=None), token_text(deadline=...)):
        with pytest.raises(ValueError, match="no deadline and is not signed"):
            WaitToken.loads(text)
        assert WaitToken.loads(text, allow_no_deadline=True).deadline is None
    signed = WaitToken(type="flowGenerations", id="g-1", until="finished").dumps(key=KEY)
    assert WaitToken.loads(signed, key=KEY).deadline is None


def test_a_deadline_in_the_year_9999_is_refused() -> None:
    with pytest.raises(ValueError, match="more than 7 days away"):
        WaitToken.loads(token_text(deadline="9999-12-31T23:59:59Z"))
    within = datetime.now(timezone.utc) + WaitToken.MAX_DEADLINE_AHEAD - timedelta(minutes=1)
    assert WaitToken.loads(token_text(deadline=within.isoformat())).deadline is not None
    past = datetime.now(timezone.utc) - timedelta(days=30)
    assert WaitToken.loads(token_text(deadline=past.isoformat())).remaining() == 0.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"extra": 1}, "unknown keys extra"),
        ({"id": 12}, "id missing or not a string"),
        ({"id": ...}, "id missing"),
        ({"id": ".."}, "not a safe path segment"),
        ({"id": "a/b"}, "not a safe path segment"),
        ({"id": ""}, "not a safe path segment"),
        ({"type": "candidates"}, "type must be one of"),
        ({"until": "terminal"}, "until must be one of finished"),
        ({"until": ["finished"]}, "until missing or not a string"),
        ({"deadline": 1893456000}, "bad deadline"),
        ({"deadline": "soon"}, "bad deadline"),
        ({"deadline": "NaN"}, "bad deadline"),
    ],
)
def test_loads_refuses_what_no_sdk_wrote(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WaitToken.loads(token_text(**changes))


def test_signed_tokens_round_trip_and_load_without_the_key_too() -> None:
    token = WaitToken.starting_now(
        type="flowRuns", id="r-1", until="started", timeout=timedelta(minutes=5)
    )
    signed = token.dumps(key=KEY)
    assert "sig" in orjson.loads(signed)
    assert WaitToken.loads(signed, key=KEY) == token
    assert WaitToken.loads(signed) == token  # a reader without the key still can
    assert "sig" not in orjson.loads(token.dumps())  # unchanged without a key


@pytest.mark.parametrize("field", ["type", "id", "until", "deadline"])
def test_a_signed_token_that_was_changed_is_refused(field: str) -> None:
    token = WaitToken.starting_now(type="flowRuns", id="r-1", until="started", timeout=300)
    data = orjson.loads(token.dumps(key=KEY))
    data[field] = {
        "type": "vacancyAnalyses",
        "id": "r-2",
        "until": "terminal",
        "deadline": (datetime.now(timezone.utc) + timedelta(days=6)).isoformat(),
    }[field]
    with pytest.raises(ValueError, match="signature does not match"):
        WaitToken.loads(orjson.dumps(data), key=KEY)


def test_with_a_key_an_unsigned_or_wrongly_signed_token_is_refused() -> None:
    token = WaitToken.starting_now(type="flowGenerations", id="g-1", until="finished", timeout=60)
    with pytest.raises(ValueError, match="not signed"):
        WaitToken.loads(token.dumps(), key=KEY)
    with pytest.raises(ValueError, match="signature does not match"):
        WaitToken.loads(token.dumps(key=b"another-key"), key=KEY)
    data = orjson.loads(token.dumps(key=KEY))
    data["sig"] = data["sig"][:-1] + ("0" if data["sig"][-1] != "0" else "1")
    with pytest.raises(ValueError, match="signature does not match"):
        WaitToken.loads(orjson.dumps(data), key=KEY)


@pytest.mark.parametrize("key", ["a str key", b"", 42])
def test_a_key_must_be_non_empty_bytes(key: object) -> None:
    token = WaitToken.starting_now(type="flowGenerations", id="g-1", until="finished", timeout=60)
    with pytest.raises(TypeError, match="key must be non-empty bytes"):
        token.dumps(key=key)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="key must be non-empty bytes"):
        WaitToken.loads(token.dumps(), key=key)  # type: ignore[arg-type]


def test_a_key_never_appears_in_the_token_or_its_repr() -> None:
    token = WaitToken.starting_now(type="flowGenerations", id="g-1", until="finished", timeout=60)
    signed = token.dumps(key=KEY)
    assert KEY.decode() not in signed
    assert KEY.decode() not in repr(WaitToken.loads(signed, key=KEY))


def test_constructing_a_token_refuses_an_unsafe_id_or_a_naive_deadline() -> None:
    with pytest.raises(ValueError, match="WaitToken id"):
        WaitToken(type="flowGenerations", id="..", until="finished")
    with pytest.raises(ValueError, match="aware datetime"):
        WaitToken(type="flowGenerations", id="g", until="finished", deadline=datetime(2030, 1, 1))


async def test_wait_token_timeout_inf_or_none_means_no_deadline_and_too_far_is_refused(
    api: Client,
) -> None:
    for no_limit in (math.inf, None):
        token = api.flow_generations.wait_token("g-1", timeout=no_limit)
        assert token.deadline is None
        assert WaitToken.loads(token.dumps(key=KEY), key=KEY) == token
        assert WaitToken.loads(token.dumps(), allow_no_deadline=True) == token
    week = api.flow_generations.wait_token("g-1", timeout=timedelta(days=7))
    assert WaitToken.loads(week.dumps()).deadline == week.deadline
    for bad in (timedelta(days=8), 1e300, math.nan, -1.0):
        with pytest.raises(ValueError, match="timeout"):
            api.flow_generations.wait_token("g-1", timeout=bad)


async def test_a_signed_token_resumes_a_wait_in_another_client(emu: Emulator, api: Client) -> None:
    gen = await api.flow_generations.create(
        flow_type="vacancy_application_flow", parameters=PARAMETERS, context=CONTEXT
    )
    text = api.flow_generations.wait_token(gen, timeout=60).dumps(key=KEY)
    await emu.advance(60)
    other = api.with_options(waiter=PollingWaiter(interval=0.01, max_interval=0.05))
    done = await other.flow_generations.wait(WaitToken.loads(text, key=KEY))
    assert done.status == "finished"
