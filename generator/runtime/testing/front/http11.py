"""Reading HTTP/1.1 requests off a connection, with the limits and the answers of
Go's net/http (what kube-apiserver runs on): a request head of at most 1 MiB
(MaxHeaderBytes, plus the 4 KiB net/http allows beyond it), bodies as
Content-Length or chunked, at most 3 MiB (kube-apiserver's MaxRequestBodyBytes).

What cannot be read raises :class:`Unreadable`: the front answers its Status and
closes the connection (after it, the stream is out of step). Go answers these in
text/plain; this server answers a metav1.Status with the same codes, so that
clients see the same errors as for everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from ..protocol.status import ApiError

MAX_HEADER_BYTES = (1 << 20) + 4096
MAX_BODY_BYTES = 3 * 1024 * 1024
#: a chunk-size line: hex digits and extensions; Go allows 4 KiB
_MAX_CHUNK_LINE = 4096

_TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_VERSION = re.compile(r"^HTTP/(\d)\.(\d)$")
_DIGITS = re.compile(r"^[0-9]+$")
_HEX = re.compile(rb"^[0-9a-fA-F]+$")


class Reader(Protocol):
    """The buffered reading side of a connection."""

    def readline(self, size: int = -1, /) -> bytes: ...

    def read(self, size: int = -1, /) -> bytes: ...


class Unreadable(ApiError):
    """A request the front cannot read to its end: answered, then the connection
    is closed."""


def bad_request(message: str) -> Unreadable:
    return Unreadable(400, "BadRequest", message)


def _too_large_head() -> Unreadable:
    return Unreadable(431, "BadRequest", "Request Header Fields Too Large")


def too_large_body() -> Unreadable:
    return Unreadable(
        413,
        "RequestEntityTooLarge",
        f"Request entity too large: limit is {MAX_BODY_BYTES}",
    )


def timed_out() -> Unreadable:
    return Unreadable(
        408, "Timeout", "the client did not send the whole request in time"
    )


@dataclass
class Head:
    method: str
    target: str
    version: tuple[int, int]
    #: lower-case names; repeated headers joined with ", "
    headers: dict[str, str]


def read_head(rfile: Reader) -> Head | None:
    """The request line and headers; None at a clean end of the connection
    (before any byte of a request)."""
    budget = MAX_HEADER_BYTES
    line = rfile.readline(budget + 1)
    while line in (b"\r\n", b"\n"):  # stray blank lines between requests
        budget -= len(line)
        line = rfile.readline(budget + 1)
    if not line:
        return None
    budget -= len(line)
    _check_line(line, budget)
    method, target, version = _request_line(line.rstrip(b"\r\n"))
    headers: dict[str, str] = {}
    while True:
        raw = rfile.readline(budget + 1)
        budget -= len(raw)
        _check_line(raw, budget)
        if raw in (b"\r\n", b"\n"):
            return Head(method, target, version, headers)
        name, value = _header_line(raw.rstrip(b"\r\n"))
        headers[name] = f"{headers[name]}, {value}" if name in headers else value


def _check_line(line: bytes, budget: int) -> None:
    if budget < 0:
        raise _too_large_head()
    if not line.endswith(b"\n"):
        raise bad_request("unexpected EOF in the request head")


def _request_line(line: bytes) -> tuple[str, str, tuple[int, int]]:
    parts = line.split(b" ")
    if len(parts) != 3 or not parts[1]:
        raise bad_request(f"malformed HTTP request {_excerpt(line)}")
    method, target, proto = parts
    if not _TOKEN.match(method):
        raise bad_request(f"invalid method {_excerpt(method)}")
    match = _VERSION.match(proto.decode("latin-1"))
    if match is None:
        raise bad_request(f"malformed HTTP version {_excerpt(proto)}")
    version = (int(match.group(1)), int(match.group(2)))
    if version[0] != 1:
        raise Unreadable(505, "BadRequest", "unsupported protocol version")
    return method.decode("ascii"), target.decode("latin-1"), version


def _header_line(line: bytes) -> tuple[str, str]:
    name, colon, value = line.partition(b":")
    if not colon or not _TOKEN.match(name):
        raise bad_request(f"malformed MIME header line: {_excerpt(line)}")
    return name.decode("ascii").lower(), value.strip(b" \t").decode("latin-1")


def _excerpt(data: bytes) -> str:
    text = data[:100].decode("latin-1")
    return repr(text + ("..." if len(data) > 100 else ""))


def body_length(headers: dict[str, str]) -> int | None:
    """Content-Length as net/http checks it (None: a chunked body). Refused
    before any of the body is read: bad values, and bodies over the limit."""
    encoding = headers.get("transfer-encoding")
    if encoding is not None:
        if encoding.strip().lower() != "chunked":
            raise Unreadable(501, "BadRequest", "Unsupported transfer encoding")
        return None  # Content-Length is ignored beside chunked, as net/http does
    text = headers.get("content-length")
    if text is None:
        return 0
    values = {value.strip() for value in text.split(",")}
    if len(values) > 1:
        raise bad_request(
            "http: message cannot contain multiple Content-Length headers; "
            f"got {text!r}"
        )
    value = values.pop()
    if not _DIGITS.match(value):
        raise bad_request(f"bad Content-Length {value!r}")
    length = int(value)
    if length > MAX_BODY_BYTES:
        raise too_large_body()
    return length


def read_body(rfile: Reader, length: int | None) -> bytes:
    """The body (``length`` from :func:`body_length`)."""
    if length is None:
        return _read_chunked(rfile)
    data = rfile.read(length) if length else b""
    if len(data) < length:
        raise bad_request(
            f"unexpected EOF: the body is truncated ({len(data)} of {length} bytes)"
        )
    return data


def _read_chunked(rfile: Reader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        line = rfile.readline(_MAX_CHUNK_LINE + 1)
        if not line.endswith(b"\n"):
            if len(line) > _MAX_CHUNK_LINE:
                raise bad_request("invalid chunked body: chunk size line too long")
            raise bad_request("unexpected EOF in a chunked body")
        size_text = line.split(b";", 1)[0].strip()
        if not _HEX.match(size_text) or len(size_text) > 16:
            raise bad_request(
                f"invalid chunked body: bad chunk size {_excerpt(size_text)}"
            )
        size = int(size_text, 16)
        if size == 0:
            _skip_trailers(rfile)
            return b"".join(parts)
        total += size
        if total > MAX_BODY_BYTES:
            raise too_large_body()
        data = rfile.read(size)
        if len(data) < size:
            raise bad_request("unexpected EOF in a chunked body")
        parts.append(data)
        end = rfile.readline(3)
        if end not in (b"\r\n", b"\n"):
            if not end:
                raise bad_request("unexpected EOF in a chunked body")
            raise bad_request("invalid chunked body: no CRLF after a chunk's data")


def _skip_trailers(rfile: Reader) -> None:
    budget = MAX_HEADER_BYTES
    while True:
        line = rfile.readline(budget + 1)
        budget -= len(line)
        if budget < 0:
            raise _too_large_head()
        if not line.endswith(b"\n"):
            raise bad_request("unexpected EOF in a chunked body's trailers")
        if line in (b"\r\n", b"\n"):
            return
