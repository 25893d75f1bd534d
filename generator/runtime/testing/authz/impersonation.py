"""The impersonation filter (apiserver's WithImpersonation): Impersonate-*
headers become the request's identity, each one authorized first with the
``impersonate`` verb on users, groups, serviceaccounts, uids or userextras."""

from __future__ import annotations

from collections.abc import Callable

from ...config.impersonation import unescape_extra_key
from ..protocol.status import bad_request
from .attributes import Attributes, Identity
from .messages import forbidden_error
from .rbac import SERVICE_ACCOUNT_PREFIX, Decision

__all__ = ["impersonated"]

_AUTHENTICATION = "authentication.k8s.io"
_EXTRA_PREFIX = "impersonate-extra-"
ANONYMOUS = "system:anonymous"


def impersonated(
    requestor: Identity,
    headers: dict[str, str],
    authorize: Callable[[Attributes], Decision],
) -> Identity | None:
    """The identity to serve the request as, None without Impersonate-User.
    Raises the 403 of the first impersonation that is not allowed."""
    user = headers.get("impersonate-user", "")
    uid = headers.get("impersonate-uid", "")
    groups = _values(headers.get("impersonate-group"))
    extra: dict[str, list[str]] = {}
    for name, value in headers.items():
        if name.startswith(_EXTRA_PREFIX):
            escaped = name[len(_EXTRA_PREFIX) :].lower()
            # a malformed escape is kept as it came, as the real filter does
            key = unescape_extra_key(escaped) or escaped
            extra.setdefault(key, []).extend(_values(value))
    if not user:
        if groups or extra or uid:
            raise bad_request(
                f"requested {_references(groups, extra, uid)} without "
                "impersonating a user"
            )
        return None

    def check(attributes: Attributes) -> None:
        decision = authorize(attributes)
        if not decision.allowed:
            raise forbidden_error(attributes, decision.reason)

    def ask(resource: str, name: str, **more: str) -> Attributes:
        return Attributes(
            user=requestor,
            verb="impersonate",
            resource_request=True,
            resource=resource,
            name=name,
            **more,
        )

    impersonated_groups = list(groups)
    if user.startswith(SERVICE_ACCOUNT_PREFIX) and user.count(":") == 3:
        namespace, name = user[len(SERVICE_ACCOUNT_PREFIX) :].split(":")
        check(ask("serviceaccounts", name, namespace=namespace))
        if not groups:  # a service account's groups are a fixed mapping
            impersonated_groups = [
                "system:serviceaccounts",
                f"system:serviceaccounts:{namespace}",
            ]
    else:
        check(ask("users", user))
    for group in groups:
        check(ask("groups", group))
    for key, values in extra.items():
        for value in values:
            check(
                ask(
                    "userextras",
                    value,
                    subresource=key,
                    api_group=_AUTHENTICATION,
                    api_version="v1",
                )
            )
    if uid:
        check(ask("uids", uid, api_group=_AUTHENTICATION, api_version="v1"))
    if user != ANONYMOUS:
        if not {"system:authenticated", "system:unauthenticated"} & set(
            impersonated_groups
        ):
            impersonated_groups.append("system:authenticated")
    elif "system:unauthenticated" not in impersonated_groups:
        impersonated_groups.append("system:unauthenticated")
    return Identity(
        name=user,
        groups=tuple(impersonated_groups),
        uid=uid,
        extra={key: tuple(values) for key, values in extra.items()},
    )


def _values(header: str | None) -> list[str]:
    """A repeated header's values: the HTTP front joins repeated lines with ", "."""
    if not header:
        return []
    return [value.strip() for value in header.split(",") if value.strip()]


def _references(groups: list[str], extra: dict[str, list[str]], uid: str) -> str:
    """The requests as Go's %v prints a []v1.ObjectReference (Kind, Namespace,
    Name, UID, APIVersion, ResourceVersion, FieldPath)."""
    refs = [("Group", "", group, "", "", "", "") for group in groups]
    refs += [
        ("UserExtra", "", value, "", f"{_AUTHENTICATION}/v1", "", key)
        for key, values in extra.items()
        for value in values
    ]
    if uid:
        refs.append(("UID", "", uid, "", f"{_AUTHENTICATION}/v1", "", ""))
    return "[" + " ".join("{" + " ".join(ref) + "}" for ref in refs) + "]"
