"""Who am I, and may I? ``kubectl auth whoami`` and ``kubectl auth can-i`` as
functions::

    from kubeclient.authz import can_i, whoami

    whoami(cs).username                                  # "system:serviceaccount:ns:ctl"
    can_i(cs, "watch", "pods", namespace="team")         # SelfSubjectAccessReview
    can_i(cs, "get", "pods/log", namespace="team")       # a subresource
    can_i(cs, "create", "deployments.apps", namespace="team")
    can_i(cs, "get", "/healthz")                         # a non-resource URL

Both ask the server (SelfSubjectAccessReview and SelfSubjectReview), so they
answer for the identity the client really has, impersonation included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .rest import RESTClient

__all__ = ["UserInfo", "can_i", "whoami"]


class _HasRestClient(Protocol):
    rest_client: RESTClient


Client = _HasRestClient | RESTClient


@dataclass(frozen=True)
class UserInfo:
    """The identity the server sees (authentication.k8s.io UserInfo)."""

    username: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def can_i(
    cs: Client,
    verb: str,
    resource: str,
    namespace: str | None = None,
    name: str | None = None,
    subresource: str | None = None,
    group: str = "",
) -> bool:
    """Whether the current identity may ``verb`` the ``resource``, as ``kubectl
    auth can-i`` asks it.

    ``resource`` is a plural (``pods``), optionally with its group
    (``deployments.apps``) or subresource (``pods/log``) as kubectl accepts them,
    or a non-resource URL starting with "/" (``/healthz``, ``/logs/*``).
    ``namespace`` None asks about all namespaces (``kubectl auth can-i -A``).
    """
    if not verb:
        raise ValueError("can_i: verb must not be empty")
    if not resource:
        raise ValueError("can_i: resource must not be empty")
    spec: dict[str, Any]
    if resource.startswith("/"):
        spec = {"nonResourceAttributes": {"path": resource, "verb": verb}}
    else:
        plural, _, sub = resource.partition("/")
        plural, _, implied_group = plural.partition(".")
        attributes: dict[str, Any] = {
            "verb": verb,
            "resource": plural,
            "group": group or implied_group,
        }
        if subresource or sub:
            attributes["subresource"] = subresource or sub
        if namespace:
            attributes["namespace"] = namespace
        if name:
            attributes["name"] = name
        spec = {"resourceAttributes": attributes}
    review = _create(
        cs,
        "authorization.k8s.io",
        "selfsubjectaccessreviews",
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": spec,
        },
    )
    status = review.get("status")
    return isinstance(status, dict) and status.get("allowed") is True


def whoami(cs: Client) -> UserInfo:
    """The identity the server sees for this client (``kubectl auth whoami``)."""
    review = _create(
        cs,
        "authentication.k8s.io",
        "selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    status = review.get("status")
    info = status.get("userInfo") if isinstance(status, dict) else None
    if not isinstance(info, dict):
        info = {}
    extra = info.get("extra")
    return UserInfo(
        username=str(info.get("username") or ""),
        uid=str(info.get("uid") or ""),
        groups=tuple(str(g) for g in info.get("groups") or ()),
        extra=(
            {str(k): tuple(str(v) for v in vs or ()) for k, vs in extra.items()}
            if isinstance(extra, dict)
            else {}
        ),
    )


def _create(
    cs: Client, group: str, plural: str, body: dict[str, Any]
) -> dict[str, Any]:
    rest = cs if isinstance(cs, RESTClient) else cs.rest_client
    result = (
        rest.post().group_version(group, "v1").resource(plural).body(body).do().json()
    )
    return result if isinstance(result, dict) else {}
