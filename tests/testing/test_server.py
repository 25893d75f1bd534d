"""Discovery, the HTTP(S) layer, credentials, kubeconfig files, faults, the CLI."""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
import yaml

from .conftest import CONFIGMAPS, Client, configmap, status_of

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)


def test_version_and_health(client: Client) -> None:
    version = client.get("/version").json()
    assert version["gitVersion"] == "v1.36.2"
    assert (version["major"], version["minor"]) == ("1", "36")
    assert version["platform"] == "linux/amd64"
    for path in ("/healthz", "/livez", "/readyz"):
        assert client.get(path).text == "ok"


def test_legacy_discovery(client: Client) -> None:
    api = client.get("/api").json()
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
    groups = client.get("/apis").json()
    assert groups["kind"] == "APIGroupList"
    apps = next(g for g in groups["groups"] if g["name"] == "apps")
    assert apps["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    autoscaling = client.get("/apis/autoscaling").json()
    assert autoscaling["kind"] == "APIGroup"
    assert autoscaling["preferredVersion"]["version"] == "v2"
    core = client.get("/api/v1").json()
    assert core["kind"] == "APIResourceList" and core["groupVersion"] == "v1"
    by_name = {r["name"]: r for r in core["resources"]}
    pods = by_name["pods"]
    assert pods["singularName"] == "pod" and pods["namespaced"] is True
    assert pods["kind"] == "Pod" and pods["shortNames"] == ["po"]
    assert pods["categories"] == ["all"] and "watch" in pods["verbs"]
    assert by_name["pods/status"] == {
        "name": "pods/status",
        "singularName": "",
        "namespaced": True,
        "kind": "Pod",
        "verbs": ["get", "patch", "update"],
    }
    assert by_name["pods/eviction"]["group"] == "policy"
    assert by_name["pods/exec"]["verbs"] == ["create", "get"]
    scale = {r["name"]: r for r in client.get("/apis/apps/v1").json()["resources"]}
    assert scale["deployments/scale"]["kind"] == "Scale"
    assert scale["deployments/scale"]["group"] == "autoscaling"


def test_aggregated_discovery(client: Client) -> None:
    for path, first in (("/api", ""), ("/apis", "admissionregistration.k8s.io")):
        response = client.get(path, headers={"Accept": AGGREGATED})
        assert response.headers["Content-Type"] == (
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        )
        body = response.json()
        assert body["kind"] == "APIGroupDiscoveryList"
        assert body["apiVersion"] == "apidiscovery.k8s.io/v2"
        assert body["items"][0]["metadata"]["name"] == first
    core = client.get("/api", headers={"Accept": AGGREGATED}).json()["items"][0]
    pods = next(r for r in core["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["scope"] == "Namespaced" and pods["singularResource"] == "pod"
    assert pods["responseKind"] == {"group": "", "version": "", "kind": "Pod"}
    eviction = next(s for s in pods["subresources"] if s["subresource"] == "eviction")
    assert eviction["responseKind"] == {
        "group": "policy",
        "version": "v1",
        "kind": "Eviction",
    }
    older = client.get("/apis", headers={"Accept": AGGREGATED.split(",", 1)[1]})
    assert older.json()["apiVersion"] == "apidiscovery.k8s.io/v2beta1"


def test_openapi_v3(client: Client) -> None:
    index = client.get("/openapi/v3").json()
    entry = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    assert entry.startswith("/openapi/v3/apis/apps/v1?hash=")
    document = client.get(entry)
    assert document.status_code == 200
    assert "immutable" in document.headers["Cache-Control"]
    spec = document.json()
    assert spec["openapi"].startswith("3.")
    assert "io.k8s.api.apps.v1.Deployment" in spec["components"]["schemas"]
    assert client.get("/openapi/v3/apis/nope/v1").status_code == 404


def test_openapi_v2_protobuf_for_old_kubectl(client: Client) -> None:
    accept = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    response = client.get("/openapi/v2", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.content.startswith(b"\n\x032.0")  # field 1 (swagger): "2.0"
    assert b"io.k8s.api.apps.v1.Deployment" in response.content
    assert (
        client.get("/openapi/v2", headers={"Accept": "application/json"}).status_code
        == 406
    )


def test_tls_with_token_and_client_certificates(tls_server: ApiServer) -> None:
    assert tls_server.url.startswith("https://127.0.0.1:")
    assert tls_server.ca_file and Path(tls_server.ca_file).exists()
    assert Client(tls_server).get("/api/v1/namespaces").status_code == 200
    pair = tls_server.client_cert("carol", ["team"])
    session = requests.Session()
    session.trust_env = False
    response = session.post(
        tls_server.url + "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        cert=(str(pair.cert), str(pair.key)),
        verify=tls_server.ca_file,
    )
    assert response.status_code == 201
    assert response.json()["status"]["userInfo"] == {
        "username": "carol",
        "groups": ["team", "system:authenticated"],
    }
    anonymous = session.get(tls_server.url + "/api/v1/pods", verify=tls_server.ca_file)
    assert anonymous.status_code == 401


def test_openssl_backend_makes_a_working_pki(generated: Any, tmp_path: Path) -> None:
    from kubeclient.testing.front.certs import Pki

    pki = Pki(tmp_path, backend="openssl")
    client = pki.client("dave", ["ops"])
    check = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            str(pki.ca.cert),
            str(pki.server.cert),
            str(client.cert),
        ],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    subject = subprocess.run(
        ["openssl", "x509", "-noout", "-subject", "-in", str(client.cert)],
        capture_output=True,
        text=True,
    ).stdout
    assert "O = ops" in subject and "CN = dave" in subject


def test_kubeconfig_works_with_our_config_and_the_official_client(
    tls_server: ApiServer, tmp_path: Path
) -> None:
    kubernetes: Any = importlib.import_module("kubernetes")  # typed loosely on purpose
    from kubeclient.config import load_kube_config

    for client_cert in (False, True):
        path = tls_server.write_kubeconfig(
            tmp_path / f"config-{client_cert}", client_cert=client_cert
        )
        config = load_kube_config(path)
        assert config.host == tls_server.url and config.namespace == "default"
        api_client = kubernetes.config.new_client_from_config(str(path))
        names = [
            n.metadata.name
            for n in kubernetes.client.CoreV1Api(api_client).list_namespace().items
        ]
        assert "kube-system" in names
    ours = tls_server.config()
    session = requests.Session()
    session.trust_env = False
    response = session.get(
        tls_server.url + "/api", headers=ours.auth_headers(), verify=ours.ca_file
    )
    assert response.status_code == 200


def test_keep_alive_and_chunked_requests(server: ApiServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        stream = sock.makefile("rwb")
        auth = f"Authorization: Bearer {server.token}\r\n"
        for _ in range(3):  # one connection, several requests
            stream.write(
                f"GET /api/v1/namespaces/default HTTP/1.1\r\nHost: x\r\n{auth}\r\n".encode()
            )
            stream.flush()
            status = stream.readline()
            assert status.startswith(b"HTTP/1.1 200")
            length = 0
            while (line := stream.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert json.loads(stream.read(length))["kind"] == "Namespace"
        body = json.dumps(configmap("chunked")).encode()
        stream.write(
            f"POST {CONFIGMAPS} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
            + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        )
        stream.flush()
        assert stream.readline().startswith(b"HTTP/1.1 201")


def test_fault_injection(server: ApiServer, client: Client) -> None:
    server.faults.error(429, retry_after=2)
    throttled = client.get(CONFIGMAPS)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
    body = status_of(throttled)
    assert body["reason"] == "TooManyRequests" and body["details"] == {
        "retryAfterSeconds": 2
    }
    assert client.get(CONFIGMAPS).status_code == 200  # only the next one
    server.faults.error(503, count=2, path=r"/configmaps", method="POST")
    assert client.get(CONFIGMAPS).status_code == 200
    assert client.post(CONFIGMAPS, configmap("a")).status_code == 503
    assert (
        status_of(client.post(CONFIGMAPS, configmap("a")))["reason"]
        == "ServiceUnavailable"
    )
    assert client.post(CONFIGMAPS, configmap("a")).status_code == 201
    server.faults.error(500)
    assert status_of(client.get(CONFIGMAPS))["reason"] == "InternalError"
    server.faults.delay(0.3)
    started = time.monotonic()
    assert client.get(CONFIGMAPS).status_code == 200
    assert time.monotonic() - started >= 0.3
    server.faults.drop()
    with pytest.raises(requests.exceptions.RequestException):
        client.get(CONFIGMAPS).json()
    assert client.get(CONFIGMAPS).status_code == 200
    assert server.faults.pending == []


def test_dropped_watch_after_some_events(server: ApiServer, client: Client) -> None:
    for i in range(5):
        client.post(CONFIGMAPS, configmap(f"c{i}"))
    server.faults.drop(path="watch=", after_events=2)
    response = client.get(CONFIGMAPS, params={"watch": "1"}, stream=True, timeout=10)
    received = []
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        for line in response.iter_lines(chunk_size=None):
            if line:
                received.append(json.loads(line)["object"]["metadata"]["name"])
    assert received == ["c0", "c1"]


def test_cli_serve_writes_a_kubeconfig_and_stops_on_sigterm(
    generated: Path, tmp_path: Path
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    env = {**os.environ, "PYTHONPATH": str(generated)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubeclient.testing",
            "serve",
            "--tls",
            "--kubeconfig",
            str(kubeconfig),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        assert line[0] == "ready" and line[1].startswith("https://127.0.0.1:")
        config = yaml.safe_load(kubeconfig.read_text())
        assert config["clusters"][0]["cluster"]["server"] == line[1]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_importing_the_package_loads_nothing_heavy(generated: Path) -> None:
    """``import kubeclient.testing`` loads no server module (exports load on first
    use), and ``ApiServer`` needs no HTTP client, no certificate library and no
    model module. (How long the import takes is a figure of bench/run.py, not a
    timed test.)"""
    code = (
        "import sys, json; import kubeclient.testing; "
        "a = sorted(m for m in sys.modules if m.startswith('kubeclient.testing.')); "
        "from kubeclient.testing import ApiServer; "
        "b = sorted(sys.modules); print(json.dumps([a, b]))"
    )
    env = {**os.environ, "PYTHONPATH": str(generated)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    package_only, with_server = json.loads(done.stdout)
    assert package_only == []
    heavy = ("requests", "urllib3", "cryptography", "kubeclient.models.core_v1")
    assert not [m for m in with_server if m in heavy or m.startswith("requests.")]


def test_kubeconfig_for_another_user(server: ApiServer, tmp_path: Path) -> None:
    path = server.write_kubeconfig(tmp_path / "bob", user="bob")
    config = yaml.safe_load(path.read_text())
    token = config["users"][0]["user"]["token"]
    assert config["users"][0]["name"] == "bob" and token != server.token
    review = Client(server, token=token).post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    assert review.json()["status"]["userInfo"]["username"] == "bob"
