"""The shared index informer (client-go's sharedIndexInformer).

A reflector lists and watches into an indexed cache; every change is then handed
to each registered handler, in order, on the handler's own thread::

    informer = SharedIndexInformer(cs.apps_v1.deployments(""))
    informer.add_event_handler(on_add=added, on_update=updated, on_delete=deleted)
    informer.start(ctx)                   # a background thread; ctx.cancel() stops it
    informer.wait_for_cache_sync(timeout=30)
    informer.indexer.by_index("namespace", "default")

``on_update(old, new)`` also fires on resync (``old is new``) and for objects a
relist found again; ``on_delete`` gets a :class:`~.keys.DeletedFinalStateUnknown`
for objects a relist no longer found. A handler added after the start first gets
an ``on_add`` for everything already cached.

Cached objects are shared by every handler and lister: never mutate them; change
a ``deep_copy(obj)``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..context import Context
from .keys import (
    NAMESPACE_INDEX,
    DeletedFinalStateUnknown,
    meta_namespace_key,
    namespace_index,
)
from .lister import GenericLister, Lister
from .listwatch import ListWatch
from .processor import ADD, DELETE, SYNCED, UPDATE, EventHandler, Registration
from .reflector import Reflector
from .store import Indexer, IndexerError, IndexFunc

if TYPE_CHECKING:
    from ..resource import ResourceClient
    from ..rest import ParamValue

__all__ = ["SharedIndexInformer", "Transform", "strip_managed_fields"]

_log = logging.getLogger(__package__ or "kubeclient")

T = TypeVar("T")
L = TypeVar("L")

#: Changes a wire dict before it is cached (client-go's TransformFunc).
Transform = Callable[[dict[str, Any]], dict[str, Any]]

#: How often resyncs are checked, at most (client-go's minimumResyncPeriod).
_MIN_RESYNC = 1.0
_JOIN_SECONDS = 1.0


def strip_managed_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """A transform dropping metadata.managedFields: often half an object's size,
    and seldom needed by a controller."""
    meta = raw.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return raw


class SharedIndexInformer(Generic[T]):
    """One resource's cache, kept up to date, with event handlers on top."""

    def __init__(
        self,
        client: ResourceClient[T, Any],
        *,
        resync_period: float = 0.0,
        indexers: Mapping[str, IndexFunc[T]] | None = None,
        params: Mapping[str, ParamValue] | None = None,
        page_size: int = 500,
        use_watch_list: bool | None = None,
        transform: Transform | None = None,
    ) -> None:
        self._client = client
        self._decode = client._decode
        self._resource = client.resource
        self._list_watch = ListWatch(client, params)
        self._indexer: Indexer[T] = Indexer(
            {NAMESPACE_INDEX: namespace_index, **(indexers or {})}
        )
        self._resync_period = max(resync_period, 0.0)
        self._transform = transform
        # orders cache changes with the notifications they cause
        self._lock = threading.RLock()
        self._registrations: list[Registration[T]] = []
        self._synced = threading.Event()
        self._stopped = threading.Event()
        self._started = False
        self._running = False
        self._last_resource_version = ""
        self._lister: Any = None
        self.reflector = Reflector(
            self._list_watch,
            self,
            page_size=page_size,
            use_watch_list=use_watch_list,
        )

    def __repr__(self) -> str:
        state = "synced" if self.has_synced() else "not synced"
        return (
            f"<{type(self).__name__} {self._list_watch.description} "
            f"{len(self._indexer)} objects, {state}>"
        )

    # -- what users read

    @property
    def indexer(self) -> Indexer[T]:
        """The cache: objects by key and by index (thread-safe; do not mutate)."""
        return self._indexer

    @property
    def lister(self) -> Lister[T]:
        """Reads of the cache as the API answers them; the generated informers
        type it with the resource's scope (``lister.deployments(ns).get(name)``),
        a :class:`~.factory.GenericInformer` as a :class:`GenericLister`."""
        return self._typed_lister(GenericLister)

    def _typed_lister(self, cls: Callable[..., L]) -> L:
        lister = self._lister
        if lister is None:
            lister = self._lister = cls(self._indexer, self._resource)
        return lister  # type: ignore[no-any-return]

    def has_synced(self) -> bool:
        """The cache holds the first complete list."""
        return self._synced.is_set()

    def last_sync_resource_version(self) -> str:
        """The resourceVersion the cache is at (of the last list, event or bookmark)."""
        return self._last_resource_version

    def wait_for_cache_sync(
        self, ctx: Context | None = None, timeout: float | None = None
    ) -> bool:
        """Wait until synced; False on timeout, or when ``ctx`` ends first."""
        return _wait_synced([self], ctx, timeout)

    # -- configuring

    def add_indexers(self, indexers: Mapping[str, IndexFunc[T]]) -> None:
        """More indices (also after the start: they index the cache's contents)."""
        with self._lock:
            self._indexer.add_indexers(indexers)

    def set_transform(self, transform: Transform | None) -> None:
        """Change each object's wire dict before it is cached (before the start)."""
        if self._started:
            raise RuntimeError("set_transform() must come before the informer starts")
        self._transform = transform

    def add_event_handler(
        self,
        on_add: Callable[[T], object] | None = None,
        on_update: Callable[[T, T], object] | None = None,
        on_delete: Callable[[Any], object] | None = None,
        *,
        resync_period: float | None = None,
    ) -> Registration[T]:
        """Register callbacks; ``registration.remove()`` unregisters them.

        ``resync_period`` (seconds, default the informer's) makes the handler get
        ``on_update(obj, obj)`` for every cached object that often; 0 never.
        """
        period = self._resync_period if resync_period is None else resync_period
        if 0 < period < _MIN_RESYNC:
            period = _MIN_RESYNC
        registration = self._new_registration(
            EventHandler(on_add, on_update, on_delete), max(period, 0.0)
        )
        registration._remove = self._remove_registration
        with self._lock:
            if self._stopped.is_set():
                raise RuntimeError("the informer has stopped: it takes no handlers")
            self._registrations.append(registration)
            if self._synced.is_set():
                notes: list[tuple[str, Any, Any]] = [
                    (ADD, None, obj) for obj in self._indexer.list()
                ]
                notes.append((SYNCED, None, None))
                registration.push_many(notes)
            if period:
                registration.next_resync = time.monotonic() + period
            if self._running:
                registration.start()
        return registration

    def _new_registration(
        self, handler: EventHandler[T], period: float
    ) -> Registration[T]:
        """A handler's queue and delivery (a thread; kubeclient.aio's: a task)."""
        return Registration(handler, period, self._list_watch.description)

    def _remove_registration(self, registration: Registration[T]) -> None:
        with self._lock:
            if registration in self._registrations:
                self._registrations.remove(registration)

    # -- running

    def run(self, ctx: Context) -> None:
        """List, watch and deliver until ``ctx`` is done; then stop every thread
        of this informer (within a second, unless a handler is stuck) and return."""
        with self._lock:
            if self._started:
                raise RuntimeError(f"{self!r} was already started")
            self._started = True
            self._running = True
            for registration in self._registrations:
                registration.start()
        resync = threading.Thread(
            target=self._resync_loop,
            args=(ctx,),
            name=f"resync {self._list_watch.description}",
            daemon=True,
        )
        resync.start()
        try:
            self.reflector.run(ctx)
        finally:
            with self._lock:
                self._running = False
                self._stopped.set()
                registrations = list(self._registrations)
            for registration in registrations:
                registration.stop()
            deadline = time.monotonic() + _JOIN_SECONDS
            for registration in registrations:
                registration.join(max(deadline - time.monotonic(), 0.0))
            resync.join(max(deadline - time.monotonic(), 0.0))

    def start(self, ctx: Context) -> threading.Thread:
        """``run(ctx)`` on a background thread (returned: join it after cancelling)."""
        thread = threading.Thread(
            target=self.run,
            args=(ctx,),
            name=f"informer {self._list_watch.description}",
            daemon=True,
        )
        thread.start()
        return thread

    @property
    def started(self) -> bool:
        return self._started

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _resync_loop(self, ctx: Context) -> None:
        while True:
            with self._lock:
                periods = [
                    r.resync_period for r in self._registrations if r.resync_period
                ]
            wait = max(min(periods), _MIN_RESYNC) if periods else _MIN_RESYNC
            if ctx.wait(wait):
                return
            if not self._synced.is_set():
                continue
            now = time.monotonic()
            with self._lock:
                due = [
                    r
                    for r in self._registrations
                    if r.resync_period and r.next_resync <= now
                ]
                if not due:
                    continue
                notes: list[tuple[str, Any, Any]] = [
                    (UPDATE, obj, obj) for obj in self._indexer.list()
                ]
                for registration in due:
                    registration.push_many(notes)
                    registration.next_resync = now + registration.resync_period

    # -- the reflector's sink

    def _entry(self, raw: dict[str, Any]) -> tuple[str, T]:
        if self._transform is not None:
            raw = self._transform(raw)
        return meta_namespace_key(raw), self._decode(raw)

    def replace(self, items: list[dict[str, Any]], resource_version: str) -> None:
        entries: list[tuple[str, T]] = []
        for raw in items:
            try:
                entries.append(self._entry(raw))
            except (KeyError, TypeError, ValueError) as error:
                _log.warning("informer %s: skipping an object: %s", self, error)
        with self._lock:
            try:
                before = self._indexer.replace(entries)
            except IndexerError:
                entries = self._indexable(entries)
                before = self._indexer.replace(entries)
            first = not self._synced.is_set()
            if self._registrations:
                notes: list[tuple[str, Any, Any]] = []
                for key, obj in entries:
                    old = before.get(key)
                    if old is None:
                        notes.append((ADD, None, obj))
                    else:
                        notes.append((UPDATE, old, obj))
                for key, old in before.items():
                    if key not in self._indexer:
                        notes.append((DELETE, DeletedFinalStateUnknown(key, old), None))
                if first:
                    notes.append((SYNCED, None, None))
                for registration in self._registrations:
                    registration.push_many(notes)
            self._last_resource_version = resource_version
            self._synced.set()

    def _indexable(self, entries: list[tuple[str, T]]) -> list[tuple[str, T]]:
        """The entries every index function takes (the others logged, not cached)."""
        kept = []
        for key, obj in entries:
            try:
                self._indexer._values(obj)
            except IndexerError as error:
                _log.error("informer %s: not caching %s: %s", self, key, error)
                continue
            kept.append((key, obj))
        return kept

    def apply(self, event_type: str, raw: dict[str, Any]) -> None:
        try:
            key, obj = self._entry(raw)
        except (KeyError, TypeError, ValueError) as error:
            _log.warning(
                "informer %s: skipping a %s event: %s", self, event_type, error
            )
            return
        with self._lock:
            if event_type == "DELETED":
                self._indexer.pop(key)
                note: tuple[str, Any, Any] = (DELETE, obj, None)
            else:
                try:
                    old = self._indexer.put(key, obj)
                except IndexerError as error:
                    _log.error("informer %s: not caching %s: %s", self, key, error)
                    return
                note = (ADD, None, obj) if old is None else (UPDATE, old, obj)
            for registration in self._registrations:
                registration.push(*note)
            version = _version_of(raw)
            if version:
                self._last_resource_version = version

    def bookmark(self, resource_version: str) -> None:
        with self._lock:
            self._last_resource_version = resource_version


def _version_of(raw: dict[str, Any]) -> str:
    meta = raw.get("metadata")
    version = meta.get("resourceVersion") if isinstance(meta, dict) else None
    return version if isinstance(version, str) else ""


def _wait_synced(
    informers: list[SharedIndexInformer[Any]],
    ctx: Context | None,
    timeout: float | None,
) -> bool:
    deadline = None if timeout is None else time.monotonic() + timeout
    for informer in informers:
        while not informer.has_synced():
            if ctx is not None and ctx.done:
                return False
            if informer.stopped:
                return False
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            informer._synced.wait(0.05 if left is None else min(left, 0.05))
    return True
