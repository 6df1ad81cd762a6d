"""router/limits.py: a sliding window of look-ups per key, the least recently used keys forgotten.

Time is whatever `now` the caller passes (seconds, like time.monotonic()).
"""

from __future__ import annotations

from router.limits import SlidingLimit


def test_the_limit_is_reached_after_limit_events() -> None:
    limit = SlidingLimit(3, 60)
    for t in (0.0, 1.0, 2.0):
        assert not limit.exceeded("alice", t)
        limit.record("alice", t)
    assert limit.exceeded("alice", 3.0)


def test_events_leave_the_window() -> None:
    limit = SlidingLimit(2, 10)
    limit.record("alice", 0.0)
    limit.record("alice", 4.0)
    assert limit.exceeded("alice", 9.0)
    assert limit.exceeded("alice", 10.0)  # the first event is exactly 10 s old: still in
    assert not limit.exceeded("alice", 10.5)  # now it has left
    limit.record("alice", 10.5)
    assert limit.exceeded("alice", 14.0)
    assert not limit.exceeded("alice", 14.5)
    assert not limit.exceeded("alice", 100.0)


def test_counts_are_per_key() -> None:
    limit = SlidingLimit(2, 3600)
    limit.record("alice", 0.0)
    limit.record("alice", 1.0)
    limit.record("ben", 1.0)
    assert limit.exceeded("alice", 2.0)
    assert not limit.exceeded("ben", 2.0)
    assert not limit.exceeded("carol", 2.0)
    limit.record("ben", 2.0)
    assert limit.exceeded("ben", 3.0)


def test_checking_does_not_count() -> None:
    limit = SlidingLimit(1, 3600)
    for t in range(10):
        assert not limit.exceeded("alice", float(t))
    limit.record("alice", 10.0)
    assert limit.exceeded("alice", 11.0)


def test_a_window_of_an_hour() -> None:
    limit = SlidingLimit(10, 3600)
    for minute in range(10):
        limit.record("alice", minute * 60.0)
    assert limit.exceeded("alice", 3599.0)
    assert not limit.exceeded("alice", 3600.5)  # the minute-0 event is gone


def test_the_least_recently_used_key_is_forgotten() -> None:
    limit = SlidingLimit(1, 3600, keys=2)
    limit.record("alice", 0.0)
    limit.record("ben", 1.0)
    limit.record("carol", 2.0)
    assert list(limit.events) == ["ben", "carol"]
    assert not limit.exceeded("alice", 3.0)  # forgotten, so counted afresh


def test_using_a_key_keeps_it() -> None:
    limit = SlidingLimit(1, 3600, keys=2)
    limit.record("alice", 0.0)
    limit.record("ben", 1.0)
    assert limit.exceeded("alice", 2.0)  # alice is now the most recently used
    limit.record("carol", 3.0)
    assert list(limit.events) == ["alice", "carol"]
    assert limit.exceeded("alice", 4.0)
    assert not limit.exceeded("ben", 4.0)


def test_the_number_of_keys_stays_bounded() -> None:
    limit = SlidingLimit(5, 3600, keys=100)
    for n in range(1000):
        limit.record(f"sender-{n}", float(n))
    assert len(limit.events) == 100
    assert next(iter(limit.events)) == "sender-900"
