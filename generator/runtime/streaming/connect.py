"""Opening a WebSocket to the API server with everything an ordinary request
has: the pipeline's credentials (fresh, one retry after a 401 with refreshed
ones) and User-Agent, the transport's TLS (CA, client certificate,
tls-server-name), its proxy (HTTP CONNECT, SOCKS) and the configured connect
timeout. An answer other than 101 is the same typed error as for any request
(NotFound, Forbidden, BadRequest "container ... is not valid" ...).
"""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import (
    CannotConnect,
    ConnectionFailed,
    ResponseTimeout,
    StreamInterrupted,
    error_from_response,
)
from ..request import Params, Request, encode_params
from .websocket import WebSocket, accept_token

if TYPE_CHECKING:
    from ..context import Context
    from ..request import Timeout
    from ..rest import RESTClient

__all__ = ["open_websocket"]

_MAX_HEAD = 64 * 1024
_MAX_ERROR_BODY = 1 << 20


def open_websocket(
    rest: RESTClient,
    path: str,
    params: Params,
    protocols: Sequence[str],
    *,
    timeout: Timeout | None = None,
    ctx: Context | None = None,
) -> tuple[WebSocket, str]:
    """The upgraded connection and the subprotocol the server chose."""
    from ..transport.http import HTTPTransport

    transport = rest.transport
    pipeline = rest.pipeline
    request = Request("GET", path, encode_params(params), (), None, timeout, True, ctx)
    if not isinstance(transport, HTTPTransport):
        return _in_process(transport, pipeline, request, protocols)
    refreshed = False
    while True:
        if ctx is not None:
            ctx.check()
        config = pipeline.config
        credentials = config.credentials() if config is not None else None
        attempt = pipeline.prepare(request, credentials)  # impersonation too
        sock = _connect(transport, attempt)
        try:
            status, headers, body, leftover = _handshake(
                transport, sock, attempt, protocols
            )
        except BaseException:
            sock.close()
            raise
        if status == 101:
            break
        sock.close()
        if (
            status == 401
            and not refreshed
            and config is not None
            and config.refresh_after_unauthorized()
        ):
            refreshed = True
            continue
        raise error_from_response(
            status, body, headers, "GET", transport._server + path
        )
    key_headers = {k.lower(): v for k, v in headers.items()}
    protocol = key_headers.get("sec-websocket-protocol", "").strip()
    if protocol and protocol not in protocols:
        sock.close()
        raise StreamInterrupted(
            f"{path}: the server chose the subprotocol {protocol!r}, not one of "
            f"{', '.join(protocols)}"
        )
    sock.settimeout(None)  # a session may be quiet for long; ctx cancels it
    ws = WebSocket(sock, client=True, buffered=leftover, what=transport._server)
    return ws, protocol


def _in_process(
    transport: Any, pipeline: Any, request: Request, protocols: Sequence[str]
) -> tuple[WebSocket, str]:
    """A transport that answers upgrades itself (the fake ClientSet's)."""
    from .inprocess import UnsupportedTransport, handshake_headers, upgraded_socket

    upgrade = getattr(transport, "upgrade", None)
    if upgrade is None:
        raise UnsupportedTransport(
            f"{request.path}: a streaming subresource needs a connection to an API "
            f"server; {type(transport).__name__} can carry no upgraded connection "
            "(the HTTP transport and the fake ClientSet's can)"
        )
    config = pipeline.config
    credentials = config.credentials() if config is not None else None
    attempt = pipeline.prepare(request, credentials)
    answer = upgrade(attempt, handshake_headers(attempt, protocols))
    sock, protocol = upgraded_socket(answer, request.path, protocols)
    return WebSocket(sock, client=True, what="the in-process API server"), protocol


def _connect(transport: Any, request: Request) -> socket.socket:
    """A connected socket (TLS and proxy tunnel done), from the transport's pool
    set-up, so it is configured exactly as every other request's connection."""
    pool, _ = transport._pool(request.client_cert)
    connection = pool._new_conn()
    timeout = request.timeout
    connect = timeout[0] if isinstance(timeout, tuple) else timeout
    connection.timeout = connect if connect is not None else 10.0
    unregister = None
    if request.context is not None:

        def cancel() -> None:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        unregister = request.context.on_cancel(cancel)
    try:
        if _tunnel_required(pool):
            pool._prepare_proxy(connection)  # CONNECT through the proxy, then TLS
        else:
            connection.connect()
    except Exception as error:
        ctx = request.context
        if ctx is not None and ctx.done:
            failure = ctx.error()
            assert failure is not None
            raise failure from None
        raise transport._failure(error, request) from None
    finally:
        if unregister is not None:
            unregister()
    sock: socket.socket = connection.sock
    return sock


def _tunnel_required(pool: Any) -> bool:
    """Whether the pool reaches the server through an HTTP CONNECT tunnel (an
    https server behind an HTTP(S) proxy), as urllib3 decides for a request."""
    if getattr(pool, "proxy", None) is None:
        return False
    from urllib3.util.proxy import connection_requires_http_tunnel

    return bool(
        connection_requires_http_tunnel(pool.proxy, pool.proxy_config, pool.scheme)
    )


def _handshake(
    transport: Any, sock: socket.socket, request: Request, protocols: Sequence[str]
) -> tuple[int, dict[str, str], bytes, bytes]:
    """Send the upgrade request; the answer's status, headers, body (not 101)
    and the bytes read past the head (101: the first frames)."""
    _, prefix = transport._pool(request.client_cert)
    host = transport._server.split("://", 1)[1]
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    lines = [
        f"GET {prefix}{request.target()} HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Sec-WebSocket-Protocol: {', '.join(protocols)}",
    ]
    lines += [f"{name}: {value}" for name, value in request.headers]
    timeout = request.timeout
    read = timeout[1] if isinstance(timeout, tuple) else timeout
    what = f"GET {request.path}"
    try:
        sock.settimeout(read)
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise StreamInterrupted(
                    f"{what}: {transport._server} closed the connection during the "
                    "WebSocket upgrade"
                )
            data += chunk
            if len(data) > _MAX_HEAD:
                raise StreamInterrupted(
                    f"{what}: the upgrade answer's head is too large"
                )
        head, _, rest = data.partition(b"\r\n\r\n")
        status, headers = _parse_head(head, what)
        if status == 101:
            accept = {k.lower(): v for k, v in headers.items()}.get(
                "sec-websocket-accept"
            )
            if accept != accept_token(key):
                raise StreamInterrupted(
                    f"{what}: bad Sec-WebSocket-Accept in the upgrade"
                )
            return status, headers, b"", rest
        length = {k.lower(): v for k, v in headers.items()}.get("content-length")
        wanted = int(length) if length and length.isdigit() else _MAX_ERROR_BODY
        wanted = min(wanted, _MAX_ERROR_BODY)
        while len(rest) < wanted:
            chunk = sock.recv(65536)
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
        ctx = request.context
        if ctx is not None and ctx.done:
            failure = ctx.error()
            assert failure is not None
            raise failure from None
        raise CannotConnect(
            f"{what}: upgrade to {transport._server} failed: {error}"
        ) from None


def _parse_head(head: bytes, what: str) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise StreamInterrupted(f"{what}: not an HTTP answer: {lines[0][:100]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip()] = value.strip()
    return int(parts[1]), headers
