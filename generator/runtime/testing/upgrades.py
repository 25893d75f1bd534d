"""exec, attach and port-forward on the fake ClientSets: the engine's streaming
handlers over an in-process socket pair (``socket.socketpair()``), no HTTP.

The client's upgrade request (with its WebSocket headers) goes to the engine as
any fake request does; a 101 gives the engine's upgrade a socket of the pair,
served in a thread as the HTTP front would, and the client's WebSocket the
other. Every other answer is the usual typed error. So the fake runs exactly
the server's channel protocol, emulation and registered handlers
(``cs.core.pod_runtime``).
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import TYPE_CHECKING

from .protocol.wire import ServerRequest

if TYPE_CHECKING:
    from ..request import Request
    from .engine.core import Core

__all__ = ["InProcessUpgrades", "Upgraded"]

_log = logging.getLogger(__name__)

#: status, headers, body (not 101), the client's end of the pair (101)
Upgraded = tuple[int, dict[str, str], bytes, "socket.socket | None"]


class InProcessUpgrades:
    """Serves upgrade requests on ``core``; ``close_connections()`` cuts every
    upgraded connection (as ``ApiServer``'s front does: a dropped connection)."""

    def __init__(self, core: Core, user: str, groups: tuple[str, ...]) -> None:
        self.core = core
        self.user = user
        self.groups = groups
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()

    def upgrade(self, request: Request, headers: dict[str, str]) -> Upgraded:
        query: dict[str, list[str]] = {}
        for key, value in request.query:
            query.setdefault(key, []).append(value)
        served = self.core.handle(
            ServerRequest(
                request.method,
                request.path,
                query,
                headers,
                b"",
                self.user,
                self.groups,
            )
        )
        if served.status != 101 or served.upgrade is None:
            body = served.body
            if served.stream is not None:  # not expected for an error: dropped
                close = getattr(served.stream, "close", None)
                if close is not None:
                    close()
            return served.status, dict(served.headers), body, None
        server_end, client_end = socket.socketpair()
        with self._lock:
            self._live.add(server_end)
        upgrade = served.upgrade

        def serve() -> None:
            try:
                upgrade(server_end, server_end.recv)
            except Exception:  # as the HTTP front: logged, the connection closed
                _log.exception("fake API server: an upgraded connection failed")
            finally:
                with self._lock:
                    self._live.discard(server_end)
                _shutdown(server_end)
                server_end.close()

        threading.Thread(target=serve, daemon=True, name="fake-upgrade").start()
        return 101, dict(served.headers), b"", client_end

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._live)

    def close_connections(self) -> None:
        with self._lock:
            live = list(self._live)
        for sock in live:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
