"""Opening a WebSocket to the API server from the async client, with what every
request has: the async pipeline's credentials (fresh; one retry after a 401
with refreshed ones), User-Agent and impersonation (``prepare``), the
transport's TLS context (CA, client certificate, ``tls-server-name``), the
proxy (HTTP CONNECT) and the connect/read timeouts of the Config.

The connection is asyncio's own (``asyncio.open_connection``), not aiohttp's
WebSocket: the frames are then the sync client's (:class:`Frames`), one
implementation of the channel protocol for both clients and the test server.
An answer other than 101 is the same typed error as for any request.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import ssl
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ...errors import (
    CannotConnect,
    ConnectionFailed,
    ResponseTimeout,
    StreamInterrupted,
    TLSFailed,
    error_from_response,
)
from ...request import Params, Request, encode_params
from ...streaming.connect import _parse_head
from ...streaming.websocket import accept_token
from ..credentials import credentials, refresh_after_unauthorized
from .websocket import AsyncWebSocket

if TYPE_CHECKING:
    from ...context import Context
    from ...request import Timeout
    from ..rest import AsyncRESTClient

__all__ = ["open_websocket"]

_MAX_HEAD = 64 * 1024
_MAX_ERROR_BODY = 1 << 20
_Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def open_websocket(
    rest: AsyncRESTClient,
    path: str,
    params: Params,
    protocols: Sequence[str],
    *,
    timeout: Timeout | None = None,
    ctx: Context | None = None,
) -> tuple[AsyncWebSocket, str]:
    """The upgraded connection and the subprotocol the server chose."""
    from ..http import AiohttpTransport

    pipeline = rest.pipeline
    transport = pipeline.transport
    request = Request("GET", path, encode_params(params), (), None, timeout, True, ctx)
    config = pipeline.config
    if not isinstance(transport, AiohttpTransport):
        return await _in_process(transport, pipeline, request, protocols)
    refreshed = False
    while True:
        if ctx is not None:
            ctx.check()
        found = await credentials(config) if config is not None else None
        attempt = pipeline.prepare(request, found)
        reader, writer = await _connect(transport, attempt)
        try:
            status, headers, body, leftover = await _handshake(
                transport, reader, writer, attempt, protocols
            )
        except BaseException:
            writer.transport.abort()
            raise
        if status == 101:
            break
        writer.transport.abort()
        if (
            status == 401
            and not refreshed
            and config is not None
            and await refresh_after_unauthorized(config)
        ):
            refreshed = True
            continue
        raise error_from_response(status, body, headers, "GET", transport._base + path)
    protocol = {k.lower(): v for k, v in headers.items()}.get(
        "sec-websocket-protocol", ""
    )
    protocol = protocol.strip()
    if protocol and protocol not in protocols:
        writer.transport.abort()
        raise StreamInterrupted(
            f"{path}: the server chose the subprotocol {protocol!r}, not one of "
            f"{', '.join(protocols)}"
        )
    ws = AsyncWebSocket(
        reader, writer, client=True, buffered=leftover, what=transport._server
    )
    return ws, protocol


async def _in_process(
    transport: Any, pipeline: Any, request: Request, protocols: Sequence[str]
) -> tuple[AsyncWebSocket, str]:
    """A transport that answers upgrades itself (the async fake ClientSet's)."""
    from ...streaming.inprocess import (
        UnsupportedTransport,
        handshake_headers,
        upgraded_socket,
    )

    upgrade = getattr(transport, "upgrade", None)
    if upgrade is None:
        raise UnsupportedTransport(
            f"{request.path}: a streaming subresource needs a connection to an API "
            f"server; {type(transport).__name__} can carry no upgraded connection "
            "(the aiohttp transport and the fake ClientSet's can)"
        )
    config = pipeline.config
    found = await credentials(config) if config is not None else None
    attempt = pipeline.prepare(request, found)
    headers = handshake_headers(attempt, protocols)
    answer = await asyncio.to_thread(upgrade, attempt, headers)
    sock, protocol = upgraded_socket(answer, request.path, protocols)
    try:
        reader, writer = await asyncio.open_connection(sock=sock)
    except BaseException:
        sock.close()
        raise
    what = "the in-process API server"
    return AsyncWebSocket(reader, writer, client=True, what=what), protocol


def _timeouts(request: Request) -> tuple[float | None, float | None]:
    timeout = request.timeout
    if isinstance(timeout, tuple):
        return timeout[0], timeout[1]
    return timeout, timeout


async def _connect(transport: Any, request: Request) -> _Streams:
    """A connected stream pair (proxy tunnel and TLS done)."""
    config = transport.config
    parts = urlsplit(config.host)
    secure = parts.scheme == "https"
    host = parts.hostname or "localhost"
    port = parts.port or (443 if secure else 80)
    context = transport._ssl(request.client_cert) if secure else None
    tls = context if isinstance(context, ssl.SSLContext) else None
    server_name = transport._server_name or host
    from ..http import _environment_proxy

    proxy = config.proxy_url or _environment_proxy(config.host)
    connect, _ = _timeouts(request)

    async def opening() -> _Streams:
        if not proxy:
            return await asyncio.open_connection(
                host,
                port,
                ssl=tls,
                server_hostname=server_name if tls is not None else None,
            )
        sock = await _tunnel(proxy, host, port)
        try:
            return await asyncio.open_connection(
                sock=sock,
                ssl=tls,
                server_hostname=server_name if tls is not None else None,
            )
        except BaseException:
            sock.close()
            raise

    try:
        # wait_for, not asyncio.timeout: Python 3.10 is supported
        return await asyncio.wait_for(
            opening(), connect if connect is not None else 10.0
        )
    except ssl.SSLError as error:
        raise TLSFailed(f"TLS with {transport._server} failed: {error}") from None
    except asyncio.TimeoutError:
        raise CannotConnect(
            f"cannot connect to {transport._server}: no connection in time"
        ) from None
    except ConnectionFailed:
        raise
    except OSError as error:
        raise CannotConnect(
            f"cannot connect to {transport._server}: {transport._scrub(str(error))}"
        ) from None


async def _tunnel(proxy: str, host: str, port: int) -> socket.socket:
    """A socket through an HTTP proxy to host:port (CONNECT); TLS goes inside.
    Spoken on the raw socket so that nothing is buffered past the answer."""
    parts = urlsplit(proxy)
    if parts.scheme not in ("http", ""):
        raise CannotConnect(
            f"the async client's exec/attach/port-forward reach the API server "
            f"through HTTP proxies only (CONNECT), not {parts.scheme}:// proxies; "
            "use the sync client for those"
        )
    loop = asyncio.get_running_loop()
    where = f"{parts.hostname}:{parts.port or 80}"
    infos = await loop.getaddrinfo(
        parts.hostname or "localhost", parts.port or 80, type=socket.SOCK_STREAM
    )
    sock: socket.socket | None = None
    failure: OSError | None = None
    for family, kind, proto, _, address in infos:
        candidate = socket.socket(family, kind, proto)
        candidate.setblocking(False)
        try:
            await loop.sock_connect(candidate, address)
        except OSError as error:
            candidate.close()
            failure = error
            continue
        except BaseException:
            candidate.close()
            raise
        sock = candidate
        break
    if sock is None:
        raise CannotConnect(f"cannot connect to the proxy {where}: {failure}")
    lines = [f"CONNECT {host}:{port} HTTP/1.1", f"Host: {host}:{port}"]
    if parts.username:
        secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        token = base64.b64encode(secret.encode()).decode("ascii")
        lines.append(f"Proxy-Authorization: Basic {token}")
    try:
        await loop.sock_sendall(sock, ("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while not head.endswith(b"\r\n\r\n"):  # byte by byte: the answer is short
            byte = await loop.sock_recv(sock, 1)
            if not byte or len(head) > _MAX_HEAD:
                raise CannotConnect(f"the proxy {where} refused the tunnel")
            head += byte
        status, _ = _parse_head(head[:-4], f"CONNECT {host}:{port}")
        if status != 200:
            raise CannotConnect(f"the proxy {where} answered {status} to CONNECT")
    except BaseException:
        sock.close()
        raise
    return sock


async def _handshake(
    transport: Any,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    request: Request,
    protocols: Sequence[str],
) -> tuple[int, dict[str, str], bytes, bytes]:
    """Send the upgrade request; the answer's status, headers, body (not 101)
    and the bytes read past the head (101: the first frames)."""
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    lines = [
        f"GET {request.target()} HTTP/1.1",
        f"Host: {transport._server}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Sec-WebSocket-Protocol: {', '.join(protocols)}",
    ]
    lines += [f"{name}: {value}" for name, value in request.headers]
    _, read = _timeouts(request)
    what = f"GET {request.path}"

    async def exchange() -> tuple[int, dict[str, str], bytes, bytes]:
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = await reader.read(65536)
            if not chunk:
                raise StreamInterrupted(
                    f"{what}: {transport._server} closed the connection during "
                    "the WebSocket upgrade"
                )
            data += chunk
            if len(data) > _MAX_HEAD:
                raise StreamInterrupted(
                    f"{what}: the upgrade answer's head is too large"
                )
        head, _, rest = data.partition(b"\r\n\r\n")
        status, headers = _parse_head(head, what)
        lower = {k.lower(): v for k, v in headers.items()}
        if status == 101:
            if lower.get("sec-websocket-accept") != accept_token(key):
                raise StreamInterrupted(
                    f"{what}: bad Sec-WebSocket-Accept in the upgrade"
                )
            return status, headers, b"", rest
        length = lower.get("content-length")
        wanted = int(length) if length and length.isdigit() else _MAX_ERROR_BODY
        wanted = min(wanted, _MAX_ERROR_BODY)
        while len(rest) < wanted:
            chunk = await reader.read(65536)
            if not chunk:
                break
            rest += chunk
        return status, headers, rest[:wanted], b""

    try:
        return await asyncio.wait_for(exchange(), read)
    except asyncio.TimeoutError:
        raise ResponseTimeout(
            f"{what}: no answer from {transport._server} in time to the upgrade"
        ) from None
    except ConnectionFailed:
        raise
    except OSError as error:
        raise CannotConnect(
            f"{what}: upgrade to {transport._server} failed: {error}"
        ) from None
