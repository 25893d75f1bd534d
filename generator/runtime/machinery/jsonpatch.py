"""RFC 6902 JSON patch (``application/json-patch+json``), as the API server runs it
(evanphx/json-patch v4).

Statuses: a body that is not a list of objects is 400 (``DecodePatch`` fails); more
than 10000 operations is 413; every failure while applying (unknown ``op``, missing
member, bad pointer, missing path, failed ``test``) is 422.
"""

from __future__ import annotations

import re
from typing import Any

from .._model import deepcopy_json
from .errors import PatchError
from .jsonvalue import json_equal, json_key

__all__ = ["json_patch"]


# patch.go: maxJSONPatchOperations
_MAX_JSON_PATCH_OPERATIONS = 10000
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_POINTER_TOKEN = re.compile(r"(?:[^~]|~[01])*")


def json_patch(doc: Any, operations: Any) -> Any:
    """Apply an RFC 6902 JSON patch (a list of operation objects) to ``doc``.

    Operations run in order on a copy; if one fails nothing is applied. As in
    evanphx/json-patch v4 (what the API server runs), ``test`` compares a missing
    object member, or a missing ``value``, as ``null``. Unlike it, array indexes
    follow RFC 6901 strictly (no negative indexes) and ``add``/``replace`` need a
    ``value``.
    """
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be a JSON array of operations", 400)
    if len(operations) > _MAX_JSON_PATCH_OPERATIONS:
        raise PatchError(
            f"The allowed maximum operations in a JSON patch is "
            f"{_MAX_JSON_PATCH_OPERATIONS}, got {len(operations)}",
            413,
        )
    for op in operations:
        if not isinstance(op, dict):
            raise PatchError(
                f"a JSON patch operation must be an object, got {op!r}", 400
            )
    result = deepcopy_json(doc)
    for index, op in enumerate(operations):
        try:
            result = _apply_operation(result, op)
        except _PointerError as err:
            raise PatchError(
                f"operation {index} ({json_key(op)}): {err}", 422
            ) from None
    return result


class _PointerError(Exception):
    """A JSON patch operation failed; json_patch adds the context."""


def _apply_operation(doc: Any, op: dict[str, Any]) -> Any:
    kind = op.get("op")
    path = _parse_pointer(_string_member(op, "path"))
    if kind == "add":
        return _add(doc, path, deepcopy_json(_value_member(op)))
    if kind == "remove":
        return _remove(doc, path)
    if kind == "replace":
        return _replace(doc, path, deepcopy_json(_value_member(op)))
    if kind == "move":
        source = _parse_pointer(_string_member(op, "from"))
        if len(source) < len(path) and path[: len(source)] == source:
            raise _PointerError("a location cannot be moved into one of its children")
        value = _get(doc, source)
        return _add(_remove(doc, source), path, value)
    if kind == "copy":
        source = _parse_pointer(_string_member(op, "from"))
        return _add(doc, path, deepcopy_json(_get(doc, source)))
    if kind == "test":
        if not json_equal(_get_or_null(doc, path), op.get("value")):
            raise _PointerError(f"test failed: value at {op['path']!r} differs")
        return doc
    raise _PointerError(f"Unexpected kind: {kind!r}")


def _string_member(op: dict[str, Any], name: str) -> str:
    value = op.get(name)
    if not isinstance(value, str):
        raise _PointerError(f"operation has no string {name!r} member")
    return value


def _value_member(op: dict[str, Any]) -> Any:
    if "value" not in op:
        raise _PointerError(f"{op.get('op')} operation has no 'value' member")
    return op["value"]


def _parse_pointer(pointer: str) -> list[str]:
    """RFC 6901: "/a~1b/0" -> ["a/b", "0"]."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise _PointerError(f"JSON pointer {pointer!r} does not start with '/'")
    tokens = pointer[1:].split("/")
    for token in tokens:
        if not _POINTER_TOKEN.fullmatch(token):
            raise _PointerError(f"bad escape in JSON pointer {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in tokens]


def _array_index(token: str, length: int, *, append: bool) -> int:
    if token == "-" and append:
        return length
    if not _ARRAY_INDEX.fullmatch(token):
        raise _PointerError(f"{token!r} is not an array index")
    index = int(token)
    if index > length or (index == length and not append):
        raise _PointerError(f"array index {index} out of range (length {length})")
    return index


def _step(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise _PointerError(f"missing key {token!r}")
        return node[token]
    if isinstance(node, list):
        return node[_array_index(token, len(node), append=False)]
    raise _PointerError(f"cannot descend into a {type(node).__name__} with {token!r}")


def _get(doc: Any, path: list[str]) -> Any:
    node = doc
    for token in path:
        node = _step(node, token)
    return node


def _get_or_null(doc: Any, path: list[str]) -> Any:
    """The value to ``test``: a missing member of an existing object is null."""
    if path:
        parent = _get(doc, path[:-1])
        if isinstance(parent, dict) and path[-1] not in parent:
            return None
    return _get(doc, path)


def _add(doc: Any, path: list[str], value: Any) -> Any:
    if not path:
        return value
    parent = _get(doc, path[:-1])
    token = path[-1]
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_array_index(token, len(parent), append=True), value)
    else:
        raise _PointerError(f"cannot add {token!r} to a {type(parent).__name__}")
    return doc


def _replace(doc: Any, path: list[str], value: Any) -> Any:
    _get(doc, path)  # the target must exist
    if not path:
        return value
    parent = _get(doc, path[:-1])
    if isinstance(parent, list):
        parent[_array_index(path[-1], len(parent), append=False)] = value
    else:
        parent[path[-1]] = value
    return doc


def _remove(doc: Any, path: list[str]) -> Any:
    if not path:
        raise _PointerError("cannot remove the whole document")
    parent = _get(doc, path[:-1])
    token = path[-1]
    if isinstance(parent, dict):
        if token not in parent:
            raise _PointerError(f"missing key {token!r}")
        del parent[token]
    elif isinstance(parent, list):
        del parent[_array_index(token, len(parent), append=False)]
    else:
        raise _PointerError(f"cannot remove {token!r} from a {type(parent).__name__}")
    return doc
