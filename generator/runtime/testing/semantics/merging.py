"""How a write changes the stored object: subresource views (status, finalize ...),
the main resource's untouchable status, the three patch types and apply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..._model import Model, deepcopy_json
from ...machinery.apply import apply as server_side_apply
from ...machinery.conflicts import ApplyConflict
from ...machinery.errors import PatchError
from ...machinery.jsonpatch import json_patch
from ...machinery.mergepatch import merge_patch
from ...machinery.strategic import strategic_merge_patch
from ..protocol.status import ApiError, bad_request
from .basics import Write, copy_obj
from .resource import Resource


def _copy_paths(
    paths: tuple[tuple[str, ...], ...],
) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    """The old object with only ``paths`` taken from the request."""

    def merge(old: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        new = copy_obj(old)
        for path in paths:
            source: Any = body
            target = new
            for key in path[:-1]:
                source = source.get(key) if isinstance(source, dict) else None
                target = target.setdefault(key, {})
            value = source.get(path[-1]) if isinstance(source, dict) else None
            if value is None or value == []:  # Go's omitempty drops empty slices
                target.pop(path[-1], None)
            else:
                target[path[-1]] = deepcopy_json(value)
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        return new

    return merge


def _resize(old: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """pods/resize: containers' resources (and resize policy) only."""
    new = copy_obj(old)
    wanted = {
        c.get("name"): c for c in (body.get("spec") or {}).get("containers") or ()
    }
    for container in new.get("spec", {}).get("containers", []):
        source = wanted.get(container.get("name")) or {}
        for key in ("resources", "resizePolicy"):
            if key in source:
                container[key] = deepcopy_json(source[key])
    return new


#: How a write through a subresource changes the stored object.
_SUBRESOURCE_MERGE: dict[
    str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
] = {
    "status": _copy_paths((("status",),)),
    "ephemeralcontainers": _copy_paths((("spec", "ephemeralContainers"),)),
    "finalize": _copy_paths((("spec", "finalizers"),)),
    "approval": _copy_paths((("status", "conditions"),)),
    "resize": _resize,
}


def merge_subresource(
    resource: Resource, subresource: str, old: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any]:
    """The object to store: the main resource cannot change status (when status is
    a subresource), a subresource changes only its own part."""
    if subresource:
        merge = _SUBRESOURCE_MERGE.get(subresource)
        if merge is None:
            raise bad_request(f"subresource {subresource} cannot be written this way")
        new = merge(old, body)
        new["metadata"].pop("managedFields", None)
        if "managedFields" in old["metadata"]:
            new["metadata"]["managedFields"] = old["metadata"]["managedFields"]
        return new
    new = body
    if resource.has("status"):
        if "status" in old:
            new["status"] = deepcopy_json(old["status"])
        else:
            new.pop("status", None)
    return new


# ------------------------------------------------------------------ patches


def apply_patch(
    model: type[Model] | None, patch_type: str, current: dict[str, Any], body: Any
) -> Any:
    try:
        if patch_type == "json":
            return json_patch(current, body)
        if patch_type == "merge":
            if not isinstance(body, dict):
                raise bad_request("the patch must be a JSON object")
            return merge_patch(current, body)
        if patch_type == "strategic":
            return strategic_merge_patch(current, body, model)
    except PatchError as err:
        raise ApiError(err.status, err.reason, err.message) from None
    raise bad_request(f"unknown patch type {patch_type}")


def apply_config(resource: Resource, config: Any, subresource: str) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise bad_request(
            "error decoding YAML: the apply configuration is not an object"
        )
    config.setdefault("metadata", {})
    if config.get("kind") not in (None, resource.info.kind):
        raise bad_request(
            f"the object provided is unrecognized (must be of type {resource.info.kind})"
        )
    if subresource == "status":
        keep = ("apiVersion", "kind", "metadata", "status")
        return {k: v for k, v in config.items() if k in keep}
    if resource.has("status"):
        config.pop("status", None)
    return config


def run_apply(
    resource: Resource,
    live: dict[str, Any] | None,
    config: dict[str, Any],
    write: Write,
    subresource: str,
) -> dict[str, Any]:
    try:
        return server_side_apply(
            live,
            config,
            write.manager,
            resource.field_schema,
            force=write.force,
            subresource=subresource,
        )
    except ApplyConflict as err:
        raise ApiError(409, "Conflict", err.message, {"causes": err.causes}) from None
    except PatchError as err:
        raise ApiError(err.status, err.reason, err.message) from None
