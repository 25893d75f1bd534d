"""Benchmark of the test API server (``<pkg>.testing``), one run, printed as figures:

  (a) GETs per second of one client (keep-alive, a small ConfigMap) against the
      server running in its own process: a lean http.client client (what the
      server sustains) and a requests.Session (what a typical client gets);
  (b) a watch delivering 10,000 events to a client that decodes every line:
      client and server peak RSS growth (memory must stay bounded).

    python bench/bench_server.py [--package-dir build/bench] [--events 10000]

Generates the v1.36 package first (cached) unless --package-dir already holds one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO.parent / "shared" / "specs" / "v1.36"
GET_TARGET = 2_000


def ensure_package(out: Path) -> None:
    if (out / "kubeclient" / "testing" / "__init__.py").exists():
        return
    sys.path.insert(0, str(REPO))
    from generator.cli import main

    code = main(
        [
            "--spec",
            str(SPEC),
            "--out",
            str(out),
            "--cache-dir",
            str(REPO / "build" / "cache"),
        ]
    )
    if code != 0:
        raise SystemExit("generation failed")


def rss_kib(pid: int | str = "self") -> tuple[int, int]:
    """(current RSS, peak RSS) in KiB from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def reset_peak(pid: int | str = "self") -> None:
    """Start VmHWM afresh (Linux: clear_refs 5), so the peak is this phase's."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass  # not permitted: the peak then covers the process's whole life


class Server:
    """``python -m kubeclient.testing serve`` in a child process."""

    def __init__(self, package_dir: Path, workdir: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(package_dir)}
        self.kubeconfig = workdir / "kubeconfig"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kubeclient.testing",
                "serve",
                "--kubeconfig",
                str(self.kubeconfig),
            ],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if line[:1] != ["ready"]:
            raise SystemExit(f"server did not start: {line}")
        self.url = line[1]
        import yaml

        config = yaml.safe_load(self.kubeconfig.read_text())
        self.token = config["users"][0]["user"]["token"]

    def session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


TRIVIAL_SERVER = r"""
import socket, threading
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8)
print(listener.getsockname()[1], flush=True)
body = b'{"kind":"ConfigMap"}'
reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
def serve(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = conn.makefile("rb")
    while True:
        line = reader.readline()
        while line not in (b"\r\n", b""):
            line = reader.readline()
        if not line:
            return
        conn.sendall(reply)
while True:
    threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()
"""


def client_ceiling(seconds: float) -> float:
    """GETs per second the same client reaches against a server that does nothing
    (a canned reply): what requests itself costs on this machine."""
    proc = subprocess.Popen(
        [sys.executable, "-c", TRIVIAL_SERVER], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url = f"http://127.0.0.1:{int(proc.stdout.readline())}/x"
        session = requests.Session()
        session.trust_env = False
        return _rate(session, url, seconds)
    finally:
        proc.kill()
        proc.wait()


def _rate(session: requests.Session, url: str, seconds: float) -> float:
    for _ in range(200):  # warm up
        session.get(url)
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            response = session.get(url)
            if response.status_code != 200:
                raise SystemExit(f"GET failed: {response.status_code}")
        count += 100
    return count / (time.perf_counter() - start)


def bench_gets(server: Server, seconds: float = 3.0) -> float:
    session = server.session()
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "small"},
        "data": {"k": "v"},
    }
    session.post(
        f"{server.url}/api/v1/namespaces/default/configmaps", json=cm
    ).raise_for_status()
    url = f"{server.url}/api/v1/namespaces/default/configmaps/small"
    return _rate(session, url, seconds)


def bench_gets_lean(server: Server, seconds: float = 3.0) -> float:
    """The same GETs from a lean keep-alive client (http.client): what the server
    sustains when the client's own cost does not dominate (requests spends about
    400 us per call of its own)."""
    from http.client import HTTPConnection
    from urllib.parse import urlsplit

    where = urlsplit(server.url)
    connection = HTTPConnection(where.hostname or "127.0.0.1", where.port)
    headers = {"Authorization": f"Bearer {server.token}"}
    path = "/api/v1/namespaces/default/configmaps/small"

    def get() -> None:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"GET failed: {response.status}")

    for _ in range(200):  # warm up
        get()
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            get()
        count += 100
    connection.close()
    return count / (time.perf_counter() - start)


def bench_watch(server: Server, events: int) -> dict[str, Any]:
    session = server.session()
    writer = server.session()
    base = f"{server.url}/api/v1/namespaces/default/configmaps"
    writer.post(
        base, json={"metadata": {"name": "w"}, "data": {"n": "0"}}
    ).raise_for_status()
    reset_peak(server.proc.pid)
    reset_peak()
    server_before = rss_kib(server.proc.pid)
    client_before = rss_kib()
    response = session.get(
        f"{base}?watch=1&fieldSelector=metadata.name%3Dw&timeoutSeconds=600",
        stream=True,
    )
    received = 0
    done = threading.Event()

    def produce() -> None:
        headers = {"Content-Type": "application/merge-patch+json"}
        for i in range(1, events + 1):
            writer.patch(
                f"{base}/w", data=json.dumps({"data": {"n": str(i)}}), headers=headers
            )
        done.set()

    producer = threading.Thread(target=produce)
    start = time.perf_counter()
    producer.start()
    for line in response.iter_lines(chunk_size=None):
        if not line:
            continue
        event = json.loads(line)
        received += 1
        if event["object"]["data"]["n"] == str(events):
            break
    elapsed = time.perf_counter() - start
    response.close()
    producer.join()
    server_after = rss_kib(server.proc.pid)
    client_after = rss_kib()
    return {
        "events": received,
        "seconds": elapsed,
        "server_peak_growth_mib": (server_after[1] - server_before[0]) / 1024,
        "server_rss_mib": server_after[0] / 1024,
        "client_peak_growth_mib": (client_after[1] - client_before[0]) / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--package-dir", type=Path, default=REPO / "build" / "bench")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    ensure_package(args.package_dir)
    workdir = args.package_dir / "work"
    workdir.mkdir(parents=True, exist_ok=True)
    server = Server(args.package_dir, workdir)
    try:
        rate = bench_gets(server, args.seconds)
        lean = bench_gets_lean(server, args.seconds)
        ceiling = client_ceiling(args.seconds)
        watch = bench_watch(server, args.events)
    finally:
        server.stop()
    print(
        "test API server benchmark (server in its own process, plain HTTP, keep-alive)"
    )
    print(
        f"(a) GET of a small ConfigMap, one lean client (http.client): {lean:,.0f}/s "
        f"({lean / GET_TARGET:.2f}x the {GET_TARGET:,}/s target)"
    )
    print(
        f"    one requests.Session client: {rate:,.0f}/s "
        f"({rate / ceiling:.2f}x the {ceiling:,.0f}/s that client reaches "
        "against a server that does no work)"
    )
    print(
        f"(b) watch: {watch['events']:,} events in {watch['seconds']:.1f} s "
        f"({watch['events'] / watch['seconds']:,.0f} events/s, each one a PATCH)"
    )
    print(
        f"    server peak RSS growth {watch['server_peak_growth_mib']:.1f} MiB "
        f"(RSS {watch['server_rss_mib']:.1f} MiB; history bounded at 10,000 events)"
    )
    print(f"    client peak RSS growth {watch['client_peak_growth_mib']:.1f} MiB")
    return 0 if lean >= GET_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
