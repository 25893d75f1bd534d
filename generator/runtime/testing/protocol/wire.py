"""Requests and responses of the socket-free core, and content negotiation.

The HTTP layer turns a socket's request into a :class:`ServerRequest` and writes
the :class:`ServerResponse` back; an in-process client calls ``handle`` directly.
"""

from __future__ import annotations

import functools
import re
import socket
from collections.abc import Callable, Iterator
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
    #: a 101 upgrade (exec, attach, portforward): after the head, the front hands
    #: the connection over: ``upgrade(socket, recv)``, ``recv`` reading what the
    #: front may have buffered first
    upgrade: Callable[[socket.socket, Callable[[int], bytes]], None] | None = None


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


#: How deeply objects and lists may nest in a body. Real objects stay far below
#: (a CRD with a deep schema: about 40 levels); everything the server does with a
#: body after decoding is recursive (type checks, copies, patches, pruning, up to
#: ~4 Python frames a level), and 100 levels keeps that well inside Python's
#: 1000-frame limit in any server thread.
MAX_DEPTH = 100
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NON_JSON_NUMBER = re.compile(rb"-?(?:NaN|Infinity)")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def too_deep() -> ApiError:
    return bad_request(
        f"the request body is nested too deeply: more than {MAX_DEPTH} levels of "
        "objects and lists"
    )


def json_depth_ok(body: bytes) -> bool:
    """Whether no object or list in the JSON text nests deeper than MAX_DEPTH
    (checked on the text: the decoder itself recurses)."""
    if body.count(b"{") + body.count(b"[") <= MAX_DEPTH:
        return True  # the common case: too few brackets to be too deep
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for char in brackets:
        if char in b"[{":
            depth += 1
            if depth > MAX_DEPTH:
                return False
        else:
            depth -= 1
    return True


def decode_json(body: bytes) -> Any:
    if not body.strip():
        raise bad_request("the body of the request is empty")
    if not json_depth_ok(body):
        raise too_deep()
    if b"NaN" in body or b"Infinity" in body:  # Python's extensions, not JSON
        found = _NON_JSON_NUMBER.search(_JSON_STRING.sub(b"", body))
        if found is not None:
            text = found.group()
            where = (
                f"'{chr(text[1])}' in numeric literal"
                if text.startswith(b"-")
                else f"'{chr(text[0])}' looking for beginning of value"
            )
            raise bad_request(
                f"couldn't get version/kind; json parse error: invalid character {where}"
            )
    try:
        return loads(body)
    except (ValueError, RecursionError) as err:
        raise bad_request(
            f"couldn't get version/kind; json parse error: {_short(err)}"
        ) from None


def decode_yaml(body: bytes) -> Any:
    from ..._serialization import load_yaml_documents

    try:
        docs = load_yaml_documents(body)
    except (ValueError, RecursionError) as err:
        raise bad_request(f"error converting YAML to JSON: {err}") from None
    if len(docs) != 1:
        raise bad_request("error converting YAML to JSON: expected one YAML document")
    return yaml_to_json(docs[0], len(body))


def yaml_to_json(doc: Any, size: int) -> Any:
    """What YAMLToJSON makes of a YAML document (of ``size`` bytes), in place:
    keys become strings, whole floats integers (Go prints 3.0 as 3); too deep, too
    many aliases, or not expressible in JSON (binary, sets, infinities) is 400.
    Iterative: the depth is not known yet."""
    budget = size + 1000  # more values than bytes: only aliases can do that
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        budget -= 1
        if budget < 0:
            raise bad_request(
                "error converting YAML to JSON: yaml: document contains excessive "
                "aliasing"
            )
        if depth > MAX_DEPTH:
            raise too_deep()
        if isinstance(value, dict):
            for key, item in list(value.items()):
                fixed = _yaml_scalar(item)
                if not isinstance(key, str):
                    del value[key]
                    value[_yaml_key(key)] = fixed
                elif fixed is not item:
                    value[key] = fixed
                if isinstance(fixed, (dict, list)):
                    stack.append((fixed, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                fixed = _yaml_scalar(item)
                if fixed is not item:
                    value[index] = fixed
                if isinstance(fixed, (dict, list)):
                    stack.append((fixed, depth + 1))
    return _yaml_scalar(doc)


def _yaml_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return str(_yaml_scalar(key))
    if key is None:
        return "null"
    raise bad_request(f"error converting YAML to JSON: unsupported map key {key!r}")


def _yaml_scalar(value: Any) -> Any:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise bad_request(
                f"error converting YAML to JSON: json: unsupported value: {value}"
            )
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    if value is None or isinstance(value, (str, int, dict, list)):
        return value
    raise bad_request(
        f"error converting YAML to JSON: unsupported value of type "
        f"{type(value).__name__}"
    )


def _short(err: Exception) -> str:
    return str(err).splitlines()[0][:200]
