"""The leader elector: acquire the lock, renew it, give it up (client-go's
``leaderelection.LeaderElector``).

Time is judged on the local clock only, as client-go does: a candidate notes
*when it observed* the record change, and takes the lock over once
``observed_time + leaseDurationSeconds`` has passed without a change. The
record's own renewTime is never compared with the local clock, so clock skew
between machines does not matter (only a difference in clock *rates* would).

Safety comes from two rules. A write is an update with the resourceVersion
read, so of two racing writers one gets 409 Conflict and loses. And the leader
stops leading ``renew_deadline`` after the *start* of its last successful
renewal, while others wait ``lease_duration`` (> renew_deadline) from a later
instant (they observed that renewal after it was written), so a leader cut off
from the server has stepped down before anyone else can take over.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
from collections.abc import Callable
from dataclasses import replace

from ..context import Context
from ..errors import (
    ApiError,
    Cancelled,
    Conflict,
    ConnectionFailed,
    NotFound,
    ResponseDecodeError,
)
from .clock import Clock, RealClock
from .config import JITTER_FACTOR, LeaderElectionConfig
from .lock import LockNotRead
from .record import LeaderElectionRecord, LeaseRecordError

__all__ = ["LeaderElector"]

_log = logging.getLogger(__package__ or "kubeclient")

#: what a failed request to the lock can raise (anything else is a bug: raised)
_LOCK_ERRORS = (
    ApiError,
    ConnectionFailed,
    Cancelled,
    LeaseRecordError,
    ResponseDecodeError,
    LockNotRead,
)


class LeaderElector:
    """Runs one candidate of a leader election::

    elector = LeaderElector(LeaderElectionConfig(lock=lock, callbacks=callbacks))
    elector.run(ctx)   # blocks until ctx is done or leadership is lost

    ``clock`` (a :class:`~.clock.FakeClock` in tests) and ``jitter`` (a
    ``random()`` in [0, 1)) are what the elector reads time and chance from.
    Many electors may run in one process (one per Lease): they share nothing.
    """

    def __init__(
        self,
        config: LeaderElectionConfig,
        *,
        clock: Clock | None = None,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        if not isinstance(config, LeaderElectionConfig):
            raise TypeError(
                f"LeaderElector needs a LeaderElectionConfig, got {type(config).__name__}"
            )
        self.config = config
        self.clock: Clock = clock if clock is not None else RealClock()
        self._random = jitter if jitter is not None else random.random
        self._identity = config.lock.identity
        self._label = f"{config.name or config.lock.describe()} ({self._identity})"
        self._state = threading.Lock()
        self._observed = LeaderElectionRecord()
        self._observed_time: float | None = None
        self._leading = False
        self._running = False
        self._renewed_at = 0.0  # clock.now() when the last successful write began
        self._claim_until = 0.0  # is_leader() is False from then on
        self._reported_leader = ""

    # -- what others may ask

    def is_leader(self) -> bool:
        """True from taking the lock until leadership ends (lost, or released).

        False from ``renew_deadline`` after the last successful renewal even
        while a renewal is still stuck in the network: by then another candidate
        may be about to take over."""
        with self._state:
            if not self._leading:
                return False
            claim_until = self._claim_until
        return self.clock.now() < claim_until

    def get_leader(self) -> str:
        """The identity of the last observed holder ("" if none yet)."""
        with self._state:
            return self._observed.holder_identity

    @property
    def observed_record(self) -> LeaderElectionRecord:
        with self._state:
            return self._observed

    def __repr__(self) -> str:
        state = "leading" if self.is_leader() else "not leading"
        return f"<LeaderElector {self._label} {state}>"

    # -- the loop

    def run(self, ctx: Context) -> None:
        """Acquire the lock, then renew it until ``ctx`` is done or a renewal
        fails for ``renew_deadline``; returns then (run it again to stand for
        election again). The callbacks' threads have ended when it returns
        (unless ``on_started_leading`` ignores its ctx for ``renew_deadline``)."""
        if not isinstance(ctx, Context):
            raise TypeError(
                f"LeaderElector.run needs a Context, got {type(ctx).__name__}"
            )
        with self._state:
            if self._running:
                raise RuntimeError(f"LeaderElector {self._label} is already running")
            self._running = True
        notifier = _Notifier(self.config.callbacks.on_new_leader, self._label)
        own = ctx.child()  # also cancelled when on_started_leading fails
        leader_ctx: Context | None = None
        leader_thread: threading.Thread | None = None
        try:
            _log.info("%s: trying to acquire lease", self._label)
            if not self._acquire(own, notifier):
                return
            leader_ctx = own.child()
            leader_thread = threading.Thread(
                target=self._lead,
                args=(leader_ctx, own),
                name=f"leader-election {self._label}: leading",
                daemon=True,
            )
            leader_thread.start()
            self._renew(own, notifier)
        finally:
            with self._state:
                still_leading = self._leading
                self._leading = False
            if leader_ctx is not None:
                leader_ctx.cancel()
                if leader_thread is not None:
                    leader_thread.join(self.config.renew_deadline)
                    if leader_thread.is_alive():
                        _log.warning(
                            "%s: on_started_leading ignores its cancelled context",
                            self._label,
                        )
                if still_leading and self.config.release_on_cancel:
                    self._release()
                self._stopped_leading()
            own.cancel()
            notifier.stop()
            with self._state:
                self._running = False

    def _lead(self, leader_ctx: Context, own: Context) -> None:
        try:
            self.config.callbacks.on_started_leading(leader_ctx)
        except Exception:
            # a leader whose work died must not keep the lock from the others
            _log.exception("%s: on_started_leading failed; stepping down", self._label)
            own.cancel()

    def _stopped_leading(self) -> None:
        _log.info("%s: stopped leading", self._label)
        try:
            self.config.callbacks.on_stopped_leading()
        except Exception:
            _log.exception("%s: on_stopped_leading failed", self._label)

    def _jittered(self, seconds: float) -> float:
        return seconds * (1.0 + self._random() * JITTER_FACTOR)

    def _acquire(self, ctx: Context, notifier: _Notifier) -> bool:
        """Try now, then every jittered retry period, until acquired (True) or
        ``ctx`` is done (False)."""
        while not ctx.done:
            acquired = self._try_acquire_or_renew(ctx)
            self._report_transition(notifier)
            if acquired:
                with self._state:
                    self._leading = True
                    self._claim_until = self._renewed_at + self.config.renew_deadline
                _log.info("%s: acquired lease", self._label)
                return True
            if self.clock.sleep(ctx, self._jittered(self.config.retry_period)):
                break
        return False

    def _renew(self, ctx: Context, notifier: _Notifier) -> None:
        """Renew every retry period; return when ``ctx`` is done (still leading)
        or once leadership is lost (no longer leading)."""
        retry = self.config.retry_period
        while not self.clock.sleep(ctx, retry):
            deadline = self._renewed_at + self.config.renew_deadline
            while True:
                now = self.clock.now()
                if now >= deadline:
                    self._lose(f"no renewal for {self.config.renew_deadline:g}s")
                    return
                attempt = ctx.child(timeout=deadline - now)
                try:
                    renewed = self._try_acquire_or_renew(attempt)
                finally:
                    attempt.cancel()
                self._report_transition(notifier)
                if renewed:
                    if self.clock.now() >= deadline:  # too late: it has stopped
                        self._lose("the renewal came back after the deadline")
                        return
                    with self._state:
                        self._claim_until = (
                            self._renewed_at + self.config.renew_deadline
                        )
                    break
                if ctx.done:
                    break
                holder = self.get_leader()
                if holder != self._identity:  # someone else won: step down now
                    self._lose(f"the lease is held by {holder or 'nobody'}")
                    return
                left = deadline - self.clock.now()
                if self.clock.sleep(ctx, min(retry, max(left, 0.0))):
                    return
            if ctx.done:
                return

    def _lose(self, why: str) -> None:
        with self._state:
            self._leading = False
        _log.warning("%s: lost the lease: %s", self._label, why)

    # -- one try (client-go's tryAcquireOrRenew)

    def _try_acquire_or_renew(self, ctx: Context) -> bool:
        start = self.clock.now()
        wall = self.clock.wall()
        lock = self.config.lock
        desired = LeaderElectionRecord(
            holder_identity=self._identity,
            lease_duration_seconds=self.config.lease_duration_seconds,
            acquire_time=wall,
            renew_time=wall,
        )
        # 1. the leader's fast path: write over the Lease it wrote last
        with self._state:
            observed = self._observed
            mine = observed.holder_identity == self._identity
            fast = mine and self._lease_valid(start)
        if fast:
            renewal = replace(
                desired,
                acquire_time=observed.acquire_time,
                leader_transitions=observed.leader_transitions,
            )
            if self._write(lock.update, renewal, ctx, start, "renew"):
                return True
            if ctx.done:
                return False
        # 2. read the record, or create it
        try:
            current = lock.get(ctx)
        except NotFound:
            return self._write(lock.create, desired, ctx, start, "create")
        except _LOCK_ERRORS as error:
            self._failed("read", error)
            return False
        # 3. held by someone whose lease has not expired (on our clock)?
        with self._state:
            if current != self._observed:
                self._observed = current
                self._observed_time = self.clock.now()
            mine = current.holder_identity == self._identity
            held = bool(current.holder_identity) and self._lease_valid(start)
        if held and not mine:
            return False
        # 4. take it (or renew it, the fast path having failed)
        if mine:
            desired = replace(
                desired,
                acquire_time=current.acquire_time or wall,
                leader_transitions=current.leader_transitions,
            )
        else:
            desired = replace(
                desired, leader_transitions=current.leader_transitions + 1
            )
        return self._write(lock.update, desired, ctx, start, "update")

    def _write(
        self,
        write: Callable[[LeaderElectionRecord, Context | None], None],
        record: LeaderElectionRecord,
        ctx: Context,
        start: float,
        what: str,
    ) -> bool:
        try:
            write(record, ctx)
        except _LOCK_ERRORS as error:
            self._failed(what, error)
            return False
        with self._state:
            self._observed = record
            self._observed_time = self.clock.now()
            self._renewed_at = start
        return True

    def _failed(self, what: str, error: Exception) -> None:
        # a 409 is the normal end of a race, or of a renewal after a takeover
        level = logging.INFO if isinstance(error, Conflict) else logging.WARNING
        _log.log(level, "%s: cannot %s the lease: %s", self._label, what, error)

    def _lease_valid(self, now: float) -> bool:
        """The observed record has not expired at ``now`` (caller holds _state)."""
        if self._observed_time is None:
            return False
        return self._observed_time + self._observed.lease_duration_seconds > now

    def _release(self) -> None:
        """Write a record nobody holds, lasting 1 s, so others take over at once."""
        wall = self.clock.wall()
        with self._state:
            if self._observed.holder_identity != self._identity:
                return
            released = LeaderElectionRecord(
                holder_identity="",
                lease_duration_seconds=1,
                acquire_time=wall,
                renew_time=wall,
                leader_transitions=self._observed.leader_transitions,
            )
        lock = self.config.lock
        with Context(timeout=self.config.renew_deadline) as ctx:
            try:
                try:
                    lock.update(released, ctx)
                except Conflict:
                    # A renewal cut short by the cancel may have been written all
                    # the same, leaving the lock's copy behind: re-read, and
                    # release if the Lease is still ours (nobody else wrote).
                    if lock.get(ctx).holder_identity != self._identity:
                        _log.info("%s: the lease is no longer ours", self._label)
                        return
                    lock.update(released, ctx)
            except _LOCK_ERRORS as error:
                _log.warning("%s: cannot release the lease: %s", self._label, error)
                return
        with self._state:
            self._observed = released
            self._observed_time = self.clock.now()
        _log.info("%s: released the lease", self._label)

    def _report_transition(self, notifier: _Notifier) -> None:
        with self._state:
            holder = self._observed.holder_identity
            if not holder or holder == self._reported_leader:
                return
            self._reported_leader = holder
        notifier.tell(holder)


class _Notifier:
    """Calls ``on_new_leader`` in order on a thread of its own, so a slow callback
    cannot delay a renewal."""

    def __init__(self, callback: Callable[[str], None] | None, label: str) -> None:
        self._callback = callback
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._label = label

    def tell(self, identity: str) -> None:
        if self._callback is None:
            return
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop,
                name=f"leader-election {self._label}: new leader",
                daemon=True,
            )
            self._thread.start()
        self._queue.put(identity)

    def _loop(self) -> None:
        assert self._callback is not None
        while True:
            identity = self._queue.get()
            if identity is None:
                return
            try:
                self._callback(identity)
            except Exception:
                _log.exception("%s: on_new_leader failed", self._label)

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
