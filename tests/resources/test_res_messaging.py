"""Candidates, message threads, messages, message templates, conversations: every verb."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from recrubo_async import BadRequestError, Client, NotFoundError, ValidationError
from recrubo_async.models import (
    Candidate,
    Channel,
    ConversationStatus,
    DeliveryStatus,
    MediaMessage,
    MessageOrigin,
    TemplateCategory,
    TemplateComponent,
    TemplateMessage,
    TemplateStatus,
    TextMessage,
)
from recrubo_async.testing import Emulator


async def test_candidates_every_verb(api: Client) -> None:
    cand = await api.candidates.create(phone="31612345678", first_name="John", last_name="Doe")
    assert (cand.phone, cand.first_name, cand.email) == ("31612345678", "John", None)
    assert await api.candidates.retrieve(cand.id) == cand
    changed = await api.candidates.update(cand, first_name="Johnny", last_name=None)
    assert (changed.first_name, changed.last_name, changed.phone) == ("Johnny", None, "31612345678")
    assert [c.id async for c in api.candidates.list(filter={"first_name": "Johnny"})] == [cand.id]
    await api.candidates.delete(cand)
    with pytest.raises(NotFoundError):
        await api.candidates.retrieve(cand.id)


async def test_a_candidate_without_phone_is_a_422(api: Client) -> None:
    with pytest.raises(ValidationError) as info:
        await api.candidates.create(phone="")
    assert "/data/attributes/phone" in [e.pointer for e in info.value.errors]


async def test_message_threads_every_verb_with_a_candidate(api: Client) -> None:
    cand = await api.candidates.create(phone="31600000001")
    thread = await api.message_threads.create(
        channel="whatsapp", identifier="31600000001", candidate=cand
    )
    assert thread.channel is Channel.WHATSAPP
    assert thread.chatbot_paused is False
    got = await api.message_threads.retrieve(thread.id, include="candidate")
    assert isinstance(got.candidate, Candidate) and got.candidate.id == cand.id
    paused = await api.message_threads.update(thread, chatbot_paused=True)
    assert paused.chatbot_paused is True
    listed = await api.message_threads.list(filter={"identifier": "31600000001"})
    assert [t.id for t in listed] == [thread.id]
    await api.message_threads.delete(thread.id)
    with pytest.raises(NotFoundError):
        await api.message_threads.retrieve(thread.id)


async def test_messages_every_verb_and_payload_builders(api: Client) -> None:
    thread = await api.message_threads.create(channel="whatsapp", identifier="31600000002")
    text = await api.messages.create(
        send_by="John", message_thread_id=thread, payload=TextMessage("Hi, how are you!")
    )
    assert text.payload == {"type": "text", "text": {"value": "Hi, how are you!"}}
    assert text.origin is MessageOrigin.OUTBOUND
    assert isinstance(text.delivery_status, DeliveryStatus)
    template = await api.messages.create(
        send_by="Recrubo",
        message_thread_id=thread.id,
        payload=TemplateMessage.of("7f8a9715", body=["Recrubo"]),
    )
    assert template.payload is not None
    assert template.payload["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "Recrubo"}]}
    ]
    media = await api.messages.create(
        send_by="Recrubo",
        message_thread_id=thread,
        payload=MediaMessage.of("image", "https://cdn.example/a.png", caption="Map"),
    )
    assert media.payload == {
        "type": "image",
        "image": {"url": "https://cdn.example/a.png", "caption": "Map"},
    }
    assert await api.messages.retrieve(text.id) == text
    edited = await api.messages.update(text, payload={"type": "text", "text": {"value": "Hi!"}})
    assert edited.payload == {"type": "text", "text": {"value": "Hi!"}}
    newest = await api.messages.list(filter={"message_thread_id": thread.id}, sort="-created_at")
    assert len(newest) == 3
    await api.messages.delete(media)
    with pytest.raises(NotFoundError):
        await api.messages.retrieve(media.id)


async def test_messages_filter_operators_against_the_emulator(api: Client, emu: Emulator) -> None:
    thread = await api.message_threads.create(channel="sms", identifier="31600000003")
    first = await api.messages.create(
        send_by="Alice", message_thread_id=thread, payload=TextMessage("one")
    )
    await emu.advance(10)
    second = await api.messages.create(
        send_by="Bob", message_thread_id=thread, payload=TextMessage("two")
    )
    assert first.created_at is not None
    after = first.created_at + timedelta(seconds=1)

    async def ids(**filter: object) -> list[str]:
        page = await api.messages.list(filter=filter, sort="created_at")  # type: ignore[arg-type]
        return [m.id for m in page]

    assert await ids(created_at={"gt": after}) == [second.id]
    assert await ids(created_at={"gte": first.created_at}) == [first.id, second.id]
    assert await ids(created_at={"lt": after}) == [first.id]
    assert await ids(created_at={"lte": datetime(2000, 1, 1, tzinfo=timezone.utc)}) == []
    assert await ids(send_by={"eq": "Alice"}) == [first.id]
    assert await ids(send_by={"eq": "alice"}) == []
    assert await ids(send_by={"eql": "alice"}) == [first.id]
    assert await ids(send_by={"prefix": "Bo"}) == [second.id]
    assert await ids(send_by={"suffix": "ice"}) == [first.id]
    assert await ids(send_by={"match": ["Alice", "Bob"]}) == [first.id, second.id]
    assert await ids(send_by=["Bob", "Carol"]) == [second.id]


async def test_message_templates_create_retrieve_list_delete(api: Client, emu: Emulator) -> None:
    template = await api.message_templates.create(
        name="start_application",
        components=[
            TemplateComponent.header("Recrubo application!"),
            TemplateComponent.body("Hi {{1}}, great to see you!", ["John"]),
            TemplateComponent.footer("Team Recrubo"),
        ],
        language="en",
        category=TemplateCategory.MARKETING,
    )
    assert template.status is TemplateStatus.PENDING
    assert template.category is TemplateCategory.MARKETING
    assert template.components is not None
    assert template.components[1]["example"] == {"body_text": [["John"]]}
    await emu.advance(60)
    approved = await api.message_templates.retrieve(template.id)
    assert approved.status is TemplateStatus.APPROVED
    assert [t.id for t in await api.message_templates.list()] == [template.id]
    await api.message_templates.delete(template)
    with pytest.raises(NotFoundError):
        await api.message_templates.retrieve(template.id)


async def test_a_duplicate_template_is_metas_400_with_an_object_detail(api: Client) -> None:
    kwargs = {
        "name": "dup",
        "components": [{"type": "BODY", "text": "Hello"}],
        "language": "en",
        "category": "UTILITY",
    }
    await api.message_templates.create(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(BadRequestError) as info:
        await api.message_templates.create(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value.errors[0].detail, dict)


async def test_conversations_list_retrieve_update(api: Client) -> None:
    cand = await api.candidates.create(phone="31600000004")
    thread = await api.message_threads.create(
        channel="whatsapp", identifier="31600000004", candidate=cand.id
    )
    (conv,) = (await api.conversations.list(filter={"message_thread_id": thread.id})).items
    assert conv.candidate_id == cand.id
    got = await api.conversations.retrieve(conv.id, include="candidate")
    assert isinstance(got.candidate, Candidate) and got.candidate.id == cand.id
    closed = await api.conversations.update(conv, status="closed", unread_messages=False)
    assert closed.status is ConversationStatus.CLOSED
    assert not hasattr(api.conversations, "create")
    assert not hasattr(api.conversations, "delete")
