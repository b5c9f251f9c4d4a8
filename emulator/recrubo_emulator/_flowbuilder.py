"""Deterministic 'AI' flows: the node graph a vacancy_application_flow generation produces."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

#: Field names accepted in requiredFields/optionalFields, with the node-action sub-type that
#: asks for them.
FIELD_SUBTYPES: Mapping[str, str] = {
    "name": "text",
    "firstName": "text",
    "lastName": "text",
    "fullName": "text",
    "email": "text",
    "phone": "contact",
    "phoneNumber": "contact",
    "address": "location",
    "postalCode": "location",
    "city": "location",
    "location": "location",
    "dateOfBirth": "text",
    "birthDate": "text",
    "gender": "list",
    "nationality": "text",
    "linkedin": "text",
    "website": "text",
    "portfolio": "document",
    "cv": "document",
    "resume": "document",
    "coverLetter": "document",
    "photo": "image",
    "video": "video",
    "motivation": "text",
    "availability": "text",
    "startDate": "text",
    "salaryExpectation": "text",
    "driversLicense": "list",
    "experience": "text",
    "education": "text",
}

GENERATION_COST = 3

_TEXT = {
    "en": {
        "welcome": "Hi! Thanks for your interest in {title}. Let's get started.",
        "knockout": "{value}: does this apply to you?",
        "preferred": "{value}: does this apply to you?",
        "field": "What is your {label}?",
        "optional": "What is your {label}? (optional, reply 'skip' to skip)",
        "appointment": "When would you like to schedule your interview?",
        "accepted": "Thank you for applying! We will be in touch soon.",
        "declined": "Unfortunately you do not meet the requirements for this vacancy.",
        "reminder": "Don't forget to finish the chat, just a few questions left!",
        "yes": "Yes",
        "no": "No",
    },
    "nl": {
        "welcome": "Hoi! Leuk dat je interesse hebt in {title}. Laten we beginnen.",
        "knockout": "{value}: geldt dit voor jou?",
        "preferred": "{value}: geldt dit voor jou?",
        "field": "Wat is je {label}?",
        "optional": "Wat is je {label}? (optioneel, antwoord 'skip' om over te slaan)",
        "appointment": "Wanneer wil je je sollicitatiegesprek inplannen?",
        "accepted": "Bedankt voor je sollicitatie! We nemen snel contact met je op.",
        "declined": "Helaas voldoe je niet aan de eisen voor deze vacature.",
        "reminder": "Vergeet niet de chat af te maken, nog maar een paar vragen!",
        "yes": "Ja",
        "no": "Nee",
    },
}


@attrs.frozen
class NodePlan:
    """One node of a planned flow, with its single action and outgoing transitions."""

    key: str
    name: str
    action: Mapping[str, Any]
    transitions: tuple[tuple[str | None, str], ...] = ()
    is_start: bool = False
    end_type: str | None = None


@attrs.frozen
class FlowPlan:
    """A planned flow: its attributes and its nodes, in index order."""

    name: str
    reminder_message: str
    nodes: tuple[NodePlan, ...]
    reminder_interval: int = 60
    session_timeout: int = 1440


def slug(text: str) -> str:
    """A session-variable name from free text (``Has license B`` -> ``has_license_b``)."""
    words = re.findall(r"[a-z0-9]+", text.lower())[:4]
    return "_".join(words) or "answer"


def _label(field: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r" \1", field).lower()


def _entries(parameters: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = parameters.get(name)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def plan_flow(parameters: Mapping[str, Any], title: str) -> FlowPlan:
    """Plan the flow a generation with these parameters yields.

    Structure (like the API's generated flows): one start node, one node (and action) per
    question, one accepted and one declined end node. Knockout questions branch to the
    declined node on "no".
    """
    lang = "nl" if str(parameters.get("language", "en")).lower().startswith("nl") else "en"
    text = _TEXT[lang]
    used: set[str] = set()

    def variable(entry: Mapping[str, Any], fallback: str) -> str:
        name = entry.get("sessionField")
        base = name if isinstance(name, str) and name else slug(fallback)
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        return candidate

    yes_no = [
        {"title": text["yes"], "value": "yes"},
        {"title": text["no"], "value": "no"},
    ]
    questions: list[tuple[str, dict[str, Any], bool]] = []  # (name, action, is_knockout)
    for kind in ("knockout", "preferred"):
        for entry in _entries(parameters, f"{kind}Requirements"):
            value = str(entry.get("value", ""))
            action = {
                "actionType": "ask",
                "subType": "list",
                "variableName": variable(entry, value),
                "value": {
                    "text": text[kind].format(value=str(value).rstrip(".!? ")),
                    "options": yes_no,
                },
            }
            questions.append((f"{kind.capitalize()}: {value}", action, kind == "knockout"))
    for kind in ("required", "optional"):
        for entry in _entries(parameters, f"{kind}Fields"):
            field = str(entry.get("value", ""))
            prompt = text["field" if kind == "required" else "optional"]
            asked: dict[str, Any] = {
                "text": prompt.format(label=_label(field)),
                "required": kind == "required",
            }
            action = {
                "actionType": "ask",
                "subType": FIELD_SUBTYPES.get(field, "text"),
                "variableName": variable(entry, field),
                "value": asked,
            }
            questions.append((f"{kind.capitalize()} field: {field}", action, False))
    for option in _entries(parameters, "extraOptions"):
        if option.get("value") == "appointment":
            options = option.get("options")
            appointment: dict[str, Any] = {"text": text["appointment"]}
            if isinstance(options, dict):
                appointment.update(options)
            action = {
                "actionType": "ask",
                "subType": "appointment",
                "variableName": variable({}, "appointment"),
                "value": appointment,
            }
            questions.append(("Appointment", action, False))

    def say(message: str) -> dict[str, Any]:
        return {
            "actionType": "say",
            "subType": "text",
            "variableName": None,
            "value": {"text": message},
        }

    keys = [f"q{i}" for i in range(len(questions))] + ["accepted"]
    nodes = [
        NodePlan(
            "start",
            "Start",
            say(text["welcome"].format(title=title)),
            ((None, keys[0]),),
            is_start=True,
        )
    ]
    for i, (name, action, knockout) in enumerate(questions):
        transitions: tuple[tuple[str | None, str], ...] = ((None, keys[i + 1]),)
        if knockout:
            condition = f'session.{action["variableName"]} === "no"'
            transitions = ((condition, "declined"), *transitions)
        nodes.append(NodePlan(keys[i], name, action, transitions))
    nodes.append(NodePlan("accepted", "Accepted", say(text["accepted"]), end_type="accepted"))
    nodes.append(NodePlan("declined", "Declined", say(text["declined"]), end_type="declined"))
    flow_name = parameters.get("flowName")
    return FlowPlan(
        flow_name if isinstance(flow_name, str) and flow_name else title,
        text["reminder"],
        tuple(nodes),
    )


def vacancy_from_context(
    context: Mapping[str, Any], parameters: Mapping[str, Any]
) -> dict[str, Any]:
    """Vacancy attributes made from a generation's context text."""
    body = str(context.get("value", "")).strip()
    first = re.split(r"[\n.!?]", body, maxsplit=1)[0].strip()
    title = parameters.get("flowName")
    if not (isinstance(title, str) and title):
        title = first[:80] or "Vacancy"
    return {"title": title, "description": body}


def sample_answer(action: Mapping[str, Any]) -> Any:
    """A plausible candidate answer to an ask action."""
    sub = action.get("subType")
    var = str(action.get("variableName") or "")
    value = action.get("value") if isinstance(action.get("value"), dict) else {}
    options = value.get("options") if isinstance(value, dict) else None
    if sub == "list" and isinstance(options, list) and options:
        first = options[0]
        return first.get("value", first.get("title")) if isinstance(first, dict) else first
    answers = {
        "contact": "31612345678",
        "location": "Damrak 1, 1012 LG Amsterdam",
        "document": f"https://files.example.com/{var or 'upload'}.pdf",
        "image": f"https://files.example.com/{var or 'upload'}.jpg",
        "video": f"https://files.example.com/{var or 'upload'}.mp4",
        "audio": f"https://files.example.com/{var or 'upload'}.ogg",
        "appointment": "2030-01-07T10:00:00+00:00",
    }
    if sub in answers:
        return answers[sub]
    if "mail" in var:
        return "candidate@example.com"
    if "last" in var:
        return "Jansen"
    if "name" in var:
        return "Alex"
    return f"answer to {var}" if var else "answer"


def session_fields(actions: Sequence[Mapping[str, Any]]) -> list[tuple[str, Any]]:
    """(variable, sample answer) for each ask action, in flow order."""
    return [
        (str(a["variableName"]), sample_answer(a))
        for a in actions
        if a.get("actionType") == "ask" and a.get("variableName")
    ]
