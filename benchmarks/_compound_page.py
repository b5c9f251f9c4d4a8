"""The decoding benchmark's document: a compound page of flowGenerations, as the API sends it.

``GET /flow-generations?include=flow.nodes.nodeActions`` with ``n`` resources in all: one
in five is a flowGeneration of the page's ``data`` (the seed's parameters and a vacancy
text as its context), and each brings four included resources: its flow, the flow's start
and end nodes and the start node's action. Every relationship that points at another
resource of the page carries ``data`` (plus ``links`` where the API sends them), so the
decoder has to resolve it; those it does not include carry links only.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from benchmarks._raw_sender import PARAMETERS, VACANCY

BASE = "https://api.recrubo.app/public/v2"
#: Resources per flowGeneration: itself, its flow, two nodes and one node action.
GROUP = 5


def _ident(rtype: str, rid: str) -> dict[str, str]:
    return {"type": rtype, "id": rid}


def _time(minute: int, second: int) -> str:
    return f"2026-06-07T05:{minute % 60:02d}:{second % 60:02d}.714Z"


def group(i: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``i``-th flowGeneration and the four resources included with it."""
    gid, fid = str(uuid.UUID(int=5 * i + 1)), str(uuid.UUID(int=5 * i + 2))
    start, end, action = (str(uuid.UUID(int=5 * i + k)) for k in (3, 4, 5))
    created, updated = _time(i, 9), _time(i + 1, 21)
    generation = {
        "id": gid,
        "type": "flowGenerations",
        "attributes": {
            "flowType": "vacancy_application_flow",
            "parameters": PARAMETERS,
            "context": {"type": "text", "value": VACANCY},
            "flowId": fid,
            "status": "finished",
            "cost": 3,
            "createdAt": created,
            "updatedAt": updated,
        },
        "relationships": {
            "flow": {"data": _ident("flows", fid), "links": {"related": f"{BASE}/flows/{fid}"}}
        },
        "links": {"self": f"{BASE}/flow-generations/{gid}"},
    }
    flow = {
        "id": fid,
        "type": "flows",
        "attributes": {
            "name": f"Driver {i}",
            "reminderInterval": 60,
            "reminderMessage": "Are you still there? Reply to continue your application.",
            "sessionTimeout": 1440,
            "flowGenerationId": gid,
            "publishedAt": None,
            "unpublishedChanges": True,
            "createdAt": updated,
            "updatedAt": updated,
        },
        "relationships": {
            "nodes": {"data": [_ident("nodes", start), _ident("nodes", end)]},
            "flowGeneration": {"data": _ident("flowGenerations", gid)},
            "vacancy": {"links": {"related": f"{BASE}/flows/{fid}/vacancy"}},
        },
        "links": {"self": f"{BASE}/flows/{fid}"},
    }

    def node(nid: str, index: int, is_end: bool, actions: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "id": nid,
            "type": "nodes",
            "attributes": {
                "name": "Goodbye" if is_end else "Welcome",
                "index": index,
                "flowId": fid,
                "isStartFlow": not is_end,
                "isEndFlow": is_end,
                "endFlowType": "accepted" if is_end else None,
                "createdAt": updated,
                "updatedAt": updated,
            },
            "relationships": {
                "flow": {"data": _ident("flows", fid)},
                "nodeActions": {"data": actions},
                "nodeTransitions": {
                    "links": {"related": f"{BASE}/node-transitions?filter[nodeId]={nid}"}
                },
            },
            "links": {"self": f"{BASE}/nodes/{nid}"},
        }

    node_action = {
        "id": action,
        "type": "nodeActions",
        "attributes": {
            "actionType": "ask",
            "subType": "text",
            "value": {"text": "Hi! Do you have a driving licence B?"},
            "variableName": "drivers_license",
            "index": 0,
            "attachmentData": None,
            "createdAt": updated,
            "updatedAt": updated,
        },
        "relationships": {"node": {"data": _ident("nodes", start)}},
        "links": {"self": f"{BASE}/node-actions/{action}"},
    }
    included = [
        flow,
        node(start, 0, False, [_ident("nodeActions", action)]),
        node(end, 1, True, []),
        node_action,
    ]
    return generation, included


def page(n: int) -> bytes:
    """A compound page of ``n`` resources (a multiple of ``GROUP``) in all."""
    if n % GROUP:
        raise ValueError(f"the page size must be a multiple of {GROUP}")
    data: list[dict[str, Any]] = []
    included: list[dict[str, Any]] = []
    for i in range(n // GROUP):
        generation, more = group(i)
        data.append(generation)
        included += more
    url = f"{BASE}/flow-generations?include=flow.nodes.nodeActions&page[size]={n // GROUP}"
    return orjson.dumps(
        {
            "data": data,
            "included": included,
            "links": {"self": f"{url}&page[number]=1", "next": f"{url}&page[number]=2"},
            "meta": {"total": 10 * n, "pageCount": 10, "pageSize": n // GROUP, "pageNumber": 1},
        }
    )
