"""The pods' runtime of the test API server: what runs "in" a container when a
client execs, attaches or forwards a port. Tests plug it in; nothing ever runs
on the host.

    runtime = server.pod_runtime
    runtime.on_exec("default", "web", "app", handler)      # handler(process) -> exit code
    runtime.on_attach("default", "web", "app", handler)
    runtime.forward_port("default", "web", 8080, ("127.0.0.1", 5000))
    runtime.files("default", "web", "app")["/etc/motd"] = b"hi\\n"

A handler gets a :class:`Process` (command, stdin, stdout, stderr, tty size,
the container's files) and returns the exit code; raising :class:`ExecFailure`
reports a failure that is not an exit code (as a runtime that cannot start the
command). Without a handler, exec runs the emulated commands of
:mod:`.emulation` on the container's in-memory files, and attach echoes stdin
to stdout (or, without stdin, shows the container's log and follows it).

``container`` may be ``"*"`` in a registration: any container of the pod.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["ExecFailure", "Handler", "PodRuntime", "Process", "Stdin"]

Address = tuple[str, int]


class ExecFailure(Exception):
    """A command that could not run (not an exit code): the client sees the message."""


class Stdin:
    """What the client sends on stdin: a bounded pipe (the connection stops being
    read while it is full, so a slow command slows the client down)."""

    def __init__(self, capacity: int = 64) -> None:
        self._chunks: deque[bytes] = deque()
        self._capacity = capacity
        self._changed = threading.Condition()
        self._ended = False
        self._leftover = b""

    def feed(self, data: bytes, stop: threading.Event | None = None) -> None:
        with self._changed:
            while len(self._chunks) >= self._capacity and not self._ended:
                if stop is not None and stop.is_set():
                    return
                self._changed.wait(0.2)
            if not self._ended:
                self._chunks.append(data)
                self._changed.notify_all()

    def end(self) -> None:
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (-1: everything until the end); b"" at the end."""
        if size < 0:
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        if self._leftover:
            data, self._leftover = self._leftover[:size], self._leftover[size:]
            return data
        with self._changed:
            while not self._chunks and not self._ended:
                self._changed.wait()
            if not self._chunks:
                return b""
            data = self._chunks.popleft()
            self._changed.notify_all()
        data, self._leftover = data[:size], data[size:]
        return data

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.read(65536), b"")


class Output:
    """stdout or stderr of a process: ``write`` sends at once."""

    def __init__(self, send: Callable[[bytes], None] | None) -> None:
        self._send = send
        self.enabled = send is not None

    def write(self, data: bytes | str) -> int:
        if isinstance(data, str):
            data = data.encode()
        if self._send is not None and data:
            self._send(data)
        return len(data)


@dataclass
class Process:
    namespace: str
    pod: str
    container: str
    command: list[str]  # empty for attach
    stdin: Stdin | None
    stdout: Output
    stderr: Output
    tty: bool
    #: the container's in-memory files, by absolute path (shared, mutable)
    files: dict[str, bytes]
    env: dict[str, str]
    #: set when the client went away: a long-running handler should return
    gone: threading.Event = field(default_factory=threading.Event)
    #: the latest terminal size (width, height), when the client sent one
    size: tuple[int, int] | None = None
    resized: list[tuple[int, int]] = field(default_factory=list)
    #: the container's log so far and as it grows (attach's default), if any
    logs: Callable[[], Iterator[bytes]] | None = None


Handler = Callable[[Process], int]
_Key = tuple[str, str, str]


class PodRuntime:
    """Registrations per (namespace, pod, container); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exec: dict[_Key, Handler] = {}
        self._attach: dict[_Key, Handler] = {}
        self._ports: dict[tuple[str, str, int], Address] = {}
        self._service_ports: dict[tuple[str, str, str], Address] = {}
        self._files: dict[_Key, dict[str, bytes]] = {}
        self._env: dict[_Key, dict[str, str]] = {}

    # -- registration

    def on_exec(
        self, namespace: str, pod: str, container: str, handler: Handler
    ) -> None:
        """Run ``handler`` for every exec in the container (instead of the emulation)."""
        with self._lock:
            self._exec[(namespace, pod, container)] = handler

    def on_attach(
        self, namespace: str, pod: str, container: str, handler: Handler
    ) -> None:
        with self._lock:
            self._attach[(namespace, pod, container)] = handler

    def forward_port(
        self, namespace: str, pod: str, port: int, target: Address
    ) -> None:
        """Connections to the pod's ``port`` (port-forward, pod proxy, the pods of a
        service proxy) go to ``target`` on the loopback."""
        with self._lock:
            self._ports[(namespace, pod, port)] = target

    def forward_service_port(
        self, namespace: str, service: str, port: str | int, target: Address
    ) -> None:
        """The service proxy of ``service:port`` (a port name or number) goes to
        ``target``, whatever pods the service selects."""
        with self._lock:
            self._service_ports[(namespace, service, str(port))] = target

    def files(self, namespace: str, pod: str, container: str) -> dict[str, bytes]:
        """The container's in-memory file system (path -> content), to fill or read."""
        with self._lock:
            return self._files.setdefault((namespace, pod, container), {})

    def env(self, namespace: str, pod: str, container: str) -> dict[str, str]:
        """Environment variables the emulated ``env`` prints (beside the defaults)."""
        with self._lock:
            return self._env.setdefault((namespace, pod, container), {})

    def forget_pod(self, namespace: str, pod: str) -> None:
        """Drop what was registered for a pod (the server calls it on delete)."""
        with self._lock:
            for table in (self._exec, self._attach, self._files, self._env):
                for key in [k for k in table if k[:2] == (namespace, pod)]:
                    del table[key]
            for port_key in [k for k in self._ports if k[:2] == (namespace, pod)]:
                del self._ports[port_key]

    # -- lookups (the server's)

    def exec_handler(self, namespace: str, pod: str, container: str) -> Handler | None:
        with self._lock:
            return self._exec.get((namespace, pod, container)) or self._exec.get(
                (namespace, pod, "*")
            )

    def attach_handler(
        self, namespace: str, pod: str, container: str
    ) -> Handler | None:
        with self._lock:
            return self._attach.get((namespace, pod, container)) or self._attach.get(
                (namespace, pod, "*")
            )

    def port_target(self, namespace: str, pod: str, port: int) -> Address | None:
        with self._lock:
            return self._ports.get((namespace, pod, port))

    def service_target(self, namespace: str, service: str, port: str) -> Address | None:
        with self._lock:
            return self._service_ports.get((namespace, service, port))
