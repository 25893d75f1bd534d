"""One scenario suite, four clients: the sync ClientSet and the AsyncClientSet,
each against the test API server (HTTP) and against its fake (the engine
in-process). A scenario is an ``async def`` taking an :class:`Api`, which runs a
client call and awaits it when the client is async, so every scenario is written
once and asserts the same behaviour of all four."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

KINDS = [
    ("sync", "server"),
    ("sync", "fake"),
    ("async", "server"),
    ("async", "fake"),
]


@dataclass
class Api:
    """A client under test, its server's fault injection and seeding."""

    cs: Any
    faults: Any
    asynchronous: bool
    where: str

    async def __call__(self, call: Callable[[Any], Any]) -> Any:
        """``call(cs)``, awaited if the client is async."""
        result = call(self.cs)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def collect(
        self, call: Callable[[Any], Any], limit: int | None = None
    ) -> list[Any]:
        """The items of an iterator (list_all, watch), at most ``limit``; a watch
        is closed once it has given them."""
        stream = call(self.cs)
        items: list[Any] = []
        if hasattr(stream, "__aiter__"):
            try:
                async for item in stream:
                    items.append(item)
                    if limit is not None and len(items) >= limit:
                        break
            finally:
                if hasattr(stream, "aclose"):
                    await stream.aclose()
            return items
        try:
            for item in stream:
                items.append(item)
                if limit is not None and len(items) >= limit:
                    break
        finally:
            if hasattr(stream, "close"):
                stream.close()
        return items

    async def cancelled_after(
        self, seconds: float, call: Callable[[Any, Any], Any]
    ) -> float:
        """Run ``call(cs, ctx)`` (a request or a watch) and cancel it after
        ``seconds``: a sync client through its Context (from another thread), an
        async one by cancelling the task. Returns how long the call took; fails
        unless it ended cancelled."""
        from kubeclient import Context
        from kubeclient.errors import Cancelled

        started = time.monotonic()
        if not self.asynchronous:
            ctx = Context()
            timer = threading.Timer(seconds, ctx.cancel)
            timer.start()
            try:
                with pytest.raises(Cancelled):
                    result = call(self.cs, ctx)
                    if hasattr(result, "__iter__"):
                        list(result)
            finally:
                timer.cancel()
            return time.monotonic() - started

        async def run() -> None:
            result = call(self.cs, None)
            if inspect.isawaitable(result):
                await result
            else:
                async for _ in result:
                    pass

        task = asyncio.create_task(run())
        await asyncio.sleep(seconds)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started


@pytest.fixture(params=KINDS, ids=["-".join(k) for k in KINDS])
def api(request: pytest.FixtureRequest, generated: Path) -> Iterator[Api]:
    from kubeclient import ClientSet
    from kubeclient.aio import AsyncClientSet
    from kubeclient.aio.testing import fake_clientset as async_fake
    from kubeclient.pipeline import RetryPolicy
    from kubeclient.testing import ApiServer, fake_clientset

    mode, where = request.param
    asynchronous = mode == "async"
    quick = RetryPolicy(max_retries=5, backoff_base=0.01, backoff_cap=0.05)
    if where == "server":
        with ApiServer() as server:
            cs = (AsyncClientSet if asynchronous else ClientSet)(server.config())
            cs.rest_client.pipeline.retry = quick
            yield Api(cs, server.faults, asynchronous, where)
            if not asynchronous:  # an async one is closed on its loop, by run()
                cs.close()
        return
    fake = async_fake() if asynchronous else fake_clientset()
    fake.rest_client.pipeline.retry = quick
    yield Api(fake, fake.core.faults, asynchronous, where)


def run(api: Api, scenario: Callable[[Api], Any]) -> Any:
    """Run ``scenario(api)`` on a fresh loop; an async client is closed on it."""

    async def main() -> Any:
        try:
            return await scenario(api)
        finally:
            if api.asynchronous:
                await api.cs.close()

    return asyncio.run(main())
