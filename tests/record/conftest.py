"""Fixtures for the event recorder tests: a test API server with or without
events.k8s.io, a ClientSet on it, a fake clock, and polling helpers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

START = 1_780_000_000.0  # a fixed wall-clock moment (2026)


class FakeClock:
    """Unix seconds that move only when told."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def wait_until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """The first truthy value of ``check()``, polled until ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout}s: {check}")
        time.sleep(0.02)


def events_v1(cs: Any, namespace: str = "default") -> list[dict[str, Any]]:
    path = f"/apis/events.k8s.io/v1/namespaces/{namespace}/events"
    items: list[dict[str, Any]] = (
        cs.rest_client.get().abs_path(path).do().json()["items"]
    )
    return items


def core_events(cs: Any, namespace: str = "default") -> list[dict[str, Any]]:
    path = f"/api/v1/namespaces/{namespace}/events"
    items: list[dict[str, Any]] = (
        cs.rest_client.get().abs_path(path).do().json()["items"]
    )
    return items


def configmap(name: str = "app-config") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"a": "1"},
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(generated: Path) -> Iterator[Any]:
    from kubeclient.testing import ApiServer

    with ApiServer() as api:
        yield api


@pytest.fixture
def core_only_server(generated: Path) -> Iterator[Any]:
    """A server without events.k8s.io (as a cluster older than 1.19)."""
    from kubeclient._api import RESOURCES
    from kubeclient.testing import ApiServer

    kept = [r for r in RESOURCES if r.group != "events.k8s.io"]
    with ApiServer(resources=kept) as api:
        yield api


@pytest.fixture
def cs(server: Any) -> Iterator[Any]:
    from kubeclient import ClientSet

    with ClientSet(server.config()) as clients:
        yield clients


@pytest.fixture
def core_cs(core_only_server: Any) -> Iterator[Any]:
    from kubeclient import ClientSet

    with ClientSet(core_only_server.config()) as clients:
        yield clients
