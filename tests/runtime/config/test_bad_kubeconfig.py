"""Broken kubeconfigs: every problem a ConfigError naming the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.runtime.config import (
    ConfigError,
    load_kube_config,
)

from .helpers import (
    CERT_PEM,
    KEY_PEM,
    PASSWORD,
    TOKEN,
    b64,
    kubeconfig,
    load,
    load_error,
    write,
)

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
        "impersonated groups without a user",
        HEADER + "    as-groups: [admins]\n" + CLUSTER,
        "users[name=u1].user.as-groups: requesting groups without impersonating",
    ),
    (
        "impersonated extra without a user",
        HEADER + "    as-user-extra: {scopes: [a]}\n" + CLUSTER,
        "users[name=u1].user.as-user-extra: requesting user-extra without",
    ),
    (
        "impersonated extra values not a list",
        HEADER + "    as: x\n    as-user-extra: {scopes: a}\n" + CLUSTER,
        "users[name=u1].user.as-user-extra.scopes: expected a list, got a string",
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
