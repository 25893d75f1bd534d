"""Exec credential plugins (kubeconfig ``users[].user.exec``), as client-go's
``plugin/pkg/client/auth/exec``.

The plugin runs with ``KUBERNETES_EXEC_INFO`` describing the request and prints an
``ExecCredential``. Its token or client certificate is cached until its
``expirationTimestamp`` (forever without one) or until a 401. A run is bounded by a
timeout, concurrent requests share one run, and nothing the plugin prints appears
in an error message: its stderr goes to ours, as in client-go, and its stdout holds
the credential.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .auth import Authenticator
from .common import REDACTED, ConfigError, materialize, short, token_problem

__all__ = ["EXEC_API_VERSIONS", "INTERACTIVE_MODES", "ExecPlugin"]

EXEC_API_VERSIONS = (
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
)
INTERACTIVE_MODES = ("Never", "IfAvailable", "Always")

_EXEC_INFO_ENV = "KUBERNETES_EXEC_INFO"
#: Seconds a killed plugin gets to be reaped, and waiters beyond the timeout.
_GRACE_SECONDS = 5.0


def _now() -> datetime:
    """The current time; tests move it."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class _ExecCredential:
    """What an exec plugin printed; only the plugin object holds it."""

    token: str = field(repr=False)
    cert_pem: str = field(repr=False)
    key_pem: str = field(repr=False)
    expiry: datetime | None

    def expired(self) -> bool:
        return self.expiry is not None and _now() >= self.expiry

    def secrets(self) -> tuple[str, str, str]:
        return self.token, self.cert_pem, self.key_pem


class _Run:
    """One plugin run that concurrent requests wait for, success or failure."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._credential: _ExecCredential | None = None
        self._problem: str | None = None

    def succeed(self, credential: _ExecCredential) -> None:
        self._credential = credential
        self._done.set()

    def fail(self, problem: str) -> None:
        self._problem = problem
        self._done.set()

    def abandon(self) -> None:
        """The running thread left without a result (KeyboardInterrupt...)."""
        self._done.set()

    def wait(self, seconds: float, where: str) -> _ExecCredential:
        if not self._done.wait(seconds):
            raise ConfigError(
                f"{where}: gave up after {seconds:g} s waiting for the plugin run "
                "of another request"
            )
        if self._credential is None:
            raise ConfigError(
                self._problem
                or f"{where}: the plugin run of another request ended without a result"
            )
        return self._credential


class ExecPlugin(Authenticator):
    """Credentials from a client-go exec credential plugin (``users[].user.exec``).

    ``timeout`` bounds one run of the plugin (seconds): past it the plugin (and
    the processes it started, where the OS allows) is killed and the request
    fails with a :class:`~.common.ConfigError`.
    """

    def __init__(
        self,
        command: str,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        *,
        api_version: str = EXEC_API_VERSIONS[0],
        install_hint: str | None = None,
        interactive_mode: str = "IfAvailable",
        cluster_info: Mapping[str, Any] | None = None,
        where: str = "exec plugin",
        timeout: float = 60.0,
    ) -> None:
        self.command = command
        self.api_version = api_version
        self.timeout = timeout
        self._args = list(args)
        self._env = dict(env or {})
        self._install_hint = install_hint
        self._interactive_mode = interactive_mode
        self._cluster_info = dict(cluster_info) if cluster_info is not None else None
        self._where = where
        # Held only to look at or change the fields below, never during a run.
        self._lock = threading.Lock()
        self._credential: _ExecCredential | None = None
        self._running: _Run | None = None

    def authorization(self) -> str | None:
        return self.credentials()[0]

    def client_cert(self) -> tuple[str, str] | None:
        return self.credentials()[1]

    def credentials(self) -> tuple[str | None, tuple[str, str] | None]:
        credential = self._obtain(lambda cached: not cached.expired())
        return self._authorization_of(credential), self._client_cert_of(credential)

    def refresh_after_unauthorized(self) -> bool:
        with self._lock:
            before = self._credential
        after = self._obtain(lambda cached: cached is not before)
        return before is None or before.secrets() != after.secrets()

    @staticmethod
    def _authorization_of(credential: _ExecCredential) -> str | None:
        return f"Bearer {credential.token}" if credential.token else None

    def _client_cert_of(self, credential: _ExecCredential) -> tuple[str, str] | None:
        if not credential.cert_pem:
            return None
        return (
            materialize(credential.cert_pem.encode(), ".crt", self._where),
            materialize(credential.key_pem.encode(), ".key", self._where),
        )

    def _obtain(self, reusable: Callable[[_ExecCredential], bool]) -> _ExecCredential:
        """The cached credential if ``reusable``, else the result of one run.

        A request arriving while the plugin runs waits for that run instead of
        starting another; the wait is bounded, as the run is.
        """
        with self._lock:
            cached = self._credential
            if cached is not None and reusable(cached):
                return cached
            run = self._running
            runs_it = run is None
            if run is None:
                run = self._running = _Run()
        if not runs_it:
            return run.wait(self.timeout + 2 * _GRACE_SECONDS, self._where)
        try:
            credential = self._run()
        except ConfigError as error:
            run.fail(str(error))
            raise
        else:
            with self._lock:
                self._credential = credential
            run.succeed(credential)
            return credential
        finally:
            with self._lock:
                self._running = None
            run.abandon()

    # --- One run ---------------------------------------------------------------------

    def _run(self) -> _ExecCredential:
        interactive = self._interactive()
        env = {**os.environ, **self._env, _EXEC_INFO_ENV: self._exec_info(interactive)}
        # An interactive plugin talks to the user through stdin/stderr. Otherwise
        # stdin is empty, as in client-go, and the plugin gets a session of its own
        # so that a timeout kills whatever it started too (a child left holding
        # its stdout would keep us waiting).
        own_session = not interactive and hasattr(os, "killpg")
        try:
            process = subprocess.Popen(
                [self.command, *self._args],
                env=env,
                stdin=None if interactive else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=None if interactive else subprocess.PIPE,
                start_new_session=own_session,
            )
        except FileNotFoundError:
            raise self._failure(f"executable {self.command} not found") from None
        except OSError as error:
            problem = f"executable {self.command} could not be run: {error.strerror}"
            raise self._failure(problem) from None
        except ValueError:  # a NUL byte or a bad variable name in command/args/env
            problem = "the command, its args or its env cannot be passed to a process"
            raise self._failure(problem) from None
        try:
            stdout, stderr = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _, stderr = _kill(process, own_session)
            _pass_through(stderr)
            raise self._failure(
                f"executable {self.command} did not finish within the timeout of "
                f"{self.timeout:g} s and was killed"
            ) from None
        except BaseException:
            _kill(process, own_session)
            raise
        _pass_through(stderr)  # client-go shows plugin messages, never keeps them
        if process.returncode != 0:
            problem = f"executable {self.command} failed with exit code "
            raise self._failure(f"{problem}{process.returncode}")
        credential = self._parse_output(stdout)
        if credential.expiry is not None and credential.expired():
            # Sending it would only earn a 401, and re-running a plugin that
            # answers this way would loop: say so instead.
            expiry = credential.expiry.isoformat().replace("+00:00", "Z")
            raise self._failure(
                f"executable {self.command} returned a credential that expired at "
                f"{expiry}"
            )
        return credential

    def _interactive(self) -> bool:
        if self._interactive_mode == "Never":
            return False
        if _stdin_is_terminal():
            return True
        if self._interactive_mode == "Always":
            raise self._failure(
                "interactiveMode is Always but standard input is not a terminal"
            )
        return False

    def _exec_info(self, interactive: bool) -> str:
        spec: dict[str, Any] = {"interactive": interactive}
        if self._cluster_info is not None:
            spec["cluster"] = self._cluster_info
        info = {"apiVersion": self.api_version, "kind": "ExecCredential", "spec": spec}
        return json.dumps(info)

    def _parse_output(self, stdout: bytes) -> _ExecCredential:
        # Messages here describe the output's shape only: it holds the credential.
        try:
            output = json.loads(stdout)
        except (ValueError, RecursionError) as error:
            problem = f"output is not JSON ({type(error).__name__} at byte "
            raise self._failure(f"{problem}{getattr(error, 'pos', 0)})") from None
        if not isinstance(output, dict):
            raise self._failure("output is not a JSON object")
        if output.get("kind") != "ExecCredential":
            raise self._failure("output kind is not ExecCredential")
        if output.get("apiVersion") != self.api_version:
            raise self._failure(
                f"plugin returned apiVersion {short(output.get('apiVersion'))}, "
                f"but the kubeconfig asks for {self.api_version}"
            )
        status = output.get("status")
        if not isinstance(status, dict):
            raise self._failure("output has no status object")
        credential = _ExecCredential(
            token=self._status_string(status, "token"),
            cert_pem=self._status_string(status, "clientCertificateData"),
            key_pem=self._status_string(status, "clientKeyData"),
            expiry=self._status_expiry(status),
        )
        unsendable = token_problem(credential.token)
        if unsendable is not None:
            raise self._failure(f"output status.token {unsendable}")
        if not (credential.token or credential.cert_pem or credential.key_pem):
            raise self._failure("output has neither a token nor a cert/key pair")
        if bool(credential.cert_pem) != bool(credential.key_pem):
            raise self._failure("output has a client certificate or key, not both")
        return credential

    def _status_string(self, status: Mapping[str, Any], key: str) -> str:
        value = status.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self._failure(f"output status.{key} is not a string")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape
            raise self._failure(f"output status.{key} is not valid Unicode") from None
        return value

    def _status_expiry(self, status: Mapping[str, Any]) -> datetime | None:
        text = self._status_string(status, "expirationTimestamp")
        if not text:
            return None
        expiry = _parse_rfc3339(text)
        if expiry is None:
            raise self._failure(
                f"output status.expirationTimestamp {short(text)} is not an RFC 3339 "
                "time"
            )
        return expiry

    def _failure(self, problem: str) -> ConfigError:
        message = f"{self._where}: {problem}"
        if self._install_hint:
            message += f"\n\n{self._install_hint}"
        return ConfigError(message)

    def __repr__(self) -> str:
        return (
            f"ExecPlugin(command={self.command!r}, api_version={self.api_version!r}, "
            f"credentials={REDACTED})"
        )


def _kill(process: subprocess.Popen[bytes], own_session: bool) -> tuple[bytes, bytes]:
    """Kill a plugin (its whole session if it has one); what it printed so far."""
    try:
        if own_session:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except OSError:  # already gone
        pass
    try:
        stdout, stderr = process.communicate(timeout=_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        # A process outside its session still holds the pipes: stop reading.
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
        process.wait()
        return b"", b""
    return stdout or b"", stderr or b""


def _pass_through(stderr: bytes | None) -> None:
    if stderr:
        try:
            sys.stderr.write(stderr.decode("utf-8", "replace"))
            sys.stderr.flush()
        except (OSError, ValueError, AttributeError):  # closed or replaced stderr
            pass


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError, AttributeError):  # closed or replaced stdin
        return False


_RFC3339 = re.compile(
    r"(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)"
)


def _parse_rfc3339(text: str) -> datetime | None:
    """Parse Kubernetes' RFC 3339 times (``Z`` suffix, any fraction length).

    ``datetime.fromisoformat`` on Python 3.10 takes neither.
    """
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    date, time, fraction, zone = match.groups()
    micros = (fraction or "").ljust(6, "0")[:6]
    offset = "+00:00" if zone in ("Z", "z") else zone
    try:
        return datetime.fromisoformat(f"{date}T{time}.{micros}{offset}")
    except ValueError:
        return None
