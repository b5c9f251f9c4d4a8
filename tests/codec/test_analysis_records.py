"""``analyzeResult`` decodes to typed records on both decoding paths, keeping keys the SDK
does not know, never failing on a value of another shape, and encoding back to the wire."""

from __future__ import annotations

from typing import Any

import orjson

from recrubo_async._jsonapi import Codec
from recrubo_async.models import AnalyzeResult, Certification, Skill, VacancyAnalysis

from ..support.codec_paths import both_paths

RESULT: dict[str, Any] = {
    "hardSkills": [
        {
            "skill": "Java",
            "rating": 5,
            "reasoning": "The vacancy mentions it",
            "writtenAsRequirement": "Has experience with Java.",
        }
    ],
    "softSkills": [],
    "certifications": [
        {
            "required": True,
            "reasoning": "The vacancy names it",
            "certification": "VCA",
            "writtenAsRequirement": "Has a valid VCA.",
        }
    ],
}


def analysis(result: object) -> bytes:
    attributes = {"inputText": "A vacancy", "analyzeResult": result}
    return orjson.dumps({"data": {"type": "vacancyAnalyses", "id": "a1", "attributes": attributes}})


@both_paths
def test_analyze_result_items_are_typed_records(codec: Codec) -> None:
    result = codec.decode_data(analysis(RESULT), VacancyAnalysis).analyze_result
    assert isinstance(result, AnalyzeResult)
    assert result.hard_skills == (
        Skill(
            skill="Java",
            rating=5,
            reasoning="The vacancy mentions it",
            written_as_requirement="Has experience with Java.",
        ),
    )
    assert result.soft_skills == ()
    (cert,) = result.certifications or ()
    assert isinstance(cert, Certification) and cert.required is True
    assert cert.written_as_requirement == "Has a valid VCA."


@both_paths
def test_a_record_is_also_a_mapping_by_wire_name(codec: Codec) -> None:
    """Code written against the plain JSON (``result.get("hardSkills")``) keeps working."""
    result = codec.decode_data(analysis(RESULT), VacancyAnalysis).analyze_result
    assert result is not None
    assert result["hardSkills"][0]["writtenAsRequirement"] == "Has experience with Java."
    assert result.get("missing") is None and "softSkills" in result
    assert list(result) == ["hardSkills", "softSkills", "certifications"]


@both_paths
def test_unknown_keys_and_other_shapes_are_kept_in_extra_not_failed(codec: Codec) -> None:
    variant = {
        "hardSkills": [{"skill": "SQL", "rating": "high", "level": "senior"}],
        "softSkills": "none found",
        "languages": [{"language": "Dutch"}],
    }
    result = codec.decode_data(analysis(variant), VacancyAnalysis).analyze_result
    assert result is not None
    (skill,) = result.hard_skills or ()
    assert (skill.skill, skill.rating) == ("SQL", None)
    assert skill.extra == {"rating": "high", "level": "senior"}
    assert result.soft_skills is None
    assert result.extra == {"softSkills": "none found", "languages": [{"language": "Dutch"}]}
    assert result.to_wire() == variant | {"hardSkills": [variant["hardSkills"][0]]}


@both_paths
def test_the_typed_result_encodes_back_to_the_wire_form(codec: Codec) -> None:
    model = codec.decode_data(analysis(RESULT), VacancyAnalysis)
    assert codec.encode_resource(model)["attributes"]["analyzeResult"] == RESULT
