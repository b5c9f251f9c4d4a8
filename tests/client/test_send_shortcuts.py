"""The sending layer's per-request shortcuts give what the long way gives.

``resource_id`` remembers the ids its regex passed (a set look-up instead of the regex on
every poll of a job), and ``_fits`` compares a declared ``Content-Length`` with fewer
digits than the limit without ``int()``. Both are checked against the rule they shortcut,
for any input; the calls over real sockets are in test_ids_safe.py and
test_response_limit.py.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from recrubo_async import _ids
from recrubo_async._http import _fits
from recrubo_async._ids import _PATH_SAFE, resource_id
from recrubo_async._validate import check_path_id
from recrubo_async.models import FlowGeneration

ids = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="abc019-_.~/%; \t", max_size=12),
    st.uuids().map(str),
)


def long_way(value: str) -> str:
    """``resource_id`` without its memory of ids: the regex, else the checked quoting."""
    if _PATH_SAFE.fullmatch(value) and value.strip(".") != "":
        return value
    return quote(check_path_id(value), safe="")


def outcome(value: str) -> str:
    try:
        return resource_id(value)
    except ValueError as exc:
        return f"ValueError: {exc}"


def long_outcome(value: str) -> str:
    try:
        return long_way(value)
    except ValueError as exc:
        return f"ValueError: {exc}"


@settings(max_examples=300, deadline=None)
@given(st.lists(ids, max_size=8))
def test_an_id_gives_the_same_path_segment_first_and_every_later_time(values: list[str]) -> None:
    for value in [*values, *values]:
        assert outcome(value) == long_outcome(value)
        if value in _ids._SAFE_IDS:
            assert _PATH_SAFE.fullmatch(value) and value.strip(".") != ""


@pytest.mark.parametrize("unsafe", ["", ".", "..", "...", "a b", "a/b", "é", "x;y", "%2e"])
def test_ids_the_regex_refuses_are_never_remembered(unsafe: str) -> None:
    outcome(unsafe)
    outcome(unsafe)
    assert unsafe not in _ids._SAFE_IDS


def test_a_model_and_its_id_give_the_same_segment_and_a_str_subclass_is_checked() -> None:
    generation = FlowGeneration(id="6d8f0c2e-8d84-4b52-9a43-5f3c1f0f4a11", type="flowGenerations")
    assert resource_id(generation) == resource_id(generation.id) == generation.id

    class Sneaky(str):
        pass

    # Equal to a remembered id, but not an exact str: the long way (which quotes it).
    assert resource_id(Sneaky(generation.id)) == generation.id
    assert type(resource_id(Sneaky(generation.id))) is str


def test_the_memory_of_ids_stays_bounded() -> None:
    for i in range(3 * _ids._SAFE_IDS_MAX):
        assert resource_id(f"id-{i}") == f"id-{i}"
        assert len(_ids._SAFE_IDS) <= _ids._SAFE_IDS_MAX


def headers(**values: str) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict({k.replace("_", "-"): v for k, v in values.items()}))


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="0123456789", min_size=1, max_size=12),
    st.integers(min_value=0, max_value=10**10),
)
def test_a_declared_length_fits_exactly_when_its_value_is_within_the_limit(
    length: str, limit: int
) -> None:
    assert _fits(headers(Content_Length=length), limit, len(str(limit))) is (int(length) <= limit)


@pytest.mark.parametrize(
    ("declared", "limit", "fits"),
    [
        ("99", 100, True),
        ("100", 100, True),
        ("101", 100, False),
        ("0000101", 100, False),
        ("000100", 100, True),
        ("1000", 999, False),
        ("12a", 10**6, False),
        ("-1", 10**6, False),
    ],
)
def test_content_length_against_the_limit(declared: str, limit: int, fits: bool) -> None:
    assert _fits(headers(Content_Length=declared), limit, len(str(limit))) is fits


def test_a_compressed_or_undeclared_body_does_not_fit_without_counting() -> None:
    assert not _fits(headers(Content_Length="10", Content_Encoding="gzip"), 100, 3)
    assert not _fits(headers(content_type="application/json"), 100, 3)
    assert _fits(headers(content_length="10"), 100, 3)  # header names are case-insensitive
