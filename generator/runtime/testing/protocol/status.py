"""metav1.Status bodies and the errors that carry them, worded as the real server.

Messages follow k8s.io/apimachinery/pkg/api/errors (``NewNotFound``, ``NewConflict``,
``NewInvalid`` ...): clients match on ``reason`` and ``code``, people and some
tests on ``message``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...resources import ResourceInfo


@dataclass(frozen=True)
class Cause:
    """One ``status.details.causes`` entry; ``reason`` as field.ErrorType names it."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}

    def text(self) -> str:
        """The field error as the aggregate message prints it."""
        return f"{self.field}: {self.message}" if self.field else self.message


class ApiError(Exception):
    """A request the server answers with a failure Status."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        return status_body(self.code, self.reason, self.message, self.details)


def status_body(
    code: int,
    reason: str,
    message: str,
    details: dict[str, Any] | None = None,
    *,
    success: bool = False,
) -> dict[str, Any]:
    """A metav1.Status in the real server's key order (empty fields left out)."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success" if success else "Failure",
    }
    if message:
        body["message"] = message
    if reason:
        body["reason"] = reason
    if details:
        body["details"] = details
    body["code"] = code
    return body


def qualified(info: ResourceInfo) -> str:
    """``pods``, ``deployments.apps``: the resource as messages name it."""
    return f"{info.plural}.{info.group}" if info.group else info.plural


def _details(info: ResourceInfo, name: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if info.group:
        details["group"] = info.group
    details["kind"] = info.plural  # the server puts the resource here, not the kind
    details.update(extra)
    return details


def not_found(info: ResourceInfo, name: str) -> ApiError:
    return ApiError(
        404, "NotFound", f'{qualified(info)} "{name}" not found', _details(info, name)
    )


def already_exists(info: ResourceInfo, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified(info)} "{name}" already exists',
        _details(info, name),
    )


def conflict(info: ResourceInfo, name: str, why: str, sub: str = "") -> ApiError:
    what = f"{qualified(info)}/{sub}" if sub else qualified(info)
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {what} "{name}": {why}',
        _details(info, name),
    )


MODIFIED = (
    "the object has been modified; please apply your changes to the latest "
    "version and try again"
)


def invalid(
    kind: str, group: str, name: str, causes: Sequence[Cause], *, code: int = 422
) -> ApiError:
    """errors.NewInvalid: ``Pod "x" is invalid: metadata.name: Invalid value: ...``."""
    qualified_kind = f"{kind}.{group}" if group else kind
    texts = [c.text() for c in causes]
    summary = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [c.as_dict() for c in causes]
    return ApiError(
        code, "Invalid", f'{qualified_kind} "{name}" is invalid: {summary}', details
    )


def invalid_value(value: Any, detail: str) -> str:
    """field.Invalid's message: ``Invalid value: "X": detail``."""
    shown = f'"{value}"' if isinstance(value, str) else _go_value(value)
    return f"Invalid value: {shown}: {detail}" if detail else f"Invalid value: {shown}"


def _go_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def unsupported_value(value: Any, supported: Iterable[str]) -> str:
    listed = ", ".join(f'"{s}"' for s in supported)
    return f'Unsupported value: "{value}": supported values: {listed}'


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def forbidden(info: ResourceInfo, name: str, why: str) -> ApiError:
    return ApiError(
        403,
        "Forbidden",
        f'{qualified(info)} "{name}" is forbidden: {why}',
        _details(info, name),
    )


def method_not_allowed() -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        {},
    )


def terminating_create(info: ResourceInfo) -> ApiError:
    """What the CRD handler answers a create while its CRD is being deleted."""
    details: dict[str, Any] = {}
    if info.group:
        details["group"] = info.group
    details["kind"] = info.plural
    return ApiError(
        405,
        "MethodNotAllowed",
        "create not allowed while custom resource definition is terminating",
        details,
    )


def no_resource() -> ApiError:
    return ApiError(
        404, "NotFound", "the server could not find the requested resource", {}
    )


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def unsupported_media_type(content_type: str, accepted: Sequence[str]) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        (
            f"the body of the request was in an unknown format - accepted media types "
            f'include: {", ".join(accepted)}'
            if accepted
            else f"unsupported media type {content_type!r}"
        ),
    )


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def too_large_rv(requested: int, current: int) -> ApiError:
    return ApiError(
        504,
        "Timeout",
        f"Too large resource version: {requested}, current: {current}",
        {
            "causes": [
                {
                    "reason": "ResourceVersionTooLarge",
                    "message": "Too large " "resource version",
                }
            ],
            "retryAfterSeconds": 1,
        },
    )


@dataclass
class Warnings:
    """``Warning: 299 - "text"`` headers collected while handling a request."""

    texts: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        if text not in self.texts:
            self.texts.append(text)

    def header(self) -> str:
        return ", ".join('299 - "' + t.replace('"', '\\"') + '"' for t in self.texts)
