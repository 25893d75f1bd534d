"""Clients nobody here wrote: kubectl (oldest and newest version on the machine)
and the official Python client, against the TLS server with a token."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

KUBECTL_DIR = Path("/usr/lib/google-cloud-sdk/bin")
KUBECTL_VERSIONS = ("1.33", "1.27")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
"""


def kubectl_binary(version: str) -> Path:
    """``kubectl.<version>`` where the machine image ships it, else on PATH."""
    name = f"kubectl.{version}"
    path = KUBECTL_DIR / name
    if path.exists():
        return path
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"kubectl {version} is expected at {path} or as {name} on PATH (the "
            f"machine image ships kubectl.1.27 ... kubectl.1.33 in {KUBECTL_DIR})",
            pytrace=False,
        )
    return Path(found)


class Kubectl:
    def __init__(self, binary: Path, kubeconfig: Path) -> None:
        self.binary = binary
        self.kubeconfig = kubeconfig

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.binary), "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    def __call__(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
        return done.stdout


@pytest.fixture(params=KUBECTL_VERSIONS)
def kubectl(
    request: pytest.FixtureRequest, tls_server: ApiServer, tmp_path: Path
) -> Iterator[Kubectl]:
    binary = kubectl_binary(str(request.param))
    kubeconfig = tls_server.write_kubeconfig(tmp_path / "kubeconfig")
    tool = Kubectl(binary, kubeconfig)
    yield tool
    tool("delete", "deployment", "web", "--ignore-not-found", "--wait=false")


def test_kubectl_crud(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT)
    assert "default" in kubectl("get", "namespaces")
    assert "deployment.apps/web created" in kubectl("create", "-f", str(manifest))
    assert "web" in kubectl("get", "deployments")
    assert "configured" in kubectl("apply", "-f", str(manifest))
    assert "serverside-applied" in kubectl(
        "apply", "--server-side", "-f", str(manifest)
    )
    assert "replaced" in kubectl("replace", "-f", str(manifest))
    kubectl("patch", "deployment", "web", "-p", '{"spec":{"replicas":3}}')
    kubectl(
        "patch",
        "deployment",
        "web",
        "--type=merge",
        "-p",
        '{"metadata":{"labels":{"x":"y"}}}',
    )
    kubectl(
        "patch",
        "deployment",
        "web",
        "--type=json",
        "-p",
        '[{"op":"replace","path":"/spec/replicas","value":4}]',
    )
    got = kubectl(
        "get",
        "deployment",
        "web",
        "-o",
        "jsonpath={.spec.replicas} {.metadata.labels.x}",
    )
    assert got == "4 y"
    assert "scaled" in kubectl("scale", "deployment", "web", "--replicas=1")
    assert 'deployment.apps "web" deleted' in kubectl("delete", "-f", str(manifest))
    missing = kubectl.run("get", "deployment", "web")
    assert missing.returncode != 0
    assert 'deployments.apps "web" not found' in missing.stderr


def test_kubectl_watch(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT)
    kubectl("create", "-f", str(manifest))
    proc = subprocess.Popen(
        [
            str(kubectl.binary),
            "--kubeconfig",
            str(kubectl.kubeconfig),
            "get",
            "deployments",
            "-w",
            "--no-headers",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        lines.append(proc.stdout.readline())  # the initial state
        kubectl("scale", "deployment", "web", "--replicas=5")
        reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout=20)
    finally:
        proc.kill()
        proc.wait()
    assert lines[0].startswith("web ")
    assert len(lines) == 2 and lines[1].split()[1] == "0/5"


def test_kubectl_discovery_and_explain(kubectl: Kubectl) -> None:
    resources = kubectl("api-resources")
    assert "deployments" in resources and "apps/v1" in resources
    explained = kubectl("explain", "pods.spec.containers")
    assert "containers" in explained and "List of containers" in explained.replace(
        "\n", " "
    ).replace("  ", " ")


def test_official_python_client(tls_server: ApiServer, tmp_path: Path) -> None:
    kubernetes: Any = importlib.import_module("kubernetes")  # typed loosely on purpose

    path = tls_server.write_kubeconfig(tmp_path / "kubeconfig")
    api_client = kubernetes.config.new_client_from_config(str(path))
    core = kubernetes.client.CoreV1Api(api_client)
    apps = kubernetes.client.AppsV1Api(api_client)
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "official", "labels": {"via": "python"}},
        "data": {"a": "1"},
    }
    created = core.create_namespaced_config_map("default", body)
    assert created.metadata.uid and created.data == {"a": "1"}
    created.data["a"] = "2"
    replaced = core.replace_namespaced_config_map("official", "default", created)
    assert replaced.data == {"a": "2"}
    patched = core.patch_namespaced_config_map(
        "official", "default", {"data": {"b": "3"}}
    )
    assert patched.data == {"a": "2", "b": "3"}
    listed = core.list_namespaced_config_map("default", label_selector="via=python")
    assert [c.metadata.name for c in listed.items] == ["official"]
    with pytest.raises(kubernetes.client.ApiException) as error:
        core.read_namespaced_config_map("missing", "default")
    assert error.value.status == 404
    watch = kubernetes.watch.Watch()
    events = []
    for event in watch.stream(
        core.list_namespaced_config_map, "default", timeout_seconds=2
    ):
        events.append((event["type"], event["object"].metadata.name))
        if len(events) == 1:
            core.delete_namespaced_config_map("official", "default")
        if len(events) == 2:
            watch.stop()
    assert events == [("ADDED", "official"), ("DELETED", "official")]
    kubernetes.utils.create_from_yaml(
        api_client, yaml_objects=[yaml.safe_load(DEPLOYMENT)]
    )
    scaled = apps.patch_namespaced_deployment_scale(
        "web", "default", {"spec": {"replicas": 3}}
    )
    assert scaled.spec.replicas == 3
    apps.delete_namespaced_deployment("web", "default")
