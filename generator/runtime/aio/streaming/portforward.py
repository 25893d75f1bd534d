"""Port-forward for the async client: an asyncio listener on 127.0.0.1; every
local connection gets its own WebSocket to pods/portforward (the sync client's
``v4.channel.k8s.io`` framing: data on channel 0, errors on 1, each opened by
the port). Relayed in chunks with drain: memory stays bounded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ...errors import StreamInterrupted
from ...streaming import channels
from .websocket import AsyncWebSocket

if TYPE_CHECKING:
    from ...context import Context

__all__ = ["AsyncPortForward"]

_log = logging.getLogger(__package__ or "kubeclient")
_CHUNK = 1 << 17

Opener = Callable[[], Awaitable[AsyncWebSocket]]


class AsyncPortForward:
    """Forwards ``127.0.0.1:local_port`` to the pod's port: ``async with``.
    ``errors`` lists what the server reported (nothing listens ...), newest last."""

    def __init__(
        self,
        open_ws: Opener,
        port: int,
        local_port: int = 0,
        *,
        what: str = "",
        ctx: Context | None = None,
    ) -> None:
        self._open = open_ws
        self.port = port
        self._wanted = local_port
        self.local_port = 0
        self.what = what or f"port {port}"
        self.errors: list[str] = []
        self._ctx = ctx
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._sockets: set[AsyncWebSocket] = set()
        self._closed = False
        self._unregister: Callable[[], None] | None = None

    async def start(self) -> AsyncPortForward:
        """Listen (``async with`` does it)."""
        if self._server is not None:
            return self
        try:
            self._server = await asyncio.start_server(
                self._accepted, "127.0.0.1", self._wanted
            )
        except OSError as error:
            raise OSError(
                f"port-forward: cannot listen on 127.0.0.1:{self._wanted}: {error}"
            ) from None
        self.local_port = self._server.sockets[0].getsockname()[1]
        if self._ctx is not None:
            loop = asyncio.get_running_loop()

            def cancel() -> None:
                try:
                    loop.call_soon_threadsafe(self._abort)
                except RuntimeError:
                    pass

            self._unregister = self._ctx.on_cancel(cancel)
        return self

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to the pod's port, through the forward."""
        return await asyncio.open_connection("127.0.0.1", self.local_port)

    def _abort(self) -> None:
        """Stop listening, cut every forwarded connection (sync: ctx and
        cancellation call it)."""
        if self._closed:
            return
        self._closed = True
        if self._unregister is not None:
            self._unregister()
        if self._server is not None:
            self._server.close()
        for ws in list(self._sockets):
            ws.abort()
        for task in list(self._tasks):
            task.cancel()

    async def close(self) -> None:
        self._abort()
        tasks = list(self._tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> AsyncPortForward:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        if exc[0] is not None and issubclass(exc[0], asyncio.CancelledError):  # type: ignore[arg-type]
            self._abort()
            return
        await self.close()

    def __repr__(self) -> str:
        return f"<AsyncPortForward 127.0.0.1:{self.local_port} -> {self.what}>"

    # -- relaying

    async def _accepted(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        ws: AsyncWebSocket | None = None
        try:
            if self._closed:
                return
            try:
                ws = await self._open()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # typed errors: reported, the local side closed
                self._report(f"cannot open the forward: {error}")
                return
            self._sockets.add(ws)
            upstream = asyncio.ensure_future(self._upstream(reader, ws))
            try:
                await self._downstream(writer, ws)
            finally:
                upstream.cancel()
        except asyncio.CancelledError:
            pass  # closed: the connections go with it
        finally:
            self._tasks.discard(task)
            if ws is not None:
                self._sockets.discard(ws)
                ws.abort()
            writer.transport.abort()

    async def _upstream(self, reader: asyncio.StreamReader, ws: AsyncWebSocket) -> None:
        """Local bytes to the pod."""
        try:
            while data := await reader.read(_CHUNK):
                await ws.send(channels.encode(0, data))
        except (OSError, StreamInterrupted):
            return
        await ws.close()

    async def _downstream(
        self, writer: asyncio.StreamWriter, ws: AsyncWebSocket
    ) -> None:
        """The pod's bytes to the local connection; errors are reported."""
        opened: set[int] = set()
        try:
            while True:
                message = await ws.receive()
                if message is None:
                    return
                channel, data = channels.decode(message)
                if channel not in opened:  # the first message is the port
                    opened.add(channel)
                    _, data = channels.read_port_prefix(data)
                if not data:
                    continue
                if channel == 0:
                    writer.write(data)
                    await writer.drain()
                elif channel == 1:
                    self._report(data.decode("utf-8", errors="replace"))
        except StreamInterrupted as error:
            if not self._closed:
                self._report(str(error))
        except channels.ChannelError as error:
            self._report(f"protocol error: {error}")
        except OSError:
            pass  # the local side went away

    def _report(self, message: str) -> None:
        _log.warning("port-forward %s: %s", self.what, message)
        self.errors.append(message)
