"""The C scanner (``recrubo_async._scan``) held to the plain path.

``scan_delivery(body)`` may answer only what the plain path (``orjson.loads``, then
``decode_payload`` and ``resource_event``) answers: every tuple it returns is checked here
against that path (``check``), over realistic deliveries, one case per rule of the
scanner, every truncation of a delivery, thousands of seeded mutations, and hypothesis'
arbitrary JSON in each object the scanner reads. None is always allowed (the plain path
then decides), but the realistic deliveries must take the fast path.
"""

from __future__ import annotations

import json
import random
import re
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recrubo_async._jsonapi import Codec
from recrubo_async._scanner import Scanned
from recrubo_async.errors import DecodeError
from recrubo_async.webhooks._payload import decode_payload, resource_event

from ..support.deliveries import delivery
from ..support.scanner import require_scanner

scan_delivery = require_scanner(module=True)

REJECTED = "rejected"
CODEC = Codec()

# ---------------------------------------------------------------- the oracle


def plain(body: bytes) -> Scanned | str:
    """The plain path's answer for ``body``: its values in the scanner's order, or
    ``REJECTED``."""
    try:
        orjson.loads(body)
        payload = decode_payload(body, CODEC)
        event = resource_event(payload, delivery=body)
    except (DecodeError, orjson.JSONDecodeError):
        return REJECTED
    raw = payload.raw_resource
    attributes = raw.get("attributes")
    attributes = attributes if type(attributes) is dict else {}
    status, updated = attributes.get("status"), attributes.get("updatedAt")
    assert event.status == (status if type(status) is str else None)
    return (
        payload.id,
        payload.webhook_id,
        payload.event.value,
        payload.fields,
        raw["type"],
        raw["id"],
        status if type(status) is str else None,
        updated if type(updated) is str else None,
    )


def check(body: bytes) -> Scanned | None:
    """The scanner's answer, asserted to be what the plain path gives when it is a tuple."""
    result = scan_delivery(body)
    if result is not None:
        expected = plain(body)
        assert isinstance(expected, tuple), f"the plain path rejects it: {body!r}"
        assert result == expected, body
        # Exactly str (and tuple), as orjson makes them.
        assert [type(item) for item in result] == [
            str,
            type(expected[1]),
            str,
            tuple,
            str,
            str,
            type(expected[6]),
            type(expected[7]),
        ]
        assert all(type(name) is str for name in result[3])
    return result


def scanned(body: bytes) -> Scanned:
    """``check``, asserting that the scanner answered (the fast path is taken)."""
    result = check(body)
    assert result is not None, body
    return result


def refused(body: bytes) -> None:
    """``check``, asserting that the scanner left ``body`` to the plain path."""
    assert check(body) is None, body


# ---------------------------------------------------------------- realistic deliveries

_T0 = datetime(2026, 6, 7, 5, 28, 9, 714000, tzinfo=timezone.utc)
_BASE = "https://api.recrubo.app/public/v2"

#: The seed's FlowGeneration parameters, as ``benchmarks/_raw_sender.py`` sends them.
PARAMETERS: dict[str, Any] = {
    "language": "nl",
    "emojiUsage": "3",
    "flowName": "Driver",
    "knockoutRequirements": [
        {"value": "Has drivers license B", "sessionField": "drivers_license"},
        {"value": "Must be communicative", "sessionField": "communicative"},
    ],
    "preferredRequirements": [{"value": "Lives in Amsterdam", "sessionField": "location"}],
    "requiredFields": [
        {"value": "firstName", "sessionField": "first_name"},
        {"value": "email", "sessionField": "email"},
        {"value": "phoneNumber", "sessionField": "phone"},
    ],
    "optionalFields": [
        {"value": "address", "sessionField": "address"},
        {"value": "linkedin", "sessionField": "linkedin"},
        {"value": "portfolio", "sessionField": "portfolio"},
    ],
}
VACANCY = (
    "Driver wanted in Amsterdam. You deliver parcels to homes and businesses in the city "
    "and its surroundings, in an electric van. You start at our depot at 7:00, load your "
    "own route and are back by 16:00. We offer a permanent contract after six months, a "
    "travel allowance, 25 days of holiday and training for your code 95. "
) * 4
#: Non-ASCII, all in the BMP (one \\uXXXX escape each when escaped).
VACANCY_NL = (
    "Chauffeur gezocht in Amsterdam — rijbewijs B; café-ervaring is een pré. "
    "Salaris €2.800 bruto, 25 vakantiedagen, één depot. Ünïcödé: 日本語, Ελληνικά. "
) * 4
#: With characters beyond the BMP: a surrogate pair each when escaped.
VACANCY_EMOJI = VACANCY_NL + "Rijd mee 🚚📦!"


def _stamp(seconds: float) -> str:
    return (_T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def flow_generation(
    gid: str = "3f1c2a9e-1111-4c1e-8a0b-000000000001", *, vacancy: str = VACANCY
) -> dict[str, Any]:
    """A finished FlowGeneration, shaped as ``benchmarks/_raw_sender.py`` sends it."""
    flow_id = "620cf8aa-e197-4a4b-b550-9b13c20f79c6"
    return {
        "type": "flowGenerations",
        "id": gid,
        "attributes": {
            "flowType": "vacancy_application_flow",
            "parameters": PARAMETERS,
            "context": {"type": "text", "value": vacancy},
            "flowId": flow_id,
            "status": "finished",
            "cost": 3,
            "createdAt": _stamp(0),
            "updatedAt": _stamp(12.345),
        },
        "relationships": {"flow": {"links": {"related": f"{_BASE}/flows/{flow_id}"}}},
        "links": {"self": f"{_BASE}/flow-generations/{gid}"},
    }


def flow_run(rid: str = "9b2d7c1e-2222-4d2f-9c1d-000000000002") -> dict[str, Any]:
    """A running FlowRun with its session state."""
    flow_id, thread_id = "620cf8aa-e197-4a4b-b550-9b13c20f79c6", "thread-77"
    return {
        "type": "flowRuns",
        "id": rid,
        "attributes": {
            "flowId": flow_id,
            "messageThreadId": thread_id,
            "state": {"first_name": "Sanne", "drivers_license": True, "score": 0.75, "tries": 2},
            "initialMessage": {"text": "Hoi! Zullen we beginnen?", "buttons": None},
            "status": "running",
            "cost": 1,
            "createdAt": _stamp(1),
            "updatedAt": _stamp(2.5),
        },
        "relationships": {
            "flow": {"data": {"type": "flows", "id": flow_id}},
            "messageThread": {"data": {"type": "messageThreads", "id": thread_id}},
        },
        "links": {"self": f"{_BASE}/flow-runs/{rid}"},
    }


def vacancy_analysis(aid: str = "a7e3f0d2-3333-4e3a-8d2e-000000000003") -> dict[str, Any]:
    """A done VacancyAnalysis: no status attribute."""
    return {
        "type": "vacancyAnalyses",
        "id": aid,
        "attributes": {
            "inputText": VACANCY_NL,
            "analyzeResult": {
                "hardSkills": [
                    {
                        "skill": "Driving",
                        "rating": 5,
                        "reasoning": "Must have license B",
                        "writtenAsRequirement": "Has a driver's license B",
                    }
                ],
                "softSkills": [{"skill": "Communication", "rating": 3, "reasoning": None}],
                "certifications": [{"certification": "Code 95", "required": False}],
            },
            "createdAt": _stamp(3),
            "updatedAt": None,
        },
        "links": {"self": f"{_BASE}/vacancy-analyses/{aid}"},
    }


#: As ``tests/support/deliveries.py`` sends it.
KEEP: Any = object()
#: The member left out.
ABSENT: Any = object()


def envelope(
    resource: dict[str, Any],
    *,
    event: str = "update",
    webhook_id: Any = KEEP,
    fields: Any = KEEP,
) -> dict[str, Any]:
    """A delivery document as ``tests/support/deliveries.py`` builds it, with ``webhookId``
    and ``fields`` then set as asked (None: null)."""
    doc: dict[str, Any] = orjson.loads(
        delivery(resource, event=event, payload_id="0c5e4b1a-4444-4f4b-9e3f-000000000004")
    )
    attributes = doc["data"]["attributes"]
    for name, value in (("webhookId", webhook_id), ("fields", fields)):
        if value is ABSENT:
            attributes.pop(name, None)
        elif value is not KEEP:
            attributes[name] = value
    return doc


def compact(doc: Any) -> bytes:
    """As Recrubo sends it: orjson's compact form, non-ASCII as raw UTF-8."""
    return orjson.dumps(doc)


def escaped(doc: Any) -> bytes:
    """Non-ASCII as \\uXXXX escapes (and ", " / ": " separators)."""
    return json.dumps(doc, ensure_ascii=True).encode()


def pretty(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2).encode() + b"\n"


def crlf_tabs(doc: Any) -> bytes:
    """Pretty with tabs and CRLF, and whitespace around the document."""
    text = json.dumps(doc, ensure_ascii=False, indent="\t").replace("\n", "\r\n")
    return b" \r\n\t" + text.encode() + b"\r\n "


STYLES: dict[str, Callable[[Any], bytes]] = {
    "compact": compact,
    "escaped": escaped,
    "pretty": pretty,
    "crlf_tabs": crlf_tabs,
}
SHAPES: dict[str, Callable[[], dict[str, Any]]] = {
    "flow_generation": flow_generation,
    "flow_generation_nl": lambda: flow_generation(vacancy=VACANCY_NL),
    "flow_run": flow_run,
    "vacancy_analysis": vacancy_analysis,
}
ENVELOPES: dict[str, dict[str, Any]] = {
    "full": {"fields": ["status", "flowId", "updatedAt"]},
    "no_webhook_id": {"webhook_id": ABSENT, "fields": ["status"]},
    "null_webhook_id": {"webhook_id": None},
    "no_fields": {"fields": ABSENT},
    "null_fields": {"fields": None},
    "empty_fields": {"fields": []},
    "create": {"event": "create", "fields": ABSENT, "webhook_id": ABSENT},
}


def realistic(shape: str = "flow_generation", style: str = "compact", env: str = "full") -> bytes:
    return STYLES[style](envelope(SHAPES[shape](), **ENVELOPES[env]))


#: The delivery of the benchmarks: a FlowGeneration, about 2.7 KB.
REALISTIC = realistic()


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("env", list(ENVELOPES))
def test_realistic_deliveries_take_the_fast_path(shape: str, style: str, env: str) -> None:
    scanned(realistic(shape, style, env))


def test_the_values_are_the_delivery_s() -> None:
    """Against the values written in the delivery, not only against the plain path."""
    assert 2500 < len(REALISTIC) < 3000
    assert scanned(REALISTIC) == (
        "0c5e4b1a-4444-4f4b-9e3f-000000000004",
        "5a7a2f4e-0000-4000-8000-000000000001",
        "update",
        ("status", "flowId", "updatedAt"),
        "flowGenerations",
        "3f1c2a9e-1111-4c1e-8a0b-000000000001",
        "finished",
        "2026-06-07T05:28:22.059000Z",
    )
    analysis = scanned(realistic("vacancy_analysis", env="no_webhook_id"))
    assert analysis[1] is None and analysis[6] is None and analysis[7] is None


def test_null_fields_and_a_bytes_subclass() -> None:
    assert scanned(realistic(env="null_fields"))[3] == ()
    assert scanned(realistic(env="null_webhook_id"))[1] is None

    class Body(bytes):
        pass

    # orjson refuses a subclass of bytes (the receiver passes exact bytes).
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(Body(REALISTIC))
    assert plain(Body(REALISTIC)) == REJECTED
    assert check(Body(REALISTIC)) is None


def test_non_ascii_in_extracted_strings() -> None:
    """Raw UTF-8 in the values read: decoded as orjson does."""
    resource = flow_run("rün-Ω-日本-🚚")
    resource["attributes"]["status"] = "fertig ✓"
    resource["type"] = "flöwRuns"
    doc = envelope(resource, event="ündate", fields=["stätus", "🚚"])
    result = scanned(compact(doc))
    assert result[4:7] == ("flöwRuns", "rün-Ω-日本-🚚", "fertig ✓")
    assert result[3] == ("stätus", "🚚")


def test_characters_beyond_the_bmp() -> None:
    """Raw, they are read; as \\u surrogate pairs, the plain path decides."""
    doc = envelope(flow_generation(vacancy=VACANCY_EMOJI))
    scanned(compact(doc))
    scanned(pretty(doc))
    refused(escaped(doc))


# ---------------------------------------------------------------- one case per rule

#: A small delivery; ``@`` is the value of a skipped member of the resource's attributes.
SMALL = (
    '{"data":{"type":"webhookPayload","id":"p-1","attributes":{"webhookId":"w-1",'
    '"event":"update","fields":["status"],"resource":{"type":"flowRuns","id":"r-1",'
    '"attributes":{"status":"running","updatedAt":"2026-01-01T12:00:00Z","x":@},'
    '"relationships":{},"links":{}}}}}'
)


def small(value: bytes | str = "0", *, replace: tuple[str, str] | None = None) -> bytes:
    text = SMALL
    if replace is not None:
        assert replace[0] in text
        text = text.replace(replace[0], replace[1], 1)
    return text.encode().replace(b"@", value.encode() if isinstance(value, str) else value)


def test_the_small_delivery() -> None:
    assert scanned(small()) == (
        "p-1",
        "w-1",
        "update",
        ("status",),
        "flowRuns",
        "r-1",
        "running",
        "2026-01-01T12:00:00Z",
    )


#: Skipped values the scanner reads, each next to a limit of its rules.
GOOD_VALUES = [
    b"0",
    b"-0",
    b"-0.0e+00",
    b"0e5",
    b"-0.000000000000000001e-99",
    b"123456789012345678",
    b"-123456789012345678",
    b"0.123456789012345678",
    b"123456789012345678.123456789012345678e99",
    b"1e99",
    b"1E-99",
    b"1e+9",
    b"true",
    b"false",
    b"null",
    b"[]",
    b"{}",
    b' [ 1 , { "a" : [ ] } , "" ] ',
    b"\t[\r\n1\n]",
    b'{"a":1,"a":2}',  # duplicates outside the inspected keys
    b'{"d\\u0061ta":1,"status":2}',  # escaped keys outside the inspected objects
    b'"\\ud7ff\\ue000\\u0000\\"\\\\\\/\\b\\f\\n\\r\\t\\u00E9\\u00e9\\uFFFF"',
    '"é€🚚\U0010ffff\ud7ff\ue000\x7f"'.encode(),
    b"[" * 59 + b"]" * 59,  # depth 64: the top object, four inspected ones, 59 arrays
    b'{"a":' * 59 + b"1" + b"}" * 59,
]


@pytest.mark.parametrize("value", GOOD_VALUES, ids=repr)
def test_skipped_values_that_are_read(value: bytes) -> None:
    scanned(small(value))


#: Skipped values left to the plain path: some orjson rejects, some it accepts
#: (marked: the scanner is conservative there).
BAD_VALUES = [
    # numbers
    b"1234567890123456789",  # 19 digits (orjson: an int)
    b"-1234567890123456789",
    b"0.1234567890123456789",  # 19 fraction digits (orjson: a float)
    b"1e100",  # a 3-digit exponent (orjson: a float)
    b"1E-100",
    b"31e999",  # orjson: infinity, rejected
    b"01",
    b"-01",
    b"00",
    b"1.",
    b".5",
    b"-",
    b"+1",
    b"1e",
    b"1e+",
    b"1.e5",
    b"0x10",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    # literals
    b"tru",
    b"True",
    b"nul",
    b"nulll",
    b"falsy",
    b"'x'",
    # structure
    b"[1,]",
    b'{"a":1,}',
    b"[,1]",
    b"[1 2]",
    b'{"a" 1}',
    b'{"a":}',
    b"{1:2}",
    b"{'a':1}",
    b"[",
    b"]",
    b"/*c*/1",
    b"1//c",
    b"[" * 60 + b"]" * 60,  # depth 65 (orjson: accepted, its limit is 1024)
    b'{"a":' * 60 + b"1" + b"}" * 60,
    # escapes
    b'"\\ud800"',  # a lone surrogate (orjson: rejected)
    b'"\\udc00"',
    b'"\\uDFFF"',
    b'"\\ud83d\\ude9a"',  # a pair (orjson: accepted, one character)
    b'"\\x"',
    b'"\\U0041"',
    b'"\\u12"',
    b'"\\u12G4"',
    b'"\\',
    b'"\\\'"',
    # UTF-8
    b'"\xff\xfe"',
    b'"\xc0\x80"',  # overlong
    b'"\xc1\xbf"',
    b'"\xe0\x9f\xbf"',
    b'"\xf0\x8f\xbf\xbf"',
    b'"\xed\xa0\x80"',  # an encoded surrogate
    b'"\xed\xbf\xbf"',
    b'"\xf4\x90\x80\x80"',  # above U+10FFFF
    b'"\xf5\x80\x80\x80"',
    b'"\xf8\x88\x80\x80\x80"',
    b'"\x80"',  # a stray continuation
    b'"\xc3"',  # truncated
    b'"\xe2\x82"',
    b'"\xf0\x9f\x9a"',
    b'"\xc3\xc3\xa9"',
    # control characters
    b'"\x00"',
    b'"\x01"',
    b'"\n"',
    b'"\t"',
    b'"\x1f"',
    b'"abc',
]


@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_skipped_values_left_to_the_plain_path(value: bytes) -> None:
    refused(small(value))


@pytest.mark.parametrize("value", [value for value in BAD_VALUES if len(value) < 50], ids=repr)
def test_bad_values_anywhere(value: bytes) -> None:
    """Validation reaches every skipped member, at any depth, and keys too (the nesting
    limit aside: it depends on where)."""
    body = small()
    refused(small(b'[{"a":[[' + value + b"]]}]"))
    refused(body.replace(b'"relationships":{}', b'"relationships":{"a":[' + value + b"]}"))
    refused(body.replace(b'"links":{}', b'"links":{"self":' + value + b"}"))
    refused(b'{"x":' + value + b"," + body[1:])
    refused(body[:-1] + b',"x":' + value + b"}")
    if value.startswith(b'"') and value.endswith(b'"') and len(value) > 1:
        refused(small(b"{" + value + b":1}"))
        refused(body.replace(b'"links":{}', b'"links":{' + value + b":1}"))


def test_depth_counts_from_the_top_object() -> None:
    body = small()
    assert body.startswith(b"{")
    scanned(b'{"x":' + b"[" * 63 + b"]" * 63 + b"," + body[1:])
    refused(b'{"x":' + b"[" * 64 + b"]" * 64 + b"," + body[1:])


#: (what is replaced, by what) in the small delivery; the scanner leaves each to the
#: plain path.
REFUSED_EDITS = [
    # an inspected key twice (orjson keeps the last one)
    ('"data":{', '"data":{},"data":{'),
    ('"type":"webhookPayload"', '"type":"webhookPayload","type":"webhookPayload"'),
    ('"id":"p-1"', '"id":"p-1","id":"p-1"'),
    ('"attributes":{"webhookId"', '"attributes":{},"attributes":{"webhookId"'),
    ('"webhookId":"w-1"', '"webhookId":"w-1","webhookId":"w-1"'),
    ('"webhookId":"w-1"', '"webhookId":1,"webhookId":"w-1"'),
    ('"event":"update"', '"event":"update","event":"update"'),
    ('"fields":["status"]', '"fields":["status"],"fields":null'),
    ('"resource":{', '"resource":{},"resource":{'),
    ('"type":"flowRuns"', '"type":"flowRuns","type":"flowRuns"'),
    ('"id":"r-1"', '"id":"r-1","id":"r-1"'),
    ('"attributes":{"status"', '"attributes":{},"attributes":{"status"'),
    ('"status":"running"', '"status":"running","status":"running"'),
    ('"status":"running"', '"status":1,"status":"running"'),
    ('"updatedAt":"', '"updatedAt":null,"updatedAt":"'),
    ('"relationships":{}', '"relationships":{},"relationships":{}'),
    ('"links":{}', '"links":{},"links":{}'),
    ('"links":{}', '"links":{},"meta":null,"meta":null'),
    # an escaped key in an inspected object
    ('"data"', '"d\\u0061ta"'),
    ('"data"', '"\\u0064ata"'),
    ('{"data"', '{"\\u0061":1,"data"'),
    ('"type":"webhookPayload"', '"t\\u0079pe":"webhookPayload"'),
    ('"event"', '"ev\\u0065nt"'),
    ('"event"', '"\\/event":1,"event"'),
    ('"type":"flowRuns"', '"typ\\u0065":"flowRuns"'),
    ('"x":', '"\\u0078":'),
    ('"x":', '"\\n":'),
    # an escaped value among those read
    ('"id":"p-1"', '"id":"p\\u002d1"'),
    ('"type":"webhookPayload"', '"type":"webhook\\u0050ayload"'),
    ('"webhookId":"w-1"', '"webhookId":"w\\/1"'),
    ('"event":"update"', '"event":"upd\\u0061te"'),
    ('"fields":["status"]', '"fields":["st\\u0061tus"]'),
    ('"type":"flowRuns"', '"type":"flow\\u0052uns"'),
    ('"id":"r-1"', '"id":"r\\n1"'),
    ('"status":"running"', '"status":"run\\u006eing"'),
    ('"updatedAt":"2026', '"updatedAt":"\\u0032026'),
    # the envelope
    ('"type":"webhookPayload"', '"type":"webhookPayloads"'),
    ('"type":"webhookPayload"', '"type":1'),
    ('"type":"webhookPayload",', ""),
    ('"id":"p-1"', '"id":""'),
    ('"id":"p-1"', '"id":1'),
    ('"id":"p-1",', ""),
    ('"event":"update"', '"event":""'),
    ('"event":"update"', '"event":null'),
    ('"event":"update",', ""),
    ('"fields":["status"]', '"fields":[1]'),
    ('"fields":["status"]', '"fields":["status",null]'),
    ('"fields":["status"]', '"fields":"status"'),
    ('"fields":["status"]', '"fields":{}'),
    ('"fields":["status"]', '"fields":false'),
    ('"fields":["status"]', '"fields":["status",]'),
    # the resource
    ('"type":"flowRuns"', '"type":""'),
    ('"type":"flowRuns"', '"type":null'),
    ('"type":"flowRuns",', ""),
    ('"id":"r-1"', '"id":1'),  # the plain path takes an int id; the scanner does not
    ('"id":"r-1",', ""),
    ('"links":{}', '"links":{},"meta":{}'),  # the plain path takes a meta object
    ('"links":{}', '"links":{},"meta":1'),
    ('"links":{}', '"links":null'),
    ('"links":{}', '"links":[]'),
    ('"relationships":{}', '"relationships":[]'),
    ('"relationships":{}', '"relationships":null'),
    ('"updatedAt":"2026-01-01T12:00:00Z"', '"updatedAt":1767268800'),
    ('"updatedAt":"2026-01-01T12:00:00Z"', '"updatedAt":true'),
    ('"updatedAt":"2026-01-01T12:00:00Z"', '"updatedAt":{}'),
    # objects that are not objects
    ('{"data":', '{"data":[],"x":'),
    ('"attributes":{"webhookId"', '"attributes":[],"y":{"webhookId"'),
    ('"resource":{', '"resource":"r","z":{'),
    ('"attributes":{"status"', '"attributes":[],"w":{"status"'),
    ('"attributes":{"status"', '"w":{"status"'),  # no attributes (the plain path: {})
]


@pytest.mark.parametrize(("old", "new"), REFUSED_EDITS, ids=repr)
def test_edits_left_to_the_plain_path(old: str, new: str) -> None:
    refused(small(replace=(old, new)))


#: (what is replaced, by what, the member of the answer, its value).
READ_EDITS = [
    ('"webhookId":"w-1",', "", 1, None),
    ('"webhookId":"w-1"', '"webhookId":null', 1, None),
    ('"webhookId":"w-1"', '"webhookId":7', 1, None),
    ('"webhookId":"w-1"', '"webhookId":{"id":"w-1"}', 1, None),
    ('"webhookId":"w-1"', '"webhookId":""', 1, ""),
    ('"event":"update"', '"event":"archive"', 2, "archive"),  # an OpenEnum value
    ('"fields":["status"],', "", 3, ()),
    ('"fields":["status"]', '"fields":null', 3, ()),
    ('"fields":["status"]', '"fields":[]', 3, ()),
    ('"fields":["status"]', '"fields": [ "", "a" , "b" ] ', 3, ("", "a", "b")),
    ('"id":"r-1"', '"id":""', 5, ""),
    ('"status":"running",', "", 6, None),
    ('"status":"running"', '"status":null', 6, None),
    ('"status":"running"', '"status":3', 6, None),
    ('"status":"running"', '"status":["running"]', 6, None),
    ('"status":"running"', '"status":""', 6, ""),
    ('"updatedAt":"2026-01-01T12:00:00Z"', '"updatedAt":null', 7, None),
    ('"updatedAt":"2026-01-01T12:00:00Z",', "", 7, None),
    ('"updatedAt":"2026-01-01T12:00:00Z"', '"updatedAt":"yesterday"', 7, "yesterday"),
    ('"links":{}', '"links":{},"meta":null', 0, "p-1"),
    (',"relationships":{},"links":{}', "", 0, "p-1"),
    ('"links":{}', '"links":{"self":"\\u00e9"},"a":{"d\\u0061ta":1}', 0, "p-1"),
    ('{"data"', '{"other":{"data":[]},"data"', 0, "p-1"),
]


@pytest.mark.parametrize(("old", "new", "member", "value"), READ_EDITS, ids=repr)
def test_edits_that_are_read(old: str, new: str, member: int, value: object) -> None:
    assert scanned(small(replace=(old, new)))[member] == value


def test_whitespace_around_the_document() -> None:
    body = small()
    scanned(b" \t\r\n" + body + b"\n\r\t ")
    scanned(body.replace(b":", b" : ").replace(b",", b"\n,\t"))
    for bad in (b"\x0c", b"\x0b", b"\x00", b"\xa0", b"\xc2\xa0", b"\xef\xbb\xbf"):
        refused(bad + body)
        refused(body + bad)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b" ",
        b"\n\t\r ",
        b"{}",
        b"[]",
        b'"data"',
        b"null",
        b"0",
        b'{"data":{}}',
        b'{"data":null}',
        b"\xef\xbb\xbf" + REALISTIC,  # a BOM (orjson: rejected)
        REALISTIC + b"x",
        REALISTIC + b"{}",
        REALISTIC + b",",
        REALISTIC + b"}",
        REALISTIC + b"\x00",
        REALISTIC[:-1] + b",}",
        b"/*c*/" + REALISTIC,
        REALISTIC + b"//c",
        b"[" + REALISTIC + b"]",
        REALISTIC.replace(b'"', b"'"),
        REALISTIC[:-1] + b"]",
    ],
    ids=lambda body: repr(body[:24]),
)
def test_documents_left_to_the_plain_path(body: bytes) -> None:
    refused(body)


@pytest.mark.parametrize("style", list(STYLES))
def test_every_truncation_is_refused(style: str) -> None:
    body = realistic("flow_run", style) if style != "compact" else REALISTIC
    stripped = body.rstrip()
    for end in range(len(stripped)):
        assert scan_delivery(body[:end]) is None, end
    assert scan_delivery(stripped) is not None


@pytest.mark.parametrize("value", ["text", bytearray(REALISTIC), memoryview(REALISTIC), None, 3])
def test_only_bytes(value: Any) -> None:
    """A bytearray and a memoryview are refused too: the receiver has bytes."""
    with pytest.raises(TypeError):
        scan_delivery(value)


def test_no_leak() -> None:
    """Answers and refusals allocate nothing that stays."""
    bodies = [REALISTIC, realistic("flow_run", env="no_fields"), REALISTIC + b"x", b"{}"]
    for body in bodies:
        scan_delivery(body)
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(5000):
            for body in bodies:
                scan_delivery(body)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert grown < 16_384, grown


# ---------------------------------------------------------------- fuzzing

#: Inserted at random offsets: JSON's special characters, near-miss numbers and literals,
#: bad UTF-8, and members that change what the scanner reads.
FRAGMENTS = [
    b'"',
    b"\\",
    b"\\u",
    b"\\ud800",
    b"\\udc00",
    b"\\u0061",
    b"\\n",
    b",",
    b":",
    b"{",
    b"}",
    b"[",
    b"]",
    b"{}",
    b"[]",
    b" ",
    b"\t",
    b"\x0c",
    b"null",
    b"true",
    b"0",
    b"-",
    b"01",
    b"1e999",
    b"1.",
    b".5",
    b"NaN",
    b"/*",
    b"//",
    b"\xff",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x82",
    b"\xc3\xa9",
    b"\x00",
    b"\x1f",
    b"\xef\xbb\xbf",
    b"1234567890123456789",
    b'"data":{},',
    b'"status":1,',
    b'"status":"x",',
    b'"updatedAt":5,',
    b'"updatedAt":null,',
    b'"meta":{},',
    b'"meta":null,',
    b'"type":"x",',
    b'"id":"",',
    b'"id":"i",',
    b'"fields":[1],',
    b'"fields":null,',
    b'"webhookId":null,',
    b'"event":"e",',
    b'"attributes":{},',
    b'"resource":{},',
    b'"d\\u0061ta":1,',
]

MEMBERS = [fragment for fragment in FRAGMENTS if fragment.endswith(b",")]
_OPEN = re.compile(rb"\{")

#: Bodies the mutations start from.
SEEDS = [
    REALISTIC,
    realistic("flow_run", "pretty", "no_webhook_id"),
    realistic("flow_generation_nl", "escaped", "no_fields"),
    realistic("vacancy_analysis", "compact", "create"),
    small(),
]
#: About 1 s on a busy 2-core machine: the plain path runs for every mutation read.
MUTATIONS = 40_000


def mutate(rng: random.Random, body: bytes) -> bytes:
    kind = rng.randrange(4)
    at = rng.randrange(len(body) + 1)
    if kind == 0:  # one byte replaced by any byte
        at = min(at, len(body) - 1)
        return body[:at] + bytes([rng.randrange(256)]) + body[at + 1 :]
    if kind == 1:  # a fragment inserted
        return body[:at] + rng.choice(FRAGMENTS) + body[at:]
    if kind == 2:  # 1-4 bytes deleted
        return body[:at] + body[at + rng.randint(1, 4) :]
    # a member inserted at the start of an object: what the scanner reads is changed
    at = rng.choice([match.end() for match in _OPEN.finditer(body)] or [0])
    return body[:at] + rng.choice(MEMBERS) + body[at:]


def test_mutations_agree_with_the_plain_path() -> None:
    rng = random.Random(20260607)
    answered = 0
    for i in range(MUTATIONS):
        body = SEEDS[i % len(SEEDS)]
        for _ in range(1 + (rng.random() < 0.2)):
            body = mutate(rng, body)
        answered += check(body) is not None
    # Many mutations leave a delivery the scanner reads (in a string, a skipped member).
    assert MUTATIONS // 10 < answered < MUTATIONS


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
#: Where a value goes: a path of keys from the document to an object.
OBJECTS = {
    "top": (),
    "data": ("data",),
    "attributes": ("data", "attributes"),
    "resource": ("data", "attributes", "resource"),
    "resource_attributes": ("data", "attributes", "resource", "attributes"),
}
#: Keys the scanner reads, in some object (so some inserts replace what it reads).
INSPECTED = ["data", "type", "id", "attributes", "event", "resource", "webhookId", "fields"]
INSPECTED += ["relationships", "links", "meta", "status", "updatedAt"]

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _doc() -> dict[str, Any]:
    return envelope(flow_run(), fields=["status"])


@FUZZ
@given(
    where=st.sampled_from(list(OBJECTS)),
    key=st.text(max_size=10) | st.sampled_from(INSPECTED),
    value=json_values,
    style=st.sampled_from(list(STYLES)),
)
def test_any_member_in_an_inspected_object(where: str, key: str, value: Any, style: str) -> None:
    doc = _doc()
    target = doc
    for name in OBJECTS[where]:
        target = target[name]
    target[key] = value
    check(STYLES[style](doc))


@FUZZ
@given(
    member=st.sampled_from(["status", "webhookId", "skipped", "skipped_deep"]),
    value=json_values,
    style=st.sampled_from(list(STYLES)),
)
def test_any_value_where_the_scanner_reads_or_skips(member: str, value: Any, style: str) -> None:
    doc = _doc()
    attributes = doc["data"]["attributes"]
    if member == "status":
        attributes["resource"]["attributes"]["status"] = value
    elif member == "webhookId":
        attributes["webhookId"] = value
    elif member == "skipped":
        attributes["resource"]["attributes"]["state"] = value
    else:
        attributes["resource"]["relationships"]["flow"]["meta"] = [value, {"v": value}]
    result = check(STYLES[style](doc))
    if member.startswith("skipped") and style != "escaped":
        # Read unless a number is past the limits (as serialized: orjson's or Python's).
        dump = orjson.dumps if style == "compact" else _json_dumps
        assert (result is not None) == _within_limits(value, dump), value


#: Rule 9's numbers, restated.
_NUMBER = re.compile(rb"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,18})?([eE][+-]?[0-9]{1,2})?")


def _json_dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def _within_limits(value: Any, dump: Callable[[Any], bytes]) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, int | float):
        return _NUMBER.fullmatch(dump(value)) is not None
    if isinstance(value, list):
        return all(_within_limits(item, dump) for item in value)
    return all(_within_limits(item, dump) for item in value.values())
