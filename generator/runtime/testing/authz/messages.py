"""The 403 a denied request gets: responsewriters.Forbidden's message inside
apierrors.NewForbidden's Status, word for word."""

from __future__ import annotations

from ..protocol.status import ApiError
from .attributes import Attributes

__all__ = ["forbidden_error", "forbidden_message"]


def forbidden_message(attributes: Attributes) -> str:
    user = attributes.user.name
    if not attributes.resource_request:
        return f'User "{user}" cannot {attributes.verb} path "{attributes.path}"'
    resource = attributes.resource
    if attributes.subresource:
        resource += "/" + attributes.subresource
    where = (
        f'in the namespace "{attributes.namespace}"'
        if attributes.namespace
        else "at the cluster scope"
    )
    return (
        f'User "{user}" cannot {attributes.verb} resource "{resource}" '
        f'in API group "{attributes.api_group}" {where}'
    )


def forbidden_error(attributes: Attributes, reason: str = "") -> ApiError:
    why = forbidden_message(attributes)
    if reason:
        why = f"{why}: {reason}"
    return forbidden_status(
        attributes.api_group,
        attributes.resource if attributes.resource_request else "",
        attributes.name,
        why,
    )


def forbidden_status(group: str, resource: str, name: str, why: str) -> ApiError:
    """apierrors.NewForbidden(GroupResource{group, resource}, name, why)."""
    qualified = f"{resource}.{group}" if group else resource
    if not qualified:
        message = f"forbidden: {why}"
    elif not name:
        message = f"{qualified} is forbidden: {why}"
    else:
        message = f'{qualified} "{name}" is forbidden: {why}'
    details: dict[str, str] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    if resource:
        details["kind"] = resource
    return ApiError(403, "Forbidden", message, details)
