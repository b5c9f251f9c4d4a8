"""The order in which the benchmarks' setups take their slices favours none of them.

A benchmark's verdict is the median of paired slices; a setup that always went first in a
turn or a round, or always followed the same other setup, would carry that position's
disturbance into every pair (``benchmarks/otel.py`` once ran its absent setup first in
every turn: with two names, reversing every other turn undid the rotation).
"""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks._common import paired_turn_order, turn_order


@pytest.mark.parametrize("count", [2, 3, 4, 5])
def test_each_name_goes_first_as_often_and_leads_its_neighbours_as_often(count: int) -> None:
    names = [chr(ord("a") + i) for i in range(count)]
    turns = [turn_order(names, t) for t in range(2 * count * 6)]
    assert all(sorted(order) == names for order in turns)
    firsts = Counter(order[0] for order in turns)
    assert set(firsts.values()) == {12}
    # A rotation keeps the cyclic order, so each name only ever runs next to its two
    # cyclic neighbours (one, for two names): before each of them and after it as often.
    neighbours = Counter((order[i], order[i + 1]) for order in turns for i in range(count - 1))
    assert len(neighbours) == (2 if count == 2 else 2 * count)
    assert len(set(neighbours.values())) == 1


@pytest.mark.parametrize(("rounds", "slices"), [(18, 4), (12, 2), (12, 8), (36, 2), (36, 4)])
def test_a_pair_is_side_by_side_and_neither_half_is_favoured(rounds: int, slices: int) -> None:
    names = ["sdk", "lean", "aiohttp", "httpx"]
    pair = ("sdk", "lean")
    round_firsts: Counter[str] = Counter()
    pair_firsts: Counter[str] = Counter()
    after: Counter[tuple[str, str]] = Counter()
    for r in range(rounds):
        played: list[str] = []
        for s in range(slices):
            order = paired_turn_order(names, pair, r, s, slices)
            assert sorted(order) == sorted(names)
            i = order.index("sdk")
            j = order.index("lean")
            assert abs(i - j) == 1, order  # nothing runs between the two halves
            pair_firsts[order[min(i, j)]] += 1
            played += order
        round_firsts[played[0]] += 1
        after.update((played[k - 1], played[k]) for k in range(1, len(played)))
    assert pair_firsts["sdk"] == pair_firsts["lean"] > 0
    assert round_firsts["sdk"] == round_firsts["lean"] > 0
    for other in ("aiohttp", "httpx"):
        assert after[(other, "sdk")] == after[(other, "lean")] > 0
