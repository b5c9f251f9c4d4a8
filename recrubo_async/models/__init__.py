"""Typed models: one frozen attrs class per JSON:API type, plus request builders."""

from __future__ import annotations

from ._base import (
    GenericResource,
    OpenEnum,
    Relationship,
    Resource,
    ResourceIdentifier,
)
from ._wire import WireObject
from .flow_generation import (
    CandidateField,
    ExtraOption,
    FlowGeneration,
    FlowGenerationStatus,
    FlowType,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)

__all__ = [
    "CandidateField",
    "ExtraOption",
    "FlowGeneration",
    "FlowGenerationStatus",
    "FlowType",
    "GenericResource",
    "OpenEnum",
    "Relationship",
    "Requirement",
    "Resource",
    "ResourceIdentifier",
    "TextContext",
    "VacancyApplicationParameters",
    "WireObject",
]
