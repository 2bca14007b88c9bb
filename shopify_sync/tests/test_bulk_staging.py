"""`bulk_staging.read_ahead`: the full import's parser thread hands on failures and stops with its reader."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from shopify_sync.services.bulk_staging import read_ahead


def test_it_yields_every_item_in_order():
    assert list(read_ahead(iter(range(20)), ahead=2)) == list(range(20))


def test_a_failure_in_the_thread_is_raised_to_the_reader_after_what_came_before():
    def items() -> Iterator[int]:
        yield 1
        raise ValueError("unreadable line")

    reader = read_ahead(items())

    assert next(reader) == 1
    with pytest.raises(ValueError, match="unreadable line"):
        next(reader)


def test_a_reader_that_stops_early_stops_the_thread():
    produced: list[int] = []

    def items() -> Iterator[int]:
        for n in range(1000):
            produced.append(n)
            yield n

    reader = read_ahead(items())
    assert next(reader) == 0
    reader.close()

    assert not any(t.name == "bulk-import-read-ahead" for t in threading.enumerate())
    assert len(produced) <= 3  # one handed on, one waiting in the queue, one being put
