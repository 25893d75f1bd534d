"""The apply section of bench/run.py: kubeclient.manifests.apply of a directory
of 500 objects (ConfigMaps, Services, Deployments, in 10 files) beside
``kubectl apply --server-side -f`` of the same directory, on the same test API
server (in its own process), each into a namespace of its own: the first apply
(everything created), then the same again (everything unchanged).

manifests.apply does more per object than kubectl (a GET and a server-side
dry-run for preflight, then the apply), so it is allowed to take longer; kubectl
pays its start-up, discovery and OpenAPI download once.

    python bench/bench_apply.py [--package-dir DIR] [--objects 500]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
KUBECTL = Path("/usr/lib/google-cloud-sdk/bin/kubectl.1.33")
OBJECTS = 500
FILES = 10
# ours / kubectl, for the first apply: preflight triples the requests
TARGET = 3.0

Report = Callable[[str, str, str, bool | None], None]


def write_manifests(folder: Path, count: int) -> Path:
    """``count`` objects, a third each of ConfigMaps, Services and Deployments."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    docs: list[list[dict[str, Any]]] = [[] for _ in range(FILES)]
    for i in range(count):
        name = f"app-{i}"
        labels = {"app": name}
        kind = ("ConfigMap", "Service", "Deployment")[i % 3]
        obj: dict[str, Any]
        if kind == "ConfigMap":
            obj = {"apiVersion": "v1", "kind": kind, "data": {"index": str(i)}}
        elif kind == "Service":
            port = {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}
            obj = {
                "apiVersion": "v1",
                "kind": kind,
                "spec": {"selector": labels, "ports": [port]},
            }
        else:
            container = {"name": "web", "image": "nginx:1.27"}
            obj = {
                "apiVersion": "apps/v1",
                "kind": kind,
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"containers": [container]},
                    },
                },
            }
        obj["metadata"] = {"name": name, "labels": labels}
        docs[i % FILES].append(obj)
    for index, part in enumerate(docs):
        text = yaml.safe_dump_all(part, sort_keys=False)
        (folder / f"part-{index:02d}.yaml").write_text(text, encoding="utf-8")
    return folder


def _kubectl(kubeconfig: Path, folder: Path, namespace: str) -> float:
    argv = [str(KUBECTL), "--kubeconfig", str(kubeconfig), "-n", namespace]
    argv += ["apply", "--server-side", "--field-manager=bench", "-f", str(folder)]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"kubectl apply failed: {done.stderr[-2000:]}")
    return took


def _ours(cs: Any, folder: Path, namespace: str) -> tuple[float, list[Any]]:
    from kubeclient import manifests

    start = time.perf_counter()
    results = manifests.apply(
        cs, manifests.load(folder), field_manager="bench", namespace=namespace
    )
    return time.perf_counter() - start, results


def bench_apply(report: Report, package_dir: Path, count: int = OBJECTS) -> None:
    for path in (str(package_dir), str(BENCH)):
        if path not in sys.path:
            sys.path.insert(0, path)
    from bench_client import ServerProcess

    if not KUBECTL.exists():
        print(f"    kubectl 1.33 is expected at {KUBECTL}; skipping the comparison")
        return
    from kubeclient import ClientSet
    from kubeclient.config import load_kube_config
    from kubeclient.models.core_v1 import Namespace
    from kubeclient.models.meta_v1 import ObjectMeta

    print(f"\n== apply: {count} objects, manifests.apply beside kubectl 1.33")
    folder = write_manifests(Path(tempfile.mkdtemp(prefix="kubegen-apply-")), count)
    server = ServerProcess(package_dir)
    try:
        with ClientSet(load_kube_config(server.kubeconfig)) as cs:
            for namespace in ("ours", "theirs"):
                cs.core_v1.namespaces().apply(
                    Namespace(metadata=ObjectMeta(name=namespace)),
                    field_manager="bench",
                )
            theirs_first = _kubectl(server.kubeconfig, folder, "theirs")
            ours_first, results = _ours(cs, folder, "ours")
            assert {r.action for r in results} == {"created"}, "not all created"
            theirs_again = _kubectl(server.kubeconfig, folder, "theirs")
            ours_again, results = _ours(cs, folder, "ours")
            assert {r.action for r in results} == {"unchanged"}, "not all unchanged"
    finally:
        server.stop()
    print(
        f"    first apply: ours {ours_first:.2f} s, kubectl {theirs_first:.2f} s; "
        f"again: ours {ours_again:.2f} s, kubectl {theirs_again:.2f} s"
    )
    for label, ours, theirs in (
        ("first", ours_first, theirs_first),
        ("unchanged", ours_again, theirs_again),
    ):
        ratio = ours / theirs
        report(
            f"manifests.apply of {count} objects, {label}",
            f"{ratio:.2f}x kubectl",
            f"<= {TARGET:.1f}x",
            ratio <= TARGET,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--package-dir", type=Path, default=REPO / "build" / "bench")
    parser.add_argument("--objects", type=int, default=OBJECTS)
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH))
    from bench_server import ensure_package

    ensure_package(args.package_dir)

    def report(name: str, measured: str, target: str, ok: bool | None) -> None:
        status = "n/a" if ok is None else ("ok" if ok else "MISSED")
        print(f"  {name:<52} {measured:>18}   target {target:<14} {status}")

    bench_apply(report, args.package_dir, args.objects)


if __name__ == "__main__":
    main()
