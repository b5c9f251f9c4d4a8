"""The server of the request benchmark: one fixed FlowGeneration document, as fast as it can.

Run as ``python -m benchmarks._request_server PORT``; it answers
``GET /public/v2/flow-generations/{id}`` with the same bytes every time, so the benchmark
measures the clients, not the server.
"""

from __future__ import annotations

import sys

import orjson
from aiohttp import web

from benchmarks._raw_sender import PARAMETERS, VACANCY

BASE_PATH = "/public/v2"
GENERATION_ID = "6d8f0c2e-8d84-4b52-9a43-5f3c1f0f4a11"
FLOW_ID = "123e4567-e89b-12d3-a456-426614174000"

#: A finished generation as the API returns it: the seed's parameters (``seeds/``, the
#: example POST body) and a vacancy text of a realistic length as its context.
DOCUMENT = orjson.dumps(
    {
        "data": {
            "id": GENERATION_ID,
            "type": "flowGenerations",
            "attributes": {
                "flowType": "vacancy_application_flow",
                "parameters": PARAMETERS,
                "context": {"type": "text", "value": VACANCY},
                "flowId": FLOW_ID,
                "status": "finished",
                "cost": 3,
                "createdAt": "2026-06-07T05:28:09.714Z",
                "updatedAt": "2026-06-07T05:28:21.102Z",
            },
            "relationships": {
                "flow": {"links": {"related": f"{BASE_PATH}/flows/{FLOW_ID}"}},
            },
            "links": {"self": f"{BASE_PATH}/flow-generations/{GENERATION_ID}"},
        },
        "meta": {},
    }
)


async def generation(request: web.Request) -> web.Response:
    return web.Response(body=DOCUMENT, content_type="application/vnd.api+json")


def main() -> None:
    port = int(sys.argv[1])
    app = web.Application()
    app.router.add_get(f"{BASE_PATH}/flow-generations/{{id}}", generation)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
