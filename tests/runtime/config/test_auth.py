"""Token files and the secrets that reprs and messages never show."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from generator.runtime.config import (
    BearerToken,
    Config,
    ExecPlugin,
    TokenFile,
)

from .helpers import (
    CERT_PEM,
    KEY_PEM,
    PASSWORD,
    TOKEN,
    assert_no_secrets,
    b64,
    kubeconfig,
    load,
    load_error,
    touch_later,
    write,
)


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


def test_credentials_of_static_configs(tmp_path: Path) -> None:
    pair = ("/c.crt", "/c.key")
    with_cert = Config(
        host="https://k8s",
        auth=BearerToken(TOKEN),
        client_cert_file=pair[0],
        client_key_file=pair[1],
    )
    assert with_cert.credentials() == ({"Authorization": f"Bearer {TOKEN}"}, pair)
    basic = Config(host="https://k8s", username="admin", password=PASSWORD)
    headers, cert = basic.credentials()
    assert headers == basic.auth_headers() and headers["Authorization"].startswith(
        "Basic "
    )
    assert cert is None
    assert Config(host="https://k8s").credentials() == ({}, None)
    token_file = write(tmp_path / "token", "from-file\n")
    from_file = Config(host="https://k8s", auth=TokenFile(str(token_file)))
    assert from_file.credentials() == ({"Authorization": "Bearer from-file"}, None)
