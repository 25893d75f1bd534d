"""Loading kubeconfig files: cluster and user shapes, contexts, merging."""

from __future__ import annotations

import base64
import json
import os
import ssl
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.runtime.config import (
    ConfigError,
    load_kube_config,
)

from .helpers import (
    CERT_PEM,
    DATA,
    KEY_PEM,
    PASSWORD,
    TOKEN,
    Pki,
    b64,
    exec_user,
    kubeconfig,
    load,
    load_error,
    write,
)


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
