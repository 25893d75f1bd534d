"""``python -m examples.sample_controller`` as real processes: two with
``--leader-elect``; the leader is killed (SIGKILL: no goodbye) and the other takes
over; SIGTERM ends the last one cleanly, giving the Lease back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import REPO
from .conftest import FAST_LEASES, TAKEOVER_LIMIT, foo, wait_until


@pytest.fixture
def kubeconfig(server: Any, tmp_path: Path) -> Path:
    path = tmp_path / "kubeconfig"
    server.write_kubeconfig(path)
    return path


@pytest.fixture
def spawn(generated: Path) -> Iterator[Any]:
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(generated), str(REPO)])}
        process = subprocess.Popen(
            [sys.executable, "-m", "examples.sample_controller", *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def holder(kube: Any, namespace: str) -> str:
    lease = kube.coordination_v1.leases(namespace).get("sample-controller")
    return str(lease.spec.holder_identity or "")


def test_leader_elected_processes_and_a_real_kill(
    spawn: Any, kubeconfig: Path, kube: Any, sample: Any, namespace: str
) -> None:
    timings = [
        "--lease-duration",
        str(FAST_LEASES["lease_duration"]),
        "--renew-deadline",
        str(FAST_LEASES["renew_deadline"]),
        "--retry-period",
        str(FAST_LEASES["retry_period"]),
    ]
    common = [
        "--kubeconfig",
        str(kubeconfig),
        "--leader-elect",
        "--lease-namespace",
        namespace,
    ]
    processes = {
        name: spawn(*common, *timings, "--identity", name)
        for name in ("proc-a", "proc-b")
    }
    first = wait_until(lambda: holder(kube, namespace), timeout=30, what="a leader")
    foos = sample.samplecontroller_v1alpha1.foos(namespace)
    foos.create(foo("one"))
    wait_until(lambda: kube.apps_v1.deployments(namespace).get("one"), timeout=30)

    processes[first].send_signal(signal.SIGKILL)
    processes[first].wait(10)
    killed = time.monotonic()
    second = wait_until(
        lambda: (h := holder(kube, namespace)) != first and h,
        timeout=15,
        what="takeover",
    )
    assert second in processes and second != first
    took = time.monotonic() - killed
    assert took <= TAKEOVER_LIMIT, f"took over after {took:.2f}s"
    foos.create(foo("two"))
    wait_until(lambda: kube.apps_v1.deployments(namespace).get("two"), timeout=15)

    processes[second].send_signal(signal.SIGTERM)
    output, _ = processes[second].communicate(timeout=15)
    assert processes[second].returncode == 0, output
    assert holder(kube, namespace) == ""  # given back: a successor need not wait


def test_bad_flags_are_refused_by_name(spawn: Any, kubeconfig: Path) -> None:
    process = spawn("--kubeconfig", str(kubeconfig), "--shard-leases")
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "shard leases need a number of shards (--shards N)" in output
    process = spawn(
        "--kubeconfig", str(kubeconfig), "--leader-elect", "--renew-deadline", "20"
    )
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    assert (
        "need 0 < retry period < renew deadline < lease duration, not 2.0, 20.0, 15.0"
        in output
    )
    process = spawn("--kubeconfig", str(kubeconfig / "missing"))
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 2 and "sample-controller:" in output, output
