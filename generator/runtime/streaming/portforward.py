"""Port-forward, the client's end (client-go's ``tools/portforward``): a
listener on 127.0.0.1; every local connection gets its own WebSocket to
pods/portforward (``v4.channel.k8s.io``: data on channel 0, errors on 1, each
opened by the port). Data is relayed in chunks: memory stays bounded whatever
goes through.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import StreamInterrupted
from . import channels
from .websocket import WebSocket

if TYPE_CHECKING:
    from ..context import Context

__all__ = ["PortForward"]

_log = logging.getLogger(__package__ or "kubeclient")
_CHUNK = 1 << 17

Opener = Callable[[], WebSocket]


class PortForward:
    """Forwards ``127.0.0.1:local_port`` to the pod's port until closed.

    ``open_ws`` opens one WebSocket for one forwarded connection. ``errors``
    lists what the server reported on the error channel (a refused connection
    in the pod ...), newest last.
    """

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
        self.what = what or f"port {port}"
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._listener.bind(("127.0.0.1", local_port))
        except OSError as error:
            self._listener.close()
            raise OSError(
                f"port-forward: cannot listen on 127.0.0.1:{local_port}: {error}"
            ) from None
        self._listener.listen(64)
        self.local_port: int = self._listener.getsockname()[1]
        self.errors: list[str] = []
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._sockets: set[WebSocket] = set()
        self._thread = threading.Thread(
            target=self._accept, daemon=True, name=f"port-forward-{self.local_port}"
        )
        self._thread.start()
        self._unregister = ctx.on_cancel(self.close) if ctx is not None else None

    def connect(self, timeout: float | None = 10.0) -> socket.socket:
        """A connection to the pod's port, through the forward."""
        return socket.create_connection(("127.0.0.1", self.local_port), timeout=timeout)

    def close(self) -> None:
        """Stop listening and cut every forwarded connection (``ctx`` does it too)."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._unregister is not None:
            self._unregister()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            live, sockets = list(self._live), list(self._sockets)
        for ws in sockets:
            ws.abort()
        for conn in live:
            _shutdown(conn)
        if threading.current_thread() is not self._thread:
            self._thread.join(5)

    def __enter__(self) -> PortForward:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<PortForward 127.0.0.1:{self.local_port} -> {self.what}>"

    # -- relaying

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(
                target=self._serve, args=(conn,), daemon=True, name="port-forward-conn"
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            self._live.add(conn)
        ws: WebSocket | None = None
        try:
            try:
                ws = self._open()
            except Exception as error:  # typed errors: logged, the local side closed
                self._report(f"cannot open the forward: {error}")
                return
            with self._lock:
                self._sockets.add(ws)
            upstream = threading.Thread(
                target=self._upstream,
                args=(conn, ws),
                daemon=True,
                name="port-forward-up",
            )
            upstream.start()
            self._downstream(conn, ws)
            _shutdown(conn)  # the pod's side ended: so does the local one
            ws.abort()
            upstream.join(5)
        finally:
            with self._lock:
                self._live.discard(conn)
                if ws is not None:
                    self._sockets.discard(ws)
            _shutdown(conn)
            conn.close()
            if ws is not None:
                ws.abort()

    def _upstream(self, conn: socket.socket, ws: WebSocket) -> None:
        """Local bytes to the pod."""
        try:
            while True:
                data = conn.recv(_CHUNK)
                if not data:
                    break
                ws.send(channels.encode(0, data))
        except (OSError, StreamInterrupted):
            pass
        ws.close()

    def _downstream(self, conn: socket.socket, ws: WebSocket) -> None:
        """The pod's bytes to the local connection; errors are reported."""
        opened: set[int] = set()
        try:
            while True:
                message = ws.receive()
                if message is None:
                    return
                channel, data = channels.decode(message)
                if channel not in opened:  # the first message is the port
                    opened.add(channel)
                    _, data = channels.read_port_prefix(data)
                if not data:
                    continue
                if channel == 0:
                    conn.sendall(data)
                elif channel == 1:
                    self._report(data.decode("utf-8", errors="replace"))
        except StreamInterrupted as error:
            if not self._closed.is_set():
                self._report(str(error))
        except channels.ChannelError as error:
            self._report(f"protocol error: {error}")
        except OSError:
            pass  # the local side went away

    def _report(self, message: str) -> None:
        _log.warning("port-forward %s: %s", self.what, message)
        with self._lock:
            self.errors.append(message)


def _shutdown(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
