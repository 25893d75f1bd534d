"""A simulated cluster per test, fast: 50 simulated seconds per real one."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from ..conftest import Client

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

T = TypeVar("T")
SCALE = 50.0


def eventually(check: Callable[[], T | None], timeout: float = 10.0) -> T:
    """Poll ``check`` until it returns something truthy (and return that)."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.02)
    raise AssertionError(f"not reached in {timeout}s; last: {last!r}")


@pytest.fixture
def sim_server(generated: Path) -> Iterator[ApiServer]:
    from kubeclient.testing import ApiServer

    with ApiServer(simulate=True, time_scale=SCALE) as api:
        yield api
        assert api.simulation is not None
        assert api.simulation.errors == []


@pytest.fixture
def sim(sim_server: ApiServer) -> Client:
    return Client(sim_server)


def labelled_deployment(
    name: str, replicas: int = 2, image: str = "nginx:1.25", **spec: Any
) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
            **spec,
        },
    }


def bare_pod(name: str, **spec: Any) -> dict[str, Any]:
    annotations = spec.pop("annotations", None)
    meta: dict[str, Any] = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}], **spec},
    }
