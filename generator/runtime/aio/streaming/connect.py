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
import ssl
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

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
    try:
        async with asyncio.timeout(connect if connect is not None else 10.0):
            if proxy:
                return await _tunnel(proxy, host, port, tls, server_name)
            return await asyncio.open_connection(
                host,
                port,
                ssl=tls,
                server_hostname=server_name if tls is not None else None,
            )
    except ssl.SSLError as error:
        raise TLSFailed(f"TLS with {transport._server} failed: {error}") from None
    except TimeoutError:
        raise CannotConnect(
            f"cannot connect to {transport._server}: no connection in time"
        ) from None
    except ConnectionFailed:
        raise
    except OSError as error:
        raise CannotConnect(
            f"cannot connect to {transport._server}: {transport._scrub(str(error))}"
        ) from None


async def _tunnel(
    proxy: str,
    host: str,
    port: int,
    tls: ssl.SSLContext | None,
    server_name: str,
) -> _Streams:
    """Through an HTTP proxy: CONNECT host:port, then TLS inside the tunnel."""
    parts = urlsplit(proxy)
    if parts.scheme not in ("http", ""):
        raise CannotConnect(
            f"the async client's exec/attach/port-forward reach the API server "
            f"through HTTP proxies only (CONNECT), not {parts.scheme}:// proxies; "
            "use the sync client for those"
        )
    reader, writer = await asyncio.open_connection(
        parts.hostname or "localhost", parts.port or 80
    )
    lines = [f"CONNECT {host}:{port} HTTP/1.1", f"Host: {host}:{port}"]
    if parts.username:
        from urllib.parse import unquote

        secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        token = base64.b64encode(secret.encode()).decode("ascii")
        lines.append(f"Proxy-Authorization: Basic {token}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        writer.transport.abort()
        raise CannotConnect(f"the proxy {parts.netloc} refused the tunnel") from None
    status, _ = _parse_head(head[:-4], f"CONNECT {host}:{port}")
    if status != 200:
        writer.transport.abort()
        raise CannotConnect(
            f"the proxy {parts.hostname}:{parts.port} answered {status} to CONNECT"
        )
    if tls is not None:
        await writer.start_tls(tls, server_hostname=server_name)
    return reader, writer


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
    try:
        async with asyncio.timeout(read):
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
    except TimeoutError:
        raise ResponseTimeout(
            f"{what}: no answer from {transport._server} in time to the upgrade"
        ) from None
    except ConnectionFailed:
        raise
    except OSError as error:
        raise CannotConnect(
            f"{what}: upgrade to {transport._server} failed: {error}"
        ) from None
