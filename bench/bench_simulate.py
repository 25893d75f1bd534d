"""Benchmark of the simulated cluster (kubeclient.testing.simulation), one run,
in-process (the fake ClientSet's engine, no HTTP), at a time scale of 100x:

  a 100-replica Deployment becomes Available (every pod scheduled, started,
  ready; the ReplicaSet and Deployment status written), and a 1,000-pod Job
  (parallelism 100) completes; with the process CPU spent per simulated pod.

    python bench/bench_simulate.py [--package-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SCALE = 100.0

Report = Callable[[str, str, str, bool | None], None]


def _wait(check: Callable[[], bool], timeout: float) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"not done in {timeout} s")
        time.sleep(0.01)
    return time.monotonic() - start


def _deployment(replicas: int) -> dict[str, Any]:
    labels = {"app": "bench"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "bench", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def _job(completions: int, parallelism: int) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "bench", "namespace": "default"},
        "spec": {
            "completions": completions,
            "parallelism": parallelism,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "run", "image": "busybox:1.36"}],
                }
            },
        },
    }


def _run(
    kind: str, body: dict[str, Any], done: Callable[[Any], bool], pods: int
) -> tuple[float, float]:
    """(real seconds, CPU seconds per pod) for ``body`` to be ``done``."""
    from kubeclient.testing import fake_clientset

    # sized for 1,000 pods: enough simulated nodes, and history for every event
    with fake_clientset(simulate=True, time_scale=SCALE, nodes=10) as made:
        cs: Any = made  # dict bodies: typed loosely
        store = cs.core.store
        plural = "deployments" if kind == "Deployment" else "jobs"
        group = "apps" if kind == "Deployment" else "batch"
        cpu = time.process_time()
        if kind == "Deployment":
            cs.apps_v1.deployments("default").create(body)
        else:
            cs.batch_v1.jobs("default").create(body)
        seconds = _wait(
            lambda: done(store.get((group, plural), "default", "bench")), 300
        )
        cpu = time.process_time() - cpu
        assert (
            cs.simulation is not None and not cs.simulation.errors
        ), cs.simulation.errors
    return seconds, cpu / pods


def _available(obj: Any) -> bool:
    status = (obj or {}).get("status") or {}
    return bool(
        status.get("availableReplicas") == 100
        and any(
            c.get("type") == "Available" and c.get("status") == "True"
            for c in status.get("conditions") or ()
        )
    )


def _complete(obj: Any) -> bool:
    status = (obj or {}).get("status") or {}
    return any(
        c.get("type") == "Complete" and c.get("status") == "True"
        for c in status.get("conditions") or ()
    )


def bench_simulate(report: Report, package_dir: Path) -> None:
    for path in (str(package_dir), str(REPO)):
        if path not in sys.path:
            sys.path.insert(0, path)
    print(f"\n== simulated cluster (time scale {SCALE:.0f}x, in-process)")
    seconds, per_pod = _run("Deployment", _deployment(100), _available, 100)
    print(
        f"    100-replica Deployment Available in {seconds:.2f} s "
        f"({seconds * SCALE:.0f} simulated s), {per_pod * 1000:.1f} ms CPU per pod"
    )
    report(
        "simulate: 100-replica Deployment Available",
        f"{seconds:.2f} s",
        "< 10 s",
        seconds < 10,
    )
    report(
        "simulate: CPU per pod (Deployment)",
        f"{per_pod * 1000:.1f} ms",
        "< 20 ms",
        per_pod < 0.02,
    )
    seconds, per_pod = _run("Job", _job(1000, 100), _complete, 1000)
    print(
        f"    1,000-pod Job complete in {seconds:.2f} s "
        f"({seconds * SCALE:.0f} simulated s), {per_pod * 1000:.1f} ms CPU per pod"
    )
    report(
        "simulate: 1,000-pod Job complete", f"{seconds:.2f} s", "< 60 s", seconds < 60
    )
    report(
        "simulate: CPU per pod (Job)",
        f"{per_pod * 1000:.1f} ms",
        "< 20 ms",
        per_pod < 0.02,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--package-dir", type=Path, default=REPO / "build" / "bench")
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH))
    from bench_server import ensure_package

    ensure_package(args.package_dir)

    def report(name: str, measured: str, target: str, ok: bool | None) -> None:
        status = "n/a" if ok is None else ("ok" if ok else "MISSED")
        print(f"  {name:<52} {measured:>18}   target {target:<14} {status}")

    bench_simulate(report, args.package_dir)


if __name__ == "__main__":
    main()
