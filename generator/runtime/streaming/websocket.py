"""A blocking WebSocket over a connected socket, for both ends: the frames are
wsproto's (sans-IO: masking, fragmentation, ping/pong, the closing handshake),
gathered into whole messages by :class:`Frames` (sans-IO too, shared with the
async client's WebSocket); the socket and the threads are ours.

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

__all__ = ["MAX_MESSAGE", "Frames", "WebSocket", "accept_token"]

#: the largest message accepted; a peer sending more is cut off (memory stays bounded)
MAX_MESSAGE = 16 * 1024 * 1024
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_token(key: str) -> str:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2)."""
    digest = hashlib.sha1(key.encode("ascii", errors="replace") + _GUID).digest()
    return base64.b64encode(digest).decode("ascii")


class Frames:
    """One end's WebSocket state, sans-IO: the bytes of a message or a close to
    send; whole messages out of received bytes, with what to answer (a pong, the
    closing handshake's reply). Both the blocking and the async WebSocket drive
    this, so the protocol is written once.

    ``client``: this end masks its frames (RFC 6455). ``buffered``: bytes that
    came with the handshake's answer. ``what`` names the peer in errors.
    """

    def __init__(self, *, client: bool, buffered: bytes = b"", what: str) -> None:
        from wsproto.connection import Connection, ConnectionType

        kind = ConnectionType.CLIENT if client else ConnectionType.SERVER
        self._conn = Connection(kind, trailing_data=buffered)
        self.buffered = bool(buffered)  # events to read before any byte comes
        self.what = what
        self.pending: deque[bytes] = deque()
        self._partial: list[bytes] = []
        self._partial_size = 0
        self.closed = False  # the closing handshake happened (or the socket died)
        self.close_code: int | None = None

    @property
    def open(self) -> bool:
        from wsproto.connection import ConnectionState

        return self._conn.state is ConnectionState.OPEN

    def message(self, data: bytes) -> bytes:
        """The frame of one binary message."""
        from wsproto.events import Message

        return self.encode(Message(data=data))

    def closing(self, code: int = 1000, reason: str = "") -> bytes | None:
        """The close frame, or None when the closing handshake is under way."""
        from wsproto.events import CloseConnection

        if not self.open:
            return None
        return self.encode(CloseConnection(code=code, reason=reason))

    def encode(self, event: object) -> bytes:
        from wsproto.utilities import LocalProtocolError

        try:
            return self._conn.send(event)  # type: ignore[arg-type]
        except LocalProtocolError:
            raise StreamInterrupted(f"the WebSocket to {self.what} is closed") from None

    def ended(self) -> StreamInterrupted:
        """The connection ended without a close: the error to raise."""
        self.closed = True
        self._conn.receive_data(None)
        return StreamInterrupted(
            f"the connection to {self.what} ended without a WebSocket close"
        )

    def feed(self, data: bytes) -> bytes:
        """Take received bytes (b"": only what came with the handshake); whole
        messages go to ``pending``; returns what to send back. A protocol
        violation or a message over MAX_MESSAGE raises StreamInterrupted (the
        caller then cuts the connection)."""
        from wsproto.events import CloseConnection, Message, Ping
        from wsproto.utilities import RemoteProtocolError

        self.buffered = False
        if data:
            self._conn.receive_data(data)
        replies: list[bytes] = []
        try:
            for event in self._conn.events():
                if isinstance(event, Message):
                    chunk = event.data
                    part = chunk.encode() if isinstance(chunk, str) else bytes(chunk)
                    self._partial.append(part)
                    self._partial_size += len(part)
                    if self._partial_size > MAX_MESSAGE:
                        self.closed = True
                        raise StreamInterrupted(
                            f"{self.what} sent a WebSocket message over "
                            f"{MAX_MESSAGE} bytes"
                        )
                    if event.message_finished:
                        self.pending.append(b"".join(self._partial))
                        self._partial.clear()
                        self._partial_size = 0
                elif isinstance(event, Ping):
                    replies.append(self.encode(event.response()))
                elif isinstance(event, CloseConnection):
                    self.close_code = event.code
                    try:
                        replies.append(self.encode(event.response()))
                    except StreamInterrupted:
                        pass
                    self.closed = True
        except RemoteProtocolError as error:
            self.closed = True
            raise StreamInterrupted(
                f"{self.what} broke the WebSocket protocol: {error}"
            ) from None
        return b"".join(replies)


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
        self._frames = Frames(client=client, buffered=buffered, what=what)
        self._sock = sock
        self._recv = recv or sock.recv
        self._what = what
        self._send_lock = threading.Lock()

    @property
    def closed(self) -> bool:
        """The closing handshake happened (or the socket died)."""
        return self._frames.closed

    @property
    def close_code(self) -> int | None:
        return self._frames.close_code

    # -- sending

    def send(self, data: bytes) -> None:
        """One binary message; raises StreamInterrupted when the connection is gone."""
        with self._send_lock:
            self._sendall(self._frames.message(data))

    def _sendall(self, out: bytes) -> None:
        try:
            self._sock.sendall(out)
        except OSError as error:
            self._frames.closed = True
            raise StreamInterrupted(
                f"the connection to {self._what} broke while sending: {error}"
            ) from None

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start (or answer) the closing handshake; never raises."""
        with self._send_lock:
            try:
                out = self._frames.closing(code, reason)
                if out is not None:
                    self._sendall(out)
            except StreamInterrupted:
                pass

    def abort(self) -> None:
        """Cut the connection now: a blocked receive or send ends (from any thread)."""
        self._frames.closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- receiving

    def receive(self) -> bytes | None:
        """The next whole message (text messages as their UTF-8 bytes); None once
        the peer closed the WebSocket. A connection that breaks first raises
        StreamInterrupted."""
        frames = self._frames
        while True:
            if frames.pending:
                return frames.pending.popleft()
            if frames.closed:
                return None
            self._fill()

    def _fill(self) -> None:
        frames = self._frames
        data = b""
        if not frames.buffered:  # else: frames that came with the handshake's answer
            try:
                data = self._recv(65536)
            except OSError as error:
                frames.closed = True
                raise StreamInterrupted(
                    f"the connection to {self._what} broke: {error}"
                ) from None
            if not data:
                raise frames.ended()
        # under the send lock: the replies are framed by the same wsproto state
        with self._send_lock:
            try:
                replies = frames.feed(data)
            except StreamInterrupted:
                self.abort()
                raise
            if replies:
                try:
                    self._sendall(replies)
                except StreamInterrupted:
                    if frames.close_code is None:
                        raise
