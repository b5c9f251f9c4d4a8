"""BoundedTTLMap: the one bounded, expiring map behind InMemoryBus's latest states,
InMemoryDedupe's delivery ids and the receiver's newest states."""

from __future__ import annotations

import time

import pytest

from recrubo_async._bounded import BoundedTTLMap, check_max_entries


def test_past_the_bound_the_least_recently_written_key_is_forgotten() -> None:
    seen: BoundedTTLMap[str, int] = BoundedTTLMap(2)
    seen.put("a", 1)
    seen.put("b", 2)
    seen.put("a", 3)  # a rewrite makes "a" the newest
    seen.put("c", 4)
    assert len(seen) == 2
    assert (seen.get("a"), seen.get("b"), seen.get("c")) == (3, None, 4)


def test_reading_does_not_make_a_key_newer() -> None:
    seen: BoundedTTLMap[str, int] = BoundedTTLMap(2)
    seen.put("a", 1)
    seen.put("b", 2)
    assert seen.get("a") == 1
    seen.put("c", 3)
    assert seen.get("a") is None and seen.get("b") == 2


def test_an_expired_entry_reads_as_missing_and_is_dropped() -> None:
    seen: BoundedTTLMap[str, int] = BoundedTTLMap(10, ttl=0.001)
    seen.put("a", 1)
    seen.put("b", 2, 60)  # its own ttl
    time.sleep(0.01)
    assert len(seen) == 2  # expired entries are dropped when read, not before
    assert seen.get("a") is None
    assert len(seen) == 1
    assert seen.get("b") == 2


def test_entries_live_forever_by_default() -> None:
    seen: BoundedTTLMap[str, int] = BoundedTTLMap(1)
    seen.put("a", 1)
    assert seen.get("a") == 1


def test_discard_and_clear_forget() -> None:
    seen: BoundedTTLMap[str, int] = BoundedTTLMap(3)
    seen.put("a", 1)
    seen.put("b", 2)
    seen.discard("a")
    seen.discard("missing")
    assert (seen.get("a"), seen.get("b")) == (None, 2)
    seen.clear()
    assert len(seen) == 0


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "10", None])
def test_a_bound_must_be_an_int_of_one_or_more(bad: object) -> None:
    with pytest.raises(ValueError, match=r"Thing\(max=\.\.\.\) must be 1 or more"):
        check_max_entries("Thing(max=...)", bad)
    assert check_max_entries("Thing(max=...)", 1) == 1
