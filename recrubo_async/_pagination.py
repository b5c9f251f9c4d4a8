"""Lists: a paginator that is awaitable (first page) and async-iterable (every item)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from typing import Any, Generic, TypeVar

import attrs
from yarl import URL

from .errors import PaginationCycleError
from .models._base import Resource

_M = TypeVar("_M", bound=Resource)

#: The API's page size when none is asked for.
DEFAULT_PAGE_SIZE = 25

QueryList = list[tuple[str, str]]
#: A query in a form that can be remembered: order does not change the page.
_QueryKey = tuple[tuple[str, str], ...]


@attrs.frozen(kw_only=True)
class Page(Generic[_M]):
    """One page of a list: its items, ``links``, ``meta`` and ``included`` resources."""

    items: tuple[_M, ...]
    links: Mapping[str, Any]
    meta: Mapping[str, Any]
    included: tuple[Resource, ...] = ()
    number: int = 1
    size: int = DEFAULT_PAGE_SIZE

    def __iter__(self) -> Iterator[_M]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> _M:
        return self.items[index]

    @property
    def has_next(self) -> bool:
        """True when the server links a next page, or (with no ``next`` link) the page is full."""
        if "next" in self.links:
            return bool(self.links["next"])
        return len(self.items) >= self.size

    def next_query(self, base: QueryList) -> QueryList:
        """Query parameters of the next page: those of ``links.next``, else page number + 1.

        Only the query of ``links.next`` is used, so a link can never send the API key to
        another host.
        """
        link = self.links.get("next")
        if isinstance(link, str) and link:
            return list(URL(link).query.items())
        kept = [(k, v) for k, v in base if k != "page[number]"]
        return [*kept, ("page[number]", str(self.number + 1))]


Fetch = Callable[[QueryList], Awaitable["Page[_M]"]]


class Paginator(Generic[_M]):
    """``await`` it for the first ``Page``; ``async for`` it for every item on every page.

    Pages are fetched one at a time, only when the loop needs them, so breaking out of the
    loop leaves nothing running.
    """

    def __init__(self, fetch: Fetch[_M], query: QueryList, *, max_items: int | None = None) -> None:
        if max_items is not None and max_items < 0:
            raise ValueError(f"max_items must be 0 or more; got {max_items}")
        self._fetch = fetch
        self._query = query
        self._max_items = max_items

    def __await__(self) -> Generator[Any, None, Page[_M]]:
        return self._fetch(self._query).__await__()

    def __aiter__(self) -> AsyncIterator[_M]:
        return _Items(self)

    def pages(self) -> AsyncIterator[Page[_M]]:
        """Every page in turn (``max_items`` not applied)."""
        return _Pages(self)

    async def to_list(self) -> list[_M]:
        """Every item (up to ``max_items``) in a list."""
        return [item async for item in self]


class _Items(Generic[_M]):
    """The item iterator behind ``async for``: a plain object, not a generator."""

    def __init__(self, paginator: Paginator[_M]) -> None:
        self._paginator = paginator
        self._query: QueryList | None = paginator._query
        self._buffer: Iterator[_M] = iter(())
        self._left = paginator._max_items
        self._seen: set[_QueryKey] = set()

    def __aiter__(self) -> _Items[_M]:
        return self

    async def __anext__(self) -> _M:
        if self._left is not None and self._left <= 0:
            raise StopAsyncIteration
        while True:
            item = next(self._buffer, None)
            if item is not None:
                if self._left is not None:
                    self._left -= 1
                return item
            if self._query is None:
                raise StopAsyncIteration
            page = await self._paginator._fetch(_unseen(self._query, self._seen))
            self._buffer = iter(page.items)
            self._query = _following(page, self._query)


class _Pages(Generic[_M]):
    """The page iterator behind ``pages()``: fetches one page per step, nothing ahead."""

    def __init__(self, paginator: Paginator[_M]) -> None:
        self._paginator = paginator
        self._query: QueryList | None = paginator._query
        self._seen: set[_QueryKey] = set()

    def __aiter__(self) -> _Pages[_M]:
        return self

    async def __anext__(self) -> Page[_M]:
        if self._query is None:
            raise StopAsyncIteration
        page = await self._paginator._fetch(_unseen(self._query, self._seen))
        self._query = _following(page, self._query)
        return page


def _key(query: QueryList) -> _QueryKey:
    return tuple(sorted(query))


def _following(page: Page[Any], query: QueryList) -> QueryList | None:
    """The next page's query, or None when this page is the last.

    An empty page, or a ``next`` link that repeats the current query, ends the list so a
    confused server cannot make the loop spin forever.
    """
    if not page.has_next or not page.items:
        return None
    following = page.next_query(query)
    return None if _key(following) == _key(query) else following


def _unseen(query: QueryList, seen: set[_QueryKey]) -> QueryList:
    """``query``, remembered; a link back to an earlier page (A -> B -> A) raises.

    Checked before fetching, once the previous page's items were all handed out: the loop
    would never end, and stopping quietly would pass a partial list off as complete.

    Raises:
        PaginationCycleError: this page was already read.
    """
    key = _key(query)
    if key in seen:
        raise PaginationCycleError(
            f"the list's links.next leads back to a page already read ({_describe(query)}, "
            f"after {len(seen)} pages), so following it would never end; the API or a "
            "proxy rewriting its links is at fault. The pages read so far were distinct; "
            "narrow the list with filter= to need fewer pages, or report it to Recrubo",
            query=query,
        )
    seen.add(key)
    return query


def _describe(query: QueryList) -> str:
    return "&".join(f"{k}={v}" for k, v in query) or "the first page"
