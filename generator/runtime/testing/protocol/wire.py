"""Requests and responses of the socket-free core, and content negotiation.

The HTTP layer turns a socket's request into a :class:`ServerRequest` and writes
the :class:`ServerResponse` back; an in-process client calls ``handle`` directly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..._model import dumps, loads
from .status import ApiError, bad_request, unsupported_media_type

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
TEXT = "text/plain"

PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": "apply-cbor",
}


@dataclass
class ServerRequest:
    method: str
    path: str  # raw, percent-encoded, without the query
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    #: identity already established by the transport (a client certificate)
    user: str | None = None
    groups: tuple[str, ...] = ()


@dataclass
class ServerResponse:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    #: chunks of a streamed body (watch, follow=true logs); b"" is a heartbeat
    #: (nothing to send). Closing the iterator releases what the stream holds.
    stream: Iterator[bytes] | None = None


class ConnectionDropped(Exception):
    """Raised from a stream to make the HTTP layer cut the connection (faults)."""


def json_response(
    status: int, obj: Any, headers: dict[str, str] | None = None
) -> ServerResponse:
    return ServerResponse(status, {"content-type": JSON, **(headers or {})}, dumps(obj))


def error_response(error: ApiError) -> ServerResponse:
    return json_response(error.code, error.status(), error.headers)


# --------------------------------------------------------------------------- media types


@dataclass(frozen=True)
class MediaType:
    type: str
    params: dict[str, str]

    @property
    def table(self) -> str | None:
        """The meta.k8s.io version of a Table this entry asks for."""
        p = self.params
        if p.get("as") == "Table" and p.get("g") == "meta.k8s.io":
            return p.get("v") if p.get("v") in ("v1", "v1beta1") else None
        return None

    @property
    def discovery(self) -> str | None:
        """The apidiscovery.k8s.io version of aggregated discovery asked for."""
        p = self.params
        if (
            p.get("as") == "APIGroupDiscoveryList"
            and p.get("g") == "apidiscovery.k8s.io"
        ):
            return p.get("v") if p.get("v") in ("v2", "v2beta1") else None
        return None


def parse_accept(header: str | None) -> list[MediaType]:
    return list(_parse_accept(header or ""))


@functools.lru_cache(maxsize=64)
def _parse_accept(header: str) -> tuple[MediaType, ...]:
    """Clients send the same few Accept headers over and over: parse each once."""
    out = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        params = {}
        for piece in pieces[1:]:
            key, _, value = piece.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        out.append(MediaType(pieces[0].lower(), params))
    return tuple(out)


def output_format(accept: list[MediaType]) -> str:
    """json or yaml: the first plain type the client accepts (406 if none)."""
    if not accept:
        return JSON
    for media in accept:
        if media.params.get("as"):
            continue  # Table or discovery: chosen by the caller, else skipped
        if media.type in (JSON, "*/*", "application/*"):
            return JSON
        if media.type == YAML:
            return YAML
    for media in accept:  # only special forms asked: JSON is what every one falls to
        if media.type == JSON:
            return JSON
    raise ApiError(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, "
        "application/yaml",
    )


def encode(obj: Any, fmt: str) -> bytes:
    if fmt == YAML:
        import yaml

        text: str = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)
        return text.encode()
    return dumps(obj)


def content_type(request: ServerRequest) -> str:
    return (request.headers.get("content-type") or JSON).split(";")[0].strip().lower()


def decode_body(request: ServerRequest) -> Any:
    """A create/update body: JSON or YAML; anything else is 415."""
    ctype = content_type(request)
    if ctype in (JSON, "*/*", ""):
        return decode_json(request.body)
    if ctype in (YAML, "application/x-yaml", "text/yaml"):
        return decode_yaml(request.body)
    raise unsupported_media_type(ctype, [JSON, YAML])


def decode_json(body: bytes) -> Any:
    if not body.strip():
        raise bad_request("the body of the request is empty")
    try:
        return loads(body)
    except ValueError as err:
        raise bad_request(
            f"couldn't get version/kind; json parse error: {_short(err)}"
        ) from None


def decode_yaml(body: bytes) -> Any:
    from ..._serialization import load_yaml_documents

    try:
        docs = load_yaml_documents(body)
    except ValueError as err:
        raise bad_request(f"error converting YAML to JSON: {err}") from None
    if len(docs) != 1:
        raise bad_request("error converting YAML to JSON: expected one YAML document")
    return docs[0]


def _short(err: Exception) -> str:
    return str(err).splitlines()[0][:200]
