"""The kubeconfig model: files read into entries, merged, and a context chosen.

As client-go's ``clientcmd``: ``KUBECONFIG`` may list several files; the first file
to define a name (or to set current-context) wins, entry by entry.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .common import ConfigError
from .kubeconfig_yaml import Origin, Section, parse_yaml_file, resolve_path

__all__ = [
    "EXEC_CLUSTER_EXTENSION",
    "ClusterEntry",
    "ContextEntry",
    "ExecSpec",
    "KubeconfigFile",
    "Merged",
    "UserEntry",
    "kubeconfig_files",
    "merge",
    "read_kubeconfig",
    "referenced",
    "select_context",
]

# A cluster extension under this name is passed to exec plugins as spec.cluster.config.
EXEC_CLUSTER_EXTENSION = "client.authentication.k8s.io/exec"


@dataclass
class ClusterEntry:
    origin: Origin
    server: str = ""
    ca_file: str = ""
    ca_data: bytes | None = field(default=None, repr=False)
    insecure: bool = False
    tls_server_name: str = ""
    proxy_url: str = ""
    disable_compression: bool = False
    exec_extension: Any = None


@dataclass
class ExecSpec:
    command: str
    args: list[str]
    env: dict[str, str] = field(repr=False)
    api_version: str
    install_hint: str
    provide_cluster_info: bool
    interactive_mode: str
    unnamed_env: bool  # an env entry without a name (client-go rejects it)


@dataclass
class UserEntry:
    origin: Origin
    token: str = field(default="", repr=False)
    token_file: str = ""
    cert_file: str = ""
    cert_data: bytes | None = field(default=None, repr=False)
    key_file: str = ""
    key_data: bytes | None = field(default=None, repr=False)
    username: str = ""
    password: str = field(default="", repr=False)
    exec_config: ExecSpec | None = None
    auth_provider: str | None = None
    #: as, as-uid, as-groups, as-user-extra
    impersonate_user: str = ""
    impersonate_uid: str = ""
    impersonate_groups: list[str] = field(default_factory=list)
    impersonate_extra: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ContextEntry:
    origin: Origin
    name: str
    cluster: str = ""
    user: str = ""
    namespace: str = ""


@dataclass
class KubeconfigFile:
    path: str
    current_context: str = ""
    clusters: dict[str, ClusterEntry] = field(default_factory=dict)
    users: dict[str, UserEntry] = field(default_factory=dict)
    contexts: dict[str, ContextEntry] = field(default_factory=dict)


# --- Reading one file ------------------------------------------------------------


def read_kubeconfig(path: str) -> KubeconfigFile:
    top = Section(path, "", parse_yaml_file(path))
    return KubeconfigFile(
        path=path,
        current_context=top.string("current-context"),
        clusters=_named(top, "clusters", "cluster", _cluster),
        users=_named(top, "users", "user", _user),
        contexts=_named(top, "contexts", "context", _context),
    )


_Entry = TypeVar("_Entry")


def _named(
    top: Section,
    key: str,
    body_key: str,
    build: Callable[[str, Section], _Entry],
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
        entries[name] = build(name, Section(top.file, path, entry.raw(body_key)))
    return entries


def _cluster(name: str, body: Section) -> ClusterEntry:
    return ClusterEntry(
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


def _exec_extension(cluster: Section) -> Any:
    for entry in cluster.sections("extensions"):
        if entry.string("name") == EXEC_CLUSTER_EXTENSION:
            return entry.json_data("extension")
    return None


def _user(name: str, body: Section) -> UserEntry:
    provider = body.section("auth-provider") if body.has("auth-provider") else None
    return UserEntry(
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
        impersonate_user=body.string("as"),
        impersonate_uid=body.string("as-uid"),
        impersonate_groups=body.strings("as-groups"),
        impersonate_extra=body.string_lists("as-user-extra"),
    )


def _exec(body: Section) -> ExecSpec:
    command = body.string("command")
    # Like client-go, only a command with a path separator is file-relative; a bare
    # name is looked up on PATH.
    if os.sep in command:
        command = resolve_path(command, body.base_dir)
    env: dict[str, str] = {}
    unnamed = False
    for entry in body.sections("env"):
        name = entry.string("name")
        unnamed = unnamed or not name
        env[name] = entry.string("value")
    api_version = body.string("apiVersion")
    return ExecSpec(
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


def _context(name: str, body: Section) -> ContextEntry:
    return ContextEntry(
        origin=body.origin,
        name=name,
        cluster=body.string("cluster"),
        user=body.string("user"),
        namespace=body.string("namespace"),
    )


# --- Several files ------------------------------------------------------------------


def kubeconfig_files(path: str | os.PathLike[str] | None) -> list[str]:
    """``path``, else the files ``$KUBECONFIG`` lists, else ``~/.kube/config``."""
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


@dataclass
class Merged:
    """Several kubeconfig files merged by client-go's rules."""

    files: list[str]
    current_context: str = ""
    current_context_file: str = ""
    clusters: dict[str, ClusterEntry] = field(default_factory=dict)
    users: dict[str, UserEntry] = field(default_factory=dict)
    contexts: dict[str, ContextEntry] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return os.pathsep.join(self.files)


def merge(files: Sequence[KubeconfigFile]) -> Merged:
    """The first file to define a name or set current-context wins, entry by entry.

    A later file's entry of the same name is ignored whole, not merged field by field.
    """
    merged = Merged(files=[file.path for file in files])
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


def select_context(merged: Merged, requested: str | None) -> ContextEntry | None:
    """The requested context, else current-context's; None if neither is set."""
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


def referenced(
    entries: Mapping[str, _Entry], context: ContextEntry, kind: str
) -> _Entry:
    """The cluster or user (``kind``) that ``context`` names."""
    name = getattr(context, kind)
    if not name:
        raise context.origin.error(kind, "not set")
    if name not in entries:
        raise context.origin.error(
            kind, f"names {kind} {name!r}, which is not defined in any kubeconfig file"
        )
    return entries[name]
