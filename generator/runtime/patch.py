"""Patch engines: JSON patch, merge patch, strategic merge patch, server-side apply.

Used by the loopback test API server and the fake clientset, so that a PATCH or an
apply against them gives what a real API server would give. Every function works on
plain JSON values (the wire form), never changes its arguments, and returns new
values. Schema information comes from the generated model classes: a field's
``list_type``, ``map_keys``, ``map_type``, ``patch_strategy`` and ``patch_merge_key``.

Errors raise :class:`PatchError` whose ``status`` is the HTTP status the real API
server (``k8s.io/apiserver/pkg/endpoints/handlers/patch.go``) answers with:

* JSON patch: a body that is not a list of objects is 400 (``DecodePatch`` fails);
  more than 10000 operations is 413; every failure while applying (unknown ``op``,
  missing member, bad pointer, missing path, failed ``test``) is 422.
* Merge patch: never fails here (the server's only failure is unparsable JSON).
* Strategic merge patch: the malformed directives ``interpretStrategicMergePatchError``
  knows (``$retainKeys``, ``$deleteFromPrimitiveList``, ``$setElementOrder``, a body
  that is not an object) are 400, lists of lists 422; any other failure (unknown
  ``$patch`` value, missing merge key ...) reaches the client as a plain error,
  i.e. 500 with reason "" (unknown), and so do they here.
* Apply: conflicts are 409 (:class:`ApplyConflict`, with the ``FieldManagerConflict``
  causes of the real Status), a missing field manager 422, ``managedFields`` in the
  applied object or a wrong apiVersion 400.

Server-side apply follows structured-merge-diff (SMD) and the apiserver's field
manager chain (strip-meta, managed-fields updater, cap-managers, skip-non-applied).
Simplified compared with the real server:

* The schema is the generated models. Type-level ``x-kubernetes-map-type: atomic``
  (LabelSelector, OwnerReference ...) is honoured only if the generator puts it on
  the class as ``_map_type_ = "atomic"``; field-level ``map_type`` always is.
* No defaulting and no version conversion: a list-map key field left out (a port's
  ``protocol``) is simply absent from the key, and managers recorded at another
  apiVersion are compared in the current one.
* "Zero-value" structs: Go renders non-pointer structs even when empty, which
  decides whether an Update entry owns a map itself (``".": {}``). Unknowable from
  the models, so a struct-typed field is treated as present (a value struct) when
  its parent is; maps, lists and list items are owned when they first appear.
* ``null`` in an applied configuration is treated as if the field were absent.
* Fields an applier stops applying are removed unless any other manager owns them
  or something inside them (SMD's prune plus add-back, in one pass).
* The ``kubectl.kubernetes.io/last-applied-configuration`` annotation is not
  maintained (the real server keeps it in sync for client-side-apply interop).
* Entries of a list-map that cannot be keyed (an item without any key field) make
  the whole list atomic instead of failing the request.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple, TypeAlias

from ._model import (
    Codec,
    Field,
    ListCodec,
    MapCodec,
    Model,
    ModelCodec,
    deepcopy_json,
    format_time,
    parse_time,
)

__all__ = [
    "ApplyConflict",
    "Conflict",
    "FieldPath",
    "PatchError",
    "apply",
    "create_strategic_merge_patch",
    "decode_fields_v1",
    "encode_fields_v1",
    "field_set",
    "format_path",
    "json_patch",
    "manager_from_user_agent",
    "merge_patch",
    "record_update",
    "strategic_merge_patch",
]

#: A field path as structured-merge-diff writes it in FieldsV1, one element per
#: step: ``("f:spec", "f:containers", 'k:{"name":"nginx"}', "f:image")``.
FieldPath: TypeAlias = tuple[str, ...]

_REASONS = {
    400: "BadRequest",
    409: "Conflict",
    413: "RequestEntityTooLarge",
    422: "Invalid",
}


class PatchError(ValueError):
    """A patch or apply the API server would refuse; ``status`` is its HTTP code."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    @property
    def reason(self) -> str:
        """The ``reason`` of the metav1.Status the server sends ("" when unknown)."""
        return _REASONS.get(self.status, "")


class Conflict(NamedTuple):
    """One field another manager owns with a different value than applied."""

    manager: str
    path: FieldPath
    operation: str = "Apply"
    api_version: str = ""
    subresource: str = ""

    def manager_text(self) -> str:
        """How the server names the manager in messages (conflict.go printManager)."""
        text = _go_quote(self.manager)
        if self.subresource:
            text += f" with subresource {_go_quote(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


class ApplyConflict(PatchError):
    """Apply failed: ``conflicts`` lists the fields other managers own (HTTP 409)."""

    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        self.conflicts = sorted(
            conflicts, key=lambda c: (c.manager_text(), _path_key(c.path))
        )
        super().__init__(_conflict_message(self.conflicts), 409)

    @property
    def causes(self) -> list[dict[str, str]]:
        """``status.details.causes`` of the real response."""
        return [
            {
                "reason": "FieldManagerConflict",
                "message": f"conflict with {c.manager_text()}",
                "field": format_path(c.path),
            }
            for c in self.conflicts
        ]


def _conflict_message(conflicts: Sequence[Conflict]) -> str:
    if len(conflicts) == 1:
        c = conflicts[0]
        return (
            f"Apply failed with 1 conflict: conflict with {c.manager_text()}: "
            f"{format_path(c.path)}"
        )
    lines: list[str] = []
    last = None
    for c in conflicts:  # sorted by manager, as the server prints them
        if c.manager_text() != last:
            last = c.manager_text()
            lines.append(f"conflicts with {last}:")
        lines.append(f"- {format_path(c.path)}")
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


# --------------------------------------------------------------------------- JSON


_copy = deepcopy_json
_MISSING: Any = object()  # "no value at all", unlike None which is JSON null


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true != 1 (Python's == says otherwise)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(_json_equal(v, b[k]) for k, v in a.items())
        )
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _json_key(value: Any) -> str:
    """A hashable identity for a JSON value, as Go compares ``interface{}`` values."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_GO_ESCAPES.update({"\u2028": "\\u2028", "\u2029": "\\u2029"})
_GO_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")


def _go_json(value: Any) -> str:
    """Compact JSON as Go's encoding/json writes it (keys sorted, HTML escaped)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _GO_ESCAPE_RE.sub(lambda m: _GO_ESCAPES[m.group()], text)


def _go_quote(text: str) -> str:
    """Go's ``%q`` for the usual printable strings."""
    return json.dumps(text, ensure_ascii=False)


def _go_str(value: Any) -> str:
    """Go's ``%v`` of a decoded JSON scalar; SMP sorts lists by this text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if value is None:
        return "<nil>"
    if isinstance(value, (dict, list)):
        return _go_json(value)
    return str(value)


# --------------------------------------------------------------------------- JSON patch

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
    result = _copy(doc)
    for index, op in enumerate(operations):
        try:
            result = _apply_operation(result, op)
        except _PointerError as err:
            raise PatchError(
                f"operation {index} ({_json_key(op)}): {err}", 422
            ) from None
    return result


class _PointerError(Exception):
    """A JSON patch operation failed; json_patch adds the context."""


def _apply_operation(doc: Any, op: dict[str, Any]) -> Any:
    kind = op.get("op")
    path = _parse_pointer(_string_member(op, "path"))
    if kind == "add":
        return _add(doc, path, _copy(_value_member(op)))
    if kind == "remove":
        return _remove(doc, path)
    if kind == "replace":
        return _replace(doc, path, _copy(_value_member(op)))
    if kind == "move":
        source = _parse_pointer(_string_member(op, "from"))
        if len(source) < len(path) and path[: len(source)] == source:
            raise _PointerError("a location cannot be moved into one of its children")
        value = _get(doc, source)
        return _add(_remove(doc, source), path, value)
    if kind == "copy":
        source = _parse_pointer(_string_member(op, "from"))
        return _add(doc, path, _copy(_get(doc, source)))
    if kind == "test":
        if not _json_equal(_get_or_null(doc, path), op.get("value")):
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


# --------------------------------------------------------------------------- merge patch


def merge_patch(doc: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch: objects merge, ``null`` deletes, anything
    else replaces.

    For the server author: the API server answers 400 to a body that is JSON
    ``null`` (evanphx/json-patch refuses it); RFC 7386 itself would return null.
    """
    if not isinstance(patch, dict):
        return _copy(patch)
    base = doc if isinstance(doc, dict) else {}
    out: dict[str, Any] = {}
    for key, value in base.items():
        if key not in patch:
            out[key] = _copy(value)
        elif patch[key] is not None:
            out[key] = merge_patch(value, patch[key])
    for key, value in patch.items():
        if key not in base and value is not None:
            out[key] = merge_patch(None, value)
    return out


# --------------------------------------------------------------------------- schema


class _Pos:
    """Where a value sits in the schema: the field that holds it (its merge
    metadata) and the codec describing the value (a model, a list, a map of
    models, or None for scalars and free-form JSON)."""

    __slots__ = ("field", "codec")

    def __init__(self, field: Field[Any, Any] | None, codec: Codec | None) -> None:
        self.field = field
        self.codec = codec


_FREE = _Pos(None, None)


def _root(schema: type[Model] | None) -> _Pos:
    return _FREE if schema is None else _Pos(None, ModelCodec(schema))


# Codecs are told apart by class name, not isinstance: a generated package carries
# its own copy of _model, and tests (or a server) may mix it with this one.
_CODEC_KINDS = {
    ModelCodec.__name__: "model",
    ListCodec.__name__: "list",
    MapCodec.__name__: "map",
}


def _codec_kind(pos: _Pos) -> str | None:
    return _CODEC_KINDS.get(type(pos.codec).__name__)


def _model_of(pos: _Pos) -> type[Model] | None:
    cls: type[Model] | None = getattr(pos.codec, "cls", None)
    return cls if _codec_kind(pos) == "model" else None


def _is_struct(pos: _Pos) -> bool:
    return _codec_kind(pos) == "model"


def _is_typed_map(pos: _Pos) -> bool:
    """A struct or a map of structs, as opposed to free-form JSON or a string map."""
    return _codec_kind(pos) in ("model", "map")


def _child(pos: _Pos, key: str) -> _Pos:
    cls = _model_of(pos)
    if cls is not None:
        f = cls._wire_fields_.get(key)
        return _Pos(f, f.codec) if f is not None else _FREE
    if _codec_kind(pos) == "map":
        return _Pos(None, getattr(pos.codec, "item", None))
    return _FREE


def _item(pos: _Pos) -> _Pos:
    if _codec_kind(pos) == "list":
        return _Pos(None, getattr(pos.codec, "item", None))
    return _FREE


def _strategies(pos: _Pos) -> tuple[bool, str | None]:
    """(retainKeys?, the other strategy) of ``patchStrategy:"merge,retainKeys"``."""
    raw = pos.field.patch_strategy if pos.field is not None else None
    parts = [p.strip() for p in raw.split(",")] if raw else []
    retain = "retainKeys" in parts
    others = [p for p in parts if p != "retainKeys"]
    return retain, others[0] if others else None


def _merge_key(pos: _Pos) -> str | None:
    return pos.field.patch_merge_key if pos.field is not None else None


# --------------------------------------------------------------------------- strategic merge patch

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_PREFIX = "$deleteFromPrimitiveList"
_ORDER_PREFIX = "$setElementOrder"

# mergepatch's error texts; patch.go maps these to 400 / 422.
_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
_BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
_BAD_ORDER_LIST = "invalid patch type of setElementOrder list"


def strategic_merge_patch(doc: Any, patch: Any, schema: type[Model] | None) -> Any:
    """Apply a Kubernetes strategic merge patch, as the API server does for built-in
    types (``strategicpatch.StrategicMergeMapPatch``).

    Maps merge recursively and ``null`` deletes; lists whose field has patch
    strategy "merge" merge by ``patch_merge_key`` (lists of scalars: union, patch
    order first), other lists are replaced. Directives: ``$patch: replace|delete``
    on maps and list items, ``$retainKeys``, ``$deleteFromPrimitiveList/<field>``,
    ``$setElementOrder/<field>``. ``$patch: merge`` is refused, as upstream does.
    Free-form fields and ``schema=None`` get JSON merge patch semantics.

    Values the live object lacks are inserted with their directives processed and
    their nulls dropped (upstream copies them raw and lets the typed decode clean
    up); a ``$deleteFromPrimitiveList`` that empties a list removes the field.
    """
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object", 400)
    if not isinstance(doc, dict):
        raise PatchError("a strategic merge patch applies to a JSON object", 400)
    return _smp_map(_copy(doc), _copy(patch), _root(schema))


def _smp_map(original: dict[str, Any], patch: dict[str, Any], pos: _Pos) -> Any:
    """mergeMap: merge ``patch`` into ``original``; both are private copies."""
    if _DIRECTIVE in patch:  # upstream honours it on any map, string maps included
        directive = patch.pop(_DIRECTIVE)
        if directive == "replace":
            return _smp_map({}, patch, pos)
        if directive == "delete":
            return {}
        raise PatchError(f"unknown patch type: {directive} in map: {_go_json(patch)}")
    if not _is_typed_map(pos):
        return merge_patch(original, patch)
    _retain_keys(original, patch)
    _set_element_orders(original, patch, pos)
    deletions = []
    for key, value in patch.items():
        if key.startswith(_DELETE_PREFIX):
            deletions.append((key, value))
        elif not key.startswith("$"):  # unknown directives vanish, as in a typed decode
            _smp_field(original, key, value, _child(pos, key))
    for key, value in deletions:
        _delete_from_primitive_list(original, key, value)
    return original


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    return "scalar"


def _smp_field(original: dict[str, Any], key: str, value: Any, pos: _Pos) -> None:
    if value is None:
        original.pop(key, None)
        return
    current = original.get(key, _MISSING)
    if current is _MISSING or _json_kind(current) != _json_kind(value):
        original[key] = _smp_clean(value, pos)
        return
    _, strategy = _strategies(pos)
    if isinstance(value, dict):
        replace = strategy == "replace"
        original[key] = (
            _smp_clean(value, pos) if replace else _smp_map(current, value, pos)
        )
    elif isinstance(value, list):
        merge = strategy == "merge"
        original[key] = (
            _merge_list(current, value, pos) if merge else _smp_clean(value, pos)
        )
    else:
        original[key] = value


def _smp_clean(value: Any, pos: _Pos) -> Any:
    """A patch value applied to nothing: directives processed, nulls dropped."""
    if isinstance(value, dict):
        return _smp_map({}, value, pos)
    if isinstance(value, list):
        if _strategies(pos)[1] == "merge":
            return _merge_list([], value, pos)
        item = _item(pos)
        if not _is_typed_map(item):
            return value
        return [_smp_clean(v, item) if isinstance(v, dict) else v for v in value]
    return value


def _retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    """applyRetainKeysDirective: drop the keys of ``original`` the list leaves out."""
    if _RETAIN_KEYS not in patch:
        return
    keep = patch.pop(_RETAIN_KEYS)
    if not isinstance(keep, list) or not all(isinstance(k, str) for k in keep):
        raise PatchError(_BAD_RETAIN_KEYS, 400)
    allowed = set(keep)
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_PREFIX, _ORDER_PREFIX)):
            continue
        if key not in allowed:
            raise PatchError(f"{_BAD_RETAIN_KEYS}: {key!r} is not in {keep}", 400)
    for key in [k for k in original if k not in allowed]:
        del original[key]


def _directive_field(key: str, prefix: str, message: str) -> str:
    head, sep, name = key.partition("/")
    if head != prefix or not sep:
        raise PatchError(message, 400)
    return name


def _delete_from_primitive_list(original: dict[str, Any], key: str, value: Any) -> None:
    name = _directive_field(key, _DELETE_PREFIX, _BAD_PRIMITIVE_LIST)
    if not isinstance(value, list):
        raise PatchError(f"{key}: expected a list, got {_go_json(value)}")
    current = original.get(name)
    if not isinstance(current, list):
        return  # nothing to delete from
    doomed = {_json_key(v) for v in value}
    kept = [v for v in current if _json_key(v) not in doomed]
    if kept:
        original[name] = kept
    else:
        del original[name]  # the typed decode turns [] into "absent" (omitempty)


def _element_kind(*lists: list[Any]) -> str:
    """sliceElementType: "map" or "scalar"; all elements must share one type."""
    seen: set[str] = set()
    for items in lists:
        for item in items:
            if isinstance(item, list):
                raise PatchError("lists of lists are not supported", 422)
            seen.add(_scalar_type(item))
    if len(seen) > 1:
        raise PatchError(f"list element types are not identical: {sorted(seen)}")
    return "map" if seen == {"map"} else "scalar"


def _scalar_type(item: Any) -> str:
    if isinstance(item, dict):
        return "map"
    if isinstance(item, bool):
        return "bool"
    if isinstance(item, (int, float)):
        return "number"
    return type(item).__name__


def _key_function(merge_key: str | None) -> Callable[[Any], str]:
    """Identity of a list element: its merge key value, or itself for scalars."""
    if not merge_key:
        return _json_key

    def key(item: Any) -> str:
        if not isinstance(item, dict) or merge_key not in item:
            raise PatchError(
                f"map: {_go_json(item)} does not contain declared merge key: {merge_key}"
            )
        return _json_key(item[merge_key])

    return key


def _merge_list(original: list[Any], patch: list[Any], pos: _Pos) -> list[Any]:
    """mergeSlice for a list with patch strategy "merge"."""
    if not original and not patch:
        return original
    if _element_kind(original, patch) == "scalar":
        merged = _dedupe(original + patch, _json_key)
        return _order_like_patch(merged, patch, original, _json_key)
    merge_key = _merge_key(pos)
    if not merge_key:
        raise PatchError("cannot merge lists without merge key for type struct")
    key = _key_function(merge_key)
    item_pos = _item(pos)
    original, patch = _special_elements(original, patch, key, item_pos)
    merged = list(original)
    index = _first_index(merged, key)
    for item in patch:
        k = key(item)
        if k in index:
            merged[index[k]] = _smp_map(merged[index[k]], item, item_pos)
        else:
            index[k] = len(merged)
            merged.append(_smp_clean(item, item_pos))
    return _order_like_patch(merged, patch, original, key)


def _special_elements(
    original: list[Any], patch: list[Any], key: Callable[[Any], str], item_pos: _Pos
) -> tuple[list[Any], list[Any]]:
    """mergeSliceWithSpecialElements: ``$patch`` items delete or replace."""
    plain: list[Any] = []
    replace = False
    for item in patch:
        if _DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[_DIRECTIVE]
        if directive == "delete":
            doomed = key(item)
            original = [o for o in original if key(o) != doomed]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise PatchError("merging lists cannot yet be specified in the patch")
        else:
            raise PatchError(
                f"unknown patch type: {directive} in map: {_go_json(item)}"
            )
    if replace:
        return [_smp_clean(item, item_pos) for item in plain], []
    return original, plain


def _dedupe(items: list[Any], key: Callable[[Any], str]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _first_index(items: Iterable[Any], key: Callable[[Any], str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, item in enumerate(items):
        index.setdefault(key(item), i)
    return index


def _order_like_patch(
    merged: list[Any], order: list[Any], server: list[Any], key: Callable[[Any], str]
) -> list[Any]:
    """normalizeElementOrder: items named in ``order`` follow its order, the others
    keep the live (``server``) order, and the two are interleaved by live position."""
    order_index = _first_index(order, key)
    server_index = _first_index(server, key)
    patched = [m for m in merged if key(m) in order_index]
    others = [m for m in merged if key(m) not in order_index]
    patched.sort(key=lambda m: order_index[key(m)])
    others.sort(key=lambda m: server_index.get(key(m), len(server_index)))
    return _interleave(others, patched, server_index, key)


def _interleave(
    left: list[Any],
    right: list[Any],
    server_index: dict[str, int],
    key: Callable[[Any], str],
) -> list[Any]:
    """mergeSortedSlice: a live-only item goes first only if both items are live and
    it came first there; new patch items are placed as early as possible."""
    out = []
    i = j = 0
    while i < len(left) and j < len(right):
        li = server_index.get(key(left[i]))
        ri = server_index.get(key(right[j]))
        if li is not None and ri is not None and li < ri:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def _set_element_orders(
    original: dict[str, Any], patch: dict[str, Any], pos: _Pos
) -> None:
    """mergePatchIntoOriginal: merge each list named by ``$setElementOrder/<field>``
    and put it in that order (patch order > live order)."""
    for directive in [k for k in patch if k.startswith(_ORDER_PREFIX)]:
        order = patch.pop(directive)
        name = _directive_field(directive, _ORDER_PREFIX, _BAD_ORDER_LIST)
        if not isinstance(order, list):
            raise PatchError(f"{directive}: expected a list, got {_go_json(order)}")
        child = _child(pos, name)
        live = original.get(name, _MISSING)
        patched = patch.pop(name, _MISSING)
        for value in (live, patched):
            if value is not _MISSING and not isinstance(value, list):
                raise PatchError(f"{name}: expected a list, got {_go_json(value)}")
        if live is _MISSING and patched is _MISSING:
            continue
        merge_key = _merge_key(child)
        _check_order(patched if patched is not _MISSING else [], order, merge_key)
        if patched is _MISSING:
            merged = live
        elif _strategies(child)[1] != "merge":
            merged = _smp_clean(patched, child)
        else:
            merged = _merge_list(live if live is not _MISSING else [], patched, child)
        server = live if live is not _MISSING else []
        original[name] = _order_like_patch(
            merged, order, server, _key_function(merge_key)
        )


def _check_order(patch: list[Any], order: list[Any], merge_key: str | None) -> None:
    """validatePatchWithSetOrderList: patch items keep the order's relative order."""
    key = _key_function(merge_key)
    items = patch
    if merge_key:
        items = [
            p
            for p in patch
            if not (isinstance(p, dict) and p.get(_DIRECTIVE) == "delete")
        ]
    pi = si = 0
    while pi < len(items) and si < len(order):
        if isinstance(items[pi], dict) and _DIRECTIVE in items[pi]:
            pi += 1
            continue
        if key(items[pi]) == key(order[si]):
            pi += 1
        si += 1
    if pi < len(items):
        raise PatchError(
            f"The order in patch list:\n{_go_json(patch)}\n doesn't match "
            f"{_ORDER_PREFIX} list:\n{_go_json(order)}\n"
        )


# --------------------------------------------------------------------------- SMP diff


def create_strategic_merge_patch(
    original: dict[str, Any], modified: dict[str, Any], schema: type[Model] | None
) -> dict[str, Any]:
    """The two-way strategic merge patch that turns ``original`` into ``modified``
    (``CreateTwoWayMergePatch``, what kubectl edit/patch compute): changed values,
    ``null`` for removed keys, ``$patch: delete`` for removed merge-list items,
    ``$deleteFromPrimitiveList``, ``$setElementOrder`` and ``$retainKeys``."""
    if not isinstance(original, dict) or not isinstance(modified, dict):
        raise PatchError("both documents must be JSON objects", 400)
    return _diff_maps(original, modified, _root(schema), retain=False)


def _diff_maps(
    original: dict[str, Any], modified: dict[str, Any], pos: _Pos, *, retain: bool
) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    for key, new in modified.items():
        old = original.get(key, _MISSING)
        if old is _MISSING or _json_kind(old) != _json_kind(new):
            patch[key] = _copy(new)
        elif key == _DIRECTIVE:
            if old != new:
                patch[key] = new
        elif isinstance(new, dict):
            _diff_map_field(patch, key, old, new, _child(pos, key))
        elif isinstance(new, list):
            _diff_list_field(patch, key, old, new, _child(pos, key))
        elif not _json_equal(old, new):
            patch[key] = new
    for key in original:
        if key not in modified:
            patch[key] = None
    kept = [k for k, v in modified.items() if v is not None]
    if retain and kept:
        extra = any(v is not None and k not in modified for k, v in original.items())
        if patch or extra:
            patch[_RETAIN_KEYS] = sorted(kept, key=_go_str)
    return patch


def _diff_map_field(
    patch: dict[str, Any], key: str, old: dict[str, Any], new: dict[str, Any], pos: _Pos
) -> None:
    retain, strategy = _strategies(pos)
    if strategy == "replace":
        patch[key] = _copy(new)  # upstream sends replace-strategy maps whole, always
        return
    sub = _diff_maps(old, new, pos, retain=retain)
    if sub:
        patch[key] = sub


def _diff_list_field(
    patch: dict[str, Any], key: str, old: list[Any], new: list[Any], pos: _Pos
) -> None:
    retain, strategy = _strategies(pos)
    if strategy != "merge":
        if not _json_equal(old, new):
            patch[key] = _copy(new)
        return
    if not old:
        if new:
            patch[key] = _copy(new)
        return
    if _element_kind(old, new) == "map":
        changes, order = _diff_map_list(old, new, pos, retain)
    else:
        changes, deletions, order = _diff_scalar_list(old, new)
        if deletions:
            patch[f"{_DELETE_PREFIX}/{key}"] = deletions
    if changes:
        patch[key] = changes
    if order:
        patch[f"{_ORDER_PREFIX}/{key}"] = order


def _diff_map_list(
    old: list[Any], new: list[Any], pos: _Pos, retain: bool
) -> tuple[list[Any], list[Any]]:
    merge_key = _merge_key(pos)
    if not merge_key:
        raise PatchError("cannot diff lists without merge key for type struct")
    key = _key_function(merge_key)
    item_pos = _item(pos)
    old_by_key = {key(o): o for o in reversed(old)}  # first occurrence wins
    changes: list[Any] = []
    for item in new:
        previous = old_by_key.get(key(item))
        if previous is None:
            changes.append(_copy(item))
            continue
        sub = _diff_maps(previous, item, item_pos, retain=retain)
        if sub:
            sub[merge_key] = item[merge_key]
            changes.append(sub)
    new_keys = {key(n) for n in new}
    deleted = {key(o): o[merge_key] for o in old if key(o) not in new_keys}
    for value in sorted(deleted.values(), key=_go_str):  # upstream walks sorted lists
        changes.append({_DIRECTIVE: "delete", merge_key: value})
    same_order = [key(o) for o in old] == [key(n) for n in new]
    order = (
        [{merge_key: n[merge_key]} for n in new] if changes or not same_order else []
    )
    return changes, order


def _diff_scalar_list(
    old: list[Any], new: list[Any]
) -> tuple[list[Any], list[Any], list[Any]]:
    old_keys = {_json_key(o) for o in old}
    new_keys = {_json_key(n) for n in new}
    added = _dedupe([n for n in new if _json_key(n) not in old_keys], _json_key)
    deleted = _dedupe([o for o in old if _json_key(o) not in new_keys], _json_key)
    deleted.sort(key=_go_str)
    order = _copy(new) if deleted or not _json_equal(old, new) else []
    return added, deleted, order


# --------------------------------------------------------------------------- field paths


def _pe_field(name: str) -> str:
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


def _path_key(path: FieldPath) -> tuple[Any, ...]:
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
            return "k:" + _go_json(fields)
        if kind == "v":
            return "v:" + _go_json(json.loads(body))
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
        raise PatchError(f"FieldsV1 must be a JSON object, got {_go_json(fields)}", 400)
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
        return _go_quote(value)
    if value is None:
        return "null"
    return _go_json(value)


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


# --------------------------------------------------------------------------- field sets


def _list_kind(pos: _Pos) -> tuple[str, tuple[str, ...]]:
    """How SMD treats a list: ("atomic"|"set"|"map", keys). Without a list type, a
    "merge" patch strategy makes it associative (kube-openapi schemaconv)."""
    f = pos.field
    if f is None:
        return "atomic", ()
    merge = _strategies(pos)[1] == "merge"
    if f.list_type == "map" or (f.list_type is None and merge and f.patch_merge_key):
        keys = f.map_keys or ((f.patch_merge_key,) if f.patch_merge_key else ())
        return ("map", keys) if keys else ("atomic", ())
    if f.list_type == "set" or (f.list_type is None and merge):
        return "set", ()
    return "atomic", ()


def _map_is_atomic(pos: _Pos) -> bool:
    if pos.field is not None and pos.field.map_type:
        return pos.field.map_type == "atomic"
    cls = _model_of(pos)
    return cls is not None and getattr(cls, "_map_type_", None) == "atomic"


def _elements(items: list[Any], pos: _Pos) -> list[tuple[str, Any]] | None:
    """(path element, item) for each item of an associative list; None if atomic."""
    kind, keys = _list_kind(pos)
    if kind == "atomic":
        return None
    out = []
    for item in items:
        if kind == "set":
            if isinstance(item, (dict, list)):
                return None
            out.append(("v:" + _go_json(item), item))
            continue
        if not isinstance(item, dict):
            return None
        key = {k: item[k] for k in sorted(keys) if k in item}
        if not key:
            return None
        out.append(("k:" + _go_json(key), item))
    return out


def field_set(obj: Any, schema: type[Model] | None) -> set[FieldPath]:
    """The paths of the fields ``obj`` sets (SMD ``TypedValue.ToFieldSet``): leaves,
    atomic lists and maps as a whole, items of associative lists, and entries of
    string-keyed maps; struct fields only through what is inside them."""
    out: set[FieldPath] = set()
    _collect(obj, _root(schema), (), out, strict=False)
    return out


def _collect(
    value: Any, pos: _Pos, path: FieldPath, out: set[FieldPath], strict: bool
) -> None:
    if isinstance(value, dict):
        if _map_is_atomic(pos):
            out.add(path)
            return
        struct = _is_struct(pos)
        for key, child in value.items():
            child_pos = _child(pos, key)
            child_path = (*path, _pe_field(key))
            if not struct or child_pos.field is None:
                out.add(child_path)  # map entries (and unknown fields) are members
            _collect(child, child_pos, child_path, out, strict)
        return
    if isinstance(value, list):
        elements = _elements(value, pos)
        if elements is None:
            out.add(path)
            return
        item_pos = _item(pos)
        seen: set[str] = set()
        for pe, item in elements:
            if strict and pe in seen:
                raise PatchError(
                    f"{format_path(path)}: duplicate entries for key {format_path((pe,))}",
                    422,
                )
            seen.add(pe)
            _collect(item, item_pos, (*path, pe), out, strict)
            out.add((*path, pe))
        return
    out.add(path)


@dataclass
class _Diff:
    added: set[FieldPath] = dataclasses.field(default_factory=set)
    modified: set[FieldPath] = dataclasses.field(default_factory=set)
    removed: set[FieldPath] = dataclasses.field(default_factory=set)


def _compare(old: Any, new: Any, schema: type[Model] | None) -> _Diff:
    """SMD ``TypedValue.Compare``: leaves added/modified/removed, and maps, lists
    and list items that appeared or disappeared as a whole."""
    diff = _Diff()
    _compare_at(old, new, _root(schema), (), diff)
    return diff


def _compare_at(old: Any, new: Any, pos: _Pos, path: FieldPath, diff: _Diff) -> None:
    children = _compare_children(old, new, pos, path, diff)
    if children is None:  # a leaf: scalar, atomic, or empty on both sides
        if old is _MISSING:
            diff.added.add(path)
        elif new is _MISSING:
            diff.removed.add(path)
        elif not _json_equal(old, new):
            diff.modified.add(path)
        return
    if old is _MISSING:
        diff.added.add(path)
    elif new is _MISSING:
        diff.removed.add(path)


def _compare_children(
    old: Any, new: Any, pos: _Pos, path: FieldPath, diff: _Diff
) -> bool | None:
    """Recurse into a granular map or an associative list; None when it is a leaf."""
    sides = [v for v in (old, new) if v is not _MISSING]
    if all(isinstance(v, dict) for v in sides) and not _map_is_atomic(pos):
        lhs = old if old is not _MISSING else {}
        rhs = new if new is not _MISSING else {}
        if not lhs and not rhs:
            return None
        for key in {**lhs, **rhs}:
            child = _child(pos, key)
            a, b = lhs.get(key, _MISSING), rhs.get(key, _MISSING)
            if _is_struct(child):  # value structs exist whenever their parent does
                a = (
                    {}
                    if a is _MISSING and old is not _MISSING and isinstance(b, dict)
                    else a
                )
                b = (
                    {}
                    if b is _MISSING and new is not _MISSING and isinstance(a, dict)
                    else b
                )
            _compare_at(a, b, child, (*path, _pe_field(key)), diff)
        return True
    if all(isinstance(v, list) for v in sides):
        lhs_items = _elements(old if old is not _MISSING else [], pos)
        rhs_items = _elements(new if new is not _MISSING else [], pos)
        if lhs_items is None or rhs_items is None or not (lhs_items or rhs_items):
            return None
        lmap, rmap = dict(reversed(lhs_items)), dict(reversed(rhs_items))
        item_pos = _item(pos)
        for pe in {**lmap, **rmap}:
            a, b = lmap.get(pe, _MISSING), rmap.get(pe, _MISSING)
            _compare_at(a, b, item_pos, (*path, pe), diff)
        return True
    return None


def _smd_merge(lhs: Any, rhs: Any, pos: _Pos) -> Any:
    """SMD ``TypedValue.Merge``: ``rhs`` (the applied config) wins; granular maps and
    associative lists merge item by item."""
    if rhs is _MISSING:
        return _copy(lhs)
    if lhs is _MISSING:
        return _copy(rhs)
    if isinstance(lhs, dict) and isinstance(rhs, dict) and not _map_is_atomic(pos):
        out = {
            k: _smd_merge(v, rhs.get(k, _MISSING), _child(pos, k))
            for k, v in lhs.items()
        }
        out.update({k: _copy(v) for k, v in rhs.items() if k not in lhs})
        return out
    if isinstance(lhs, list) and isinstance(rhs, list):
        lhs_items, rhs_items = _elements(lhs, pos), _elements(rhs, pos)
        if lhs_items is not None and rhs_items is not None and (lhs or rhs):
            return _merge_items(lhs_items, rhs_items, _item(pos))
    return _copy(rhs)


def _merge_items(
    lhs: list[tuple[str, Any]], rhs: list[tuple[str, Any]], item_pos: _Pos
) -> list[Any]:
    """SMD's list merge order: the applied order for shared items, live-only items
    stay near where they were, new items where the config puts them."""
    lmap, rmap = dict(reversed(lhs)), dict(reversed(rhs))
    lorder, rorder = list(lmap)[::-1], list(rmap)[::-1]
    shared = [pe for pe in rorder if pe in lmap]
    next_shared = shared.pop(0) if shared else None
    out: list[Any] = []
    li = ri = 0
    while li < len(lorder) or ri < len(rorder):
        if li < len(lorder) and ri < len(rorder):
            pe = lorder[li]
            if pe == rorder[ri]:
                out.append(_smd_merge(lmap[pe], rmap[pe], item_pos))
                li, ri = li + 1, ri + 1
                next_shared = shared.pop(0) if shared else None
                continue
            if pe in rmap and next_shared is not None and next_shared != pe:
                li += 1  # a shared item the config wants later
                continue
        if li < len(lorder):
            pe = lorder[li]
            if pe not in rmap:
                out.append(_copy(lmap[pe]))
                li += 1
                continue
            if ri >= len(rorder):
                li += 1  # already merged from the config side
                continue
        pe = rorder[ri]
        out.append(_smd_merge(lmap.get(pe, _MISSING), rmap[pe], item_pos))
        ri += 1
        if next_shared == pe:
            next_shared = shared.pop(0) if shared else None
    return out


def _remove_path(value: Any, path: FieldPath, pos: _Pos) -> bool:
    """Remove ``path`` (with everything below it) from ``value`` in place. Returns
    True when ``value`` itself should go: it is the target, or emptied by the
    removal (maps and lists do; structs stay, as Go keeps value structs)."""
    if not path:
        return True
    pe, rest = path[0], path[1:]
    if isinstance(value, dict) and pe.startswith("f:"):
        key = pe[2:]
        if key in value and _remove_path(value[key], rest, _child(pos, key)):
            del value[key]
            return not value and not _is_struct(pos)
        return False
    if isinstance(value, list):
        elements = _elements(value, pos)
        if pe.startswith("i:") or elements is None:
            return False  # atomic lists are owned whole, never item by item
        for index, (item_pe, item) in enumerate(elements):
            if item_pe != pe:
                continue
            if _remove_path(item, rest, _item(pos)):
                del value[index]
                return not value
            return False
    return False


# --------------------------------------------------------------------------- managed fields

# stripmeta.go: paths no manager ever owns.
_STRIPPED: frozenset[FieldPath] = frozenset(
    {("f:apiVersion",), ("f:kind",), ("f:metadata",)}
    | {
        ("f:metadata", _pe_field(name))
        for name in (
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
        )
    }
)
_MAX_UPDATE_MANAGERS = 10  # fieldmanager.go DefaultMaxUpdateManagers
_ANCIENT_CHANGES = "ancient-changes"  # capmanagers.go bucket for the oldest updaters
_MANAGER_MAX_LENGTH = 128  # validation.FieldManagerMaxLength


@dataclass
class _Entry:
    """One managedFields entry, decoded."""

    manager: str
    operation: str
    api_version: str
    time: str | None
    subresource: str
    fields: set[FieldPath]
    raw_fields: dict[str, Any] | None = None  # reused when the set did not change
    raw_set: frozenset[FieldPath] = frozenset()

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """BuildManagerIdentifier: appliers are one manager whatever the version."""
        version = self.api_version if self.operation == "Update" else ""
        return (self.manager, self.operation, version, self.subresource)

    def conflict(self, path: FieldPath) -> Conflict:
        return Conflict(
            self.manager, path, self.operation, self.api_version, self.subresource
        )


_Managers: TypeAlias = dict[tuple[str, str, str, str], _Entry]


def _decode_entries(entries: Any) -> _Managers:
    """DecodeManagedFields; raises ValueError on anything the server would refuse."""
    if not isinstance(entries, list):
        raise ValueError("managedFields must be a list")
    out: _Managers = {}
    for i, raw in enumerate(entries):
        if not isinstance(raw, dict):
            raise ValueError(f"managedFields[{i}] is not an object")
        if raw.get("operation") not in ("Apply", "Update"):
            raise ValueError("operation must be `Apply` or `Update`")
        if not raw.get("apiVersion"):
            raise ValueError("apiVersion must not be empty")
        if raw.get("fieldsType") != "FieldsV1":
            raise ValueError(f"invalid fieldsType in managed fields entry {i}")
        raw_fields = raw.get("fieldsV1") or {}
        try:
            fields = decode_fields_v1(raw_fields)
        except PatchError as err:
            raise ValueError(str(err)) from None
        entry = _Entry(
            manager=str(raw.get("manager", "")),
            operation=raw["operation"],
            api_version=str(raw["apiVersion"]),
            time=raw.get("time"),
            subresource=str(raw.get("subresource", "")),
            fields=fields,
            raw_fields=raw_fields,
            raw_set=frozenset(fields),
        )
        out[entry.identity] = entry
    return out


def _seconds(time: str | None) -> float:
    if not time:
        return 0
    try:
        return parse_time(time).timestamp() // 1
    except ValueError:
        return 0


def _encode_entries(managers: _Managers) -> list[dict[str, Any]]:
    """encodeManagedFields: entries sorted by operation, time, manager, version."""
    entries = [e for e in managers.values() if e.fields]
    entries.sort(
        key=lambda e: (
            e.operation,
            _seconds(e.time),
            e.manager,
            e.api_version,
            e.subresource,
        )
    )
    out = []
    for e in entries:
        unchanged = e.raw_fields is not None and e.fields == e.raw_set
        raw: dict[str, Any] = {"manager": e.manager, "operation": e.operation}
        raw["apiVersion"] = e.api_version
        if e.time:
            raw["time"] = e.time
        raw["fieldsType"] = "FieldsV1"
        raw["fieldsV1"] = (
            _copy(e.raw_fields) if unchanged else encode_fields_v1(e.fields)
        )
        if e.subresource:
            raw["subresource"] = e.subresource
        out.append(raw)
    return out


def _with_managed_fields(obj: dict[str, Any], managers: _Managers) -> dict[str, Any]:
    entries = _encode_entries(managers)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        if not entries:
            return obj
        meta = obj["metadata"] = {}
    if entries:
        meta["managedFields"] = entries
    else:
        meta.pop("managedFields", None)
    return obj


def _without_managed_fields(obj: Any) -> Any:
    """A copy of ``obj`` without metadata.managedFields (compared objects never
    contain their own bookkeeping)."""
    out = _copy(obj)
    if isinstance(out, dict) and isinstance(out.get("metadata"), dict):
        out["metadata"].pop("managedFields", None)
    return out


def _managed_fields_of(obj: Any) -> Any:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return meta.get("managedFields", _MISSING) if isinstance(meta, dict) else _MISSING


def _entries_of(obj: dict[str, Any] | None) -> Any:
    """The managedFields of a stored object ([] when it has none)."""
    found = _managed_fields_of(obj) if obj is not None else _MISSING
    return [] if found is _MISSING or found is None else found


def _now(now: str | None) -> str:
    return now if now else format_time(datetime.now(timezone.utc))


def manager_from_user_agent(field_manager: str | None, user_agent: str | None) -> str:
    """The manager name the server records when the request has no ``fieldManager``
    (patch.go managerOrUserAgent / prefixFromUserAgent): the user agent up to its
    first "/", printable characters only, at most 128 bytes. ``kubectl/v1.36.0
    (linux/amd64) kubernetes/abc`` gives "kubectl", the Python client's
    ``OpenAPI-Generator/33.1.0/python`` gives "OpenAPI-Generator", no user agent
    gives "". Apply requests must name a manager; the server refuses them (422)
    otherwise instead of falling back to the user agent.
    """
    if field_manager:
        return field_manager
    prefix = (user_agent or "").split("/", 1)[0]
    out = ""
    for char in prefix:
        if not char.isprintable():
            continue
        if len((out + char).encode()) > _MANAGER_MAX_LENGTH:
            break
        out += char
    return out


def apply(
    live: dict[str, Any] | None,
    applied: dict[str, Any],
    manager: str,
    schema: type[Model] | None,
    force: bool = False,
    now: str | None = None,
    *,
    subresource: str = "",
) -> dict[str, Any]:
    """Server-side apply ``applied`` (the configuration, as sent with content type
    application/apply-patch+yaml) by ``manager`` onto ``live`` (None to create).

    Returns the new object with ``metadata.managedFields`` updated: the manager's
    "Apply" entry owns exactly the applied fields; fields it applied last time and
    no longer does are removed unless another manager owns them; fields another
    manager owns and this apply changes raise :class:`ApplyConflict` (409), or with
    ``force`` move to this manager. ``now`` is the RFC 3339 time recorded for the
    entry (default: the current time).
    """
    if not manager:
        raise PatchError(
            "fieldManager: Required value: is required for apply patch", 422
        )
    if len(manager) > _MANAGER_MAX_LENGTH:
        raise PatchError(
            f"fieldManager: Too long: may not be more than {_MANAGER_MAX_LENGTH} bytes",
            422,
        )
    if not isinstance(applied, dict):
        raise PatchError("an apply configuration must be a JSON object", 400)
    if _managed_fields_of(applied) not in (_MISSING, None):
        raise PatchError("metadata.managedFields must be nil", 400)
    api_version = applied.get("apiVersion")
    if not isinstance(api_version, str) or not api_version:
        raise PatchError("the apply configuration has no apiVersion", 400)
    if live is not None and live.get("apiVersion") not in (None, api_version):
        raise PatchError(
            "Incorrect version specified in apply patch. Specified patch version: "
            f"{api_version}, expected: {live.get('apiVersion')}",
            400,
        )

    try:
        managers = _decode_entries(_entries_of(live))
    except ValueError as err:
        raise PatchError(f"failed to decode managed fields: {err}") from None
    config = _drop_nulls(applied)
    current = _without_managed_fields(live) if live is not None else {}
    pos = _root(schema)
    applied_set: set[FieldPath] = set()
    _collect(config, pos, (), applied_set, strict=True)
    applied_set -= _STRIPPED

    me = _Entry(manager, "Apply", api_version, None, subresource, applied_set)
    previous = managers.pop(me.identity, None)
    merged = _smd_merge(current, config, pos)
    if previous is not None:
        _prune(merged, previous.fields, applied_set, managers.values(), pos)

    diff = _compare(current, merged, schema)
    _settle_conflicts(managers, diff, force)
    changed = not _json_equal(current, merged)
    me.time = _now(now) if changed or previous is None else previous.time or _now(now)
    if previous is not None and previous.fields == applied_set:
        me.raw_fields, me.raw_set = previous.raw_fields, previous.raw_set
    managers[me.identity] = me
    return _with_managed_fields(merged, managers)


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _prune(
    merged: dict[str, Any],
    last: set[FieldPath],
    applied: set[FieldPath],
    others: Iterable[_Entry],
    pos: _Pos,
) -> None:
    """Remove what the applier owned last time, no longer applies, and nobody else
    owns, keeping anything inside which somebody still owns."""
    owned = set(applied)
    for entry in others:
        owned |= entry.fields
    owned_prefixes = {path[:i] for path in owned for i in range(1, len(path) + 1)}
    for path in sorted(last - owned, key=len):
        if path not in owned_prefixes:
            _remove_path(merged, path, pos)


def _settle_conflicts(managers: _Managers, diff: _Diff, force: bool) -> None:
    """merge.Updater.update: other managers lose what changed (a conflict unless
    ``force``) and what was removed."""
    changed = diff.added | diff.modified
    conflicts = [
        entry.conflict(path)
        for entry in managers.values()
        for path in sorted(entry.fields & changed, key=_path_key)
    ]
    if conflicts and not force:
        raise ApplyConflict(conflicts)
    for entry in managers.values():
        entry.fields = entry.fields - changed - diff.removed


def record_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    schema: type[Model] | None,
    now: str | None = None,
    api_version: str | None = None,
    *,
    subresource: str = "",
) -> dict[str, Any]:
    """Record a create (``old`` None), update or non-apply patch by ``manager``
    (see :func:`manager_from_user_agent` for requests without ``fieldManager``).

    Returns ``new`` with ``metadata.managedFields`` as the server computes them:
    the fields the write added or changed move to the manager's "Update" entry at
    ``api_version`` (default: ``new["apiVersion"]``), other managers lose them and
    whatever was removed. Client-sent managedFields replace the live ones when
    they are valid and non-empty; ``[]`` or ``[{}]`` resets them. An update of an
    object without managedFields is not tracked (``old`` without ``metadata.uid``
    counts as a create, as upstream); more than 10 Update entries are
    merged, oldest first, into "ancient-changes".
    """
    version = api_version or str(new.get("apiVersion") or "")
    managers = _update_base(old, new, subresource)
    is_create = old is None or not (old.get("metadata") or {}).get("uid")
    result: dict[str, Any] = _without_managed_fields(new)
    if not managers and not is_create:
        return result
    diff = _compare(_without_managed_fields(old) if old else {}, result, schema)
    gained = (diff.added | diff.modified) - _STRIPPED
    for entry in managers.values():
        entry.fields = entry.fields - diff.added - diff.modified - diff.removed
    if gained:
        me = _Entry(manager, "Update", version, _now(now), subresource, set())
        previous = managers.get(me.identity)
        me.fields = gained | (previous.fields if previous else set())
        managers[me.identity] = me
    _cap_update_managers(managers)
    return _with_managed_fields(result, managers)


def _update_base(
    old: dict[str, Any] | None, new: dict[str, Any], subresource: str
) -> _Managers:
    """fieldmanager.go decodeManagedFields: the request's entries if valid and
    non-empty, a reset for ``[]`` / ``[{}]``, else the live object's. Writes to a
    subresource (status, scale) cannot touch managedFields: always the live ones."""
    sent = _managed_fields_of(new) if not subresource else _MISSING
    if sent == [] or sent == [{}]:
        return {}
    if sent is not _MISSING:
        try:
            managers = _decode_entries(sent)
        except ValueError:
            managers = {}
        if managers:
            return managers
    try:
        return _decode_entries(_entries_of(old))
    except ValueError:
        return {}


def _cap_update_managers(managers: _Managers) -> None:
    """capmanagers.go: fold the oldest Update entries into one "ancient-changes"
    entry per apiVersion until at most 10 Update entries remain."""
    updaters = [k for k, e in managers.items() if e.operation == "Update" and e.fields]
    if len(updaters) <= _MAX_UPDATE_MANAGERS:
        return
    updaters.sort(key=lambda k: (_seconds(managers[k].time), _go_json(list(k))))
    first_of_version: dict[str, tuple[str, str, str, str]] = {}
    count = len(updaters)
    for identity in updaters:
        if count <= _MAX_UPDATE_MANAGERS:
            break
        entry = managers[identity]
        version = entry.api_version
        bucket = (_ANCIENT_CHANGES, "Update", version, "")
        if version not in first_of_version:
            first_of_version[version] = identity
            continue
        if bucket not in managers:
            first = managers.pop(first_of_version[version])
            managers[bucket] = _Entry(
                _ANCIENT_CHANGES, "Update", version, first.time, "", set(first.fields)
            )
        managers[bucket].fields |= entry.fields
        managers[bucket].time = entry.time
        del managers[identity]
        count -= 1
