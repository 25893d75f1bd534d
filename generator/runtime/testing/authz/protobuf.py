"""The protobuf bodies kubectl sends its reviews in (``kubectl auth can-i``
posts a SelfSubjectAccessReview as application/vnd.kubernetes.protobuf), read
into the JSON form the reviews handle. Only the review kinds, and only the fields
a review's answer depends on; anything else in the body is skipped.

The wire format: the magic ``k8s\\x00``, then a runtime.Unknown (typeMeta = 1
{apiVersion = 1, kind = 2}, raw = 2), ``raw`` the object's own message. Field
numbers are those of k8s.io/api/authorization/v1 and authentication/v1
generated.proto."""

from __future__ import annotations

from typing import Any

from ..protocol.status import bad_request

__all__ = ["MAGIC", "decode_review"]

MAGIC = b"k8s\x00"

_RESOURCE_ATTRIBUTES = {
    1: "namespace",
    2: "verb",
    3: "group",
    4: "version",
    5: "resource",
    6: "subresource",
    7: "name",
}
_NON_RESOURCE_ATTRIBUTES = {1: "path", 2: "verb"}


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs: varints as ints, length-delimited as bytes."""
    out: list[tuple[int, int | bytes]] = []
    position = 0

    def varint() -> int:
        nonlocal position
        value = shift = 0
        while True:
            if position >= len(data) or shift > 63:
                raise bad_request("protobuf body: truncated varint")
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while position < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            out.append((number, varint()))
        elif wire == 2:
            length = varint()
            if position + length > len(data):
                raise bad_request("protobuf body: truncated field")
            out.append((number, data[position : position + length]))
            position += length
        elif wire == 1:
            position += 8
        elif wire == 5:
            position += 4
        else:
            raise bad_request(f"protobuf body: unsupported wire type {wire}")
    return out


def _text(value: int | bytes) -> str:
    if not isinstance(value, bytes):
        raise bad_request("protobuf body: a string field holds a number")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("protobuf body: a string is not UTF-8") from None


def _message(value: int | bytes) -> bytes:
    if not isinstance(value, bytes):
        raise bad_request("protobuf body: a message field holds a number")
    return value


def _strings(data: bytes, names: dict[int, str]) -> dict[str, str]:
    return {
        names[number]: _text(value)
        for number, value in _fields(data)
        if number in names
    }


def _access_spec(data: bytes) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    groups: list[str] = []
    extra: dict[str, list[str]] = {}
    for number, value in _fields(data):
        if number == 1:
            spec["resourceAttributes"] = _strings(_message(value), _RESOURCE_ATTRIBUTES)
        elif number == 2:
            spec["nonResourceAttributes"] = _strings(
                _message(value), _NON_RESOURCE_ATTRIBUTES
            )
        elif number == 3:
            spec["user"] = _text(value)
        elif number == 4:
            groups.append(_text(value))
        elif number == 5:  # map<string, ExtraValue{items = 1}>: key = 1, value = 2
            key, values = "", []
            for entry_number, entry in _fields(_message(value)):
                if entry_number == 1:
                    key = _text(entry)
                elif entry_number == 2:
                    values = [_text(v) for n, v in _fields(_message(entry)) if n == 1]
            extra[key] = values
        elif number == 6:
            spec["uid"] = _text(value)
    if groups:
        spec["groups"] = groups
    if extra:
        spec["extra"] = extra
    return spec


def _spec(kind: str, data: bytes) -> dict[str, Any]:
    if kind.endswith("AccessReview"):
        return _access_spec(data)
    if kind == "SelfSubjectRulesReview":
        return _strings(data, {1: "namespace"})
    if kind == "TokenReview":
        fields = _fields(data)
        spec: dict[str, Any] = {
            "token": next((_text(v) for n, v in fields if n == 1), "")
        }
        audiences = [_text(v) for n, v in fields if n == 2]
        if audiences:
            spec["audiences"] = audiences
        return spec
    return {}


def decode_review(body: bytes) -> dict[str, Any]:
    """A review object from its protobuf envelope (400 if it is not one)."""
    if not body.startswith(MAGIC):
        raise bad_request("protobuf body: missing the k8s\\x00 prefix")
    api_version = kind = ""
    raw = b""
    for number, value in _fields(body[len(MAGIC) :]):
        if number == 1:
            meta = _strings(_message(value), {1: "apiVersion", 2: "kind"})
            api_version, kind = meta.get("apiVersion", ""), meta.get("kind", "")
        elif number == 2:
            raw = _message(value)
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": {}}
    # SelfSubjectReview has no spec (its field 2 is the status)
    spec_field = None if kind == "SelfSubjectReview" else 2
    for number, value in _fields(raw):
        if number == spec_field:
            obj["spec"] = _spec(kind, _message(value))
    return obj
