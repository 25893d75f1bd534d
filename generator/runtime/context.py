"""Cancellation and deadlines for blocking calls, as Go's ``context.Context``::

    ctx = Context(timeout=30)            # or Context() and ctx.cancel() from anywhere
    for event in pods.watch(ctx=ctx):    # ends within a second of ctx.cancel()
        ...
    child = ctx.child(timeout=5)         # cancelled with its parent, or sooner

A context is cancelled once, for good: by :meth:`Context.cancel` (from any thread),
when its deadline passes, or when its parent is cancelled. Calls that block (a
watch, ``list_all``, ``get_log(follow=True)``, a retry's backoff) take ``ctx=`` and
then raise :class:`~.errors.Cancelled` (:class:`~.errors.DeadlineExceeded` for a
deadline), closing the connection they were reading. ``with Context(...) as ctx:``
cancels the context when the block ends, as ``defer cancel()`` does in Go.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import weakref
from collections.abc import Callable
from types import TracebackType

from .errors import Cancelled, DeadlineExceeded

__all__ = ["Context"]


class Context:
    """A cancellation signal with an optional deadline; thread-safe."""

    def __init__(
        self,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
        parent: Context | None = None,
    ) -> None:
        """``timeout`` seconds from now, or ``deadline`` (a ``time.monotonic()``
        value); the earlier wins, and so does the parent's."""
        if timeout is not None:
            if timeout != timeout or timeout < 0:  # NaN or negative
                raise ValueError(f"timeout must be a number >= 0, got {timeout!r}")
            at = time.monotonic() + timeout
            deadline = at if deadline is None else min(deadline, at)
        inherited: float | None = parent.deadline if parent is not None else None
        if inherited is not None:
            deadline = inherited if deadline is None else min(deadline, inherited)
        #: ``time.monotonic()`` value after which the context is done, if any
        self.deadline: float | None = deadline
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._error: Cancelled | None = None
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self._unlink: Callable[[], None] | None = None
        if parent is not None:
            self._unlink = parent.on_cancel(lambda: self._follow(parent))
        if deadline is not None and not self._done.is_set():
            _deadlines.schedule(deadline, self)

    # -- state

    def cancel(self) -> None:
        """Cancel this context and its children (does nothing the second time)."""
        self._finish(Cancelled("context cancelled"))

    @property
    def done(self) -> bool:
        """Cancelled, or past the deadline."""
        if self._done.is_set():
            return True
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self._expire()
            return True
        return False

    def error(self) -> Cancelled | None:
        """Why the context is done (``None`` while it is not)."""
        return self._error if self.done else None

    def check(self) -> None:
        """Raise the context's error if it is done."""
        if self.done:
            assert self._error is not None
            raise self._error

    def remaining(self) -> float | None:
        """Seconds left before the deadline (``None`` without one; 0 when done)."""
        if self._done.is_set():
            return 0.0
        if self.deadline is None:
            return None
        return max(self.deadline - time.monotonic(), 0.0)

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, waking early when the context is done; True if
        it is done."""
        remaining = self.remaining()
        if remaining is not None:
            seconds = min(seconds, remaining)
        if seconds > 0:
            self._done.wait(seconds)
        return self.done

    def child(self, *, timeout: float | None = None) -> Context:
        """A context cancelled with this one, or on its own (``timeout``, cancel())."""
        return Context(timeout=timeout, parent=self)

    # -- who is told

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` (once, from the cancelling thread) when the context is
        done; at once if it already is. Returns a function that unregisters it."""
        with self._lock:
            if not self._done.is_set():
                key = next(self._ids)
                self._callbacks[key] = callback
                return lambda: self._forget(key)
        callback()
        return _nothing

    def _forget(self, key: int) -> None:
        with self._lock:
            self._callbacks.pop(key, None)

    def _follow(self, parent: Context) -> None:
        """The parent is done: so is this context, for the same reason."""
        self._finish(parent._error or Cancelled("context cancelled"))

    def _expire(self) -> None:
        self._finish(DeadlineExceeded("context deadline exceeded"))

    def _finish(self, error: Cancelled) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self._error = error
            self._done.set()
            callbacks = list(self._callbacks.values())
            self._callbacks.clear()
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a callback's failure must not stop the others
                pass
        if self._unlink is not None:
            self._unlink()

    # -- with-statement and display

    def __enter__(self) -> Context:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cancel()

    def __repr__(self) -> str:
        if self._done.is_set():
            state = f"done: {self._error}"
        elif self.deadline is not None:
            state = f"{self.deadline - time.monotonic():.3f}s left"
        else:
            state = "active"
        return f"<Context {state}>"


def _nothing() -> None:
    pass


def check(ctx: Context | None) -> None:
    """Raise if ``ctx`` is done (``None`` never is)."""
    if ctx is not None:
        ctx.check()


class _Deadlines:
    """One daemon thread that expires contexts at their deadlines, so a blocked read
    is interrupted when time runs out, not only when someone looks."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, weakref.ref[Context]]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def schedule(self, deadline: float, ctx: Context) -> None:
        with self._lock:
            heapq.heappush(self._heap, (deadline, next(self._order), weakref.ref(ctx)))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="kubeclient-deadlines", daemon=True
                )
                self._thread.start()
            self._lock.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._heap:
                    self._lock.wait()
                deadline, _, ref = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._lock.wait(delay)
                    continue
                heapq.heappop(self._heap)
            ctx = ref()  # a context nobody holds any more needs no expiring
            if ctx is not None and not ctx._done.is_set():
                ctx._expire()


_deadlines = _Deadlines()
