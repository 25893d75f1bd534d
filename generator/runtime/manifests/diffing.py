"""manifests.diff: what apply would change, as ``kubectl diff --server-side``
shows it: a unified diff per object of the live object against the server's
dry-run apply, metadata.managedFields left out."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from .._model import Model
from .._serialization import dump_yaml
from .applying import preflight, session

__all__ = ["diff"]


def diff(
    cs: Any,
    objects: Iterable[Model | Mapping[str, Any]],
    *,
    field_manager: str = "kubeclient-diff",
    namespace: str | None = None,
    force: bool = True,
) -> str:
    """The unified diff (``--- live/<object>``, ``+++ merged/<object>``) of every
    object apply would change; "" when it would change nothing. The dry-run runs
    as ``field_manager``: give the one apply uses, so that fields it applied
    before and the manifests dropped show as removed (``force``, as kubectl
    diff, so conflicts show as the change they would be). Objects whose
    CustomResourceDefinition is not served yet diff against their manifest.
    Preflight failures raise as in apply."""
    out: list[str] = []
    for c in preflight(session(cs), objects, field_manager, namespace, force):
        before = _shown(c.live) if c.live is not None else ""
        after = _shown(c.dry if c.dry is not None else c.item.obj)
        if before == after:
            continue
        name = _file_name(c.item.obj, c.item.namespace)
        out.extend(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                f"live/{name}",
                f"merged/{name}",
            )
        )
    return "".join(out)


def _shown(obj: Mapping[str, Any]) -> str:
    wire = dict(obj)
    meta = dict(wire.get("metadata") or {})
    meta.pop("managedFields", None)
    wire["metadata"] = meta
    return dump_yaml(wire)


def _file_name(obj: Mapping[str, Any], namespace: str | None) -> str:
    """kubectl diff's file names: ``apps.v1.Deployment.default.web``."""
    api_version = str(obj.get("apiVersion") or "")
    group, _, version = api_version.rpartition("/")
    parts = [group, version] if group else [version]
    parts += [str(obj.get("kind")), *([namespace] if namespace else [])]
    parts.append(str(obj["metadata"]["name"]))
    return ".".join(parts)
