"""Field paths as structured-merge-diff (SMD) writes them in ``managedFields``: path
elements (``f:`` fields, ``k:`` list-map keys, ``v:`` set values, ``i:`` indexes),
their order, the FieldsV1 encoding and the printed form of conflict messages."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TypeAlias

from .errors import PatchError
from .jsonvalue import go_json, go_quote

__all__ = [
    "FieldPath",
    "decode_fields_v1",
    "encode_fields_v1",
    "field_element",
    "format_path",
    "path_sort_key",
]


#: A field path as structured-merge-diff writes it in FieldsV1, one element per
#: step: ``("f:spec", "f:containers", 'k:{"name":"nginx"}', "f:image")``.
FieldPath: TypeAlias = tuple[str, ...]


def field_element(name: str) -> str:
    return "f:" + name


def _value_order(value: Any) -> tuple[Any, ...]:
    """SMD value.Compare: numbers < strings < booleans < lists < maps < null."""
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, list):
        return (3, tuple(_value_order(v) for v in value))
    if isinstance(value, dict):
        return (4, tuple((k, _value_order(v)) for k, v in sorted(value.items())))
    return (5,)


def _pe_order(pe: str) -> tuple[Any, ...]:
    """PathElement.Compare: fields < keys < values < indexes, then by content."""
    kind, body = pe[0], pe[2:]
    if kind == "f":
        return (0, body)
    if kind == "k":
        fields = json.loads(body)
        return (1, tuple((k, _value_order(v)) for k, v in sorted(fields.items())))
    if kind == "v":
        return (2, _value_order(json.loads(body)))
    return (3, int(body))


def path_sort_key(path: FieldPath) -> tuple[Any, ...]:
    return tuple(_pe_order(pe) for pe in path)


def _canonical_pe(raw: str) -> str | None:
    """A FieldsV1 key in the form this module writes, None for unknown kinds."""
    if len(raw) < 2 or raw[1] != ":":
        raise PatchError(f"invalid FieldsV1 path element {raw!r}", 400)
    kind, body = raw[0], raw[2:]
    try:
        if kind == "f":
            return raw
        if kind == "k":
            fields = json.loads(body)
            if not isinstance(fields, dict):
                raise ValueError("a key must be a JSON object")
            return "k:" + go_json(fields)
        if kind == "v":
            return "v:" + go_json(json.loads(body))
        if kind == "i":
            return f"i:{int(body)}"
    except ValueError as err:
        raise PatchError(f"invalid FieldsV1 path element {raw!r}: {err}", 400) from None
    return None  # SMD drops element kinds it does not know


def encode_fields_v1(paths: Iterable[FieldPath]) -> dict[str, Any]:
    """The FieldsV1 JSON of a set of paths, keys in SMD's order (``"."`` first, then
    fields, list-map keys, set values and indexes), so ``json.dumps`` of the result
    gives the bytes the API server writes."""
    tree: dict[str, Any] = {}
    members: set[FieldPath] = set()
    for path in paths:
        if not path:
            continue
        members.add(path)
        node = tree
        for pe in path:
            node = node.setdefault(pe, {})
    return _emit(tree, (), members)


def _emit(
    node: dict[str, Any], prefix: FieldPath, members: set[FieldPath]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pe in sorted(node, key=_pe_order):
        path = (*prefix, pe)
        child = _emit(node[pe], path, members)
        if child and path in members:
            child = {".": {}, **child}
        out[pe] = child
    return out


def decode_fields_v1(fields: Any) -> set[FieldPath]:
    """The set of paths a FieldsV1 object stands for (the inverse of
    :func:`encode_fields_v1`; ``{}`` marks a member, ``"."`` a member that also has
    children, as SMD reads it)."""
    if not isinstance(fields, dict):
        raise PatchError(f"FieldsV1 must be a JSON object, got {go_json(fields)}", 400)
    out: set[FieldPath] = set()
    _read_fields(fields, (), out)
    return out


def _read_fields(node: dict[str, Any], prefix: FieldPath, out: set[FieldPath]) -> bool:
    """Add the members under ``node``; True if ``node`` itself is a member."""
    member = False
    has_children = False
    for raw, child in node.items():
        if raw == ".":
            member = True
            continue
        pe = _canonical_pe(raw)
        if pe is None:
            continue
        if not isinstance(child, dict):
            raise PatchError(f"FieldsV1 value of {raw!r} must be an object", 400)
        has_children = True
        if _read_fields(child, (*prefix, pe), out):
            out.add((*prefix, pe))
    return member or not has_children


def _value_text(value: Any) -> str:
    """SMD value.ToString, used in printed paths."""
    if isinstance(value, str):
        return go_quote(value)
    if value is None:
        return "null"
    return go_json(value)


def format_path(path: FieldPath) -> str:
    """A path as the server prints it in conflicts:
    ``.spec.containers[name="nginx"].image``."""
    parts = []
    for pe in path:
        kind, body = pe[0], pe[2:]
        if kind == "f":
            parts.append("." + body)
        elif kind == "k":
            fields = json.loads(body)
            inner = ",".join(f"{k}={_value_text(v)}" for k, v in sorted(fields.items()))
            parts.append(f"[{inner}]")
        elif kind == "v":
            parts.append(f"[={_value_text(json.loads(body))}]")
        else:
            parts.append(f"[{body}]")
    return "".join(parts)
