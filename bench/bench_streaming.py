"""The streaming section of bench/run.py: exec and port-forward through the
test API server, ours beside kubectl doing the same work against the same
server in the same run.

* exec stdout throughput: ``head -c 100MB /dev/zero`` (the server's emulation
  streams zeros), ours into a counting sink (bounded memory), kubectl into
  /dev/null;
* port-forward throughput: 100 MB through a loopback echo target and back,
  beside kubectl port-forward (SPDY tunneled over WebSocket) and the direct
  connection as a floor;
* small-exec round trip: ``echo hi``, the median of 20, ours beside kubectl
  (whose figure includes starting the process).

    python bench/bench_streaming.py [--package-dir DIR] [--mb 100]
"""

from __future__ import annotations

import argparse
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MB = 1024 * 1024
KUBECTL = Path("/usr/lib/google-cloud-sdk/bin/kubectl.1.33")
#: ours / kubectl (Go): a pure-Python client, reading TLS records of 16 KiB
#: through wsproto, should keep at least a fifth of kubectl's pace
THROUGHPUT_TARGET = 0.2
#: ours / kubectl port-forward: both relay through the same Python server
PORT_FORWARD_TARGET = 0.5

Report = Callable[[str, str, str, bool | None], None]


class _Count:
    def __init__(self) -> None:
        self.count = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        return len(data)


def _echo_server() -> tuple[socket.socket, tuple[str, int]]:
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_echo, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener, listener.getsockname()


def _echo(conn: socket.socket) -> None:
    with conn:
        while data := conn.recv(1 << 17):
            conn.sendall(data)


def _through(forward: Any, size: int) -> float:
    """Seconds to send ``size`` bytes through the forward and read them back."""
    chunk = bytes(1 << 17)
    with forward.connect(timeout=60) as conn:
        start = time.perf_counter()

        def send() -> None:
            left = size
            while left > 0:
                conn.sendall(chunk[: min(left, len(chunk))])
                left -= len(chunk)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        got = 0
        while got < size:
            data = conn.recv(1 << 17)
            if not data:
                raise RuntimeError(f"the forward closed after {got} bytes")
            got += len(data)
        sender.join()
        return time.perf_counter() - start


_SERVER = """
import socket, sys, threading
from kubeclient.testing import ApiServer
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"},
       "spec": {"containers": [{"name": "app", "image": "x"}]},
       "status": {"phase": "Running"}}
with ApiServer(tls=True, objects=[pod]) as server:
    server.pod_runtime.forward_port("default", "web", 9000, (sys.argv[2], int(sys.argv[3])))
    server.write_kubeconfig(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.read()
"""


def _kubectl_forward(kubectl: list[str], size: int) -> float:
    """Seconds for the same 100 MB through ``kubectl port-forward``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [*kubectl, "port-forward", "--address", "127.0.0.1", "web", f"{port}:9000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()  # Forwarding from ...

        class Forward:
            @staticmethod
            def connect(timeout: float) -> socket.socket:
                return socket.create_connection(("127.0.0.1", port), timeout=timeout)

        return _through(Forward, size)
    finally:
        process.kill()
        process.wait(10)


def bench_streaming(report: Report, package_dir: Path | None, mb: int = 100) -> None:
    """The server runs in its own process (as kube-apiserver would): our client
    and kubectl then compete on equal terms, not with the server for one GIL."""
    if package_dir is not None:
        sys.path.insert(0, str(package_dir))
    from kubeclient import ClientSet  # type: ignore[import-not-found,unused-ignore]
    from kubeclient.config import (  # type: ignore[import-not-found,unused-ignore]
        load_kube_config,
    )

    size = mb * MB
    listener, echo_address = _echo_server()
    kubeconfig = Path(tempfile.mkdtemp()) / "kc"
    env = {"PYTHONPATH": str(package_dir)} if package_dir is not None else None
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(kubeconfig), *map(str, echo_address)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None and process.stdin is not None
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError("the test API server did not start")
    try:
        clients = ClientSet(load_kube_config(kubeconfig))
        _measure(report, clients, kubeconfig, size, mb, echo_address)
    finally:
        process.stdin.close()
        process.wait(10)
        listener.close()


def _measure(
    report: Report,
    cs: Any,
    kubeconfig: Path,
    size: int,
    mb: int,
    echo_address: tuple[str, int],
) -> None:
    with cs:
        pods = cs.core_v1.pods("default")
        kubectl = [str(KUBECTL), "--kubeconfig", str(kubeconfig)]
        command = ["head", "-c", str(size), "/dev/zero"]

        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sink = _Count()
        start = time.perf_counter()
        result = pods.exec("web", command, stdout=sink)
        ours = time.perf_counter() - start
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert sink.count == size and result.exit_code == 0, (sink.count, result)
        start = time.perf_counter()
        subprocess.run(
            [*kubectl, "exec", "web", "--", *command],
            stdout=subprocess.DEVNULL,
            check=True,
        )
        theirs = time.perf_counter() - start
        report(
            f"exec stdout {mb} MB",
            f"{mb / ours:,.0f} MB/s",
            f">= {THROUGHPUT_TARGET}x kubectl",
            ours / theirs <= 1 / THROUGHPUT_TARGET,
        )
        report(
            "  kubectl exec, same command, same server",
            f"{mb / theirs:,.0f} MB/s",
            f"ours {theirs / ours:.2f}x",
            None,
        )
        report(
            f"  peak memory growth streaming {mb} MB",
            f"{grown:,.0f} MiB",
            "< 64 MiB",
            grown < 64,
        )

        with pods.port_forward("web", 9000) as forward:
            seconds = _through(forward, size)

        class Direct:  # the floor: the echo target without the forward
            @staticmethod
            def connect(timeout: float) -> socket.socket:
                return socket.create_connection(echo_address, timeout=timeout)

        floor = _through(Direct, size)
        theirs_forward = _kubectl_forward(kubectl, size)
        report(
            f"port-forward {mb} MB to an echo target and back",
            f"{mb / seconds:,.0f} MB/s",
            f">= {PORT_FORWARD_TARGET}x kubectl",
            theirs_forward / seconds >= PORT_FORWARD_TARGET,
        )
        report(
            "  kubectl port-forward, same target, same server",
            f"{mb / theirs_forward:,.0f} MB/s",
            f"ours {theirs_forward / seconds:.2f}x",
            None,
        )
        report(
            "  floor: the echo target directly",
            f"{mb / floor:,.0f} MB/s",
            f"ours {floor / seconds:.2f}x",
            None,
        )

        small = ["echo", "hi"]
        rounds = []
        for _ in range(20):
            start = time.perf_counter()
            pods.exec("web", small)
            rounds.append(time.perf_counter() - start)
        ours_small = statistics.median(rounds)
        rounds = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run(
                [*kubectl, "exec", "web", "--", *small],
                stdout=subprocess.DEVNULL,
                check=True,
            )
            rounds.append(time.perf_counter() - start)
        theirs_small = statistics.median(rounds)
        report(
            "small exec round trip (echo hi), median",
            f"{ours_small * 1000:,.1f} ms",
            "< 50 ms",
            ours_small < 0.05,
        )
        report(
            "  kubectl exec (with process start), median",
            f"{theirs_small * 1000:,.0f} ms",
            f"ours {theirs_small / ours_small:.1f}x faster",
            None,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--package-dir", type=Path)
    parser.add_argument("--mb", type=int, default=100)
    args = parser.parse_args()

    def report(name: str, measured: str, target: str, ok: bool | None) -> None:
        status = "n/a" if ok is None else ("ok" if ok else "MISSED")
        print(f"  {name:<52} {measured:>18}   target {target:<14} {status}", flush=True)

    bench_streaming(report, args.package_dir, args.mb)


if __name__ == "__main__":
    main()
