"""Client configuration: where the API server is and how to authenticate to it.

The Python counterpart of client-go's ``clientcmd`` (kubeconfig files),
``rest.InClusterConfig`` (a pod's service account) and exec credential plugins::

    config = load_kube_config()              # KUBECONFIG or ~/.kube/config
    config = in_cluster_config()             # inside a pod
    config = build_config_from_flags(master_url, kubeconfig_path)

A :class:`Config` holds plain values (host, TLS files, names) plus an optional
:class:`Authenticator` that produces bearer tokens on demand, so rotating tokens and
exec plugins keep working for the life of a client. Secrets never appear in a
``repr`` or in an error message.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import hashlib
import json
import logging
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import yaml

__all__ = [
    "IN_CLUSTER_DIR",
    "Authenticator",
    "BearerToken",
    "Config",
    "ConfigError",
    "ExecPlugin",
    "TokenFile",
    "build_config_from_flags",
    "in_cluster_config",
    "load_kube_config",
]

_log = logging.getLogger(__name__)

#: Where a pod's service account credentials are mounted; tests point it elsewhere.
IN_CLUSTER_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"

_IN_CLUSTER = "in-cluster"
_REDACTED = "<redacted>"
_EXEC_INFO_ENV = "KUBERNETES_EXEC_INFO"
_EXEC_API_VERSIONS = (
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
)
# A cluster extension under this name is passed to exec plugins as spec.cluster.config.
_EXEC_CLUSTER_EXTENSION = "client.authentication.k8s.io/exec"
_INTERACTIVE_MODES = ("Never", "IfAvailable", "Always")
_STDERR_EXCERPT_CHARS = 600


def _default_user_agent() -> str:
    machine = platform.machine() or "unknown"
    return (
        f"kubeclient-python (Python {platform.python_version()}; "
        f"{sys.platform}/{machine})"
    )


class ConfigError(Exception):
    """A configuration cannot be loaded or used.

    The message names the file (or ``in-cluster``) and the field at fault, and never
    contains a token, password or key.
    """


# --- Authenticators -------------------------------------------------------------


class Authenticator:
    """Supplies credentials per request and refreshes them when they go stale."""

    def authorization(self) -> str | None:
        """The ``Authorization`` header value to send now, if any."""
        return None

    def client_cert(self) -> tuple[str, str] | None:
        """(certificate path, key path) to present in the TLS handshake, if any."""
        return None

    def refresh_after_unauthorized(self) -> bool:
        """Fetch fresh credentials after a 401; True if they differ from before."""
        return False


class BearerToken(Authenticator):
    """A fixed bearer token (kubeconfig ``token``)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def authorization(self) -> str | None:
        return f"Bearer {self._token}"

    def __repr__(self) -> str:
        return f"BearerToken(token={_REDACTED})"


class TokenFile(Authenticator):
    """A bearer token read from a file and re-read whenever the file changes.

    Covers kubeconfig ``tokenFile`` and rotated service-account tokens. client-go
    re-reads such files once a minute; comparing the file's stat on each request is
    as cheap and picks up a rotation immediately. If the file becomes unreadable the
    last good token (or ``fallback_token``, the kubeconfig's static ``token``) is
    kept, as client-go does.
    """

    def __init__(
        self,
        path: str,
        *,
        fallback_token: str | None = None,
        where: str | None = None,
    ) -> None:
        self.path = path
        self._where = where or path
        self._fallback = fallback_token or None
        self._lock = threading.Lock()
        self._token: str | None = None
        self._stamp: tuple[int, ...] | None = None
        self._last_problem = ""
        if self._fallback is None:
            # Without a fallback, an unreadable file is a configuration error now
            # rather than on the first request.
            self._token, self._stamp = self._read()

    def authorization(self) -> str | None:
        with self._lock:
            stamp = _file_stamp(self.path)
            if stamp is None or stamp != self._stamp:
                self._reload_keeping_last_good()
            return f"Bearer {self._token or self._fallback}"

    def refresh_after_unauthorized(self) -> bool:
        with self._lock:
            before = self._token
            self._reload_keeping_last_good()
            return self._token != before

    def _reload_keeping_last_good(self) -> None:
        try:
            self._token, self._stamp = self._read()
        except ConfigError as error:
            if self._token is None and self._fallback is None:
                raise
            if str(error) != self._last_problem:  # once, not on every request
                _log.warning("%s; keeping the previous token", error)
            self._last_problem = str(error)
        else:
            self._last_problem = ""

    def _read(self) -> tuple[str, tuple[int, ...] | None]:
        stamp = _file_stamp(self.path)
        try:
            with open(self.path, encoding="utf-8") as file:
                token = file.read().strip()
        except (OSError, UnicodeDecodeError) as error:
            problem = _read_problem(self.path, error)
            raise ConfigError(f"{self._where}: {problem}") from None
        if not token:
            raise ConfigError(f"{self._where}: token file {self.path} is empty")
        return token, stamp

    def __repr__(self) -> str:
        return f"TokenFile(path={self.path!r}, token={_REDACTED})"


@dataclass(frozen=True)
class _ExecCredential:
    """What an exec plugin printed; only the plugin object holds it."""

    token: str = field(repr=False)
    cert_pem: str = field(repr=False)
    key_pem: str = field(repr=False)
    expiry: datetime | None

    def expired(self) -> bool:
        return self.expiry is not None and datetime.now(timezone.utc) >= self.expiry


class ExecPlugin(Authenticator):
    """Credentials from a client-go exec credential plugin (``users[].user.exec``).

    The command runs with ``KUBERNETES_EXEC_INFO`` describing the request, prints an
    ``ExecCredential``, and its token or client certificate is cached until its
    ``expirationTimestamp`` (forever without one) or until a 401.
    """

    def __init__(
        self,
        command: str,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        *,
        api_version: str = _EXEC_API_VERSIONS[0],
        install_hint: str | None = None,
        interactive_mode: str = "IfAvailable",
        cluster_info: Mapping[str, Any] | None = None,
        where: str = "exec plugin",
    ) -> None:
        self.command = command
        self.api_version = api_version
        self._args = list(args)
        self._env = dict(env or {})
        self._install_hint = install_hint
        self._interactive_mode = interactive_mode
        self._cluster_info = dict(cluster_info) if cluster_info is not None else None
        self._where = where
        self._lock = threading.Lock()
        self._credential: _ExecCredential | None = None

    def authorization(self) -> str | None:
        token = self._current().token
        return f"Bearer {token}" if token else None

    def client_cert(self) -> tuple[str, str] | None:
        credential = self._current()
        if not credential.cert_pem:
            return None
        return (
            _materialize(credential.cert_pem.encode(), ".crt"),
            _materialize(credential.key_pem.encode(), ".key"),
        )

    def refresh_after_unauthorized(self) -> bool:
        with self._lock:
            before = self._credential
            after = self._credential = self._run()
            return before is None or _secrets_of(before) != _secrets_of(after)

    def _current(self) -> _ExecCredential:
        # The lock also makes concurrent requests share one plugin run.
        with self._lock:
            if self._credential is None or self._credential.expired():
                self._credential = self._run()
            return self._credential

    def _run(self) -> _ExecCredential:
        interactive = self._interactive()
        env = {**os.environ, **self._env, _EXEC_INFO_ENV: self._exec_info(interactive)}
        # An interactive plugin talks to the user through stdin/stderr; otherwise
        # stderr is kept for error messages and stdin is empty, as in client-go.
        try:
            finished = subprocess.run(
                [self.command, *self._args],
                env=env,
                stdin=None if interactive else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=None if interactive else subprocess.PIPE,
                check=False,
            )
        except FileNotFoundError:
            raise self._failure(f"executable {self.command} not found") from None
        except OSError as error:
            problem = f"executable {self.command} could not be run: {error.strerror}"
            raise self._failure(problem) from None
        stderr = (finished.stderr or b"").decode("utf-8", "replace")
        if finished.returncode != 0:
            problem = f"executable {self.command} failed with exit code "
            raise self._failure(f"{problem}{finished.returncode}", stderr)
        if stderr:
            sys.stderr.write(stderr)  # client-go passes plugin warnings through
        return self._parse_output(finished.stdout)

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
        except ValueError as error:
            problem = f"output is not JSON ({type(error).__name__} at byte "
            raise self._failure(f"{problem}{getattr(error, 'pos', 0)})") from None
        if not isinstance(output, dict):
            raise self._failure("output is not a JSON object")
        if output.get("kind") != "ExecCredential":
            raise self._failure("output kind is not ExecCredential")
        if output.get("apiVersion") != self.api_version:
            raise self._failure(
                f"plugin returned apiVersion {_short(output.get('apiVersion'))}, "
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
        return value

    def _status_expiry(self, status: Mapping[str, Any]) -> datetime | None:
        text = self._status_string(status, "expirationTimestamp")
        if not text:
            return None
        expiry = _parse_rfc3339(text)
        if expiry is None:
            raise self._failure(
                f"output status.expirationTimestamp {text!r} is not an RFC 3339 time"
            )
        return expiry

    def _failure(self, problem: str, stderr: str = "") -> ConfigError:
        message = f"{self._where}: {problem}"
        excerpt = self._scrub(stderr.strip())
        if excerpt:
            if len(excerpt) > _STDERR_EXCERPT_CHARS:
                excerpt = "..." + excerpt[-_STDERR_EXCERPT_CHARS:]
            message += f"; stderr: {excerpt}"
        if self._install_hint:
            message += f"\n\n{self._install_hint}"
        return ConfigError(message)

    def _scrub(self, text: str) -> str:
        """Blank out credentials we already know, should a plugin echo them."""
        for secret in _secrets_of(self._credential) if self._credential else ():
            if secret:
                text = text.replace(secret, _REDACTED)
        return text

    def __repr__(self) -> str:
        return (
            f"ExecPlugin(command={self.command!r}, api_version={self.api_version!r}, "
            f"credentials={_REDACTED})"
        )


def _secrets_of(credential: _ExecCredential) -> tuple[str, str, str]:
    return credential.token, credential.cert_pem, credential.key_pem


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


def _short(value: object) -> str:
    """A bounded description of an untrusted value for an error message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- Config ---------------------------------------------------------------------


@dataclass(repr=False)
class Config:
    """Everything a transport needs to reach and authenticate to one API server."""

    host: str
    namespace: str = "default"
    verify: bool = True
    ca_file: str | None = None
    tls_server_name: str | None = None
    proxy_url: str | None = None
    client_cert_file: str | None = None
    client_key_file: str | None = None
    username: str | None = None
    password: str | None = None
    auth: Authenticator | None = None
    user_agent: str = field(default_factory=_default_user_agent)
    timeout: tuple[float, float] = (10.0, 60.0)
    context: str | None = None
    cluster: str | None = None
    user: str | None = None
    source: str | None = None

    def auth_headers(self) -> dict[str, str]:
        """The Authorization header to send now (may run a plugin or re-read a file)."""
        if self.auth is not None:
            value = self.auth.authorization()
            if value:
                return {"Authorization": value}
        if self.username or self.password:
            pair = f"{self.username or ''}:{self.password or ''}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        return {}

    def client_cert(self) -> tuple[str, str] | None:
        """(certificate path, key path) to present, from the config or the plugin."""
        if self.client_cert_file and self.client_key_file:
            return self.client_cert_file, self.client_key_file
        if self.auth is not None:
            return self.auth.client_cert()
        return None

    def refresh_after_unauthorized(self) -> bool:
        """Called on a 401: True if credentials changed, so one retry makes sense."""
        return self.auth is not None and self.auth.refresh_after_unauthorized()

    def __repr__(self) -> str:
        shown = []
        for each in fields(self):
            value = getattr(self, each.name)
            if each.name == "password" and value is not None:
                value = _REDACTED
            elif each.name in ("host", "proxy_url") and value is not None:
                value = repr(_hide_url_password(value))
            else:
                value = repr(value)
            shown.append(f"{each.name}={value}")
        return f"Config({', '.join(shown)})"


def _hide_url_password(url: str) -> str:
    """``http://user:<redacted>@proxy:3128`` for a URL with credentials in it."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{parts.username}:{_REDACTED}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


# --- Files ----------------------------------------------------------------------


def _read_problem(path: str, error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return f"no such file {path}"
    if isinstance(error, PermissionError):
        return f"permission denied reading {path}"
    if isinstance(error, IsADirectoryError):
        return f"{path} is a directory, not a file"
    if isinstance(error, UnicodeDecodeError):
        return f"{path} is not UTF-8 text"
    reason = error.strerror if isinstance(error, OSError) else None
    return f"cannot read {path}: {reason or type(error).__name__}"


def _file_stamp(path: str) -> tuple[int, ...] | None:
    """What changes when a file is rewritten or swapped (kubelet swaps a symlink)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino, stat.st_dev)


_materialized: dict[tuple[str, str], str] = {}
_materialized_lock = threading.Lock()


def _materialize(data: bytes, suffix: str) -> str:
    """Write certificate or key bytes to a private (0600) temp file; return its path.

    Python's ssl only loads certificates from files. Identical content shares one
    file, and the files are deleted when the interpreter exits.
    """
    key = (hashlib.sha256(data).hexdigest(), suffix)
    with _materialized_lock:
        path = _materialized.get(key)
        if path is not None and os.path.exists(path):
            return path
        descriptor, path = tempfile.mkstemp(prefix="kubeclient-", suffix=suffix)
        with os.fdopen(descriptor, "wb") as file:  # mkstemp creates it 0600
            file.write(data)
        _materialized[key] = path
        return path


@atexit.register
def _remove_materialized() -> None:
    for path in _materialized.values():
        try:
            os.unlink(path)
        except OSError:
            pass


# --- Reading kubeconfig YAML ------------------------------------------------------


class _Plain(str):
    """An unquoted YAML scalar: a string field, or a typed value in free-form data."""

    __slots__ = ()


class _KubeconfigLoader(yaml.SafeLoader):
    """Keeps scalars as their text, as client-go does for string fields.

    client-go decodes YAML against typed structs, so ``token: 0123`` is the string
    "0123", not the integer 83 PyYAML's YAML 1.1 rules would make of it. Only null
    and merge keys keep their implicit meaning; booleans are parsed per field.
    """


_KubeconfigLoader.yaml_implicit_resolvers = {
    first: [
        (tag, pattern)
        for tag, pattern in resolvers
        if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_string(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    text = loader.construct_scalar(node)
    return _Plain(text) if node.style is None else text


_KubeconfigLoader.add_constructor("tag:yaml.org,2002:str", _construct_string)

# YAML 1.1 booleans as go-yaml v2 (used by client-go) reads them.
_TRUE = frozenset(
    ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")
)
_FALSE = frozenset(
    ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")
)


def _parse_yaml_file(path: str) -> Any:
    try:
        with open(path, "rb") as file:
            content = file.read()
    except OSError as error:
        raise ConfigError(f"{path}: {_read_problem(path, error)}") from None
    try:
        return yaml.load(content, Loader=_KubeconfigLoader)
    except yaml.MarkedYAMLError as error:
        # Built from parts: str(error) quotes the offending line, which may be a
        # token.
        raise ConfigError(f"{path}: {_describe_yaml_error(error)}") from None
    except yaml.reader.ReaderError as error:
        problem = f"byte {error.position}: not valid text ({error.reason})"
        raise ConfigError(f"{path}: {problem}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML ({type(error).__name__})") from None


def _describe_yaml_error(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
    what = "; ".join(part for part in (error.context, error.problem) if part)
    return f"{where}: invalid YAML: {what or 'syntax error'}"


def _kind_of(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


class _Section:
    """One mapping of a kubeconfig file, read with checks that name file and field."""

    def __init__(self, file: str, path: str, value: object) -> None:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            where = path or "top level"
            raise ConfigError(
                f"{file}: {where}: expected a mapping, got {_kind_of(value)}"
            )
        self.file = file
        self.path = path
        self._values: dict[Any, Any] = value

    def field(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.field(key)}: {problem}")

    def raw(self, key: str) -> Any:
        return self._values.get(key)

    def string(self, key: str) -> str:
        """The string at ``key``; "" when absent or null, as in client-go."""
        value = self._values.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.error(key, f"expected a string, got {_kind_of(value)}")
        return str(value)

    def boolean(self, key: str) -> bool:
        value = self._values.get(key)
        if value is None:
            return False
        if isinstance(value, _Plain) and value in _TRUE | _FALSE:
            return value in _TRUE
        shown = _short(value) if isinstance(value, str) else _kind_of(value)
        raise self.error(key, f"expected true or false, got {shown}")

    def base64_data(self, key: str) -> bytes | None:
        text = self.string(key)
        if not text:
            return None
        try:
            # Go's decoder skips line breaks, which YAML block scalars leave in.
            return base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise self.error(key, "is not valid base64") from None

    @property
    def origin(self) -> _Origin:
        return _Origin(self.file, self.path)

    @property
    def base_dir(self) -> str:
        """The kubeconfig's folder: client-go resolves relative paths per file."""
        return os.path.dirname(os.path.abspath(self.file))

    def file_path(self, key: str) -> str:
        """A path, resolved against the kubeconfig's own folder if relative."""
        return _resolve(self.string(key), self.base_dir)

    def strings(self, key: str) -> list[str]:
        items = self._list(key)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                problem = f"expected a string, got {_kind_of(item)}"
                raise ConfigError(f"{self.file}: {self.field(key)}[{index}]: {problem}")
        return [str(item) for item in items]

    def section(self, key: str) -> _Section:
        return _Section(self.file, self.field(key), self._values.get(key))

    def has(self, key: str) -> bool:
        return self._values.get(key) is not None

    def sections(self, key: str) -> list[_Section]:
        return [
            _Section(self.file, f"{self.field(key)}[{index}]", item)
            for index, item in enumerate(self._list(key))
        ]

    def _list(self, key: str) -> list[Any]:
        value = self._values.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"expected a list, got {_kind_of(value)}")
        return value


def _resolve(path: str, base_dir: str) -> str:
    if not path or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(base_dir, path))


def _json_value(value: Any) -> Any:
    """Free-form YAML (extensions) as client-go would pass it on: typed scalars."""
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, _Plain):
        try:
            typed = yaml.safe_load(value)
        except yaml.YAMLError:
            return str(value)
        return typed if isinstance(typed, bool | int | float) else str(value)
    return value


# --- The kubeconfig model -----------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    """Which file and which entry a value came from, for messages."""

    file: str
    path: str  # e.g. "users[name=admin].user"

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.path}.{key}: {problem}")

    def describe(self, key: str) -> str:
        return f"{self.file}: {self.path}.{key}"


@dataclass
class _Cluster:
    origin: _Origin
    server: str = ""
    ca_file: str = ""
    ca_data: bytes | None = field(default=None, repr=False)
    insecure: bool = False
    tls_server_name: str = ""
    proxy_url: str = ""
    disable_compression: bool = False
    exec_extension: Any = None


@dataclass
class _Exec:
    command: str
    args: list[str]
    env: dict[str, str] = field(repr=False)
    api_version: str
    install_hint: str
    provide_cluster_info: bool
    interactive_mode: str
    unnamed_env: bool  # an env entry without a name (client-go rejects it)


@dataclass
class _User:
    origin: _Origin
    token: str = field(default="", repr=False)
    token_file: str = ""
    cert_file: str = ""
    cert_data: bytes | None = field(default=None, repr=False)
    key_file: str = ""
    key_data: bytes | None = field(default=None, repr=False)
    username: str = ""
    password: str = field(default="", repr=False)
    exec_config: _Exec | None = None
    auth_provider: str | None = None
    impersonates: bool = False


@dataclass
class _Context:
    origin: _Origin
    name: str
    cluster: str = ""
    user: str = ""
    namespace: str = ""


@dataclass
class _KubeconfigFile:
    path: str
    current_context: str = ""
    clusters: dict[str, _Cluster] = field(default_factory=dict)
    users: dict[str, _User] = field(default_factory=dict)
    contexts: dict[str, _Context] = field(default_factory=dict)


def _read_kubeconfig(path: str) -> _KubeconfigFile:
    top = _Section(path, "", _parse_yaml_file(path))
    return _KubeconfigFile(
        path=path,
        current_context=top.string("current-context"),
        clusters=_named(top, "clusters", "cluster", _cluster),
        users=_named(top, "users", "user", _user),
        contexts=_named(top, "contexts", "context", _context),
    )


_Entry = TypeVar("_Entry")


def _named(
    top: _Section,
    key: str,
    body_key: str,
    build: Callable[[str, _Section], _Entry],
) -> dict[str, _Entry]:
    """Read a list of ``{name: ..., <body_key>: {...}}`` entries into a dict."""
    entries: dict[str, _Entry] = {}
    for entry in top.sections(key):
        name = entry.string("name")
        if not name:
            raise entry.error("name", "missing")
        if name in entries:
            raise entry.error("name", f"duplicate name {name!r}")
        path = f"{key}[name={name}].{body_key}"
        entries[name] = build(name, _Section(top.file, path, entry.raw(body_key)))
    return entries


def _cluster(name: str, body: _Section) -> _Cluster:
    return _Cluster(
        origin=body.origin,
        server=body.string("server"),
        ca_file=body.file_path("certificate-authority"),
        ca_data=body.base64_data("certificate-authority-data"),
        insecure=body.boolean("insecure-skip-tls-verify"),
        tls_server_name=body.string("tls-server-name"),
        proxy_url=body.string("proxy-url"),
        disable_compression=body.boolean("disable-compression"),
        exec_extension=_exec_extension(body),
    )


def _exec_extension(cluster: _Section) -> Any:
    for entry in cluster.sections("extensions"):
        if entry.string("name") == _EXEC_CLUSTER_EXTENSION:
            return _json_value(entry.raw("extension"))
    return None


_IMPERSONATION_KEYS = ("as", "as-uid", "as-groups", "as-user-extra")


def _user(name: str, body: _Section) -> _User:
    provider = body.section("auth-provider") if body.has("auth-provider") else None
    return _User(
        origin=body.origin,
        token=body.string("token"),
        token_file=body.file_path("tokenFile"),
        cert_file=body.file_path("client-certificate"),
        cert_data=body.base64_data("client-certificate-data"),
        key_file=body.file_path("client-key"),
        key_data=body.base64_data("client-key-data"),
        username=body.string("username"),
        password=body.string("password"),
        exec_config=_exec(body.section("exec")) if body.has("exec") else None,
        auth_provider=(provider.string("name") or "unnamed") if provider else None,
        impersonates=any(body.has(key) for key in _IMPERSONATION_KEYS),
    )


def _exec(body: _Section) -> _Exec:
    command = body.string("command")
    # Like client-go, only a command with a path separator is file-relative; a bare
    # name is looked up on PATH.
    if os.sep in command:
        command = _resolve(command, body.base_dir)
    env: dict[str, str] = {}
    unnamed = False
    for entry in body.sections("env"):
        name = entry.string("name")
        unnamed = unnamed or not name
        env[name] = entry.string("value")
    api_version = body.string("apiVersion")
    return _Exec(
        command=command,
        args=body.strings("args"),
        env=env,
        api_version=api_version,
        install_hint=body.string("installHint"),
        provide_cluster_info=body.boolean("provideClusterInfo"),
        interactive_mode=body.string("interactiveMode")
        or _default_interactive_mode(api_version),
        unnamed_env=unnamed,
    )


def _default_interactive_mode(api_version: str) -> str:
    # client-go defaults it for v1beta1 only; v1 kubeconfigs must say it.
    return "IfAvailable" if api_version.endswith("/v1beta1") else ""


def _context(name: str, body: _Section) -> _Context:
    return _Context(
        origin=body.origin,
        name=name,
        cluster=body.string("cluster"),
        user=body.string("user"),
        namespace=body.string("namespace"),
    )


@dataclass
class _Merged:
    """Several kubeconfig files merged by client-go's rules."""

    files: list[str]
    current_context: str = ""
    current_context_file: str = ""
    clusters: dict[str, _Cluster] = field(default_factory=dict)
    users: dict[str, _User] = field(default_factory=dict)
    contexts: dict[str, _Context] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return os.pathsep.join(self.files)


def _merge(files: Sequence[_KubeconfigFile]) -> _Merged:
    """The first file to define a name or set current-context wins, entry by entry.

    A later file's entry of the same name is ignored whole, not merged field by field.
    """
    merged = _Merged(files=[file.path for file in files])
    for file in files:
        for name, cluster in file.clusters.items():
            merged.clusters.setdefault(name, cluster)
        for name, user in file.users.items():
            merged.users.setdefault(name, user)
        for name, context in file.contexts.items():
            merged.contexts.setdefault(name, context)
        if file.current_context and not merged.current_context:
            merged.current_context = file.current_context
            merged.current_context_file = file.path
    return merged


# --- From kubeconfig to Config -------------------------------------------------------


def _select_context(merged: _Merged, requested: str | None) -> _Context | None:
    known = ", ".join(sorted(merged.contexts)) or "none"
    if requested:
        if requested not in merged.contexts:
            raise ConfigError(
                f"{merged.source}: contexts: no context named {requested!r} "
                f"(the requested context); defined contexts: {known}"
            )
        return merged.contexts[requested]
    name = merged.current_context
    if not name:
        return None
    if name not in merged.contexts:
        raise ConfigError(
            f"{merged.current_context_file}: current-context: names context "
            f"{name!r}, which is not defined in {merged.source}; "
            f"defined contexts: {known}"
        )
    return merged.contexts[name]


def _referenced(entries: Mapping[str, _Entry], context: _Context, kind: str) -> _Entry:
    name = getattr(context, kind)
    if not name:
        raise context.origin.error(kind, "not set")
    if name not in entries:
        raise context.origin.error(
            kind, f"names {kind} {name!r}, which is not defined in any kubeconfig file"
        )
    return entries[name]


def _config_from_kubeconfig(
    merged: _Merged, context_name: str | None, server_override: str | None
) -> Config:
    context = _select_context(merged, context_name)
    if context is None:
        if server_override:
            # client-go accepts a bare --master with a context-less kubeconfig.
            host = _normalize_host(server_override, "master_url")
            return Config(host=host, source=merged.source)
        known = ", ".join(sorted(merged.contexts)) or "none"
        raise ConfigError(
            f"{merged.source}: current-context: not set and no context was "
            f"requested; defined contexts: {known}"
        )
    if server_override and not context.cluster:
        cluster = _Cluster(origin=context.origin)
    else:
        cluster = _referenced(merged.clusters, context, "cluster")
    user = _referenced(merged.users, context, "user") if context.user else None
    _validate_cluster(cluster)
    if user is not None:
        _validate_user(user)
    server = server_override or cluster.server
    if not server:
        raise cluster.origin.error("server", "missing (the API server's URL)")
    where = "master_url" if server_override else cluster.origin.describe("server")
    config = Config(
        host=_normalize_host(server, where),
        namespace=context.namespace or "default",
        proxy_url=cluster.proxy_url or None,
        context=context.name,
        cluster=context.cluster or None,
        user=context.user or None,
        source=merged.source,
    )
    # client-go sends no credentials and sets up no TLS for a plain-http server.
    if config.host.startswith("https://"):
        _apply_tls(config, cluster)
        if user is not None:
            _apply_user(config, user, cluster)
    return config


def _normalize_host(server: str, where: str) -> str:
    """``https://host:port[/prefix]`` without a trailing slash.

    Like client-go's rest.DefaultServerURL, a server without a scheme is plain http.
    """
    parts = urlsplit(server.strip())
    if not parts.scheme or not parts.netloc:
        parts = urlsplit("http://" + server.strip())
    shown = repr(_hide_url_password(server))
    if parts.scheme not in ("http", "https"):
        raise ConfigError(
            f"{where}: unsupported scheme {parts.scheme!r} in {shown} "
            "(use https:// or http://)"
        )
    try:
        valid = bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:
        valid = False
    if not valid:
        raise ConfigError(f"{where}: {shown} is not a valid server URL")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _validate_cluster(cluster: _Cluster) -> None:
    origin = cluster.origin
    if cluster.ca_file and cluster.ca_data:
        raise origin.error(
            "certificate-authority-data",
            "certificate-authority and certificate-authority-data are both set; "
            "keep one",
        )
    if cluster.insecure and (cluster.ca_file or cluster.ca_data):
        raise origin.error(
            "insecure-skip-tls-verify",
            "cannot be combined with a certificate authority (client-go refuses it)",
        )
    if cluster.ca_file:
        _require_readable(cluster.ca_file, origin, "certificate-authority")
    if cluster.proxy_url:
        scheme = urlsplit(cluster.proxy_url).scheme
        if scheme not in ("http", "https", "socks5"):
            raise origin.error(
                "proxy-url",
                f"unsupported scheme {scheme!r}, must be http, https, or socks5",
            )


def _validate_user(user: _User) -> None:
    origin = user.origin
    if user.auth_provider is not None:
        raise origin.error(
            "auth-provider",
            f"the legacy auth provider {user.auth_provider!r} is not supported; "
            "use an exec credential plugin instead (for example "
            "gke-gcloud-auth-plugin, kubelogin or aws eks get-token)",
        )
    if user.impersonates:
        raise origin.error("as", "impersonation is not supported by this client")
    if user.token and (user.username or user.password):
        raise origin.error(
            "token",
            "more than one authentication method (token and username/password); "
            "only one is allowed",
        )
    _validate_client_cert(user)
    if user.exec_config is not None:
        _validate_exec(user.exec_config, origin)


def _validate_client_cert(user: _User) -> None:
    origin = user.origin
    if not (user.cert_file or user.cert_data):
        return
    if user.cert_file and user.cert_data:
        raise origin.error(
            "client-certificate-data",
            "client-certificate and client-certificate-data are both set; keep one",
        )
    if user.key_file and user.key_data:
        raise origin.error(
            "client-key-data", "client-key and client-key-data are both set; keep one"
        )
    if not (user.key_file or user.key_data):
        raise origin.error(
            "client-key", "missing; a client certificate needs client-key(-data)"
        )
    if user.cert_file:
        _require_readable(user.cert_file, origin, "client-certificate")
    if user.key_file:
        _require_readable(user.key_file, origin, "client-key")


def _validate_exec(spec: _Exec, origin: _Origin) -> None:
    if not spec.command:
        raise origin.error("exec.command", "missing")
    if spec.api_version not in _EXEC_API_VERSIONS:
        shown = repr(spec.api_version) if spec.api_version else "missing"
        raise origin.error(
            "exec.apiVersion",
            f"{shown}; supported: {', '.join(_EXEC_API_VERSIONS)}",
        )
    if spec.interactive_mode not in _INTERACTIVE_MODES:
        shown = repr(spec.interactive_mode) if spec.interactive_mode else "missing"
        raise origin.error(
            "exec.interactiveMode",
            f"{shown}; must be one of {', '.join(_INTERACTIVE_MODES)}",
        )
    if spec.unnamed_env:
        raise origin.error("exec.env", "an entry has no name")


def _require_readable(path: str, origin: _Origin, key: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise origin.error(key, _read_problem(path, error)) from None


def _apply_tls(config: Config, cluster: _Cluster) -> None:
    config.verify = not cluster.insecure
    config.tls_server_name = cluster.tls_server_name or None
    if cluster.ca_data:
        config.ca_file = _materialize(cluster.ca_data, ".crt")
    elif cluster.ca_file:
        config.ca_file = cluster.ca_file


def _apply_user(config: Config, user: _User, cluster: _Cluster) -> None:
    where = user.origin.describe
    if user.token_file:
        # client-go prefers the file's current content and falls back to `token`.
        config.auth = TokenFile(
            user.token_file, fallback_token=user.token, where=where("tokenFile")
        )
    elif user.token:
        config.auth = BearerToken(user.token)
    if user.username or user.password:
        config.username = user.username or None
        config.password = user.password or None
    if user.cert_file or user.cert_data:
        config.client_cert_file = _file_or_materialized(
            user.cert_file, user.cert_data, ".crt"
        )
        config.client_key_file = _file_or_materialized(
            user.key_file, user.key_data, ".key"
        )
    # client-go skips the plugin when the kubeconfig already gives credentials.
    has_credentials = config.auth or config.username or config.password
    if user.exec_config is not None and not (
        has_credentials or config.client_cert_file
    ):
        config.auth = _exec_plugin(
            user.exec_config, where("exec"), config.host, cluster
        )


def _file_or_materialized(path: str, data: bytes | None, suffix: str) -> str:
    return _materialize(data, suffix) if data else path


def _exec_plugin(spec: _Exec, where: str, host: str, cluster: _Cluster) -> ExecPlugin:
    return ExecPlugin(
        spec.command,
        spec.args,
        spec.env,
        api_version=spec.api_version,
        install_hint=spec.install_hint or None,
        interactive_mode=spec.interactive_mode,
        cluster_info=(
            _exec_cluster_info(host, cluster) if spec.provide_cluster_info else None
        ),
        where=where,
    )


def _exec_cluster_info(host: str, cluster: _Cluster) -> dict[str, Any]:
    """spec.cluster of KUBERNETES_EXEC_INFO, as client-go's ConfigToExecCluster."""
    info: dict[str, Any] = {"server": host}
    if cluster.tls_server_name:
        info["tls-server-name"] = cluster.tls_server_name
    if cluster.insecure:
        info["insecure-skip-tls-verify"] = True
    ca = cluster.ca_data or (_read_bytes(cluster.ca_file) if cluster.ca_file else None)
    if ca:
        info["certificate-authority-data"] = base64.b64encode(ca).decode("ascii")
    if cluster.proxy_url:
        info["proxy-url"] = cluster.proxy_url
    if cluster.disable_compression:
        info["disable-compression"] = True
    if cluster.exec_extension is not None:
        info["config"] = cluster.exec_extension
    return info


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return None  # already reported by validation if it mattered


# --- Public entry points -------------------------------------------------------------


def load_kube_config(
    path: str | os.PathLike[str] | None = None, context: str | None = None
) -> Config:
    """Load a kubeconfig like kubectl: ``path``, else ``$KUBECONFIG``, else
    ``~/.kube/config``.

    ``KUBECONFIG`` may list several files (``os.pathsep``-separated); missing ones
    are skipped and the rest merged, the first file to define a name winning.
    ``context`` overrides the files' current-context.
    """
    return _load(_kubeconfig_files(path), context, server_override=None)


def _load(
    paths: Iterable[str], context: str | None, server_override: str | None
) -> Config:
    merged = _merge([_read_kubeconfig(path) for path in paths])
    return _config_from_kubeconfig(merged, context or None, server_override)


def _kubeconfig_files(path: str | os.PathLike[str] | None) -> list[str]:
    if path is not None:
        return [os.fspath(path)]
    listed = os.environ.get("KUBECONFIG", "")
    if listed:
        named = list(dict.fromkeys(part for part in listed.split(os.pathsep) if part))
        existing = [part for part in named if os.path.lexists(part)]
        if not existing:
            raise ConfigError(
                f"KUBECONFIG: none of the listed files exists: {', '.join(named)}"
            )
        return existing
    home = os.path.join(os.path.expanduser("~"), ".kube", "config")
    if not os.path.exists(home):
        raise ConfigError(
            f"{home}: no such file (set KUBECONFIG, pass a path, or use "
            "in_cluster_config() inside a pod)"
        )
    return [home]


def in_cluster_config(*, base_dir: str | os.PathLike[str] | None = None) -> Config:
    """Configuration for a process running in a pod, from its service account.

    ``base_dir`` replaces :data:`IN_CLUSTER_DIR` (token, ca.crt, namespace).
    """
    host = os.environ.get("KUBERNETES_SERVICE_HOST", "")
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        raise ConfigError(
            f"{_IN_CLUSTER}: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT: "
            "not set, so this process is not running in a Kubernetes pod"
        )
    if not port.isdigit():
        raise ConfigError(
            f"{_IN_CLUSTER}: KUBERNETES_SERVICE_PORT: {port!r} is not a port"
        )
    folder = os.fspath(base_dir) if base_dir is not None else IN_CLUSTER_DIR
    token = TokenFile(os.path.join(folder, "token"), where=f"{_IN_CLUSTER}: token")
    return Config(
        host=f"https://{_join_host_port(host, port)}",
        namespace=_in_cluster_namespace(folder),
        ca_file=_in_cluster_ca(os.path.join(folder, "ca.crt")),
        auth=token,
        source=_IN_CLUSTER,
    )


def _join_host_port(host: str, port: str) -> str:
    if ":" in host and not host.startswith("["):
        return f"[{host}]:{port}"  # IPv6 literal
    return f"{host}:{port}"


def _in_cluster_namespace(folder: str) -> str:
    # client-go's in-cluster loader honours POD_NAMESPACE (downward API) first.
    namespace = os.environ.get("POD_NAMESPACE", "")
    if namespace:
        return namespace
    try:
        with open(os.path.join(folder, "namespace"), encoding="utf-8") as file:
            namespace = file.read().strip()
    except (OSError, UnicodeDecodeError):
        pass
    return namespace or "default"


def _in_cluster_ca(path: str) -> str | None:
    # Like client-go: a missing or unusable ca.crt is logged and system roots used.
    try:
        with open(path, encoding="utf-8") as file:
            usable = "-----BEGIN CERTIFICATE-----" in file.read()
    except (OSError, UnicodeDecodeError) as error:
        _log.warning("%s: ca.crt: %s", _IN_CLUSTER, _read_problem(path, error))
        return None
    if not usable:
        _log.warning("%s: ca.crt: %s holds no PEM certificate", _IN_CLUSTER, path)
        return None
    return path


def build_config_from_flags(
    master_url: str | None = None, kubeconfig_path: str | None = None
) -> Config:
    """clientcmd.BuildConfigFromFlags: the usual ``--master`` / ``--kubeconfig`` pair.

    With neither, in-cluster configuration is tried first and then the default
    kubeconfig loading. With only ``master_url``, that server is used without
    credentials (no kubeconfig is read). ``master_url`` overrides the server.
    """
    if kubeconfig_path:
        return _load([kubeconfig_path], None, server_override=master_url or None)
    if master_url:
        # As in client-go: no kubeconfig is read, so no credentials are sent.
        host = _normalize_host(master_url, "master_url")
        return Config(host=host, source="master_url")
    try:
        return in_cluster_config()
    except ConfigError as in_cluster_error:
        _log.debug("not using in-cluster configuration: %s", in_cluster_error)
        try:
            return load_kube_config()
        except ConfigError as error:
            raise ConfigError(
                f"{error} (in-cluster configuration was tried first: "
                f"{in_cluster_error})"
            ) from error
