"""Hypothesis strategies for arbitrary JSON, shared by the codec's property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def json_scalars(*, text: int) -> st.SearchStrategy[Any]:
    """null, booleans, 64-bit integers and strings of up to ``text`` characters."""
    return st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=text)


def json_values(*, text: int, keys: int, leaves: int) -> st.SearchStrategy[Any]:
    """Any JSON value: scalars, finite floats, and small lists and objects of them."""
    return st.recursive(
        json_scalars(text=text) | st.floats(allow_nan=False, allow_infinity=False),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=keys), inner, max_size=3)
        ),
        max_leaves=leaves,
    )
