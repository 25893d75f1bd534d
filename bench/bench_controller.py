"""Benchmark of the sample-controller (examples/sample_controller), one run:

  the reconcile rate for 1,000 Foos (each: its Deployment created, its status
  written through /status) by the controller -- informers, workqueue, workers --
  beside the same writes done by a plain loop of get/create/update_status calls,
  each against a fresh test API server in its own process (no GIL shared).

Events are left out on both sides (the controller gets a FakeRecorder): the
figure is the reconcile machinery against bare calls.

    python bench/bench_controller.py [--package-dir DIR] [--foos 1000] [--workers 4]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
NAMESPACES = 10

Report = Callable[[str, str, str, bool | None], None]


def _prepare(kubeconfig: Path, count: int) -> tuple[Any, Any, list[tuple[str, str]]]:
    """The CRD, NAMESPACES namespaces and ``count`` Foos spread over them."""
    import kubeclient
    import yaml
    from kubeclient import ClientSet
    from kubeclient.config import load_kube_config
    from kubeclient.models.core_v1 import Namespace
    from kubeclient.models.meta_v1 import ObjectMeta

    from examples.sample_controller.samplecontroller import ClientSet as SampleClientSet
    from examples.sample_controller.samplecontroller.models.samplecontroller_v1alpha1 import (
        Foo,
    )

    config = load_kube_config(kubeconfig)
    kube, sample = ClientSet(config), SampleClientSet(config)
    crd = kubeclient.from_dict(
        yaml.safe_load(
            (REPO / "specs" / "sample-controller" / "foo-crd.yaml").read_text()
        )
    )
    kube.apiextensions_v1.custom_resource_definitions().create(crd)  # type: ignore[arg-type]
    namespaces = [f"bench-{i}" for i in range(NAMESPACES)]
    for name in namespaces:
        kube.core_v1.namespaces().create(Namespace(metadata=ObjectMeta(name=name)))
    keys = [(namespaces[i % NAMESPACES], f"foo-{i:05d}") for i in range(count)]
    for namespace, name in keys:
        sample.samplecontroller_v1alpha1.foos(namespace).create(
            Foo.from_dict(
                {
                    "metadata": {"name": name},
                    "spec": {"deploymentName": name, "replicas": 1},
                }
            )
        )
    return kube, sample, keys


def _plain_loop(kube: Any, sample: Any, keys: list[tuple[str, str]]) -> float:
    """The same writes, one Foo after another: get, create, update_status."""
    from kubeclient.errors import NotFound

    from examples.sample_controller.controller import new_deployment
    from examples.sample_controller.samplecontroller.models.samplecontroller_v1alpha1 import (
        FooStatus,
    )

    start = time.perf_counter()
    for namespace, name in keys:
        foos = sample.samplecontroller_v1alpha1.foos(namespace)
        deployments = kube.apps_v1.deployments(namespace)
        foo = foos.get(name)
        try:
            deployment = deployments.get(foo.spec.deployment_name)
        except NotFound:
            deployment = deployments.create(new_deployment(foo))
        foo.status = FooStatus(
            available_replicas=(
                deployment.status and deployment.status.available_replicas
            )
            or 0
        )
        foos.update_status(foo)
    return time.perf_counter() - start


def _controller(kubeconfig: Path, keys: list[tuple[str, str]], workers: int) -> float:
    """From the replica's start (informers listing) to every Foo synced once."""
    from kubeclient import Context
    from kubeclient.config import load_kube_config
    from kubeclient.record import FakeRecorder

    from examples.sample_controller import Options, Replica

    wanted = {f"{namespace}/{name}" for namespace, name in keys}
    synced: set[str] = set()
    done = threading.Event()
    lock = threading.Lock()

    def on_synced(identity: str, shard: int | None, result: Any) -> None:
        if result.ok:
            with lock:
                synced.add(result.key)
                if synced >= wanted:
                    done.set()

    replica = Replica(
        load_kube_config(kubeconfig),
        Options(identity="bench", workers=workers, resync_period=0),
        on_synced=on_synced,
        recorder=FakeRecorder(),  # kept in memory, not written
    )
    ctx = Context()
    start = time.perf_counter()
    thread = threading.Thread(target=replica.run, args=(ctx,), daemon=True)
    thread.start()
    if not done.wait(600):
        raise RuntimeError(f"only {len(synced)} of {len(wanted)} Foos synced")
    took = time.perf_counter() - start
    ctx.cancel()
    thread.join(30)
    return took


def bench_controller(
    report: Report, package_dir: Path, count: int, workers: int
) -> None:
    for path in (str(package_dir), str(REPO), str(BENCH)):
        if path not in sys.path:
            sys.path.insert(0, path)
    from bench_client import ServerProcess

    print(f"\n== controller: reconcile {count:,} Foos (examples/sample_controller)")
    server = ServerProcess(package_dir)
    try:
        kube, sample, keys = _prepare(server.kubeconfig, count)
        loop = _plain_loop(kube, sample, keys)
    finally:
        server.stop()
    server = ServerProcess(package_dir)
    try:
        kube, sample, keys = _prepare(server.kubeconfig, count)
        controller = _controller(server.kubeconfig, keys, workers)
        assert all(
            kube.apps_v1.deployments(namespace).get(name)
            for namespace, name in keys[:10]
        )
    finally:
        server.stop()
    print(
        f"    plain get/create/update_status loop: {count / loop:,.0f} Foos/s; "
        f"controller ({workers} workers): {count / controller:,.0f} Foos/s"
    )
    ratio = loop / controller
    report(
        f"controller reconcile rate, {count:,} Foos",
        f"{ratio:.2f}x plain loop",
        ">= 0.5x",
        ratio >= 0.5,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--package-dir", type=Path, default=REPO / "build" / "bench")
    parser.add_argument("--foos", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH))
    from bench_server import ensure_package

    ensure_package(args.package_dir)

    def report(name: str, measured: str, target: str, ok: bool | None) -> None:
        status = "n/a" if ok is None else ("ok" if ok else "MISSED")
        print(f"  {name:<52} {measured:>18}   target {target:<14} {status}")

    bench_controller(report, args.package_dir, args.foos, args.workers)


if __name__ == "__main__":
    main()
