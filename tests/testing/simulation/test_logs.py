"""What the simulated containers log: on each start, the annotation's lines
(or a line saying so); ``previous`` after a restart; ``follow`` ends with the
container; a pod gone takes its runtime registrations along."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from ..conftest import Client
from .conftest import SCALE, bare_pod, eventually

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

PODS = "/api/v1/namespaces/default/pods"
LOG = "simulation.kubeclient.dev/log"


def _phase(sim: Client, name: str) -> str:
    response = sim.get(f"{PODS}/{name}")
    return str(response.json().get("status", {}).get("phase", ""))


def _restarts(sim: Client, name: str) -> int:
    statuses = sim.get(f"{PODS}/{name}").json()["status"].get("containerStatuses")
    return int(statuses[0]["restartCount"]) if statuses else 0


def test_started_containers_log_their_lines(sim: Client) -> None:
    two = bare_pod("two", annotations={LOG: "hello\nworld"})
    two["spec"]["containers"].append({"name": "side", "image": "busybox:1.36"})
    two["metadata"]["annotations"][f"{LOG}.side"] = "from the side\n"
    sim.post(PODS, two)
    sim.post(PODS, bare_pod("plain"))
    eventually(lambda: _phase(sim, "two") == "Running" == _phase(sim, "plain"))
    assert sim.get(f"{PODS}/two/log?container=main").text == "hello\nworld\n"
    assert sim.get(f"{PODS}/two/log?container=side").text == "from the side\n"
    assert sim.get(f"{PODS}/plain/log").text == (
        "simulated container main (busybox:1.36) started\n"
    )


def test_a_log_the_test_set_is_left_alone(sim_server: ApiServer, sim: Client) -> None:
    sim_server.set_pod_log("default", "mine", "main", "my own\n")
    sim.post(PODS, bare_pod("mine"))
    eventually(lambda: _phase(sim, "mine") == "Running")
    assert sim.get(f"{PODS}/mine/log").text == "my own\n"


def test_follow_ends_when_the_container_exits(sim: Client) -> None:
    # runs 25 simulated seconds (0.5 s at 50x), then exits 0
    job_like = bare_pod(
        "once",
        restartPolicy="Never",
        annotations={LOG: "working", "simulation.kubeclient.dev/run-seconds": "25"},
    )
    sim.post(PODS, job_like)
    eventually(lambda: _phase(sim, "once") == "Running")
    response = sim.get(f"{PODS}/once/log?follow=true", stream=True, timeout=5)
    try:
        body = b"".join(response.iter_content(None))  # ends: no ReadTimeout
    except requests.exceptions.ConnectionError as error:
        raise AssertionError(
            "the follow stream did not end with the container"
        ) from error
    assert body == b"working\n"
    assert _phase(sim, "once") == "Succeeded"


def test_a_restarted_container_keeps_its_previous_log(sim: Client) -> None:
    crashing = bare_pod(
        "crash",
        annotations={LOG: "booting", "simulation.kubeclient.dev/crash-loop": "true"},
    )
    sim.post(PODS, crashing)
    missing = sim.get(f"{PODS}/crash/log?previous=true")
    assert missing.status_code == 400  # not restarted yet
    eventually(lambda: _restarts(sim, "crash") >= 2, timeout=15)  # 10 s + 20 s back-off
    assert sim.get(f"{PODS}/crash/log?previous=true").text == "booting\n"
    assert sim.get(f"{PODS}/crash/log").text == "booting\n"


def test_get_log_follow_through_the_clientset(generated: Path) -> None:
    from kubeclient.testing import fake_clientset

    with fake_clientset(simulate=True, time_scale=SCALE) as made:
        cs: Any = made
        pods = cs.core_v1.pods("default")
        annotations = {LOG: "one\ntwo", "simulation.kubeclient.dev/run-seconds": "20"}
        pods.create(bare_pod("logger", restartPolicy="Never", annotations=annotations))
        eventually(lambda: pods.get("logger").status.phase == "Running")
        assert list(pods.get_log("logger", follow=True)) == ["one", "two"]


def test_a_deleted_pod_takes_its_runtime_registrations(
    sim_server: ApiServer, sim: Client
) -> None:
    runtime = sim_server.pod_runtime
    runtime.on_exec("default", "gone", "main", lambda process: 0)
    runtime.forward_port("default", "gone", 8080, ("127.0.0.1", 1))
    runtime.on_exec("default", "other", "main", lambda process: 0)
    sim.post(PODS, bare_pod("gone"))
    eventually(lambda: _phase(sim, "gone") == "Running")
    assert runtime.exec_handler("default", "gone", "main") is not None
    sim.delete(f"{PODS}/gone", {"gracePeriodSeconds": 0})
    eventually(lambda: sim.get(f"{PODS}/gone").status_code == 404)
    assert runtime.exec_handler("default", "gone", "main") is None
    assert runtime.port_target("default", "gone", 8080) is None
    assert runtime.exec_handler("default", "other", "main") is not None
