"""/openapi/v2 as kubectl 1.27 and 1.28 need it (client-side validation, explain,
and finding out that the server does field validation): the OpenAPI v3 documents
converted back to one Swagger 2.0 document, encoded as the gnostic
``openapi.v2.Document`` protobuf (``application/com.github.proto-openapi.spec.v2@v1.0+protobuf``).

Only what Kubernetes specs use is converted: paths with their operations,
parameters, bodies, responses and ``x-kubernetes-*`` extensions, and definitions
(``$ref``, ``allOf`` of one reference, types, properties, items, maps, enums,
required lists, extensions). Extension values travel as YAML text, as gnostic
stores them.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

MEDIA_TYPE = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
_V3_REF = "#/components/schemas/"
_OPERATIONS = {
    "get": 2,
    "put": 3,
    "post": 4,
    "delete": 5,
    "options": 6,
    "head": 7,
    "patch": 8,
}

# --------------------------------------------------------------------------- protobuf


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (strings, bytes, messages)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _str(number: int, text: Any) -> bytes:
    return _field(number, str(text).encode()) if text not in (None, "") else b""


def _strs(number: int, texts: Iterable[Any]) -> bytes:
    return b"".join(_field(number, str(t).encode()) for t in texts)


def _bool(number: int, value: Any, *, always: bool = False) -> bytes:
    if not value and not always:
        return b""
    return _varint(number << 3) + (b"\x01" if value else b"\x00")


def _int(number: int, value: Any) -> bytes:
    return _varint(number << 3) + _varint(int(value)) if value else b""


def _double(number: int, value: Any) -> bytes:
    return _varint(number << 3 | 1) + struct.pack("<d", float(value)) if value else b""


def _yaml(value: Any) -> str:
    import yaml

    text: str = yaml.safe_dump(value, default_flow_style=False, sort_keys=True)
    return text


def _any(value: Any) -> bytes:
    """gnostic ``Any``: the value as YAML text (field 2)."""
    return _str(2, _yaml(value))


def _named(number: int, name: str, value: bytes) -> bytes:
    return _field(number, _str(1, name) + _field(2, value))


def _extensions(number: int, source: dict[str, Any]) -> bytes:
    return b"".join(
        _named(number, key, _any(value))
        for key, value in source.items()
        if key.startswith("x-")
    )


# --------------------------------------------------------------------------- schemas


def _ref(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    all_of = schema.get("allOf")
    if ref is None and isinstance(all_of, list) and len(all_of) == 1:
        ref = all_of[0].get("$ref")
    if isinstance(ref, str) and ref.startswith(_V3_REF):
        return "#/definitions/" + ref[len(_V3_REF) :]
    return ref if isinstance(ref, str) else None


def schema(s: dict[str, Any]) -> bytes:
    """openapi.v2.Schema."""
    ref = _ref(s)
    out = [_str(1, ref), _str(2, s.get("format")), _str(3, s.get("title"))]
    out.append(_str(4, s.get("description")))
    if "default" in s and ref is None:
        out.append(_field(5, _any(s["default"])))
    out += [
        _double(6, s.get("multipleOf")),
        _double(7, s.get("maximum")),
        _bool(8, s.get("exclusiveMaximum")),
        _double(9, s.get("minimum")),
        _bool(10, s.get("exclusiveMinimum")),
        _int(11, s.get("maxLength")),
        _int(12, s.get("minLength")),
        _str(13, s.get("pattern")),
        _int(14, s.get("maxItems")),
        _int(15, s.get("minItems")),
        _bool(16, s.get("uniqueItems")),
        _int(17, s.get("maxProperties")),
        _int(18, s.get("minProperties")),
        _strs(19, s.get("required") or ()),
    ]
    out += [_field(20, _any(v)) for v in s.get("enum") or ()]
    extra = s.get("additionalProperties")
    if isinstance(extra, dict):
        out.append(_field(21, _field(1, schema(extra))))
    elif isinstance(extra, bool):
        out.append(_field(21, _bool(2, extra, always=True)))
    if s.get("type") and ref is None:
        out.append(_field(22, _strs(1, [s["type"]])))
    if isinstance(s.get("items"), dict):
        out.append(_field(23, _field(1, schema(s["items"]))))
    if ref is None:
        out += [_field(24, schema(part)) for part in s.get("allOf") or ()]
    properties = s.get("properties")
    if isinstance(properties, dict):
        out.append(
            _field(25, b"".join(_named(1, k, schema(v)) for k, v in properties.items()))
        )
    out.append(_bool(27, s.get("readOnly")))
    out.append(_extensions(31, s))
    return b"".join(out)


# --------------------------------------------------------------------------- paths


def _parameter(p: dict[str, Any]) -> bytes:
    """ParametersItem{parameter: Parameter{non_body_parameter: ...}}."""
    where = p.get("in")
    kind = (p.get("schema") or {}).get("type") or "string"
    unique = (p.get("schema") or {}).get("uniqueItems")
    if where == "path":
        sub = (
            _bool(1, True)
            + _str(2, "path")
            + _str(3, p.get("description"))
            + _str(4, p.get("name"))
            + _str(5, kind)
            + _bool(19, unique)
        )
        non_body = _field(4, sub)
    else:
        sub = (
            _bool(1, p.get("required"))
            + _str(2, where)
            + _str(3, p.get("description"))
            + _str(4, p.get("name"))
            + _str(6, kind)
            + _bool(20, unique)
        )
        non_body = _field(3, sub)
    return _field(1, _field(2, non_body))


def _body(request_body: dict[str, Any]) -> tuple[bytes, list[str]]:
    content: dict[str, Any] = request_body.get("content") or {}
    types = list(content)
    first: dict[str, Any] = next(iter(content.values()), {})
    body_schema = first.get("schema") or {}
    body = (
        _str(2, "body")
        + _str(3, "body")
        + _bool(4, request_body.get("required"))
        + _field(5, schema(body_schema))
    )
    return _field(1, _field(1, body)), types


def _responses(responses: dict[str, Any]) -> tuple[bytes, list[str]]:
    produced: list[str] = []
    codes = []
    for code, response in responses.items():
        content = response.get("content") or {}
        produced += [t for t in content if t not in produced]
        inner = _str(1, response.get("description"))
        first = next(iter(content.values()), None)
        if first and first.get("schema"):
            inner += _field(2, _field(1, schema(first["schema"])))
        codes.append(_named(1, str(code), _field(1, inner)))
    return b"".join(codes), produced


def _operation(op: dict[str, Any]) -> bytes:
    params = [_parameter(p) for p in op.get("parameters") or ()]
    consumes: list[str] = []
    if "requestBody" in op:
        body, consumes = _body(op["requestBody"])
        params.insert(0, body)
    responses, produces = _responses(op.get("responses") or {})
    return b"".join(
        [
            _strs(1, op.get("tags") or ()),
            _str(3, op.get("description")),
            _str(5, op.get("operationId")),
            _strs(6, produces),
            _strs(7, consumes),
            b"".join(_field(8, p) for p in params),
            _field(9, responses),
            _strs(10, ["https"]),
            _extensions(13, op),
        ]
    )


def _path_item(item: dict[str, Any]) -> bytes:
    out = [
        _field(number, _operation(item[method]))
        for method, number in _OPERATIONS.items()
        if method in item
    ]
    out += [_field(9, _parameter(p)) for p in item.get("parameters") or ()]
    return b"".join(out)


def document(documents: Iterable[dict[str, Any]], version: str) -> bytes:
    """One Swagger 2.0 document (protobuf) from the per group-version v3 ones."""
    paths: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    for doc in documents:
        paths.update(doc.get("paths") or {})
        definitions.update((doc.get("components") or {}).get("schemas") or {})
    info = _str(1, "Kubernetes") + _str(2, version)
    encoded_paths = b"".join(_named(2, p, _path_item(paths[p])) for p in sorted(paths))
    encoded_definitions = b"".join(
        _named(1, name, schema(definitions[name])) for name in sorted(definitions)
    )
    return b"".join(
        [
            _str(1, "2.0"),
            _field(2, info),
            _field(8, encoded_paths),
            _field(9, encoded_definitions),
        ]
    )
