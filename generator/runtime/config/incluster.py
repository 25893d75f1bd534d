"""Configuration inside a pod, from its service account (client-go's
``rest.InClusterConfig``)."""

from __future__ import annotations

import logging
import os

from .auth import TokenFile
from .common import ConfigError, read_problem
from .resolve import normalize_host
from .types import Config

__all__ = ["IN_CLUSTER", "SERVICE_ACCOUNT_DIR", "in_cluster_config_from"]

#: Where a pod's service account credentials are mounted.
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
#: What messages and Config.source call this configuration.
IN_CLUSTER = "in-cluster"

_log = logging.getLogger(__name__.rpartition(".")[0])


def in_cluster_config_from(folder: str) -> Config:
    """The in-cluster Config, with the service account files in ``folder``."""
    host = os.environ.get("KUBERNETES_SERVICE_HOST", "")
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        raise ConfigError(
            f"{IN_CLUSTER}: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT: "
            "not set, so this process is not running in a Kubernetes pod"
        )
    if not port.isdigit():
        raise ConfigError(
            f"{IN_CLUSTER}: KUBERNETES_SERVICE_PORT: {port!r} is not a port"
        )
    server = normalize_host(
        f"https://{_join_host_port(host, port)}",
        f"{IN_CLUSTER}: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT",
    )
    token = TokenFile(os.path.join(folder, "token"), where=f"{IN_CLUSTER}: token")
    return Config(
        host=server,
        namespace=_namespace(folder),
        ca_file=_ca_file(os.path.join(folder, "ca.crt")),
        auth=token,
        source=IN_CLUSTER,
    )


def _join_host_port(host: str, port: str) -> str:
    if ":" in host and not host.startswith("["):
        return f"[{host}]:{port}"  # IPv6 literal
    return f"{host}:{port}"


def _namespace(folder: str) -> str:
    # client-go's in-cluster loader honours POD_NAMESPACE (downward API) first.
    namespace = os.environ.get("POD_NAMESPACE", "")
    if namespace:
        return namespace
    try:
        with open(os.path.join(folder, "namespace"), encoding="utf-8") as file:
            namespace = file.read().strip()
    except (OSError, ValueError):  # ValueError: not UTF-8, or a bad file name
        pass
    return namespace or "default"


def _ca_file(path: str) -> str | None:
    # Like client-go: a missing or unusable ca.crt is logged and system roots used.
    try:
        with open(path, encoding="utf-8") as file:
            usable = "-----BEGIN CERTIFICATE-----" in file.read()
    except (OSError, ValueError) as error:
        _log.warning("%s: ca.crt: %s", IN_CLUSTER, read_problem(path, error))
        return None
    if not usable:
        _log.warning("%s: ca.crt: %s holds no PEM certificate", IN_CLUSTER, path)
        return None
    return path
