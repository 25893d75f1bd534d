"""Building kubeconfigs, service accounts and exec plugin settings for the tests."""

from __future__ import annotations

import base64
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.runtime.config import (
    Config,
    ConfigError,
    load_kube_config,
)

DATA = Path(__file__).parent.parent / "data" / "config"
PLUGIN = DATA / "fake_exec_plugin.py"
V1 = "client.authentication.k8s.io/v1"
V1BETA1 = "client.authentication.k8s.io/v1beta1"
INSTALL_HINT = "Install the fake plugin with: pip install fake-cloud-auth"

# Marker secrets: none may ever appear in a repr, str or error message.
TOKEN = "tok-SECRET-7f3a9c"
PASSWORD = "pw-SECRET-41d2"
KEY_PEM = (
    "-----BEGIN PRIVATE KEY-----\nS0VZLVNFQ1JFVC1kYXRh\n-----END PRIVATE KEY-----\n"
)
CERT_PEM = (
    "-----BEGIN CERTIFICATE-----\nQ0VSVC1TRUNSRVQtZGF0YQ==\n-----END CERTIFICATE-----\n"
)
SECRETS = (TOKEN, PASSWORD, "S0VZLVNFQ1JFVC1kYXRh", "Q0VSVC1TRUNSRVQtZGF0YQ==")


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.b64encode(raw).decode("ascii")


def assert_no_secrets(text: str, *extra: str) -> None:
    for secret in (*SECRETS, *extra):
        assert secret not in text, f"secret {secret!r} leaked into: {text}"


def kubeconfig(
    cluster: dict[str, Any] | None = None,
    user: dict[str, Any] | None = None,
    namespace: str | None = None,
) -> dict[str, Any]:
    """One cluster "c1", one user "u1" (if given), current context "dev"."""
    context: dict[str, Any] = {"cluster": "c1"}
    if user is not None:
        context["user"] = "u1"
    if namespace is not None:
        context["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "dev",
        "clusters": [
            {"name": "c1", "cluster": cluster or {"server": "https://10.0.0.1:6443"}}
        ],
        "users": [{"name": "u1", "user": user}] if user is not None else [],
        "contexts": [{"name": "dev", "context": context}],
    }


def write(path: Path, document: dict[str, Any] | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = document if isinstance(document, str) else yaml.safe_dump(document)
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, document: dict[str, Any] | str) -> Config:
    return load_kube_config(write(tmp_path / "kubeconfig", document))


def load_error(tmp_path: Path, document: dict[str, Any] | str) -> str:
    """Load a kubeconfig that must fail; return the message after checking it."""
    path = write(tmp_path / "kubeconfig", document)
    with pytest.raises(ConfigError) as caught:
        load_kube_config(path)
    message = str(caught.value)
    assert str(path) in message, message
    assert_no_secrets(message)
    return message


def touch_later(path: Path) -> None:
    """Make sure a rewrite is visible in mtime even on coarse-grained filesystems."""
    status = path.stat()
    later = status.st_mtime_ns + 2_000_000_000
    os.utime(path, ns=(later, later))


# --- Test certificates (real ones, so ssl can load them) ----------------------------


@dataclass(frozen=True)
class Pki:
    ca_cert: Path
    client_cert: Path
    client_key: Path


def service_account(folder: Path, token: str = TOKEN, namespace: str = "team") -> Path:
    write(folder / "token", token)
    write(folder / "ca.crt", CERT_PEM)
    write(folder / "namespace", namespace + "\n")
    return folder


def exec_user(
    log: Path,
    *,
    api_version: str = V1,
    mode: str = "token",
    expiry: str | None = None,
    extra_env: dict[str, str] | None = None,
    **settings: Any,
) -> dict[str, Any]:
    env = {"FAKE_PLUGIN_LOG": str(log), "FAKE_PLUGIN_MODE": mode, **(extra_env or {})}
    if expiry is not None:
        env["FAKE_PLUGIN_EXPIRY"] = expiry
    spec: dict[str, Any] = {
        "apiVersion": api_version,
        "command": sys.executable,
        "args": [str(PLUGIN)],
        "env": [{"name": name, "value": value} for name, value in env.items()],
        "interactiveMode": "Never",
        "installHint": INSTALL_HINT,
    }
    spec.update(settings)
    return {"exec": spec}


def runs(log: Path) -> list[dict[str, Any]]:
    """What the fake plugin recorded, one entry per run."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def exec_config(tmp_path: Path, **options: Any) -> tuple[Config, Path]:
    log = tmp_path / "plugin.log"
    cluster = options.pop("cluster", None)
    config = load(tmp_path, kubeconfig(cluster=cluster, user=exec_user(log, **options)))
    return config, log
