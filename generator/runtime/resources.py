"""What the client knows about each resource, and safe URL paths to it.

The generated ``_api.py`` lists a ``ResourceInfo`` for every resource of the spec;
typed clients, the dynamic client, the RESTMapper and the test API server all
read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from .paths import ResourcePath


class GroupVersionKind(NamedTuple):
    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


class GroupVersionResource(NamedTuple):
    group: str
    version: str
    resource: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


_KUBE_VERSION = re.compile(r"^v([1-9][0-9]*)(?:(alpha|beta)([1-9][0-9]*))?$")
_STAGES = {None: 0, "beta": 1, "alpha": 2}


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key, highest priority first: v2 > v1 > v1beta2 > v1beta1 > v1alpha1, then
    other strings by name (apimachinery's CompareKubeAwareVersionStrings). The one
    order of the generator, the discovery client and the test API server."""
    match = _KUBE_VERSION.match(version)
    if match is None:
        return (3, 0, 0, version)
    major, stage, minor = match.groups()
    return (_STAGES[stage], -int(major), -int(minor or 0), "")


@dataclass(frozen=True)
class SubresourceInfo:
    name: str  # status, scale, log, eviction, exec ...
    verbs: tuple[str, ...]
    kind: GroupVersionKind | None = None  # the object it reads or writes (Scale ...)
    streaming: bool = False  # exec, attach, portforward, proxy


@dataclass(frozen=True)
class ResourceInfo:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...]
    list_kind: str | None = None
    subresources: tuple[SubresourceInfo, ...] = ()
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    singular: str = ""
    model: str | None = None  # "core_v1.Pod": the typed model, relative to <pkg>.models
    list_model: str | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def gvr(self) -> GroupVersionResource:
        return GroupVersionResource(self.group, self.version, self.plural)

    @property
    def gvk(self) -> GroupVersionKind:
        return GroupVersionKind(self.group, self.version, self.kind)

    def subresource(self, name: str) -> SubresourceInfo | None:
        return next((s for s in self.subresources if s.name == name), None)

    def path(
        self,
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
    ) -> str:
        """The URL path; ``namespace`` "" or None on a namespaced resource means all
        namespaces (only meaningful for list, watch and deletecollection)."""
        if namespace and not self.namespaced:
            raise ValueError(
                f"{self.plural} is cluster-scoped: no namespace ({namespace!r})"
            )
        return ResourcePath(
            self.group,
            self.version,
            self.plural,
            namespace=namespace or None,
            name=name,
            subresource=subresource,
        ).build()
