"""From kubeconfig entries to a Config: server URL, TLS, credentials, exec plugin.

Validation happens here, at load time, so that a broken kubeconfig fails before
the first request with a message naming the file and field.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from .auth import BearerToken, TokenFile
from .common import (
    ConfigError,
    hide_url_password,
    materialize,
    read_problem,
    token_problem,
)
from .exec_plugin import EXEC_API_VERSIONS, INTERACTIVE_MODES, ExecPlugin
from .impersonation import Impersonation
from .kubeconfig import (
    ClusterEntry,
    ExecSpec,
    Merged,
    UserEntry,
    merge,
    read_kubeconfig,
    referenced,
    select_context,
)
from .kubeconfig_yaml import Origin
from .types import Config

__all__ = ["load", "normalize_host"]

_PROXY_SCHEMES = ("http", "https", "socks5")


def load(
    paths: Iterable[str], context: str | None, server_override: str | None
) -> Config:
    """Read, merge and resolve kubeconfig files (``server_override``: --master)."""
    merged = merge([read_kubeconfig(path) for path in paths])
    return config_from_kubeconfig(merged, context or None, server_override)


def config_from_kubeconfig(
    merged: Merged, context_name: str | None, server_override: str | None
) -> Config:
    context = select_context(merged, context_name)
    if context is None:
        if server_override:
            # client-go accepts a bare --master with a context-less kubeconfig.
            host = normalize_host(server_override, "master_url")
            return Config(host=host, source=merged.source)
        known = ", ".join(sorted(merged.contexts)) or "none"
        raise ConfigError(
            f"{merged.source}: current-context: not set and no context was "
            f"requested; defined contexts: {known}"
        )
    if server_override and not context.cluster:
        cluster = ClusterEntry(origin=context.origin)
    else:
        cluster = referenced(merged.clusters, context, "cluster")
    user = referenced(merged.users, context, "user") if context.user else None
    _validate_cluster(cluster)
    if user is not None:
        _validate_user(user)
    server = server_override or cluster.server
    if not server:
        raise cluster.origin.error("server", "missing (the API server's URL)")
    where = "master_url" if server_override else cluster.origin.describe("server")
    config = Config(
        host=normalize_host(server, where),
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


def normalize_host(server: str, where: str) -> str:
    """``https://host:port[/prefix]`` without a trailing slash.

    Like client-go's rest.DefaultServerURL, a server without a scheme is plain http.
    ``where`` names the setting in the ConfigError raised for a malformed URL.
    """
    shown = repr(hide_url_password(server))
    invalid = ConfigError(f"{where}: {shown} is not a valid server URL")
    parts = _split_url(server.strip())
    if parts is not None and (not parts.scheme or not parts.netloc):
        parts = _split_url("http://" + server.strip())
    if parts is None:
        raise invalid
    if parts.scheme not in ("http", "https"):
        raise ConfigError(
            f"{where}: unsupported scheme {parts.scheme!r} in {shown} "
            "(use https:// or http://)"
        )
    if not _has_valid_host(parts):
        raise invalid
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _split_url(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:  # "https://[::1" and the like
        return None


def _has_valid_host(parts: SplitResult) -> bool:
    if any(char.isspace() or not char.isprintable() for char in parts.netloc):
        return False
    try:
        return bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:  # a port that is not a number, or out of range
        return False


def _validate_cluster(cluster: ClusterEntry) -> None:
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
        _validate_proxy_url(cluster.proxy_url, origin)


def _validate_proxy_url(url: str, origin: Origin) -> None:
    shown = repr(hide_url_password(url))
    parts = _split_url(url)
    if parts is None:
        raise origin.error("proxy-url", f"{shown} is not a valid proxy URL")
    if parts.scheme not in _PROXY_SCHEMES:
        raise origin.error(
            "proxy-url",
            f"unsupported scheme {parts.scheme!r}, must be http, https, or socks5",
        )
    if not _has_valid_host(parts):
        raise origin.error("proxy-url", f"{shown} is not a valid proxy URL")


def _validate_user(user: UserEntry) -> None:
    origin = user.origin
    if user.auth_provider is not None:
        raise origin.error(
            "auth-provider",
            f"the legacy auth provider {user.auth_provider!r} is not supported; "
            "use an exec credential plugin instead (for example "
            "gke-gcloud-auth-plugin, kubelogin or aws eks get-token)",
        )
    if not user.impersonate_user:
        # clientcmd's validation: groups and extras belong to an impersonated user
        if user.impersonate_groups:
            raise origin.error(
                "as-groups", "requesting groups without impersonating a user (set as)"
            )
        if user.impersonate_extra:
            raise origin.error(
                "as-user-extra",
                "requesting user-extra without impersonating a user (set as)",
            )
    problem = token_problem(user.token)
    if problem is not None:
        raise origin.error("token", problem)
    if user.token and (user.username or user.password):
        raise origin.error(
            "token",
            "more than one authentication method (token and username/password); "
            "only one is allowed",
        )
    _validate_client_cert(user)
    if user.exec_config is not None:
        _validate_exec(user.exec_config, origin)


def _validate_client_cert(user: UserEntry) -> None:
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


def _validate_exec(spec: ExecSpec, origin: Origin) -> None:
    if not spec.command:
        raise origin.error("exec.command", "missing")
    if spec.api_version not in EXEC_API_VERSIONS:
        shown = repr(spec.api_version) if spec.api_version else "missing"
        raise origin.error(
            "exec.apiVersion",
            f"{shown}; supported: {', '.join(EXEC_API_VERSIONS)}",
        )
    if spec.interactive_mode not in INTERACTIVE_MODES:
        shown = repr(spec.interactive_mode) if spec.interactive_mode else "missing"
        raise origin.error(
            "exec.interactiveMode",
            f"{shown}; must be one of {', '.join(INTERACTIVE_MODES)}",
        )
    if spec.unnamed_env:
        raise origin.error("exec.env", "an entry has no name")


def _require_readable(path: str, origin: Origin, key: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        raise origin.error(key, read_problem(path, error)) from None


def _apply_tls(config: Config, cluster: ClusterEntry) -> None:
    config.verify = not cluster.insecure
    config.tls_server_name = cluster.tls_server_name or None
    if cluster.ca_data:
        where = cluster.origin.describe("certificate-authority-data")
        config.ca_file = materialize(cluster.ca_data, ".crt", where)
    elif cluster.ca_file:
        config.ca_file = cluster.ca_file


def _apply_user(config: Config, user: UserEntry, cluster: ClusterEntry) -> None:
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
        config.client_cert_file = user.cert_file or materialize(
            user.cert_data or b"", ".crt", where("client-certificate-data")
        )
        config.client_key_file = user.key_file or materialize(
            user.key_data or b"", ".key", where("client-key-data")
        )
    impersonation = Impersonation(
        user=user.impersonate_user,
        uid=user.impersonate_uid,
        groups=tuple(user.impersonate_groups),
        extra={key: tuple(values) for key, values in user.impersonate_extra.items()},
    )
    if impersonation.active:
        config.impersonate = impersonation
    # client-go skips the plugin when the kubeconfig already gives credentials.
    has_credentials = config.auth or config.username or config.password
    if user.exec_config is not None and not (
        has_credentials or config.client_cert_file
    ):
        config.auth = _exec_plugin(
            user.exec_config, where("exec"), config.host, cluster
        )


def _exec_plugin(
    spec: ExecSpec, where: str, host: str, cluster: ClusterEntry
) -> ExecPlugin:
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


def _exec_cluster_info(host: str, cluster: ClusterEntry) -> dict[str, Any]:
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
    except (OSError, ValueError):
        return None  # already reported by validation if it mattered
