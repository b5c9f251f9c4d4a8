"""Client's object arguments (session, hooks, waiter) are type-checked when the client is made,
naming the argument and what it takes, instead of failing later with an AttributeError."""

from __future__ import annotations

from typing import Any

import pytest

from recrubo_async import Client, Hooks
from recrubo_async.waiters import PollingWaiter

KEY = "rcb_secret_key_value"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("waiter", "poll", "CompletionWaiter"),
        ("waiter", PollingWaiter, "CompletionWaiter"),  # the class, not an instance
        ("hooks", {"on_request": print}, "Hooks"),
        ("session", "not a session", "aiohttp.ClientSession"),
        ("session", KEY, "aiohttp.ClientSession"),
    ],
)
def test_a_wrongly_typed_argument_is_a_type_error_naming_it(
    name: str, value: Any, expected: str
) -> None:
    """The message names the argument and the type it takes, and never shows the value."""
    with pytest.raises(TypeError, match=rf"^{name} must be .*{expected}") as info:
        Client(KEY, **{name: value})
    assert KEY not in str(info.value)


@pytest.mark.parametrize(("name", "value"), [("waiter", "poll"), ("hooks", {"on_request": print})])
async def test_with_options_checks_them_too(name: str, value: Any) -> None:
    async with Client(KEY) as client:
        with pytest.raises(TypeError, match=f"^{name} must be"):
            client.with_options(**{name: value})


async def test_the_right_types_and_none_are_taken() -> None:
    async with Client(KEY, hooks=Hooks(), waiter=PollingWaiter(), session=None) as client:
        assert isinstance(client.with_options(hooks=Hooks()).waiter, PollingWaiter)
