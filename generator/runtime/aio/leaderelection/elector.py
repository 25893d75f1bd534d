"""The async leader elector: the sync :mod:`...leaderelection.elector`'s rules
(expiry judged on the local clock from when the record was seen to change; a
leader steps down ``renew_deadline`` after the start of its last successful
renewal; writes carry the resourceVersion read), as tasks on the loop.

Stopping is cancelling: cancel the task that awaits ``run()`` and the elector
cancels its leading task, awaits it (up to ``renew_deadline``), releases the
Lease with ``release_on_cancel``, calls ``on_stopped_leading`` and re-raises.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace

from ...errors import (
    ApiError,
    Cancelled,
    Conflict,
    ConnectionFailed,
    NotFound,
    ResponseDecodeError,
)
from ...leaderelection.config import JITTER_FACTOR
from ...leaderelection.lock import LockNotRead
from ...leaderelection.record import LeaderElectionRecord, LeaseRecordError
from .clock import AsyncClock, RealClock
from .config import LeaderElectionConfig

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
    asyncio.TimeoutError,
)


async def _call(callback: Callable[..., Awaitable[None] | None], *args: object) -> None:
    result = callback(*args)
    if inspect.isawaitable(result):
        await result


class LeaderElector:
    """Runs one candidate of a leader election on the loop::

    elector = LeaderElector(LeaderElectionConfig(lock=lock, callbacks=callbacks))
    task = asyncio.create_task(elector.run())  # ends when leadership is lost
    ...
    task.cancel()                              # steps down (and releases)

    ``clock`` (a :class:`~.clock.FakeClock` in tests) and ``jitter`` (a
    ``random()`` in [0, 1)) are what the elector reads time and chance from.
    """

    def __init__(
        self,
        config: LeaderElectionConfig,
        *,
        clock: AsyncClock | None = None,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        if not isinstance(config, LeaderElectionConfig):
            raise TypeError(
                f"LeaderElector needs a LeaderElectionConfig, got {type(config).__name__}"
            )
        self.config = config
        self.clock: AsyncClock = clock if clock is not None else RealClock()
        self._random = jitter if jitter is not None else random.random
        self._identity = config.lock.identity
        self._label = f"{config.name or config.lock.describe()} ({self._identity})"
        self._observed = LeaderElectionRecord()
        self._observed_time: float | None = None
        self._leading = False
        self._running = False
        self._renewed_at = 0.0  # clock.now() when the last successful write began
        self._claim_until = 0.0  # is_leader() is False from then on
        self._reported_leader = ""
        self._work_failed = asyncio.Event()

    # -- what others may ask

    def is_leader(self) -> bool:
        """True from taking the lock until leadership ends; False from
        ``renew_deadline`` after the last successful renewal even while a
        renewal is still stuck in the network."""
        return self._leading and self.clock.now() < self._claim_until

    def get_leader(self) -> str:
        """The identity of the last observed holder ("" if none yet)."""
        return self._observed.holder_identity

    @property
    def observed_record(self) -> LeaderElectionRecord:
        return self._observed

    def __repr__(self) -> str:
        state = "leading" if self.is_leader() else "not leading"
        return f"<LeaderElector {self._label} {state}>"

    # -- the loop

    async def run(self) -> None:
        """Acquire the lock, then renew it until the task is cancelled (the
        cancellation is re-raised once stepped down) or a renewal fails for
        ``renew_deadline`` (returns; run it again to stand again)."""
        if self._running:
            raise RuntimeError(f"LeaderElector {self._label} is already running")
        self._running = True
        self._work_failed = asyncio.Event()
        notifier = _Notifier(self.config.callbacks.on_new_leader, self._label)
        leading: asyncio.Task[None] | None = None
        try:
            _log.info("%s: trying to acquire lease", self._label)
            await self._acquire(notifier)
            leading = asyncio.get_running_loop().create_task(self._lead())
            await self._renew_until_lost(notifier)
        finally:
            still_leading = self._leading
            self._leading = False
            try:
                if leading is not None:
                    await self._end(leading, still_leading)
            finally:
                await notifier.stop()
                self._running = False

    async def _end(self, leading: asyncio.Task[None], still_leading: bool) -> None:
        """Stop the leading task, release if asked, tell on_stopped_leading (even
        while ``run``'s own task is being cancelled)."""
        leading.cancel()
        done, _ = await asyncio.wait({leading}, timeout=self.config.renew_deadline)
        if not done:
            _log.warning("%s: on_started_leading ignores cancellation", self._label)
        if still_leading and self.config.release_on_cancel:
            await self._release()
        _log.info("%s: stopped leading", self._label)
        try:
            await _call(self.config.callbacks.on_stopped_leading)
        except Exception:
            _log.exception("%s: on_stopped_leading failed", self._label)

    async def _lead(self) -> None:
        try:
            await _call(self.config.callbacks.on_started_leading)
        except Exception:
            # a leader whose work died must not keep the lock from the others
            _log.exception("%s: on_started_leading failed; stepping down", self._label)
            self._work_failed.set()

    def _jittered(self, seconds: float) -> float:
        return seconds * (1.0 + self._random() * JITTER_FACTOR)

    async def _acquire(self, notifier: _Notifier) -> None:
        """Try now, then every jittered retry period, until acquired."""
        while True:
            acquired = await self._try_acquire_or_renew(None)
            self._report_transition(notifier)
            if acquired:
                self._leading = True
                self._claim_until = self._renewed_at + self.config.renew_deadline
                _log.info("%s: acquired lease", self._label)
                return
            await self.clock.sleep(self._jittered(self.config.retry_period))

    async def _renew_until_lost(self, notifier: _Notifier) -> None:
        """Renew every retry period; return once leadership is lost (or the
        leading work failed, still leading: the caller releases then)."""
        retry = self.config.retry_period
        while True:
            if await self._sleep_or_failed(retry):
                return
            deadline = self._renewed_at + self.config.renew_deadline
            while True:
                now = self.clock.now()
                if now >= deadline:
                    self._lose(f"no renewal for {self.config.renew_deadline:g}s")
                    return
                renewed = await self._try_acquire_or_renew(deadline - now)
                self._report_transition(notifier)
                if renewed:
                    if self.clock.now() >= deadline:  # too late: it has stopped
                        self._lose("the renewal came back after the deadline")
                        return
                    self._claim_until = self._renewed_at + self.config.renew_deadline
                    break
                holder = self.get_leader()
                if holder != self._identity:  # someone else won: step down now
                    self._lose(f"the lease is held by {holder or 'nobody'}")
                    return
                left = deadline - self.clock.now()
                if await self._sleep_or_failed(min(retry, max(left, 0.0))):
                    return

    async def _sleep_or_failed(self, seconds: float) -> bool:
        """Sleep on the clock; True at once if the leading work failed."""
        if self._work_failed.is_set():
            return True
        sleep = asyncio.ensure_future(self.clock.sleep(seconds))
        failed = asyncio.ensure_future(self._work_failed.wait())
        try:
            await asyncio.wait({sleep, failed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleep.cancel()
            failed.cancel()
        return self._work_failed.is_set()

    def _lose(self, why: str) -> None:
        self._leading = False
        _log.warning("%s: lost the lease: %s", self._label, why)

    # -- one try (client-go's tryAcquireOrRenew)

    async def _try_acquire_or_renew(self, timeout: float | None) -> bool:
        """One try; a renewal (``timeout`` set) gives up at the renew deadline
        (real time, as the sync elector's context deadline)."""
        try:
            return await asyncio.wait_for(self._try_once(), timeout)
        except asyncio.TimeoutError:
            _log.warning("%s: the lease request timed out", self._label)
            return False

    async def _try_once(self) -> bool:
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
        observed = self._observed
        if observed.holder_identity == self._identity and self._lease_valid(start):
            renewal = replace(
                desired,
                acquire_time=observed.acquire_time,
                leader_transitions=observed.leader_transitions,
            )
            if await self._write(lock.update, renewal, start, "renew"):
                return True
        # 2. read the record, or create it
        try:
            current = await lock.get()
        except NotFound:
            return await self._write(lock.create, desired, start, "create")
        except _LOCK_ERRORS as error:
            self._failed("read", error)
            return False
        # 3. held by someone whose lease has not expired (on our clock)?
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
        return await self._write(lock.update, desired, start, "update")

    async def _write(
        self,
        write: Callable[[LeaderElectionRecord], Awaitable[None]],
        record: LeaderElectionRecord,
        start: float,
        what: str,
    ) -> bool:
        try:
            await write(record)
        except _LOCK_ERRORS as error:
            self._failed(what, error)
            return False
        self._observed = record
        self._observed_time = self.clock.now()
        self._renewed_at = start
        return True

    def _failed(self, what: str, error: BaseException) -> None:
        # a 409 is the normal end of a race, or of a renewal after a takeover
        level = logging.INFO if isinstance(error, Conflict) else logging.WARNING
        _log.log(level, "%s: cannot %s the lease: %s", self._label, what, error)

    def _lease_valid(self, now: float) -> bool:
        """The observed record has not expired at ``now``."""
        if self._observed_time is None:
            return False
        return self._observed_time + self._observed.lease_duration_seconds > now

    async def _release(self) -> None:
        """Write a record nobody holds, lasting 1 s, so others take over at once."""
        if self._observed.holder_identity != self._identity:
            return
        wall = self.clock.wall()
        released = LeaderElectionRecord(
            holder_identity="",
            lease_duration_seconds=1,
            acquire_time=wall,
            renew_time=wall,
            leader_transitions=self._observed.leader_transitions,
        )
        lock = self.config.lock

        async def release() -> bool:
            try:
                await lock.update(released)
            except Conflict:
                # a renewal cut short by the cancel may have been written all
                # the same: re-read, and release if the Lease is still ours
                if (await lock.get()).holder_identity != self._identity:
                    _log.info("%s: the lease is no longer ours", self._label)
                    return False
                await lock.update(released)
            return True

        try:
            # shielded: run's own task may be being cancelled right now
            task = asyncio.ensure_future(release())
            done = await asyncio.shield(
                asyncio.wait_for(task, self.config.renew_deadline)
            )
        except _LOCK_ERRORS as error:
            _log.warning("%s: cannot release the lease: %s", self._label, error)
            return
        if done:
            self._observed = released
            self._observed_time = self.clock.now()
            _log.info("%s: released the lease", self._label)

    def _report_transition(self, notifier: _Notifier) -> None:
        holder = self._observed.holder_identity
        if not holder or holder == self._reported_leader:
            return
        self._reported_leader = holder
        notifier.tell(holder)


class _Notifier:
    """Calls ``on_new_leader`` in order from a task of its own, so a slow
    callback cannot delay a renewal."""

    def __init__(
        self, callback: Callable[[str], Awaitable[None] | None] | None, label: str
    ) -> None:
        self._callback = callback
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._label = label

    def tell(self, identity: str) -> None:
        if self._callback is None:
            return
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())
        self._queue.put_nowait(identity)

    async def _loop(self) -> None:
        assert self._callback is not None
        while True:
            identity = await self._queue.get()
            if identity is None:
                return
            try:
                await _call(self._callback, identity)
            except Exception:
                _log.exception("%s: on_new_leader failed", self._label)

    async def stop(self, timeout: float = 10.0) -> None:
        if self._task is not None:
            self._queue.put_nowait(None)
            await asyncio.wait({self._task}, timeout=timeout)
            self._task.cancel()
