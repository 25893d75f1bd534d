"""The async section of bench/run.py: kubeclient.aio beside the sync ClientSet,
the async peers and the bare HTTP library, all against one test API server
process, each client in a process of its own:

  (a) 2,000 GETs of one ConfigMap at concurrency 50, requests per second:
      AsyncClientSet; the sync ClientSet on 50 threads; kubernetes_asyncio;
      lightkube's AsyncClient; kr8s; bare aiohttp (the floor: GET, read, JSON
      decode). Best of 3 rounds after a warm-up.
  (b) a watch of 10,000 events (the server's history, replayed as fast as the
      client reads): events per second of AsyncClientSet and kubernetes_asyncio,
      and the client's peak RSS growth (bounded memory: it must not keep them).
  (c) ``import kubeclient.aio`` and ``from kubeclient.aio import AsyncClientSet``
      over a bare interpreter.

    python bench/bench_async.py [--package-dir DIR]     # or: python bench/run.py async
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
GETS = 2_000
CONCURRENCY = 50
EVENTS = 10_000
NAMESPACE = "default"
SYNC_TARGET = 2.0  # AsyncClientSet / sync ClientSet on threads, at least
FLOOR_TARGET = 1.3  # bare aiohttp / AsyncClientSet, at most
IMPORT_TARGET = 0.150  # seconds over a bare interpreter

Report = Callable[[str, str, str, bool | None], None]
Get = Callable[[], Awaitable[Any]]


class ServerProcess:
    """The test API server in its own process, history long enough for (b)."""

    def __init__(self, package_dir: Path) -> None:
        self.kubeconfig = Path(tempfile.mkdtemp(prefix="kubegen-async-")) / "config"
        env = {**os.environ, "PYTHONPATH": str(package_dir)}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kubeclient.testing",
                "serve",
                "--anonymous",
                "--history",
                str(EVENTS + 1000),
                "--kubeconfig",
                str(self.kubeconfig),
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("ready "):
            raise RuntimeError(f"test API server did not start: {line!r}")
        self.url = line.split(" ", 1)[1]

    def send(self, method: str, path: str, body: Any, kind: str) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": kind},
            method=method,
        )
        with urllib.request.urlopen(request) as answer:
            return json.loads(answer.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# --------------------------------------------------------------------------- GETs


async def _ours(kubeconfig: str) -> tuple[Get, Any]:
    from kubeclient.aio import AsyncClientSet
    from kubeclient.config import load_kube_config

    cs = AsyncClientSet(load_kube_config(kubeconfig))
    cms = cs.core_v1.config_maps(NAMESPACE)
    return lambda: cms.get("bench"), cs.close


async def _kubernetes_asyncio(kubeconfig: str) -> tuple[Get, Any]:
    from kubernetes_asyncio import client, config

    await config.load_kube_config(kubeconfig)
    api_client = client.ApiClient()  # its pool: 100 connections
    api = client.CoreV1Api(api_client)
    return lambda: api.read_namespaced_config_map("bench", NAMESPACE), api_client.close


async def _lightkube(kubeconfig: str) -> tuple[Get, Any]:
    from lightkube import AsyncClient, KubeConfig
    from lightkube.resources.core_v1 import ConfigMap

    # httpx's pool: 100 connections, more than the 50 requests in flight
    client = AsyncClient(KubeConfig.from_file(kubeconfig))

    async def get() -> Any:
        return await client.get(ConfigMap, "bench", namespace=NAMESPACE)

    return get, client.close


async def _kr8s(kubeconfig: str) -> tuple[Get, Any]:
    import kr8s.asyncio
    from kr8s.asyncio.objects import ConfigMap

    api = await kr8s.asyncio.api(kubeconfig=kubeconfig)

    async def get() -> Any:
        return await ConfigMap.get("bench", namespace=NAMESPACE, api=api)

    async def close() -> None:
        pass

    return get, close


async def _aiohttp(kubeconfig: str) -> tuple[Get, Any]:
    import aiohttp
    import yaml

    with open(kubeconfig, encoding="utf-8") as file:
        server = yaml.safe_load(file)["clusters"][0]["cluster"]["server"]
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY))
    url = f"{server}/api/v1/namespaces/{NAMESPACE}/configmaps/bench"

    async def get() -> Any:
        async with session.get(url, headers={"Accept": "application/json"}) as r:
            return json.loads(await r.read())

    return get, session.close


ASYNC_CLIENTS = {
    "ours": _ours,
    "kubernetes_asyncio": _kubernetes_asyncio,
    "lightkube": _lightkube,
    "kr8s": _kr8s,
    "aiohttp": _aiohttp,
}


async def _rounds(get: Get, count: int, rounds: int) -> float:
    async def one(semaphore: asyncio.Semaphore) -> None:
        async with semaphore:
            await get()

    async def round_() -> float:
        semaphore = asyncio.Semaphore(CONCURRENCY)
        start = time.perf_counter()
        await asyncio.gather(*(one(semaphore) for _ in range(count)))
        return time.perf_counter() - start

    await round_()  # warm-up: connections, imports, discovery
    return min([await round_() for _ in range(rounds)])


def get_worker(which: str, kubeconfig: str, count: int, rounds: int) -> float:
    """Requests per second of one client (in this process)."""
    if which == "sync":
        from kubeclient import ClientSet
        from kubeclient.config import load_kube_config
        from kubeclient.transport.http import HTTPTransport

        config = load_kube_config(kubeconfig)
        transport = HTTPTransport(config, pool_maxsize=CONCURRENCY)
        cms = ClientSet(config, transport=transport).core_v1.config_maps(NAMESPACE)
        with ThreadPoolExecutor(CONCURRENCY) as pool:

            def round_() -> float:
                start = time.perf_counter()
                list(pool.map(lambda _: cms.get("bench"), range(count)))
                return time.perf_counter() - start

            round_()
            return count / min(round_() for _ in range(rounds))

    async def main() -> float:
        get, close = await ASYNC_CLIENTS[which](kubeconfig)
        try:
            return count / await _rounds(get, count, rounds)
        finally:
            await close()

    return asyncio.run(main())


# --------------------------------------------------------------------------- watch


def watch_worker(which: str, kubeconfig: str, version: str, events: int) -> Any:
    """Events per second of a watch from ``version`` (the history replayed), and
    the peak RSS growth of this process meanwhile."""
    # the libraries loaded first: the growth is what the watch itself holds
    import aiohttp  # noqa: F401
    import kubeclient.aio.clients.core_v1  # noqa: F401
    import kubernetes_asyncio.client  # noqa: F401

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    async def ours() -> float:
        from kubeclient.aio import AsyncClientSet
        from kubeclient.config import load_kube_config

        async with AsyncClientSet(load_kube_config(kubeconfig)) as cs:
            cms = cs.core_v1.config_maps(NAMESPACE)
            start = time.perf_counter()
            seen = 0
            async for event in cms.watch(
                resource_version=version, field_selector="metadata.name=w"
            ):
                assert event.object.data is not None
                seen += 1
                if seen == events:
                    break
            return time.perf_counter() - start

    async def official() -> float:
        from kubernetes_asyncio import client, config, watch

        await config.load_kube_config(kubeconfig)
        async with client.ApiClient() as api_client:
            api = client.CoreV1Api(api_client)
            start = time.perf_counter()
            seen = 0
            async with watch.Watch().stream(
                api.list_namespaced_config_map,
                NAMESPACE,
                resource_version=version,
                field_selector="metadata.name=w",
                timeout_seconds=600,
            ) as stream:
                async for event in stream:
                    assert event["object"].data is not None
                    seen += 1
                    if seen == events:
                        break
            return time.perf_counter() - start

    seconds = asyncio.run(ours() if which == "ours" else official())
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rate": events / seconds, "growth_mib": (after - before) / 1024}


# --------------------------------------------------------------------------- driver


def run_worker(package_dir: Path, *args: str) -> Any:
    env = {**os.environ, "PYTHONPATH": str(package_dir)}
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "?")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _import_costs(package_dir: Path, codes: list[str], runs: int = 15) -> list[float]:
    """Seconds each of ``codes`` takes over a bare interpreter: the runs take turns
    (load from elsewhere falls on all alike) and each one's best counts."""
    env = {**os.environ, "PYTHONPATH": str(package_dir)}
    best = [float("inf")] * (len(codes) + 1)
    for _ in range(runs):
        for i, code in enumerate(["pass", *codes]):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=env, check=True)
            best[i] = min(best[i], time.perf_counter() - start)
    return [b - best[0] for b in best[1:]]


def bench_async(report: Report, package_dir: Path, rounds: int = 3) -> None:
    print("\n== async client (bench/bench_async.py)", flush=True)
    server = ServerProcess(package_dir)
    try:
        base = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
        config_map = {"metadata": {"name": "bench"}, "data": {"k": "v"}}
        server.send("POST", base, config_map, "application/json")
        kubeconfig = str(server.kubeconfig)
        rates: dict[str, float] = {}
        for which in (
            "ours",
            "sync",
            "kubernetes_asyncio",
            "lightkube",
            "kr8s",
            "aiohttp",
        ):
            try:
                rates[which] = run_worker(
                    package_dir, "_get", which, kubeconfig, str(GETS), str(rounds)
                )
            except Exception as error:  # a peer missing or failing: say so
                report(f"GETs/s, {which}", "failed", "", None)
                print(f"    {error}")
                continue
        ours = rates.get("ours")
        if ours:
            report(
                "AsyncClientSet GETs/s (2,000 at concurrency 50)",
                f"{ours:,.0f}",
                "",
                None,
            )
            for which, label, target, bigger in (
                ("sync", "x sync ClientSet on 50 threads", SYNC_TARGET, True),
                ("kubernetes_asyncio", "x kubernetes_asyncio", 1.0, True),
                ("lightkube", "x lightkube AsyncClient", 1.0, True),
                ("kr8s", "x kr8s", 1.0, True),
            ):
                if which in rates:
                    ratio = ours / rates[which]
                    report(
                        f"AsyncClientSet {label}",
                        f"{ratio:.2f}x",
                        f">= {target:g}x",
                        ratio >= target if bigger else ratio <= target,
                    )
            if "aiohttp" in rates:
                ratio = rates["aiohttp"] / ours
                report(
                    "bare aiohttp (floor) / AsyncClientSet",
                    f"{ratio:.2f}x",
                    f"<= {FLOOR_TARGET:g}x",
                    ratio <= FLOOR_TARGET,
                )
        # (b) the watch: EVENTS events of one object, replayed from the history
        created = server.send(
            "POST",
            base,
            {"metadata": {"name": "w"}, "data": {"n": "0"}},
            "application/json",
        )
        version = created["metadata"]["resourceVersion"]
        patch = "application/merge-patch+json"
        for i in range(1, EVENTS + 1):
            server.send("PATCH", f"{base}/w", {"data": {"n": str(i)}}, patch)
        watched: dict[str, Any] = {}
        for which in ("ours", "kubernetes_asyncio"):
            try:
                watched[which] = run_worker(
                    package_dir, "_watch", which, kubeconfig, version, str(EVENTS)
                )
            except Exception as error:
                report(f"watch events/s, {which}", "failed", "", None)
                print(f"    {error}")
        if "ours" in watched:
            mine = watched["ours"]
            report(
                "AsyncClientSet watch events/s (10,000)",
                f"{mine['rate']:,.0f}",
                "",
                None,
            )
            report(
                "AsyncClientSet watch peak RSS growth",
                f"{mine['growth_mib']:.1f} MiB",
                "< 50 MiB",
                mine["growth_mib"] < 50,
            )
            if "kubernetes_asyncio" in watched:
                ratio = mine["rate"] / watched["kubernetes_asyncio"]["rate"]
                report(
                    "AsyncClientSet watch x kubernetes_asyncio",
                    f"{ratio:.2f}x",
                    ">= 1x",
                    ratio >= 1,
                )
                growth = watched["kubernetes_asyncio"]["growth_mib"]
                report(
                    "kubernetes_asyncio watch peak RSS growth",
                    f"{growth:.1f} MiB",
                    "(reference)",
                    None,
                )
    finally:
        server.stop()
    # (c) import time over a bare interpreter
    labels = [
        "import kubeclient.aio",
        "from kubeclient.aio import AsyncClientSet",
        "from kubeclient import ClientSet (the sync one)",
    ]
    codes = [
        "import kubeclient.aio",
        "from kubeclient.aio import AsyncClientSet",
        "from kubeclient import ClientSet",
    ]
    for label, cost in zip(labels, _import_costs(package_dir, codes), strict=True):
        ok = cost < IMPORT_TARGET if "aio" in label else None
        wanted = f"< {IMPORT_TARGET * 1000:.0f} ms" if ok is not None else "(reference)"
        report(f"{label}, over a bare interpreter", f"{cost * 1000:.0f} ms", wanted, ok)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_get":
        which, kubeconfig, count, rounds = sys.argv[2:6]
        print(json.dumps(get_worker(which, kubeconfig, int(count), int(rounds))))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_watch":
        which, kubeconfig, version, events = sys.argv[2:6]
        print(json.dumps(watch_worker(which, kubeconfig, version, int(events))))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--package-dir", type=Path, required=True)
    args = parser.parse_args()

    def report(name: str, measured: str, target: str, ok: bool | None) -> None:
        status = "n/a" if ok is None else ("ok" if ok else "MISSED")
        print(f"  {name:<52} {measured:>18}   target {target:<14} {status}", flush=True)

    bench_async(report, args.package_dir)


if __name__ == "__main__":
    main()
