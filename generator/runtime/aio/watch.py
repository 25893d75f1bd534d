"""Async watch streams: the events of ``?watch=1``, decoded as they arrive, and a
watch that survives dropped connections and 410 Gone (client-go's Reflector).

Decoding and every decision of the resuming watch are the sync module's
(:mod:`..watch`: the event parser, the known-state bookkeeping, the synthetic
events of a relist, which errors relist, which are retried, the backoff); only
the reading is awaited here. Cancelling the task that iterates (or ``aclose()``)
closes the connection at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
)
from typing import Any, Generic, TypeVar

from ..context import Context
from ..errors import (
    ApiError,
    ConnectionFailed,
    StreamInterrupted,
    WatchDecodeError,
    error_from_status,
)
from ..watch import (
    _NOTHING,
    _PROGRESS,
    _RELIST,
    Watcher,
    WatchEvent,
    _parse_event,
)
from .pipeline import within
from .response import AsyncResponse, aiter_terminated

__all__ = ["AsyncWatchStream", "AsyncWatcher", "WatchEvent", "aiter_watch_events"]

T = TypeVar("T")
Page = tuple[list[dict[str, Any]], str]


async def aiter_watch_events(
    response: AsyncResponse, decode: Callable[[dict[str, Any]], T]
) -> AsyncGenerator[WatchEvent[T], None]:
    """``watch.iter_watch_events`` for an async response (closed at the end)."""
    url = str(response.url or "")
    try:
        async for line, terminated in aiter_terminated(response.aiter_chunks()):
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
        await response.aclose()


def _not_called(*_: object) -> Any:
    raise AssertionError("the async watcher drives the state itself")


class AsyncWatcher(Generic[T]):
    """:class:`..watch.Watcher` with awaited ``start`` and ``relist``: the same
    semantics (relist first without a resourceVersion; resume from the last one
    seen, BOOKMARKs included; relist with synthetic events on 410; backoff on
    fruitless attempts; ``timeout`` bounds the whole iteration)."""

    def __init__(
        self,
        *,
        start: Callable[[str | None], Awaitable[AsyncResponse]],
        relist: Callable[[], Awaitable[Page]],
        decode: Callable[[dict[str, Any]], T],
        resource_version: str | None = None,
        timeout: float | None = None,
        known: Iterable[Mapping[str, Any]] = (),
        clock: Callable[[], float] = time.monotonic,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        ctx: Context | None = None,
    ) -> None:
        self._start = start
        self._relist = relist
        self._decode = decode
        self._ctx = ctx
        self._clock = clock
        self.timeout = timeout
        #: the sync watcher's bookkeeping and decisions, never its I/O
        self.state: Watcher[T] = Watcher(
            start=_not_called,
            relist=_not_called,
            decode=decode,
            resource_version=resource_version,
            known=known,
            clock=clock,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
        )

    @property
    def resource_version(self) -> str | None:
        return self.state.resource_version

    async def __aiter__(self) -> AsyncIterator[WatchEvent[T]]:
        state = self.state
        deadline = None if self.timeout is None else self._clock() + self.timeout
        failures = 0
        need_relist = state.resource_version is None
        while not state._past(deadline):
            if self._ctx is not None:
                self._ctx.check()
            outcome = _NOTHING
            if need_relist:
                try:
                    items, version = await self._relist()
                    for event in state._changes(items, version):
                        yield event
                    outcome = _PROGRESS
                except ApiError as error:
                    state._raise_unless_transient(error)
                except ConnectionFailed:
                    pass
                if outcome == _PROGRESS:
                    need_relist = False
            if not need_relist:
                outcome = _NOTHING
                async for happened in self._watch_once(deadline):
                    if isinstance(happened, str):
                        outcome = happened
                    else:
                        yield happened
            need_relist = need_relist or outcome == _RELIST
            failures = 0 if outcome == _PROGRESS else failures + 1
            if outcome == _RELIST and failures == 1:
                continue
            delay = state._delay(failures, deadline)
            if delay > 0:
                await asyncio.sleep(delay)

    async def _watch_once(
        self, deadline: float | None
    ) -> AsyncIterator[WatchEvent[T] | str]:
        """One stream's events, then its outcome (a str) last."""
        state = self.state
        delivered = False
        try:
            response = await self._start(state.resource_version)
        except (ApiError, ConnectionFailed) as error:
            yield state._outcome_of(error, delivered)
            return
        events = aiter_watch_events(response, self._decode)
        try:
            while True:
                try:
                    if deadline is None:
                        event = await events.__anext__()
                    else:
                        remaining = max(deadline - self._clock(), 0.0)
                        event = await asyncio.wait_for(events.__anext__(), remaining)
                except (StopAsyncIteration, asyncio.TimeoutError):
                    break
                except (ApiError, ConnectionFailed) as error:
                    yield state._outcome_of(error, delivered)
                    return
                state._track(event.type, event.raw)
                delivered = True
                yield event
                if state._past(deadline):
                    break
        finally:
            await events.aclose()
            await response.aclose()
        yield _PROGRESS if delivered else _NOTHING


class AsyncWatchStream(AsyncIterator[WatchEvent[T]]):
    """Watch events for ``async for``; ``aclose()`` (or ``async with``) ends the
    watch and closes its connection. ``events`` is called once, on first use."""

    def __init__(
        self,
        events: Callable[[Context], AsyncIterator[WatchEvent[T]]],
        ctx: Context | None = None,
    ) -> None:
        self._outer = ctx
        self._ctx = Context(parent=ctx)
        self._start = events
        self._events: AsyncIterator[WatchEvent[T]] | None = None
        self._closed = False

    def __aiter__(self) -> AsyncWatchStream[T]:
        return self

    async def __anext__(self) -> WatchEvent[T]:
        if self._closed:
            raise StopAsyncIteration
        if self._events is None:
            self._events = self._start(self._ctx)
        try:
            if self._outer is None:
                return await self._events.__anext__()
            # the caller's Context may end the watch from another thread
            return await within(self._outer, self._events.__anext__())
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """End the watch (more than once is fine)."""
        self._closed = True
        events, self._events = self._events, None
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()
        self._ctx.cancel()

    @property
    def closed(self) -> bool:
        return self._closed

    async def __aenter__(self) -> AsyncWatchStream[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncWatchStream {'closed' if self._closed else 'open'}>"
