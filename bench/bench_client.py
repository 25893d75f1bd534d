"""The client section of bench/run.py: our generated client beside its peers.

Everything runs against ONE test API server process (plain HTTP, --anonymous) and
every client in a process of its own, through its public API only:

  * sequential typed GETs and creates per second: ours, the official ``kubernetes``
    client, lightkube, and two floors (bare ``http.client`` keep-alive with
    json.loads, a bare ``requests.Session``). The clients take turns, round by
    round, so that load from elsewhere on the machine falls on all of them alike;
    each client's best round counts.
  * building a usable ClientSet from a kubeconfig, over a bare interpreter (imports
    included: that is what a script pays before its first request);
  * list_all of many pods against the official client's own paging.

Workers run as ``python bench/bench_client.py _worker WHICH KUBECONFIG COUNT TAG``
and print their figures as one JSON line.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
NAMESPACE = "default"
REQUESTS = 500  # per round and client: GETs, then as many creates
ROUNDS = 3
PEER_TARGET = 1.3  # ours / the faster of the official client and lightkube
FLOOR_TARGET = 2.5  # bare http.client / ours
CLIENTSET_TARGET = 0.180  # seconds over a bare interpreter

Report = Callable[[str, str, str, bool | None], None]
Get = Callable[[], Any]
Create = Callable[[str], Any]


class ServerProcess:
    """The test API server in its own process (no GIL shared with the client)."""

    def __init__(self, package_dir: Path) -> None:
        self.kubeconfig = Path(tempfile.mkdtemp(prefix="kubegen-bench-")) / "kubeconfig"
        env = {**os.environ, "PYTHONPATH": str(package_dir)}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kubeclient.testing",
                "serve",
                "--anonymous",
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

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# --------------------------------------------------------------------------- workers
# Each returns (typed get of the ConfigMap "bench", create of a ConfigMap by name).


def _ours(kubeconfig: str) -> tuple[Get, Create]:
    from kubeclient import ClientSet
    from kubeclient.config import load_kube_config
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta

    cms = ClientSet(load_kube_config(kubeconfig)).core_v1.config_maps(NAMESPACE)

    def create(name: str) -> Any:
        return cms.create(ConfigMap(metadata=ObjectMeta(name=name), data={"k": "v"}))

    return lambda: cms.get("bench"), create


def _official(kubeconfig: str) -> tuple[Get, Create]:
    import kubernetes

    kubernetes.config.load_kube_config(kubeconfig)  # type: ignore[no-untyped-call]
    api: Any = kubernetes.client.CoreV1Api()
    client: Any = kubernetes.client

    def create(name: str) -> Any:
        body = client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name=name), data={"k": "v"}
        )
        return api.create_namespaced_config_map(NAMESPACE, body)

    return lambda: api.read_namespaced_config_map("bench", NAMESPACE), create


def _lightkube(kubeconfig: str) -> tuple[Get, Create]:
    from lightkube import Client, KubeConfig
    from lightkube.models.meta_v1 import ObjectMeta
    from lightkube.resources.core_v1 import ConfigMap

    client = Client(KubeConfig.from_file(kubeconfig))

    def create(name: str) -> Any:
        body = ConfigMap(metadata=ObjectMeta(name=name), data={"k": "v"})
        return client.create(body, namespace=NAMESPACE)

    return lambda: client.get(ConfigMap, "bench", namespace=NAMESPACE), create


def _server(kubeconfig: str) -> tuple[str, str, dict[str, str]]:
    """(host:port, collection path, headers) for the bare floors."""
    import yaml

    config = yaml.safe_load(Path(kubeconfig).read_text())
    url = urlsplit(config["clusters"][0]["cluster"]["server"])
    headers = {"Accept": "application/json"}
    token = config["users"][0]["user"].get("token")
    if token:  # sent as the clients send it, though --anonymous needs none
        headers["Authorization"] = f"Bearer {token}"
    return url.netloc, f"/api/v1/namespaces/{NAMESPACE}/configmaps", headers


def _body(name: str) -> bytes:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name},
            "data": {"k": "v"},
        }
    ).encode()


def _http_client(kubeconfig: str) -> tuple[Get, Create]:
    import http.client

    netloc, path, headers = _server(kubeconfig)
    conn = http.client.HTTPConnection(netloc)
    post_headers = {**headers, "Content-Type": "application/json"}

    def get() -> Any:
        conn.request("GET", f"{path}/bench", headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET: HTTP {response.status}")
        return json.loads(body)

    def create(name: str) -> Any:
        conn.request("POST", path, body=_body(name), headers=post_headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 201:
            raise RuntimeError(f"POST: HTTP {response.status}")
        return json.loads(body)

    return get, create


def _requests(kubeconfig: str) -> tuple[Get, Create]:
    import requests

    netloc, path, headers = _server(kubeconfig)
    url = f"http://{netloc}{path}"
    session = requests.Session()
    session.headers.update(headers)
    post_headers = {"Content-Type": "application/json"}

    def get() -> Any:
        response = session.get(f"{url}/bench")
        response.raise_for_status()
        return response.json()

    def create(name: str) -> Any:
        response = session.post(url, data=_body(name), headers=post_headers)
        response.raise_for_status()
        return response.json()

    return get, create


ROUND_TRIP_CLIENTS: dict[str, Callable[[str], tuple[Get, Create]]] = {
    "ours": _ours,
    "official": _official,
    "lightkube": _lightkube,
    "http.client": _http_client,
    "requests": _requests,
}


def _delete_all(kubeconfig: str, names: list[str]) -> None:
    """Untimed: remove a round's creates, so every round meets the same server."""
    import http.client

    netloc, path, headers = _server(kubeconfig)
    conn = http.client.HTTPConnection(netloc)
    for name in names:
        conn.request("DELETE", f"{path}/{name}", headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status not in (200, 202):
            raise RuntimeError(f"DELETE {name}: HTTP {response.status}")


def round_trip_worker(which: str, kubeconfig: str, count: int, tag: str) -> Any:
    """One round of one client: ``count`` GETs, then ``count`` creates."""
    get, create = ROUND_TRIP_CLIENTS[which](kubeconfig)
    for _ in range(5):  # warm: connection open, lazy imports and caches filled
        get()
    names = [f"bench-{tag}-{i}" for i in range(count)]
    create(f"bench-{tag}-warm")
    # Wall time is the figure; the client's own CPU time beside it barely feels
    # other processes on a shared machine (the server's work is alike for all).
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        get()
    gets, gets_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    for name in names:
        create(name)
    creates, creates_cpu = time.perf_counter() - start, time.process_time() - cpu
    _delete_all(kubeconfig, [*names, f"bench-{tag}-warm"])
    return {
        "get_seconds": gets,
        "create_seconds": creates,
        "get_cpu": gets_cpu,
        "create_cpu": creates_cpu,
    }


def _list_ours(kubeconfig: str) -> dict[str, float]:
    from kubeclient import ClientSet
    from kubeclient.config import load_kube_config

    pods = ClientSet(load_kube_config(kubeconfig)).core_v1.pods("bench")
    start = time.perf_counter()
    names = [p.metadata.name for p in pods.list_all(page_size=500) if p.metadata]
    return {"seconds": time.perf_counter() - start, "items": len(names)}


def _list_official(kubeconfig: str) -> dict[str, float]:
    import kubernetes

    kubernetes.config.load_kube_config(kubeconfig)  # type: ignore[no-untyped-call]
    api: Any = kubernetes.client.CoreV1Api()
    start = time.perf_counter()
    names: list[str] = []
    token: str | None = None
    while True:  # the official client's own paging, by hand
        page = api.list_namespaced_pod("bench", limit=500, _continue=token)
        names.extend(p.metadata.name for p in page.items)
        token = page.metadata._continue
        if not token:
            break
    return {"seconds": time.perf_counter() - start, "items": len(names)}


LIST_CLIENTS = {"list-ours": _list_ours, "list-official": _list_official}


def worker(which: str, kubeconfig: str, count: int, tag: str) -> Any:
    """Runs in its own process: one client's figures against the server."""
    if which in ROUND_TRIP_CLIENTS:
        return round_trip_worker(which, kubeconfig, count, tag)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = LIST_CLIENTS[which](kubeconfig)
    result["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return result


def run_worker(
    which: str, kubeconfig: Path, package_dir: Path, count: int = 0, tag: str = "0"
) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(package_dir)}
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "_worker",
            which,
            str(kubeconfig),
            str(count),
            tag,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"client worker {which} failed:\n{out.stderr[-2000:]}")
    parsed: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return parsed


# --------------------------------------------------------------------------- figures


def _rate(seconds: float | None, count: int) -> str:
    return "failed" if seconds is None else f"{count / seconds:.0f}/s"


def _per_request(seconds: float | None, count: int) -> str:
    return "" if seconds is None else f"{seconds / count * 1000:.2f} ms CPU"


def bench_round_trips(report: Report, kubeconfig: Path, package_dir: Path) -> None:
    count = REQUESTS
    best: dict[str, dict[str, float]] = {}
    failed: dict[str, str] = {}
    for round_ in range(ROUNDS):
        for which in ROUND_TRIP_CLIENTS:
            if which in failed:
                continue
            tag = f"{which.replace('.', '-')}-{round_}"
            try:
                result = run_worker(which, kubeconfig, package_dir, count, tag)
            except RuntimeError as err:
                failed[which] = str(err)
                continue
            seen = best.setdefault(which, result)
            for key, value in result.items():
                seen[key] = min(seen[key], value)
    for which, message in failed.items():
        print(f"    {which}: {message.splitlines()[-1]}")
        best.pop(which, None)
    print(
        f"    sequential, one connection, {count} of each per round, best of {ROUNDS}:"
    )
    for which in ROUND_TRIP_CLIENTS:
        figures = best.get(which, {})
        print(
            f"      {which:<12} GET {_rate(figures.get('get_seconds'), count):>8}"
            f" ({_per_request(figures.get('get_cpu'), count):>12})"
            f"   create {_rate(figures.get('create_seconds'), count):>8}"
            f" ({_per_request(figures.get('create_cpu'), count):>12})"
        )
    if "ours" not in best:
        report("typed GETs/s vs the faster peer", "failed", "", None)
        return
    ours = best["ours"]
    for verb, key, cpu in (
        ("GETs", "get_seconds", "get_cpu"),
        ("creates", "create_seconds", "create_cpu"),
    ):
        peers = {p: best[p][key] for p in ("official", "lightkube") if p in best}
        if peers:
            fastest = min(peers, key=lambda p: peers[p])
            ratio = peers[fastest] / ours[key]
            report(
                f"typed {verb}/s: ours vs the faster peer ({fastest})",
                f"{ratio:.2f}x",
                f">= {PEER_TARGET}x",
                ratio >= PEER_TARGET,
            )
            leanest = min(peers, key=lambda p: best[p][cpu])
            print(
                f"    client CPU per request: {leanest} / ours "
                f"{best[leanest][cpu] / ours[cpu]:.2f}x"
            )
        if "http.client" in best:
            ratio = ours[key] / best["http.client"][key]
            report(
                f"typed {verb}/s: bare http.client vs ours",
                f"{ratio:.2f}x",
                f"<= {FLOOR_TARGET}x",
                ratio <= FLOOR_TARGET,
            )
            print(
                "    client CPU per request: ours / bare http.client "
                f"{ours[cpu] / best['http.client'][cpu]:.2f}x"
            )
    if "requests" in best:
        ratio = ours["get_seconds"] / best["requests"]["get_seconds"]
        report(
            "typed get round trip vs bare requests.get",
            f"{ratio:.2f}x",
            "< 1.3x",
            ratio < 1.3,
        )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _start_seconds(code: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one interpreter start running ``code``."""
    start, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, stderr=subprocess.PIPE
    )
    return time.perf_counter() - start, _children_cpu() - cpu


def startup_costs(
    package_dir: Path, codes: dict[str, str], runs: int
) -> dict[str, float | None]:
    """Median seconds each statement costs over a bare interpreter (None: failed).

    The statements take turns run by run, so that load from elsewhere falls on all
    alike; bytecode is compiled ahead, as pip does on install.
    """
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(package_dir)], check=True
    )
    env = {**os.environ, "PYTHONPATH": str(package_dir)}
    times: dict[str, list[float]] = {"": [], **{label: [] for label in codes}}
    cpus: dict[str, list[float]] = {label: [] for label in times}
    broken: set[str] = set()
    for _ in range(runs):
        for label, code in {"": "pass", **codes}.items():
            if label in broken:
                continue
            try:
                wall, cpu = _start_seconds(code, env)
            except subprocess.CalledProcessError as err:
                broken.add(label)
                print(f"    {label}: failed: {err.stderr.decode()[-300:].strip()}")
                continue
            times[label].append(wall)
            cpus[label].append(cpu)
    if "" in broken:
        raise RuntimeError("a bare interpreter does not start")
    working = [label for label in codes if label not in broken]
    # Information: on a busy machine, wall medians carry others' load; the best
    # starts and the CPU the starts used carry little of it.
    best = min(times[""])
    print(
        "    best starts: "
        + ", ".join(f"{x} {(min(times[x]) - best) * 1000:.0f} ms" for x in working)
    )
    bare_cpu = statistics.median(cpus[""])
    print(
        "    CPU (user+sys), medians: "
        + ", ".join(
            f"{x} {(statistics.median(cpus[x]) - bare_cpu) * 1000:.0f} ms"
            for x in working
        )
    )
    bare = statistics.median(times[""])
    return {
        label: statistics.median(times[label]) - bare if label in working else None
        for label in codes
    }


def bench_clientset(
    report: Report, kubeconfig: Path, package_dir: Path, runs: int
) -> None:
    path = repr(str(kubeconfig))
    codes = {
        "ours": "from kubeclient import ClientSet; "
        "from kubeclient.config import load_kube_config; "
        f"cs = ClientSet(load_kube_config({path}))",
        "official": "import kubernetes; "
        f"kubernetes.config.load_kube_config({path}); "
        "api = kubernetes.client.CoreV1Api()",
        "lightkube": "import lightkube; "
        f"client = lightkube.Client(lightkube.KubeConfig.from_file({path}))",
        "import": "from kubeclient import ClientSet",
        "requests": "import requests",
    }
    print(f"    median of {runs} interpreter starts, minus a bare interpreter's")
    costs = startup_costs(package_dir, codes, runs)

    def ms(cost: float | None) -> str:
        return "failed" if cost is None else f"{cost * 1000:.0f} ms"

    ours = costs["ours"]
    report(
        "ClientSet from a kubeconfig, over a bare interpreter",
        ms(ours),
        f"<= {CLIENTSET_TARGET * 1000:.0f} ms",
        None if ours is None else ours <= CLIENTSET_TARGET,
    )
    for peer in ("official", "lightkube"):
        cost = costs[peer]
        beside = f"ours {cost / ours:.1f}x faster" if cost and ours else "(reference)"
        report(f"  {peer}: client from the same kubeconfig", ms(cost), beside, None)
    imported = costs["import"]
    report(
        "  of ours: from kubeclient import ClientSet",
        ms(imported),
        "< 120 ms",
        None if imported is None else imported < 0.120,
    )
    report("  of ours: import requests alone", ms(costs["requests"]), "(info)", None)


def seed_pods(kubeconfig: Path, package_dir: Path, count: int) -> None:
    code = f"""
import sys
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, {str(BENCH)!r})
from podlist import pod
from kubeclient import ClientSet
from kubeclient.config import load_kube_config
from kubeclient.models.core_v1 import Namespace, Pod
from kubeclient.models.meta_v1 import ObjectMeta
import random
cs = ClientSet(load_kube_config({str(kubeconfig)!r}))
cs.core_v1.namespaces().create(Namespace(metadata=ObjectMeta(name="bench")))
pods = cs.core_v1.pods("bench")
rng = random.Random(1)
def make(i):
    body = pod(i, rng)
    meta = body["metadata"]
    body["metadata"] = {{"name": meta["name"], "labels": meta["labels"], "annotations": meta["annotations"]}}
    body.pop("status")
    pods.create(Pod.from_dict(body, copy=False))
with ThreadPoolExecutor(4) as pool:
    list(pool.map(make, range({count})))
"""
    env = {**os.environ, "PYTHONPATH": str(package_dir)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def seed_config_map(kubeconfig: Path, package_dir: Path) -> None:
    code = (
        "from kubeclient import ClientSet; from kubeclient.config import load_kube_config;"
        "from kubeclient.models.core_v1 import ConfigMap; from kubeclient.models.meta_v1 import ObjectMeta;"
        f"ClientSet(load_kube_config({str(kubeconfig)!r})).core_v1.config_maps({NAMESPACE!r})"
        ".create(ConfigMap(metadata=ObjectMeta(name='bench'), data={'k': 'v'}))"
    )
    env = {**os.environ, "PYTHONPATH": str(package_dir)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def bench_list(
    report: Report, kubeconfig: Path, package_dir: Path, list_pods: int
) -> None:
    seed_pods(kubeconfig, package_dir, list_pods)
    ours = run_worker("list-ours", kubeconfig, package_dir)
    official = run_worker("list-official", kubeconfig, package_dir)
    assert ours["items"] == official["items"] == list_pods
    ratio = ours["seconds"] / official["seconds"]
    report(
        f"list_all of {list_pods} pods: time vs official client",
        f"{ratio:.2f}x",
        "(lower is better)",
        None,
    )
    mem = ours["peak_kb"] / max(official["peak_kb"], 1)
    report(
        f"list_all of {list_pods} pods: peak memory vs official",
        f"{mem:.2f}x",
        "(lower is better)",
        None,
    )
    print(
        f"    ours {ours['seconds']:.2f} s / {ours['peak_kb'] / 1024:.0f} MB, "
        f"official {official['seconds']:.2f} s / {official['peak_kb'] / 1024:.0f} MB"
    )


def bench_client(report: Report, package_dir: Path, runs: int, list_pods: int) -> None:
    print("\n== client (test API server in its own process, plain HTTP, loopback)")
    server = ServerProcess(package_dir)
    try:
        seed_config_map(server.kubeconfig, package_dir)
        bench_round_trips(report, server.kubeconfig, package_dir)
        bench_clientset(report, server.kubeconfig, package_dir, runs)
        bench_list(report, server.kubeconfig, package_dir, list_pods)
    finally:
        server.stop()


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] != "_worker":
        sys.exit(f"usage: {sys.argv[0]} _worker WHICH KUBECONFIG COUNT TAG")
    _, _, which_, kubeconfig_, count_, tag_ = sys.argv
    print(json.dumps(worker(which_, kubeconfig_, int(count_), tag_)))
