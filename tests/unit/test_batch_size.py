"""Group commit takes batches in a few sizes, so a storm's multi-row statements repeat their text."""

from __future__ import annotations

from bots.conversation import batch_size


def test_a_batch_is_the_largest_power_of_two_that_waits_up_to_the_most() -> None:
    assert [batch_size(n, 64) for n in (0, 1, 2, 3, 7, 8, 50, 64, 65, 1000)] == [0, 1, 2, 2, 4, 8, 32, 64, 64, 64]
    assert batch_size(100, 50) == 32


def test_a_storm_uses_few_sizes() -> None:
    sizes = set()
    for waiting in range(1, 2000):
        left = waiting
        while left:
            taken = batch_size(left, 64)
            sizes.add(taken)
            left -= taken
    assert sizes == {1, 2, 4, 8, 16, 32, 64}


def test_on_sqlite_a_batch_takes_everything_waiting_up_to_the_most() -> None:
    assert [batch_size(n, 64, any_size=True) for n in (0, 1, 3, 50, 64, 65, 1000)] == [0, 1, 3, 50, 64, 64, 64]
