"""Cascading deletion's rules, shared by the plain server's immediate cascade
and the simulation's garbage collector: which propagation policy a DELETE asks
for, and whether a dependent's owner is alive."""

from __future__ import annotations

from typing import Any

from ..protocol.status import Cause, invalid, unsupported_value
from ..semantics.basics import DeleteOptions
from .registry import Registry
from .store import Store

POLICIES = ("Foreground", "Background", "Orphan")


def live_owner(
    registry: Registry, store: Store, dependent: dict[str, Any], ref: dict[str, Any]
) -> dict[str, Any] | None:
    """The live owner an ownerReference names (kind, name, and the same uid:
    a new object of that name is not the owner), or None when absent;
    ``dependent`` itself when the owner's kind is not served (not absent: the
    real collector keeps retrying such a dependent, never deleting it)."""
    resource = registry.by_kind(
        str(ref.get("apiVersion") or ""), str(ref.get("kind") or "")
    )
    if resource is None:
        return dependent
    meta = dependent.get("metadata") or {}
    namespace = str(meta.get("namespace") or "") if resource.info.namespaced else ""
    owner = store.get(resource.storage_key, namespace, str(ref.get("name") or ""))
    if owner is None or (owner.get("metadata") or {}).get("uid") != ref.get("uid"):
        return None
    return owner


def deletion_policy(options: DeleteOptions) -> str:
    if options.propagation is not None and options.orphan_dependents is not None:
        raise invalid(
            "DeleteOptions",
            "meta.k8s.io",
            "",
            [
                Cause(
                    "propagationPolicy",
                    'Invalid value: "' + options.propagation + '": orphanDependents '
                    "and deletionPropagation cannot be both set",
                )
            ],
        )
    if options.propagation is not None:
        if options.propagation not in POLICIES:
            raise invalid(
                "DeleteOptions",
                "meta.k8s.io",
                "",
                [
                    Cause(
                        "propagationPolicy",
                        unsupported_value(options.propagation, (*POLICIES, "nil")),
                        "FieldValueNotSupported",
                    )
                ],
            )
        return options.propagation
    if options.orphan_dependents:
        return "Orphan"
    return "Background"
