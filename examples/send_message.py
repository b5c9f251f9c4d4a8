"""Sending messages: the "Sending messages" guide, on a WhatsApp thread.

1. opens a WhatsApp message thread with a candidate's number;
2. submits a message template and waits (a bounded poll) until it is reviewed;
3. sends a template message (``TemplateMessage.of``): on WhatsApp a business may only
   start a conversation with an approved template;
4. sends a text message (``TextMessage``): allowed within 24 hours of the candidate's
   last message (the emulator does not model that window);
5. lists the thread's messages with their delivery status, once it has settled.

::

    python examples/send_message.py

Runs against the embedded emulator, or a real API when ``RECRUBO_API_KEY`` and
``RECRUBO_BASE_URL`` are set. There a template is reviewed by Meta, which can take longer
than this script waits, and the number below is not a real one: expect ``failed``.
A service would subscribe to ``messages`` webhooks for delivery statuses rather than poll.
"""

from __future__ import annotations

import asyncio
import secrets
import time

from _target import api_target

from recrubo_async import Client
from recrubo_async.models import (
    Message,
    MessageTemplate,
    MessageThread,
    TemplateComponent,
    TemplateMessage,
    TextMessage,
)

CANDIDATE_PHONE = "31612345678"  # international form, no "+"
SETTLED = {"delivered", "read", "failed"}


async def reviewed(client: Client, template: MessageTemplate, *, timeout: float) -> MessageTemplate:
    """The template once its review is over (or as it is when ``timeout`` seconds passed)."""
    deadline = time.monotonic() + timeout
    while template.status == "PENDING" and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        template = await client.message_templates.retrieve(template)
    return template


async def settled_messages(
    client: Client, thread: MessageThread, *, timeout: float
) -> list[Message]:
    """The thread's messages, oldest first, once each delivery status is final (or timed out)."""
    deadline = time.monotonic() + timeout
    while True:
        messages = await client.messages.list(
            filter={"message_thread_id": thread.id}, sort="created_at"
        ).to_list()
        if all(m.delivery_status in SETTLED for m in messages) or time.monotonic() > deadline:
            return messages
        await asyncio.sleep(0.25)


async def main() -> None:
    async with (
        api_target(speed=4) as target,  # emulated time at 4x: the review takes 0.5 s
        Client(target.api_key, base_url=target.base_url) as client,
    ):
        thread = await client.message_threads.create(channel="whatsapp", identifier=CANDIDATE_PHONE)
        print(f"1. Thread {thread.id} ({thread.channel}, {thread.identifier})")

        # Template names are unique per language, and a template cannot be changed: a new
        # wording needs a new name.
        template = await client.message_templates.create(
            name=f"interview_invite_{secrets.token_hex(3)}",
            language="en",
            category="UTILITY",
            components=[
                TemplateComponent.body(
                    "Hi {{1}}, can you come for an interview on {{2}}?", ["Sam", "Monday"]
                ),
                TemplateComponent.footer("Recrubo Recruitment"),
            ],
        )
        print(f"2. Template {template.name!r} submitted: {template.status}")
        template = await reviewed(client, template, timeout=20)
        print(f"   after review: {template.status}")
        try:
            if template.status != "APPROVED":
                print("   not approved (yet): nothing sent")
                return

            sent = await client.messages.create(
                send_by="Recrubo",
                message_thread_id=thread,
                # Fills {{1}} and {{2}} of the body.
                payload=TemplateMessage.of(template, body=["Sam", "Monday 10:00"]),
            )
            print(f"3. Template message {sent.id}: {sent.delivery_status}")

            sent = await client.messages.create(
                send_by="John",
                message_thread_id=thread,
                payload=TextMessage("Great, see you then! Ask for John at the front desk."),
            )
            print(f"4. Text message {sent.id}: {sent.delivery_status}")

            print("5. The thread's messages, oldest first:")
            for message in await settled_messages(client, thread, timeout=20):
                payload = message.payload or {}
                kind = payload.get("type")
                print(f"   {message.origin} {kind} by {message.send_by}: {message.delivery_status}")
        finally:
            # Leave the organization as it was; deleting the thread deletes its messages.
            await client.message_threads.delete(thread)
            await client.message_templates.delete(template)
            print("Cleaned up the thread and the template")


if __name__ == "__main__":
    asyncio.run(main())
