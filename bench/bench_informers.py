"""The informers section of bench/run.py: the cache machinery (``kubeclient.cache``).

  * initial sync of many pods from the test API server (its own process, plain
    HTTP, loopback): informer start to ``wait_for_cache_sync``, as a streaming
    list (the default) and as a paginated one, against a bare ``list_all`` of the
    same pods, and against the official ``kubernetes`` client's informer;
  * the memory the synced cache holds, against ``json.loads`` of the same list,
    and that of a metadata-only cache (``kubeclient.metadata``) against the full
    one;
  * events per second from a watch to a handler, in-process on
    ``fake_clientset`` (no HTTP);
  * memory over a long churn: many updates to a fixed set of objects, sampled
    at 10%, 50% and 100% of the updates.

Every measurement runs in a process of its own (bench/informer_workers.py),
and so does the seeded server.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from informer_workers import CHURN_OBJECTS

BENCH = Path(__file__).resolve().parent
SYNC_TARGET = 1.3  # informer sync / bare list_all
MEMORY_TARGET = 1.0  # cache / json.loads of the same list
METADATA_TARGET = 0.2  # metadata-only cache / full cache
EVENTS_TARGET = 20_000  # events per second, watch to handler
CHURN_TARGET = 0.10  # memory growth between 10% and 100% of the churn
WORKERS = BENCH / "informer_workers.py"

Report = Callable[[str, str, str, bool | None], None]


# --------------------------------------------------------------------------- processes


class SeededServer:
    def __init__(self, package_dir: Path, count: int) -> None:
        self.kubeconfig = Path(tempfile.mkdtemp(prefix="kubegen-bench-")) / "config"
        env = {**os.environ, "PYTHONPATH": str(package_dir)}
        self.process = subprocess.Popen(
            [sys.executable, str(WORKERS), "_server", str(self.kubeconfig), str(count)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("ready "):
            self.process.kill()
            raise RuntimeError(f"test API server did not start: {line!r}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.kubeconfig.parent, ignore_errors=True)


def run_worker(
    which: str, package_dir: Path, kubeconfig: Path | str = "", count: int = 0
) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(package_dir)}
    out = subprocess.run(
        [sys.executable, str(WORKERS), "_worker", which, str(kubeconfig), str(count)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"informer worker {which} failed:\n{out.stderr[-2000:]}")
    parsed: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return parsed


# --------------------------------------------------------------------------- figures


def _mb(kib: float) -> str:
    return f"{kib / 1024:.0f} MB"


def bench_sync(
    report: Report, package_dir: Path, kubeconfig: Path, pods: int, runs: int
) -> dict[str, float]:
    """Best of ``runs`` rounds, the three taking turns round by round, so that
    load from elsewhere on the machine falls on all of them alike."""
    best: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for _ in range(runs):
        for which in ("list", "sync-stream", "sync-paged"):
            result = run_worker(which, package_dir, kubeconfig, pods)
            if result["items"] != pods:
                raise RuntimeError(f"{which}: {result['items']} of {pods} pods")
            best[which] = min(best.get(which, result["seconds"]), result["seconds"])
            cpu[which] = min(cpu.get(which, result["cpu"]), result["cpu"])
    base = best["list"]
    for which, how in (
        ("sync-stream", "streaming list (default)"),
        ("sync-paged", "paginated list"),
    ):
        ratio = best[which] / base
        report(
            f"informer sync of {pods} pods, {how}, vs list_all",
            f"{ratio:.2f}x",
            f"<= {SYNC_TARGET}x",
            ratio <= SYNC_TARGET,
        )
    print(
        f"    best of {runs}: list_all {base:.2f} s, informer start to synced: "
        f"streaming {best['sync-stream']:.2f} s, paginated {best['sync-paged']:.2f} s"
    )
    print(
        f"    client CPU (best): list_all {cpu['list']:.2f} s, streaming "
        f"{cpu['sync-stream']:.2f} s, paginated {cpu['sync-paged']:.2f} s"
    )
    return best


def _official_has_informer() -> bool | None:
    """None: the official client is not installed."""
    spec = importlib.util.find_spec("kubernetes")
    if spec is None:
        return None
    places = spec.submodule_search_locations or []
    return any((Path(place) / "informer").is_dir() for place in places)


def bench_official(
    report: Report,
    package_dir: Path,
    kubeconfig: Path,
    pods: int,
    ours: dict[str, float],
) -> None:
    """One run: the official client takes ten times as long as ours."""
    has_informer = _official_has_informer()
    if has_informer is None:
        report("official kubernetes client", "not installed", "", None)
        return
    if has_informer:
        which, mine, what = "sync-official", ours["sync-stream"], "informer sync"
    else:
        print("    the official client has no informer (no kubernetes.informer)")
        which, mine, what = "list-official", ours["list"], "list of the same pods"
    result = run_worker(which, package_dir, kubeconfig, pods)
    seconds = result["seconds"]
    report(
        f"  official kubernetes client: {what}",
        f"{seconds:.1f} s",
        f"ours {seconds / mine:.1f}x faster",
        None,
    )
    if not has_informer:
        print(f"    (against our list_all: {seconds / ours['list']:.1f}x)")


def bench_memory(
    report: Report, package_dir: Path, kubeconfig: Path, pods: int
) -> float:
    """The synced cache against json.loads of the same list; its size in KiB."""
    cache = run_worker("memory-cache", package_dir, kubeconfig, pods)
    plain = run_worker("memory-json", package_dir, kubeconfig, pods)
    if cache["items"] != pods or plain["items"] != pods:
        raise RuntimeError(f"cached {cache['items']}, listed {plain['items']} pods")
    ratio = cache["kib"] / plain["kib"]
    report(
        f"synced cache of {pods} pods: memory vs json.loads",
        f"{ratio:.2f}x",
        f"<= {MEMORY_TARGET}x",
        ratio <= MEMORY_TARGET,
    )
    print(
        f"    kept after a full collection (tracemalloc): cache {_mb(cache['kib'])}, "
        f"json.loads of the list {_mb(plain['kib'])}, the runtime's decoder "
        f"(kubeclient._json.loads) {_mb(plain['runtime_kib'])} "
        f"({plain['runtime_kib'] / plain['kib']:.2f}x json.loads)"
    )
    return float(cache["kib"])


def _has_metadata(package_dir: Path) -> bool:
    package = package_dir / "kubeclient"
    return (package / "metadata.py").exists() or (package / "metadata").is_dir()


def bench_metadata(
    report: Report, package_dir: Path, kubeconfig: Path, pods: int, full_kib: float
) -> None:
    label = f"metadata-only cache of {pods} pods vs the full one"
    target = f"<= {METADATA_TARGET}x"
    if not _has_metadata(package_dir):
        report(label, "n/a: no kubeclient.metadata yet", target, None)
        return
    result = run_worker("memory-metadata", package_dir, kubeconfig, pods)
    if result["items"] != pods:
        raise RuntimeError(f"metadata cache: {result['items']} of {pods} pods")
    ratio = result["kib"] / full_kib
    report(label, f"{ratio:.2f}x", target, ratio <= METADATA_TARGET)
    print(f"    metadata-only {_mb(result['kib'])}, full {_mb(full_kib)}")


def bench_events(report: Report, package_dir: Path, events: int) -> None:
    result = run_worker("events", package_dir, "", events)
    rate = result["events"] / result["seconds"]
    report(
        f"{events} events, watch to on_add (fake_clientset)",
        f"{rate:,.0f}/s",
        f">= {EVENTS_TARGET:,}/s",
        rate >= EVENTS_TARGET,
    )
    print(
        f"    per CPU second (both threads; the machine's other load aside): "
        f"{result['events'] / result['cpu']:,.0f}/s"
    )


def bench_churn(report: Report, package_dir: Path, updates: int) -> None:
    result = run_worker("churn", package_dir, "", updates)
    client, traced, rss = result["client_kib"], result["traced_kib"], result["rss_kib"]
    growth = (client["100%"] - client["10%"]) / client["10%"]
    report(
        f"{updates} updates to {CHURN_OBJECTS} objects: growth 10% -> 100%",
        f"{growth:+.1%}",
        f"<= {CHURN_TARGET:.0%}",
        growth <= CHURN_TARGET,
    )

    def mb(kib: dict[str, float]) -> str:
        return " / ".join(f"{kib[m] / 1024:.2f}" for m in ("10%", "50%", "100%"))

    print(
        "    held since the informer's start at 10% / 50% / 100% (tracemalloc): "
        f"by the client {mb(client)} MB, in all (the fake's server too) "
        f"{mb(traced)} MB; RSS growth (tracemalloc's tables too) {mb(rss)} MB"
    )
    print(
        f"    {result['updates']} updates handled in {result['seconds']:.1f} s, "
        f"{result['lists']} list(s)"
    )
    items = result["items"]
    report(
        "  the cache after the churn",
        f"{items} objects",
        f"= {CHURN_OBJECTS}",
        items == CHURN_OBJECTS,
    )


def _guarded(report: Report, what: str, run: Callable[[], object]) -> object:
    try:
        return run()
    except RuntimeError as err:
        report(what, "failed", "", False)
        print(f"    {str(err).strip()[-600:]}")
        return None


def bench_informers(
    report: Report, package_dir: Path, pods: int, events: int, updates: int, runs: int
) -> None:
    print(
        f"\n== informers (kubeclient.cache): {pods} pods on a test API server in "
        "its own process (plain HTTP, loopback); events and churn in-process on "
        "fake_clientset",
        flush=True,
    )
    server = SeededServer(package_dir, pods)
    kubeconfig = server.kubeconfig
    try:
        ours = _guarded(
            report,
            "informer sync",
            lambda: bench_sync(report, package_dir, kubeconfig, pods, runs),
        )
        if isinstance(ours, dict):
            _guarded(
                report,
                "official kubernetes client",
                lambda: bench_official(report, package_dir, kubeconfig, pods, ours),
            )
        full = _guarded(
            report,
            "synced cache memory",
            lambda: bench_memory(report, package_dir, kubeconfig, pods),
        )
        if isinstance(full, float):
            _guarded(
                report,
                "metadata-only cache",
                lambda: bench_metadata(report, package_dir, kubeconfig, pods, full),
            )
    finally:
        server.stop()
    _guarded(report, "events", lambda: bench_events(report, package_dir, events))
    _guarded(report, "churn", lambda: bench_churn(report, package_dir, updates))
