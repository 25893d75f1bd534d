"""Watch streams: decoding events, and a watch that survives disconnects and 410s.

The API server answers ``?watch=1`` with one JSON object per line,
``{"type": "ADDED", "object": {...}}``, for as long as the connection lives.
:func:`iter_watch_events` decodes such a stream incrementally; :class:`Watcher`
reconnects it from the last resourceVersion and relists when that version has
expired, as client-go's Reflector does.

This module needs no HTTP library: it reads anything with ``iter_chunks()`` and
``close()`` (a :class:`~.response.Response`, or a test double).

Both are handed out as a :class:`WatchStream`: an iterator that ``close()`` ends
from any thread (a generator cannot be closed while another thread runs it), and
that follows the caller's :class:`~.context.Context`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from ._model import JSONDepthError, loads
from .context import Context
from .errors import (
    ApiError,
    Cancelled,
    ConnectionFailed,
    Gone,
    ServerTimeout,
    StreamInterrupted,
    TooManyRequests,
    WatchDecodeError,
    error_from_status,
)
from .response import split_lines, split_terminated

__all__ = [
    "EventStream",
    "WatchEvent",
    "WatchStream",
    "Watcher",
    "iter_watch_events",
    "split_lines",
]

_log = logging.getLogger(__package__ or "kubeclient")

T = TypeVar("T")
_Key = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped objects

_EXCERPT_CHARS = 200


class EventStream(Protocol):
    """What a watch reads from: an open streaming response."""

    def iter_chunks(self, size: int = 65536) -> Iterator[bytes]: ...

    def close(self) -> None: ...


@dataclass
class WatchEvent(Generic[T]):
    """One watch event: ``type`` is ADDED, MODIFIED, DELETED or BOOKMARK."""

    type: str
    object: T
    #: The event's object as wire dict (``object`` is decoded from it).
    raw: dict[str, Any]


# --- decoding ---------------------------------------------------------------------------


def iter_watch_events(
    response: EventStream, decode: Callable[[dict[str, Any]], T]
) -> Generator[WatchEvent[T], None, None]:
    """Decode a watch stream as it arrives; the response is closed at the end (or
    when the generator is closed: ``events.close()`` stops a watch early).

    An ERROR event raises the :class:`~.errors.ApiError` of its Status (``Expired``
    for a too old resourceVersion). A line that is not an event raises
    :class:`~.errors.WatchDecodeError`, except a last line cut short by the
    connection closing, which raises :class:`~.errors.StreamInterrupted`.
    """
    url = str(getattr(response, "url", "") or "")
    try:
        for line, terminated in split_terminated(response.iter_chunks()):
            if not line.strip():
                continue
            try:
                kind, raw = _parse_event(line)
            except WatchDecodeError:
                if terminated:
                    raise
                raise StreamInterrupted(
                    f"watch {url}: the stream ended in the middle of an event"
                ) from None
            if kind == "ERROR":
                raise error_from_status(raw, method="GET", url=url)
            yield WatchEvent(kind, decode(raw), raw)
    finally:
        response.close()


def _parse_event(line: bytes) -> tuple[str, dict[str, Any]]:
    try:
        event = loads(line)
    except (RecursionError, JSONDepthError):
        raise _malformed("nested too deeply", line) from None
    except ValueError:
        raise _malformed("not JSON", line) from None
    if not isinstance(event, dict):
        raise _malformed("not a JSON object", line)
    kind = event.get("type")
    raw = event.get("object")
    if not isinstance(kind, str) or not kind:
        raise _malformed("no type", line)
    if not isinstance(raw, dict):
        raise _malformed("no object", line)
    return kind, raw


def _malformed(problem: str, line: bytes) -> WatchDecodeError:
    text = line[: _EXCERPT_CHARS * 4].decode("utf-8", "replace")
    if len(text) > _EXCERPT_CHARS:
        text = text[: _EXCERPT_CHARS - 3] + "..."
    return WatchDecodeError(f"malformed watch event ({problem}): {text!r}")


# --- resuming watch ---------------------------------------------------------------------

_RELIST = "relist"  # the resourceVersion expired (410)
_PROGRESS = "progress"  # the stream delivered events, then ended
_NOTHING = "nothing"  # the stream failed or ended before any event


class Watcher(Generic[T]):
    """``watch(..., resume=True)``: client-go's Reflector, in small.

    Iterating yields every change of the watched collection, surviving dropped
    connections and expired resourceVersions:

    * ``start(resource_version)`` opens a watch stream from that version (the
      caller asks for ``watch=1&allowWatchBookmarks=true``); ``relist()`` lists the
      collection and returns ``(items as wire dicts, list resourceVersion)``.
    * Without a ``resource_version`` the watcher first relists (ADDED for every
      item) and then watches from the list's version, so the stream describes
      the whole collection, as the Reflector does.
    * Every event, BOOKMARK included, advances :attr:`resource_version`. When a
      stream ends (server timeout, reset connection, truncated chunk) the watch
      restarts from that version after a short pause: the server sends only
      later events, so none is lost or repeated.
    * On 410 Gone / Expired (at start or as an ERROR event) it relists and
      yields synthetic events from the known state to the listed one: ADDED for
      new keys, MODIFIED for keys whose resourceVersion changed, DELETED and
      ADDED for keys whose uid changed (deleted and recreated), and DELETED for
      known keys missing from the list; then watches from the list's version.

    Keys are (namespace, name). To stay small the watcher keeps, per key, only a
    stub ``{apiVersion, kind, metadata: {name, namespace, uid, resourceVersion}}``
    so a synthetic DELETED event carries that stub, not the full last object.
    ``known`` seeds the state with objects the caller already has (e.g. from its
    own list, whose version it passes as ``resource_version``).

    Pauses between reconnects grow exponentially with consecutive fruitless
    attempts (``backoff_base`` doubling up to ``backoff_cap``, with jitter) and
    reset once a stream delivers events. Connection failures, 429 and 5xx are
    retried this way; other API errors (403, 404 ...) and malformed events are
    raised. ``timeout`` bounds the whole iteration in seconds: a stream still
    open at the deadline is aborted (``relist``/``start`` calls in progress are
    not interrupted). ``ctx`` ends everything at once, pauses included, by
    raising :class:`~.errors.Cancelled` (the requests made with it are
    cancelled by their transport).
    """

    def __init__(
        self,
        *,
        start: Callable[[str | None], EventStream],
        relist: Callable[[], tuple[list[dict[str, Any]], str]],
        decode: Callable[[dict[str, Any]], T],
        resource_version: str | None = None,
        timeout: float | None = None,
        known: Iterable[Mapping[str, Any]] = (),
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        ctx: Context | None = None,
    ) -> None:
        self._start = start
        self._relist = relist
        self._decode = decode
        #: The last resourceVersion seen: where the next stream starts.
        self.resource_version = resource_version
        self.timeout = timeout
        self._ctx = ctx
        self._sleep = sleep or (ctx.wait if ctx is not None else time.sleep)
        self._clock = clock
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._known: dict[_Key, dict[str, Any]] = {}
        for obj in known:
            self._known[_key(obj)] = _stub(obj, None)

    def __iter__(self) -> Iterator[WatchEvent[T]]:
        deadline = None if self.timeout is None else self._clock() + self.timeout
        failures = 0
        need_relist = self.resource_version is None
        while not self._past(deadline):
            if self._ctx is not None:
                self._ctx.check()
            if need_relist:
                outcome = yield from self._relist_once()
                if outcome == _PROGRESS:
                    need_relist = False
                    outcome = yield from self._watch_once(deadline)
            else:
                outcome = yield from self._watch_once(deadline)
            need_relist = need_relist or outcome == _RELIST
            failures = 0 if outcome == _PROGRESS else failures + 1
            if outcome == _RELIST and failures == 1:
                continue  # relist at once; a 410 again straight after one waits
            self._pause(failures, deadline)

    def _relist_once(self) -> Generator[WatchEvent[T], None, str]:
        try:
            yield from self._relist_events()
        except ApiError as error:
            self._raise_unless_transient(error)
            return _NOTHING
        except ConnectionFailed as error:
            _log.debug("watch: relist failed: %s", error)
            return _NOTHING
        return _PROGRESS

    def _watch_once(
        self, deadline: float | None
    ) -> Generator[WatchEvent[T], None, str]:
        """One stream, from :attr:`resource_version` until it ends."""
        delivered = False
        try:
            response = self._start(self.resource_version)
        except (ApiError, ConnectionFailed) as error:
            return self._outcome_of(error, delivered)
        watchdog = _watchdog(response, deadline, self._clock)
        try:
            for event in iter_watch_events(response, self._decode):
                self._track(event.type, event.raw)
                delivered = True
                yield event
                if self._past(deadline):
                    break
        except (ApiError, ConnectionFailed) as error:
            return self._outcome_of(error, delivered)
        finally:
            if watchdog is not None:
                watchdog.cancel()
            response.close()
        _log.debug("watch: stream from %s ended", self.resource_version)
        return _PROGRESS if delivered else _NOTHING

    def _outcome_of(self, error: ApiError | ConnectionFailed, delivered: bool) -> str:
        if isinstance(error, Gone) or _version_too_large(error):
            _log.info(
                "watch: cannot watch from %s (%s), relisting",
                self.resource_version,
                error,
            )
            return _RELIST
        if isinstance(error, ApiError):
            self._raise_unless_transient(error)
        _log.debug("watch: stream from %s failed: %s", self.resource_version, error)
        return _PROGRESS if delivered else _NOTHING

    @staticmethod
    def _raise_unless_transient(error: ApiError) -> None:
        if isinstance(error, (TooManyRequests, ServerTimeout)) or error.status >= 500:
            _log.debug("watch: transient error: %s", error)
            return
        raise error

    def _relist_events(self) -> Iterator[WatchEvent[T]]:
        """Synthetic events from the known state to a fresh list, applied as yielded."""
        items, list_version = self._relist()
        return self._changes(items, list_version)

    def _changes(
        self, items: list[dict[str, Any]], list_version: str
    ) -> Iterator[WatchEvent[T]]:
        """The synthetic events of a relist (also run by kubeclient.aio's watcher)."""
        listed: set[_Key] = set()
        for item in items:
            key = _key(item)
            listed.add(key)
            old = self._known.get(key)
            if old is None:
                yield self._synthetic("ADDED", item)
            elif _meta(old, "uid") and _meta(old, "uid") != _meta(item, "uid"):
                yield self._synthetic("DELETED", old)
                yield self._synthetic("ADDED", item)
            elif _meta(old, "resourceVersion") != _meta(item, "resourceVersion"):
                yield self._synthetic("MODIFIED", item)
        for key in sorted(set(self._known) - listed):
            yield self._synthetic("DELETED", self._known[key])
        self.resource_version = list_version

    def _synthetic(self, kind: str, raw: dict[str, Any]) -> WatchEvent[T]:
        # Known state follows what the caller was shown, but the resourceVersion
        # moves only once the whole list is through: a caller that stops halfway
        # gets the rest from the next relist instead of losing it.
        self._remember(kind, raw)
        return WatchEvent(kind, self._decode(raw), raw)

    def _track(self, kind: str, raw: dict[str, Any]) -> None:
        self._remember(kind, raw)
        version = _meta(raw, "resourceVersion")
        if version:
            self.resource_version = version

    def _remember(self, kind: str, raw: dict[str, Any]) -> None:
        if kind in ("ADDED", "MODIFIED"):
            key = _key(raw)
            self._known[key] = _stub(raw, self._known.get(key))
        elif kind == "DELETED":
            self._known.pop(_key(raw), None)

    def _pause(self, failures: int, deadline: float | None) -> None:
        delay = self._delay(failures, deadline)
        if delay > 0:
            self._sleep(delay)

    def _delay(self, failures: int, deadline: float | None) -> float:
        """Seconds before the next attempt after ``failures`` fruitless ones."""
        step: float = self._backoff_base * 2 ** max(failures - 1, 0)
        delay = min(self._backoff_cap, step)
        delay *= 0.5 + random.random() / 2  # jitter: never below half the step
        if deadline is not None:
            delay = min(delay, max(deadline - self._clock(), 0.0))
        return delay

    def _past(self, deadline: float | None) -> bool:
        return deadline is not None and self._clock() >= deadline


def _watchdog(
    response: EventStream, deadline: float | None, clock: Callable[[], float]
) -> threading.Timer | None:
    """Abort the stream at the deadline, so a read blocked on a quiet watch returns."""
    if deadline is None:
        return None
    stop = getattr(response, "abort", None) or response.close
    timer = threading.Timer(max(deadline - clock(), 0.0), stop)
    timer.daemon = True
    timer.start()
    return timer


def _version_too_large(error: BaseException) -> bool:
    """The server has not reached our resourceVersion yet (it was restored from a
    backup, or we talk to a lagging one): the Reflector relists in that case."""
    if not isinstance(error, ApiError):
        return False
    return any(
        cause.get("reason") == "ResourceVersionTooLarge" for cause in error.causes
    )


def _meta(obj: Mapping[str, Any], field: str) -> str:
    metadata = obj.get("metadata")
    value = metadata.get(field) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else ""


def _key(obj: Mapping[str, Any]) -> _Key:
    return _meta(obj, "namespace"), _meta(obj, "name")


def _stub(obj: Mapping[str, Any], previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """The little the watcher keeps per key (list items carry no apiVersion/kind,
    so those are kept from an earlier event of the same key)."""
    stub: dict[str, Any] = {}
    for field in ("apiVersion", "kind"):
        value = obj.get(field) or (previous or {}).get(field)
        if value:
            stub[field] = value
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    stub["metadata"] = {
        field: metadata[field]
        for field in ("name", "namespace", "uid", "resourceVersion")
        if field in metadata
    }
    return stub


# --- the iterator handed to callers ------------------------------------------------------


class WatchStream(Iterator[WatchEvent[T]]):
    """Watch events as an iterator that may be closed from any thread.

    ``close()`` (or leaving a ``with`` block) ends the iteration: a read blocked on
    a quiet stream returns at once and the connection is closed; the iterating
    thread then sees the end of the stream. When the caller's ``ctx`` is done the
    iteration raises :class:`~.errors.Cancelled` instead. ``events`` is called
    once, with the context every request of the watch must use.
    """

    def __init__(
        self,
        events: Callable[[Context], Iterator[WatchEvent[T]]],
        ctx: Context | None = None,
    ) -> None:
        self._outer = ctx
        self._ctx = Context(parent=ctx)
        self._lock = threading.Lock()
        self._closed = False
        self._events: Iterator[WatchEvent[T]] | None = None
        self._start = events

    def __iter__(self) -> WatchStream[T]:
        return self

    def __next__(self) -> WatchEvent[T]:
        with self._lock:  # one reader at a time; close() does not wait for it
            if self._closed:
                raise StopIteration
            try:
                if self._events is None:
                    self._events = self._start(self._ctx)
                return next(self._events)
            except Cancelled:
                if self._outer is not None and self._outer.done:
                    self._finish()
                    raise
                if self._closed:
                    self._finish()
                    raise StopIteration from None
                raise
            except BaseException:
                self._finish()
                raise

    def close(self) -> None:
        """End the watch; safe from any thread, and more than once."""
        self._closed = True
        self._ctx.cancel()  # aborts a read in progress in another thread
        if self._lock.acquire(blocking=False):
            try:
                self._finish()
            finally:
                self._lock.release()

    def _finish(self) -> None:
        events, self._events = self._events, None
        close = getattr(events, "close", None)
        if close is not None:
            close()
        self._ctx.cancel()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> WatchStream[T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<WatchStream {'closed' if self._closed else 'open'}>"
