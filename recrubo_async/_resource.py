"""Shared machinery of every resource: paths, request/decode, and the verb mixins.

A resource module only declares its path, model and the verbs the API documents for it;
what it sends through is ``ClientCore`` (``_core.py``), its ids come from ``_ids.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from ._core import ClientCore
from ._ids import resource_id
from ._jsonapi import RelationshipValue
from ._pagination import DEFAULT_PAGE_SIZE, Page, Paginator, QueryList
from ._query import (
    Fields,
    Filter,
    Include,
    Sort,
    check_page_size,
    fields_params,
    filter_params,
    include_paths,
    sort_param,
)
from ._types import NOT_GIVEN, NotGiven, TimeoutLike
from .models._base import Resource

_M = TypeVar("_M", bound=Resource)


class APIResource(Generic[_M]):
    """Base of ``client.<resource>``; holds the shared request/decode steps."""

    _path: ClassVar[str]
    _model: ClassVar[type[Resource]]

    def __init__(self, core: ClientCore) -> None:
        self._core = core

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._path}>"

    def _item_path(self, id: str | Resource) -> str:
        if type(id) is str:  # the common call, as cheap as before the model check
            return f"{self._path}/{resource_id(id)}"
        return f"{self._path}/{resource_id(id, 'id', self._model.TYPE)}"

    def _decode(self, body: bytes) -> _M:
        return self._core.codec.decode_data(body, self._model)  # type: ignore[return-value]

    def _create_body(
        self,
        attributes: Mapping[str, Any],
        relationships: Mapping[str, RelationshipValue | NotGiven] | None = None,
    ) -> bytes:
        """A create's request document (also what an idempotent create fingerprints)."""
        # In a create, None means "not given": optional fields are left out, not nulled.
        return self._core.codec.encode_write(
            self._model.TYPE,
            {k: v for k, v in attributes.items() if v is not None},
            relationships={k: v for k, v in (relationships or {}).items() if v is not None},
        )

    async def _create(
        self,
        attributes: Mapping[str, Any],
        *,
        relationships: Mapping[str, RelationshipValue | NotGiven] | None = None,
        params: QueryList | None = None,
        timeout: TimeoutLike | NotGiven,
    ) -> _M:
        return await self._post(
            self._create_body(attributes, relationships), params=params, timeout=timeout
        )

    async def _post(
        self, body: bytes, *, params: QueryList | None, timeout: TimeoutLike | NotGiven
    ) -> _M:
        """POST an encoded create document to the collection and decode the answer."""
        answer = await self._core.request(
            "POST", self._path, params=params, body=body, timeout=timeout
        )
        return self._decode(answer)

    async def _update(
        self,
        id: str | Resource,
        attributes: Mapping[str, Any],
        *,
        relationships: Mapping[str, RelationshipValue | NotGiven] | None = None,
        timeout: TimeoutLike | NotGiven,
    ) -> _M:
        """PATCH the given fields only; ``NOT_GIVEN`` ones are left out.

        Raises:
            ValueError: no field was given.
        """
        given_any = any(v is not NOT_GIVEN for v in attributes.values()) or any(
            v is not NOT_GIVEN for v in (relationships or {}).values()
        )
        if not given_any:
            raise ValueError(
                f"{type(self).__name__}.update() got nothing to change; pass at least one field"
            )
        # The path gets the quoted id, the document the id itself (quoting twice would
        # turn "a b" into "a%2520b").
        path = self._item_path(id)
        body = self._core.codec.encode_write(
            self._model.TYPE,
            attributes,
            relationships=relationships,
            id=id.id if isinstance(id, Resource) else id,
        )
        body = await self._core.request("PATCH", path, body=body, timeout=timeout)
        return self._decode(body)

    async def _delete_one(self, id: str | Resource, *, timeout: TimeoutLike | NotGiven) -> None:
        await self._core.request("DELETE", self._item_path(id), timeout=timeout)

    def _paginate(
        self,
        *,
        filter: Filter | None,
        sort: Sort | None,
        include: Include | None,
        fields: Fields | None,
        page_size: int | None,
        max_items: int | None,
        timeout: TimeoutLike | NotGiven,
    ) -> Paginator[_M]:
        query: QueryList = []
        if filter:
            query.extend(filter_params(filter))
        if sort is not None:
            query.append(("sort", sort_param(sort)))
        if include is not None:
            query.append(("include", ",".join(include_paths(include, self._model))))
        if fields is not None:
            query.extend(fields_params(fields))
        size = DEFAULT_PAGE_SIZE
        if page_size is not None:
            size = check_page_size(page_size)
            query.append(("page[size]", str(size)))

        async def fetch(params: QueryList) -> Page[_M]:
            body = await self._core.request("GET", self._path, params=params, timeout=timeout)
            doc = self._core.codec.decode_document(body)
            data = doc.data if isinstance(doc.data, list) else []
            number = _page_number(params)
            return Page(
                items=tuple(data),  # type: ignore[arg-type]
                links=doc.links,
                meta=doc.meta,
                included=tuple(doc.included),
                number=number,
                size=size,
            )

        return Paginator(fetch, query, max_items=max_items)


def _page_number(params: QueryList) -> int:
    for key, value in params:
        if key == "page[number]" and value.isdigit():
            return int(value)
    return 1


class Retrievable(APIResource[_M]):
    async def retrieve(
        self,
        id: str | Resource,
        *,
        include: Include | None = None,
        fields: Fields | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> _M:
        """Fetch one resource by id.

        Raises:
            NotFoundError: no such resource in this organization.
        """
        params: QueryList | None = None
        if include is not None or fields is not None:
            params = []
            if include is not None:
                params.append(("include", ",".join(include_paths(include, self._model))))
            if fields is not None:
                params.extend(fields_params(fields))
        core = self._core
        body = await core.request("GET", self._item_path(id), params=params, timeout=timeout)
        return core.codec.decode_data(body, self._model)  # type: ignore[return-value]


class Listable(APIResource[_M]):
    def list(
        self,
        *,
        filter: Filter | None = None,
        sort: Sort | None = None,
        include: Include | None = None,
        fields: Fields | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Paginator[_M]:
        """List resources: ``await`` for the first page, ``async for`` for every item.

        Args:
            filter: ``{"status": "finished"}``, ``{"created_at": {"gt": dt}}``, lists for "any of".
            sort: ``"-created_at"`` or several keys.
            include: related resources to include (dotted paths).
            fields: sparse fieldsets, ``{"flows": ["name"]}``.
            page_size: 1 to 200 (the API's default is 25).
            max_items: stop iterating after this many items.
        """
        return self._paginate(
            filter=filter,
            sort=sort,
            include=include,
            fields=fields,
            page_size=page_size,
            max_items=max_items,
            timeout=timeout,
        )


class Deletable(APIResource[_M]):
    async def delete(
        self, id: str | Resource, *, timeout: TimeoutLike | NotGiven = NOT_GIVEN
    ) -> None:
        """Delete one resource by id."""
        await self._delete_one(id, timeout=timeout)
