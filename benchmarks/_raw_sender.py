"""A raw-socket webhook sender: the load of the ASGI receiver benchmark, in its own process.

Run as ``python -m benchmarks._raw_sender PORT REQUESTS CONCURRENCY WARMUP [SERVER_PID]``.
It builds every request's bytes first (a FlowGeneration delivery as Recrubo sends it, each
with its own payload id, resource id and ``updatedAt``), opens ``CONCURRENCY`` keep-alive
connections, sends ``WARMUP`` requests untimed, then ``REQUESTS`` timed ones, one at a
time per connection (no pipelining: a webhook sender waits for each answer), and prints
one JSON line: payloads per second, its own CPU time, and the server's CPU time over the
timed part (read from ``/proc/SERVER_PID/stat``, where there is one).

No HTTP library and no event loop: a ``selectors`` loop over blocking sockets, reading
only what a response needs (status, ``Content-Length``), so its cost per request is a
small part of the server's and the server sets the pace, not the sender.
"""

from __future__ import annotations

import os
import re
import selectors
import socket
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

#: The organization's secret both servers are given.
SECRET = "bench-secret"
#: Fails the run rather than hanging: no answer on any connection for this long.
STALL_SECONDS = 30.0
_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_T0 = datetime(2026, 6, 7, 5, 28, 9, 714000, tzinfo=timezone.utc)

#: The seed's FlowGeneration parameters (``seeds/``, "Example POST body").
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
#: A vacancy text of a realistic length (about 1.2 KB), as the generation's context.
VACANCY = (
    "Driver wanted in Amsterdam. You deliver parcels to homes and businesses in the city "
    "and its surroundings, in an electric van. You start at our depot at 7:00, load your "
    "own route and are back by 16:00. We offer a permanent contract after six months, a "
    "travel allowance, 25 days of holiday and training for your code 95. "
) * 4


def delivery(index: int) -> bytes:
    """One ``update`` delivery of a finished FlowGeneration, shaped like the emulator's."""
    gid, flow_id = str(uuid.uuid4()), str(uuid.uuid4())
    base = "https://api.recrubo.app/public/v2"
    resource = {
        "type": "flowGenerations",
        "id": gid,
        "attributes": {
            "flowType": "vacancy_application_flow",
            "parameters": PARAMETERS,
            "context": {"type": "text", "value": VACANCY},
            "flowId": flow_id,
            "status": "finished",
            "cost": 3,
            "createdAt": _T0.isoformat().replace("+00:00", "Z"),
            "updatedAt": (_T0 + timedelta(seconds=12, milliseconds=index))
            .isoformat()
            .replace("+00:00", "Z"),
        },
        "relationships": {"flow": {"links": {"related": f"{base}/flows/{flow_id}"}}},
        "links": {"self": f"{base}/flow-generations/{gid}"},
    }
    return orjson.dumps(
        {
            "data": {
                "type": "webhookPayload",
                "id": str(uuid.uuid4()),
                "attributes": {
                    "webhookId": "5a7a2f4e-0d5c-4b8e-9a37-3f6f0e2b1c11",
                    "event": "update",
                    "fields": ["status", "flowId", "updatedAt"],
                    "resource": resource,
                },
            }
        }
    )


def request(port: int, body: bytes) -> bytes:
    head = (
        f"POST /webhooks HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"User-Agent: Recrubo-Webhooks/1.0\r\n"
        f"Content-Type: application/vnd.api+json\r\n"
        f"X-Recrubo-Webhook-Secret: {SECRET}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def server_cpu(pid: int | None) -> float | None:
    """The server process's user + system CPU seconds so far, where ``/proc`` says."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def send_all(conns: list[socket.socket], requests: list[bytes]) -> None:
    """Send every request, one at a time per connection; every answer must be a 200."""
    selector = selectors.DefaultSelector()
    buffers: dict[int, bytearray] = {}
    total = len(requests)
    sent = 0
    for sock in conns[:total]:
        selector.register(sock, selectors.EVENT_READ)
        buffers[sock.fileno()] = bytearray()
        sock.sendall(requests[sent])
        sent += 1
    pending = sent
    try:
        while pending:
            ready = selector.select(STALL_SECONDS)
            if not ready:
                raise RuntimeError(f"no answer within {STALL_SECONDS:.0f}s")
            for key, _ in ready:
                conn = key.fileobj
                assert isinstance(conn, socket.socket)
                chunk = conn.recv(65536)
                if not chunk:
                    raise RuntimeError("the server closed a keep-alive connection")
                buf = buffers[key.fd]
                buf += chunk
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    continue
                match = _LENGTH.search(buf, 0, end)
                length = int(match.group(1)) if match else 0
                if len(buf) < end + 4 + length:
                    continue
                if buf[9:12] != b"200":
                    raise RuntimeError(f"answer {bytes(buf[: end + 4 + length])!r}")
                del buf[:]
                pending -= 1
                if sent < total:
                    conn.sendall(requests[sent])
                    sent += 1
                    pending += 1
    finally:
        selector.close()


def main() -> None:
    port, total, concurrency, warmup = (int(arg) for arg in sys.argv[1:5])
    pid = int(sys.argv[5]) if len(sys.argv) > 5 else None
    warm = [request(port, delivery(i)) for i in range(warmup)]
    timed = [request(port, delivery(warmup + i)) for i in range(total)]
    conns = []
    for _ in range(concurrency):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conns.append(sock)
    try:
        send_all(conns, warm)
        cpu_before, server_before = time.process_time(), server_cpu(pid)
        started = time.perf_counter()
        send_all(conns, timed)
        seconds = time.perf_counter() - started
        cpu, server_after = time.process_time() - cpu_before, server_cpu(pid)
    finally:
        for sock in conns:
            sock.close()
    server = (
        server_after - server_before
        if server_after is not None and server_before is not None
        else None
    )
    result = {
        "per_s": total / seconds,
        "seconds": seconds,
        "request_bytes": len(timed[0]),
        "sender_cpu_us": cpu / total * 1e6,
        "server_cpu_us": server / total * 1e6 if server is not None else None,
    }
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
