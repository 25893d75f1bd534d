"""Metadata-only answers (``Accept: application/json;as=PartialObjectMetadata[List];
g=meta.k8s.io;v=v1``), as kube-apiserver's ``asPartialObjectMetadata`` and
``asPartialObjectMetadataList`` (handlers/response.go).

An object becomes ``{"kind": "PartialObjectMetadata", "apiVersion":
"meta.k8s.io/<v>", "metadata": ...}`` with its whole ObjectMeta (managedFields
included); a list keeps its list metadata (resourceVersion, continue,
remainingItemCount) and each item becomes such an object; a Status passes as it
is. Asking for the wrong one (PartialObjectMetadata of a list, or the list form
of one object) is 406 with the real message, which names the Go type the server
holds (``*core.PodList``, ``*unstructured.Unstructured`` for custom resources).
"""

from __future__ import annotations

from typing import Any

from ..protocol.negotiation import PARTIAL, PARTIAL_LIST, Target
from ..protocol.status import ApiError

#: Groups whose internal Go package is not named after the group's first label
_GO_PACKAGES = {
    "": "core",
    "events.k8s.io": "core",  # events.k8s.io Events are core.Events inside
    "internal.apiserver.k8s.io": "apiserverinternal",
}


def go_type(obj: dict[str, Any], custom: bool) -> str:
    """The Go type the real server would name for this object (an approximation:
    the internal type of a built-in kind, Unstructured for custom resources)."""
    kind = obj.get("kind")
    kind = kind if isinstance(kind, str) and kind else "Object"
    if custom:
        return (
            "*unstructured.UnstructuredList"
            if _is_list(obj)
            else "*unstructured.Unstructured"
        )
    api_version = obj.get("apiVersion")
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    package = _GO_PACKAGES.get(group, group.split(".")[0])
    return f"*{package}.{kind}"


def _is_list(obj: dict[str, Any]) -> bool:
    return isinstance(obj.get("items"), list)


def _partial(meta: Any, api_version: str) -> dict[str, Any]:
    out_meta = dict(meta) if isinstance(meta, dict) else {}
    out_meta.setdefault("creationTimestamp", None)  # a zero metav1.Time is null
    return {"kind": PARTIAL, "apiVersion": api_version, "metadata": out_meta}


def as_partial_object_metadata(
    obj: dict[str, Any], target: Target, *, listing: bool, custom: bool
) -> dict[str, Any]:
    if listing:
        raise ApiError(
            406,
            "NotAcceptable",
            "you requested PartialObjectMetadata, but the requested object is a "
            f"list ({go_type(obj, custom)})",
        )
    return _partial(obj.get("metadata"), target.api_version)


def as_partial_object_metadata_list(
    obj: dict[str, Any], target: Target, *, listing: bool, custom: bool
) -> dict[str, Any]:
    if not listing:
        raise ApiError(
            406,
            "NotAcceptable",
            "you requested PartialObjectMetadataList, but the requested object is "
            f"not a list ({go_type(obj, custom)})",
        )
    meta = obj.get("metadata")
    items = [
        _partial(item.get("metadata"), target.api_version)
        for item in obj.get("items") or ()
        if isinstance(item, dict)
    ]
    return {
        "kind": PARTIAL_LIST,
        "apiVersion": target.api_version,
        "metadata": dict(meta) if isinstance(meta, dict) else {},
        # a fresh Go slice, nil when empty: the real server writes null
        "items": items or None,
    }


def transform(
    obj: dict[str, Any], target: Target, *, listing: bool, custom: bool
) -> dict[str, Any]:
    """doTransformObject for the metadata targets (a Status passes unchanged)."""
    if obj.get("kind") == "Status":
        return obj
    if target.kind == PARTIAL:
        return as_partial_object_metadata(obj, target, listing=listing, custom=custom)
    return as_partial_object_metadata_list(obj, target, listing=listing, custom=custom)
