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

Modules, one job each: ``types`` (Config), ``auth`` and ``exec_plugin``
(authenticators), ``kubeconfig_yaml`` and ``kubeconfig`` (reading and merging
files), ``resolve`` (kubeconfig entries to a Config), ``incluster``.
"""

from __future__ import annotations

import logging
import os

from .auth import Authenticator, BearerToken, TokenFile
from .common import ConfigError
from .exec_plugin import ExecPlugin
from .impersonation import Impersonation
from .incluster import SERVICE_ACCOUNT_DIR, in_cluster_config_from
from .kubeconfig import kubeconfig_files
from .resolve import load, normalize_host
from .types import Config

__all__ = [
    "IN_CLUSTER_DIR",
    "Authenticator",
    "BearerToken",
    "Config",
    "ConfigError",
    "ExecPlugin",
    "Impersonation",
    "TokenFile",
    "build_config_from_flags",
    "in_cluster_config",
    "load_kube_config",
]

_log = logging.getLogger(__name__)

#: Where a pod's service account credentials are mounted; tests point it elsewhere
#: (it is read at each call, so assigning this module attribute takes effect).
IN_CLUSTER_DIR = SERVICE_ACCOUNT_DIR


def load_kube_config(
    path: str | os.PathLike[str] | None = None, context: str | None = None
) -> Config:
    """Load a kubeconfig like kubectl: ``path``, else ``$KUBECONFIG``, else
    ``~/.kube/config``.

    ``KUBECONFIG`` may list several files (``os.pathsep``-separated); missing ones
    are skipped and the rest merged, the first file to define a name winning.
    ``context`` overrides the files' current-context.
    """
    return load(kubeconfig_files(path), context, server_override=None)


def in_cluster_config(*, base_dir: str | os.PathLike[str] | None = None) -> Config:
    """Configuration for a process running in a pod, from its service account.

    ``base_dir`` replaces :data:`IN_CLUSTER_DIR` (token, ca.crt, namespace).
    """
    folder = os.fspath(base_dir) if base_dir is not None else IN_CLUSTER_DIR
    return in_cluster_config_from(folder)


def build_config_from_flags(
    master_url: str | None = None, kubeconfig_path: str | None = None
) -> Config:
    """clientcmd.BuildConfigFromFlags: the usual ``--master`` / ``--kubeconfig`` pair.

    With neither, in-cluster configuration is tried first and then the default
    kubeconfig loading. With only ``master_url``, that server is used without
    credentials (no kubeconfig is read). ``master_url`` overrides the server.
    """
    if kubeconfig_path:
        return load([kubeconfig_path], None, server_override=master_url or None)
    if master_url:
        # As in client-go: no kubeconfig is read, so no credentials are sent.
        host = normalize_host(master_url, "master_url")
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
