"""Port-forward over WebSocket (``v4.channel.k8s.io`` on pods/portforward), the
server's end, as the kubelet serves it: one WebSocket per forwarded TCP stream,
channels ``2i`` (data) and ``2i+1`` (errors) for the ``i``-th port of the
``ports`` query, each opened by the port (uint16 little-endian). The data goes
to the target the test registered for the pod's port, on the loopback.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from ....errors import StreamInterrupted
from ....streaming import channels
from ....streaming.websocket import WebSocket

Address = tuple[str, int]
_CHUNK = 1 << 17


class PortForwardSession:
    def __init__(self, pod: str, ports: list[tuple[int, Address | None]]) -> None:
        self.pod = pod
        self.ports = ports

    def run(self, sock: socket.socket, recv: Callable[[int], bytes]) -> None:
        ws = WebSocket(sock, client=False, recv=recv, what="the port-forward client")
        targets: dict[int, socket.socket] = {}
        pumps: list[threading.Thread] = []
        try:
            for index, (port, address) in enumerate(self.ports):
                prefix = channels.port_prefix(port)
                ws.send(channels.encode(2 * index, prefix))
                ws.send(channels.encode(2 * index + 1, prefix))
                target = self._connect(ws, index, port, address)
                if target is None:
                    continue
                targets[2 * index] = target
                pump = threading.Thread(
                    target=self._pump,
                    args=(ws, target, 2 * index),
                    daemon=True,
                    name="test-apiserver-portforward",
                )
                pump.start()
                pumps.append(pump)
            if not targets:
                ws.close()
            self._read_client(ws, targets)
        except StreamInterrupted:
            pass
        finally:
            for target in targets.values():
                _close(target)
            ws.abort()
            for pump in pumps:
                pump.join(5)

    def _connect(
        self, ws: WebSocket, index: int, port: int, address: Address | None
    ) -> socket.socket | None:
        error = "nothing listens there (no target registered for the port)"
        if address is not None:
            try:
                return socket.create_connection(address, timeout=10)
            except OSError as failure:
                error = str(failure)
        message = (
            f"error forwarding port {port} to pod {self.pod}: failed to connect to "
            f"localhost:{port} inside the pod: {error}"
        )
        ws.send(channels.encode(2 * index + 1, message.encode()))
        return None

    def _read_client(self, ws: WebSocket, targets: dict[int, socket.socket]) -> None:
        while True:
            message = ws.receive()
            if message is None:
                return
            try:
                channel, data = channels.decode(message)
            except channels.ChannelError:
                continue
            target = targets.get(channel)
            if target is None or not data:
                continue
            try:
                target.settimeout(None)
                target.sendall(data)
            except OSError:
                ws.close()
                return

    def _pump(self, ws: WebSocket, target: socket.socket, channel: int) -> None:
        """The target's answers to the client; its end closes the WebSocket."""
        try:
            target.settimeout(None)
            while True:
                data = target.recv(_CHUNK)
                if not data:
                    break
                ws.send(channels.encode(channel, data))
        except (OSError, StreamInterrupted):
            pass
        ws.close()


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
