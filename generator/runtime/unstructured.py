"""Unstructured: an object of any kind as its wire dict, as client-go's
``unstructured.Unstructured``, with its nested-field helpers.

``Unstructured`` is a real ``dict`` (no dict method is replaced), so ``copy``,
``pickle`` and ``json.dumps`` take it as they take any dict. The helpers follow
client-go's ``apimachinery/pkg/apis/meta/v1/unstructured/helpers.go``::

    name, found = nested_string(obj, "spec", "template", "metadata", "name")
    obj.set_nested_field(3, "spec", "replicas")

A getter returns ``(value, found)``: ``found`` is False when a key on the way is
missing or null. A value of the wrong type raises ``TypeError`` naming its path
(``.spec.replicas accessor error: ...``), where Go returns an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ._json import deepcopy_json

__all__ = [
    "Unstructured",
    "nested_bool",
    "nested_field_copy",
    "nested_field_no_copy",
    "nested_float64",
    "nested_int64",
    "nested_map",
    "nested_slice",
    "nested_string",
    "nested_string_map",
    "nested_string_slice",
    "remove_nested_field",
    "set_nested_field",
    "set_nested_map",
    "set_nested_slice",
    "set_nested_string_map",
    "set_nested_string_slice",
]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _path(fields: Sequence[str]) -> str:
    return "." + ".".join(fields)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _type_error(fields: Sequence[str], value: Any, expected: str) -> TypeError:
    return TypeError(
        f"{_path(fields)} accessor error: {_shown(value)} is of the type "
        f"{type(value).__name__}, expected {expected}"
    )


# --------------------------------------------------------------------------- getters


def nested_field_no_copy(obj: Mapping[str, Any], *fields: str) -> tuple[Any, bool]:
    """The value at ``fields`` itself (not a copy), and whether it was found."""
    value: Any = obj
    for i, field in enumerate(fields):
        if value is None:
            return None, False
        if not isinstance(value, Mapping):  # Go names the path up to ``field``
            raise _type_error(fields[: i + 1], value, "an object (dict)")
        if field not in value:
            return None, False
        value = value[field]
    return value, True


def nested_field_copy(obj: Mapping[str, Any], *fields: str) -> tuple[Any, bool]:
    """A deep copy of the value at ``fields``, and whether it was found."""
    value, found = nested_field_no_copy(obj, *fields)
    return (deepcopy_json(value), True) if found else (None, False)


def nested_string(obj: Mapping[str, Any], *fields: str) -> tuple[str, bool]:
    value, found = nested_field_no_copy(obj, *fields)
    if not found:
        return "", False
    if not isinstance(value, str):
        raise _type_error(fields, value, "str")
    return value, True


def nested_bool(obj: Mapping[str, Any], *fields: str) -> tuple[bool, bool]:
    value, found = nested_field_no_copy(obj, *fields)
    if not found:
        return False, False
    if not isinstance(value, bool):
        raise _type_error(fields, value, "bool")
    return value, True


def nested_int64(obj: Mapping[str, Any], *fields: str) -> tuple[int, bool]:
    """An integer (not a float, not a bool) that fits in 64 bits, as Go's int64."""
    value, found = nested_field_no_copy(obj, *fields)
    if not found:
        return 0, False
    if not isinstance(value, int) or isinstance(value, bool):
        raise _type_error(fields, value, "int")
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"{_path(fields)} accessor error: {value} overflows int64")
    return value, True


def nested_float64(obj: Mapping[str, Any], *fields: str) -> tuple[float, bool]:
    """A float: JSON ``1`` decodes as an int, and is an error here as in Go."""
    value, found = nested_field_no_copy(obj, *fields)
    if not found:
        return 0.0, False
    if not isinstance(value, float):
        raise _type_error(fields, value, "float")
    return value, True


def nested_string_slice(obj: Mapping[str, Any], *fields: str) -> tuple[list[str], bool]:
    """A copy of a list of strings."""
    value, found = nested_field_no_copy(obj, *fields)
    if not found:
        return [], False
    if not isinstance(value, list):
        raise _type_error(fields, value, "list")
    for item in value:
        if not isinstance(item, str):
            raise TypeError(
                f"{_path(fields)} accessor error: contains non-string value in the "
                f"list: {_shown(item)} is of the type {type(item).__name__}"
            )
    return list(value), True


def nested_string_map(
    obj: Mapping[str, Any], *fields: str
) -> tuple[dict[str, str], bool]:
    """A copy of a map of strings (labels, annotations, a ConfigMap's data)."""
    value, found = nested_field_no_copy(obj, *fields)
    if not found:
        return {}, False
    if not isinstance(value, Mapping):
        raise _type_error(fields, value, "an object (dict)")
    for key, item in value.items():
        if not isinstance(item, str):
            raise TypeError(
                f"{_path(fields)} accessor error: contains non-string value in the "
                f"map under key {key!r}: {_shown(item)} is of the type "
                f"{type(item).__name__}"
            )
    return dict(value), True


def nested_slice(obj: Mapping[str, Any], *fields: str) -> tuple[list[Any], bool]:
    """A deep copy of a list."""
    value, found = nested_field_no_copy(obj, *fields)
    if not found:
        return [], False
    if not isinstance(value, list):
        raise _type_error(fields, value, "list")
    return deepcopy_json(value), True


def nested_map(obj: Mapping[str, Any], *fields: str) -> tuple[dict[str, Any], bool]:
    """A deep copy of an object."""
    value, found = nested_field_no_copy(obj, *fields)
    if not found:
        return {}, False
    if not isinstance(value, Mapping):
        raise _type_error(fields, value, "an object (dict)")
    return deepcopy_json(dict(value)), True


# --------------------------------------------------------------------------- setters


def _set_no_copy(obj: dict[str, Any], value: Any, fields: Sequence[str]) -> None:
    if not fields:
        raise ValueError("a field path needs at least one field")
    target = obj
    for i, field in enumerate(fields[:-1]):
        child = target.get(field)
        if child is None:
            child = target[field] = {}
        elif not isinstance(child, dict):
            raise TypeError(
                f"value cannot be set because {_path(fields[: i + 1])} is not an "
                f"object (dict) but {type(child).__name__}"
            )
        target = child
    target[fields[-1]] = value


def set_nested_field(obj: dict[str, Any], value: Any, *fields: str) -> None:
    """Set a deep copy of ``value`` at ``fields``, making the objects on the way."""
    _set_no_copy(obj, deepcopy_json(value), fields)


def set_nested_string_slice(
    obj: dict[str, Any], value: Sequence[str], *fields: str
) -> None:
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{_path(fields)}: expected a sequence of str")
    _set_no_copy(obj, list(value), fields)


def set_nested_string_map(
    obj: dict[str, Any], value: Mapping[str, str], *fields: str
) -> None:
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise TypeError(f"{_path(fields)}: expected a mapping of str to str")
    _set_no_copy(obj, dict(value), fields)


def set_nested_slice(obj: dict[str, Any], value: Sequence[Any], *fields: str) -> None:
    set_nested_field(obj, list(value), *fields)


def set_nested_map(obj: dict[str, Any], value: Mapping[str, Any], *fields: str) -> None:
    set_nested_field(obj, dict(value), *fields)


def remove_nested_field(obj: dict[str, Any], *fields: str) -> None:
    """Remove the value at ``fields``; nothing happens if it is not there."""
    if not fields:
        raise ValueError("a field path needs at least one field")
    target: Any = obj
    for field in fields[:-1]:
        target = target.get(field)
        if not isinstance(target, dict):
            return
    target.pop(fields[-1], None)


# --------------------------------------------------------------------------- Unstructured


class Unstructured(dict[str, Any]):
    """An object of any kind: its wire dict, with helpers for the common metadata
    and for nested fields (``obj.nested_string("spec", "nodeName")``).

    A list object's items come from :meth:`each_list_item` (``items`` is
    ``dict.items``, as on every dict).
    """

    __slots__ = ()

    # -- metadata

    @property
    def api_version(self) -> str:
        return str(self.get("apiVersion") or "")

    @api_version.setter
    def api_version(self, value: str) -> None:
        self["apiVersion"] = value

    @property
    def kind(self) -> str:
        return str(self.get("kind") or "")

    @kind.setter
    def kind(self, value: str) -> None:
        self["kind"] = value

    @property
    def metadata(self) -> dict[str, Any]:
        """The metadata object, created on first use."""
        meta = self.get("metadata")
        if meta is None:
            meta = self["metadata"] = {}
        if not isinstance(meta, dict):
            raise TypeError(f"metadata is not an object but {type(meta).__name__}")
        return meta

    def _meta(self, key: str) -> Any:
        meta = self.get("metadata")
        return meta.get(key) if isinstance(meta, dict) else None

    @property
    def name(self) -> str | None:
        return self._meta("name")  # type: ignore[no-any-return]

    @name.setter
    def name(self, value: str) -> None:
        self.metadata["name"] = value

    @property
    def namespace(self) -> str | None:
        return self._meta("namespace")  # type: ignore[no-any-return]

    @namespace.setter
    def namespace(self, value: str) -> None:
        self.metadata["namespace"] = value

    @property
    def uid(self) -> str | None:
        return self._meta("uid")  # type: ignore[no-any-return]

    @property
    def resource_version(self) -> str | None:
        return self._meta("resourceVersion")  # type: ignore[no-any-return]

    @resource_version.setter
    def resource_version(self, value: str) -> None:
        self.metadata["resourceVersion"] = value

    @property
    def labels(self) -> dict[str, str]:
        """The labels, created on first use so that ``obj.labels["a"] = "b"`` works."""
        return self._meta_map("labels")

    @labels.setter
    def labels(self, value: Mapping[str, str]) -> None:
        set_nested_string_map(self, value, "metadata", "labels")

    @property
    def annotations(self) -> dict[str, str]:
        """The annotations, created on first use."""
        return self._meta_map("annotations")

    @annotations.setter
    def annotations(self, value: Mapping[str, str]) -> None:
        set_nested_string_map(self, value, "metadata", "annotations")

    def _meta_map(self, key: str) -> dict[str, str]:
        meta = self.metadata
        value = meta.get(key)
        if value is None:
            value = meta[key] = {}
        if not isinstance(value, dict):
            raise TypeError(
                f"metadata.{key} is not an object but {type(value).__name__}"
            )
        return value

    # -- lists

    def is_list(self) -> bool:
        """Whether this is a list object (its ``items`` is a list)."""
        return isinstance(self.get("items"), list)

    def each_list_item(self) -> Iterator[Unstructured]:
        """The items of a list object, as Unstructured sharing their data with it.

        Each item becomes an Unstructured in the list itself, so that changes to
        it are changes to this list object. Not a list object: ``ValueError``;
        an item that is not an object: ``TypeError``.
        """
        items = self.get("items")
        if not isinstance(items, list):
            raise ValueError(
                "content is not a list: "
                + ("no items" if "items" not in self else type(items).__name__)
            )
        for index, item in enumerate(items):
            if not isinstance(item, Unstructured):
                if not isinstance(item, dict):
                    raise TypeError(
                        f"items[{index}] is not an object but {type(item).__name__}"
                    )
                item = items[index] = Unstructured(item)
            yield item

    # -- nested fields (see the module functions)

    def nested_field_no_copy(self, *fields: str) -> tuple[Any, bool]:
        return nested_field_no_copy(self, *fields)

    def nested_field_copy(self, *fields: str) -> tuple[Any, bool]:
        return nested_field_copy(self, *fields)

    def nested_string(self, *fields: str) -> tuple[str, bool]:
        return nested_string(self, *fields)

    def nested_bool(self, *fields: str) -> tuple[bool, bool]:
        return nested_bool(self, *fields)

    def nested_int64(self, *fields: str) -> tuple[int, bool]:
        return nested_int64(self, *fields)

    def nested_float64(self, *fields: str) -> tuple[float, bool]:
        return nested_float64(self, *fields)

    def nested_string_slice(self, *fields: str) -> tuple[list[str], bool]:
        return nested_string_slice(self, *fields)

    def nested_string_map(self, *fields: str) -> tuple[dict[str, str], bool]:
        return nested_string_map(self, *fields)

    def nested_slice(self, *fields: str) -> tuple[list[Any], bool]:
        return nested_slice(self, *fields)

    def nested_map(self, *fields: str) -> tuple[dict[str, Any], bool]:
        return nested_map(self, *fields)

    def set_nested_field(self, value: Any, *fields: str) -> None:
        set_nested_field(self, value, *fields)

    def set_nested_string_slice(self, value: Sequence[str], *fields: str) -> None:
        set_nested_string_slice(self, value, *fields)

    def set_nested_string_map(self, value: Mapping[str, str], *fields: str) -> None:
        set_nested_string_map(self, value, *fields)

    def set_nested_slice(self, value: Sequence[Any], *fields: str) -> None:
        set_nested_slice(self, value, *fields)

    def set_nested_map(self, value: Mapping[str, Any], *fields: str) -> None:
        set_nested_map(self, value, *fields)

    def remove_nested_field(self, *fields: str) -> None:
        remove_nested_field(self, *fields)

    # -- conversion

    def to_dict(self) -> dict[str, Any]:
        """A deep copy as plain dicts and lists."""
        return deepcopy_json(dict(self))

    def __repr__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"<Unstructured {self.api_version} {self.kind} {where}{self.name}>"
