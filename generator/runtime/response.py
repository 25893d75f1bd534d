"""A response as every transport returns it: status, headers, and a body read at
once or streamed (watch, follow=true logs).

A transport hands the body over either as bytes or as a :class:`ByteStream`; the
rest of the runtime sees only :class:`Response`, whichever transport made it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Protocol

from ._model import JSONDepthError, loads
from .errors import ResponseDecodeError

__all__ = ["ByteStream", "Headers", "Response", "split_lines"]


class ByteStream(Protocol):
    """A body being received. ``chunks`` yields what arrives (raising
    :class:`~.errors.StreamInterrupted` when the connection breaks); ``abort``
    may be called from another thread to make a blocked read return."""

    def chunks(self, size: int) -> Iterator[bytes]: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class Headers(Mapping[str, str]):
    """Response headers, looked up case-insensitively; repeated names joined.

    ``Headers.view(mapping)`` wraps a mapping that is case-insensitive already
    (urllib3's) without copying it: most responses are only asked for a header or
    two."""

    __slots__ = ("_items", "_view")

    def __init__(
        self, items: Mapping[str, str] | list[tuple[str, str]] | None = None
    ) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items or []
        merged: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        self._items: dict[str, str] | None = merged
        self._view: Mapping[str, str] | None = None

    @classmethod
    def view(cls, mapping: Mapping[str, str]) -> Headers:
        headers = cls.__new__(cls)
        headers._items = None
        headers._view = mapping
        return headers

    def _merged(self) -> dict[str, str]:
        if self._items is None:
            assert self._view is not None
            self._items = Headers(list(self._view.items()))._merged()
        return self._items

    def __getitem__(self, name: str) -> str:
        if self._items is None and self._view is not None:
            return self._view[name]
        return self._merged()[name.lower()]

    def get(self, name: str, default: Any = None) -> Any:
        if self._items is None and self._view is not None:
            return self._view.get(name, default)
        return self._merged().get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._merged())

    def __len__(self) -> int:
        return len(self._merged())

    def __repr__(self) -> str:
        return f"Headers({self._merged()!r})"


class Response:
    """An HTTP response. A streamed one is read on demand: use it as a context
    manager, or call :meth:`close`, so the connection is released."""

    def __init__(
        self,
        status: int,
        headers: Headers,
        *,
        body: bytes | None = None,
        stream: ByteStream | None = None,
        method: str = "",
        path: str = "",
        url: str = "",
    ) -> None:
        if (body is None) == (stream is None):
            raise TypeError("a Response has either a body or a stream")
        self.status = status
        self.headers = headers
        self.method = method
        self.path = path
        #: where it came from, without the query (for messages)
        self.url = url or path
        self._body = body
        self._stream = stream

    @property
    def streaming(self) -> bool:
        return self._stream is not None and self._body is None

    def content(self) -> bytes:
        """The whole body (read now if streaming)."""
        if self._body is None:
            self._body = b"".join(self.iter_chunks())
        return self._body

    def json(self) -> Any:
        body = self.content()
        try:
            return loads(body)
        except (ValueError, RecursionError) as error:
            kind = self.headers.get("Content-Type") or "no content type"
            excerpt = body[:200].decode("utf-8", errors="replace")
            problem = (
                "is nested too deeply to decode"
                if isinstance(error, (RecursionError, JSONDepthError))
                else "is not JSON"
            )
            raise ResponseDecodeError(
                f"{self.method} {self.path}: {self.status} response {problem} "
                f"({kind}): {excerpt!r}"
            ) from None

    def iter_chunks(self, size: int = 65536) -> Iterator[bytes]:
        """The body in pieces as they arrive (at most ``size`` bytes each)."""
        if self._body is not None:
            for start in range(0, len(self._body), size):
                yield self._body[start : start + size]
            return
        stream = self._stream
        assert stream is not None
        try:
            yield from stream.chunks(size)
        finally:
            stream.close()

    def iter_lines(self) -> Iterator[bytes]:
        """Body lines without their ``\\n`` / ``\\r\\n``; memory bounded by a line."""
        return split_lines(self.iter_chunks())

    def read_at_most(self, limit: int) -> bytes:
        """Up to ``limit`` bytes of the body; a broken connection keeps what came."""
        from .errors import ConnectionFailed

        if self._body is not None:
            return self._body[:limit]
        data = bytearray()
        try:
            for chunk in self.iter_chunks():
                data += chunk
                if len(data) >= limit:
                    break
        except ConnectionFailed:
            pass  # the status says enough
        return bytes(data[:limit])

    def abort(self) -> None:
        """Stop the body from another thread: a blocked read returns at once."""
        if self._stream is not None:
            self._stream.abort()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.method} {self.path}>"


def split_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines of a byte stream without ``\\n`` / ``\\r\\n``; a last unterminated line
    is yielded too. Memory is bounded by one line plus one chunk."""
    for line, _ in split_terminated(chunks):
        yield line


def split_terminated(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """(line, terminated) pairs; only the last line can be unterminated."""
    buffer = bytearray()
    for chunk in chunks:
        scan = len(buffer)  # the bytes before were already searched for b"\n"
        buffer += chunk
        begin = 0
        while (end := buffer.find(b"\n", scan)) >= 0:
            stop = end - 1 if end > begin and buffer[end - 1] == 0x0D else end
            yield bytes(buffer[begin:stop]), True
            begin = scan = end + 1
        del buffer[:begin]
    if buffer:
        yield bytes(buffer), False
