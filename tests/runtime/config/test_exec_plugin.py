"""Exec credential plugins, driven through tests/runtime/data/config/fake_exec_plugin.py."""

from __future__ import annotations

import io
import os
import ssl
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import generator.runtime.config.exec_plugin as exec_plugin_module
from generator.runtime.config import (
    ConfigError,
    ExecPlugin,
    build_config_from_flags,
)

from .helpers import (
    CERT_PEM,
    INSTALL_HINT,
    PLUGIN,
    V1,
    V1BETA1,
    Pki,
    b64,
    exec_config,
    exec_user,
    kubeconfig,
    load,
    load_error,
    runs,
    write,
)


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


def test_exec_reruns_when_expired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, log = exec_config(tmp_path, expiry="2030-01-01T00:00:00Z")
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}
    later = datetime(2030, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
    monkeypatch.setattr(exec_plugin_module, "_now", lambda: later)
    with pytest.raises(ConfigError, match="expired at 2030-01-01T00:00:00Z"):
        config.auth_headers()  # the new run returns the same, now stale, expiry
    assert len(runs(log)) == 2


def test_exec_credential_expired_on_arrival_runs_once_per_request(
    tmp_path: Path,
) -> None:
    # Before: auth_headers, client_cert and the 401 refresh each re-ran the plugin,
    # and the expired token was sent anyway.
    config, log = exec_config(tmp_path, expiry="2000-01-01T00:00:00Z")
    with pytest.raises(ConfigError) as caught:
        config.credentials()
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'kubeconfig'}: users[name=u1].user.exec: ")
    assert "returned a credential that expired at 2000-01-01T00:00:00Z" in message
    assert "plugin-token" not in message
    assert len(runs(log)) == 1
    with pytest.raises(ConfigError, match="expired at"):
        config.auth_headers()
    assert len(runs(log)) == 2  # one run per request, never a loop


def test_exec_credentials_gives_header_and_cert_from_one_run(
    tmp_path: Path, pki: Pki
) -> None:
    config, log = exec_config(
        tmp_path,
        mode="cert",
        extra_env={
            "FAKE_PLUGIN_CERT": str(pki.client_cert),
            "FAKE_PLUGIN_KEY": str(pki.client_key),
        },
    )
    headers, pair = config.credentials()
    assert headers == {}
    assert pair is not None
    assert Path(pair[0]).read_bytes() == pki.client_cert.read_bytes()
    assert len(runs(log)) == 1
    token_config, token_log = exec_config(tmp_path / "token")
    assert token_config.credentials() == (
        {"Authorization": "Bearer plugin-token-1"},
        None,
    )
    assert len(runs(token_log)) == 1


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
    assert INSTALL_HINT in message


def test_exec_failure_passes_stderr_through_and_keeps_it_out_of_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Like client-go: a plugin's stderr may hold secrets, so it goes to ours, not
    # into an error message that gets logged.
    config, _ = exec_config(tmp_path, mode="fail-after-first")
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}
    with pytest.raises(ConfigError) as caught:
        config.refresh_after_unauthorized()
    message = str(caught.value)
    assert "failed with exit code 3" in message
    assert "could not log in" not in message
    assert "plugin-token-1" not in message
    assert "previous token plugin-token-1" in capsys.readouterr().err


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
        ("line-break", None, "status.token holds a character a bearer token cannot"),
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


# --- Timeouts ------------------------------------------------------------------------


def hanging_plugin(log: Path, mode: str = "hang") -> ExecPlugin:
    env = {"FAKE_PLUGIN_LOG": str(log), "FAKE_PLUGIN_MODE": mode}
    return ExecPlugin(
        sys.executable,
        [str(PLUGIN)],
        env,
        interactive_mode="Never",
        where="kc: users[name=u1].user.exec",
        timeout=1,
    )


def assert_timed_out(message: str) -> None:
    assert message.startswith("kc: users[name=u1].user.exec: executable ")
    assert "did not finish within the timeout of 1 s and was killed" in message


def test_exec_timeout_kills_a_hanging_plugin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "plugin.log"
    plugin = hanging_plugin(log)
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        plugin.authorization()
    assert time.monotonic() - started < 4
    assert_timed_out(str(caught.value))
    assert "hanging" in capsys.readouterr().err  # passed through, not quoted
    assert "hanging" not in str(caught.value)
    assert len(runs(log)) == 1


def test_exec_timeout_default_is_a_minute() -> None:
    assert ExecPlugin("true").timeout == 60


def process_is_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as file:
            state = file.read().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # killed; its new parent may not reap it


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_exec_timeout_kills_what_the_plugin_started(tmp_path: Path) -> None:
    # A child holding the plugin's stdout would keep a reader waiting forever.
    log = tmp_path / "plugin.log"
    plugin = hanging_plugin(log, mode="hang-with-child")
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        plugin.authorization()
    assert time.monotonic() - started < 4
    assert_timed_out(str(caught.value))
    child = int(Path(f"{log}.child").read_text())
    deadline = time.monotonic() + 2
    while not process_is_gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_is_gone(child)


def test_exec_requests_waiting_for_a_hanging_run_fail_with_it(tmp_path: Path) -> None:
    # Before: the run held a lock with no timeout, and every other request queued
    # behind it forever.
    log = tmp_path / "plugin.log"
    plugin = hanging_plugin(log)
    barrier = threading.Barrier(4)

    def request() -> str:
        barrier.wait()
        try:
            plugin.authorization()
        except ConfigError as error:
            return str(error)
        return "no error"

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        messages = list(pool.map(lambda _: request(), range(4)))
    assert time.monotonic() - started < 6
    for message in messages:
        assert_timed_out(message)
    assert len(runs(log)) == 1  # they waited for the one run, not each their own


def test_exec_interactive_plugin_keeps_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Interactive plugins talk to the user: no session of their own, stdin kept.
    monkeypatch.setattr(exec_plugin_module, "_stdin_is_terminal", lambda: True)
    seen: dict[str, Any] = {}
    real_popen = subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", popen)
    config, _ = exec_config(tmp_path, interactiveMode="IfAvailable")
    assert config.auth_headers() == {"Authorization": "Bearer plugin-token-1"}
    assert seen["stdin"] is None and seen["stderr"] is None
    assert seen["start_new_session"] is False


def test_exec_non_interactive_stdin_is_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    real_popen = subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", popen)
    config, _ = exec_config(tmp_path)
    config.auth_headers()
    assert seen["stdin"] == subprocess.DEVNULL


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("command", "plug\x00in"),
        ("args", ["--flag=\x00"]),
        ("env", [{"name": "A=B", "value": "x"}]),
    ],
)
def test_exec_settings_no_process_can_take(
    tmp_path: Path, setting: str, value: Any
) -> None:
    config, _ = exec_config(tmp_path, **{setting: value})
    with pytest.raises(ConfigError) as caught:
        config.auth_headers()
    message = str(caught.value)
    assert "users[name=u1].user.exec: the command, its args or its env" in message
