"""The field sets of typed values, as SMD's ``typed`` package computes them: the
fields an object sets (``ToFieldSet``), what changed between two objects
(``Compare``), the merge of an applied configuration into a live object
(``Merge``) and the removal of a field path.

Lists are atomic, sets or maps (by their ``list_type``, or their patch strategy
and merge key when they have none), maps granular unless ``map_type`` (or the
class's ``_map_type_``) says atomic. Entries of a list-map that cannot be keyed (an
item without any key field) make the whole list atomic instead of failing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .._model import deepcopy_json
from .errors import PatchError
from .fieldpath import FieldPath, field_element, format_path
from .jsonvalue import MISSING, go_json, json_equal
from .schema import (
    Pos,
    Schema,
    child_of,
    has_fields,
    is_struct,
    is_value_struct,
    item_of,
    key_default,
    model_of,
    root_pos,
    strategies_of,
)

__all__ = [
    "FieldDiff",
    "collect",
    "compare",
    "field_set",
    "list_elements",
    "map_is_atomic",
    "merge",
    "remove_path",
]


def _list_kind(pos: Pos) -> tuple[str, tuple[str, ...]]:
    """How SMD treats a list: ("atomic"|"set"|"map", keys). Without a list type, a
    "merge" patch strategy makes it associative (kube-openapi schemaconv)."""
    f = pos.field
    if f is None:
        return "atomic", ()
    merge = strategies_of(pos)[1] == "merge"
    if f.list_type == "map" or (f.list_type is None and merge and f.patch_merge_key):
        keys = f.map_keys or ((f.patch_merge_key,) if f.patch_merge_key else ())
        return ("map", keys) if keys else ("atomic", ())
    if f.list_type == "set" or (f.list_type is None and merge):
        return "set", ()
    return "atomic", ()


def _map_is_atomic(pos: Pos) -> bool:
    if pos.field is not None and pos.field.map_type:
        return pos.field.map_type == "atomic"
    cls = model_of(pos)
    return cls is not None and getattr(cls, "_map_type_", None) == "atomic"


def _elements(items: list[Any], pos: Pos) -> list[tuple[str, Any]] | None:
    """(path element, item) for each item of an associative list; None if atomic."""
    kind, keys = _list_kind(pos)
    if kind == "atomic":
        return None
    item_pos = item_of(pos)
    out = []
    for item in items:
        if kind == "set":
            if isinstance(item, (dict, list)):
                return None
            out.append(("v:" + go_json(item), item))
            continue
        if not isinstance(item, dict):
            return None
        key = {}
        for name in sorted(keys):
            value = item[name] if name in item else key_default(item_pos, name)
            if value is not None:
                key[name] = value
        if not key:
            return None
        out.append(("k:" + go_json(key), item))
    return out


def field_set(obj: Any, schema: Schema) -> set[FieldPath]:
    """The paths of the fields ``obj`` sets (SMD ``TypedValue.ToFieldSet``): leaves,
    atomic lists and maps as a whole, items of associative lists, and entries of
    string-keyed maps; struct fields only through what is inside them."""
    out: set[FieldPath] = set()
    collect(obj, root_pos(schema), (), out, strict=False)
    return out


def collect(
    value: Any, pos: Pos, path: FieldPath, out: set[FieldPath], strict: bool
) -> None:
    if isinstance(value, dict):
        if _map_is_atomic(pos):
            out.add(path)
            return
        struct = has_fields(pos)
        for key, child in value.items():
            child_pos = child_of(pos, key)
            child_path = (*path, field_element(key))
            if not struct or child_pos.field is None or child == {}:
                # map entries, unknown fields and empty maps (SMD's toFieldSet
                # inserts those: `emptyDir: {}`) are members
                out.add(child_path)
            collect(child, child_pos, child_path, out, strict)
        return
    if isinstance(value, list):
        elements = _elements(value, pos)
        if elements is None:
            out.add(path)
            return
        item_pos = item_of(pos)
        seen: set[str] = set()
        for pe, item in elements:
            if strict and pe in seen:
                raise PatchError(
                    f"{format_path(path)}: duplicate entries for key {format_path((pe,))}",
                    422,
                )
            seen.add(pe)
            collect(item, item_pos, (*path, pe), out, strict)
            out.add((*path, pe))
        return
    out.add(path)


@dataclass
class FieldDiff:
    added: set[FieldPath] = dataclasses.field(default_factory=set)
    modified: set[FieldPath] = dataclasses.field(default_factory=set)
    removed: set[FieldPath] = dataclasses.field(default_factory=set)


def compare(old: Any, new: Any, schema: Schema) -> FieldDiff:
    """SMD ``TypedValue.Compare``: leaves added/modified/removed, and maps, lists
    and list items that appeared or disappeared as a whole."""
    diff = FieldDiff()
    _compare_at(old, new, root_pos(schema), (), diff)
    return diff


def _compare_at(old: Any, new: Any, pos: Pos, path: FieldPath, diff: FieldDiff) -> None:
    children = _compare_children(old, new, pos, path, diff)
    if children is None:  # a leaf: scalar, atomic, or empty on both sides
        if old is MISSING:
            diff.added.add(path)
        elif new is MISSING:
            diff.removed.add(path)
        elif not json_equal(old, new):
            diff.modified.add(path)
        return
    if old is MISSING:
        diff.added.add(path)
    elif new is MISSING:
        diff.removed.add(path)


def _compare_children(
    old: Any, new: Any, pos: Pos, path: FieldPath, diff: FieldDiff
) -> bool | None:
    """Recurse into a granular map or an associative list; None when it is a leaf."""
    sides = [v for v in (old, new) if v is not MISSING]
    if all(isinstance(v, dict) for v in sides) and not _map_is_atomic(pos):
        lhs = old if old is not MISSING else {}
        rhs = new if new is not MISSING else {}
        if not lhs and not rhs:
            return None
        for key in {**lhs, **rhs}:
            child = child_of(pos, key)
            a, b = lhs.get(key, MISSING), rhs.get(key, MISSING)
            if is_value_struct(child):  # they exist whenever their parent does
                a = (
                    {}
                    if a is MISSING and old is not MISSING and isinstance(b, dict)
                    else a
                )
                b = (
                    {}
                    if b is MISSING and new is not MISSING and isinstance(a, dict)
                    else b
                )
            _compare_at(a, b, child, (*path, field_element(key)), diff)
        return True
    if all(isinstance(v, list) for v in sides):
        lhs_items = _elements(old if old is not MISSING else [], pos)
        rhs_items = _elements(new if new is not MISSING else [], pos)
        if lhs_items is None or rhs_items is None or not (lhs_items or rhs_items):
            return None
        lmap, rmap = dict(reversed(lhs_items)), dict(reversed(rhs_items))
        item_pos = item_of(pos)
        for pe in {**lmap, **rmap}:
            a, b = lmap.get(pe, MISSING), rmap.get(pe, MISSING)
            _compare_at(a, b, item_pos, (*path, pe), diff)
        return True
    return None


def merge(lhs: Any, rhs: Any, pos: Pos) -> Any:
    """SMD ``TypedValue.Merge``: ``rhs`` (the applied config) wins; granular maps and
    associative lists merge item by item."""
    if rhs is MISSING:
        return deepcopy_json(lhs)
    if lhs is MISSING:
        return deepcopy_json(rhs)
    if isinstance(lhs, dict) and isinstance(rhs, dict) and not _map_is_atomic(pos):
        out = {
            k: merge(v, rhs.get(k, MISSING), child_of(pos, k)) for k, v in lhs.items()
        }
        out.update({k: deepcopy_json(v) for k, v in rhs.items() if k not in lhs})
        return out
    if isinstance(lhs, list) and isinstance(rhs, list):
        lhs_items, rhs_items = _elements(lhs, pos), _elements(rhs, pos)
        if lhs_items is not None and rhs_items is not None and (lhs or rhs):
            return _merge_items(lhs_items, rhs_items, item_of(pos))
    return deepcopy_json(rhs)


def _merge_items(
    lhs: list[tuple[str, Any]], rhs: list[tuple[str, Any]], item_pos: Pos
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
                out.append(merge(lmap[pe], rmap[pe], item_pos))
                li, ri = li + 1, ri + 1
                next_shared = shared.pop(0) if shared else None
                continue
            if pe in rmap and next_shared is not None and next_shared != pe:
                li += 1  # a shared item the config wants later
                continue
        if li < len(lorder):
            pe = lorder[li]
            if pe not in rmap:
                out.append(deepcopy_json(lmap[pe]))
                li += 1
                continue
            if ri >= len(rorder):
                li += 1  # already merged from the config side
                continue
        pe = rorder[ri]
        out.append(merge(lmap.get(pe, MISSING), rmap[pe], item_pos))
        ri += 1
        if next_shared == pe:
            next_shared = shared.pop(0) if shared else None
    return out


def remove_path(value: Any, path: FieldPath, pos: Pos) -> bool:
    """Remove ``path`` (with everything below it) from ``value`` in place. Returns
    True when ``value`` itself should go: it is the target, or emptied by the
    removal (maps and lists do; structs stay, as Go keeps value structs)."""
    if not path:
        return True
    pe, rest = path[0], path[1:]
    if isinstance(value, dict) and pe.startswith("f:"):
        key = pe[2:]
        if key in value and remove_path(value[key], rest, child_of(pos, key)):
            del value[key]
            return not value and not is_struct(pos)
        return False
    if isinstance(value, list):
        elements = _elements(value, pos)
        if pe.startswith("i:") or elements is None:
            return False  # atomic lists are owned whole, never item by item
        for index, (item_pe, item) in enumerate(elements):
            if item_pe != pe:
                continue
            if remove_path(item, rest, item_of(pos)):
                del value[index]
                return not value
            return False
    return False


#: For extract (kubeclient.apply): the items of an associative list, keyed.
list_elements = _elements
map_is_atomic = _map_is_atomic
