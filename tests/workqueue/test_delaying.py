"""The delaying queue: add_after on a heap with one waiting thread that sleeps
until the next ready time or an earlier item, through the queue's clock."""

from __future__ import annotations

import threading

import pytest

from generator.runtime.workqueue import DelayingQueue, FakeClock, RealClock

from .recording import eventually


class CountingClock(RealClock):
    """The real clock, counting the waits made through it."""

    def __init__(self) -> None:
        self.waits: list[float | None] = []

    def wait_until(
        self, condition: threading.Condition, deadline: float | None
    ) -> None:
        self.waits.append(deadline)
        super().wait_until(condition, deadline)


def waiting_threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"workqueue-{name}-delaying"]


def test_an_item_is_added_once_its_delay_has_passed() -> None:
    clock = FakeClock()
    queue: DelayingQueue[str] = DelayingQueue(clock=clock)
    queue.add_after("a", 1.0)
    assert len(queue) == 0
    assert queue.waiting() == 1
    clock.step(0.5)
    assert queue.get(timeout=0.05) == (None, False)
    clock.step(0.5)
    assert queue.get(timeout=10) == ("a", False)
    assert queue.waiting() == 0
    queue.shut_down()


def test_items_come_out_in_the_order_of_their_ready_times() -> None:
    clock = FakeClock()
    queue: DelayingQueue[str] = DelayingQueue(clock=clock)
    queue.add_after("late", 3.0)
    queue.add_after("first", 1.0)
    queue.add_after("middle", 2.0)
    queue.add("now")
    clock.step(3.0)
    assert eventually(lambda: len(queue) == 4)
    assert [queue.get()[0] for _ in range(4)] == ["now", "first", "middle", "late"]
    queue.shut_down()


def test_a_duplicate_keeps_the_earlier_ready_time() -> None:
    clock = FakeClock()
    queue: DelayingQueue[str] = DelayingQueue(clock=clock)
    queue.add_after("sooner", 5.0)
    queue.add_after("sooner", 1.0)  # moves it earlier
    queue.add_after("later", 1.0)
    queue.add_after("later", 5.0)  # does not postpone it
    assert queue.waiting() == 2
    clock.step(1.0)
    assert eventually(lambda: len(queue) == 2)
    got = sorted(str(queue.get()[0]) for _ in range(2))
    assert got == ["later", "sooner"]
    queue.done("later")
    queue.done("sooner")
    clock.step(10.0)  # the superseded entries do not fire a second time
    assert queue.get(timeout=0.05) == (None, False)
    assert queue.waiting() == 0
    queue.shut_down()


def test_no_delay_adds_at_once() -> None:
    queue: DelayingQueue[str] = DelayingQueue(name="no-delay", clock=FakeClock())
    queue.add_after("a", 0)
    queue.add_after("b", -1)
    assert len(queue) == 2
    assert queue.waiting() == 0
    assert waiting_threads("no-delay") == []  # no thread for no delay


def test_an_earlier_item_wakes_the_waiting_thread() -> None:
    # real clock: the thread sleeps toward an hour from now; a 10 ms item must not
    # wait behind it
    queue: DelayingQueue[str] = DelayingQueue(name="wake")
    queue.add_after("hour", 3600)
    queue.add_after("soon", 0.01)
    assert queue.get(timeout=30) == ("soon", False)
    queue.shut_down()


def test_the_waiting_thread_does_not_spin() -> None:
    clock = CountingClock()
    queue: DelayingQueue[str] = DelayingQueue(name="spin", clock=clock)
    queue.add_after("a", 3600)
    queue.add_after("b", 7200)  # later: no wake-up needed
    assert eventually(lambda: len(clock.waits) >= 1)
    assert queue.get(timeout=0.2) == (None, False)
    # one wait toward the earliest item (a spurious wake-up at most adds one)
    assert 1 <= len(clock.waits) <= 2
    assert all(deadline is not None for deadline in clock.waits)
    queue.shut_down()
    assert len(clock.waits) <= 3


def test_one_waiting_thread_per_queue_ended_and_joined_on_shut_down() -> None:
    clock = FakeClock()
    queue: DelayingQueue[int] = DelayingQueue(name="threads", clock=clock)
    for i in range(100):
        queue.add_after(i, 1.0 + i)
    assert len(waiting_threads("threads")) == 1
    queue.shut_down()
    assert waiting_threads("threads") == []  # joined before shut_down returned


def test_shut_down_drops_waiting_items_and_ignores_new_ones() -> None:
    clock = FakeClock()
    queue: DelayingQueue[str] = DelayingQueue(name="dropped", clock=clock)
    queue.add_after("a", 1.0)
    queue.shut_down()
    queue.add_after("b", 1.0)
    queue.add_after("c", 0)
    clock.step(2.0)
    assert queue.waiting() == 0
    assert queue.get(timeout=1) == (None, True)


def test_shut_down_with_drain_also_ends_the_waiting_thread() -> None:
    clock = FakeClock()
    queue: DelayingQueue[str] = DelayingQueue(name="drained", clock=clock)
    queue.add_after("a", 1.0)
    queue.add("b")
    queue.get()
    drainer = threading.Thread(target=queue.shut_down_with_drain)
    drainer.start()
    assert eventually(lambda: waiting_threads("drained") == [])
    assert drainer.is_alive()  # "b" is in flight
    queue.done("b")
    drainer.join(10)
    assert not drainer.is_alive()


def test_the_fake_clock_wakes_a_waiter_registered_before_the_step() -> None:
    clock = FakeClock()
    queue: DelayingQueue[str] = DelayingQueue(clock=clock)
    queue.add_after("a", 2.0)
    assert eventually(clock.has_waiters)
    clock.step(2.0)
    assert queue.get(timeout=10) == ("a", False)
    queue.shut_down()
    assert not clock.has_waiters()


def test_nan_delay_is_refused() -> None:
    queue: DelayingQueue[str] = DelayingQueue(clock=FakeClock())
    with pytest.raises(ValueError, match="NaN"):
        queue.add_after("a", float("nan"))
    with pytest.raises(ValueError, match="seconds must be >= 0"):
        FakeClock().step(-1)


def test_unhashable_delayed_item_gets_a_clear_error() -> None:
    queue: DelayingQueue[object] = DelayingQueue(clock=FakeClock())
    with pytest.raises(TypeError, match="hashable"):
        queue.add_after(["a"], 1.0)
    assert queue.waiting() == 0


def test_delays_too_long_for_a_timed_wait_do_not_kill_the_waiting_thread() -> None:
    # regression: Condition.wait(1e12) raised OverflowError in the waiting thread,
    # which died, and no delayed item came out again
    queue: DelayingQueue[str] = DelayingQueue(name="forever")
    queue.add_after("never", float("inf"))
    queue.add_after("far", 1e12)
    assert queue.get(timeout=0.05) == (None, False)
    queue.add_after("soon", 0.01)
    assert queue.get(timeout=10) == ("soon", False)
    assert len(waiting_threads("forever")) == 1
    queue.shut_down()
