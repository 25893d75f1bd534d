"""Who asks (:class:`Identity`) and what for (:class:`Attributes`), read from a
request's URL as kube-apiserver's RequestInfoFactory reads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from ..protocol.wire import ServerRequest

__all__ = ["Attributes", "Identity", "request_attributes"]

#: Sub-paths of /api/v1/namespaces/x that are subresources of the namespace.
_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass(frozen=True)
class Identity:
    """An authenticated user, after impersonation (user.Info)."""

    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def user_info(self) -> dict[str, object]:
        """authentication.k8s.io/v1 UserInfo, empty fields left out."""
        info: dict[str, object] = {"username": self.name}
        if self.uid:
            info["uid"] = self.uid
        if self.groups:
            info["groups"] = list(self.groups)
        if self.extra:
            info["extra"] = {key: list(values) for key, values in self.extra.items()}
        return info


@dataclass(frozen=True)
class Attributes:
    """authorizer.Attributes: one decision's question."""

    user: Identity
    verb: str
    resource_request: bool
    api_group: str = ""
    api_version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    path: str = ""


def request_attributes(request: ServerRequest, user: Identity) -> Attributes:
    """The attributes of an HTTP request (RequestInfoFactory.NewRequestInfo)."""
    parts = [unquote(part) for part in request.path.strip("/").split("/") if part]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return _non_resource(request, user)
    if not rest:  # /api/v1, /apis/apps/v1: discovery documents
        return _non_resource(request, user)
    verb = _VERBS.get(request.method, "get")
    watch_prefix = rest[0] == "watch"
    if watch_prefix:
        verb, rest = "watch", rest[1:]
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0] if rest else ""
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if not name:
        if verb == "get":
            verb = "watch" if _watch_param(request) else "list"
        elif verb == "delete":
            verb = "deletecollection"
    if verb in ("list", "watch") and not name:
        # a list or watch narrowed to one name is authorized for that name
        name = _field_selected_name(request)
    return Attributes(
        user=user,
        verb=verb,
        resource_request=True,
        api_group=group,
        api_version=version,
        namespace=namespace,
        resource=resource,
        subresource=subresource,
        name=name,
        path=request.path,
    )


def _non_resource(request: ServerRequest, user: Identity) -> Attributes:
    return Attributes(
        user=user,
        verb=request.method.lower(),
        resource_request=False,
        path=request.path,
    )


def _watch_param(request: ServerRequest) -> bool:
    values = request.query.get("watch") or [""]
    return values[0].lower() in ("1", "t", "true")


def _field_selected_name(request: ServerRequest) -> str:
    for selector in request.query.get("fieldSelector") or []:
        for term in selector.split(","):
            key, _, value = term.partition("=")
            value = value.removeprefix("=")
            if key.strip() == "metadata.name":
                return value.strip()
    return ""
