"""kubectl and the official Python client against ``serve --simulate``: what
they wait for happens."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..test_real_clients import DEPLOYMENT, Kubectl, kubectl_binary

KUBECTL = Path("/usr/bin/kubectl")


@pytest.fixture(scope="module")
def simulated(
    generated: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """``python -m kubeclient.testing serve --simulate`` (time scale 20); its
    kubeconfig."""
    kubeconfig = tmp_path_factory.mktemp("sim") / "kubeconfig"
    env = {**os.environ, "PYTHONPATH": str(generated)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubeclient.testing",
            "serve",
            "--simulate",
            "--time-scale",
            "20",
            "--kubeconfig",
            str(kubeconfig),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("ready ")
        yield kubeconfig
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def _binary() -> Path:
    if KUBECTL.exists():
        return KUBECTL
    return kubectl_binary("1.33")


def test_kubectl_rollout_status_wait_get_wide_and_describe(
    simulated: Path, tmp_path: Path
) -> None:
    kubectl = Kubectl(_binary(), simulated)
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT)
    kubectl("apply", "-f", str(manifest))
    done = kubectl("rollout", "status", "deployment/web", "--timeout=30s")
    assert 'deployment "web" successfully rolled out' in done
    met = kubectl(
        "wait", "--for=condition=Available", "deployment/web", "--timeout=30s"
    )
    assert "condition met" in met
    wide = kubectl("get", "pods", "-o", "wide").splitlines()
    assert wide[0].split()[:8] == [
        "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED",
    ]  # fmt: skip
    rows = [line.split() for line in wide[1:]]
    assert len(rows) == 2
    for row in rows:
        assert row[1:3] == ["1/1", "Running"]
        assert row[5].startswith("10.244.") and row[6].startswith("node-")
    described = kubectl("describe", "pod", rows[0][0])
    assert "Status:           Running" in described
    assert "Controlled By:  ReplicaSet/web-" in described
    assert "Successfully assigned default/" in described
    assert "Started container web" in described
    deployment = kubectl("describe", "deployment", "web")
    assert "MinimumReplicasAvailable" in deployment
    assert (
        "RollingUpdate" in deployment
        and "25% max unavailable, 25% max surge" in deployment
    )
    kubectl("set", "image", "deployment/web", "web=nginx:1.26")
    assert "successfully rolled out" in kubectl(
        "rollout", "status", "deployment/web", "--timeout=30s"
    )
    events = kubectl("get", "events").splitlines()
    assert events[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert any("Scaled up replica set web-" in line for line in events)
    sets = kubectl("get", "replicasets").splitlines()
    assert sets[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    assert sorted(line.split()[1] for line in sets[1:]) == ["0", "2"]
    history = kubectl("rollout", "history", "deployment/web")
    assert "1 " in history and "2 " in history
    kubectl("delete", "deployment", "web", "--wait=false")


def test_official_client_sees_running_pods(simulated: Path) -> None:
    kubernetes: Any = importlib.import_module("kubernetes")
    api_client = kubernetes.config.new_client_from_config(str(simulated))
    core = kubernetes.client.CoreV1Api(api_client)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "official"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
    }
    core.create_namespaced_pod("default", pod)
    watch = kubernetes.watch.Watch()
    phase = None
    for event in watch.stream(
        core.list_namespaced_pod,
        "default",
        field_selector="metadata.name=official",
        timeout_seconds=20,
    ):
        phase = event["object"].status.phase
        if phase == "Running":
            watch.stop()
    assert phase == "Running"
    got = core.read_namespaced_pod("official", "default")
    assert got.status.pod_ip.startswith("10.244.")
    assert got.status.container_statuses[0].ready is True
    nodes = core.list_node().items
    assert [n.metadata.name for n in nodes] == ["node-1", "node-2", "node-3"]
    core.delete_namespaced_pod("official", "default")


WORKLOADS = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "postgres:16"}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: "busybox:1.36"}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: run, image: "busybox:1.36"}]
"""


def test_kubectl_rollout_status_of_statefulsets_daemonsets_and_wait_for_jobs(
    simulated: Path, tmp_path: Path
) -> None:
    kubectl = Kubectl(_binary(), simulated)
    manifest = tmp_path / "workloads.yaml"
    manifest.write_text(WORKLOADS)
    kubectl("apply", "-f", str(manifest))
    assert "roll out complete" in kubectl(
        "rollout", "status", "statefulset/db", "--timeout=30s"
    )
    assert "successfully rolled out" in kubectl(
        "rollout", "status", "daemonset/agent", "--timeout=30s"
    )
    assert "condition met" in kubectl(
        "wait", "--for=condition=Complete", "job/once", "--timeout=30s"
    )
    assert kubectl("get", "statefulset", "db").split()[:5] == [
        "NAME", "READY", "AGE", "db", "2/2",
    ]  # fmt: skip
    daemons = kubectl("get", "daemonset", "agent").splitlines()
    assert daemons[0].split()[:6] == [
        "NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE",
    ]  # fmt: skip
    assert daemons[1].split()[:6] == ["agent", "3", "3", "3", "3", "3"]
    jobs = kubectl("get", "job", "once").splitlines()
    assert jobs[0].split()[:3] == ["NAME", "STATUS", "COMPLETIONS"]
    assert jobs[1].split()[:3] == ["once", "Complete", "1/1"]
    nodes = kubectl("get", "nodes", "-o", "wide").splitlines()
    assert nodes[0].split()[:7] == [
        "NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP",
    ]  # fmt: skip
    assert nodes[1].split()[:2] == ["node-1", "Ready"] and "10.0.0.10" in nodes[1]
    kubectl("delete", "-f", str(manifest), "--wait=false")


LOGGERS = """\
apiVersion: v1
kind: Pod
metadata:
  name: talker
  annotations:
    simulation.kubeclient.dev/log: "line one\\nline two"
    simulation.kubeclient.dev/run-seconds: "10"
spec:
  restartPolicy: Never
  containers: [{name: talk, image: "busybox:1.36"}]
---
apiVersion: v1
kind: Pod
metadata:
  name: crasher
  annotations:
    simulation.kubeclient.dev/log: "about to crash"
    simulation.kubeclient.dev/crash-loop: "true"
spec:
  containers: [{name: crash, image: "busybox:1.36"}]
"""


def test_kubectl_logs_follow_and_previous(simulated: Path, tmp_path: Path) -> None:
    kubectl = Kubectl(_binary(), simulated)
    manifest = tmp_path / "loggers.yaml"
    manifest.write_text(LOGGERS)
    kubectl("apply", "-f", str(manifest))
    kubectl("wait", "--for=condition=Ready", "pod/talker", "--timeout=30s")
    # -f returns once the container exits (10 simulated seconds: 0.5 s at 20x)
    assert kubectl("logs", "-f", "talker") == "line one\nline two\n"
    restarts = "jsonpath={.status.containerStatuses[0].restartCount}"
    deadline = time.monotonic() + 30
    while kubectl("get", "pod", "crasher", "-o", restarts) in ("", "0"):
        assert time.monotonic() < deadline, "crasher never restarted"
        time.sleep(0.1)
    assert kubectl("logs", "--previous", "crasher") == "about to crash\n"
    kubectl("delete", "-f", str(manifest), "--wait=false")
