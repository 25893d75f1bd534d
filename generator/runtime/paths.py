"""The one grammar of Kubernetes API paths: building them (clients) and parsing
them (the test API server's router, the fake ClientSet's action log).

::

    /api/v1/namespaces/default/pods/web/log        core group
    /apis/apps/v1/namespaces/default/deployments   named group
    /apis/apps/v1/watch/namespaces/default/pods    the deprecated watch prefix

Every segment is percent-encoded on the way out; as in client-go's request
builder, names that would change the meaning of the path ("", ".", "..", or with
"/" or "%") are refused outright, so no name can reach another URL.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

__all__ = ["ResourcePath", "api_prefix", "parse", "segment"]


@functools.lru_cache(
    maxsize=4096
)  # the same names and namespaces, request after request
def segment(value: str, what: str = "name") -> str:
    """One URL path segment, percent-encoded; meaning-changing values refused."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, got {type(value).__name__}")
    if value in ("", ".", "..") or "/" in value or "%" in value:
        raise ValueError(
            f"invalid {what} {value!r}: may not be empty, '.', '..', or contain '/' or '%'"
        )
    return quote(value, safe="")


def api_prefix(group: str, version: str) -> str:
    """``/api/v1`` for the legacy group, ``/apis/<group>/<version>`` otherwise."""
    if group:
        return f"/apis/{segment(group, 'group')}/{segment(version, 'version')}"
    return f"/api/{segment(version, 'version')}"


@dataclass(frozen=True)
class ResourcePath:
    """A request to a resource: its collection, one object, or a subresource."""

    group: str
    version: str
    resource: str  # plural
    namespace: str | None = None  # None: cluster-scoped, or all namespaces
    name: str | None = None
    subresource: str | None = None
    #: segments below a subresource (``pods/x/proxy/some/path``), still encoded
    rest: str = ""
    #: the deprecated ``/watch/`` prefix
    watch_prefix: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def build(self) -> str:
        """The encoded path."""
        parts = [api_prefix(self.group, self.version)]
        if self.watch_prefix:
            parts.append("/watch")
        if self.namespace:
            parts.append(f"/namespaces/{segment(self.namespace, 'namespace')}")
        parts.append(f"/{segment(self.resource, 'resource')}")
        if self.name is not None:
            parts.append(f"/{segment(self.name)}")
        if self.subresource is not None:
            if self.name is None:
                raise ValueError(
                    f"subresource {self.subresource!r} needs an object name"
                )
            parts.append(f"/{segment(self.subresource, 'subresource')}")
        if self.rest:
            parts.append("/" + self.rest.strip("/"))
        return "".join(parts)


#: (group, version, resource) -> True if the resource is namespaced, False if it is
#: cluster-scoped, None if the server does not serve it.
Scope = Callable[[str, str, str], "bool | None"]


def split(path: str) -> list[str]:
    """The decoded, non-empty segments of an encoded path."""
    return [unquote(part) if "%" in part else part for part in path.split("/") if part]


def parse(path: str, scope: Scope | None = None) -> ResourcePath | None:
    """The resource a path names, or None when it names none (discovery, /version,
    a group-version's resource list ...).

    ``/api/v1/namespaces/x/status`` is the status of namespace x, not a resource
    called "status" in it: what follows ``namespaces/<name>`` is a namespaced
    resource only if ``scope`` says so (without ``scope``, any third segment is
    taken for one, which is right for every path a client builds).
    """
    parts = split(path)
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    watch = rest[:1] == ["watch"]
    if watch:
        rest = rest[1:]
    if not rest:
        return None
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespaced = scope(group, version, rest[2]) if scope is not None else True
        if namespaced:
            namespace, rest = rest[1], rest[2:]
    raw_rest = "/".join(part for part in path.split("/") if part)
    # what follows a subresource stays encoded: a proxy path is passed on as is
    tail = raw_rest.split("/")[len(raw_rest.split("/")) - max(len(rest) - 3, 0) :]
    return ResourcePath(
        group=group,
        version=version,
        resource=rest[0],
        namespace=namespace,
        name=rest[1] if len(rest) > 1 else None,
        subresource=rest[2] if len(rest) > 2 else None,
        rest="/".join(tail) if len(rest) > 3 else "",
        watch_prefix=watch,
    )
