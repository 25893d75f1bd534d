"""exec, attach, cp, port-forward, logs -f and the proxy with clients nobody
here wrote, against the TLS test server: kubectl 1.33 (exec/attach/cp over
WebSocket v5, port-forward as SPDY tunneled over WebSocket) and 1.27 (all of it
over SPDY/3.1), and the official Python client's ``stream`` (WebSocket v4).
"""

from __future__ import annotations

import http.server
import importlib
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .test_real_clients import KUBECTL_VERSIONS, Kubectl, kubectl_binary

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
    "spec": {
        "containers": [
            {
                "name": "app",
                "image": "x",
                "ports": [{"name": "http", "containerPort": 8080}],
            }
        ]
    },
    "status": {"phase": "Running"},
}


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"hello {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server(generated: Path) -> Iterator[ApiServer]:
    from kubeclient.testing import ApiServer

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    with ApiServer(tls=True, objects=[POD]) as api:
        api.pod_runtime.forward_port(
            "default", "web", 8080, ("127.0.0.1", web.server_address[1])
        )
        yield api
    web.shutdown()
    web.server_close()


@pytest.fixture(params=KUBECTL_VERSIONS)
def kubectl(
    request: pytest.FixtureRequest, server: ApiServer, tmp_path: Path
) -> Kubectl:
    binary = kubectl_binary(str(request.param))
    return Kubectl(binary, server.write_kubeconfig(tmp_path / "kc"))


def _run(
    kubectl: Kubectl, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(kubectl.binary), "--kubeconfig", str(kubectl.kubeconfig), *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


def test_kubectl_exec(kubectl: Kubectl) -> None:
    assert kubectl("exec", "web", "--", "echo", "hi") == "hi\n"
    done = _run(kubectl, "exec", "-i", "web", "--", "cat", stdin="from stdin\n")
    assert (done.returncode, done.stdout) == (0, "from stdin\n"), done.stderr
    failed = _run(kubectl, "exec", "web", "--", "sh", "-c", "echo out; exit 3")
    assert failed.returncode == 3 and failed.stdout == "out\n"
    assert "command terminated with exit code 3" in failed.stderr
    missing = _run(kubectl, "exec", "web", "-c", "nope", "--", "true")
    assert missing.returncode == 1
    assert "container nope is not valid for pod web" in missing.stderr


def test_kubectl_attach(kubectl: Kubectl) -> None:
    done = _run(kubectl, "attach", "-i", "web", "-c", "app", stdin="attached\n")
    assert (done.returncode, done.stdout) == (0, "attached\n"), done.stderr


def test_kubectl_cp_both_ways(
    kubectl: Kubectl, server: ApiServer, tmp_path: Path
) -> None:
    local = tmp_path / "a.txt"
    local.write_text("file content\n")
    kubectl("cp", str(local), "web:/tmp/a.txt")
    assert server.pod_runtime.files("default", "web", "app")["/tmp/a.txt"] == (
        b"file content\n"
    )
    back = tmp_path / "b.txt"
    kubectl("cp", "web:/tmp/a.txt", str(back))
    assert back.read_text() == "file content\n"


def test_kubectl_logs_follow(kubectl: Kubectl, server: ApiServer) -> None:
    key = ("default", "web", "app", False)
    server.core.logs.set(key, "line 1\n")
    process = subprocess.Popen(
        [
            str(kubectl.binary),
            "--kubeconfig",
            str(kubectl.kubeconfig),
            "logs",
            "-f",
            "web",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "line 1\n"
        server.core.logs.append(key, "line 2\n")
        assert process.stdout.readline() == "line 2\n"
    finally:
        process.kill()
        process.wait(10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_kubectl_port_forward(kubectl: Kubectl) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [
            str(kubectl.binary),
            "--kubeconfig",
            str(kubectl.kubeconfig),
            "port-forward",
            "--address",
            "127.0.0.1",
            "web",
            f"{port}:8080",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "Forwarding from 127.0.0.1" in process.stdout.readline()
        for path in ("/first", "/second"):  # each connection its own streams
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}{path}", timeout=10
            ) as answer:
                assert answer.read() == f"hello {path}".encode()
    finally:
        process.kill()
        process.wait(10)


def test_kubectl_get_raw_through_the_proxy(kubectl: Kubectl) -> None:
    path = "/api/v1/namespaces/default/pods/web:8080/proxy/healthz"
    assert kubectl("get", "--raw", path) == "hello /healthz"
    by_name = "/api/v1/namespaces/default/pods/web:http/proxy/x?y=1"
    assert kubectl("get", "--raw", by_name) == "hello /x?y=1"


def test_official_python_client_stream_exec(server: ApiServer, tmp_path: Path) -> None:
    kubernetes: Any = importlib.import_module("kubernetes")  # typed loosely on purpose
    stream = importlib.import_module("kubernetes.stream").stream

    kubeconfig = server.write_kubeconfig(tmp_path / "kc")
    api_client = kubernetes.config.new_client_from_config(str(kubeconfig))
    api = kubernetes.client.CoreV1Api(api_client)
    out = stream(
        api.connect_get_namespaced_pod_exec,
        "web",
        "default",
        command=["sh", "-c", "echo hi; echo err >&2"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
    )
    assert out == "hi\nerr\n"
    response = stream(
        api.connect_get_namespaced_pod_exec,
        "web",
        "default",
        command=["sh", "-c", "exit 5"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
        _preload_content=False,
    )
    began = time.monotonic()
    response.run_forever(timeout=10)
    assert response.returncode == 5 and time.monotonic() - began < 10
