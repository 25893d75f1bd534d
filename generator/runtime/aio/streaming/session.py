"""exec and attach for the async client: :func:`run` to the end
(:class:`~...streaming.session.ExecResult`), :class:`AsyncExecSession` for an
interactive session (``async with``). The channels are the sync client's.

Output waits in bounded queues (a reader that stops reading stops the
command), so memory stays bounded whatever the command writes. Cancelling the
task (or ``ctx``) cuts the connection at once; a connection that breaks before
the command's Status raises StreamInterrupted.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from ...errors import StreamInterrupted
from ...streaming import channels
from ...streaming.session import ExecResult, _outcome
from .websocket import AsyncWebSocket

if TYPE_CHECKING:
    from ...context import Context

__all__ = ["AsyncExecSession", "AsyncSink", "run"]

_CHUNK = 1 << 17
_QUEUE = 64  # chunks per output stream: at most ~8 MiB each


class AsyncSink(Protocol):
    """Where output can be streamed: ``write`` may return an awaitable (an
    asyncio StreamWriter's ``write`` + drain, an aiofiles file ...)."""

    def write(self, data: bytes, /) -> Any: ...


class _Cancel:
    """``ctx`` cuts the connection at once (from any thread); the error is ctx's."""

    def __init__(self, ws: AsyncWebSocket, ctx: Context | None) -> None:
        self.ctx = ctx
        self._unregister = None
        if ctx is not None:
            loop = asyncio.get_running_loop()

            def cancel() -> None:
                try:
                    loop.call_soon_threadsafe(ws.abort)
                except RuntimeError:  # the loop is closed
                    pass

            self._unregister = ctx.on_cancel(cancel)

    def check(self, error: BaseException) -> BaseException:
        if self.ctx is not None and self.ctx.done:
            failure = self.ctx.error()
            if failure is not None:
                return failure
        return error

    def release(self) -> None:
        if self._unregister is not None:
            self._unregister()
            self._unregister = None


async def _send_stdin(ws: AsyncWebSocket, protocol: str, data: Any) -> None:
    try:
        if isinstance(data, (bytes, bytearray, memoryview)):
            view = memoryview(data)
            for start in range(0, len(view), _CHUNK):
                chunk = bytes(view[start : start + _CHUNK])
                await ws.send(channels.encode(channels.STDIN, chunk))
        elif hasattr(data, "__aiter__"):
            async for chunk in data:
                await ws.send(channels.encode(channels.STDIN, bytes(chunk)))
        else:
            while chunk := data.read(_CHUNK):
                if inspect.isawaitable(chunk):
                    chunk = await chunk
                    if not chunk:
                        break
                await ws.send(channels.encode(channels.STDIN, chunk))
        if protocol == channels.V5:
            await ws.send(channels.close_signal(channels.STDIN))
    except StreamInterrupted:
        pass  # the reading side reports the broken connection


def _writer(sink: AsyncSink | None, into: list[bytes]) -> Callable[[bytes], Any]:
    if sink is None:
        return into.append
    return sink.write


async def run(
    ws: AsyncWebSocket,
    protocol: str,
    what: str,
    *,
    stdin: Any = None,
    stdout: AsyncSink | None = None,
    stderr: AsyncSink | None = None,
    ctx: Context | None = None,
) -> ExecResult:
    """Run to the end; ``stdin`` (bytes, a binary file, an async iterable of
    bytes) is sent by a task of its own."""
    cancel = _Cancel(ws, ctx)
    out: list[bytes] = []
    err: list[bytes] = []
    write_out, write_err = _writer(stdout, out), _writer(stderr, err)
    sender = None
    if stdin is not None:
        sender = asyncio.ensure_future(_send_stdin(ws, protocol, stdin))
    status: bytes | None = None
    try:
        while True:
            message = await ws.receive()
            if message is None:
                break
            channel, data = channels.decode(message)
            written: Awaitable[Any] | None = None
            if channel == channels.STDOUT:
                written = write_out(data)
            elif channel == channels.STDERR:
                written = write_err(data)
            elif channel == channels.ERROR:
                status = data
            if inspect.isawaitable(written):
                await written
    except StreamInterrupted as error:
        if status is None:
            raise cancel.check(error) from None
    except channels.ChannelError as error:
        raise StreamInterrupted(f"{what}: {error}") from None
    finally:
        cancel.release()
        if sender is not None and not sender.done():
            sender.cancel()
        ws.abort()
    if status is None:
        raise cancel.check(
            StreamInterrupted(f"{what}: the connection closed before the exit status")
        )
    return ExecResult(b"".join(out), b"".join(err), _outcome(status, what))


class AsyncOutput:
    """stdout or stderr of a session: ``await read()`` as the command writes."""

    def __init__(self, session: AsyncExecSession) -> None:
        self._session = session
        self._chunks: asyncio.Queue[bytes | None] = asyncio.Queue(_QUEUE)
        self._leftover = b""
        self._ended = False

    async def _put(self, data: bytes) -> None:
        if not self._session._discard:
            await self._chunks.put(data)  # full: the connection is not read meanwhile

    def _end(self) -> None:
        try:
            self._chunks.put_nowait(None)
        except asyncio.QueueFull:
            self._ended = True

    async def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (-1: all until the end); b"" at the end. Raises
        what broke the session (StreamInterrupted, Cancelled)."""
        if size < 0:
            return b"".join([chunk async for chunk in self])
        if not self._leftover:
            if self._ended:
                return b""
            chunk = await self._chunks.get()
            if chunk is None:
                self._ended = True
                self._session._raise_failure()
                return b""
            self._leftover = chunk
        data, self._leftover = self._leftover[:size], self._leftover[size:]
        return data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := await self.read(_CHUNK):
            yield chunk


class AsyncStdin:
    def __init__(self, session: AsyncExecSession) -> None:
        self._session = session
        self.closed = False

    async def write(self, data: bytes) -> int:
        if self.closed:
            raise ValueError("stdin is closed")
        ws = self._session._websocket()
        view = memoryview(data)
        for start in range(0, len(view), _CHUNK):
            chunk = bytes(view[start : start + _CHUNK])
            await ws.send(channels.encode(channels.STDIN, chunk))
        return len(data)

    async def close(self) -> None:
        """The end of stdin: v5 tells the server (the command sees EOF); v4 has
        no such signal, so the whole connection is closed there."""
        if self.closed:
            return
        self.closed = True
        ws = self._session._websocket()
        if self._session.protocol == channels.V5:
            try:
                await ws.send(channels.close_signal(channels.STDIN))
            except StreamInterrupted:
                pass
        else:
            await ws.close()


Opener = Callable[[], Awaitable[tuple[AsyncWebSocket, str]]]


class AsyncExecSession:
    """A running exec or attach: ``async with pods.stream_exec(...) as s``.
    Read both stdout and stderr (or ask for one only): a full queue stops the
    reading of the connection, as a pipe would."""

    def __init__(self, opener: Opener, what: str, ctx: Context | None = None) -> None:
        self._opener = opener
        self.what = what
        self._ctx = ctx
        self._ws: AsyncWebSocket | None = None
        self.protocol = ""
        self.stdin = AsyncStdin(self)
        self.stdout = AsyncOutput(self)
        self.stderr = AsyncOutput(self)
        self._status: bytes | None = None
        self._discard = False
        self._failure: BaseException | None = None
        self._done = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._cancel: _Cancel | None = None

    async def start(self) -> AsyncExecSession:
        """Connect (``async with`` does it)."""
        if self._ws is None:
            self._ws, self.protocol = await self._opener()
            self._cancel = _Cancel(self._ws, self._ctx)
            self._reader = asyncio.ensure_future(self._read())
        return self

    def _websocket(self) -> AsyncWebSocket:
        if self._ws is None:
            raise RuntimeError(f"{self.what}: not started (use `async with`)")
        return self._ws

    async def _read(self) -> None:
        ws = self._websocket()
        assert self._cancel is not None
        try:
            while True:
                message = await ws.receive()
                if message is None:
                    if self._status is None:
                        self._failure = self._cancel.check(
                            StreamInterrupted(
                                f"{self.what}: the connection closed before the "
                                "exit status"
                            )
                        )
                    break
                channel, data = channels.decode(message)
                if channel == channels.STDOUT:
                    await self.stdout._put(data)
                elif channel == channels.STDERR:
                    await self.stderr._put(data)
                elif channel == channels.ERROR:
                    self._status = data
        except StreamInterrupted as error:
            if self._status is None:
                self._failure = self._cancel.check(error)
        except channels.ChannelError as error:
            self._failure = StreamInterrupted(f"{self.what}: {error}")
        finally:
            self._done.set()
            self._cancel.release()
            ws.abort()
            self.stdout._end()
            self.stderr._end()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    async def resize(self, width: int, height: int) -> None:
        """Tell the terminal's new size (tty sessions)."""
        await self._websocket().send(channels.resize(width, height))

    async def wait(self, timeout: float | None = None) -> int:
        """The exit code once the command ended (output not read is dropped).
        TimeoutError after ``timeout`` s; StreamInterrupted when the connection
        broke first; the Status' ApiError for a command that could not run."""
        self._websocket()
        self._discard = True
        for output in (self.stdout, self.stderr):  # unblock a reader waiting for room
            while not output._chunks.empty():
                output._chunks.get_nowait()
        try:
            await asyncio.wait_for(self._done.wait(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"{self.what}: still running after {timeout} s"
            ) from None
        self._raise_failure()
        return _outcome(self._status, self.what)

    @property
    def exit_code(self) -> int | None:
        """The exit code once known, else None."""
        if not self._done.is_set() or self._status is None:
            return None
        return channels.exit_status(self._status).exit_code

    async def close(self) -> None:
        """End the session (the command is told the client left)."""
        self._discard = True
        ws = self._ws
        if ws is None:
            return
        try:
            await asyncio.wait_for(ws.close(), 1)
        except asyncio.TimeoutError:
            pass
        finally:
            ws.abort()
            if self._reader is not None and not self._reader.done():
                self._reader.cancel()
                self._done.set()

    async def __aenter__(self) -> AsyncExecSession:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        if exc[0] is not None and issubclass(exc[0], asyncio.CancelledError):  # type: ignore[arg-type]
            self._abort()
            return
        await self.close()

    def _abort(self) -> None:
        self._discard = True
        if self._ws is not None:
            self._ws.abort()
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
