"""The reflector: keeps a cache in step with the server by listing and watching
(client-go's tools/cache/reflector.go), as a small state machine.

    LIST ──(items, rv)──▶ WATCH from rv ──event──▶ WATCH ...
      ▲                      │  stream ended / connection dropped: WATCH again from rv
      └──── 410 Gone ────────┘  (after a backoff when it failed)

The first list asks for resourceVersion "0" (the server may answer from its
watch cache, as client-go does), in pages of 500; a relist after a 410 asks for
a consistent read (resourceVersion ""). Where the server supports it, the
list is a *streaming list*: one watch with ``sendInitialEvents=true`` whose
initial events end at a BOOKMARK annotated ``k8s.io/initial-events-end``; a
server that refuses it gets the paginated list from then on.

Failures back off exponentially (0.8 s doubling to 30 s, with jitter, reset
after a watch that ran a while) and never end the loop: only the context does.
"""

from __future__ import annotations

import gc
import logging
import random
import time
from collections.abc import Iterator
from typing import Any, Generic, NoReturn, Protocol, TypeVar

from ..context import Context
from ..errors import (
    ApiError,
    BadRequest,
    Cancelled,
    ConnectionFailed,
    Forbidden,
    Gone,
    InternalError,
    Invalid,
    ResponseDecodeError,
    ServerTimeout,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    WatchDecodeError,
)
from ..watch import WatchEvent
from .listwatch import MIN_WATCH_TIMEOUT, ListWatch

__all__ = ["Reflector", "ReflectorSink"]

_log = logging.getLogger(__package__ or "kubeclient")

T = TypeVar("T")

INITIAL_EVENTS_END = "k8s.io/initial-events-end"

#: Initial events of a streaming list between two moves of what they built to
#: the collector's oldest generation (see _settle_young).
_SETTLE_EVERY = 64


def _settle_young() -> None:
    """Move every tracked object to the collector's oldest generation (two list
    splices, no scan), as ``_json.loads`` does after a big decode.

    A streaming list decodes its objects one event at a time, each too small for
    the decoder's own pause of the collector, and keeps them all: left alone, the
    collector scans the growing heap again and again (3x the decoding time for
    10,000 pods). Apps that use ``gc.freeze()`` themselves are left alone.
    """
    if gc.isenabled() and gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


class ReflectorSink(Protocol):
    """Where a reflector delivers what it reads (the informer)."""

    def replace(self, items: list[dict[str, Any]], resource_version: str) -> None: ...

    def apply(self, event_type: str, raw: dict[str, Any]) -> None: ...

    def bookmark(self, resource_version: str) -> None: ...


#: answers to a watch request after which client-go watches again, not relists
_RETRY_WATCH = (TooManyRequests, InternalError, ServiceUnavailable, ServerTimeout)


class _Relist(Exception):
    """The watch cannot go on from the resourceVersion it has: list again."""


class Backoff:
    """Exponential backoff with jitter (client-go's wait.Backoff of the reflector)."""

    def __init__(
        self,
        initial: float = 0.8,
        cap: float = 30.0,
        reset_after: float = 120.0,
        rng: random.Random | None = None,
    ) -> None:
        self.initial, self.cap, self.reset_after = initial, cap, reset_after
        self._rng = rng or random.Random()
        self._delay = 0.0
        self._last = 0.0

    def next(self) -> float:
        now = time.monotonic()
        if self._last and now - self._last > self.reset_after:
            self._delay = 0.0
        self._last = now
        self._delay = min(self.cap, self._delay * 2 if self._delay else self.initial)
        return self._delay * (1.0 + self._rng.random())  # jitter up to 100%

    def reset(self) -> None:
        self._delay = 0.0


class Reflector(Generic[T]):
    """Lists and watches one resource into a sink, until its context is done."""

    def __init__(
        self,
        list_watch: ListWatch[T],
        sink: ReflectorSink,
        *,
        page_size: int = 500,
        use_watch_list: bool | None = None,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.list_watch = list_watch
        self.sink = sink
        self.page_size = page_size
        #: None: try the streaming list, fall back for good on refusal
        self.use_watch_list = use_watch_list
        self.backoff = backoff or Backoff(rng=rng)
        self._rng = rng or random.Random()
        self.last_sync_resource_version = ""
        #: after a 410 the next list must be a consistent read (resourceVersion "")
        self._version_unavailable = False
        self.lists = 0  # lists done (paginated or streaming): for tests and stats
        #: each watch asks the server to end it after this to twice this (seconds)
        self.watch_timeout: float = MIN_WATCH_TIMEOUT

    @property
    def name(self) -> str:
        return self.list_watch.description

    def run(self, ctx: Context) -> None:
        """List and watch until ``ctx`` is done; returns then (never raises)."""
        while not ctx.done:
            try:
                self._list_and_watch(ctx)
            except Cancelled:
                return
            except _Relist:
                continue
            except Exception as error:  # only the context ends the loop
                if ctx.done:
                    return
                delay = self.backoff.next()
                expected = (ApiError, ConnectionFailed, ResponseDecodeError)
                _log.warning(
                    "reflector %s: %s; retrying in %.1fs",
                    self.name,
                    error if isinstance(error, expected) else repr(error),
                    delay,
                    exc_info=not isinstance(error, expected),
                )
                if ctx.wait(delay):
                    return

    # -- the states

    def _list_and_watch(self, ctx: Context) -> None:
        events: Iterator[WatchEvent[dict[str, Any]]] | None = None
        if self.use_watch_list is not False:
            events = self._streaming_list(ctx)
        if events is None:
            self._list(ctx)
        self._watch(ctx, events)

    def _list_version(self) -> str:
        """client-go's relistResourceVersion."""
        if self._version_unavailable:
            return ""
        return self.last_sync_resource_version or "0"

    def _list(self, ctx: Context) -> None:
        version = self._list_version()
        try:
            items, listed = self.list_watch.list(version, ctx, self.page_size)
        except Gone:
            if not version:
                raise
            self._version_unavailable = True
            raise _Relist() from None
        self._version_unavailable = False
        self.lists += 1
        self.sink.replace(items, listed)
        self.last_sync_resource_version = listed

    def _streaming_list(
        self, ctx: Context
    ) -> Iterator[WatchEvent[dict[str, Any]]] | None:
        """The initial events into the sink; the same stream, to go on watching
        from. None when the server refuses streaming lists (then never again)."""
        version = self._streaming_version()
        try:
            events = self.list_watch.watch(
                version,
                ctx,
                timeout_seconds=self._watch_timeout(),
                send_initial_events=True,
            )
            items: dict[tuple[str, str], dict[str, Any]] = {}
            for count, event in enumerate(events, 1):
                if self._initial_event(items, count, event):
                    return events
        except Gone as error:
            self._streaming_gone(version, error)
        except (BadRequest, Invalid, Forbidden, Unauthorized) as error:
            self._streaming_refused(error)
            return None
        raise self._streaming_cut_short()

    # -- the streaming list's decisions (shared with the async reflector)

    def _streaming_version(self) -> str:
        """The resourceVersion a streaming list starts from ("": a consistent read)."""
        return "" if self._version_unavailable else self.last_sync_resource_version

    def _initial_event(
        self,
        items: dict[tuple[str, str], dict[str, Any]],
        count: int,
        event: WatchEvent[dict[str, Any]],
    ) -> bool:
        """One event of a streaming list into ``items``; at the initial-events-end
        bookmark the sink gets them all and True is returned (the list is done)."""
        if count % _SETTLE_EVERY == 0:
            _settle_young()
        raw = event.raw
        if event.type == "BOOKMARK":
            if not _initial_events_end(raw):
                return False
            listed = _resource_version(raw)
            self._version_unavailable = False
            self.lists += 1
            self.sink.replace(list(items.values()), listed)
            self.last_sync_resource_version = listed
            return True
        key = _key(raw)
        if event.type == "DELETED":
            items.pop(key, None)
        else:
            items[key] = raw
        return False

    def _streaming_gone(self, version: str, error: Gone) -> NoReturn:
        """A 410 to a streaming list: relist with a consistent read (or back off,
        if that was one already)."""
        if not version:
            raise error
        self._version_unavailable = True
        raise _Relist() from None

    def _streaming_refused(self, error: ApiError) -> None:
        """The server refused a streaming list (400/422/403/401): list in pages
        from now on, unless streaming lists were required."""
        if self.use_watch_list is True:
            raise error
        _log.info(
            "reflector %s: the server refused a streaming list (%s); "
            "listing in pages instead",
            self.name,
            error,
        )
        self.use_watch_list = False

    def _streaming_cut_short(self) -> ConnectionFailed:
        return ConnectionFailed(
            f"watch of {self.name} ended before its initial events did"
        )

    def _watch(
        self, ctx: Context, events: Iterator[WatchEvent[dict[str, Any]]] | None
    ) -> None:
        """Watch from the last resourceVersion, again and again, until a 410."""
        while not ctx.done:
            started = time.monotonic()
            try:
                if events is None:
                    events = self.list_watch.watch(
                        self.last_sync_resource_version,
                        ctx,
                        timeout_seconds=self._watch_timeout(),
                    )
                self._handle(events)
            except Gone:
                self._version_unavailable = True
                _log.info(
                    "reflector %s: resourceVersion %s is too old; relisting",
                    self.name,
                    self.last_sync_resource_version,
                )
                raise _Relist() from None
            except (ConnectionFailed, WatchDecodeError, *_RETRY_WATCH) as error:
                # the watch, not the cache, failed: watch again from where it was
                if ctx.done:
                    return
                delay = self.backoff.next()
                _log.info(
                    "reflector %s: watch ended (%s); watching again in %.1fs",
                    self.name,
                    error,
                    delay,
                )
                if ctx.wait(delay):
                    return
            else:
                if time.monotonic() - started > 1.0:
                    self.backoff.reset()
            finally:
                events = None

    def _handle(self, events: Iterator[WatchEvent[dict[str, Any]]]) -> None:
        sink = self.sink
        for event in events:
            raw = event.raw
            if event.type == "BOOKMARK":
                version = _resource_version(raw)
                if version:
                    self.last_sync_resource_version = version
                    sink.bookmark(version)
                continue
            if event.type not in ("ADDED", "MODIFIED", "DELETED"):
                _log.warning(
                    "reflector %s: ignoring a watch event of type %r",
                    self.name,
                    event.type,
                )
                continue
            sink.apply(event.type, raw)
            version = _resource_version(raw)
            if version:
                self.last_sync_resource_version = version

    def _watch_timeout(self) -> int:
        return max(1, int(self.watch_timeout * (1.0 + self._rng.random())))


def _meta(raw: dict[str, Any]) -> dict[str, Any]:
    meta = raw.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _resource_version(raw: dict[str, Any]) -> str:
    version = _meta(raw).get("resourceVersion")
    return version if isinstance(version, str) else ""


def _initial_events_end(raw: dict[str, Any]) -> bool:
    annotations = _meta(raw).get("annotations")
    return isinstance(annotations, dict) and (
        annotations.get(INITIAL_EVENTS_END) == "true"
    )


def _key(raw: dict[str, Any]) -> tuple[str, str]:
    meta = _meta(raw)
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")
