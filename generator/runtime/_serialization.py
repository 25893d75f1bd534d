"""Manifests: dicts and YAML documents <-> typed models, dispatched on apiVersion/kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._model import Model, deepcopy_json

ModelLookup = Callable[[str, str], "type[Model] | None"]


class UnknownKindError(ValueError):
    """The manifest names an apiVersion/kind this package has no model for."""


def from_dict(
    data: Mapping[str, Any], lookup: ModelLookup, *, copy: bool = True
) -> Model:
    if not isinstance(data, Mapping):
        raise TypeError(f"expected a mapping, got {type(data).__name__}")
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        raise ValueError("the object has no apiVersion and kind to choose its type by")
    cls = lookup(api_version, kind)
    if cls is None:
        raise UnknownKindError(
            f"no model for apiVersion {api_version!r}, kind {kind!r}"
        )
    return cls.from_dict(data, copy=copy)


def _yaml_loader() -> type[Any]:
    """SafeLoader (C if available) that keeps timestamps as strings.

    PyYAML would turn ``creationTimestamp: 2024-01-01T00:00:00Z`` into a datetime;
    Kubernetes' YAML keeps it a string, and so must we for a lossless round trip.
    """
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[valid-type,misc]
        pass

    Loader.yaml_implicit_resolvers = {
        first: [
            (tag, regexp)
            for tag, regexp in resolvers
            if tag != "tag:yaml.org,2002:timestamp"
        ]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return Loader


_LOADER: type[Any] | None = None


def load_yaml_documents(text: str | bytes) -> list[Any]:
    """Every non-empty document of a YAML stream, as plain data.

    Documents whose aliases expand excessively ("billion laughs") are refused.
    """
    import yaml

    from ._yaml import load_all

    global _LOADER
    if _LOADER is None:
        _LOADER = _yaml_loader()
    try:
        return [doc for doc in load_all(text, _LOADER) if doc is not None]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(
            f"invalid YAML{where}: {getattr(err, 'problem', None) or err}"
        ) from None


def load_yaml(text: str | bytes, lookup: ModelLookup) -> list[Model]:
    objects = []
    for index, doc in enumerate(load_yaml_documents(text)):
        if not isinstance(doc, dict):
            raise ValueError(f"YAML document {index + 1} is not a mapping")
        try:
            objects.append(from_dict(doc, lookup, copy=False))
        except ValueError as err:
            raise type(err)(f"YAML document {index + 1}: {err}") from None
    return objects


def dump_yaml(
    objects: Model | Mapping[str, Any] | Iterable[Model | Mapping[str, Any]],
) -> str:
    import yaml

    items: Iterable[Model | Mapping[str, Any]]
    items = [objects] if isinstance(objects, (Model, Mapping)) else objects
    docs = [
        obj.to_dict(copy=False) if isinstance(obj, Model) else deepcopy_json(dict(obj))
        for obj in items
    ]
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump_all(
        docs,
        Dumper=dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
    )
