"""Upgrades without a network: a transport with an ``upgrade(request, headers)``
method (the fake ClientSets') answers an upgrade request in-process, with the
client's end of a socket pair on a 101. The WebSocket over it is the same as
over TCP; only the HTTP handshake is not written out (the headers are handed
over as they would be sent, so the server side checks them as ever).
"""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from ..errors import StreamInterrupted, error_from_response

if TYPE_CHECKING:
    from ..request import Request

__all__ = ["Upgrade", "UnsupportedTransport", "handshake_headers", "upgraded_socket"]

#: status, headers, body (not 101), the client's socket (101)
Upgrade = Callable[
    ["Request", dict[str, str]],
    tuple[int, dict[str, str], bytes, "socket.socket | None"],
]


class UnsupportedTransport(TypeError):
    """exec, attach or port-forward on a transport that can carry no upgraded
    connection (a mock transport answering functions); a TypeError, as the
    misuse of a client it is."""


def handshake_headers(request: Request, protocols: Sequence[str]) -> dict[str, str]:
    """The request's headers and a WebSocket upgrade's, as the server reads them
    (lower-case names, repeated ones joined)."""
    headers: dict[str, str] = {}
    for name, value in request.headers:
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    headers.update(
        {
            "upgrade": "websocket",
            "connection": "Upgrade",
            "sec-websocket-key": base64.b64encode(os.urandom(16)).decode("ascii"),
            "sec-websocket-version": "13",
            "sec-websocket-protocol": ", ".join(protocols),
        }
    )
    return headers


def upgraded_socket(
    answer: tuple[int, Mapping[str, str], bytes, socket.socket | None],
    path: str,
    protocols: Sequence[str],
) -> tuple[socket.socket, str]:
    """The client's socket and the chosen subprotocol; the typed error of any
    answer but a 101."""
    status, headers, body, sock = answer
    if sock is None:
        raise error_from_response(status, body, dict(headers), "GET", f"fake://{path}")
    lower = {k.lower(): v for k, v in headers.items()}
    protocol = lower.get("sec-websocket-protocol", "").strip()
    if protocol and protocol not in protocols:
        sock.close()
        raise StreamInterrupted(
            f"{path}: the server chose the subprotocol {protocol!r}, not one of "
            f"{', '.join(protocols)}"
        )
    return sock, protocol
