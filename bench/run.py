"""Benchmarks: figures are ratios measured in the same run, never absolute targets.

    python bench/run.py                 # everything (about 5 minutes)
    python bench/run.py generate import decode
    python bench/run.py decode --pods 1000
    python bench/run.py informers --informer-pods 2000 --events 5000 --updates 20000

Sections:
  generate  make generate for a whole Kubernetes release: cold, then rerun
            unchanged; time per phase (load, model, render, format, write)
  import    from kubeclient.models.core_v1 import Pod, over a bare interpreter,
            beside the official client's and lightkube's imports
  client    typed GETs and creates per second beside the official client,
            lightkube and bare http.client / requests.Session floors; building a
            ClientSet from a kubeconfig over a bare interpreter, beside the
            peers'; list_all of 10,000 pods against the official client (time,
            peak memory), all on one loopback test server (bench/bench_client.py)
  server    the test API server: GETs per second from one client, a 10,000-event
            watch with bounded memory (bench/bench_server.py)
  decode    a 5,000-pod PodList (bench/podlist.py) from bytes: typed objects and
            every pod's name; a walk touching every field; encoding back to
            JSON; to_dict() (a deep copy); peak memory -- against
            json.loads/json.dumps of the same bytes, and the official
            kubernetes client, in the same run
  informers the shared informers (kubeclient.cache): initial sync of 10,000
            pods (streaming and paginated lists) against a bare list_all and
            the official client's informer; the synced cache's memory against
            json.loads of the same list, and a metadata-only cache's against
            it; events per second from watch to handler; memory over 100,000
            updates to 1,000 objects (bench/bench_informers.py)
  workqueue kubeclient.workqueue add/get/done per second, one thread and 8
            workers, beside bare queue.Queue (bench/bench_workqueue.py)
  streaming exec stdout and port-forward throughput (100 MB), small-exec round
            trip, beside kubectl against the same server (bench/bench_streaming.py)
  controller  the sample-controller reconciling 1,000 Foos beside a plain loop of
            get/create/update_status calls (bench/bench_controller.py)
  async     kubeclient.aio: 2,000 GETs at concurrency 50 beside the sync ClientSet
            on threads, kubernetes_asyncio, lightkube's AsyncClient, kr8s and bare
            aiohttp; a 10,000-event watch beside kubernetes_asyncio; import time
            (bench/bench_async.py)
  apply     kubeclient.manifests.apply of 500 objects beside kubectl 1.33 apply
            --server-side -f of the same directory, same server (bench/bench_apply.py)
  simulate  the simulated cluster at 100x: a 100-replica Deployment Available, a
            1,000-pod Job complete, CPU per pod (bench/bench_simulate.py)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SPECS_ROOT = Path(os.environ.get("KUBECLIENT_SPECS", REPO.parent / "shared" / "specs"))
DATA = BENCH / "data"
RESULTS: list[tuple[str, str, str, str]] = []


def report(name: str, measured: str, target: str, ok: bool | None) -> None:
    status = "n/a" if ok is None else ("ok" if ok else "MISSED")
    RESULTS.append((name, measured, target, status))
    print(f"  {name:<52} {measured:>18}   target {target:<14} {status}", flush=True)


def best_of(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        del result
    return min(times)


def median_of(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times)


def newest_spec(version: str | None) -> Path:
    if version:
        path = SPECS_ROOT / f"v{version}"
    else:
        found = sorted(
            SPECS_ROOT.glob("v1.*"),
            key=lambda p: tuple(int(x) for x in p.name[1:].split(".")),
        )
        path = found[-1] if found else SPECS_ROOT / "v1.36"
    if not path.is_dir():
        sys.exit(
            f"no spec at {path}: set KUBECLIENT_SPECS (see README, 'Getting the spec')"
        )
    return path


# --------------------------------------------------------------------------- generate


def bench_generate(args: argparse.Namespace) -> Path:
    spec = newest_spec(args.version)
    print(f"\n== generate: {spec}")
    work = Path(tempfile.mkdtemp(prefix="kubegen-bench-"))
    out = work / "out"

    def run(cache: Path) -> tuple[float, str]:
        start = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "--spec",
                str(spec),
                "--out",
                str(out),
                "--cache-dir",
                str(cache),
                "--timings",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - start
        timings = next(
            line for line in result.stdout.splitlines() if line.startswith("timings:")
        )
        return wall, timings

    # medians of 3: cold runs each with an empty cache, then reruns on the last
    colds = [run(work / f"cache{i}") for i in range(3)]
    warms = [run(work / "cache2") for _ in range(3)]
    cold, cold_phases = sorted(colds)[1]
    warm, warm_phases = sorted(warms)[1]
    report(
        "generate, cold (validate, model, render, write; median of 3)",
        f"{cold:.2f} s",
        "< 5 s",
        cold < 5,
    )
    print(f"    {cold_phases}")
    report(
        "generate, rerun on the unchanged spec (median of 3)",
        f"{warm:.2f} s",
        "< 1 s",
        warm < 1,
    )
    print(f"    {warm_phases}")
    lines = sum(
        len(p.read_text().splitlines()) for p in (out / "kubeclient").rglob("*.py")
    )
    print(f"    {lines} lines of Python generated")
    return out


# --------------------------------------------------------------------------- import


def import_time(code: str, env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code], env=env, check=True, stderr=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - start)
    return min(times)


def import_costs(
    package_dir: Path, runs: int, codes: list[str]
) -> dict[str, float | None]:
    """Seconds each statement costs over a bare interpreter (None: not installed)."""
    # Bytecode compiled ahead, as pip does on install (PYTHONDONTWRITEBYTECODE may
    # be set, and compiling core_v1 alone takes longer than importing it).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(package_dir)], check=True
    )
    env = {**os.environ, "PYTHONPATH": str(package_dir)}
    bare = import_time("pass", env, runs)
    costs: dict[str, float | None] = {}
    for code in codes:
        try:
            costs[code] = import_time(code, env, runs) - bare
        except subprocess.CalledProcessError:
            costs[code] = None
    return costs


def report_import(
    label: str, cost: float | None, target: float | None, ours: float | None = None
) -> None:
    if cost is None:
        report(label, "not installed", "", None)
    elif target is not None:
        report(
            label, f"{cost * 1000:.0f} ms", f"< {target * 1000:.0f} ms", cost < target
        )
    elif ours:
        report(label, f"{cost * 1000:.0f} ms", f"ours {cost / ours:.1f}x faster", None)
    else:
        report(label, f"{cost * 1000:.0f} ms", "(no target)", None)


def bench_import(args: argparse.Namespace, package_dir: Path) -> None:
    runs = args.runs * 3
    print(f"\n== import (best of {runs} interpreter starts, minus a bare interpreter)")
    pod = "from kubeclient.models.core_v1 import Pod"
    official = "import kubernetes.client"
    lightkube = "from lightkube.models.core_v1 import Pod"
    server = "from kubeclient.testing import ApiServer"
    costs = import_costs(
        package_dir, runs, [pod, "import kubeclient", official, lightkube, server]
    )
    report_import(pod, costs[pod], 0.060)
    report_import("import kubeclient", costs["import kubeclient"], None)
    report_import(server, costs[server], 0.100)
    report_import(f"official: {official}", costs[official], None, costs[pod])
    report_import(f"lightkube: {lightkube}", costs[lightkube], None, costs[pod])


# --------------------------------------------------------------------------- decode


def walk(obj: Any) -> int:
    """Read every field of a typed object tree."""
    from kubeclient._model import ListView, MapView, Model

    count = 0
    for name in type(obj)._fields_:
        value = getattr(obj, name)
        count += 1
        if isinstance(value, Model):
            count += walk(value)
        elif isinstance(value, ListView):
            for item in value:
                if isinstance(item, Model):
                    count += walk(item)
        elif isinstance(value, MapView):
            for item in value.values():
                count += walk(item)
    return count


def _peak_kb_since(before: int) -> float:
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)


def _memory(which: str, data: bytes) -> dict[str, float]:
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if which == "memory-json":
        kept: Any = json.loads(data)
    else:
        from kubeclient.models.core_v1 import PodList

        kept = PodList.from_json(data)
        kept = (kept, [p.metadata.name for p in kept.items or () if p.metadata])
    result = {"peak_kb": _peak_kb_since(before)}
    del kept
    return result


def _decode_ours(data: bytes, runs: int) -> dict[str, float]:
    from kubeclient._model import _json_codec
    from kubeclient.models.core_v1 import PodList

    def pod_names() -> list[str | None]:
        pods = PodList.from_json(data)
        return [p.metadata.name if p.metadata else None for p in pods.items or ()]

    assert len(pod_names()) > 0
    tree = json.loads(data)
    typed = PodList.from_json(data)
    return {
        "decode": median_of(pod_names, runs),
        "walk": median_of(lambda: walk(PodList.from_json(data)), max(2, runs // 2)),
        "json_dumps": median_of(lambda: json.dumps(tree), runs),
        "encode": median_of(typed.to_json, runs),
        "to_dict": median_of(typed.to_dict, runs),
        "msgspec": 1.0 if _json_codec() else 0.0,
    }


def _decode_official(data: bytes, runs: int) -> dict[str, float]:
    from kubernetes.client import ApiClient

    client: Any = ApiClient()

    class Response:
        def __init__(self, body: bytes) -> None:
            self.data = body

    def pod_names() -> list[str]:
        try:  # kubernetes >= 35 takes the body; older versions a response object
            pods = client.deserialize(data, "V1PodList", "application/json")
        except (TypeError, AttributeError):
            pods = client.deserialize(Response(data), "V1PodList")
        return [p.metadata.name for p in pods.items]

    return {"decode": median_of(pod_names, max(2, runs // 2))}


def decode_worker(which: str, path: Path, runs: int) -> dict[str, float]:
    """Runs in its own process: timings or peak memory of one decoder."""
    data = path.read_bytes()
    if which.startswith("memory-"):
        return _memory(which, data)
    result = {"json_loads": median_of(lambda: json.loads(data), runs)}
    if which == "ours":
        result.update(_decode_ours(data, runs))
    elif which == "official":
        result.update(_decode_official(data, runs))
    return result


def run_worker(
    which: str, path: Path, runs: int, package_dir: Path
) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": f"{package_dir}{os.pathsep}{REPO}"}
    out = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "_decode", which, str(path), str(runs)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"decode worker {which} failed:\n{out.stderr[-2000:]}")
    parsed: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return parsed


def bench_decode(args: argparse.Namespace, package_dir: Path) -> None:
    sys.path.insert(0, str(BENCH))
    from podlist import write_pod_list

    path = DATA / f"podlist-{args.pods}.json"
    if not path.exists():
        write_pod_list(path, args.pods)
    size = path.stat().st_size / 1e6
    print(
        f"\n== decode: {args.pods}-pod PodList, {size:.1f} MB ({path}); garbage collector on; median of {args.runs}"
    )
    ours = run_worker("ours", path, args.runs, package_dir)
    base = ours["json_loads"]
    codec = "msgspec" if ours["msgspec"] else "json"
    print(f"    json.loads of the same bytes: {base:.3f} s; our JSON codec: {codec}")
    ratio = ours["decode"] / base
    report(
        "bytes -> typed PodList + every pod's name",
        f"{ratio:.2f}x json.loads",
        "<= 0.5x",
        ratio <= 0.5,
    )
    ratio = ours["walk"] / base
    report(
        "bytes -> typed, walk touching every field",
        f"{ratio:.2f}x json.loads",
        "<= 1.5x",
        ratio <= 1.5,
    )
    ratio = ours["encode"] / ours["json_dumps"]
    report(
        "typed PodList -> JSON bytes",
        f"{ratio:.2f}x json.dumps",
        "<= 1.0x",
        ratio <= 1.0,
    )
    ratio = ours["to_dict"] / ours["json_dumps"]
    report(
        "to_dict() of the typed PodList vs json.dumps of the same data",
        f"{ratio:.2f}x json.dumps",
        "<= 1.0x",
        ratio <= 1.0,
    )
    mem_json = run_worker("memory-json", path, 1, package_dir)["peak_kb"]
    mem_ours = run_worker("memory-ours", path, 1, package_dir)["peak_kb"]
    ratio = mem_ours / max(mem_json, 1)
    report(
        "peak memory of the decode",
        f"{ratio:.2f}x json.loads",
        "<= 1.0x",
        ratio <= 1.0 + 0.02,
    )
    print(
        f"    json.loads {mem_json / 1024:.0f} MB, ours {mem_ours / 1024:.0f} MB (peak RSS growth)"
    )
    try:
        official = run_worker("official", path, args.runs, package_dir)
    except RuntimeError as err:
        report("official kubernetes client, same decode", "failed", "", None)
        print(f"    {str(err).splitlines()[0]}")
        return
    ratio = official["decode"] / official["json_loads"]
    report(
        "official kubernetes client, same decode",
        f"{ratio:.2f}x json.loads",
        "(reference)",
        None,
    )


# --------------------------------------------------------------------------- client


def bench_client(args: argparse.Namespace, package_dir: Path) -> None:
    """bench/bench_client.py: ours beside the official client, lightkube, floors."""
    sys.path.insert(0, str(BENCH))
    import bench_client as client_bench

    client_bench.bench_client(report, package_dir, args.runs * 3, args.list_pods)


# --------------------------------------------------------------------------- informers


def bench_informers(args: argparse.Namespace, package_dir: Path) -> None:
    """bench/bench_informers.py: the informers' sync, memory and throughput."""
    sys.path.insert(0, str(BENCH))
    import bench_informers as informers_bench

    informers_bench.bench_informers(
        report,
        package_dir,
        args.informer_pods,
        args.events,
        args.updates,
        max(2, args.runs // 2),
    )


# --------------------------------------------------------------------------- main


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_decode":
        which, path, runs = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
        print(json.dumps(decode_worker(which, path, runs)))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "sections",
        nargs="*",
        default=[
            "generate",
            "import",
            "decode",
            "client",
            "server",
            "informers",
            "workqueue",
            "streaming",
            "controller",
            "async",
            "apply",
            "simulate",
        ],
    )
    parser.add_argument("--list-pods", type=int, default=10_000)
    parser.add_argument(
        "--informer-pods", type=int, default=10_000, help="pods the informers sync"
    )
    parser.add_argument(
        "--events", type=int, default=20_000, help="events for the informers' rate"
    )
    parser.add_argument(
        "--updates",
        type=int,
        default=100_000,
        help="updates of the informers' churn (to 1,000 objects)",
    )
    parser.add_argument(
        "--version", help="Kubernetes version of the spec (default: newest)"
    )
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    package_dir = bench_generate(args) if "generate" in args.sections else None
    if package_dir is None:
        package_dir = Path(tempfile.mkdtemp(prefix="kubegen-bench-")) / "out"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "--spec",
                str(newest_spec(args.version)),
                "--out",
                str(package_dir),
                "--cache-dir",
                str(REPO / "build" / "cache"),
            ],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
    if "import" in args.sections:
        bench_import(args, package_dir)
    if "decode" in args.sections:
        bench_decode(args, package_dir)
    if "client" in args.sections:
        bench_client(args, package_dir)
    if "server" in args.sections:
        print("\n== test API server (bench/bench_server.py)", flush=True)
        subprocess.run([sys.executable, str(BENCH / "bench_server.py")], check=False)
    if "informers" in args.sections:
        bench_informers(args, package_dir)
    if "workqueue" in args.sections:
        print("\n== workqueue (bench/bench_workqueue.py)", flush=True)
        sys.path.insert(0, str(BENCH))
        import bench_workqueue

        bench_workqueue.bench_workqueue(report, package_dir)
    if "streaming" in args.sections:
        print("\n== streaming (bench/bench_streaming.py)", flush=True)
        sys.path.insert(0, str(BENCH))
        from bench_streaming import bench_streaming

        bench_streaming(report, package_dir)
    if "controller" in args.sections:
        sys.path.insert(0, str(BENCH))
        from bench_controller import bench_controller

        bench_controller(report, package_dir, count=1000, workers=4)
    if "async" in args.sections:
        sys.path.insert(0, str(BENCH))
        from bench_async import bench_async

        bench_async(report, package_dir)
    if "apply" in args.sections:
        sys.path.insert(0, str(BENCH))
        from bench_apply import bench_apply

        bench_apply(report, package_dir)
    if "simulate" in args.sections:
        sys.path.insert(0, str(BENCH))
        from bench_simulate import bench_simulate

        bench_simulate(report, package_dir)
    shutil.rmtree(package_dir.parent, ignore_errors=True)
    missed = [r for r in RESULTS if r[3] == "MISSED"]
    print(f"\n{len(RESULTS)} figures, {len(missed)} missed targets")


if __name__ == "__main__":
    main()
