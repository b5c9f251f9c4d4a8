"""Lists: pages, filters with operators, sorting, sparse fieldsets and includes.

Creates 30 candidates (and a WhatsApp thread for three of them), lists them in every way
``list()`` offers, then deletes what it made::

    python examples/pagination_and_filters.py

Runs against the embedded emulator, or a real API when ``RECRUBO_API_KEY`` and
``RECRUBO_BASE_URL`` are set. Every list is narrowed to this run's candidates (their
emails end in a random ``@<tag>.example.com``), so other data in the organization neither
shows up nor is touched.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable

from _target import api_target

from recrubo_async import Client
from recrubo_async.models import Candidate, MessageThread

FIRST_NAMES = ["Ada", "Bram", "Chloe", "Daan", "Emma", "Finn", "Mila", "Max", "Noah", "Sara"]


def names(candidates: Iterable[Candidate]) -> str:
    return ", ".join(str(c.first_name) for c in candidates)


async def create_candidates(client: Client, tag: str) -> list[list[Candidate]]:
    """30 candidates in 3 batches, one of each first name per batch, each batch at once."""
    phone = secrets.randbelow(10**4)
    batches: list[list[Candidate]] = []
    for batch in range(3):
        if batch:
            # Timestamps have millisecond precision: a short pause keeps the batches
            # apart, for the created_at filter below.
            await asyncio.sleep(0.05)
        # Concurrent creates: the client's one session pools the connections.
        made = await asyncio.gather(
            *(
                client.candidates.create(
                    phone=f"3161{phone:04d}{batch}{i}",
                    first_name=name,
                    last_name=f"Batch{batch}",
                    email=f"{name.lower()}.{batch}@{tag}.example.com",
                )
                for i, name in enumerate(FIRST_NAMES)
            )
        )
        batches.append(made)
    return batches


async def main() -> None:
    tag = secrets.token_hex(4)
    # "email ends with @<tag>.example.com": this run's candidates, and only those.
    mine = {"email": {"suffix": f"@{tag}.example.com"}}

    async with (
        api_target() as target,
        Client(target.api_key, base_url=target.base_url) as client,
    ):
        batches = await create_candidates(client, tag)
        candidates = [c for batch in batches for c in batch]
        print(f"Created {len(candidates)} candidates (emails @{tag}.example.com)")
        threads = [
            await client.message_threads.create(
                channel="whatsapp", identifier=str(c.phone), candidate=c
            )
            for c in candidates[:3]
        ]
        try:
            print("\n1. await: the first page only")
            page = await client.candidates.list(filter=mine, page_size=10)
            print(f"   {len(page.items)} items, has_next={page.has_next}, meta={dict(page.meta)}")

            print("\n2. async for: every item, fetching pages of 10 as the loop needs them")
            count = 0
            async for _ in client.candidates.list(filter=mine, page_size=10):
                count += 1
            print(f"   {count} candidates")

            print("\n3. max_items: stop after 7 (only one page of 10 is fetched)")
            first7 = await client.candidates.list(
                filter=mine, sort="first_name", page_size=10, max_items=7
            ).to_list()
            print(f"   {names(first7)}")

            print("\n4. .pages(): page by page")
            async for each in client.candidates.list(filter=mine, page_size=12).pages():
                print(f"   page {each.number}: {len(each)} items, has_next={each.has_next}")

            print("\n5. Filters with operators (all combined with AND)")
            cutoff = min(c.created_at for c in batches[2] if c.created_at is not None)
            later = await client.candidates.list(
                filter={**mine, "created_at": {"gte": cutoff}}, page_size=50
            )
            print(f"   created_at gte the third batch's first: {len(later)} candidates")
            either = await client.candidates.list(
                filter={**mine, "first_name": ["Ada", "Noah"]}, sort="email"
            )
            print(f"   first_name any of Ada, Noah: {len(either)}: {names(either)}")
            prefixed = await client.candidates.list(
                filter={**mine, "first_name": {"prefix": "M"}, "last_name": "Batch1"},
                sort="first_name",
            )
            print(f"   first_name prefix M, last_name Batch1: {names(prefixed)}")

            print("\n6. Sorting by several keys: first name, then last name descending")
            ordered = await client.candidates.list(
                filter=mine, sort=["first_name", "-last_name"], max_items=4
            ).to_list()
            print("   " + ", ".join(f"{c.first_name} {c.last_name}" for c in ordered))

            print("\n7. Sparse fieldsets: only the attributes asked for come back")
            sparse = await client.candidates.list(
                filter=mine, fields={"candidates": ["first_name", "email"]}, page_size=1
            )
            c = sparse.items[0]
            print(f"   first_name={c.first_name!r} email={c.email!r} phone={c.phone!r}")

            print("\n8. include: related threads resolved onto each candidate")
            with_threads = await client.candidates.list(
                filter={**mine, "id": [c.id for c in candidates[:3]]},
                include="message_threads",
                sort="first_name",
            )
            for c in with_threads:
                for thread in c.message_threads or ():
                    # Included resources arrive as typed models, not bare identifiers.
                    assert isinstance(thread, MessageThread)
                    print(f"   {c.first_name}: {thread.channel} thread {thread.identifier}")
        finally:
            # Leave the organization as it was.
            await asyncio.gather(*(client.message_threads.delete(t) for t in threads))
            await asyncio.gather(*(client.candidates.delete(c) for c in candidates))
            left = await client.candidates.list(filter=mine)
            print(f"\nCleaned up: {len(left)} of this run's candidates left")


if __name__ == "__main__":
    asyncio.run(main())
