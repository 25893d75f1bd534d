"""The EventBroadcaster: a bounded queue and one sender thread writing what
its recorders record (client-go's ``record.EventBroadcaster`` and
``events.EventBroadcaster`` in one).

Recording never blocks and never raises: a full queue (1000 events, as
client-go's) drops the event and counts it. The sender writes events.k8s.io/v1
Events when the server has them, else core/v1; it retries connection
failures, 429 and 5xx up to 12 times (client-go's maxTriesPerEvent), 10 s
apart (the first wait randomised), without holding up the events behind: a
failed write waits in a retry heap while the next events go out. Any other
refusal is logged and dropped, as client-go does.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..context import Context
from ..errors import AlreadyExists, NotFound
from ..rest import RESTClient
from .correlator import EventCorrelator
from .recorder import EventRecorder
from .reference import UniqueNanos, default_instance
from .series import FINISH_AFTER, REFRESH_EVERY, SeriesCache, series_patch
from .sink import EventSink, Outcome, outcome_of
from .spam import DEFAULT_SPAM_BURST, DEFAULT_SPAM_QPS, SpamFilter
from .wire import CORE, Occurrence

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["BroadcasterStats", "EventBroadcaster"]

_log = logging.getLogger(__name__)

MAX_QUEUED_EVENTS = 1000
MAX_TRIES_PER_EVENT = 12
RETRY_DELAY = 10.0
#: how often (seconds) the idle sender looks at its retries and heartbeats
_TICK = 0.5
_SHUTDOWN_GRACE = 1.0


@dataclass(frozen=True)
class BroadcasterStats:
    """Counts since the broadcaster was made."""

    recorded: int  # accepted into the queue
    written: int  # creates and patches the server accepted
    dropped_queue_full: int
    dropped_spam: int
    failed: int  # writes given up (refused, retries exhausted, shut down)
    queued: int  # waiting in the queue now


@dataclass
class _Write:
    """One write to attempt: ``occurrence`` until the API is known, then
    ``event`` (with ``patch`` when it updates an existing event)."""

    occurrence: Occurrence | None = None
    event: dict[str, Any] | None = None
    patch: dict[str, Any] | None = None
    series: bool = False  # an events.k8s.io series update
    tries: int = 0


def _rest_client(client: Any) -> tuple[RESTClient, bool]:
    """(the RESTClient of ``client``, whether it is ours to close)."""
    if isinstance(client, RESTClient):
        return client, False
    rest = getattr(client, "rest_client", None)
    if isinstance(rest, RESTClient):
        return rest, False
    from ..config import Config

    if isinstance(client, Config):
        return RESTClient(client), True
    raise TypeError(
        "EventBroadcaster needs a Config, a RESTClient or a client with a "
        f"rest_client (ClientSet, DynamicClient), not {type(client).__name__}"
    )


class EventBroadcaster:
    """Sends the events of its recorders to the API server, in the background.

    ``client``: a ClientSet, DynamicClient, RESTClient or Config (a Config gets
    its own connection, closed at shutdown). ``clock`` (unix seconds) times the
    events, the spam filter, aggregation and series: tests pass a fake one.
    """

    def __init__(
        self,
        client: Config | RESTClient | Any,
        *,
        queue_size: int = MAX_QUEUED_EVENTS,
        max_tries: int = MAX_TRIES_PER_EVENT,
        retry_delay: float = RETRY_DELAY,
        spam_burst: int = DEFAULT_SPAM_BURST,
        spam_qps: float = DEFAULT_SPAM_QPS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if queue_size < 1 or max_tries < 1 or retry_delay < 0:
            raise ValueError(
                "EventBroadcaster: queue_size and max_tries must be >= 1 and "
                f"retry_delay >= 0 (got {queue_size}, {max_tries}, {retry_delay})"
            )
        self._rest, self._owns_rest = _rest_client(client)
        self.clock = clock
        self.max_tries = max_tries
        self.retry_delay = retry_delay
        self._ctx = Context()
        self._sink = EventSink(
            self._rest, self._ctx, recheck_after=max(retry_delay, 1.0)
        )
        self._spam = SpamFilter(burst=spam_burst, qps=spam_qps, clock=clock)
        self._nanos = UniqueNanos()
        self._correlator = EventCorrelator(clock, self._nanos)
        self._series = SeriesCache(clock)
        self._queue: queue.Queue[Occurrence | None] = queue.Queue(queue_size)
        self._retries: list[tuple[float, int, _Write]] = []  # sender thread only
        self._retry_limit = queue_size
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(
            ("recorded", "written", "dropped_queue_full", "dropped_spam", "failed"), 0
        )
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._next_refresh = 0.0
        self._next_finish = 0.0
        self._event_log: tuple[logging.Logger, int] | None = None

    # -- the caller's side

    def new_recorder(
        self, component: str, *, reporting_instance: str | None = None
    ) -> EventRecorder:
        """A recorder whose events name ``component`` as their reporting
        controller (source component) and ``reporting_instance`` (default: the
        host name) as its instance."""
        if not isinstance(component, str) or not component:
            raise ValueError("new_recorder needs a component name")
        instance = reporting_instance or default_instance()
        return EventRecorder(self._submit, component, instance, self.clock, self._nanos)

    def start_recording_to_sink(self) -> None:
        """Start the sender thread (the first recorded event does it otherwise)."""
        with self._lock:
            if self._thread is not None or self._closing.is_set():
                return
            now = self.clock()
            self._next_refresh = now + REFRESH_EVERY
            self._next_finish = now + FINISH_AFTER
            self._thread = threading.Thread(
                target=self._run, name="kubeclient-event-broadcaster", daemon=True
            )
            self._thread.start()

    def start_logging(
        self, logger: logging.Logger | None = None, level: int = logging.INFO
    ) -> None:
        """Also log every event sent (client-go's ``StartStructuredLogging``),
        to ``logger`` (default: this module's) at ``level``."""
        self._event_log = (logger or _log, level)

    def _submit(self, occurrence: Occurrence) -> None:
        """Queue an occurrence; never blocks, never raises."""
        if self._closing.is_set():
            _log.debug(
                "event broadcaster shut down: event %s dropped", occurrence.reason
            )
            self._count("failed")
            return
        ref = occurrence.regarding
        spam_key = (
            occurrence.component,
            occurrence.instance,
            *(
                ref.get(k, "")
                for k in ("kind", "namespace", "name", "uid", "apiVersion")
            ),
        )
        if not self._spam.allow(spam_key):
            _log.debug(
                "event %s on %s %s dropped by the spam filter",
                occurrence.reason,
                ref.get("kind"),
                ref.get("name"),
            )
            self._count("dropped_spam")
            return
        if self._thread is None:
            self.start_recording_to_sink()
        try:
            self._queue.put_nowait(occurrence)
        except queue.Full:
            self._count("dropped_queue_full")
            _log.debug("event queue full: event %s dropped", occurrence.reason)
            return
        self._count("recorded")

    def _count(self, what: str, n: int = 1) -> None:
        with self._lock:
            self._counts[what] += n

    @property
    def stats(self) -> BroadcasterStats:
        with self._lock:
            return BroadcasterStats(**self._counts, queued=self._queue.qsize())

    def shutdown(self, timeout: float = 5.0, *, ctx: Context | None = None) -> None:
        """Write what is queued (one try each), then stop the sender and wait for
        it. After ``timeout`` seconds (or when ``ctx`` is done, if sooner) the
        writes in flight are cancelled and what is left is dropped."""
        self._closing.set()
        try:
            self._queue.put_nowait(None)  # wake the sender
        except queue.Full:
            pass  # it has work, so it is awake
        thread = self._thread
        if thread is not None:
            deadline = time.monotonic() + max(timeout, 0.0)
            while thread.is_alive() and not (ctx is not None and ctx.done):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                thread.join(min(left, _TICK))
        self._ctx.cancel()
        if thread is not None:
            thread.join(_SHUTDOWN_GRACE)
            if thread.is_alive():
                _log.warning("event broadcaster: the sender did not stop in time")
        with self._lock:
            owns_rest, self._owns_rest = self._owns_rest, False
        if owns_rest:
            self._rest.close()

    def __enter__(self) -> EventBroadcaster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        return f"<EventBroadcaster {self._rest!r}>"

    # -- the sender thread

    def _run(self) -> None:
        while not self._closing.is_set():
            try:
                self._step()
            except Exception:  # a bug here must not end the sender
                _log.exception("event broadcaster: unexpected error")
                self._closing.wait(_TICK)
        try:
            self._drain()
        except Exception:
            _log.exception("event broadcaster: unexpected error at shutdown")

    def _step(self) -> None:
        timeout = _TICK
        if self._retries:
            timeout = min(timeout, max(self._retries[0][0] - time.monotonic(), 0.0))
        try:
            occurrence = self._queue.get(timeout=timeout)
        except queue.Empty:
            occurrence = None
        if occurrence is not None:
            self._log_event(occurrence)
            self._attempt(_Write(occurrence=occurrence))
        while self._retries and self._retries[0][0] <= time.monotonic():
            if self._closing.is_set():
                return
            self._attempt(heapq.heappop(self._retries)[2])
        self._heartbeats()

    def _heartbeats(self) -> None:
        if not self._sink.known or self._sink.api == CORE:
            return
        now = self.clock()
        if now >= self._next_finish:
            self._next_finish = now + FINISH_AFTER
            for event in self._series.finish():
                self._attempt(
                    _Write(event=event, patch=series_patch(event), series=True)
                )
        if now >= self._next_refresh:
            self._next_refresh = now + REFRESH_EVERY
            for event in self._series.refresh():
                self._attempt(
                    _Write(event=event, patch=series_patch(event), series=True)
                )

    def _drain(self) -> None:
        """At shutdown: one try for each queued event, waiting retry and pending
        series count, until the shutdown's deadline cancels the context; what
        is left then counts as failed."""
        while True:
            try:
                occurrence = self._queue.get_nowait()
            except queue.Empty:
                break
            if occurrence is None:
                continue
            self._log_event(occurrence)
            if self._ctx.done:
                self._count("failed")
            else:
                self._attempt(_Write(occurrence=occurrence))
        waiting = [w for _, _, w in sorted(self._retries)]
        self._retries.clear()
        for write in waiting:
            if self._ctx.done:
                self._count("failed")
            else:
                self._attempt(write)
        if self._sink.known and self._sink.api != CORE:
            for event in self._series.pending():
                if self._ctx.done:
                    self._count("failed")
                else:
                    self._attempt(
                        _Write(event=event, patch=series_patch(event), series=True)
                    )

    def _log_event(self, occurrence: Occurrence) -> None:
        if self._event_log is None:
            return
        logger, level = self._event_log
        ref = occurrence.regarding
        logger.log(
            level,
            "Event occurred: object=%s/%s kind=%s apiVersion=%s type=%s reason=%s "
            "message=%r",
            ref.get("namespace", ""),
            ref.get("name"),
            ref.get("kind"),
            ref.get("apiVersion", ""),
            occurrence.type,
            occurrence.reason,
            occurrence.message,
        )

    def _attempt(self, write: _Write) -> None:
        write.tries += 1
        try:
            outcome = self._write(write)
        except Exception as error:
            outcome = outcome_of(error)
            self._log_failure(write, error, outcome)
        if outcome is Outcome.RETRY:
            self._retry(write)
        elif outcome is Outcome.STOPPED:
            self._count("failed")

    def _write(self, write: _Write) -> Outcome:
        if write.occurrence is not None:
            api = self._sink.api  # discovery errors are retried as writes
            occurrence, write.occurrence = write.occurrence, None
            if api == CORE:
                correlated = self._correlator.correlate(occurrence.core_event())
                write.event, write.patch = correlated.event, correlated.patch
            else:
                to_write = self._series.observe(
                    occurrence.events_event(), occurrence.at
                )
                if to_write is None:
                    return Outcome.DONE  # a repeat, counted in its series
                write.event = to_write
                write.series = "series" in to_write
                write.patch = series_patch(to_write) if write.series else None
        written = self._create_or_patch(write)
        if isinstance(written, Outcome):
            return written
        if self._sink.api == CORE:
            self._correlator.update_state(written)
        self._count("written")
        return Outcome.DONE

    def _create_or_patch(self, write: _Write) -> dict[str, Any] | Outcome:
        """The server's copy of the event, or what to do when it already exists:
        retry a series update (409 after a 404: patch again), drop a new event."""
        assert write.event is not None
        if write.patch is not None:
            try:
                return self._sink.patch(write.event, write.patch)
            except NotFound:
                pass  # it expired or was deleted: create it (with its count)
        try:
            return self._sink.create(write.event)
        except AlreadyExists:
            if write.patch is not None:
                return Outcome.RETRY
            _log.debug("event %s already exists (not retried)", _name(write))
            self._count("failed")
            return Outcome.DONE

    def _retry(self, write: _Write) -> None:
        if self._closing.is_set() or write.tries >= self.max_tries:
            _log.error(
                "event %s not written after %d tries: dropped",
                _name(write),
                write.tries,
            )
            self._count("failed")
            return
        if len(self._retries) >= self._retry_limit:
            _log.warning("event retries full: event %s dropped", _name(write))
            self._count("failed")
            return
        delay = self.retry_delay
        if write.tries == 1:  # spread clients out after a server outage
            delay *= random.random()
        due = time.monotonic() + delay
        heapq.heappush(self._retries, (due, next(self._seq), write))

    def _log_failure(self, write: _Write, error: Exception, outcome: Outcome) -> None:
        if outcome is Outcome.RETRY:
            _log.info("event %s not written (will retry): %s", _name(write), error)
        elif outcome is Outcome.DONE:
            _log.error("event %s refused (not retried): %s", _name(write), error)
            self._count("failed")


def _name(write: _Write) -> str:
    if write.event is not None:
        meta = write.event.get("metadata") or {}
        return f"{meta.get('namespace')}/{meta.get('name')}"
    if write.occurrence is not None:
        return f"{write.occurrence.reason} on {write.occurrence.regarding.get('name')}"
    return "?"
