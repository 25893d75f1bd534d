"""Tests for generator/runtime/errors.py: Status -> exception class, helpers, excerpts."""

from __future__ import annotations

import importlib
import json
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import generator.runtime.errors as errors_module
from generator.runtime.errors import (
    AlreadyExists,
    ApiError,
    BadRequest,
    Conflict,
    Expired,
    Forbidden,
    Gone,
    InternalError,
    Invalid,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    RequestEntityTooLarge,
    ServerTimeout,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
    error_from_response,
    error_from_status,
    is_already_exists,
    is_bad_request,
    is_conflict,
    is_expired,
    is_forbidden,
    is_gone,
    is_internal_error,
    is_invalid,
    is_method_not_allowed,
    is_not_found,
    is_server_timeout,
    is_service_unavailable,
    is_too_many_requests,
    is_unauthorized,
)

URL = "https://10.0.0.1:6443/api/v1/namespaces/default/pods/web"


def status_body(code: int, reason: str, message: str = "boom", **extra: Any) -> bytes:
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
        **extra,
    }
    return json.dumps(status).encode()


def from_status(code: int, reason: str, **extra: Any) -> ApiError:
    return error_from_response(code, status_body(code, reason, **extra), {}, "GET", URL)


# --- class selection ------------------------------------------------------------------

REASONS = [
    ("BadRequest", 400, BadRequest),
    ("Unauthorized", 401, Unauthorized),
    ("Forbidden", 403, Forbidden),
    ("NotFound", 404, NotFound),
    ("MethodNotAllowed", 405, MethodNotAllowed),
    ("NotAcceptable", 406, NotAcceptable),
    ("Conflict", 409, Conflict),
    ("AlreadyExists", 409, AlreadyExists),
    ("Gone", 410, Gone),
    ("Expired", 410, Expired),
    ("ResourceExpired", 410, Expired),
    ("RequestEntityTooLarge", 413, RequestEntityTooLarge),
    ("UnsupportedMediaType", 415, UnsupportedMediaType),
    ("Invalid", 422, Invalid),
    ("TooManyRequests", 429, TooManyRequests),
    ("InternalError", 500, InternalError),
    ("ServiceUnavailable", 503, ServiceUnavailable),
    ("ServerTimeout", 500, ServerTimeout),
    ("Timeout", 504, ServerTimeout),
]


@pytest.mark.parametrize(("reason", "code", "cls"), REASONS)
def test_class_by_reason(reason: str, code: int, cls: type[ApiError]) -> None:
    error = from_status(code, reason)
    assert type(error) is cls
    assert error.status == code
    assert error.reason == reason
    assert error.message == "boom"


CODES = [
    (400, BadRequest),
    (401, Unauthorized),
    (403, Forbidden),
    (404, NotFound),
    (405, MethodNotAllowed),
    (406, NotAcceptable),
    (409, Conflict),
    (410, Gone),
    (413, RequestEntityTooLarge),
    (415, UnsupportedMediaType),
    (422, Invalid),
    (429, TooManyRequests),
    (500, InternalError),
    (503, ServiceUnavailable),
    (504, ServerTimeout),
    (418, ApiError),
    (502, ApiError),
]


@pytest.mark.parametrize(("code", "cls"), CODES)
def test_class_by_code_when_reason_is_empty(code: int, cls: type[ApiError]) -> None:
    assert type(from_status(code, "")) is cls
    assert type(error_from_response(code, b"", {}, "GET", URL)) is cls


def test_reason_wins_over_code() -> None:
    # As apierrors.ReasonForError: a known reason decides, whatever the code says.
    assert type(from_status(500, "ServerTimeout")) is ServerTimeout
    assert type(from_status(404, "AlreadyExists")) is AlreadyExists
    # An unknown reason leaves the choice to the HTTP code.
    assert type(from_status(404, "SomethingNew")) is NotFound
    assert type(from_status(418, "SomethingNew")) is ApiError


def test_hierarchy() -> None:
    assert issubclass(AlreadyExists, Conflict)
    assert issubclass(Expired, Gone)
    for _, _, cls in REASONS:
        assert issubclass(cls, ApiError)


# --- fields -----------------------------------------------------------------------------


def test_status_fields_message_and_details() -> None:
    details = {
        "name": "web",
        "kind": "pods",
        "causes": [
            {
                "reason": "FieldValueRequired",
                "message": "Required value",
                "field": "spec.containers[0].image",
            },
            {"reason": "FieldValueInvalid", "message": "bad", "field": "metadata.name"},
        ],
    }
    body = status_body(422, "Invalid", 'Pod "web" is invalid', details=details)
    error = error_from_response(422, body, {}, "POST", URL + "?dryRun=All")
    assert isinstance(error, Invalid)
    assert error.message == 'Pod "web" is invalid'
    assert error.details == details
    assert error.body is not None and error.body["kind"] == "Status"
    assert [c["field"] for c in error.causes] == [
        "spec.containers[0].image",
        "metadata.name",
    ]
    assert error.method == "POST"
    assert error.url == URL  # query string dropped
    assert str(error) == f'POST {URL}: 422 Invalid: Pod "web" is invalid'


def test_causes_empty_without_details() -> None:
    assert from_status(404, "NotFound").causes == []
    assert error_from_response(500, b"oops", {}, "GET", URL).causes == []


def test_url_drops_user_info_and_query() -> None:
    error = error_from_response(
        404, b"", {}, "GET", "https://admin:hunter2@h:6443/api/v1/x?token=abc#frag"
    )
    assert error.url == "https://h:6443/api/v1/x"
    assert "hunter2" not in str(error) and "abc" not in str(error)


def test_retry_after_from_header_then_details() -> None:
    body = status_body(429, "TooManyRequests", details={"retryAfterSeconds": 7})
    with_header = error_from_response(429, body, {"Retry-After": "3"}, "GET", URL)
    assert with_header.retry_after == 3.0
    from_details = error_from_response(429, body, {}, "GET", URL)
    assert from_details.retry_after == 7.0
    assert error_from_response(429, b"", {}, "GET", URL).retry_after is None
    date = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    assert error_from_response(503, b"", date, "GET", URL).retry_after is None


# --- bodies that are not a Status ---------------------------------------------------------


def test_html_body_gives_short_excerpt() -> None:
    page = (
        b"<html>\n<head><title>502 Bad Gateway</title></head>\n<body>"
        + b"x" * 5000
        + b"</body></html>"
    )
    error = error_from_response(502, page, {}, "GET", URL)
    assert type(error) is ApiError
    assert error.status == 502
    assert error.reason == ""
    assert error.body is None
    assert error.message.startswith("<html> <head><title>502 Bad Gateway</title>")
    assert len(error.message) <= 200
    assert error.message.endswith("...")
    assert "502" in str(error)


@pytest.mark.parametrize(
    "body",
    [
        b'{"kind": "Status", "reason": "NotFo',  # truncated JSON
        b'{"error": "not found by the proxy"}',  # JSON, but not a Status
        b"[1, 2]",
        b"\xff\xfe binary \x00 junk",
    ],
)
def test_malformed_or_foreign_body(body: bytes) -> None:
    error = error_from_response(404, body, {}, "DELETE", URL)
    assert type(error) is NotFound
    assert error.status == 404
    assert error.reason == ""
    assert error.body is None
    assert 0 < len(error.message) <= 200
    expected = body.decode("utf-8", "replace").split()[0]
    assert error.message.startswith(expected)


def test_empty_body_message_is_http_phrase() -> None:
    error = error_from_response(404, b"", {}, "GET", URL)
    assert error.message == "Not Found"
    assert str(error) == f"GET {URL}: 404: Not Found"
    assert error_from_response(599, b"  ", {}, "GET", URL).message == "HTTP 599"


def test_status_without_message_uses_reason() -> None:
    error = error_from_response(
        409, status_body(409, "Conflict", message=""), {}, "PUT", URL
    )
    assert error.message == "Conflict"


def test_watch_error_event_status_uses_its_code() -> None:
    status = json.loads(status_body(410, "Expired", "too old resource version: 1 (5)"))
    error = error_from_status(status, url=URL)
    assert type(error) is Expired
    assert error.status == 410
    assert error.message == "too old resource version: 1 (5)"
    bare = error_from_status({"kind": "Status", "message": "?"})
    assert type(bare) is InternalError and bare.status == 500


# --- helpers ---------------------------------------------------------------------------

HELPERS: dict[Callable[[BaseException], bool], set[type[ApiError]]] = {
    is_bad_request: {BadRequest},
    is_unauthorized: {Unauthorized},
    is_forbidden: {Forbidden},
    is_not_found: {NotFound},
    is_method_not_allowed: {MethodNotAllowed},
    is_conflict: {Conflict},  # not AlreadyExists, as apierrors.IsConflict
    is_already_exists: {AlreadyExists},
    is_gone: {Gone, Expired},
    is_expired: {Expired},
    is_invalid: {Invalid},
    is_too_many_requests: {TooManyRequests},
    is_internal_error: {InternalError},
    is_service_unavailable: {ServiceUnavailable},
    is_server_timeout: {ServerTimeout},
}


@pytest.mark.parametrize(
    "helper", list(HELPERS), ids=[helper.__name__ for helper in HELPERS]
)
def test_helpers_match_exactly_their_classes(
    helper: Callable[[BaseException], bool],
) -> None:
    for reason, code, cls in REASONS:
        error = from_status(code, reason)
        assert helper(error) is (cls in HELPERS[helper]), (helper.__name__, reason)
    assert helper(ValueError("not an API error")) is False
    assert helper(KeyboardInterrupt()) is False
    assert helper(error_from_response(418, b"", {}, "GET", URL)) is False


def test_helpers_follow_the_code_for_unknown_reasons() -> None:
    assert is_not_found(from_status(404, "SomethingNew"))
    assert is_gone(error_from_response(410, b"<html>gone</html>", {}, "GET", URL))
    assert not is_expired(from_status(410, "Gone"))


# --- typed Status, pickling ---------------------------------------------------------------


def test_status_object_is_the_dict_without_models() -> None:
    error = from_status(404, "NotFound")
    assert error.status_object() == error.body
    assert error_from_response(404, b"nope", {}, "GET", URL).status_object() is None


@pytest.fixture
def fake_package(tmp_path: Path) -> Iterator[str]:
    """errors.py copied, as generation does, into a package with models.meta_v1."""
    package = tmp_path / "fakeclient"
    (package / "models").mkdir(parents=True)
    source = Path(errors_module.__file__).parent
    for name in ("errors.py", "_model.py", "_json.py"):
        shutil.copy(source / name, package / name)
    (package / "__init__.py").write_text("")
    (package / "models" / "__init__.py").write_text("")
    (package / "models" / "meta_v1.py").write_text(
        "class Status:\n"
        "    def __init__(self, wire):\n"
        "        self.wire = wire\n"
        "    @classmethod\n"
        "    def from_dict(cls, data):\n"
        "        return cls(data)\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield "fakeclient"
    finally:
        sys.path.remove(str(tmp_path))
        for name in list(sys.modules):
            if name == "fakeclient" or name.startswith("fakeclient."):
                del sys.modules[name]


def test_status_object_is_typed_in_a_generated_package(fake_package: str) -> None:
    errors = importlib.import_module(f"{fake_package}.errors")
    error = errors.error_from_response(
        404, status_body(404, "NotFound"), {}, "GET", URL
    )
    typed = error.status_object()
    assert type(typed).__module__ == f"{fake_package}.models.meta_v1"
    assert typed.wire["reason"] == "NotFound"


def test_errors_pickle() -> None:
    error = from_status(409, "AlreadyExists", details={"name": "web"})
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is AlreadyExists
    assert (copy.status, copy.reason, copy.details, copy.url) == (
        409,
        "AlreadyExists",
        {"name": "web"},
        URL,
    )
    assert str(copy) == str(error)


def test_importing_errors_does_not_import_requests() -> None:
    code = (
        "import sys, generator.runtime.errors, generator.runtime.watch; "
        "assert 'requests' not in sys.modules, 'requests imported'"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
