"""The plain queue: fair FIFO, stingy (dirty and processing sets), get's timeout,
shutdown and drain -- as client-go's workqueue.Typed."""

from __future__ import annotations

import threading
import time

import pytest

from generator.runtime.workqueue import Queue

from .recording import eventually


def drain(queue: Queue[str]) -> list[str]:
    """Get (and finish) every item waiting, in order."""
    out = []
    while len(queue):
        item, shutdown = queue.get()
        assert not shutdown and item is not None
        out.append(item)
        queue.done(item)
    return out


def test_items_come_out_in_the_order_they_went_in() -> None:
    queue: Queue[str] = Queue()
    for key in ["c", "a", "b", "d"]:
        queue.add(key)
    assert len(queue) == 4
    assert drain(queue) == ["c", "a", "b", "d"]


def test_an_item_added_twice_while_waiting_is_handed_out_once() -> None:
    queue: Queue[str] = Queue()
    queue.add("a")
    queue.add("b")
    queue.add("a")
    assert len(queue) == 2
    assert drain(queue) == ["a", "b"]  # "a" keeps its first place


def test_an_item_added_while_processed_comes_back_once_after_done() -> None:
    queue: Queue[str] = Queue()
    queue.add("a")
    item, _ = queue.get()
    assert item == "a"
    queue.add("a")
    queue.add("a")
    # not handed to a second worker while the first holds it
    assert len(queue) == 0
    assert queue.get(timeout=0.01) == (None, False)
    queue.done("a")
    assert len(queue) == 1
    assert queue.get(timeout=1) == ("a", False)
    queue.done("a")
    assert len(queue) == 0


def test_done_without_a_new_add_does_not_requeue() -> None:
    queue: Queue[str] = Queue()
    queue.add("a")
    item, _ = queue.get()
    assert item == "a"
    queue.done("a")
    assert len(queue) == 0


def test_done_on_an_item_no_worker_holds_is_ignored() -> None:
    # client-go would append a second copy of a waiting item here
    queue: Queue[str] = Queue()
    queue.add("a")
    queue.done("a")
    queue.done("never-added")
    assert len(queue) == 1
    assert drain(queue) == ["a"]


def test_get_blocks_until_an_item_arrives() -> None:
    queue: Queue[str] = Queue()
    got: list[tuple[str | None, bool]] = []
    worker = threading.Thread(target=lambda: got.append(queue.get()))
    worker.start()
    assert eventually(lambda: queue._getters == 1)
    queue.add("a")
    worker.join(10)
    assert got == [("a", False)]


def test_get_with_a_timeout_returns_none_and_not_shutdown() -> None:
    queue: Queue[str] = Queue()
    started = time.monotonic()
    assert queue.get(timeout=0.05) == (None, False)
    assert time.monotonic() - started >= 0.05
    assert queue.get(timeout=0) == (None, False)
    queue.add("a")
    assert queue.get(timeout=0) == ("a", False)


def test_shut_down_hands_out_what_waits_then_reports_shutdown() -> None:
    queue: Queue[str] = Queue()
    queue.add("a")
    queue.add("b")
    queue.shut_down()
    assert queue.shutting_down()
    queue.add("c")  # ignored
    assert queue.get() == ("a", False)
    assert queue.get() == ("b", False)
    assert queue.get() == (None, True)
    assert queue.get(timeout=1) == (None, True)


def test_shut_down_wakes_every_blocked_worker() -> None:
    queue: Queue[str] = Queue()
    results: list[tuple[str | None, bool]] = []
    workers = [
        threading.Thread(target=lambda: results.append(queue.get())) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    assert eventually(lambda: queue._getters == 4)
    queue.shut_down()
    for worker in workers:
        worker.join(10)
    assert results == [(None, True)] * 4


def test_an_item_added_while_processed_is_still_handed_out_after_shut_down() -> None:
    queue: Queue[str] = Queue()
    queue.add("a")
    queue.get()
    queue.add("a")  # dirty before the shutdown: owed one more round
    queue.shut_down()
    queue.done("a")
    assert queue.get() == ("a", False)
    queue.done("a")
    assert queue.get() == (None, True)


def test_shut_down_with_drain_waits_for_items_in_flight() -> None:
    queue: Queue[str] = Queue()
    queue.add("a")
    queue.add("b")
    queue.get()
    queue.get()
    finished = threading.Event()

    def shut_down() -> None:
        queue.shut_down_with_drain()
        finished.set()

    drainer = threading.Thread(target=shut_down)
    drainer.start()
    assert eventually(queue.shutting_down)
    queue.add("c")  # ignored: shutting down
    queue.done("a")
    assert not finished.wait(0.05)  # "b" is still in flight
    queue.done("b")
    assert finished.wait(10)
    drainer.join(10)
    assert queue.get() == (None, True)


def test_shut_down_with_drain_returns_at_once_when_nothing_is_in_flight() -> None:
    queue: Queue[str] = Queue()
    queue.shut_down_with_drain()
    assert queue.get() == (None, True)


def test_shut_down_ends_a_drain_early() -> None:
    queue: Queue[str] = Queue()
    queue.add("a")
    queue.get()
    drainer = threading.Thread(target=queue.shut_down_with_drain)
    drainer.start()
    assert eventually(lambda: queue._drainers == 1)
    queue.shut_down()
    drainer.join(10)
    assert not drainer.is_alive()


def test_unhashable_items_get_a_clear_error() -> None:
    queue: Queue[object] = Queue()
    with pytest.raises(TypeError, match=r"hashable .*'namespace/name'.*got dict"):
        queue.add({"metadata": {"name": "a"}})
    with pytest.raises(TypeError, match="got list"):
        queue.done([1])
    assert len(queue) == 0


def test_items_of_any_hashable_type() -> None:
    queue: Queue[tuple[str, int]] = Queue()
    queue.add(("default/a", 1))
    queue.add(("default/a", 1))
    queue.add(("default/a", 2))
    assert len(queue) == 2


@pytest.mark.parametrize("timeout", [-1.0, float("nan")])
def test_a_bad_get_timeout_is_refused_by_name(timeout: float) -> None:
    queue: Queue[str] = Queue()
    with pytest.raises(ValueError, match=r"get\(timeout=.*\): .*>= 0"):
        queue.get(timeout=timeout)
