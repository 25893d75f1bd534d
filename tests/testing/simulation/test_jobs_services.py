"""Jobs, and Service endpoints, in a simulated cluster."""

from __future__ import annotations

from typing import Any

from ..conftest import Client
from .conftest import eventually, labelled_deployment

JOBS = "/apis/batch/v1/namespaces/default/jobs"
PODS = "/api/v1/namespaces/default/pods"
SERVICES = "/api/v1/namespaces/default/services"
ENDPOINTS = "/api/v1/namespaces/default/endpoints"
SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


def _job(name: str, annotations: dict[str, str] | None = None, **spec: Any) -> Any:
    template: dict[str, Any] = {
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "run", "image": "busybox:1.36"}],
        }
    }
    if annotations:
        template["metadata"] = {"annotations": annotations}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"template": template, **spec},
    }


def _get(sim: Client, path: str) -> dict[str, Any]:
    response = sim.get(path)
    return response.json() if response.status_code == 200 else {}


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for cond in obj.get("status", {}).get("conditions", []):
        if cond["type"] == kind and cond["status"] == "True":
            return cond  # type: ignore[no-any-return]
    return None


def test_job_completes_with_parallelism(sim: Client) -> None:
    sim.post(JOBS, _job("batch", completions=5, parallelism=2))
    job = eventually(
        lambda: _condition(j := _get(sim, f"{JOBS}/batch"), "Complete") and j
    )
    assert job["status"]["succeeded"] == 5
    assert "active" not in job["status"]
    assert job["status"]["completionTime"] and job["status"]["startTime"]
    assert [c["type"] for c in job["status"]["conditions"]] == [
        "SuccessCriteriaMet",
        "Complete",
    ]
    pods = _get(sim, PODS)["items"]
    assert len(pods) == 5 and {p["status"]["phase"] for p in pods} == {"Succeeded"}
    assert all(p["metadata"]["labels"]["job-name"] == "batch" for p in pods)


def test_job_fails_past_its_backoff_limit(sim: Client) -> None:
    sim.post(
        JOBS,
        _job(
            "flaky",
            {"simulation.kubeclient.dev/exit-code": "1"},
            backoffLimit=1,
        ),
    )
    job = eventually(
        lambda: _condition(j := _get(sim, f"{JOBS}/flaky"), "Failed") and j
    )
    assert _condition(job, "Failed")["reason"] == "BackoffLimitExceeded"  # type: ignore[index]
    assert job["status"]["failed"] == 2
    assert _condition(job, "FailureTarget") is not None


def test_on_failure_restarts_count_against_the_backoff_limit(sim: Client) -> None:
    body = _job(
        "restarts", {"simulation.kubeclient.dev/crash-loop": "true"}, backoffLimit=1
    )
    body["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    sim.post(JOBS, body)
    job = eventually(
        lambda: _condition(j := _get(sim, f"{JOBS}/restarts"), "Failed") and j,
        timeout=15,
    )
    assert _condition(job, "Failed")["reason"] == "BackoffLimitExceeded"  # type: ignore[index]


def test_indexed_job_runs_every_index(sim: Client) -> None:
    sim.post(JOBS, _job("idx", completions=3, parallelism=3, completionMode="Indexed"))
    job = eventually(
        lambda: _condition(j := _get(sim, f"{JOBS}/idx"), "Complete") and j
    )
    assert job["status"]["completedIndexes"] == "0-2"


def test_service_endpoints_follow_ready_pods(sim: Client, sim_server: Any) -> None:
    body = labelled_deployment("web", replicas=2)
    body["spec"]["template"]["spec"]["containers"][0]["ports"] = [
        {"name": "http", "containerPort": 8080}
    ]
    sim.post(DEPLOYMENTS, body)
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }
    created = sim.post(SERVICES, service).json()
    assert created["spec"]["clusterIP"].startswith("10.96.")

    def addresses() -> list[str]:
        subsets = _get(sim, f"{ENDPOINTS}/web").get("subsets") or [{}]
        return sorted(a["ip"] for a in subsets[0].get("addresses", []))

    ips = eventually(lambda: addresses() if len(addresses()) == 2 else None)
    pods = {p["status"]["podIP"]: p for p in _get(sim, PODS)["items"]}
    assert set(ips) == set(pods)
    subset = _get(sim, f"{ENDPOINTS}/web")["subsets"][0]
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP", "name": "http"}]
    [endpoint_slice] = _get(sim, SLICES)["items"]
    assert endpoint_slice["metadata"]["labels"]["kubernetes.io/service-name"] == "web"
    assert sorted(e["addresses"][0] for e in endpoint_slice["endpoints"]) == ips
    # a pod that turns unready leaves the addresses
    name = next(iter(pods.values()))["metadata"]["name"]
    sim_server.simulation.kubelet.set_ready("default", name, False)
    eventually(lambda: len(addresses()) == 1)
    not_ready = _get(sim, f"{ENDPOINTS}/web")["subsets"][0]["notReadyAddresses"]
    assert [a["targetRef"]["name"] for a in not_ready] == [name]
