"""Tests for generator/runtime/config.py: kubeconfig, in-cluster, exec plugins.

Every test runs with an empty environment for Kubernetes (no KUBECONFIG, no
in-cluster variables, HOME in a temp folder), so nothing on this machine leaks in.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import ssl
import stat
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import generator.runtime.config as config_module
import generator.runtime.config.exec_plugin as exec_plugin_module
from generator.runtime.config import (
    BearerToken,
    Config,
    ConfigError,
    ExecPlugin,
    TokenFile,
    build_config_from_flags,
    in_cluster_config,
    load_kube_config,
)

DATA = Path(__file__).parent / "data" / "config"
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


def test_token_user(tmp_path: Path) -> None:
    config = load(tmp_path, kubeconfig(user={"token": TOKEN}))
    assert config.host == "https://10.0.0.1:6443"
    assert config.namespace == "default"
    assert config.verify is True
    assert config.ca_file is None
    assert config.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert config.client_cert() is None
    assert (config.context, config.cluster, config.user) == ("dev", "c1", "u1")
    assert config.source == str(tmp_path / "kubeconfig")
    assert config.refresh_after_unauthorized() is False


def test_basic_auth(tmp_path: Path) -> None:
    config = load(
        tmp_path, kubeconfig(user={"username": "admin", "password": PASSWORD})
    )
    header = config.auth_headers()["Authorization"]
    assert header.startswith("Basic ")
    assert base64.b64decode(header[6:]).decode() == f"admin:{PASSWORD}"
    assert config.auth is None


def test_anonymous_when_context_has_no_user(tmp_path: Path) -> None:
    config = load(tmp_path, kubeconfig())
    assert config.auth_headers() == {}
    assert config.client_cert() is None
    assert config.user is None


def test_client_certificate_files(tmp_path: Path) -> None:
    write(tmp_path / "pki" / "admin.crt", CERT_PEM)
    write(tmp_path / "pki" / "admin.key", KEY_PEM)
    user = {"client-certificate": "pki/admin.crt", "client-key": "pki/admin.key"}
    config = load(tmp_path, kubeconfig(user=user))
    expected = (
        str(tmp_path / "pki" / "admin.crt"),
        str(tmp_path / "pki" / "admin.key"),
    )
    assert (config.client_cert_file, config.client_key_file) == expected
    assert config.client_cert() == expected
    assert config.auth_headers() == {}


def test_client_certificate_data_is_written_to_private_files(
    tmp_path: Path, pki: Pki
) -> None:
    user = {
        "client-certificate-data": b64(pki.client_cert.read_bytes()),
        "client-key-data": b64(pki.client_key.read_bytes()),
    }
    cluster = {
        "server": "https://10.0.0.1:6443",
        "certificate-authority-data": b64(pki.ca_cert.read_bytes()),
    }
    config = load(tmp_path, kubeconfig(cluster=cluster, user=user))
    pair = config.client_cert()
    assert pair is not None and config.ca_file is not None
    cert_path, key_path = pair
    assert Path(cert_path).read_bytes() == pki.client_cert.read_bytes()
    assert Path(key_path).read_bytes() == pki.client_key.read_bytes()
    assert Path(config.ca_file).read_bytes() == pki.ca_cert.read_bytes()
    for path in (cert_path, key_path, config.ca_file):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # The files are usable as they are by Python's ssl, which is what requests uses.
    context = ssl.create_default_context(cafile=config.ca_file)
    context.load_cert_chain(cert_path, key_path)


def test_certificate_authority_data_wrapped_over_lines(tmp_path: Path) -> None:
    encoded = b64(CERT_PEM)
    wrapped = "\n".join(encoded[i : i + 16] for i in range(0, len(encoded), 16))
    text = yaml.safe_dump(kubeconfig()).replace(
        "server: https://10.0.0.1:6443",
        "server: https://10.0.0.1:6443\n    certificate-authority-data: |\n"
        + "\n".join("      " + line for line in wrapped.splitlines()),
    )
    config = load(tmp_path, text)
    assert config.ca_file is not None
    assert Path(config.ca_file).read_text() == CERT_PEM


def test_certificate_authority_file_relative_to_kubeconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "conf" / "ca.crt", CERT_PEM)
    cluster = {"server": "https://k8s:6443", "certificate-authority": "ca.crt"}
    path = write(tmp_path / "conf" / "kubeconfig", kubeconfig(cluster=cluster))
    monkeypatch.chdir(tmp_path)  # a different folder: must not matter
    config = load_kube_config(path)
    assert config.ca_file == str(tmp_path / "conf" / "ca.crt")
    assert config.verify is True


def test_insecure_skip_tls_verify(tmp_path: Path) -> None:
    cluster = {"server": "https://10.0.0.1:6443", "insecure-skip-tls-verify": True}
    config = load(tmp_path, kubeconfig(cluster=cluster, user={"token": TOKEN}))
    assert config.verify is False
    assert config.ca_file is None
    assert config.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}


def test_tls_server_name_and_proxy_url(tmp_path: Path) -> None:
    cluster = {
        "server": "https://10.0.0.1:6443",
        "tls-server-name": "kubernetes.default.svc",
        "proxy-url": "socks5://proxy.internal:1080",
    }
    config = load(tmp_path, kubeconfig(cluster=cluster))
    assert config.tls_server_name == "kubernetes.default.svc"
    assert config.proxy_url == "socks5://proxy.internal:1080"


def test_namespace_from_context(tmp_path: Path) -> None:
    assert load(tmp_path, kubeconfig(namespace="apps")).namespace == "apps"


@pytest.mark.parametrize(
    ("server", "host"),
    [
        ("https://10.0.0.1:6443/", "https://10.0.0.1:6443"),
        ("https://k8s.example/prefix/path/", "https://k8s.example/prefix/path"),
        ("https://[fd00::1]:6443", "https://[fd00::1]:6443"),
        ("https://k8s.example:6443?ignored=1#frag", "https://k8s.example:6443"),
    ],
)
def test_host_normalized(tmp_path: Path, server: str, host: str) -> None:
    assert load(tmp_path, kubeconfig(cluster={"server": server})).host == host


@pytest.mark.parametrize("server", ["10.0.0.1:6443", "http://10.0.0.1:8080"])
def test_plain_http_server_gets_no_credentials(tmp_path: Path, server: str) -> None:
    # client-go: a server without a scheme is http, and credentials and TLS
    # settings are only applied for https.
    write(tmp_path / "ca.crt", CERT_PEM)
    cluster = {"server": server, "certificate-authority": "ca.crt"}
    config = load(tmp_path, kubeconfig(cluster=cluster, user={"token": TOKEN}))
    assert config.host.startswith("http://10.0.0.1:")
    assert config.auth_headers() == {}
    assert config.ca_file is None


def test_unsupported_server_scheme(tmp_path: Path) -> None:
    message = load_error(tmp_path, kubeconfig(cluster={"server": "ftp://k8s:21"}))
    assert "clusters[name=c1].cluster.server" in message
    assert "ftp" in message


def test_scalars_keep_their_text(tmp_path: Path) -> None:
    # YAML 1.1 would read these as octal 83, 1000.0 and True; client-go keeps text.
    text = (
        "current-context: dev\n"
        "clusters: [{name: c1, cluster: {server: 'https://k8s:6443'}}]\n"
        "users: [{name: u1, user: {username: yes, password: 1e3, token: }}]\n"
        "contexts: [{name: dev, context: {cluster: c1, user: u1, namespace: 0123}}]\n"
    )
    config = load(tmp_path, text)
    assert (config.username, config.password, config.namespace) == (
        "yes",
        "1e3",
        "0123",
    )


@pytest.mark.parametrize(("spelling", "verify"), [("yes", False), ("off", True)])
def test_yaml_11_booleans(tmp_path: Path, spelling: str, verify: bool) -> None:
    text = yaml.safe_dump(kubeconfig()).replace(
        "server: https", f"insecure-skip-tls-verify: {spelling}\n    server: https"
    )
    assert load(tmp_path, text).verify is verify


def test_json_kubeconfig(tmp_path: Path) -> None:
    config = load(tmp_path, json.dumps(kubeconfig(user={"token": TOKEN})))
    assert config.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}


def test_exec_ignored_when_kubeconfig_gives_a_token(tmp_path: Path) -> None:
    log = tmp_path / "plugin.log"
    user = {"token": TOKEN, **exec_user(log)}
    config = load(tmp_path, kubeconfig(user=user))
    assert config.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert not log.exists()


# --- Context selection ---------------------------------------------------------------


def two_contexts() -> dict[str, Any]:
    document = kubeconfig(user={"token": TOKEN})
    document["clusters"].append({"name": "c2", "cluster": {"server": "https://c2:443"}})
    document["contexts"].append(
        {"name": "prod", "context": {"cluster": "c2", "namespace": "live"}}
    )
    return document


def test_explicit_context_overrides_current_context(tmp_path: Path) -> None:
    path = write(tmp_path / "kubeconfig", two_contexts())
    config = load_kube_config(path, context="prod")
    assert (config.host, config.namespace, config.context) == (
        "https://c2:443",
        "live",
        "prod",
    )
    assert config.auth_headers() == {}
    assert load_kube_config(path).context == "dev"


def test_unknown_explicit_context(tmp_path: Path) -> None:
    path = write(tmp_path / "kubeconfig", two_contexts())
    with pytest.raises(ConfigError) as caught:
        load_kube_config(path, context="staging")
    message = str(caught.value)
    assert str(path) in message and "'staging'" in message
    assert "dev, prod" in message


def test_missing_current_context(tmp_path: Path) -> None:
    document = two_contexts()
    del document["current-context"]
    message = load_error(tmp_path, document)
    assert "current-context: not set" in message
    assert "dev, prod" in message


def test_current_context_names_undefined_context(tmp_path: Path) -> None:
    document = kubeconfig()
    document["current-context"] = "gone"
    assert "current-context: names context 'gone'" in load_error(tmp_path, document)


def test_context_names_undefined_cluster(tmp_path: Path) -> None:
    document = kubeconfig()
    document["contexts"][0]["context"]["cluster"] = "nowhere"
    message = load_error(tmp_path, document)
    assert "contexts[name=dev].context.cluster: names cluster 'nowhere'" in message


def test_context_names_undefined_user(tmp_path: Path) -> None:
    document = kubeconfig()
    document["contexts"][0]["context"]["user"] = "nobody"
    message = load_error(tmp_path, document)
    assert "contexts[name=dev].context.user: names user 'nobody'" in message


def test_context_without_cluster(tmp_path: Path) -> None:
    document = kubeconfig()
    document["contexts"][0]["context"] = {"namespace": "x"}
    assert "contexts[name=dev].context.cluster: not set" in load_error(
        tmp_path, document
    )


def test_empty_kubeconfig_file(tmp_path: Path) -> None:
    assert "current-context: not set" in load_error(tmp_path, "")


# --- Which files, and merging them -----------------------------------------------------


def test_default_path_is_home_kube_config(tmp_path: Path) -> None:
    write(tmp_path / "home" / ".kube" / "config", kubeconfig(namespace="from-home"))
    config = load_kube_config()
    assert config.namespace == "from-home"
    assert config.source == str(tmp_path / "home" / ".kube" / "config")


def test_no_kubeconfig_anywhere(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_kube_config()
    assert str(tmp_path / "home" / ".kube" / "config") in str(caught.value)


def test_kubeconfig_env_used_over_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "home" / ".kube" / "config", kubeconfig(namespace="from-home"))
    env_file = write(tmp_path / "env.yaml", kubeconfig(namespace="from-env"))
    monkeypatch.setenv("KUBECONFIG", str(env_file))
    assert load_kube_config().namespace == "from-env"


def test_empty_kubeconfig_env_means_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "home" / ".kube" / "config", kubeconfig(namespace="from-home"))
    monkeypatch.setenv("KUBECONFIG", "")
    assert load_kube_config().namespace == "from-home"


def test_explicit_path_wins_over_kubeconfig_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = write(tmp_path / "env.yaml", kubeconfig(namespace="from-env"))
    explicit = write(tmp_path / "explicit.yaml", kubeconfig(namespace="explicit"))
    monkeypatch.setenv("KUBECONFIG", str(env_file))
    assert load_kube_config(explicit).namespace == "explicit"


def test_explicit_path_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_kube_config(tmp_path / "absent")
    assert f"no such file {tmp_path / 'absent'}" in str(caught.value)


def test_first_file_wins_whole_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(tmp_path / "first.yaml", kubeconfig(user={"token": TOKEN}))
    second_doc = kubeconfig(
        cluster={"server": "https://second:6443"},
        user={"token": "second-token", "username": "ignored", "password": "x"},
        namespace="second",
    )
    second_doc["current-context"] = "other"
    second_doc["contexts"].append({"name": "other", "context": {"cluster": "c1"}})
    second = write(tmp_path / "second.yaml", second_doc)
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(first), str(second)]))
    config = load_kube_config()
    # Everything named in both comes from the first file, entry by entry: the
    # second user's extra username/password are not merged in.
    assert config.host == "https://10.0.0.1:6443"
    assert config.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert config.username is None
    assert (config.context, config.namespace) == ("dev", "default")
    assert config.source == os.pathsep.join([str(first), str(second)])
    # Names only the second file defines are still visible.
    other = load_kube_config(context="other")
    assert other.host == "https://10.0.0.1:6443"


def test_current_context_from_first_file_that_sets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_current = write(tmp_path / "a.yaml", {"clusters": [], "users": []})
    second = two_contexts()
    second["current-context"] = "prod"
    third = two_contexts()
    files = [no_current, write(tmp_path / "b.yaml", second)]
    files.append(write(tmp_path / "c.yaml", third))
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(map(str, files)))
    assert load_kube_config().context == "prod"


def test_missing_files_in_kubeconfig_env_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = write(tmp_path / "real.yaml", kubeconfig(namespace="real"))
    listed = [tmp_path / "gone1", real, tmp_path / "gone2", real]
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(map(str, listed)) + os.pathsep)
    config = load_kube_config()
    assert config.namespace == "real"
    assert config.source == str(real)  # listed twice, loaded once


def test_kubeconfig_env_with_no_existing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = os.pathsep.join([str(tmp_path / "gone1"), str(tmp_path / "gone2")])
    monkeypatch.setenv("KUBECONFIG", listed)
    with pytest.raises(ConfigError) as caught:
        load_kube_config()
    message = str(caught.value)
    assert "KUBECONFIG" in message and str(tmp_path / "gone2") in message


def test_bad_later_file_is_still_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = write(tmp_path / "good.yaml", kubeconfig())
    bad = write(tmp_path / "bad.yaml", "clusters: {c1: {}}\n")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(good), str(bad)]))
    with pytest.raises(ConfigError, match="bad.yaml: clusters: expected a list"):
        load_kube_config()


def test_relative_paths_resolve_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_a, team_b = DATA / "team-a" / "kubeconfig", DATA / "team-b" / "kubeconfig"
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(team_a), str(team_b)]))
    monkeypatch.chdir(tmp_path)
    config = load_kube_config()
    certs = DATA / "team-a" / "certs"
    assert config.host == "https://team-a.example:6443"  # first "shared" wins
    assert config.verify is True
    assert config.ca_file == str(certs / "ca.crt")
    assert config.client_cert() == (str(certs / "alice.crt"), str(certs / "alice.key"))
    assert config.namespace == "apps"
    other = load_kube_config(context="team-b")
    assert other.ca_file == str(DATA / "team-b" / "ca.crt")
    assert other.auth_headers() == {"Authorization": "Bearer bob-token-from-file"}


# --- Token files ---------------------------------------------------------------------------


def test_token_file_is_reread_when_it_changes(tmp_path: Path) -> None:
    token_file = write(tmp_path / "token", "first-token\n")
    config = load(tmp_path, kubeconfig(user={"tokenFile": "token"}))
    assert config.auth_headers() == {"Authorization": "Bearer first-token"}
    token_file.write_text("second-token")
    touch_later(token_file)
    assert config.auth_headers() == {"Authorization": "Bearer second-token"}


def test_token_file_replaced_by_rename(tmp_path: Path) -> None:
    # kubelet rotates projected tokens by swapping files, not rewriting in place.
    token_file = write(tmp_path / "token", "first-token")
    config = load(tmp_path, kubeconfig(user={"tokenFile": str(token_file)}))
    assert config.auth_headers() == {"Authorization": "Bearer first-token"}
    replacement = write(tmp_path / "token.new", "rotated-token")
    os.replace(replacement, token_file)
    assert config.auth_headers() == {"Authorization": "Bearer rotated-token"}


def test_refresh_after_unauthorized_rereads_token_file(tmp_path: Path) -> None:
    token_file = write(tmp_path / "token", "first-token")
    config = load(tmp_path, kubeconfig(user={"tokenFile": "token"}))
    assert config.auth_headers() == {"Authorization": "Bearer first-token"}
    before = token_file.stat()
    token_file.write_text("other-token")  # same length, mtime put back: stat equal
    os.utime(token_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert config.auth_headers() == {"Authorization": "Bearer first-token"}
    assert config.refresh_after_unauthorized() is True
    assert config.auth_headers() == {"Authorization": "Bearer other-token"}
    assert config.refresh_after_unauthorized() is False


def test_token_file_takes_precedence_over_token(tmp_path: Path) -> None:
    write(tmp_path / "token", "file-token")
    user = {"token": TOKEN, "tokenFile": "token"}
    config = load(tmp_path, kubeconfig(user=user))
    assert config.auth_headers() == {"Authorization": "Bearer file-token"}


def test_token_is_the_fallback_for_an_unreadable_token_file(tmp_path: Path) -> None:
    user = {"token": TOKEN, "tokenFile": "missing-token"}
    config = load(tmp_path, kubeconfig(user=user))
    assert config.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}


def test_last_good_token_kept_when_file_disappears(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token_file = write(tmp_path / "token", "first-token")
    config = load(tmp_path, kubeconfig(user={"tokenFile": "token"}))
    token_file.unlink()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert config.auth_headers() == {"Authorization": "Bearer first-token"}
        assert config.refresh_after_unauthorized() is False
    assert len(caplog.records) == 1  # warned once, not per request
    assert "users[name=u1].user.tokenFile: no such file" in caplog.text


def test_missing_token_file(tmp_path: Path) -> None:
    message = load_error(tmp_path, kubeconfig(user={"tokenFile": "nope"}))
    assert f"users[name=u1].user.tokenFile: no such file {tmp_path / 'nope'}" in message


def test_empty_token_file(tmp_path: Path) -> None:
    write(tmp_path / "token", "  \n")
    message = load_error(tmp_path, kubeconfig(user={"tokenFile": "token"}))
    assert "users[name=u1].user.tokenFile" in message and "empty" in message


# --- In-cluster ---------------------------------------------------------------------------


def service_account(folder: Path, token: str = TOKEN, namespace: str = "team") -> Path:
    write(folder / "token", token)
    write(folder / "ca.crt", CERT_PEM)
    write(folder / "namespace", namespace + "\n")
    return folder


@pytest.fixture
def in_pod(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")


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


@pytest.mark.parametrize("api_version", [V1, V1BETA1])
def test_exec_plugin_token(tmp_path: Path, api_version: str) -> None:
    config, log = exec_config(tmp_path, api_version=api_version)
    assert runs(log) == []  # nothing runs until credentials are needed
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}
    [seen] = runs(log)
    assert seen["info"] == {
        "apiVersion": api_version,
        "kind": "ExecCredential",
        "spec": {"interactive": False},
    }
    assert seen["argv"] == []


def test_exec_plugin_args_env_and_inherited_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INHERITED_VAR", "from-parent")
    monkeypatch.setenv("FAKE_PLUGIN_EXTRA", "overridden-by-kubeconfig")
    config, log = exec_config(
        tmp_path,
        args=[str(PLUGIN), "--region", "eu-west-1"],
        extra_env={"FAKE_PLUGIN_EXTRA": "from-kubeconfig"},
    )
    config.auth_headers()
    [seen] = runs(log)
    assert seen["argv"] == ["--region", "eu-west-1"]
    assert seen["env"] == {
        "FAKE_PLUGIN_EXTRA": "from-kubeconfig",
        "INHERITED_VAR": "from-parent",
    }


def test_exec_v1beta1_defaults_interactive_mode(tmp_path: Path) -> None:
    log = tmp_path / "plugin.log"
    user = exec_user(log, api_version=V1BETA1)
    del user["exec"]["interactiveMode"]
    config = load(tmp_path, kubeconfig(user=user))
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}


def test_exec_v1_requires_interactive_mode(tmp_path: Path) -> None:
    user = exec_user(tmp_path / "plugin.log")
    del user["exec"]["interactiveMode"]
    message = load_error(tmp_path, kubeconfig(user=user))
    assert "users[name=u1].user.exec.interactiveMode: missing" in message


def test_exec_interactive_always_needs_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # not a terminal, even with -s
    config, log = exec_config(tmp_path, interactiveMode="Always")
    with pytest.raises(ConfigError, match="not a terminal"):
        config.auth_headers()
    assert runs(log) == []


@pytest.mark.parametrize(
    ("mode", "interactive"), [("IfAvailable", True), ("Never", False)]
)
def test_exec_interactive_flag_with_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, interactive: bool
) -> None:
    monkeypatch.setattr(exec_plugin_module, "_stdin_is_terminal", lambda: True)
    config, log = exec_config(tmp_path, interactiveMode=mode)
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}
    assert runs(log)[0]["info"]["spec"] == {"interactive": interactive}


def test_exec_concurrent_requests_share_one_run(tmp_path: Path) -> None:
    config, log = exec_config(tmp_path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        headers = list(pool.map(lambda _: config.auth_headers(), range(16)))
    assert headers == [{"Authorization": "Bearer plugin-token-1"}] * 16
    assert len(runs(log)) == 1


def test_exec_credentials_cached_without_expiry(tmp_path: Path) -> None:
    config, log = exec_config(tmp_path)
    for _ in range(3):
        assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}
    assert len(runs(log)) == 1


def test_exec_credentials_cached_until_expiry(tmp_path: Path) -> None:
    config, log = exec_config(tmp_path, expiry="2999-01-01T00:00:00.123456789+02:00")
    for _ in range(3):
        assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}
    assert len(runs(log)) == 1


def test_exec_reruns_when_expired(tmp_path: Path) -> None:
    config, log = exec_config(tmp_path, expiry="2000-01-01T00:00:00Z")
    tokens = [config.auth_headers()["Authorization"] for _ in range(3)]
    assert tokens == [f"Bearer plugin-token-{run}" for run in (1, 2, 3)]
    assert len(runs(log)) == 3


def test_exec_refresh_after_unauthorized_reruns(tmp_path: Path) -> None:
    config, log = exec_config(tmp_path)
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}
    assert config.refresh_after_unauthorized() is True
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-2"}
    assert len(runs(log)) == 2


def test_exec_refresh_with_unchanged_token_says_no_retry(tmp_path: Path) -> None:
    config, log = exec_config(tmp_path, mode="same-token")
    config.auth_headers()
    assert config.refresh_after_unauthorized() is False
    assert len(runs(log)) == 2


def test_exec_provide_cluster_info(tmp_path: Path) -> None:
    cluster = {
        "server": "https://10.0.0.1:6443/",
        "certificate-authority-data": b64(CERT_PEM),
        "tls-server-name": "api.internal",
        "proxy-url": "http://proxy:3128",
        "extensions": [
            {"name": "unrelated", "extension": {"x": 1}},
            {
                "name": "client.authentication.k8s.io/exec",
                "extension": {"audience": "k8s", "retries": 3, "debug": True},
            },
        ],
    }
    config, log = exec_config(tmp_path, cluster=cluster, provideClusterInfo=True)
    config.auth_headers()
    [seen] = runs(log)
    assert seen["info"]["spec"]["cluster"] == {
        "server": "https://10.0.0.1:6443",
        "certificate-authority-data": b64(CERT_PEM),
        "tls-server-name": "api.internal",
        "proxy-url": "http://proxy:3128",
        "config": {"audience": "k8s", "retries": 3, "debug": True},
    }


def test_exec_cluster_info_reads_ca_file_and_follows_master_override(
    tmp_path: Path,
) -> None:
    write(tmp_path / "ca.crt", CERT_PEM)
    log = tmp_path / "plugin.log"
    cluster = {"server": "https://old:6443", "certificate-authority": "ca.crt"}
    user = exec_user(log, provideClusterInfo=True)
    path = write(tmp_path / "kc", kubeconfig(cluster=cluster, user=user))
    build_config_from_flags("https://new:6443", str(path)).auth_headers()
    [seen] = runs(log)
    assert seen["info"]["spec"]["cluster"] == {
        "server": "https://new:6443",
        "certificate-authority-data": b64(CERT_PEM),
    }


def test_exec_client_certificate(tmp_path: Path, pki: Pki) -> None:
    config, log = exec_config(
        tmp_path,
        mode="cert",
        extra_env={
            "FAKE_PLUGIN_CERT": str(pki.client_cert),
            "FAKE_PLUGIN_KEY": str(pki.client_key),
        },
    )
    assert config.auth_headers() == {}
    pair = config.client_cert()
    assert pair is not None
    assert Path(pair[0]).read_bytes() == pki.client_cert.read_bytes()
    assert Path(pair[1]).read_bytes() == pki.client_key.read_bytes()
    assert stat.S_IMODE(os.stat(pair[1]).st_mode) == 0o600
    ssl.create_default_context().load_cert_chain(*pair)
    assert len(runs(log)) == 1


def test_exec_failure_names_plugin_and_hint_without_secrets(tmp_path: Path) -> None:
    config, _ = exec_config(tmp_path, mode="fail")
    with pytest.raises(ConfigError) as caught:
        config.auth_headers()
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'kubeconfig'}: users[name=u1].user.exec: ")
    assert "failed with exit code 3" in message
    assert "could not log in to the fake cloud" in message  # stderr excerpt
    assert INSTALL_HINT in message


def test_exec_failure_never_repeats_a_known_token(tmp_path: Path) -> None:
    config, _ = exec_config(tmp_path, mode="fail-after-first")
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}
    with pytest.raises(ConfigError) as caught:
        config.refresh_after_unauthorized()
    message = str(caught.value)
    assert "plugin-token-1" not in message
    assert "previous token <redacted>" in message


def test_exec_command_not_found(tmp_path: Path) -> None:
    missing = str(tmp_path / "bin" / "no-such-plugin")
    config, _ = exec_config(tmp_path, command=missing)
    with pytest.raises(ConfigError) as caught:
        config.auth_headers()
    message = str(caught.value)
    assert "users[name=u1].user.exec" in message
    assert f"executable {missing} not found" in message
    assert INSTALL_HINT in message


def installed_plugin(folder: Path) -> Path:
    """The fake plugin as an executable file of its own, as real plugins are."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "fake-plugin"
    script.write_text(f"#!{sys.executable}\n" + PLUGIN.read_text())
    script.chmod(0o755)
    return script


def test_exec_relative_command_resolved_against_kubeconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed_plugin(tmp_path / "bin")
    config, _ = exec_config(tmp_path, command="./bin/fake-plugin", args=None)
    monkeypatch.chdir(tmp_path.parent)
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}


def test_exec_bare_command_found_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed_plugin(tmp_path / "on-path")
    monkeypatch.setenv(
        "PATH", f"{tmp_path / 'on-path'}{os.pathsep}{os.environ['PATH']}"
    )
    config, _ = exec_config(tmp_path, command="fake-plugin", args=[])
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}


def test_exec_warnings_on_stderr_are_passed_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = exec_config(tmp_path, mode="warn")
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}
    assert "fake plugin token expires soon" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("mode", "expiry", "problem"),
    [
        ("wrong-version", None, "plugin returned apiVersion"),
        ("garbage", None, "output is not JSON"),
        ("no-status", None, "output has no status object"),
        ("no-kind", None, "output kind is not ExecCredential"),
        ("cert-only", None, "a client certificate or key, not both"),
        ("token", "tomorrow", "expirationTimestamp 'tomorrow' is not an RFC 3339"),
    ],
)
def test_exec_bad_plugin_output(
    tmp_path: Path, pki: Pki, mode: str, expiry: str | None, problem: str
) -> None:
    config, _ = exec_config(
        tmp_path,
        mode=mode,
        expiry=expiry,
        extra_env={"FAKE_PLUGIN_CERT": str(pki.client_cert)},
    )
    with pytest.raises(ConfigError) as caught:
        config.auth_headers()
    message = str(caught.value)
    assert "users[name=u1].user.exec" in message and problem in message
    assert "plugin-token" not in message
    assert pki.client_cert.read_text().splitlines()[1] not in message


def test_exec_plugin_repr_hides_credentials(tmp_path: Path) -> None:
    config, _ = exec_config(tmp_path)
    config.auth_headers()
    for text in (repr(config), str(config), repr(config.auth)):
        assert "plugin-token-1" not in text
        assert "FAKE_PLUGIN" not in text  # env values may hold secrets too
    assert "ExecPlugin(command=" in repr(config)


# --- Secrets never shown -------------------------------------------------------------------


def test_repr_and_str_hide_every_secret(tmp_path: Path) -> None:
    user = {
        "username": "admin",
        "password": PASSWORD,
        "client-certificate-data": b64(CERT_PEM),
        "client-key-data": b64(KEY_PEM),
    }
    config = load(tmp_path, kubeconfig(user=user))
    config.auth = BearerToken(TOKEN)
    for text in (repr(config), str(config)):
        assert_no_secrets(text, KEY_PEM.splitlines()[1], CERT_PEM.splitlines()[1])
        assert "password=<redacted>" in text
        assert "BearerToken(token=<redacted>)" in text
        assert "username='admin'" in text


def test_passwords_in_urls_are_hidden(tmp_path: Path) -> None:
    cluster = {
        "server": "https://10.0.0.1:6443",
        "proxy-url": f"http://proxy-user:{PASSWORD}@proxy.internal:3128",
    }
    config = load(tmp_path, kubeconfig(cluster=cluster))
    assert config.proxy_url == cluster["proxy-url"]  # the transport needs it whole
    assert "proxy_url='http://proxy-user:<redacted>@proxy.internal:3128'" in repr(
        config
    )
    assert_no_secrets(repr(config))
    bad_server = {"server": f"ftp://admin:{PASSWORD}@k8s:21"}
    message = load_error(tmp_path, kubeconfig(cluster=bad_server))
    assert "'ftp://admin:<redacted>@k8s:21'" in message


def test_authenticator_reprs(tmp_path: Path) -> None:
    token_file = write(tmp_path / "token", TOKEN)
    plugin = ExecPlugin("aws", ["eks", "get-token", f"--secret={TOKEN}"], {"K": TOKEN})
    for authenticator in (BearerToken(TOKEN), TokenFile(str(token_file)), plugin):
        assert_no_secrets(repr(authenticator))
        assert_no_secrets(str(authenticator))
        assert "<redacted>" in repr(authenticator)


def test_config_built_by_hand() -> None:
    config = Config(host="https://k8s:6443", auth=BearerToken(TOKEN))
    assert config.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert config.timeout == (10.0, 60.0)
    assert "Python" in config.user_agent


# --- A battery of broken kubeconfigs ---------------------------------------------------------

# u1 (selected, last so that lines can be appended to it) has a token; u2 (unused)
# has a password: both secrets are in every file, and must stay out of messages.
TOKEN_LINE = f"    token: {TOKEN}\n"
HEADER = f"""\
apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {{cluster: c1, user: u1}}
users:
- name: u2
  user: {{username: admin, password: {PASSWORD}}}
- name: u1
  user:
{TOKEN_LINE}"""
NO_TOKEN = HEADER.replace(TOKEN_LINE, "")

CLUSTER = """\
clusters:
- name: c1
  cluster:
    server: https://k8s:6443
"""

BAD_FILES = [
    (
        "yaml syntax error quoting a secret",
        f"current-context: dev\nusers:\n- name: u1\n  user:\n    token: {TOKEN}: x\n",
        "line 5, column",
    ),
    (
        "not a mapping",
        "- just\n- a list\n",
        "top level: expected a mapping, got a list",
    ),
    (
        "clusters is a mapping",
        HEADER + "clusters:\n  c1: {server: https://k8s:6443}\n",
        "clusters: expected a list, got a mapping",
    ),
    (
        "cluster entry is a string",
        HEADER + "clusters:\n- c1\n",
        "clusters[0]: expected a mapping, got a string",
    ),
    (
        "cluster without name",
        HEADER + "clusters:\n- cluster: {server: https://k8s}\n",
        "clusters[0].name: missing",
    ),
    (
        "duplicate cluster names",
        HEADER + CLUSTER + "- name: c1\n  cluster: {server: https://x}\n",
        "clusters[1].name: duplicate name 'c1'",
    ),
    (
        "server is a list",
        HEADER + "clusters:\n- name: c1\n  cluster: {server: [a, b]}\n",
        "clusters[name=c1].cluster.server: expected a string, got a list",
    ),
    (
        "server missing",
        HEADER + "clusters:\n- name: c1\n  cluster: {tls-server-name: x}\n",
        "clusters[name=c1].cluster.server: missing",
    ),
    (
        "cluster body is a list",
        HEADER + "clusters:\n- name: c1\n  cluster: [server]\n",
        "clusters[name=c1].cluster: expected a mapping, got a list",
    ),
    (
        "certificate-authority-data not base64",
        HEADER + CLUSTER + "    certificate-authority-data: not*base64!\n",
        "clusters[name=c1].cluster.certificate-authority-data: is not valid base64",
    ),
    (
        "insecure flag not a boolean",
        HEADER + CLUSTER + "    insecure-skip-tls-verify: maybe\n",
        "clusters[name=c1].cluster.insecure-skip-tls-verify: expected true or false",
    ),
    (
        "insecure flag quoted",
        HEADER + CLUSTER + "    insecure-skip-tls-verify: 'true'\n",
        "clusters[name=c1].cluster.insecure-skip-tls-verify: expected true or false",
    ),
    (
        "certificate authority missing",
        HEADER + CLUSTER + "    certificate-authority: /nonexistent/ca.crt\n",
        "clusters[name=c1].cluster.certificate-authority: "
        "no such file /nonexistent/ca.crt",
    ),
    (
        "certificate authority file and data",
        HEADER
        + CLUSTER
        + "    certificate-authority: /etc/hostname\n"
        + f"    certificate-authority-data: {b64(CERT_PEM)}\n",
        "clusters[name=c1].cluster.certificate-authority-data: "
        "certificate-authority and certificate-authority-data are both set",
    ),
    (
        "insecure with a certificate authority",
        HEADER
        + CLUSTER
        + "    insecure-skip-tls-verify: true\n"
        + f"    certificate-authority-data: {b64(CERT_PEM)}\n",
        "clusters[name=c1].cluster.insecure-skip-tls-verify: cannot be combined",
    ),
    (
        "unsupported proxy scheme",
        HEADER + CLUSTER + "    proxy-url: ftp://proxy\n",
        "clusters[name=c1].cluster.proxy-url: unsupported scheme 'ftp'",
    ),
    (
        "token and basic auth together",
        HEADER + "    username: admin\n" + CLUSTER,
        "users[name=u1].user.token: more than one authentication method",
    ),
    (
        "client key data not base64",
        HEADER + "    client-key-data: '%%%'\n" + CLUSTER,
        "users[name=u1].user.client-key-data: is not valid base64",
    ),
    (
        "client certificate without key",
        HEADER + f"    client-certificate-data: {b64(CERT_PEM)}\n" + CLUSTER,
        "users[name=u1].user.client-key: missing",
    ),
    (
        "client certificate file missing",
        HEADER
        + "    client-certificate: /x/y.crt\n"
        + f"    client-key-data: {b64(KEY_PEM)}\n"
        + CLUSTER,
        "users[name=u1].user.client-certificate: no such file /x/y.crt",
    ),
    (
        "client key is a directory",
        HEADER
        + f"    client-certificate-data: {b64(CERT_PEM)}\n"
        + "    client-key: /\n"
        + CLUSTER,
        "users[name=u1].user.client-key: / is a directory",
    ),
    (
        "legacy auth provider",
        NO_TOKEN
        + f"    auth-provider:\n      name: gcp\n      config: {{access-token: {TOKEN}}}\n"
        + CLUSTER,
        "users[name=u1].user.auth-provider: the legacy auth provider 'gcp' is not "
        "supported; use an exec credential plugin",
    ),
    (
        "impersonation",
        HEADER + "    as: someone-else\n" + CLUSTER,
        "users[name=u1].user.as: impersonation is not supported",
    ),
    (
        "exec args not a list",
        NO_TOKEN
        + "    exec: {apiVersion: client.authentication.k8s.io/v1, command: x,"
        + " interactiveMode: Never, args: --flag}\n"
        + CLUSTER,
        "users[name=u1].user.exec.args: expected a list, got a string",
    ),
    (
        "exec env entry without name",
        NO_TOKEN
        + "    exec: {apiVersion: client.authentication.k8s.io/v1, command: x,"
        + f" interactiveMode: Never, env: [{{value: {TOKEN}}}]}}\n"
        + CLUSTER,
        "users[name=u1].user.exec.env: an entry has no name",
    ),
    (
        "exec without command",
        NO_TOKEN
        + "    exec: {apiVersion: client.authentication.k8s.io/v1beta1}\n"
        + CLUSTER,
        "users[name=u1].user.exec.command: missing",
    ),
    (
        "exec with a removed apiVersion",
        NO_TOKEN
        + "    exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}\n"
        + CLUSTER,
        "users[name=u1].user.exec.apiVersion: 'client.authentication.k8s.io/v1alpha1'",
    ),
    (
        "exec with a bad interactiveMode",
        NO_TOKEN
        + "    exec: {apiVersion: client.authentication.k8s.io/v1, command: x,"
        + " interactiveMode: Sometimes}\n"
        + CLUSTER,
        "users[name=u1].user.exec.interactiveMode: 'Sometimes'; must be one of",
    ),
    (
        "context body is a string",
        HEADER.replace("  context: {cluster: c1, user: u1}", "  context: c1") + CLUSTER,
        "contexts[name=dev].context: expected a mapping, got a string",
    ),
    (
        "namespace is a mapping",
        HEADER.replace("{cluster: c1, user: u1}", "{cluster: c1, namespace: {a: b}}")
        + CLUSTER,
        "contexts[name=dev].context.namespace: expected a string, got a mapping",
    ),
    (
        "current-context is a list",
        HEADER.replace("current-context: dev", "current-context: [dev]") + CLUSTER,
        "current-context: expected a string, got a list",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(text, expected) for _, text, expected in BAD_FILES],
    ids=[name for name, _, _ in BAD_FILES],
)
def test_bad_kubeconfig(tmp_path: Path, text: str, expected: str) -> None:
    message = load_error(tmp_path, text)
    assert f"{tmp_path / 'kubeconfig'}: {expected}" in message


def test_bad_entry_in_an_unused_user_still_fails(tmp_path: Path) -> None:
    # Like client-go, which decodes the whole file before choosing a context.
    document = kubeconfig()
    document["users"] = [{"name": "other", "user": {"token": ["not", "a", "string"]}}]
    message = load_error(tmp_path, document)
    assert "users[name=other].user.token: expected a string, got a list" in message


def test_auth_provider_on_an_unused_user_is_fine(tmp_path: Path) -> None:
    document = kubeconfig()
    document["users"] = [{"name": "old", "user": {"auth-provider": {"name": "gcp"}}}]
    assert load(tmp_path, document).host == "https://10.0.0.1:6443"


def test_non_utf8_kubeconfig(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_bytes(b"current-context: dev\n\xff\xfe\n")
    with pytest.raises(ConfigError) as caught:
        load_kube_config(path)
    assert str(caught.value).startswith(f"{path}: byte ")


def test_kubeconfig_path_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_kube_config(tmp_path)
    assert str(caught.value) == f"{tmp_path}: {tmp_path} is a directory, not a file"


def test_unreadable_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "kubeconfig", kubeconfig())
    real_open = open

    def deny(file: object, *args: object, **kwargs: object) -> object:
        # chmod 0 does not stop root (these tests may run as root): deny it here
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(ConfigError, match="permission denied reading"):
        load_kube_config(path)
