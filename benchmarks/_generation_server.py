"""The server of the waits benchmark: any FlowGeneration id, as the API answers its GET.

Run as ``python -m benchmarks._generation_server PORT``. ``GET
/public/v2/flow-generations/{id}`` answers a queued generation with that id, shaped as the
emulator answers it (``recrubo_emulator``: attributes, a ``flow`` relationship with no
data yet, ``meta``), carrying the parameters of the API docs' own example (the seed's
"POST body with a V2 Appointment Step") and a vacancy text as context: the state a real
wait's first GET returns, so that the memory a pending wait keeps is measured with it.
"""

from __future__ import annotations

import sys

import orjson
from aiohttp import web

BASE_PATH = "/public/v2"
CREATED_AT = "2026-06-07T05:28:09.714+00:00"

#: The seed's example parameters (FlowGeneration page, "with a V2 Appointment Step").
PARAMETERS = {
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
    "extraOptions": [
        {
            "value": "appointment",
            "language": "en",
            "options": {"version": 2, "scheduleIds": "1,2,3"},
        }
    ],
}

#: A short vacancy text (the seed's context is ``{"type": "text", "value": ...}``).
CONTEXT = {
    "type": "text",
    "value": (
        "Delivery driver, Amsterdam. You deliver parcels to homes and businesses in and "
        "around Amsterdam, four or five days a week. You hold a category B driving licence, "
        "speak Dutch or English, and like working independently. We offer a permanent "
        "contract, a company van and training from day one."
    ),
}

ATTRIBUTES = {
    "flowType": "vacancy_application_flow",
    "parameters": PARAMETERS,
    "context": CONTEXT,
    "flowId": None,
    "status": "queued",
    "cost": None,
    "createdAt": CREATED_AT,
    "updatedAt": CREATED_AT,
}

#: Everything after the id: the document is ``HEAD + id + TAIL``.
HEAD = b'{"data":{"id":"'
TAIL = (
    b'","type":"flowGenerations","attributes":'
    + orjson.dumps(ATTRIBUTES)
    + b',"relationships":{"flow":{"links":{"related":null},"data":null}}},"meta":{}}'
)


def document(gid: str) -> bytes:
    """The GET answer for generation ``gid``."""
    return HEAD + gid.encode() + TAIL


async def generation(request: web.Request) -> web.Response:
    return web.Response(
        body=document(request.match_info["id"]), content_type="application/vnd.api+json"
    )


def main() -> None:
    port = int(sys.argv[1])
    app = web.Application()
    app.router.add_get(f"{BASE_PATH}/flow-generations/{{id}}", generation)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
