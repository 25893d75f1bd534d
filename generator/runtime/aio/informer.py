"""Async informers: client-go's shared informers on the event loop, no threads.

The cache, its indexes, the listers and every notification decision (adds,
updates, resyncs, DeletedFinalStateUnknown after a relist, handlers added late)
are the sync :class:`~..cache.SharedIndexInformer`'s: this one derives from it.
What differs is only how things run: the reflector lists and watches with await
(the sync reflector's states and decisions: resourceVersion "0" then a
consistent read after a 410, watching again after a dropped stream, backoff),
and each handler is served by a task of its own (its callbacks may be plain
functions or coroutines)::

    from kubeclient.aio.informers import SharedInformerFactory   # generated

    factory = SharedInformerFactory(cs)                  # an AsyncClientSet
    informer = factory.apps_v1.deployments()             # a DeploymentInformer
    # or, for any async client (a dynamic one too):
    # informer = factory.informer_for(cs.apps_v1.deployments(""))
    informer.add_event_handler(on_add=added, on_update=updated)
    factory.start()                                      # tasks on this loop
    await factory.wait_for_cache_sync(timeout=30)
    informer.lister.get("default/web")
    await factory.shutdown()

The list is a streaming list (``sendInitialEvents=true``, ending at the
``k8s.io/initial-events-end`` bookmark) where the server serves one; a server
that refuses it (400/422) gets paged lists from then on (``use_watch_list``:
None tries, True requires, False never), as the sync informer.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ..cache.informer import SharedIndexInformer, Transform
from ..cache.processor import ADD, DELETE, SYNCED, UPDATE, EventHandler, Registration
from ..cache.reflector import _RETRY_WATCH, Reflector, _Relist
from ..cache.store import IndexFunc
from ..context import Context
from ..errors import (
    ApiError,
    BadRequest,
    Cancelled,
    ConnectionFailed,
    Forbidden,
    Gone,
    Invalid,
    ResponseDecodeError,
    Unauthorized,
    WatchDecodeError,
)
from ..watch import WatchEvent
from .resource import AsyncResourceClient
from .watch import aiter_watch_events

if TYPE_CHECKING:
    from ..rest import ParamValue
    from ..sharding import Shard

__all__ = ["AsyncInformerFactory", "AsyncSharedIndexInformer"]

_log = logging.getLogger(__package__ or "kubeclient")

T = TypeVar("T")
InformerT = TypeVar("InformerT", bound="AsyncSharedIndexInformer[Any]")


_Events = AsyncGenerator[WatchEvent[dict[str, Any]], None]


def _raw(data: dict[str, Any]) -> dict[str, Any]:
    return data


class _AsyncRegistration(Registration[T]):
    """A handler's queue, served by a task on the loop (not a thread)."""

    def __init__(self, handler: EventHandler[T], period: float, name: str) -> None:
        super().__init__(handler, period, name)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def push(self, kind: str, old: Any, new: Any) -> None:
        super().push(kind, old, new)
        self._wake.set()

    def push_many(self, notes: list[tuple[str, Any, Any]]) -> None:
        super().push_many(notes)
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._serve())

    def stop(self) -> None:
        super().stop()
        self._wake.set()

    def join(self, timeout: float | None = None) -> None:
        pass  # the task ends at its next wake-up; shutdown() awaits it

    async def _serve(self) -> None:
        queue = self._queue
        while not self._stopped:
            if not queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = list(queue)
            queue.clear()
            for kind, old, new in batch:
                if self._stopped:
                    return
                await self._adeliver(kind, old, new)

    async def _adeliver(self, kind: str, old: Any, new: Any) -> None:
        handler = self.handler
        try:
            result: object = None
            if kind == ADD and handler.on_add is not None:
                result = handler.on_add(new)
            elif kind == UPDATE and handler.on_update is not None:
                result = handler.on_update(old, new)
            elif kind == DELETE and handler.on_delete is not None:
                result = handler.on_delete(old)
            elif kind == SYNCED:
                self._synced.set()
            if inspect.isawaitable(result):
                await result
        except Exception:  # a handler's bug must not stop the informer
            _log.exception("event handler of %s failed on %s", self._name, kind)


class _AsyncReflector(Reflector[T]):
    """The sync reflector's states, awaited: a streaming list where the server
    serves one (else a paged list), then watch from the list's resourceVersion
    again and again until a 410 makes it relist."""

    def __init__(self, informer: AsyncSharedIndexInformer[T], **kwargs: Any) -> None:
        super().__init__(informer._list_watch, informer, **kwargs)
        self._async_client = informer._async_client
        self._params = informer._list_watch.params

    async def arun(self, ctx: Context) -> None:
        while not ctx.done:
            try:
                events = None
                if self.use_watch_list is not False:
                    events = await self._astreaming_list(ctx)
                if events is None:
                    await self._alist(ctx)
                await self._awatch(ctx, events)
            except Cancelled:
                return
            except _Relist:
                continue
            except Exception as error:  # only the context (or cancelling) ends it
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
                await asyncio.sleep(delay)

    async def _alist(self, ctx: Context) -> None:
        version = self._list_version()
        params = {**self._params, "resourceVersion": version or None}
        try:
            items, listed = await self._async_client._relist(
                params, None, ctx, self.page_size
            )
        except Gone:
            if not version:
                raise
            self._version_unavailable = True
            raise _Relist() from None
        self._version_unavailable = False
        self.lists += 1
        self.sink.replace(items, listed)
        self.last_sync_resource_version = listed

    async def _astreaming_list(self, ctx: Context) -> _Events | None:
        """The sync reflector's streaming list, awaited: the initial events into
        the sink, then the same stream to go on watching; None when the server
        refuses streaming lists (paged lists from then on). Every decision is
        the sync reflector's (``_initial_event``, ``_streaming_refused`` ...)."""
        version = self._streaming_version()
        events = self._events(ctx, version, send_initial_events=True)
        try:
            items: dict[tuple[str, str], dict[str, Any]] = {}
            count = 0
            async for event in events:
                count += 1
                if self._initial_event(items, count, event):
                    return events
        except Gone as error:
            await events.aclose()
            self._streaming_gone(version, error)
        except (BadRequest, Invalid, Forbidden, Unauthorized) as error:
            await events.aclose()
            self._streaming_refused(error)
            return None
        except BaseException:
            await events.aclose()
            raise
        raise self._streaming_cut_short()

    def _events(
        self, ctx: Context, version: str, *, send_initial_events: bool = False
    ) -> _Events:
        client = self._async_client
        params = self.list_watch.watch_params(
            version, self._watch_timeout(), send_initial_events
        )

        async def events() -> _Events:
            request = client._req("GET", client.namespace, ctx=ctx)
            request.params(params).timeout(client.sync._stream_timeout(None))
            response = await client._open(request)
            async for event in aiter_watch_events(response, _raw):
                yield event

        return events()

    async def _awatch(self, ctx: Context, events: _Events | None = None) -> None:
        """Watch from the last resourceVersion (first on ``events``, the stream
        of a streaming list), again and again, until a 410."""
        while not ctx.done:
            started = time.monotonic()
            try:
                if events is None:
                    events = self._events(ctx, self.last_sync_resource_version)
                async for event in events:
                    self._deliver(event)
            except Gone:
                self._version_unavailable = True
                _log.info(
                    "reflector %s: resourceVersion %s is too old; relisting",
                    self.name,
                    self.last_sync_resource_version,
                )
                raise _Relist() from None
            except (ConnectionFailed, WatchDecodeError, *_RETRY_WATCH) as error:
                if ctx.done:
                    return
                delay = self.backoff.next()
                _log.info(
                    "reflector %s: watch ended (%s); watching again in %.1fs",
                    self.name,
                    error,
                    delay,
                )
                await asyncio.sleep(delay)
            else:
                if time.monotonic() - started > 1.0:
                    self.backoff.reset()
            finally:
                if events is not None:
                    await events.aclose()
                events = None

    def _deliver(self, event: WatchEvent[dict[str, Any]]) -> None:
        """One event into the sink (the sync reflector's ``_handle``, one event)."""
        self._handle(iter((event,)))


class AsyncSharedIndexInformer(SharedIndexInformer[T]):
    """:class:`~..cache.SharedIndexInformer` run on the loop: ``start()`` makes a
    task, ``await wait_for_cache_sync()``, ``await stop()``. Reading the cache
    (``indexer``, ``lister``, ``has_synced()``) is as the sync informer's."""

    def __init__(
        self,
        client: AsyncResourceClient[T, Any],
        *,
        resync_period: float = 0.0,
        indexers: Mapping[str, IndexFunc[T]] | None = None,
        params: Mapping[str, ParamValue] | None = None,
        page_size: int = 500,
        use_watch_list: bool | None = None,
        transform: Transform | None = None,
    ) -> None:
        self._async_client = client
        super().__init__(
            client.sync,  # builds and decodes; never sends
            resync_period=resync_period,
            indexers=indexers,
            params=params,
            page_size=page_size,
            use_watch_list=False,  # the sync reflector made here never runs
            transform=transform,
        )
        self.reflector = _AsyncReflector(
            self, page_size=page_size, use_watch_list=use_watch_list
        )
        self._ctx: Context | None = None
        self._task: asyncio.Task[None] | None = None

    def _new_registration(
        self, handler: EventHandler[T], period: float
    ) -> Registration[T]:
        return _AsyncRegistration(handler, period, self._list_watch.description)

    async def arun(self, ctx: Context | None = None) -> None:
        """List, watch and deliver until ``ctx`` is done or the task is cancelled."""
        ctx = ctx or Context()
        self._ctx = ctx
        with self._lock:
            if self._started:
                raise RuntimeError(f"{self!r} was already started")
            self._started = True
            self._running = True
            for registration in self._registrations:
                registration.start()
        resync = asyncio.get_running_loop().create_task(self._aresync(ctx))
        reflector = self.reflector
        assert isinstance(reflector, _AsyncReflector)
        try:
            await reflector.arun(ctx)
        finally:
            resync.cancel()
            with self._lock:
                self._running = False
                self._stopped.set()
                registrations = list(self._registrations)
            for registration in registrations:
                registration.stop()

    def start(self, ctx: Context | None = None) -> asyncio.Task[None]:  # type: ignore[override]
        """``arun()`` as a task of the running loop (the sync one makes a thread)."""
        self._task = asyncio.get_running_loop().create_task(self.arun(ctx))
        return self._task

    async def stop(self) -> None:
        """End the informer and its handlers' tasks."""
        if self._ctx is not None:
            self._ctx.cancel()
        task = self._task
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def wait_for_cache_sync(  # type: ignore[override]
        self, ctx: Context | None = None, timeout: float | None = None
    ) -> bool:
        """Wait (on the loop) until synced; False on timeout or once stopped."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.has_synced():
            if self.stopped or (ctx is not None and ctx.done):
                return False
            if deadline is not None and time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def _aresync(self, ctx: Context) -> None:
        """The sync informer's resync checks, on the loop."""
        from ..cache.informer import _MIN_RESYNC

        while not ctx.done:
            with self._lock:
                periods = [
                    r.resync_period for r in self._registrations if r.resync_period
                ]
            await asyncio.sleep(
                max(min(periods), _MIN_RESYNC) if periods else _MIN_RESYNC
            )
            if not self.has_synced():
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


class AsyncInformerFactory:
    """Shared async informers of one AsyncClientSet, with common options; the
    base of the generated ``aio.informers.SharedInformerFactory`` (which adds
    ``factory.apps_v1.deployments()``, as the sync factory).

    ``namespace=None`` watches every namespace (the typed accessors';
    ``informer_for`` takes the client's); ``label_selector``,
    ``field_selector`` and ``shard`` narrow every list and watch;
    ``resync_period`` (seconds, 0 = never) is the handlers' default resync;
    ``transform`` changes each wire dict before it is cached;
    ``use_watch_list`` asks for streaming lists (None: where the server
    supports them).
    """

    def __init__(
        self,
        clientset: Any,
        resync_period: float = 0.0,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        shard: Shard | str | None = None,
        *,
        transform: Transform | None = None,
        use_watch_list: bool | None = None,
    ) -> None:
        self.clientset = clientset
        self.resync_period = resync_period
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.shard = shard
        self.transform = transform
        self.use_watch_list = use_watch_list
        self._informers: dict[object, AsyncSharedIndexInformer[Any]] = {}
        self._started: list[AsyncSharedIndexInformer[Any]] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {len(self._informers)} informers>"

    @property
    def params(self) -> dict[str, ParamValue]:
        """The list/watch query parameters every informer of this factory uses."""
        shard = None if self.shard is None else str(self.shard)
        return {
            "labelSelector": self.label_selector or None,
            "fieldSelector": self.field_selector or None,
            "shardSelector": shard or None,
        }

    def _shared(
        self,
        key: object,
        client: Callable[[], AsyncResourceClient[T, Any]],
        make: Callable[..., InformerT],
        options: Mapping[str, Any],
    ) -> InformerT:
        informer = self._informers.get(key)
        if informer is None:
            informer = make(
                client(),
                **{
                    "resync_period": self.resync_period,
                    "params": self.params,
                    "transform": self.transform,
                    "use_watch_list": self.use_watch_list,
                    **options,
                },
            )
            self._informers[key] = informer
        return informer  # type: ignore[return-value]

    def informer_for(
        self, client: AsyncResourceClient[T, Any], **options: Any
    ) -> AsyncSharedIndexInformer[T]:
        """The shared informer of any async resource client (typed or dynamic),
        on that client's namespace; ``options`` as AsyncSharedIndexInformer's."""
        info = client.resource
        key = (info.group, info.version, info.plural, client.namespace)
        return self._shared(key, lambda: client, AsyncSharedIndexInformer, options)

    def typed_informer(
        self, informer_class: type[InformerT], client_class: Any
    ) -> InformerT:
        """The informer of ``client_class`` (a generated async typed client
        class), on the factory's namespace."""
        rest = self.clientset.rest_client
        namespace = self.namespace or ""

        def client() -> Any:
            if client_class._info_.namespaced:
                return client_class(rest, namespace)
            return client_class(rest)

        return self._shared(informer_class, client, informer_class, {})

    def informers(self) -> list[AsyncSharedIndexInformer[Any]]:
        return list(self._informers.values())

    def start(self, ctx: Context | None = None) -> None:
        """Start every informer not started yet, as tasks of the running loop
        (call again for ones made later)."""
        for informer in self._informers.values():
            if not informer.started:
                informer.start(ctx)
                self._started.append(informer)

    async def wait_for_cache_sync(self, timeout: float | None = None) -> bool:
        """True once every started informer has synced; False on timeout."""
        results = await asyncio.gather(
            *(i.wait_for_cache_sync(timeout=timeout) for i in self._started)
        )
        return all(results)

    async def shutdown(self) -> None:
        """Stop every started informer and its handlers' tasks."""
        await asyncio.gather(*(i.stop() for i in self._started))
        self._started.clear()
