"""exec, attach, cp, logs -f and the proxy with clients nobody here wrote:
kubectl 1.33 (WebSocket v5 for exec/attach/cp) and the official Python client's
``stream`` (WebSocket v4), against the TLS test server.

Not yet: kubectl port-forward (1.33 asks for SPDY tunneled over WebSocket, then
SPDY/3.1) and kubectl 1.27 exec (SPDY/3.1 only): the server speaks no SPDY yet.
"""

from __future__ import annotations

import http.server
import importlib
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .test_real_clients import Kubectl, kubectl_binary

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


@pytest.fixture
def kubectl(server: ApiServer, tmp_path: Path) -> Kubectl:
    return Kubectl(kubectl_binary("1.33"), server.write_kubeconfig(tmp_path / "kc"))


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
