"""exec and attach over WebSocket (``v5.channel.k8s.io``, ``v4.channel.k8s.io``),
the server's end: as kube-apiserver relays the kubelet's remotecommand server.

The connection's thread reads the client (stdin, resize, the v5 close signal);
the command runs in its own thread and writes stdout/stderr as it goes; when it
ends, the Status goes on the error channel and the WebSocket closes.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

from ....errors import StreamInterrupted
from ....streaming import channels
from ....streaming.websocket import WebSocket
from .runtime import ExecFailure, Handler, Output, Process, Stdin

_log = logging.getLogger(__name__)

#: how long the client has to answer our close before the connection is cut
CLOSE_WAIT = 5.0
#: stdout/stderr are sent in messages of at most this many bytes
MAX_CHUNK = 1 << 17


class RemoteCommandSession:
    """One exec or attach, from the upgrade to the close."""

    def __init__(
        self,
        protocol: str,
        handler: Handler,
        process_args: dict[str, Any],
        *,
        stdin: bool,
        stdout: bool,
        stderr: bool,
    ) -> None:
        self.protocol = protocol
        self.handler = handler
        self.process_args = process_args
        self.want = (stdin, stdout, stderr)

    def run(self, sock: socket.socket, recv: Callable[[int], bytes]) -> None:
        ws = WebSocket(sock, client=False, recv=recv, what="the exec client")
        want_stdin, want_stdout, want_stderr = self.want
        stdin = Stdin() if want_stdin else None

        def sender(channel: int) -> Callable[[bytes], None]:
            def send(data: bytes) -> None:
                view = memoryview(data)
                for start in range(0, len(view), MAX_CHUNK):
                    ws.send(
                        channels.encode(channel, bytes(view[start : start + MAX_CHUNK]))
                    )

            return send

        process = Process(
            **self.process_args,
            stdin=stdin,
            stdout=Output(sender(channels.STDOUT) if want_stdout else None),
            stderr=Output(sender(channels.STDERR) if want_stderr else None),
        )
        done = threading.Event()
        worker = threading.Thread(
            target=self._execute,
            args=(ws, process, done),
            daemon=True,
            name="test-apiserver-exec",
        )
        worker.start()
        try:
            self._read_client(ws, process, stdin)
        finally:
            process.gone.set()
            if stdin is not None:
                stdin.end()
            if not done.wait(CLOSE_WAIT):
                ws.abort()  # the command does not notice the client left: cut it
            worker.join(CLOSE_WAIT)

    def _read_client(
        self, ws: WebSocket, process: Process, stdin: Stdin | None
    ) -> None:
        while True:
            try:
                message = ws.receive()
            except StreamInterrupted:
                return
            if message is None:
                return
            try:
                channel, data = channels.decode(message)
            except channels.ChannelError:
                continue
            if channel == channels.STDIN and stdin is not None:
                stdin.feed(data, process.gone)
            elif channel == channels.RESIZE:
                try:
                    size = channels.parse_resize(data)
                except channels.ChannelError:
                    continue
                process.size = size
                process.resized.append(size)
            elif (
                channel == channels.CLOSE
                and self.protocol == channels.V5
                and data[:1] == bytes((channels.STDIN,))
                and stdin is not None
            ):
                stdin.end()

    def _execute(self, ws: WebSocket, process: Process, done: threading.Event) -> None:
        try:
            self._run_handler(ws, process, done)
        finally:
            if process.stdin is not None:
                process.stdin.end()  # a reader still feeding it must not wait on

    def _run_handler(
        self, ws: WebSocket, process: Process, done: threading.Event
    ) -> None:
        status: dict[str, Any]
        try:
            code = self.handler(process)
            status = channels.status_for_exit(int(code))
        except ExecFailure as failure:
            status = channels.failure_status(str(failure))
        except StreamInterrupted:
            done.set()
            return  # the client is gone: nobody to tell
        except Exception as error:  # a handler's bug: the client gets a Status
            _log.exception("test API server: exec handler failed")
            status = channels.failure_status(f"exec handler failed: {error}")
        if process.stdin is not None:
            process.stdin.end()  # unread stdin: the reading loop goes on to the close
        try:
            ws.send(channels.encode(channels.ERROR, json.dumps(status).encode()))
            ws.close()
        except StreamInterrupted:
            pass
        finally:
            done.set()
        # the client answers our close: the reading loop then ends; if it never
        # does, the connection is cut
        if not process.gone.wait(CLOSE_WAIT):
            ws.abort()
