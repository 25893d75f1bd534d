"""Nodes, the scheduler and the kubelets of a simulated cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..conftest import Client
from .conftest import bare_pod, eventually

NODES = "/api/v1/nodes"
PODS = "/api/v1/namespaces/default/pods"
EVENTS = "/api/v1/namespaces/default/events"
LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"


def _pod(sim: Client, name: str) -> dict[str, Any]:
    response = sim.get(f"{PODS}/{name}")
    return response.json() if response.status_code == 200 else {}


def _reasons(sim: Client, name: str) -> list[str]:
    items = sim.get(EVENTS).json()["items"]
    return [e["reason"] for e in items if e["involvedObject"]["name"] == name]


def test_off_by_default_nothing_runs(generated: Path) -> None:
    from kubeclient.testing import ApiServer

    with ApiServer() as server:
        client = Client(server)
        assert client.get(NODES).json()["items"] == []
        client.post(PODS, bare_pod("idle"))
        assert _pod(client, "idle")["status"]["phase"] == "Pending"
        assert server.simulation is None


def test_bad_options_are_refused_before_anything_starts(generated: Path) -> None:
    from kubeclient.testing import ApiServer

    with pytest.raises(ValueError, match="time_scale must be > 0"):
        ApiServer(simulate=True, time_scale=0)
    with pytest.raises(ValueError, match="nodes must be >= 0"):
        ApiServer(simulate=True, nodes=-1)


def test_ready_nodes_and_lease_heartbeats(sim: Client) -> None:
    nodes = sim.get(NODES).json()["items"]
    assert [n["metadata"]["name"] for n in nodes] == ["node-1", "node-2", "node-3"]
    node = nodes[0]
    ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}
    assert ready == {
        "MemoryPressure": "False",
        "DiskPressure": "False",
        "PIDPressure": "False",
        "Ready": "True",
    }
    assert node["status"]["capacity"]["cpu"] == "4"
    assert node["status"]["allocatable"]["pods"] == "110"
    assert {"type": "InternalIP", "address": "10.0.0.10"} in node["status"]["addresses"]
    events = sim.get("/api/v1/namespaces/default/events").json()["items"]
    about = [e["reason"] for e in events if e["involvedObject"]["name"] == "node-1"]
    assert about[0] == "Starting" and "NodeReady" in about and "RegisteredNode" in about
    lease = eventually(lambda: sim.get(f"{LEASES}/node-1").json().get("spec"))
    assert lease["holderIdentity"] == "node-1"
    # renewed every 10 simulated seconds: 0.2 s at 50x
    renewed = eventually(
        lambda: sim.get(f"{LEASES}/node-1").json()["spec"]["renewTime"]
        != lease["renewTime"]
    )
    assert renewed


def test_pod_runs_with_ips_ready_condition_and_kubelet_events(sim: Client) -> None:
    sim.post(PODS, bare_pod("web"))
    pod = eventually(
        lambda: _pod(sim, "web")["status"]["phase"] == "Running" and _pod(sim, "web")
    )
    status = pod["status"]
    assert pod["spec"]["nodeName"].startswith("node-")
    assert status["hostIP"].startswith("10.0.0.")
    assert status["podIP"].startswith("10.244.")
    assert status["podIPs"] == [{"ip": status["podIP"]}]
    [container] = status["containerStatuses"]
    assert container["started"] is True and container["ready"] is True
    assert "running" in container["state"] and container["restartCount"] == 0
    conditions = {c["type"]: c["status"] for c in status["conditions"]}
    assert conditions["Ready"] == "True" and conditions["PodScheduled"] == "True"
    assert _reasons(sim, "web") == ["Scheduled", "Pulled", "Created", "Started"]
    started = [e for e in sim.get(EVENTS).json()["items"] if e["reason"] == "Started"]
    assert started[0]["involvedObject"]["fieldPath"] == "spec.containers{main}"
    assert started[0]["source"] == {
        "component": "kubelet",
        "host": pod["spec"]["nodeName"],
    }


def test_unschedulable_pod_stays_pending_with_failed_scheduling(sim: Client) -> None:
    big = bare_pod("big")
    big["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "100"}}
    sim.post(PODS, big)
    picky = bare_pod("picky", nodeSelector={"disk": "ssd"})
    sim.post(PODS, picky)

    def unscheduled(name: str) -> dict[str, Any] | None:
        conditions = _pod(sim, name)["status"].get("conditions") or []
        return next((c for c in conditions if c["type"] == "PodScheduled"), None)

    cond = eventually(lambda: unscheduled("big"))
    assert cond["status"] == "False" and cond["reason"] == "Unschedulable"
    assert cond["message"].startswith("0/3 nodes are available: 3 Insufficient cpu.")
    assert _pod(sim, "big")["status"]["phase"] == "Pending"
    assert "nodeName" not in _pod(sim, "big")["spec"]
    assert "FailedScheduling" in _reasons(sim, "big")
    cond = eventually(lambda: unscheduled("picky"))
    assert "3 node(s) didn't match Pod's node affinity/selector" in cond["message"]


def test_fit_by_requests_and_tolerations() -> None:
    from kubeclient.testing.simulation.scheduler import requests_of, tolerates

    pod = {
        "spec": {
            "containers": [
                {"resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
                {"resources": {"limits": {"cpu": "1"}}},
            ],
            "tolerations": [{"key": "gpu", "operator": "Exists"}],
        }
    }
    assert requests_of(pod) == {"cpu": 1.25, "memory": 64 * 2**20}
    assert tolerates(pod, {"key": "gpu", "value": "x", "effect": "NoSchedule"})
    assert not tolerates(pod, {"key": "other", "effect": "NoSchedule"})
    assert tolerates(pod, {"key": "other", "effect": "PreferNoSchedule"})


def test_restart_policy_never_exits_with_the_annotated_code(sim: Client) -> None:
    sim.post(
        PODS,
        bare_pod(
            "job-like",
            restartPolicy="Never",
            annotations={"simulation.kubeclient.dev/exit-code": "3"},
        ),
    )
    pod = eventually(
        lambda: _pod(sim, "job-like")["status"]["phase"] == "Failed"
        and _pod(sim, "job-like")
    )
    [container] = pod["status"]["containerStatuses"]
    assert container["state"]["terminated"]["exitCode"] == 3
    assert container["state"]["terminated"]["reason"] == "Error"
    sim.post(PODS, bare_pod("done", restartPolicy="OnFailure"))
    eventually(lambda: _pod(sim, "done")["status"]["phase"] == "Succeeded")


def test_crash_loop_restarts_with_back_off(sim: Client) -> None:
    sim.post(
        PODS,
        bare_pod(
            "crashy", annotations={"simulation.kubeclient.dev/crash-loop": "true"}
        ),
    )

    def restarted() -> dict[str, Any] | None:
        statuses = _pod(sim, "crashy")["status"].get("containerStatuses") or [{}]
        return statuses[0] if statuses[0].get("restartCount", 0) >= 2 else None

    container = eventually(restarted)
    assert container["lastState"]["terminated"]["exitCode"] == 1
    assert "BackOff" in _reasons(sim, "crashy")
    assert _pod(sim, "crashy")["status"]["phase"] == "Running"


def test_test_hooks_exit_and_readiness(sim: Client, sim_server: Any) -> None:
    sim.post(PODS, bare_pod("hooked", restartPolicy="Never"))
    sim.post(PODS, bare_pod("server"))
    kubelet = sim_server.simulation.kubelet
    eventually(lambda: _pod(sim, "server")["status"]["phase"] == "Running")
    kubelet.set_ready("default", "server", False)
    eventually(
        lambda: _pod(sim, "server")["status"]["containerStatuses"][0]["ready"] is False
    )
    ready = next(
        c for c in _pod(sim, "server")["status"]["conditions"] if c["type"] == "Ready"
    )
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    kubelet.exit_container("default", "server", code=7)
    container = eventually(
        lambda: _pod(sim, "server")["status"]["containerStatuses"][0]["lastState"]
    )
    assert container["terminated"]["exitCode"] == 7  # restartPolicy Always: restarted


def test_graceful_deletion_on_the_simulated_clock(sim: Client) -> None:
    sim.post(PODS, bare_pod("slow", terminationGracePeriodSeconds=60))
    eventually(lambda: _pod(sim, "slow")["status"]["phase"] == "Running")
    response = sim.delete(f"{PODS}/slow")
    assert response.status_code == 200
    marked = response.json()
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 60
    assert marked["metadata"]["deletionTimestamp"]
    assert sim.get(f"{PODS}/slow").status_code == 200  # still there, terminating
    eventually(lambda: sim.get(f"{PODS}/slow").status_code == 404)  # 1.2 s at 50x
    assert "Killing" in _reasons(sim, "slow")
    # unscheduled, or grace 0: at once
    sim.post(PODS, bare_pod("now"))
    eventually(lambda: _pod(sim, "now")["status"]["phase"] == "Running")
    assert sim.delete(f"{PODS}/now?gracePeriodSeconds=0").status_code == 200
    assert sim.get(f"{PODS}/now").status_code == 404


def test_odd_stored_objects_do_not_stop_the_simulation(sim_server: Any) -> None:
    store = sim_server.store
    store.put(
        ("", "pods"), {"metadata": {"name": "odd", "namespace": "default"}, "spec": []}
    )
    store.put(
        ("apps", "replicasets"),
        {
            "metadata": {"name": "odd", "namespace": "default", "uid": "u1"},
            "spec": {"replicas": "many", "template": []},
        },
    )
    store.put(
        ("", "pods"),
        {
            "metadata": {
                "name": "odd2",
                "namespace": "default",
                "ownerReferences": [{"controller": True, "kind": "ReplicaSet"}],
            },
            "spec": {"nodeName": "node-1", "containers": "x"},
            "status": "weird",
        },
    )
    client = Client(sim_server)
    client.post(PODS, bare_pod("fine"))
    eventually(lambda: _pod(client, "fine")["status"]["phase"] == "Running")
