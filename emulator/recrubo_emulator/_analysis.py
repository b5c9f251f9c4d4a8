"""Deterministic 'AI' vacancy analysis: skills and certifications found by keyword."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_HARD = {
    "python": "Python",
    "java": "Java",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "sql": "SQL",
    "excel": "Microsoft Excel",
    "php": "PHP",
    "react": "React",
    "docker": "Docker",
    "aws": "AWS",
    "forklift": "Forklift operation",
    "reach truck": "Reach truck operation",
    "scanner": "Hand scanner use",
    "warehouse management": "Warehouse management systems",
    "order pick": "Order picking",
    "welding": "Welding",
    "accounting": "Accounting",
    "bookkeeping": "Bookkeeping",
    "driving": "Driving",
    "cooking": "Cooking",
    "nursing": "Nursing",
    "sales": "Sales",
    "marketing": "Marketing",
    "english": "English",
    "dutch": "Dutch",
    "german": "German",
}
_SOFT = {
    "communicat": "Communication",
    "team": "Teamwork",
    "flexib": "Flexibility",
    "independ": "Independence",
    "customer": "Customer focus",
    "punctual": "Punctuality",
    "leadership": "Leadership",
    "problem": "Problem solving",
    "stress": "Stress resistance",
    "accura": "Accuracy",
    "motivat": "Motivation",
    "shift": "Working in shifts",
    "reliab": "Reliability",
}
_CERTS = {
    "license b": "Driver's license B",
    "licence b": "Driver's license B",
    "license c": "Driver's license C",
    "code 95": "Code 95",
    "vca": "VCA",
    "bhv": "BHV (first aid)",
    "first aid": "First aid certificate",
    "haccp": "HACCP",
    "reach truck certificate": "Reach truck certificate",
    "forklift certificate": "Forklift certificate",
    "big": "BIG registration",
}
_MUST = ("must", "required", "requires", "need", "essential", "mandatory", "vereist", "moet")
_NICE = ("nice to have", "preferred", "bonus", "plus", "ideally")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?\n])\s*", text) if s.strip()]


def _found(text: str, table: dict[str, str]) -> list[tuple[str, str]]:
    """(label, sentence) for each table entry found, in order of first mention."""
    hits: dict[str, tuple[int, str]] = {}
    for sentence in _sentences(text):
        lowered = sentence.lower()
        for key, label in table.items():
            pattern = rf"\b{re.escape(key)}"
            if label not in hits and re.search(pattern, lowered):
                hits[label] = (len(hits), sentence)
    return [
        (label, sentence) for label, (_, sentence) in sorted(hits.items(), key=lambda kv: kv[1][0])
    ]


def _rating(sentence: str) -> int:
    lowered = sentence.lower()
    if any(word in lowered for word in _MUST):
        return 5
    if any(re.search(rf"\b{re.escape(word)}", lowered) for word in _NICE):
        return 2
    return 3


def _skills(
    text: str, table: dict[str, str], says: str, requirement: Callable[[str], str]
) -> list[dict[str, Any]]:
    return [
        {
            "skill": label,
            "rating": _rating(sentence),
            "reasoning": f'The vacancy {says}: "{sentence[:160]}"',
            "writtenAsRequirement": requirement(label),
        }
        for label, sentence in _found(text, table)
    ]


def analyze(text: str) -> dict[str, Any]:
    """The ``analyzeResult`` for a vacancy text (same text, same result)."""
    hard = _skills(text, _HARD, "mentions it", lambda label: f"Has experience with {label}.")
    soft = _skills(text, _SOFT, "asks for it", lambda label: f"Shows {label.lower()}.")
    certs = [
        {
            "required": _rating(sentence) >= 4,
            "reasoning": f'The vacancy names it: "{sentence[:160]}"',
            "certification": label,
            "writtenAsRequirement": f"Has a valid {label}.",
        }
        for label, sentence in _found(text, _CERTS)
    ]
    return {"hardSkills": hard, "softSkills": soft, "certifications": certs}
