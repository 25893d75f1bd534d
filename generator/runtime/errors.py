"""Errors raised by the client: API errors by Status reason, and transport failures.

The API server answers a failed request with a ``metav1.Status`` object. As in
client-go's ``apimachinery/pkg/api/errors``, the class of the error is chosen by the
Status ``reason`` first and by the HTTP code only when the reason is empty or unknown
to this module, so ``except NotFound`` and :func:`is_not_found` agree with
``apierrors.IsNotFound``::

    try:
        pods.get("web")
    except NotFound:
        ...

This module imports nothing beyond the standard library: code that only handles
errors must not pay for an HTTP stack.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ._model import loads

__all__ = [
    "AlreadyExists",
    "ApiError",
    "BadRequest",
    "Cancelled",
    "CannotConnect",
    "Conflict",
    "ConnectionFailed",
    "DeadlineExceeded",
    "Expired",
    "Forbidden",
    "Gone",
    "InternalError",
    "Invalid",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "RequestEntityTooLarge",
    "ResponseTimeout",
    "ServerTimeout",
    "ServerWarning",
    "ServiceUnavailable",
    "StreamInterrupted",
    "TLSFailed",
    "TooManyRequests",
    "Unauthorized",
    "UnexpectedKind",
    "UnsupportedMediaType",
    "WaitTimeout",
    "WatchDecodeError",
    "error_from_response",
    "error_from_status",
    "is_already_exists",
    "is_bad_request",
    "is_conflict",
    "is_expired",
    "is_forbidden",
    "is_gone",
    "is_internal_error",
    "is_invalid",
    "is_method_not_allowed",
    "is_not_found",
    "is_server_timeout",
    "is_service_unavailable",
    "is_too_many_requests",
    "is_unauthorized",
]

#: Longest excerpt of an unexpected (non-Status) body kept in an error message.
EXCERPT_CHARS = 200


class ApiError(Exception):
    """The API server refused a request (non-2xx), or a watch sent an ERROR event.

    ``str(error)`` reads ``GET /api/v1/namespaces/x/pods/y: 404 NotFound: pods "y"
    not found``. The URL keeps scheme, host and path only: no query string, no
    user info, and no header ever appears here.
    """

    def __init__(
        self,
        status: int,
        reason: str = "",
        message: str = "",
        *,
        details: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        method: str = "",
        url: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details
        self.body = body
        self.method = method
        self.url = _safe_url(url)
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = " ".join(part for part in (self.method, self.url) if part)
        what = " ".join(part for part in (str(self.status), self.reason) if part)
        text = f"{what}: {self.message}" if self.message else what
        return f"{where}: {text}" if where else text

    @property
    def causes(self) -> list[dict[str, Any]]:
        """``details.causes``: ``[{"reason", "message", "field"}]`` (may be empty)."""
        causes = (self.details or {}).get("causes")
        if not isinstance(causes, list):
            return []
        return [cause for cause in causes if isinstance(cause, dict)]

    def status_object(self) -> Any:
        """The Status as the generated package's typed ``meta_v1.Status`` if it has
        one, else the wire dict (``None`` when the body was not a Status)."""
        if self.body is None:
            return None
        status_class = _typed_status_class()
        if status_class is None:
            return self.body
        return status_class.from_dict(self.body)

    def __reduce__(self) -> tuple[Any, ...]:
        # The keyword-only constructor would break pickling (multiprocessing).
        return (_rebuild, (type(self), self.__dict__))


def _rebuild(cls: type[ApiError], state: dict[str, Any]) -> ApiError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._describe())
    return error


def _typed_status_class() -> Any:
    # importlib rather than ``from .models.meta_v1 import Status``: the models exist
    # only in a generated package, and a static relative import would then fail to
    # type-check here while a "type: ignore" would be flagged as unused there.
    if not __package__:
        return None
    try:
        module = importlib.import_module(f"{__package__}.models.meta_v1")
    except ImportError:
        return None
    return getattr(module, "Status", None)


class BadRequest(ApiError):
    """400: the request is malformed."""


class Unauthorized(ApiError):
    """401: missing or rejected credentials."""


class Forbidden(ApiError):
    """403: authenticated, but not allowed to do this."""


class NotFound(ApiError):
    """404: the object (or the resource type) does not exist."""


class MethodNotAllowed(ApiError):
    """405: the resource does not support this verb."""


class NotAcceptable(ApiError):
    """406: none of the accepted media types can be produced."""


class Conflict(ApiError):
    """409: a write conflicted (usually a stale resourceVersion: re-read, retry)."""


class AlreadyExists(Conflict):
    """409 with reason AlreadyExists: create of a name already taken."""


class Gone(ApiError):
    """410: the resource (version) is no longer available."""


class Expired(Gone):
    """410 with reason Expired: the resourceVersion is too old (watch: relist)."""


class RequestEntityTooLarge(ApiError):
    """413: the request body is too large."""


class UnsupportedMediaType(ApiError):
    """415: the Content-Type (e.g. a patch type) is not supported here."""


class Invalid(ApiError):
    """422: the object failed validation; see :attr:`ApiError.causes`."""


class TooManyRequests(ApiError):
    """429: throttled by API Priority and Fairness; :attr:`retry_after` says when."""


class InternalError(ApiError):
    """500: the server failed."""


class ServiceUnavailable(ApiError):
    """503: the server (or an aggregated API) is unavailable."""


class ServerTimeout(ApiError):
    """504, or reason ServerTimeout / Timeout: the operation did not finish in time."""


_BY_REASON: dict[str, type[ApiError]] = {
    "BadRequest": BadRequest,
    "Unauthorized": Unauthorized,
    "Forbidden": Forbidden,
    "NotFound": NotFound,
    "MethodNotAllowed": MethodNotAllowed,
    "NotAcceptable": NotAcceptable,
    "AlreadyExists": AlreadyExists,
    "Conflict": Conflict,
    "Gone": Gone,
    "Expired": Expired,
    "ResourceExpired": Expired,
    "RequestEntityTooLarge": RequestEntityTooLarge,
    "UnsupportedMediaType": UnsupportedMediaType,
    "Invalid": Invalid,
    "TooManyRequests": TooManyRequests,
    "InternalError": InternalError,
    "ServiceUnavailable": ServiceUnavailable,
    "ServerTimeout": ServerTimeout,
    "Timeout": ServerTimeout,
}

_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    406: NotAcceptable,
    409: Conflict,
    410: Gone,
    413: RequestEntityTooLarge,
    415: UnsupportedMediaType,
    422: Invalid,
    429: TooManyRequests,
    500: InternalError,
    503: ServiceUnavailable,
    504: ServerTimeout,
}


def error_class(status: int, reason: str) -> type[ApiError]:
    """The class for a Status reason (if known) or else for the HTTP code."""
    return _BY_REASON.get(reason) or _BY_STATUS.get(status) or ApiError


def error_from_status(
    status_object: Mapping[str, Any],
    *,
    http_status: int | None = None,
    method: str = "",
    url: str = "",
    headers: Mapping[str, str] | None = None,
) -> ApiError:
    """The error for a decoded ``Status`` (a response body or a watch ERROR event).

    ``http_status`` wins over the Status' own ``code`` (they agree in practice); a
    Status without either is taken as 500, as client-go does for unknown errors.
    """
    body = dict(status_object)
    code = http_status if http_status is not None else _int_or_none(body.get("code"))
    status = code if code is not None else 500
    reason = _text(body.get("reason"))
    details = body.get("details") if isinstance(body.get("details"), dict) else None
    message = _text(body.get("message")) or reason or _phrase(status)
    cls = error_class(status, reason)
    return cls(
        status,
        reason,
        message,
        details=details,
        body=body,
        method=method,
        url=url,
        retry_after=_retry_after(headers, details),
    )


def error_from_response(
    status: int, body: bytes, headers: Mapping[str, str], method: str, url: str
) -> ApiError:
    """The error for a non-2xx response.

    A ``Status`` body gives reason, message and details; anything else (an HTML
    error page from a proxy, plain text, truncated JSON) still gives the HTTP
    status and a short excerpt of the body as the message.
    """
    decoded = _decode_status(body)
    if decoded is not None:
        return error_from_status(
            decoded, http_status=status, method=method, url=url, headers=headers
        )
    cls = _BY_STATUS.get(status, ApiError)
    return cls(
        status,
        "",
        _excerpt(body) or _phrase(status),
        method=method,
        url=url,
        retry_after=_retry_after(headers, None),
    )


def _decode_status(body: bytes) -> dict[str, Any] | None:
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        decoded = loads(body)
    except (ValueError, RecursionError):  # a body nested too deeply is no Status
        return None
    if isinstance(decoded, dict) and decoded.get("kind") == "Status":
        return decoded
    return None


def _excerpt(body: bytes) -> str:
    """At most EXCERPT_CHARS characters of a body, whitespace collapsed."""
    text = " ".join(body[: EXCERPT_CHARS * 4].decode("utf-8", "replace").split())
    if len(text) > EXCERPT_CHARS:
        text = text[: EXCERPT_CHARS - 3] + "..."
    return text


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _retry_after(
    headers: Mapping[str, str] | None, details: Mapping[str, Any] | None
) -> float | None:
    """Seconds to wait: the Retry-After header, else details.retryAfterSeconds."""
    header = headers.get("Retry-After") if headers is not None else None
    seconds = parse_retry_after(header)
    if seconds is not None:
        return seconds
    value = _int_or_none((details or {}).get("retryAfterSeconds"))
    return float(value) if value is not None and value >= 0 else None


def parse_retry_after(value: str | None) -> float | None:
    """A Retry-After header in seconds (HTTP dates are ignored, as in client-go)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 and seconds == seconds else None  # not NaN


_USERINFO = re.compile(r"^[^@]*@")


def _safe_url(url: str) -> str:
    """scheme://host:port/path only: queries and user info may carry secrets."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]
    netloc = _USERINFO.sub("", parts.netloc)
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


# --- Failures below HTTP ----------------------------------------------------------


class ConnectionFailed(Exception):
    """No HTTP response: the server could not be reached or the connection broke.

    The message names the server and the cause, never a credential.
    """


class CannotConnect(ConnectionFailed):
    """No connection could be made (refused, DNS, connect timeout): nothing was sent."""


class TLSFailed(ConnectionFailed):
    """The TLS handshake failed (untrusted certificate, wrong name ...)."""


class StreamInterrupted(ConnectionFailed):
    """The connection broke while a (streamed) response body was being read."""


class ResponseTimeout(ConnectionFailed):
    """The server sent no response (or no more data) within the read timeout."""


class ResponseDecodeError(ValueError):
    """A successful response whose body is not the JSON the client expected (a proxy's
    HTML page, a truncated body ...); the message names the request and quotes an
    excerpt."""


class UnexpectedKind(ResponseDecodeError):
    """The server answered with an object of another kind than the call returns
    (a Pod where a ConfigMap was asked for)."""


class WatchDecodeError(ValueError):
    """A watch stream line is not a watch event; the message quotes an excerpt."""


class Cancelled(Exception):
    """The call's :class:`~.context.Context` was cancelled; its connection is closed."""


class DeadlineExceeded(Cancelled):
    """The call's :class:`~.context.Context` reached its deadline."""


class WaitTimeout(DeadlineExceeded):
    """``wait.wait_for`` / ``wait.poll_until`` ran out of time; the message names
    what was waited for (``resource``, ``name``, ``condition`` when known)."""

    def __init__(
        self,
        message: str,
        *,
        resource: str = "",
        name: str = "",
        namespace: str | None = None,
        condition: str = "",
    ) -> None:
        super().__init__(message)
        self.resource = resource
        self.name = name
        self.namespace = namespace
        self.condition = condition


class ServerWarning(UserWarning):
    """A ``Warning: 299 - "..."`` header from the API server (deprecated APIs,
    ignored fields ...), surfaced with :func:`warnings.warn`."""


# --- Predicates (apierrors.IsNotFound and friends) ----------------------------------


def is_bad_request(error: BaseException) -> bool:
    return isinstance(error, BadRequest)


def is_unauthorized(error: BaseException) -> bool:
    return isinstance(error, Unauthorized)


def is_forbidden(error: BaseException) -> bool:
    return isinstance(error, Forbidden)


def is_not_found(error: BaseException) -> bool:
    return isinstance(error, NotFound)


def is_method_not_allowed(error: BaseException) -> bool:
    return isinstance(error, MethodNotAllowed)


def is_conflict(error: BaseException) -> bool:
    """A write conflict (stale resourceVersion): retry after re-reading.

    As ``apierrors.IsConflict``, AlreadyExists is not a conflict here, so a
    retry-on-conflict loop never retries a create (``except Conflict`` catches both).
    """
    return isinstance(error, Conflict) and not isinstance(error, AlreadyExists)


def is_already_exists(error: BaseException) -> bool:
    return isinstance(error, AlreadyExists)


def is_gone(error: BaseException) -> bool:
    """410 of any kind, Expired included (what a watcher must relist on)."""
    return isinstance(error, Gone)


def is_expired(error: BaseException) -> bool:
    return isinstance(error, Expired)


def is_invalid(error: BaseException) -> bool:
    return isinstance(error, Invalid)


def is_too_many_requests(error: BaseException) -> bool:
    return isinstance(error, TooManyRequests)


def is_internal_error(error: BaseException) -> bool:
    return isinstance(error, InternalError)


def is_service_unavailable(error: BaseException) -> bool:
    return isinstance(error, ServiceUnavailable)


def is_server_timeout(error: BaseException) -> bool:
    return isinstance(error, ServerTimeout)
