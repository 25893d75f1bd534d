"""A response as an async transport returns it: a body read at once (a plain
:class:`~..response.Response` then decodes it), or streamed (watch, follow=true
logs), read with ``async for``."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Protocol

from ..errors import ConnectionFailed
from ..response import Headers, Response

__all__ = ["AsyncByteStream", "AsyncResponse", "aiter_terminated"]


class AsyncByteStream(Protocol):
    """A body being received; ``aclose`` closes its connection at once."""

    def chunks(self, size: int) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class AsyncResponse:
    """An HTTP response of an async transport: status, headers, and either the
    whole body or a stream. Close a streamed one (``aclose`` or ``async with``)."""

    def __init__(
        self,
        status: int,
        headers: Headers,
        *,
        body: bytes | None = None,
        stream: AsyncByteStream | None = None,
        method: str = "",
        path: str = "",
        url: str = "",
    ) -> None:
        if (body is None) == (stream is None):
            raise TypeError("an AsyncResponse has either a body or a stream")
        self.status = status
        self.headers = headers
        self.method = method
        self.path = path
        self.url = url or path
        self._body = body
        self._stream = stream

    @property
    def streaming(self) -> bool:
        return self._body is None

    async def read(self) -> Response:
        """The whole body, as a plain :class:`Response` (its ``json()``, ``content()``
        decode as the sync client's do)."""
        if self._body is None:
            self._body = b"".join([chunk async for chunk in self.aiter_chunks()])
        return Response(
            self.status,
            self.headers,
            body=self._body,
            method=self.method,
            path=self.path,
            url=self.url,
        )

    async def aiter_chunks(self, size: int = 65536) -> AsyncIterator[bytes]:
        if self._body is not None:
            for start in range(0, len(self._body), size):
                yield self._body[start : start + size]
            return
        stream = self._stream
        assert stream is not None
        try:
            async for chunk in stream.chunks(size):
                yield chunk
        finally:
            await stream.aclose()

    async def aiter_lines(self) -> AsyncIterator[bytes]:
        """Body lines without ``\\n`` / ``\\r\\n``; memory bounded by a line."""
        async for line, _ in aiter_terminated(self.aiter_chunks()):
            yield line

    async def read_at_most(self, limit: int) -> bytes:
        """Up to ``limit`` bytes; a broken connection keeps what came."""
        if self._body is not None:
            return self._body[:limit]
        data = bytearray()
        try:
            async for chunk in self.aiter_chunks():
                data += chunk
                if len(data) >= limit:
                    break
        except ConnectionFailed:
            pass
        finally:
            await self.aclose()
        return bytes(data[:limit])

    async def aclose(self) -> None:
        if self._stream is not None:
            await self._stream.aclose()

    async def __aenter__(self) -> AsyncResponse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncResponse {self.status} {self.method} {self.path}>"


async def aiter_terminated(
    chunks: AsyncIterable[bytes],
) -> AsyncIterator[tuple[bytes, bool]]:
    """(line, terminated) pairs of a byte stream (``response.split_terminated``)."""
    buffer = bytearray()
    async for chunk in chunks:
        scan = len(buffer)
        buffer += chunk
        begin = 0
        while (end := buffer.find(b"\n", scan)) >= 0:
            stop = end - 1 if end > begin and buffer[end - 1] == 0x0D else end
            yield bytes(buffer[begin:stop]), True
            begin = scan = end + 1
        del buffer[:begin]
    if buffer:
        yield bytes(buffer), False
