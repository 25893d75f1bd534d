"""What the client knows about each resource, and safe URL paths to it.

The generated ``_api.py`` lists a ``ResourceInfo`` for every resource of the spec;
typed clients, the dynamic client, the RESTMapper and the test API server all
read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote


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


def api_prefix(group: str, version: str) -> str:
    """``/api/v1`` for the legacy group, ``/apis/<group>/<version>`` otherwise."""
    if group:
        return f"/apis/{segment(group, 'group')}/{segment(version, 'version')}"
    return f"/api/{segment(version, 'version')}"


def segment(value: str, what: str = "name") -> str:
    """One URL path segment, percent-encoded.

    As client-go's request builder, names that would change the meaning of the path
    are refused outright ("", ".", "..", anything with "/" or "%"); everything else
    (``?``, ``#``, spaces, non-ASCII) is percent-encoded, so no name can reach
    another URL.
    """
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, got {type(value).__name__}")
    if value in ("", ".", "..") or "/" in value or "%" in value:
        raise ValueError(
            f"invalid {what} {value!r}: may not be empty, '.', '..', or contain '/' or '%'"
        )
    return quote(value, safe="")


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
        parts = [api_prefix(self.group, self.version)]
        if self.namespaced and namespace:
            parts.append(f"/namespaces/{segment(namespace, 'namespace')}")
        elif namespace and not self.namespaced:
            raise ValueError(
                f"{self.plural} is cluster-scoped: no namespace ({namespace!r})"
            )
        parts.append(f"/{segment(self.plural, 'resource')}")
        if name is not None:
            parts.append(f"/{segment(name)}")
        if subresource is not None:
            if name is None:
                raise ValueError(f"subresource {subresource!r} needs an object name")
            parts.append(f"/{segment(subresource, 'subresource')}")
        return "".join(parts)
