"""Fixtures for the sample-controller's end-to-end tests: a test API server serving
the Foo CRD, clients on it, replicas run in threads, and a log of who synced what."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from ..conftest import REPO

if TYPE_CHECKING:
    from kubeclient import Context
    from kubeclient.testing import ApiServer

    from examples.sample_controller import Replica
    from examples.sample_controller.controller import SyncResult

CRD = REPO / "specs" / "sample-controller" / "foo-crd.yaml"

#: Leases short enough for tests: a dead replica's work moves within ~2.2 s.
FAST_LEASES: dict[str, Any] = {
    "lease_duration": 2.0,
    "renew_deadline": 1.0,
    "retry_period": 0.2,
}
#: How soon a dead holder's Leases must have moved, in the tests. By design within
#: lease duration + retry period of the last renewal a candidate saw; it sees it
#: up to one (jittered, x1.2) retry period late, and a loaded shared machine
#: delays threads: a second more. Still well short of two lease durations (what
#: a candidate that started watching only after the death would need).
TAKEOVER_LIMIT = (
    FAST_LEASES["lease_duration"] + 2 * 1.2 * FAST_LEASES["retry_period"] + 1.0
)


def wait_until(check: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
    """Poll ``check`` until it returns something truthy (and return that)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception as err:  # NotFound while the controller catches up
            result, last = None, err
        else:
            last = None  # type: ignore[assignment]
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out waiting for {what or check}: {last or result!r}"
            )
        time.sleep(0.02)


def create_crd(server: ApiServer) -> None:
    import kubeclient
    from kubeclient import ClientSet

    crd: Any = kubeclient.from_dict(yaml.safe_load(CRD.read_text()))
    with ClientSet(server.config()) as cs:
        cs.apiextensions_v1.custom_resource_definitions().create(crd)


@pytest.fixture(scope="module")
def server(generated: Path) -> Iterator[ApiServer]:
    from kubeclient.testing import ApiServer

    # a simulated cluster: the Deployments the controller makes really roll out
    with ApiServer(simulate=True, time_scale=20) as api:
        create_crd(api)
        yield api


@pytest.fixture(scope="module")
def kube(server: ApiServer) -> Iterator[Any]:
    from kubeclient import ClientSet

    with ClientSet(server.config()) as cs:
        yield cs


@pytest.fixture(scope="module")
def sample(server: ApiServer) -> Any:
    from examples.sample_controller.samplecontroller import ClientSet

    with ClientSet(server.config()) as cs:
        yield cs


_namespaces = iter(range(1_000_000))


@pytest.fixture
def namespace(kube: Any) -> str:
    """A fresh namespace per test: tests sharing a server stay apart."""
    from kubeclient.models.core_v1 import Namespace
    from kubeclient.models.meta_v1 import ObjectMeta

    name = f"test-{next(_namespaces)}"
    kube.core_v1.namespaces().create(Namespace(metadata=ObjectMeta(name=name)))
    return name


def foo(name: str, deployment: str | None = None, replicas: int | None = 1) -> Any:
    from examples.sample_controller.samplecontroller.models.samplecontroller_v1alpha1 import (
        Foo,
    )

    spec: dict[str, Any] = {"deploymentName": deployment or name}
    if replicas is not None:
        spec["replicas"] = replicas
    return Foo.from_dict({"metadata": {"name": name}, "spec": spec})


@dataclass(frozen=True)
class Sync:
    identity: str
    shard: int | None
    result: SyncResult


@dataclass
class SyncLog:
    """Every sync of every replica of a test, thread-safe."""

    syncs: list[Sync] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, identity: str, shard: int | None, result: SyncResult) -> None:
        with self.lock:
            self.syncs.append(Sync(identity, shard, result))

    def snapshot(self) -> list[Sync]:
        with self.lock:
            return list(self.syncs)

    def who_synced(self, key: str, ok: bool = True) -> set[str]:
        return {
            s.identity
            for s in self.snapshot()
            if s.result.key == key and s.result.ok == ok
        }

    def assert_one_at_a_time(self) -> None:
        """No key was ever being synced by two replicas at once."""
        by_key: dict[str, list[Sync]] = {}
        for sync in self.snapshot():
            by_key.setdefault(sync.result.key, []).append(sync)
        for key, syncs in by_key.items():
            syncs.sort(key=lambda s: s.result.started)
            for before, after in itertools.pairwise(syncs):
                if before.identity != after.identity:
                    assert (
                        before.result.finished <= after.result.started
                    ), f"{key} synced by {before.identity} and {after.identity} at once"


@dataclass
class Running:
    replica: Replica
    ctx: Context
    thread: threading.Thread

    def stop(self) -> None:
        """A clean exit: Leases given back (if the replica was told to)."""
        self.ctx.cancel()
        self.thread.join(15)
        assert not self.thread.is_alive(), f"{self.replica} did not stop"


@pytest.fixture
def start_replica(server: ApiServer) -> Iterator[Callable[..., Running]]:
    """start_replica(identity, **options) runs a Replica in a thread; all are
    stopped at the end of the test."""
    from kubeclient import Context

    from examples.sample_controller import Options, Replica

    started: list[Running] = []

    def start(identity: str, log: SyncLog | None = None, **options: Any) -> Running:
        replica = Replica(
            server.config(), Options(identity=identity, **options), on_synced=log
        )
        ctx = Context()
        thread = threading.Thread(
            target=replica.run, args=(ctx,), name=identity, daemon=True
        )
        thread.start()
        running = Running(replica, ctx, thread)
        started.append(running)
        return running

    yield start
    for running in started:
        running.ctx.cancel()
    for running in started:
        running.thread.join(15)
