"""What the OpenAPI document says about values the behaviours (``_behaviours``) check beyond a
field's kind: the shapes of object attributes, and rules between attributes of one write.

Only what one request alone decides is stated here; a rule about other records (a
reference that must exist, a flow's one start node) cannot be, and its 422 says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._behaviours.messaging import MESSAGE_TYPES
from ._flowbuilder import FIELD_SUBTYPES
from ._schema import SUBSCRIBABLE, attribute_names
from ._writes import HTTP_URL_PATTERN

#: Not blank, as ``_jsonapi.blank`` has it: at least one character that is not a space.
NOT_BLANK: Mapping[str, Any] = {"type": "string", "pattern": r"\S"}

_REQUIREMENT = {
    "type": "object",
    "properties": {"value": NOT_BLANK, "sessionField": {"type": ["string", "null"]}},
    "required": ["value"],
}
_FIELD = {
    "type": "object",
    "properties": {
        "value": {"enum": list(FIELD_SUBTYPES)},
        "sessionField": {"type": ["string", "null"]},
    },
    "required": ["value"],
}
_PARAMETERS = {
    "type": "object",
    "properties": {
        "knockoutRequirements": {"type": "array", "items": _REQUIREMENT},
        "preferredRequirements": {"type": ["array", "null"], "items": _REQUIREMENT},
        "requiredFields": {"type": "array", "items": _FIELD},
        "optionalFields": {"type": ["array", "null"], "items": _FIELD},
        "extraOptions": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": {"value": {"type": "string"}},
                "required": ["value"],
            },
        },
        "vacancyId": {"type": ["string", "null"], "description": "the id of a vacancy"},
    },
    "required": ["knockoutRequirements", "requiredFields"],
}
_CONTEXT = {
    "type": "object",
    "properties": {"type": {"const": "text"}, "value": NOT_BLANK},
    "required": ["type", "value"],
}


def _message(kinds: tuple[str, ...]) -> dict[str, Any]:
    """A message: its ``type``, and for text and template types what they need."""
    return {
        "type": "object",
        "properties": {"type": {"enum": list(kinds)}},
        "required": ["type"],
        "allOf": [
            {
                "if": {"properties": {"type": {"const": "text"}}},
                "then": {
                    "properties": {
                        "text": {
                            "type": "object",
                            "properties": {"value": {"type": "string"}},
                            "required": ["value"],
                        }
                    },
                    "required": ["text"],
                },
            },
            {
                "if": {"properties": {"type": {"const": "template"}}},
                "then": {
                    "properties": {
                        "template": {
                            "type": "object",
                            "properties": {"id": {"type": "string"}},
                            "required": ["id"],
                        }
                    },
                    "required": ["template"],
                },
            },
        ],
    }


_COMPONENT = {
    "type": "object",
    "properties": {
        "type": {"enum": ["HEADER", "BODY", "FOOTER", "BUTTONS"]},
        "text": {"type": "string"},
    },
    "required": ["type"],
}

#: (type, attribute) -> the value's schema, in place of the one its kind gives.
VALUES: Mapping[tuple[str, str], Mapping[str, Any]] = {
    ("flowGenerations", "parameters"): _PARAMETERS,
    ("flowGenerations", "context"): _CONTEXT,
    ("flowRuns", "initialMessage"): _message(MESSAGE_TYPES),
    ("messages", "payload"): _message(MESSAGE_TYPES),
    ("messageTemplates", "components"): {
        "type": "array",
        "items": _COMPONENT,
        "contains": {"type": "object", "properties": {"type": {"const": "BODY"}}},
    },
    ("messageTemplates", "category"): {
        "enum": ["MARKETING", "UTILITY", "AUTHENTICATION", "AUTHORIZATION"]
    },
    ("webhooks", "resourceType"): {"enum": sorted(SUBSCRIBABLE)},
    ("webhooks", "fields"): {"type": "array", "items": {"type": "string"}},
}

#: Every http(s) URL attribute (``WriteContext.check_url``).
URLS = frozenset({"webhookUrl"})
HTTP_URL: Mapping[str, Any] = {"type": "string", "pattern": HTTP_URL_PATTERN}
#: The standard route's organization PATCH: the secret may not be emptied.
WEBHOOK_SECRET: Mapping[str, Any] = {"type": "string", "minLength": 1}


def _when(name: str, value: object, then: str) -> dict[str, Any]:
    return {
        "if": {"properties": {name: {"const": value}}, "required": [name]},
        "then": {"properties": {then: NOT_BLANK}, "required": [then]},
    }


#: type -> rules between the attributes of one POST.
CREATE_RULES: Mapping[str, list[dict[str, Any]]] = {
    "nodes": [_when("isEndFlow", True, "endFlowType")],
    "nodeActions": [_when("actionType", "ask", "variableName")],
    # A subscription's fields are attributes of its resource type.
    "webhooks": [
        {
            "if": {"properties": {"resourceType": {"const": name}}, "required": ["resourceType"]},
            "then": {"properties": {"fields": {"items": {"enum": list(attribute_names(name))}}}},
        }
        for name in sorted(SUBSCRIBABLE)
    ],
    # A generation is about a vacancy: its text (context) or a stored one (vacancyId).
    "flowGenerations": [
        {
            "anyOf": [
                {"required": ["context"], "properties": {"context": {"type": "object"}}},
                {
                    "required": ["parameters"],
                    "properties": {
                        "parameters": {
                            "required": ["vacancyId"],
                            "properties": {"vacancyId": {"type": "string"}},
                        }
                    },
                },
            ]
        }
    ],
}
