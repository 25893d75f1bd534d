"""Kubernetes strategic merge patch (``application/strategic-merge-patch+json``):
applying one (``strategicpatch.StrategicMergeMapPatch``) and creating the two-way
patch between two objects (``CreateTwoWayMergePatch``), with the patch strategies,
merge keys and ``$patch`` / ``$retainKeys`` / ``$deleteFromPrimitiveList`` /
``$setElementOrder`` directives of the schema.

Statuses: the malformed directives ``interpretStrategicMergePatchError`` knows
(``$retainKeys``, ``$deleteFromPrimitiveList``, ``$setElementOrder``, a body that is
not an object) are 400, lists of lists 422; any other failure (unknown ``$patch``
value, missing merge key ...) reaches the client as a plain error, i.e. 500 with
reason "" (unknown), and so do they here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._model import Model, deepcopy_json
from .errors import PatchError
from .jsonvalue import MISSING, go_json, go_str, json_equal, json_key
from .mergepatch import merge_patch
from .schema import (
    Pos,
    child_of,
    is_typed_map,
    item_of,
    merge_key_of,
    root_pos,
    strategies_of,
)

__all__ = ["create_strategic_merge_patch", "strategic_merge_patch"]


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
    return _smp_map(deepcopy_json(doc), deepcopy_json(patch), root_pos(schema))


def _smp_map(original: dict[str, Any], patch: dict[str, Any], pos: Pos) -> Any:
    """mergeMap: merge ``patch`` into ``original``; both are private copies."""
    if _DIRECTIVE in patch:  # upstream honours it on any map, string maps included
        directive = patch.pop(_DIRECTIVE)
        if directive == "replace":
            return _smp_map({}, patch, pos)
        if directive == "delete":
            return {}
        raise PatchError(f"unknown patch type: {directive} in map: {go_json(patch)}")
    if not is_typed_map(pos):
        return merge_patch(original, patch)
    _retain_keys(original, patch)
    _set_element_orders(original, patch, pos)
    deletions = []
    for key, value in patch.items():
        if key.startswith(_DELETE_PREFIX):
            deletions.append((key, value))
        elif not key.startswith("$"):  # unknown directives vanish, as in a typed decode
            _smp_field(original, key, value, child_of(pos, key))
    for key, value in deletions:
        _delete_from_primitive_list(original, key, value)
    return original


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    return "scalar"


def _smp_field(original: dict[str, Any], key: str, value: Any, pos: Pos) -> None:
    if value is None:
        original.pop(key, None)
        return
    current = original.get(key, MISSING)
    if current is MISSING or _json_kind(current) != _json_kind(value):
        original[key] = _smp_clean(value, pos)
        return
    _, strategy = strategies_of(pos)
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


def _smp_clean(value: Any, pos: Pos) -> Any:
    """A patch value applied to nothing: directives processed, nulls dropped."""
    if isinstance(value, dict):
        return _smp_map({}, value, pos)
    if isinstance(value, list):
        if strategies_of(pos)[1] == "merge":
            return _merge_list([], value, pos)
        item = item_of(pos)
        if not is_typed_map(item):
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
        raise PatchError(f"{key}: expected a list, got {go_json(value)}")
    current = original.get(name)
    if not isinstance(current, list):
        return  # nothing to delete from
    doomed = {json_key(v) for v in value}
    kept = [v for v in current if json_key(v) not in doomed]
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
        return json_key

    def key(item: Any) -> str:
        if not isinstance(item, dict) or merge_key not in item:
            raise PatchError(
                f"map: {go_json(item)} does not contain declared merge key: {merge_key}"
            )
        return json_key(item[merge_key])

    return key


def _merge_list(original: list[Any], patch: list[Any], pos: Pos) -> list[Any]:
    """mergeSlice for a list with patch strategy "merge"."""
    if not original and not patch:
        return original
    if _element_kind(original, patch) == "scalar":
        merged = _dedupe(original + patch, json_key)
        return _order_like_patch(merged, patch, original, json_key)
    merge_key = merge_key_of(pos)
    if not merge_key:
        raise PatchError("cannot merge lists without merge key for type struct")
    key = _key_function(merge_key)
    item_pos = item_of(pos)
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
    original: list[Any], patch: list[Any], key: Callable[[Any], str], item_pos: Pos
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
            raise PatchError(f"unknown patch type: {directive} in map: {go_json(item)}")
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
    original: dict[str, Any], patch: dict[str, Any], pos: Pos
) -> None:
    """mergePatchIntoOriginal: merge each list named by ``$setElementOrder/<field>``
    and put it in that order (patch order > live order)."""
    for directive in [k for k in patch if k.startswith(_ORDER_PREFIX)]:
        order = patch.pop(directive)
        name = _directive_field(directive, _ORDER_PREFIX, _BAD_ORDER_LIST)
        if not isinstance(order, list):
            raise PatchError(f"{directive}: expected a list, got {go_json(order)}")
        child = child_of(pos, name)
        live = original.get(name, MISSING)
        patched = patch.pop(name, MISSING)
        for value in (live, patched):
            if value is not MISSING and not isinstance(value, list):
                raise PatchError(f"{name}: expected a list, got {go_json(value)}")
        if live is MISSING and patched is MISSING:
            continue
        merge_key = merge_key_of(child)
        _check_order(patched if patched is not MISSING else [], order, merge_key)
        if patched is MISSING:
            merged = live
        elif strategies_of(child)[1] != "merge":
            merged = _smp_clean(patched, child)
        else:
            merged = _merge_list(live if live is not MISSING else [], patched, child)
        server = live if live is not MISSING else []
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
            f"The order in patch list:\n{go_json(patch)}\n doesn't match "
            f"{_ORDER_PREFIX} list:\n{go_json(order)}\n"
        )


# --------------------------------------------------------------------------- creating a two-way patch


def create_strategic_merge_patch(
    original: dict[str, Any], modified: dict[str, Any], schema: type[Model] | None
) -> dict[str, Any]:
    """The two-way strategic merge patch that turns ``original`` into ``modified``
    (``CreateTwoWayMergePatch``, what kubectl edit/patch compute): changed values,
    ``null`` for removed keys, ``$patch: delete`` for removed merge-list items,
    ``$deleteFromPrimitiveList``, ``$setElementOrder`` and ``$retainKeys``."""
    if not isinstance(original, dict) or not isinstance(modified, dict):
        raise PatchError("both documents must be JSON objects", 400)
    return _diff_maps(original, modified, root_pos(schema), retain=False)


def _diff_maps(
    original: dict[str, Any], modified: dict[str, Any], pos: Pos, *, retain: bool
) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    for key, new in modified.items():
        old = original.get(key, MISSING)
        if old is MISSING or _json_kind(old) != _json_kind(new):
            patch[key] = deepcopy_json(new)
        elif key == _DIRECTIVE:
            if old != new:
                patch[key] = new
        elif isinstance(new, dict):
            _diff_map_field(patch, key, old, new, child_of(pos, key))
        elif isinstance(new, list):
            _diff_list_field(patch, key, old, new, child_of(pos, key))
        elif not json_equal(old, new):
            patch[key] = new
    for key in original:
        if key not in modified:
            patch[key] = None
    kept = [k for k, v in modified.items() if v is not None]
    if retain and kept:
        extra = any(v is not None and k not in modified for k, v in original.items())
        if patch or extra:
            patch[_RETAIN_KEYS] = sorted(kept, key=go_str)
    return patch


def _diff_map_field(
    patch: dict[str, Any], key: str, old: dict[str, Any], new: dict[str, Any], pos: Pos
) -> None:
    retain, strategy = strategies_of(pos)
    if strategy == "replace":
        patch[key] = deepcopy_json(
            new
        )  # upstream sends replace-strategy maps whole, always
        return
    sub = _diff_maps(old, new, pos, retain=retain)
    if sub:
        patch[key] = sub


def _diff_list_field(
    patch: dict[str, Any], key: str, old: list[Any], new: list[Any], pos: Pos
) -> None:
    retain, strategy = strategies_of(pos)
    if strategy != "merge":
        if not json_equal(old, new):
            patch[key] = deepcopy_json(new)
        return
    if not old:
        if new:
            patch[key] = deepcopy_json(new)
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
    old: list[Any], new: list[Any], pos: Pos, retain: bool
) -> tuple[list[Any], list[Any]]:
    merge_key = merge_key_of(pos)
    if not merge_key:
        raise PatchError("cannot diff lists without merge key for type struct")
    key = _key_function(merge_key)
    item_pos = item_of(pos)
    old_by_key = {key(o): o for o in reversed(old)}  # first occurrence wins
    changes: list[Any] = []
    for item in new:
        previous = old_by_key.get(key(item))
        if previous is None:
            changes.append(deepcopy_json(item))
            continue
        sub = _diff_maps(previous, item, item_pos, retain=retain)
        if sub:
            sub[merge_key] = item[merge_key]
            changes.append(sub)
    new_keys = {key(n) for n in new}
    deleted = {key(o): o[merge_key] for o in old if key(o) not in new_keys}
    for value in sorted(deleted.values(), key=go_str):  # upstream walks sorted lists
        changes.append({_DIRECTIVE: "delete", merge_key: value})
    same_order = [key(o) for o in old] == [key(n) for n in new]
    order = (
        [{merge_key: n[merge_key]} for n in new] if changes or not same_order else []
    )
    return changes, order


def _diff_scalar_list(
    old: list[Any], new: list[Any]
) -> tuple[list[Any], list[Any], list[Any]]:
    old_keys = {json_key(o) for o in old}
    new_keys = {json_key(n) for n in new}
    added = _dedupe([n for n in new if json_key(n) not in old_keys], json_key)
    deleted = _dedupe([o for o in old if json_key(o) not in new_keys], json_key)
    deleted.sort(key=go_str)
    order = deepcopy_json(new) if deleted or not json_equal(old, new) else []
    return added, deleted, order
