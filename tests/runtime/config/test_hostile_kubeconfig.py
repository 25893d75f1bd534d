"""Kubeconfigs built to stall or crash a loader: each refused quickly, as a
ConfigError naming the file (and the field), never a raw Python exception."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import generator.runtime.config.kubeconfig_yaml as kubeconfig_yaml_module
from generator.runtime.config import (
    Config,
    ConfigError,
    build_config_from_flags,
    in_cluster_config,
    load_kube_config,
)

from .helpers import (
    PASSWORD,
    TOKEN,
    exec_user,
    kubeconfig,
    load,
    load_error,
    service_account,
    write,
)


def billion_laughs(indent: str) -> str:
    """~500 bytes: nine levels of anchors, each aliasing the previous ten times."""
    lines = [f'{indent}l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        aliases = ",".join([f"*l{level - 1}"] * 10)
        lines.append(f"{indent}l{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


CLUSTER_WITH_EXTENSION = """\
current-context: dev
contexts:
- {name: dev, context: {cluster: c1}}
clusters:
- name: c1
  cluster:
    server: https://k8s:6443
    extensions:
    - name: client.authentication.k8s.io/exec
      extension:
"""


@pytest.mark.parametrize(
    "text",
    [
        # Walked when the exec extension is read: this stalled for minutes.
        CLUSTER_WITH_EXTENSION + billion_laughs("        "),
        # Never read at all: still refused, as go-yaml refuses it.
        "current-context: dev\npreferences:\n" + billion_laughs("  "),
    ],
    ids=["in-an-extension", "in-an-unused-field"],
)
def test_billion_laughs_is_refused_quickly(tmp_path: Path, text: str) -> None:
    started = time.monotonic()
    message = load_error(tmp_path, text)
    assert time.monotonic() - started < 1
    assert message.startswith(f"{tmp_path / 'kubeconfig'}: refused: excessive aliasing")


def test_alias_containing_itself_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, "current-context: dev\nloop: &loop [1, *loop]\n")
    assert "excessive aliasing" in message and "contains itself" in message


def test_a_few_legitimate_aliases_still_load(tmp_path: Path) -> None:
    text = f"""\
current-context: dev
common: &common {{server: "https://k8s:6443", tls-server-name: api.internal}}
contexts:
- name: dev
  context: &ctx {{cluster: c1, user: u1, namespace: team}}
- name: prod
  context: *ctx
clusters:
- name: c1
  cluster:
    <<: *common
    proxy-url: http://proxy:3128
users:
- name: u1
  user: {{token: {TOKEN}}}
"""
    config = load(tmp_path, text)
    assert config.host == "https://k8s:6443"
    assert (config.tls_server_name, config.proxy_url) == (
        "api.internal",
        "http://proxy:3128",
    )
    assert config.namespace == "team"
    assert config.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}


def test_deeply_nested_yaml(tmp_path: Path) -> None:
    text = CLUSTER_WITH_EXTENSION + "        deep: " + "[" * 5000 + "]" * 5000 + "\n"
    message = load_error(tmp_path, text)
    assert (
        message == f"{tmp_path / 'kubeconfig'}: refused: the YAML is nested too deeply"
    )


def test_huge_kubeconfig_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kubeconfig_yaml_module, "MAX_KUBECONFIG_BYTES", 1024 * 1024)
    text = "current-context: dev\n" + "# padding\n" * 110_000
    message = load_error(tmp_path, text)
    assert message.endswith("refused: larger than 1 MiB, which no kubeconfig needs")


# --- Malformed URLs -----------------------------------------------------------------


@pytest.mark.parametrize(
    "server",
    ["https://[::1", "https://[::1]:99999", "https://k8s:port", "https://k 8s:6443"],
)
def test_malformed_server_url(tmp_path: Path, server: str) -> None:
    # Before: "https://[::1" raised a raw ValueError from urlsplit.
    message = load_error(tmp_path, kubeconfig(cluster={"server": server}))
    assert message == (
        f"{tmp_path / 'kubeconfig'}: clusters[name=c1].cluster.server: "
        f"{server!r} is not a valid server URL"
    )


def test_malformed_server_url_hides_its_password(tmp_path: Path) -> None:
    server = f"https://admin:{PASSWORD}@[::1"
    message = load_error(tmp_path, kubeconfig(cluster={"server": server}))
    assert "'https://<redacted>@[::1' is not a valid server URL" in message


def test_malformed_master_url() -> None:
    with pytest.raises(ConfigError) as caught:
        build_config_from_flags("https://[::1")
    assert str(caught.value) == "master_url: 'https://[::1' is not a valid server URL"


def test_malformed_master_url_over_a_kubeconfig(tmp_path: Path) -> None:
    path = write(tmp_path / "kubeconfig", kubeconfig())
    with pytest.raises(ConfigError, match="^master_url: 'http://\\[::1'"):
        build_config_from_flags("http://[::1", str(path))


@pytest.mark.parametrize(
    "proxy", ["http://[::1", "http://proxy:port", f"http://u:{PASSWORD}@[::1"]
)
def test_malformed_proxy_url(tmp_path: Path, proxy: str) -> None:
    cluster = {"server": "https://k8s:6443", "proxy-url": proxy}
    message = load_error(tmp_path, kubeconfig(cluster=cluster))
    assert "clusters[name=c1].cluster.proxy-url: " in message
    assert "is not a valid proxy URL" in message


def test_repr_of_a_config_with_malformed_urls() -> None:
    config = Config(host="https://[::1", proxy_url=f"http://u:{PASSWORD}@[::1")
    text = repr(config)
    assert "host='https://[::1'" in text
    assert "proxy_url='http://<redacted>@[::1'" in text


def test_malformed_in_cluster_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "[fd00::1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    with pytest.raises(ConfigError) as caught:
        in_cluster_config(base_dir=service_account(tmp_path / "sa"))
    assert str(caught.value).startswith(
        "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT: "
        "'https://[fd00::1:443' is not a valid server URL"
    )


# --- Values no file name, header or process can hold ------------------------------------


@pytest.mark.parametrize(
    ("user", "field"),
    [
        ({"tokenFile": "to\x00ken"}, "tokenFile"),
        ({"client-certificate": "a\x00.crt", "client-key": "/"}, "client-certificate"),
        ({"token": "tok\ud800en"}, "token"),
        ({"username": "\udcff", "password": "x"}, "username"),
    ],
    ids=["nul-in-token-file", "nul-in-cert-path", "surrogate-token", "surrogate-name"],
)
def test_unusable_user_values(tmp_path: Path, user: dict[str, Any], field: str) -> None:
    message = load_error(tmp_path, kubeconfig(user=user))
    assert f"users[name=u1].user.{field}: " in message


@pytest.mark.parametrize("token", [f"{TOKEN}\r\nX-Injected: yes", "t\u00f6ken"])
def test_token_that_no_header_can_carry(tmp_path: Path, token: str) -> None:
    # Before: sent as is (a header injection) or a raw UnicodeEncodeError later.
    message = load_error(tmp_path, kubeconfig(user={"token": token}))
    assert message.endswith(
        "users[name=u1].user.token: holds a character a bearer token cannot "
        "(only printable ASCII can be sent)"
    )
    assert "X-Injected" not in message


def test_token_file_that_no_header_can_carry(tmp_path: Path) -> None:
    write(tmp_path / "token", f"{TOKEN}\nX-Injected: yes\n")
    message = load_error(tmp_path, kubeconfig(user={"tokenFile": "token"}))
    assert "users[name=u1].user.tokenFile: token file " in message
    assert message.endswith(
        "holds a character a bearer token cannot (only printable ASCII can be sent)"
    )


def test_nul_in_certificate_authority_path(tmp_path: Path) -> None:
    cluster = {"server": "https://k8s:6443", "certificate-authority": "/ca\x00.crt"}
    message = load_error(tmp_path, kubeconfig(cluster=cluster))
    assert "clusters[name=c1].cluster.certificate-authority: " in message
    assert "is not a usable file name" in message


def test_surrogate_in_exec_args(tmp_path: Path) -> None:
    user = exec_user(tmp_path / "plugin.log", args=["--x=\ud800"])
    message = load_error(tmp_path, kubeconfig(user=user))
    assert "users[name=u1].user.exec.args[0]: is not valid Unicode text" in message


def test_kubeconfig_path_with_nul() -> None:
    with pytest.raises(ConfigError, match="is not a usable file name"):
        load_kube_config("kube\x00config")


@pytest.mark.parametrize(
    "extension",
    ["!!binary aGVsbG8=", "{when: !!timestamp 2001-12-14}", "{ratio: .nan}"],
)
def test_exec_extension_that_is_not_json(tmp_path: Path, extension: str) -> None:
    # Before: a TypeError from json.dumps on the first request.
    text = CLUSTER_WITH_EXTENSION.replace(
        "      extension:\n", f"      extension: {extension}\n"
    )
    message = load_error(tmp_path, text)
    assert message == (
        f"{tmp_path / 'kubeconfig'}: clusters[name=c1].cluster.extensions[0]."
        "extension: is not plain JSON-compatible data"
    )
