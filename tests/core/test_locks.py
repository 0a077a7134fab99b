"""Locks: one holder at a time, released at the end of the block or with the connection."""

import threading

import pytest
from django.db import connection, connections

from apps.core.lib import locks


def held_elsewhere(kind, ident):
    """Whether another connection (another thread) can take the lock now."""
    result = {}

    def other():
        try:
            with locks.try_lock(kind, ident) as held:
                result["held"] = held
        finally:
            connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    return result["held"]


@pytest.mark.django_db(transaction=True)
def test_a_held_lock_is_refused_to_another_holder():
    with locks.try_lock(1, 42) as held:
        assert held
        assert held_elsewhere(1, 42) is False


@pytest.mark.django_db(transaction=True)
def test_other_ids_and_kinds_are_other_locks():
    with locks.try_lock(1, 42):
        assert held_elsewhere(1, 43) is True
        assert held_elsewhere(2, 42) is True


@pytest.mark.django_db(transaction=True)
def test_the_lock_is_free_after_the_block():
    with locks.try_lock(1, 42):
        pass
    assert held_elsewhere(1, 42) is True


@pytest.mark.django_db(transaction=True)
def test_a_lost_connection_releases_the_lock():
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; other databases use the cache")
    lock = locks.try_lock(1, 42)
    assert lock.__enter__() is True
    connection.close()  # as when the worker holding it is killed
    assert held_elsewhere(1, 42) is True


def test_keys_stay_within_a_positive_64_bit_range():
    assert 0 < locks.advisory_key(255, 2**48 - 1) < 2**63


def test_ids_out_of_range_are_refused():
    with pytest.raises(ValueError, match="out of range"):
        locks.advisory_key(1, 2**48)
