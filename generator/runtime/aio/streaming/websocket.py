"""A WebSocket over asyncio streams: the frames are the sync client's
(:class:`...streaming.websocket.Frames`, on wsproto), only the waiting is
asyncio's. Writes wait for the socket to drain, so a slow peer slows the writer
instead of filling memory.
"""

from __future__ import annotations

import asyncio

from ...errors import StreamInterrupted
from ...streaming.websocket import Frames

__all__ = ["AsyncWebSocket"]


class AsyncWebSocket:
    """Whole binary messages over ``reader``/``writer`` once the handshake is done."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        client: bool = True,
        buffered: bytes = b"",
        what: str = "the WebSocket peer",
    ) -> None:
        self._frames = Frames(client=client, buffered=buffered, what=what)
        self._reader = reader
        self._writer = writer
        self._what = what
        self._send_lock = asyncio.Lock()

    @property
    def closed(self) -> bool:
        return self._frames.closed

    # -- sending

    async def send(self, data: bytes) -> None:
        """One binary message; StreamInterrupted when the connection is gone."""
        async with self._send_lock:
            await self._write(self._frames.message(data))

    async def _write(self, out: bytes) -> None:
        if self._writer.is_closing():
            self._frames.closed = True
            raise StreamInterrupted(f"the connection to {self._what} is closed")
        try:
            self._writer.write(out)
            await self._writer.drain()
        except (OSError, RuntimeError) as error:
            self._frames.closed = True
            raise StreamInterrupted(
                f"the connection to {self._what} broke while sending: {error}"
            ) from None

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Start (or answer) the closing handshake; never raises."""
        try:
            async with self._send_lock:
                out = self._frames.closing(code, reason)
                if out is not None:
                    await self._write(out)
        except StreamInterrupted:
            pass

    def abort(self) -> None:
        """Cut the connection now (a pending receive or send ends); sync, so a
        ``finally`` of a cancelled task and a ctx callback can call it."""
        self._frames.closed = True
        transport = self._writer.transport
        if not transport.is_closing():
            transport.abort()
        else:
            transport.close()

    # -- receiving

    async def receive(self) -> bytes | None:
        """The next whole message; None once the peer closed the WebSocket; a
        connection that breaks first raises StreamInterrupted."""
        frames = self._frames
        while True:
            if frames.pending:
                return frames.pending.popleft()
            if frames.closed:
                return None
            await self._fill()

    async def _fill(self) -> None:
        frames = self._frames
        data = b""
        if not frames.buffered:
            try:
                data = await self._reader.read(65536)
            except OSError as error:
                frames.closed = True
                raise StreamInterrupted(
                    f"the connection to {self._what} broke: {error}"
                ) from None
            if not data:
                if frames.closed:  # aborted by this end
                    return
                raise frames.ended()
        try:
            replies = frames.feed(data)
        except StreamInterrupted:
            self.abort()
            raise
        if replies:
            try:
                async with self._send_lock:
                    await self._write(replies)
            except StreamInterrupted:
                if frames.close_code is None:
                    raise
