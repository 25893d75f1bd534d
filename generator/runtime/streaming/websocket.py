"""A blocking WebSocket over a connected socket, for both ends: the frames are
wsproto's (sans-IO: masking, fragmentation, ping/pong, the closing handshake),
the socket and the threads are ours.

The opening handshake is not here: the client writes its upgrade request with
the same credentials as every other request (:mod:`.connect`), the test server's
HTTP front has read the request already; both then hand the socket over.

Sending is thread-safe (one lock); receiving belongs to one thread.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
from collections import deque
from collections.abc import Callable

from ..errors import StreamInterrupted

__all__ = ["MAX_MESSAGE", "WebSocket", "accept_token"]

#: the largest message accepted; a peer sending more is cut off (memory stays bounded)
MAX_MESSAGE = 16 * 1024 * 1024
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_token(key: str) -> str:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2)."""
    digest = hashlib.sha1(key.encode("ascii", errors="replace") + _GUID).digest()
    return base64.b64encode(digest).decode("ascii")


class WebSocket:
    """Whole binary messages over ``sock`` once the handshake is done.

    ``client``: this end masks its frames (RFC 6455). ``recv``: how to read
    (default ``sock.recv``; the server passes its buffered reader, which may hold
    bytes read past the request head). ``what`` names the peer in errors.
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        client: bool,
        recv: Callable[[int], bytes] | None = None,
        buffered: bytes = b"",
        what: str = "the WebSocket peer",
    ) -> None:
        from wsproto.connection import Connection, ConnectionType

        kind = ConnectionType.CLIENT if client else ConnectionType.SERVER
        self._conn = Connection(kind, trailing_data=buffered)
        self._buffered = bool(buffered)
        self._sock = sock
        self._recv = recv or sock.recv
        self._what = what
        self._send_lock = threading.Lock()
        self._pending: deque[bytes] = deque()
        self._partial: list[bytes] = []
        self._partial_size = 0
        self.closed = False  # the closing handshake happened (or the socket died)
        self.close_code: int | None = None

    # -- sending

    def send(self, data: bytes) -> None:
        """One binary message; raises StreamInterrupted when the connection is gone."""
        from wsproto.events import Message

        self._write(Message(data=data))

    def _write(self, event: object) -> None:
        from wsproto.utilities import LocalProtocolError

        with self._send_lock:
            try:
                out = self._conn.send(event)  # type: ignore[arg-type]
            except LocalProtocolError:
                raise StreamInterrupted(
                    f"the WebSocket to {self._what} is closed"
                ) from None
            try:
                self._sock.sendall(out)
            except OSError as error:
                self.closed = True
                raise StreamInterrupted(
                    f"the connection to {self._what} broke while sending: {error}"
                ) from None

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start (or answer) the closing handshake; never raises."""
        from wsproto.connection import ConnectionState
        from wsproto.events import CloseConnection

        if self._conn.state is not ConnectionState.OPEN:
            return
        try:
            self._write(CloseConnection(code=code, reason=reason))
        except StreamInterrupted:
            pass

    def abort(self) -> None:
        """Cut the connection now: a blocked receive or send ends (from any thread)."""
        self.closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- receiving

    def receive(self) -> bytes | None:
        """The next whole message (text messages as their UTF-8 bytes); None once
        the peer closed the WebSocket. A connection that breaks first raises
        StreamInterrupted."""
        while True:
            if self._pending:
                return self._pending.popleft()
            if self.closed:
                return None
            self._fill()

    def _fill(self) -> None:
        if self._buffered:  # frames that came with the handshake's answer
            self._buffered = False
            self._events()
            if self._pending or self.closed:
                return
        try:
            data = self._recv(65536)
        except OSError as error:
            self.closed = True
            raise StreamInterrupted(
                f"the connection to {self._what} broke: {error}"
            ) from None
        if not data:
            self.closed = True
            self._conn.receive_data(None)
            raise StreamInterrupted(
                f"the connection to {self._what} ended without a WebSocket close"
            )
        self._conn.receive_data(data)
        self._events()

    def _events(self) -> None:
        from wsproto.events import CloseConnection, Message, Ping
        from wsproto.utilities import RemoteProtocolError

        try:
            for event in self._conn.events():
                if isinstance(event, Message):
                    chunk = event.data
                    part = chunk.encode() if isinstance(chunk, str) else bytes(chunk)
                    self._partial.append(part)
                    self._partial_size += len(part)
                    if self._partial_size > MAX_MESSAGE:
                        self.abort()
                        raise StreamInterrupted(
                            f"{self._what} sent a WebSocket message over "
                            f"{MAX_MESSAGE} bytes"
                        )
                    if event.message_finished:
                        self._pending.append(b"".join(self._partial))
                        self._partial.clear()
                        self._partial_size = 0
                elif isinstance(event, Ping):
                    self._write(event.response())
                elif isinstance(event, CloseConnection):
                    self.close_code = event.code
                    try:
                        self._write(event.response())
                    except StreamInterrupted:
                        pass
                    self.closed = True
        except RemoteProtocolError as error:
            self.abort()
            raise StreamInterrupted(
                f"{self._what} broke the WebSocket protocol: {error}"
            ) from None
