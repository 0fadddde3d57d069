"""Named streams: a stream depends on entropy, run position and name only."""

from __future__ import annotations

import numpy as np

from ecosim.core.rng import Streams


def test_same_name_same_numbers_whatever_the_order() -> None:
    a = Streams(42)
    b = Streams(42)
    a_x = a.get("x").random(5)
    a_y = a.get("y").random(5)
    b_y = b.get("y").random(5)  # asked for in the other order
    b_x = b.get("x").random(5)
    np.testing.assert_array_equal(a_x, b_x)
    np.testing.assert_array_equal(a_y, b_y)


def test_names_replicates_and_futures_are_independent() -> None:
    base = Streams(42).get("jobs/US").random(8)
    assert not np.array_equal(base, Streams(42).get("jobs/EU").random(8))
    assert not np.array_equal(base, Streams(42, replicate=1).get("jobs/US").random(8))
    assert not np.array_equal(base, Streams(42, future=1).get("jobs/US").random(8))
    assert not np.array_equal(base, Streams(43).get("jobs/US").random(8))


def test_fresh_restarts_a_stream_and_get_keeps_its_state() -> None:
    s = Streams(7)
    first = s.get("a").random(3)
    second = s.get("a").random(3)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(s.fresh("a").random(3), first)


def test_spawn_key_is_future_then_replicate() -> None:
    s = Streams(11, future=3, replicate=5)
    assert s.root.spawn_key == (3, 5)
    assert s.seed_sequence("x").spawn_key[:2] == (3, 5)
