"""In-cluster configuration and build_config_from_flags."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import generator.runtime.config as config_module
from generator.runtime.config import (
    ConfigError,
    build_config_from_flags,
    in_cluster_config,
)

from .helpers import (
    TOKEN,
    assert_no_secrets,
    kubeconfig,
    service_account,
    touch_later,
    write,
)


@pytest.mark.usefixtures("in_pod")
def test_in_cluster(tmp_path: Path) -> None:
    folder = service_account(tmp_path / "sa")
    config = in_cluster_config(base_dir=folder)
    assert config.host == "https://10.96.0.1:443"
    assert config.namespace == "team"
    assert config.ca_file == str(folder / "ca.crt")
    assert config.verify is True
    assert config.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert config.source == "in-cluster"
    assert_no_secrets(repr(config))


@pytest.mark.usefixtures("in_pod")
def test_in_cluster_uses_module_directory_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = service_account(tmp_path / "sa", namespace="from-constant")
    monkeypatch.setattr(config_module, "IN_CLUSTER_DIR", str(folder))
    assert in_cluster_config().namespace == "from-constant"


@pytest.mark.usefixtures("in_pod")
def test_in_cluster_token_rotation(tmp_path: Path) -> None:
    folder = service_account(tmp_path / "sa", token="old-token")
    config = in_cluster_config(base_dir=folder)
    assert config.auth_headers() == {"Authorization": "Bearer old-token"}
    (folder / "token").write_text("new-token")
    touch_later(folder / "token")
    assert config.auth_headers() == {"Authorization": "Bearer new-token"}


def test_in_cluster_ipv6_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    config = in_cluster_config(base_dir=service_account(tmp_path / "sa"))
    assert config.host == "https://[fd00:10:96::1]:443"


@pytest.mark.usefixtures("in_pod")
def test_in_cluster_namespace_defaults_and_pod_namespace_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = service_account(tmp_path / "sa")
    (folder / "namespace").unlink()
    assert in_cluster_config(base_dir=folder).namespace == "default"
    monkeypatch.setenv("POD_NAMESPACE", "downward")
    assert in_cluster_config(base_dir=folder).namespace == "downward"


@pytest.mark.usefixtures("in_pod")
def test_in_cluster_without_ca_uses_system_roots(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = service_account(tmp_path / "sa")
    (folder / "ca.crt").unlink()
    with caplog.at_level(logging.WARNING):
        config = in_cluster_config(base_dir=folder)
    assert config.ca_file is None and config.verify is True
    assert "ca.crt" in caplog.text


@pytest.mark.usefixtures("in_pod")
def test_in_cluster_without_token(tmp_path: Path) -> None:
    folder = tmp_path / "sa"
    folder.mkdir()
    with pytest.raises(ConfigError) as caught:
        in_cluster_config(base_dir=folder)
    assert str(caught.value) == f"in-cluster: token: no such file {folder / 'token'}"


def test_not_in_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")  # port missing
    with pytest.raises(ConfigError) as caught:
        in_cluster_config(base_dir=service_account(tmp_path / "sa"))
    message = str(caught.value)
    assert message.startswith("in-cluster: ")
    assert "KUBERNETES_SERVICE_PORT" in message and "not running" in message


# --- build_config_from_flags -----------------------------------------------------------------


@pytest.mark.usefixtures("in_pod")
def test_flags_empty_prefers_in_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        config_module, "IN_CLUSTER_DIR", str(service_account(tmp_path / "sa"))
    )
    monkeypatch.setenv("KUBECONFIG", str(write(tmp_path / "kc", kubeconfig())))
    assert build_config_from_flags().source == "in-cluster"


def test_flags_empty_falls_back_to_kubeconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "kc", kubeconfig(namespace="fallback"))
    monkeypatch.setenv("KUBECONFIG", str(path))
    config = build_config_from_flags()
    assert (config.namespace, config.source) == ("fallback", str(path))


def test_flags_empty_and_nothing_available(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        build_config_from_flags()
    message = str(caught.value)
    assert ".kube" in message and "in-cluster" in message


def test_flags_master_only_reads_no_kubeconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "kc", kubeconfig(user={"token": TOKEN}))
    monkeypatch.setenv("KUBECONFIG", str(path))
    config = build_config_from_flags(master_url="https://master.example:6443/")
    assert config.host == "https://master.example:6443"
    assert config.auth_headers() == {}


def test_flags_kubeconfig_with_master_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "kc", kubeconfig(user={"token": TOKEN}, namespace="ns"))
    monkeypatch.setenv("KUBECONFIG", str(write(tmp_path / "env", kubeconfig())))
    config = build_config_from_flags("https://override:443", str(path))
    assert config.host == "https://override:443"
    assert config.namespace == "ns"
    assert config.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert config.source == str(path)


def test_flags_kubeconfig_only(tmp_path: Path) -> None:
    path = write(tmp_path / "kc", kubeconfig(namespace="only"))
    assert build_config_from_flags(kubeconfig_path=str(path)).namespace == "only"


def test_flags_master_with_context_less_kubeconfig(tmp_path: Path) -> None:
    document = kubeconfig()
    del document["current-context"]
    path = write(tmp_path / "kc", document)
    config = build_config_from_flags("https://m:6443", str(path))
    assert (config.host, config.auth_headers()) == ("https://m:6443", {})


# --- Exec credential plugins -------------------------------------------------------------
