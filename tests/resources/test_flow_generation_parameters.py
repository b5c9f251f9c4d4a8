"""Flow-generation parameters are checked before they are sent: a dict written with
snake_case keys, and candidate field names the API does not know."""

from __future__ import annotations

from typing import Any

import pytest

from recrubo_async import Client
from recrubo_async.models import (
    CandidateField,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.testing import Emulator
from recrubo_emulator._flowbuilder import FIELD_SUBTYPES

CONTEXT = TextContext(value="Driver wanted in Amsterdam.")
POSTS = "POST /flow-generations"


def test_the_candidate_field_names_are_the_apis() -> None:
    assert frozenset(FIELD_SUBTYPES) == CandidateField.NAMES


def test_an_unknown_candidate_field_is_refused_with_the_valid_names() -> None:
    with pytest.raises(ValueError, match="unknown candidate field 'shoeSize'") as info:
        CandidateField("shoeSize")
    assert all(name in str(info.value) for name in CandidateField.NAMES)


def test_a_known_candidate_field_is_accepted() -> None:
    assert CandidateField("firstName", "first_name").value == "firstName"


@pytest.mark.parametrize(
    "parameters",
    [
        {"knockout_requirements": [], "preferred_requirements": [], "required_fields": []},
        {
            "knockoutRequirements": [{"value": "Has licence B", "session_field": "licence"}],
            "preferredRequirements": [],
            "requiredFields": [],
        },
    ],
    ids=["snake keys", "snake item keys"],
)
@pytest.mark.parametrize("verb", ["create", "create_and_wait"])
async def test_snake_case_parameter_keys_are_refused_before_sending(
    api: Client, emu: Emulator, verb: str, parameters: dict[str, Any]
) -> None:
    before = emu.stats.requests[POSTS]
    method = getattr(api.flow_generations, verb)
    with pytest.raises(ValueError, match=r"snake_case keys.*camelCase.*typed builder"):
        await method(flow_type="vacancy_application_flow", parameters=parameters, context=CONTEXT)
    assert emu.stats.requests[POSTS] == before


async def test_camel_case_parameter_dicts_and_the_builder_are_sent(api: Client) -> None:
    wire: dict[str, Any] = {
        "knockoutRequirements": [],
        "preferredRequirements": [],
        "requiredFields": [],
    }
    built = VacancyApplicationParameters(
        knockout_requirements=[], preferred_requirements=[], required_fields=[]
    )
    for parameters in (wire, built):
        gen = await api.flow_generations.create(
            flow_type="vacancy_application_flow", parameters=parameters, context=CONTEXT
        )
        assert gen.parameters is not None and "knockoutRequirements" in gen.parameters
