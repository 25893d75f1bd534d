"""Fixtures of the config tests: a clean environment, real test certificates."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import generator.runtime.config as config_module

from .helpers import (
    Pki,
)


@pytest.fixture(autouse=True)
def clean_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    for name in (
        "KUBECONFIG",
        "KUBERNETES_SERVICE_HOST",
        "KUBERNETES_SERVICE_PORT",
        "POD_NAMESPACE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(config_module, "IN_CLUSTER_DIR", str(tmp_path / "no-sa"))
    yield


# --- Building kubeconfigs ----------------------------------------------------------


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    new_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    commands = [
        f"req -x509 {new_key} -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca",
        f"req {new_key} -keyout client.key -out client.csr -subj /CN=admin",
        "x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
        " -out client.crt -days 2",
    ]
    for command in commands:
        done = subprocess.run(
            ["openssl", *command.split()], cwd=folder, capture_output=True, check=False
        )
        if done.returncode != 0:
            pytest.fail(f"openssl {command} failed: {done.stderr.decode()}")
    return Pki(folder / "ca.crt", folder / "client.crt", folder / "client.key")


# --- Cluster and user shapes ---------------------------------------------------------


@pytest.fixture
def in_pod(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
