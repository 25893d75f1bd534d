"""The async fake ClientSet: the AsyncClientSet interface on the test API server's
engine, in-process, recording what was done (as ``kubeclient.testing``'s)::

    from kubeclient.aio.testing import fake_clientset

    async with fake_clientset(objects=[pod]) as cs:
        await my_app.reconcile(cs)
        assert [a.verb for a in cs.actions] == ["get", "update"]

Requests go through the same async pipeline as over HTTP (retries, credentials,
error mapping): only the transport differs. The engine answers a request on the
loop; when a fault is armed (``cs.core.faults``: delays, drops) or the answer
streams (watch, follow=true logs), the blocking parts run in a worker thread so
the loop never stalls, and cancelling the task ends the request at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

from ..._model import Model
from ...request import Request
from ...response import Response
from ...testing.engine.core import Core
from ...testing.fake import Action, FakeTransport, _kubernetes_version
from ...testing.upgrades import Upgraded
from ..clientset import AsyncClientSet
from ..response import AsyncResponse

__all__ = ["Action", "AsyncFakeClientSet", "AsyncFakeTransport", "fake_clientset"]

_END = object()


class _ThreadedStream:
    """A sync streamed body read chunk by chunk in a worker thread."""

    def __init__(self, response: Response) -> None:
        self._response = response

    async def chunks(self, size: int) -> AsyncIterator[bytes]:
        source: Iterator[bytes] = self._response.iter_chunks(size)
        try:
            while True:
                chunk = await asyncio.to_thread(next, source, _END)
                if chunk is _END:
                    return
                assert isinstance(chunk, bytes)
                yield chunk
        finally:
            # a read still blocked in its thread returns at the next heartbeat
            self._response.abort()

    async def aclose(self) -> None:
        self._response.abort()
        try:
            self._response.close()
        except ValueError:  # the generator is still running in its thread
            pass


class AsyncFakeTransport:
    """An AsyncTransport that hands every request to the core, in-process."""

    def __init__(
        self,
        core: Core,
        user: str = "admin",
        groups: tuple[str, ...] = ("system:masters",),
    ) -> None:
        self.sync = FakeTransport(core, user, groups)
        self.core = core
        self.config = None

    @property
    def actions(self) -> list[Action]:
        return self.sync.actions

    async def send(self, request: Request) -> AsyncResponse:
        if self.core.faults.armed or request.stream:
            response = await asyncio.to_thread(self.sync.send, request)
        else:
            response = self.sync.send(request)
        if response.streaming:
            return AsyncResponse(
                response.status,
                response.headers,
                stream=_ThreadedStream(response),
                method=response.method,
                path=response.path,
                url=response.url,
            )
        return AsyncResponse(
            response.status,
            response.headers,
            body=response.content(),
            method=response.method,
            path=response.path,
            url=response.url,
        )

    def upgrade(self, request: Request, headers: dict[str, str]) -> Upgraded:
        """exec, attach, port-forward in-process (the async client runs it in a
        thread, then drives the client's socket on the loop)."""
        return self.sync.upgrade(request, headers)

    async def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return "<AsyncFakeTransport (in-process test API server)>"


class AsyncFakeClientSet(AsyncClientSet):
    """An AsyncClientSet on an in-process API server, recording what was requested:
    ``actions``, ``clear_actions()``, ``core`` (stored objects, faults, pod logs)."""

    def __init__(self, core: Core, namespace: str = "default") -> None:
        self.transport = AsyncFakeTransport(core)
        super().__init__(transport=self.transport)
        self.namespace = namespace
        self.core = core

    @property
    def actions(self) -> list[Action]:
        return self.transport.actions

    def clear_actions(self) -> None:
        self.transport.actions.clear()


def fake_clientset(
    objects: Iterable[Model | Mapping[str, Any]] = (), *, namespace: str = "default"
) -> AsyncFakeClientSet:
    """An AsyncFakeClientSet whose server already holds ``objects``."""
    core = Core(kubernetes_version=_kubernetes_version())
    for obj in objects:
        core.seed(obj if isinstance(obj, Model) else dict(obj))
    return AsyncFakeClientSet(core, namespace)
