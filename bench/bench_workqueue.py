"""The workqueue section of bench/run.py: kubeclient.workqueue's add/get/done
throughput, single-threaded and with 8 worker threads, beside a floor of bare
``queue.Queue`` put/get/task_done doing the same in the same run.

The two take turns, round by round, so load from elsewhere on the machine falls
on both alike; each one's best round counts.

    python bench/bench_workqueue.py [--package-dir DIR] [--items 100000]
"""

from __future__ import annotations

import argparse
import importlib
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ITEMS = 100_000
WORKERS = 8
ROUNDS = 3
SINGLE_TARGET = 50_000  # items per second, single-threaded (issue 10)
# ours / queue.Queue with 8 workers: one lock and stingy sets may cost something,
# but never half the stdlib queue's throughput
WORKERS_TARGET = 0.5

Report = Callable[[str, str, str, bool | None], None]


def single_ours(workqueue: Any, keys: list[str]) -> float:
    """Seconds to add every key, then get and finish each, on one thread."""
    q = workqueue.Queue()
    start = time.perf_counter()
    for key in keys:
        q.add(key)
    for _ in keys:
        item, _shutdown = q.get()
        q.done(item)
    return time.perf_counter() - start


def single_floor(keys: list[str]) -> float:
    q: queue.Queue[str] = queue.Queue()
    start = time.perf_counter()
    for key in keys:
        q.put(key)
    for _ in keys:
        q.get()
        q.task_done()
    return time.perf_counter() - start


def workers_ours(workqueue: Any, keys: list[str]) -> float:
    """Seconds for one producer and WORKERS workers to get through every key."""
    q = workqueue.Queue()

    def work() -> None:
        while True:
            item, shutdown = q.get()
            if shutdown:
                return
            q.done(item)

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for key in keys:
        q.add(key)
    q.shut_down_with_drain()  # workers get what waits, then stop
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def workers_floor(keys: list[str]) -> float:
    q: queue.Queue[str | None] = queue.Queue()

    def work() -> None:
        while True:
            item = q.get()
            q.task_done()
            if item is None:
                return

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for key in keys:
        q.put(key)
    for _ in threads:
        q.put(None)
    q.join()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def load_workqueue(package_dir: Path | None) -> Any:
    """kubeclient.workqueue from a generated package, else the runtime's source."""
    if package_dir is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        return importlib.import_module("generator.runtime.workqueue")
    sys.path.insert(0, str(package_dir))
    return importlib.import_module("kubeclient.workqueue")


def bench_workqueue(
    report: Report, package_dir: Path | None, items: int = ITEMS
) -> None:
    workqueue = load_workqueue(package_dir)
    keys = [f"default/foo-{i}" for i in range(items)]
    contenders: list[tuple[str, Callable[[], float]]] = [
        ("single", lambda: single_ours(workqueue, keys)),
        ("single floor", lambda: single_floor(keys)),
        ("workers", lambda: workers_ours(workqueue, keys)),
        ("workers floor", lambda: workers_floor(keys)),
    ]
    times: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for label, run in contenders:
            times.setdefault(label, []).append(run())
    rate = {label: items / min(runs) for label, runs in times.items()}
    report(
        "workqueue add/get/done, 1 thread",
        f"{rate['single']:,.0f} items/s",
        f">= {SINGLE_TARGET:,}/s",
        rate["single"] >= SINGLE_TARGET,
    )
    report(
        "  floor: queue.Queue put/get/task_done, 1 thread",
        f"{rate['single floor']:,.0f} items/s",
        f"ours {rate['single'] / rate['single floor']:.2f}x",
        None,
    )
    workers_ratio = rate["workers"] / rate["workers floor"]
    report(
        f"workqueue add/get/done, 1 producer, {WORKERS} workers",
        f"{rate['workers']:,.0f} items/s",
        f">= {WORKERS_TARGET}x floor",
        workers_ratio >= WORKERS_TARGET,
    )
    report(
        f"  floor: queue.Queue, 1 producer, {WORKERS} workers",
        f"{rate['workers floor']:,.0f} items/s",
        f"ours {workers_ratio:.2f}x",
        None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--package-dir", type=Path, help="a generated package's root")
    parser.add_argument("--items", type=int, default=ITEMS)
    args = parser.parse_args()

    def report(name: str, measured: str, target: str, ok: bool | None) -> None:
        status = "n/a" if ok is None else ("ok" if ok else "MISSED")
        print(f"  {name:<52} {measured:>18}   target {target:<14} {status}")

    bench_workqueue(report, args.package_dir, args.items)


if __name__ == "__main__":
    main()
