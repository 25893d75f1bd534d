"""Escalation prevention (registry/rbac's policy-based storage): creating or
updating a Role or ClusterRole needs every rule it grants, or the ``escalate``
verb on it; a binding needs the rules of the role it refers to, or ``bind``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..protocol.status import ApiError
from ..semantics.resource import Resource
from .attributes import Attributes, Identity
from .identity import current_identity
from .messages import forbidden_status
from .rbac import (
    CLUSTER_ROLE_BINDINGS,
    CLUSTER_ROLES,
    MASTERS,
    RBAC,
    RBAC_GROUP,
    ROLE_BINDINGS,
    ROLES,
    Decision,
)
from .rules import compact, compact_string, covers, go_quoted_list

__all__ = ["EscalationCheck"]


class EscalationCheck:
    def __init__(self, rbac: RBAC, authorize: Callable[[Attributes], Decision]) -> None:
        self.rbac = rbac
        self.authorize = authorize

    def __call__(
        self, resource: Resource, old: dict[str, Any] | None, new: dict[str, Any]
    ) -> None:
        key = resource.storage_key
        if key not in (ROLES, CLUSTER_ROLES, ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS):
            return
        user = current_identity()
        if user is None or MASTERS in user.groups:  # EscalationAllowed
            return
        meta = new.get("metadata") or {}
        namespace = str(meta.get("namespace") or "")
        name = str(meta.get("name") or "")
        plural = key[1]
        if old is not None and _only_gc_fields(old, new):
            return  # IsOnlyMutatingGCFields: a garbage collector's write
        if key in (ROLES, CLUSTER_ROLES):
            rules = new.get("rules") or []
            if self._may(user, "escalate", plural, namespace, name):
                return
            self._confirm_no_escalation(user, rules, namespace, plural, name)
            aggregates = _aggregates(new) or (old is not None and _aggregates(old))
            if key == CLUSTER_ROLES and aggregates:
                # it can gather anything: only for those who hold everything
                owned, _ = self.rbac.rules_for(user, "")
                if covers(owned, _FULL_AUTHORITY):
                    raise forbidden_status(
                        RBAC_GROUP,
                        plural,
                        name,
                        "must have cluster-admin privileges to use the "
                        "aggregationRule",
                    )
            return
        else:
            ref = new.get("roleRef") or {}
            kind = ref.get("kind") if isinstance(ref, dict) else None
            target = "clusterroles" if kind == "ClusterRole" else "roles"
            ref_name = str(ref.get("name") or "") if isinstance(ref, dict) else ""
            if self._may(user, "bind", target, namespace, ref_name):
                return
            found = self.rbac.role_ref_rules(ref, namespace)
            if isinstance(found, str):  # as the registry words it: the plural
                raise ApiError(
                    404,
                    "NotFound",
                    f'{target}.{RBAC_GROUP} "{ref_name}" not found',
                    {"name": ref_name, "group": RBAC_GROUP, "kind": target},
                )
            rules = found
        self._confirm_no_escalation(user, rules, namespace, plural, name)

    def _may(
        self, user: Identity, verb: str, plural: str, namespace: str, name: str
    ) -> bool:
        return self.authorize(
            Attributes(
                user=user,
                verb=verb,
                resource_request=True,
                api_group=RBAC_GROUP,
                api_version="v1",
                resource=plural,
                namespace=namespace,
                name=name,
            )
        ).allowed

    def _confirm_no_escalation(
        self,
        user: Identity,
        rules: list[Any],
        namespace: str,
        plural: str,
        name: str,
    ) -> None:
        owned, errors = self.rbac.rules_for(user, namespace)
        if MASTERS in user.groups:
            return
        wanted = [rule for rule in rules if isinstance(rule, dict)]
        missing = covers(owned, wanted)
        if not missing:
            return
        lines = sorted({compact_string(rule) for rule in compact(missing)})
        message = (
            f'user "{user.name}" (groups={go_quoted_list(user.groups)}) is attempting '
            "to grant RBAC permissions not currently held:\n" + "\n".join(lines)
        )
        if errors:
            message += f"; resolution errors: [{', '.join(errors)}]"
        raise forbidden_status(RBAC_GROUP, plural, name, message)


_FULL_AUTHORITY = [
    {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
    {"verbs": ["*"], "nonResourceURLs": ["*"]},
]
#: what a garbage collector changes (rbacregistry.IsOnlyMutatingGCFields), with
#: what the server itself sets on every write
_GC_FIELDS = ("ownerReferences", "finalizers", "selfLink", "managedFields")
_SERVER_FIELDS = ("resourceVersion", "generation", "uid", "creationTimestamp")


def _only_gc_fields(old: dict[str, Any], new: dict[str, Any]) -> bool:
    old_meta = old.get("metadata") or {}
    meta = dict(new.get("metadata") or {})
    for key in (*_GC_FIELDS, *_SERVER_FIELDS):
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    return {**new, "metadata": meta} == old


def _aggregates(role: dict[str, Any]) -> bool:
    rule = role.get("aggregationRule")
    return isinstance(rule, dict) and bool(rule.get("clusterRoleSelectors"))
