"""exec and attach, the client's end (client-go's ``remotecommand``).

:func:`run` drives one command in the caller's thread and collects (or streams
into files) its output: :class:`ExecResult`. :class:`ExecSession` is the
interactive form: stdin to write, stdout/stderr to read as the command writes,
``resize``, ``wait``. Output is kept in bounded queues: memory stays bounded
whatever the command writes (a reader that stops reading stops the command).

A connection that breaks before the command's Status arrived raises
:class:`~..errors.StreamInterrupted`; ``ctx`` ends a session at once
(:class:`~..errors.Cancelled`); a Status that is a failure but no exit code
(the runtime could not run the command) raises its typed ApiError.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol

from ..errors import StreamInterrupted, error_from_status
from . import channels
from .websocket import WebSocket

if TYPE_CHECKING:
    from ..context import Context

__all__ = ["ExecResult", "ExecSession", "Sink", "run"]

_CHUNK = 1 << 17
_QUEUE = 64  # chunks per output stream: at most ~8 MiB each


class Sink(Protocol):
    """Where output can be streamed: a binary file, a socket's makefile ..."""

    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class ExecResult:
    """What a command printed (empty when streamed into a file) and its exit code."""

    stdout: bytes
    stderr: bytes
    exit_code: int

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def _outcome(status_data: bytes | None, what: str) -> int:
    if status_data is None:
        raise StreamInterrupted(f"{what}: the connection closed before the exit status")
    status = channels.exit_status(status_data)
    if status.exit_code is not None:
        return status.exit_code
    raise error_from_status(status.status, http_status=None, method="GET", url=what)


class _Cancel:
    """``ctx`` cuts the connection at once; the error then is ctx's."""

    def __init__(self, ws: WebSocket, ctx: Context | None) -> None:
        self.ctx = ctx
        self._unregister = ctx.on_cancel(ws.abort) if ctx is not None else None

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


def _send_stdin(ws: WebSocket, protocol: str, data: bytes | BinaryIO) -> None:
    try:
        if isinstance(data, (bytes, bytearray, memoryview)):
            view = memoryview(data)
            for start in range(0, len(view), _CHUNK):
                ws.send(
                    channels.encode(channels.STDIN, bytes(view[start : start + _CHUNK]))
                )
        else:
            for chunk in iter(lambda: data.read(_CHUNK), b""):
                ws.send(channels.encode(channels.STDIN, chunk))
        if protocol == channels.V5:
            ws.send(channels.close_signal(channels.STDIN))
    except StreamInterrupted:
        pass  # the reading side reports the broken connection


def run(
    ws: WebSocket,
    protocol: str,
    what: str,
    *,
    stdin: bytes | BinaryIO | None = None,
    stdout: Sink | None = None,
    stderr: Sink | None = None,
    ctx: Context | None = None,
) -> ExecResult:
    """Run to the end in this thread (stdin is sent from another one)."""
    cancel = _Cancel(ws, ctx)
    out: list[bytes] = []
    err: list[bytes] = []
    write_out: Callable[[bytes], object] = (
        stdout.write if stdout is not None else out.append
    )
    write_err: Callable[[bytes], object] = (
        stderr.write if stderr is not None else err.append
    )
    sender = None
    if stdin is not None:
        sender = threading.Thread(
            target=_send_stdin,
            args=(ws, protocol, stdin),
            daemon=True,
            name="exec-stdin",
        )
        sender.start()
    status: bytes | None = None
    try:
        while True:
            message = ws.receive()
            if message is None:
                break
            channel, data = channels.decode(message)
            if channel == channels.STDOUT:
                write_out(data)
            elif channel == channels.STDERR:
                write_err(data)
            elif channel == channels.ERROR:
                status = data
    except StreamInterrupted as error:
        if status is None:
            raise cancel.check(error) from None
    except channels.ChannelError as error:
        raise StreamInterrupted(f"{what}: {error}") from None
    finally:
        cancel.release()
        ws.close()
        ws.abort()
    code = _outcome(status, what)
    return ExecResult(b"".join(out), b"".join(err), code)


class _Output:
    """stdout or stderr of a session: read as the command writes."""

    def __init__(self, session: ExecSession) -> None:
        self._session = session
        self._chunks: queue.Queue[bytes | None] = queue.Queue(_QUEUE)
        self._leftover = b""
        self._ended = False

    def _put(self, data: bytes | None) -> None:
        """Wait for room (the reader of the connection stops meanwhile), unless
        the session no longer wants output (closed, or waited for)."""
        while not self._session._discard:
            try:
                self._chunks.put(data, timeout=0.2)
                return
            except queue.Full:
                continue
        if data is None:
            try:
                self._chunks.put_nowait(None)
            except queue.Full:
                self._ended = True

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (-1: everything until the stream ends); b"" at
        the end. Raises what broke the session (StreamInterrupted, Cancelled)."""
        if size < 0:
            return b"".join(iter(lambda: self.read(_CHUNK), b""))
        if not self._leftover:
            if self._ended:
                return b""
            chunk = self._next()
            if chunk is None:
                self._ended = True
                self._session._raise_failure()
                return b""
            self._leftover = chunk
        data, self._leftover = self._leftover[:size], self._leftover[size:]
        return data

    def _next(self) -> bytes | None:
        while True:
            try:
                return self._chunks.get(timeout=0.2)
            except queue.Empty:
                if self._session._done.is_set() and self._chunks.empty():
                    return None

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.read(_CHUNK), b"")


class _Stdin:
    def __init__(self, session: ExecSession) -> None:
        self._session = session
        self.closed = False

    def write(self, data: bytes) -> int:
        if self.closed:
            raise ValueError("stdin is closed")
        ws = self._session._ws
        view = memoryview(data)
        for start in range(0, len(view), _CHUNK):
            ws.send(
                channels.encode(channels.STDIN, bytes(view[start : start + _CHUNK]))
            )
        return len(data)

    def close(self) -> None:
        """The end of stdin: v5 tells the server (the command sees EOF); a v4
        server has no such signal, so the whole connection is closed there."""
        if self.closed:
            return
        self.closed = True
        if self._session.protocol == channels.V5:
            try:
                self._session._ws.send(channels.close_signal(channels.STDIN))
            except StreamInterrupted:
                pass
        else:
            self._session._ws.close()


class ExecSession:
    """A running exec or attach. Read both stdout and stderr (or ask for only
    one): a full queue stops the reading of the connection, as a pipe would."""

    def __init__(
        self, ws: WebSocket, protocol: str, what: str, ctx: Context | None = None
    ) -> None:
        self._ws = ws
        self.protocol = protocol
        self.what = what
        self._cancel = _Cancel(ws, ctx)
        self.stdin = _Stdin(self)
        self.stdout = _Output(self)
        self.stderr = _Output(self)
        self._status: bytes | None = None
        self._discard = False  # output is no longer wanted: dropped
        self._failure: BaseException | None = None
        self._done = threading.Event()
        self._reader = threading.Thread(
            target=self._read, daemon=True, name="exec-read"
        )
        self._reader.start()

    def _read(self) -> None:
        try:
            while True:
                message = self._ws.receive()
                if message is None:
                    break
                channel, data = channels.decode(message)
                if channel == channels.STDOUT:
                    self.stdout._put(data)
                elif channel == channels.STDERR:
                    self.stderr._put(data)
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
            self._ws.abort()
            self.stdout._put(None)
            self.stderr._put(None)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def resize(self, width: int, height: int) -> None:
        """Tell the terminal's new size (tty sessions)."""
        self._ws.send(channels.resize(width, height))

    def wait(self, timeout: float | None = None) -> int:
        """The exit code, once the command ended (output not read is dropped).
        Raises TimeoutError after ``timeout`` seconds, StreamInterrupted when
        the connection broke first, the Status' ApiError for a failed command."""
        self._discard = True
        if not self._done.wait(timeout):
            raise TimeoutError(f"{self.what}: still running after {timeout} s")
        self._raise_failure()
        return _outcome(self._status, self.what)

    @property
    def exit_code(self) -> int | None:
        """The exit code once known, else None."""
        if not self._done.is_set() or self._status is None:
            return None
        status = channels.exit_status(self._status)
        return status.exit_code

    def close(self) -> None:
        """End the session (the command is told the client left)."""
        self._discard = True
        self._ws.close()
        self._ws.abort()

    def __enter__(self) -> ExecSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        self._reader.join(5)
