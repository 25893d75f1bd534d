"""exec, attach and port-forward over SPDY/3.1 (kubectl's SPDY executor and
port-forwarder), and SPDY tunneled over WebSocket (``SPDY/3.1+portforward.k8s.io``,
what kubectl 1.31+ port-forward asks for first).

exec/attach (``X-Stream-Protocol-Version: v4.channel.k8s.io``): the client opens
one stream per channel, named by its ``streamType`` header (error, stdin,
stdout, stderr, resize); the command starts once every expected stream is
there; at its end the Status goes on the error stream and every stream is
finished. port-forward (``portforward.k8s.io``): a ``data`` and an ``error``
stream per forwarded connection, paired by ``requestID``, naming the ``port``.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

from ....errors import StreamInterrupted
from ....streaming import channels
from ....streaming.websocket import WebSocket
from .runtime import Address, ExecFailure, Handler, Output, Process
from .spdy import SpdyConnection, SpdyStream

_log = logging.getLogger(__name__)
Recv = Callable[[int], bytes]


def _socket_io(sock: socket.socket, recv: Recv) -> tuple[Recv, Callable[[bytes], None]]:
    return recv, sock.sendall


def _tunnel_io(ws: WebSocket) -> tuple[Recv, Callable[[bytes], None]]:
    """The SPDY byte stream carried in WebSocket messages (the tunnel)."""

    def read(size: int) -> bytes:
        while True:  # an empty message is no end: only the close is
            try:
                message = ws.receive()
            except StreamInterrupted:
                return b""
            if message is None or message:
                return message or b""

    def write(data: bytes) -> None:
        try:
            ws.send(data)
        except StreamInterrupted as error:
            raise OSError(str(error)) from None

    return read, write


class SpdyRemoteCommand:
    def __init__(
        self,
        handler: Handler,
        process_args: dict[str, Any],
        *,
        stdin: bool,
        stdout: bool,
        stderr: bool,
        tty: bool,
    ) -> None:
        self.handler = handler
        self.process_args = process_args
        expected = {"error"}
        expected |= {
            n
            for n, on in (("stdin", stdin), ("stdout", stdout), ("stderr", stderr))
            if on
        }
        if tty:
            expected.add("resize")
            expected.discard("stderr")
        self.expected = expected
        self.streams: dict[str, SpdyStream] = {}
        self.started = False

    def run(self, sock: socket.socket, recv: Recv) -> None:
        read, write = _socket_io(sock, recv)
        connection = SpdyConnection(read, write, self._on_stream)
        self.connection = connection
        connection.serve()

    def _on_stream(self, stream: SpdyStream) -> None:
        kind = stream.headers.get("streamtype", "")
        self.streams[kind] = stream
        if kind == "resize":
            threading.Thread(target=self._resizes, args=(stream,), daemon=True).start()
        if not self.started and self.expected <= set(self.streams):
            self.started = True
            threading.Thread(
                target=self._execute, daemon=True, name="test-apiserver-spdy-exec"
            ).start()

    def _resizes(self, stream: SpdyStream) -> None:
        decoder = json.JSONDecoder()
        buffer = ""
        for chunk in stream.data:
            buffer += chunk.decode("utf-8", errors="replace")
            while buffer.strip():
                try:
                    value, end = decoder.raw_decode(buffer.lstrip())
                except ValueError:
                    break
                buffer = buffer.lstrip()[end:]
                if isinstance(value, dict):
                    size = (int(value.get("Width", 0)), int(value.get("Height", 0)))
                    process = getattr(self, "process", None)
                    if process is not None:
                        process.size = size
                        process.resized.append(size)

    def _execute(self) -> None:
        streams = self.streams
        stdin = streams.get("stdin")
        stdout, stderr = streams.get("stdout"), streams.get("stderr")
        process = Process(
            **self.process_args,
            stdin=stdin.data if stdin is not None else None,
            stdout=Output(stdout.write if stdout is not None else None),
            stderr=Output(stderr.write if stderr is not None else None),
        )
        self.process = process
        try:
            code = self.handler(process)
            status = channels.status_for_exit(int(code))
        except ExecFailure as failure:
            status = channels.failure_status(str(failure))
        except OSError:
            return  # the client is gone
        except Exception as error:
            _log.exception("test API server: exec handler failed")
            status = channels.failure_status(f"exec handler failed: {error}")
        if stdin is not None:
            stdin.data.end()  # the reading loop must not wait on a full pipe
        try:
            streams["error"].write(json.dumps(status).encode())
            for stream in streams.values():
                stream.close()
        except OSError:
            pass


class SpdyPortForward:
    def __init__(
        self, pod: str, target: Callable[[int], Address | None], *, tunnel: bool = False
    ) -> None:
        self.pod = pod
        self.target = target
        self.tunnel = tunnel
        self.pairs: dict[str, dict[str, SpdyStream]] = {}

    def run(self, sock: socket.socket, recv: Recv) -> None:
        if self.tunnel:
            ws = WebSocket(
                sock, client=False, recv=recv, what="the port-forward client"
            )
            read, write = _tunnel_io(ws)
        else:
            read, write = _socket_io(sock, recv)
        connection = SpdyConnection(read, write, self._on_stream)
        connection.serve()

    def _on_stream(self, stream: SpdyStream) -> None:
        request = stream.headers.get("requestid", "")
        pair = self.pairs.setdefault(request, {})
        pair[stream.headers.get("streamtype", "")] = stream
        if "data" in pair and "error" in pair:
            del self.pairs[request]
            threading.Thread(
                target=self._forward, args=(pair["data"], pair["error"]), daemon=True
            ).start()

    def _forward(self, data: SpdyStream, error: SpdyStream) -> None:
        text = data.headers.get("port", "")
        port = int(text) if text.isdigit() else 0
        address = self.target(port)
        failure = "nothing listens there (no target registered for the port)"
        target = None
        if address is not None:
            try:
                target = socket.create_connection(address, timeout=10)
                target.settimeout(None)
            except OSError as problem:
                failure = str(problem)
        try:
            if target is None:
                error.write(
                    f"error forwarding port {port} to pod {self.pod}: failed to connect "
                    f"to localhost:{port} inside the pod: {failure}".encode()
                )
                error.close()
                data.close()
                return
            pump = threading.Thread(
                target=self._upstream, args=(data, target), daemon=True
            )
            pump.start()
            while chunk := target.recv(1 << 16):
                data.write(chunk)
        except OSError:
            pass
        finally:
            if target is not None:
                try:
                    target.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                target.close()
            try:
                data.close()
                error.close()
            except OSError:
                pass

    def _upstream(self, data: SpdyStream, target: socket.socket) -> None:
        try:
            for chunk in data.data:
                target.sendall(chunk)
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass
