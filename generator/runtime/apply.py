"""Server-side apply on the client: :func:`extract`, as client-go's
``Extract<Kind>`` / ``ExtractStatus``.

Every field of a model is optional, so a model instance already is an apply
configuration: build one with only the fields you own and ``apply()`` it. An
object read from the server is not one: it holds every field (other managers',
the server's defaults, status) plus ``managedFields`` and a resourceVersion.
``extract(obj, field_manager=m)`` gives back what ``m`` owns, from the
``metadata.managedFields`` entry of its Apply operation, as the same type (a
model, an :class:`~.unstructured.Unstructured` or a dict), ready to change and
apply again::

    mine = extract(deployments.get("web"), field_manager="my-app")
    mine.spec.replicas = 3
    deployments.apply(mine, field_manager="my-app")

Applying ``extract(obj, m)`` unchanged as ``m`` changes nothing on the server.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Any, TypeVar

from ._model import Model, deepcopy_json
from .machinery.errors import PatchError
from .machinery.fieldpath import FieldPath, decode_fields_v1
from .machinery.schema import Pos, child_of, item_of, root_pos
from .machinery.typed import list_elements, map_is_atomic
from .unstructured import Unstructured

__all__ = ["ExtractError", "extract"]

ObjT = TypeVar("ObjT", bound="Model | Mapping[str, Any]")


class ExtractError(ValueError):
    """The object's managedFields cannot be read (they are not what a server writes)."""


def extract(obj: ObjT, *, field_manager: str, subresource: str = "") -> ObjT:
    """The apply configuration ``field_manager`` owns in ``obj``: the fields of its
    managedFields entry with operation Apply (for ``subresource``, e.g. "status"),
    plus apiVersion, kind, name and namespace. A manager that never applied gets
    just those four. The result has the type of ``obj``."""
    if not field_manager:
        raise ValueError("extract needs field_manager: whose fields to extract")
    if not isinstance(obj, (Model, Mapping)):
        raise TypeError(
            f"extract needs a model, an Unstructured or a dict, not {type(obj).__name__}"
        )
    wire: dict[str, Any] = (
        obj.to_dict() if isinstance(obj, Model) else deepcopy_json(dict(obj))
    )
    schema = type(obj) if isinstance(obj, Model) else _model_for(wire)
    found = wire.get("metadata")
    meta: dict[str, Any] = found if isinstance(found, dict) else {}
    owned = _owned_paths(meta.get("managedFields"), field_manager, subresource)
    out: dict[str, Any] = (
        _extract_map(wire, root_pos(schema), _tree(owned)) if owned else {}
    )
    for key in ("apiVersion", "kind"):
        if wire.get(key):
            out[key] = wire[key]
    extracted_meta = out.setdefault("metadata", {})
    for key in ("name", "namespace"):
        if meta.get(key):
            extracted_meta[key] = meta[key]
    return _same_type(obj, out)


def _same_type(obj: ObjT, wire: dict[str, Any]) -> ObjT:
    if isinstance(obj, Model):
        return type(obj).from_dict(wire, copy=False)
    if isinstance(obj, Unstructured):
        return Unstructured(wire)  # type: ignore[return-value]
    return wire  # type: ignore[return-value]


def _model_for(wire: Mapping[str, Any]) -> type[Model] | None:
    """The generated model of the object's apiVersion/kind (its list types and
    merge keys), None for custom resources (free-form JSON)."""
    api_version, kind = wire.get("apiVersion"), wire.get("kind")
    if not __package__ or not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    try:
        models = importlib.import_module(f"{__package__}.models")
    except ImportError:
        return None
    cls: type[Model] | None = models.model_class(api_version, kind)
    return cls


def _owned_paths(entries: Any, manager: str, subresource: str) -> set[FieldPath]:
    """The FieldsV1 of the manager's Apply entry (findManagedFields), decoded."""
    if entries is None:
        return set()
    if not isinstance(entries, list):
        raise ExtractError("metadata.managedFields is not a list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise ExtractError(f"metadata.managedFields[{index}] is not an object")
        if (
            entry.get("manager") == manager
            and entry.get("operation") == "Apply"
            and (entry.get("subresource") or "") == subresource
        ):
            try:
                return decode_fields_v1(entry.get("fieldsV1") or {})
            except PatchError as err:
                raise ExtractError(
                    f"metadata.managedFields[{index}].fieldsV1: {err.message}"
                ) from None
    return set()


#: The owned paths as a trie: path element -> (owned as a whole?, children).
_Tree = dict[str, "tuple[bool, _Tree]"]


def _tree(paths: set[FieldPath]) -> _Tree:
    """SMD's ``Set.Leaves()`` as a trie: a path owned and with owned children
    stands for its children only (the ``".": {}`` of FieldsV1)."""
    root: dict[str, Any] = {}
    for path in paths:
        node = root
        for pe in path:
            node = node.setdefault(pe, {})
    return _freeze(root, paths, ())


def _freeze(node: dict[str, Any], paths: set[FieldPath], prefix: FieldPath) -> _Tree:
    out: _Tree = {}
    for pe, children in node.items():
        path = (*prefix, pe)
        out[pe] = (path in paths and not children, _freeze(children, paths, path))
    return out


def _extract(value: Any, pos: Pos, tree: _Tree) -> Any:
    if isinstance(value, dict) and not map_is_atomic(pos):
        return _extract_map(value, pos, tree)
    if isinstance(value, list) and tree:
        return _extract_items(value, pos, tree)
    return deepcopy_json(value)  # atomic: owned whole


def _extract_items(items: list[Any], pos: Pos, tree: _Tree) -> list[Any]:
    """The owned items of an associative list, in the live order. Items are found
    by the path elements the schema gives them, else by the owned elements
    themselves (a custom resource's list, whose schema the client does not
    have; a key whose defaulted field the server added, as ``protocol``)."""
    elements = list_elements(items, pos)
    used: set[str] = set()
    out = []
    for index, item in enumerate(items):
        pe = elements[index][0] if elements is not None else None
        if pe not in tree:
            pe = _matching_element(tree, item, index, used)
        if pe is None:
            continue
        used.add(pe)
        whole, below = tree[pe]
        out.append(
            deepcopy_json(item) if whole else _extract(item, item_of(pos), below)
        )
    return out


def _matching_element(tree: _Tree, item: Any, index: int, used: set[str]) -> str | None:
    return next(
        (pe for pe in tree if pe not in used and _matches(pe, item, index)), None
    )


def _matches(pe: str, item: Any, index: int) -> bool:
    """Whether a list item is the one a path element names (decode_fields_v1
    checked the element's JSON already)."""
    kind, body = pe[:2], pe[2:]
    if kind == "k:":
        key = json.loads(body)
        return isinstance(item, dict) and all(
            k in item and item[k] == v for k, v in key.items()
        )
    if kind == "v:":
        return bool(json.loads(body) == item)
    return kind == "i:" and int(body) == index


def _extract_map(value: dict[str, Any], pos: Pos, tree: _Tree) -> dict[str, Any]:
    """ExtractItems of a map: owned entries whole, partly owned ones narrowed."""
    out: dict[str, Any] = {}
    for key, child in value.items():
        found = tree.get("f:" + key)
        if found is None:
            continue
        whole, below = found
        out[key] = (
            deepcopy_json(child)
            if whole
            else _extract(child, child_of(pos, key), below)
        )
    return out
