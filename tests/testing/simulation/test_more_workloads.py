"""StatefulSets, DaemonSets, CronJobs and namespace deletion in a simulated
cluster."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..conftest import Client
from .conftest import eventually

APPS = "/apis/apps/v1/namespaces/default"
PODS = "/api/v1/namespaces/default/pods"
CRONJOBS = "/apis/batch/v1/namespaces/default/cronjobs"
JOBS = "/apis/batch/v1/namespaces/default/jobs"


def _get(sim: Client, path: str) -> dict[str, Any]:
    response = sim.get(path)
    return response.json() if response.status_code == 200 else {}


def _workload(kind: str, name: str, **spec: Any) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
            },
            **spec,
        },
    }


def test_statefulset_starts_pods_in_order_and_rolls_from_the_top(sim: Client) -> None:
    sim.post(
        f"{APPS}/statefulsets",
        _workload("StatefulSet", "db", replicas=3, serviceName="db"),
    )
    seen: list[list[str]] = []

    def all_ready() -> bool:
        pods = sorted(p["metadata"]["name"] for p in _get(sim, PODS)["items"])
        if not seen or seen[-1] != pods:
            seen.append(pods)
        status = _get(sim, f"{APPS}/statefulsets/db").get("status", {})
        return bool(status.get("readyReplicas") == 3)

    eventually(all_ready)
    # ordered: db-0 alone first, then db-0 and db-1, never db-2 before db-1
    assert seen[0] == ["db-0"]
    assert ["db-0", "db-2"] not in seen
    pod = _get(sim, f"{PODS}/db-1")
    assert pod["spec"]["hostname"] == "db-1" and pod["spec"]["subdomain"] == "db"
    status = _get(sim, f"{APPS}/statefulsets/db")["status"]
    assert status["currentRevision"] == status["updateRevision"]
    # a template change replaces the pods, the highest ordinal first
    sts = _get(sim, f"{APPS}/statefulsets/db")
    sts["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    sim.put(f"{APPS}/statefulsets/db", sts)

    def rolled() -> bool:
        status = _get(sim, f"{APPS}/statefulsets/db").get("status", {})
        return bool(
            status.get("updatedReplicas") == 3
            and status.get("readyReplicas") == 3
            and status.get("currentRevision") == status.get("updateRevision")
            and status.get("observedGeneration") == 2
        )

    eventually(rolled, timeout=20)
    images = {p["spec"]["containers"][0]["image"] for p in _get(sim, PODS)["items"]}
    assert images == {"nginx:1.26"}
    revisions = _get(sim, f"{APPS}/controllerrevisions")["items"]
    assert sorted(r["revision"] for r in revisions) == [1, 2]


def test_daemonset_runs_one_pod_per_node(sim: Client) -> None:
    sim.post(f"{APPS}/daemonsets", _workload("DaemonSet", "agent"))

    def spread() -> dict[str, Any] | None:
        status = _get(sim, f"{APPS}/daemonsets/agent").get("status", {})
        return status if status.get("numberReady") == 3 else None

    status = eventually(spread)
    assert status["desiredNumberScheduled"] == 3 and status["numberMisscheduled"] == 0
    nodes = sorted(p["spec"]["nodeName"] for p in _get(sim, PODS)["items"])
    assert nodes == ["node-1", "node-2", "node-3"]


def test_cronjob_creates_jobs_on_the_simulated_clock(sim: Client) -> None:
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "tick"},
        "spec": {
            "schedule": "* * * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "c", "image": "busybox:1.36"}],
                        }
                    }
                }
            },
        },
    }
    sim.post(CRONJOBS, cron)
    # every simulated minute: 1.2 s at 50x
    jobs = eventually(lambda: (items := _get(sim, JOBS)["items"]) and items, timeout=15)
    assert jobs[0]["metadata"]["ownerReferences"][0]["name"] == "tick"
    status = eventually(
        lambda: (s := _get(sim, f"{CRONJOBS}/tick").get("status", {})).get(
            "lastSuccessfulTime"
        )
        and s,
        timeout=15,
    )
    assert status["lastScheduleTime"].endswith(":00Z")


def test_cron_schedules() -> None:
    from kubeclient.testing.simulation.cronjob import next_time, parse_schedule

    start = datetime(2026, 1, 1, 10, 7, 30, tzinfo=timezone.utc)
    assert next_time(parse_schedule("*/15 * * * *"), start) == start.replace(
        minute=15, second=0
    )
    assert next_time(parse_schedule("@hourly"), start) == start.replace(
        hour=11, minute=0, second=0
    )
    assert next_time(parse_schedule("0 9 * * mon-fri"), start) == datetime(
        2026, 1, 2, 9, 0, tzinfo=timezone.utc
    )  # 2026-01-01 is a Thursday: Friday the 2nd


def test_namespace_deletion_waits_for_its_pods(sim: Client) -> None:
    sim.post(
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone"}},
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "terminationGracePeriodSeconds": 60,
            "containers": [{"name": "c", "image": "nginx:1.25"}],
        },
    }
    sim.post("/api/v1/namespaces/gone/pods", pod)
    eventually(
        lambda: _get(sim, "/api/v1/namespaces/gone/pods/p")
        .get("status", {})
        .get("phase")
        == "Running"
    )
    sim.delete("/api/v1/namespaces/gone")
    assert _get(sim, "/api/v1/namespaces/gone")["status"]["phase"] == "Terminating"
    assert _get(sim, "/api/v1/namespaces/gone/pods/p")["metadata"]["deletionTimestamp"]
    eventually(lambda: sim.get("/api/v1/namespaces/gone").status_code == 404)
