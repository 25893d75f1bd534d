"""SPDY/3.1 framing, the server's end, as far as kubectl's streams need it
(moby/spdystream, which client-go's SPDY executor and port-forwarder use):
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS,
WINDOW_UPDATE control frames and DATA frames; header blocks compressed with
zlib and the SPDY/3 dictionary, one compression context per direction for the
whole connection. Flow-control windows are not enforced (spdystream does not
enforce them either); a frame over 1 MiB ends the connection.
"""

from __future__ import annotations

import logging
import struct
import threading
import zlib
from collections.abc import Callable

from .runtime import Stdin

__all__ = ["DICTIONARY", "SpdyConnection", "SpdyStream"]

_log = logging.getLogger(__name__)

_WORDS = (
    "options head post put delete trace accept accept-charset accept-encoding "
    "accept-language accept-ranges age allow authorization cache-control connection "
    "content-base content-encoding content-language content-length content-location "
    "content-md5 content-range content-type date etag expect expires from host "
    "if-match if-modified-since if-none-match if-range if-unmodified-since "
    "last-modified location max-forwards pragma proxy-authenticate "
    "proxy-authorization range referer retry-after server te trailer "
    "transfer-encoding upgrade user-agent vary via warning www-authenticate method "
    "get status |200 OK| version |HTTP/1.1| url public set-cookie keep-alive origin"
)
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416"
    "417502504505203 Non-Authoritative Information204 No Content301 Moved "
    "Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 "
    "Internal Server Error501 Not Implemented503 Service UnavailableJan Feb Mar Apr "
    "May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, "
    "GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,"
    "application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,"
    "deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)


def _dictionary() -> bytes:
    """The SPDY/3 header dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1):
    length-prefixed words, then a text tail."""
    words: list[str] = []
    for part in _WORDS.split("|"):
        # the parts between bars are words with spaces in them ("200 OK")
        words.extend([part] if part.startswith(("200", "HTTP")) else part.split())
    out = b"".join(struct.pack(">I", len(w)) + w.encode() for w in words)
    return out + _TAIL.encode()


DICTIONARY = _dictionary()

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS = 1, 2, 3, 4
PING, GOAWAY, HEADERS, WINDOW_UPDATE = 6, 7, 8, 9
FLAG_FIN = 0x01
MAX_FRAME = 1 << 20  # spdystream sends data frames of 32 KiB; headers are small
_CHUNK = 1 << 16


class SpdyError(Exception):
    """The peer broke the framing: the connection ends."""


class SpdyStream:
    """One stream a client opened: its headers, what it sends (``data``, a
    bounded pipe; ends at its FIN), and ``write``/``close`` for our side."""

    def __init__(
        self, connection: SpdyConnection, stream_id: int, headers: dict[str, str]
    ) -> None:
        self.connection = connection
        self.id = stream_id
        self.headers = headers
        self.data = Stdin()
        self.closed = False  # our side sent FIN

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        for start in range(0, len(view), _CHUNK):
            self.connection.send_data(self.id, bytes(view[start : start + _CHUNK]))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.connection.send_data(self.id, b"", fin=True)


class SpdyConnection:
    """A server's SPDY session over ``read``/``write``; ``on_stream`` is called
    (in the reading thread) for every stream the client opens, after the reply."""

    def __init__(
        self,
        read: Callable[[int], bytes],
        write: Callable[[bytes], None],
        on_stream: Callable[[SpdyStream], None],
    ) -> None:
        self._read = read
        self._write = write
        self._on_stream = on_stream
        self._lock = threading.Lock()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(
            zlib.Z_DEFAULT_COMPRESSION,
            zlib.DEFLATED,
            15,
            8,
            zlib.Z_DEFAULT_STRATEGY,
            DICTIONARY,
        )
        self._buffer = bytearray()
        self.streams: dict[int, SpdyStream] = {}
        self.closed = False

    # -- writing

    def _send(self, frame: bytes) -> None:
        with self._lock:
            if self.closed:
                raise OSError("the SPDY connection is closed")
            self._write(frame)

    def _control(self, kind: int, flags: int, payload: bytes) -> bytes:
        head = struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(payload))
        return head + payload

    def _headers(self, headers: dict[str, str]) -> bytes:
        block = struct.pack(">I", len(headers))
        for name, value in headers.items():
            key, data = name.lower().encode(), value.encode()
            block += (
                struct.pack(">I", len(key)) + key + struct.pack(">I", len(data)) + data
            )
        with self._lock:  # one compression context for the connection: in order
            return self._deflate.compress(block) + self._deflate.flush(
                zlib.Z_SYNC_FLUSH
            )

    def reply(self, stream_id: int, headers: dict[str, str] | None = None) -> None:
        block = self._headers(headers or {})
        self._send(self._control(SYN_REPLY, 0, struct.pack(">I", stream_id) + block))

    def send_data(self, stream_id: int, data: bytes, *, fin: bool = False) -> None:
        flags = FLAG_FIN if fin else 0
        self._send(
            struct.pack(">II", stream_id & 0x7FFFFFFF, (flags << 24) | len(data)) + data
        )

    def reset(self, stream_id: int, status: int = 5) -> None:  # 5: CANCEL
        self._send(self._control(RST_STREAM, 0, struct.pack(">II", stream_id, status)))

    def go_away(self) -> None:
        try:
            self._send(self._control(GOAWAY, 0, struct.pack(">II", 0, 0)))
        except OSError:
            pass

    def close(self) -> None:
        with self._lock:
            self.closed = True
        for stream in list(self.streams.values()):
            stream.data.end()

    # -- reading

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            data = self._read(65536)
            if not data:
                raise EOFError
            self._buffer += data
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out

    def serve(self) -> None:
        """Read frames until the client goes away (EOF, GOAWAY, broken framing)."""
        try:
            while True:
                head = self._exactly(8)
                first, second = struct.unpack(">II", head)
                flags, length = second >> 24, second & 0xFFFFFF
                if length > MAX_FRAME:
                    raise SpdyError(f"a frame of {length} bytes")
                payload = self._exactly(length)
                if first & 0x80000000:
                    if not self._control_frame(
                        (first >> 16) & 0x7FFF, first & 0xFFFF, flags, payload
                    ):
                        return
                else:
                    stream = self.streams.get(first & 0x7FFFFFFF)
                    if stream is not None:
                        if payload:
                            stream.data.feed(payload)
                        if flags & FLAG_FIN:
                            stream.data.end()
        except (EOFError, OSError):
            return
        except (SpdyError, zlib.error, struct.error, UnicodeDecodeError) as error:
            _log.info("test API server: SPDY connection ended: %s", error)
            self.go_away()
        finally:
            self.close()

    def _control_frame(
        self, version: int, kind: int, flags: int, payload: bytes
    ) -> bool:
        if version != VERSION:
            raise SpdyError(f"SPDY version {version}")
        if kind == SYN_STREAM:
            stream_id = struct.unpack_from(">I", payload)[0] & 0x7FFFFFFF
            headers = self._parse_headers(payload[10:])
            stream = SpdyStream(self, stream_id, headers)
            self.streams[stream_id] = stream
            if flags & FLAG_FIN:
                stream.data.end()
            self.reply(stream_id)
            self._on_stream(stream)
        elif kind == RST_STREAM:
            stream_id = struct.unpack_from(">I", payload)[0] & 0x7FFFFFFF
            found = self.streams.get(stream_id)
            if found is not None:
                found.data.end()
                found.closed = True
        elif kind == PING:
            self._send(self._control(PING, 0, payload[:4]))
        elif kind == GOAWAY:
            return False
        elif kind == HEADERS:
            self._parse_headers(payload[4:])  # keeps the inflate context in step
        # SETTINGS, WINDOW_UPDATE, SYN_REPLY: nothing to do for a server here
        return True

    def _parse_headers(self, block: bytes) -> dict[str, str]:
        data = self._inflate.decompress(block)
        (count,) = struct.unpack_from(">I", data)
        offset = 4
        headers: dict[str, str] = {}
        for _ in range(count):
            (size,) = struct.unpack_from(">I", data, offset)
            name = data[offset + 4 : offset + 4 + size].decode()
            offset += 4 + size
            (size,) = struct.unpack_from(">I", data, offset)
            value = data[offset + 4 : offset + 4 + size].decode()
            offset += 4 + size
            headers[name.lower()] = value.split("\x00")[0]
        return headers
