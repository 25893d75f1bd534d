"""The RBAC authorizer (plugin/pkg/auth/authorizer/rbac) over the Roles,
ClusterRoles, RoleBindings and ClusterRoleBindings the server stores, with the
privileged-group bypass kube-apiserver puts in front of it (system:masters)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .attributes import Attributes, Identity
from .rules import Rule, rule_allows
from .storage import ObjectStore

__all__ = ["MASTERS", "RBAC", "service_account_user"]

RBAC_GROUP = "rbac.authorization.k8s.io"
ROLES = (RBAC_GROUP, "roles")
CLUSTER_ROLES = (RBAC_GROUP, "clusterroles")
ROLE_BINDINGS = (RBAC_GROUP, "rolebindings")
CLUSTER_ROLE_BINDINGS = (RBAC_GROUP, "clusterrolebindings")
#: user.SystemPrivilegedGroup: allowed everything, before RBAC is asked
MASTERS = "system:masters"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"


def service_account_user(namespace: str, name: str) -> str:
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


@dataclass(frozen=True)
class _Grant:
    """The rules one binding gives, and how to describe where they came from."""

    rules: tuple[Rule, ...]
    source: str


class RBAC:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def authorize(self, attributes: Attributes) -> Decision:
        if MASTERS in attributes.user.groups:
            return Decision(True)
        errors: list[str] = []
        for grant in self._grants(attributes.user, attributes.namespace, errors):
            if any(rule_allows(attributes, rule) for rule in grant.rules):
                return Decision(True, f"RBAC: allowed by {grant.source}")
        return Decision(False, f"RBAC: {_aggregate(errors)}" if errors else "")

    def rules_for(self, user: Identity, namespace: str) -> tuple[list[Rule], list[str]]:
        """Every rule that applies to ``user`` in ``namespace`` ("" for cluster
        scope only), and the problems met resolving them (missing roles)."""
        errors: list[str] = []
        rules = [
            rule
            for grant in self._grants(user, namespace, errors)
            for rule in grant.rules
        ]
        return rules, errors

    def role_ref_rules(self, ref: Any, namespace: str) -> list[Rule] | str:
        """The rules a roleRef names, or the not-found message."""
        ref = ref if isinstance(ref, dict) else {}
        return self._role_rules(
            str(ref.get("kind") or ""), str(ref.get("name") or ""), namespace
        )

    # -- resolution

    def _grants(
        self, user: Identity, namespace: str, errors: list[str]
    ) -> Iterator[_Grant]:
        with self.store.lock:
            cluster_bindings = self.store.objects(CLUSTER_ROLE_BINDINGS)
            bindings = self.store.objects(ROLE_BINDINGS, namespace) if namespace else []
        for binding, cluster in [(b, True) for b in cluster_bindings] + [
            (b, False) for b in bindings
        ]:
            meta = binding.get("metadata") or {}
            binding_ns = "" if cluster else str(meta.get("namespace") or "")
            subject = _applies(binding, user, binding_ns)
            if subject is None:
                continue
            ref = binding.get("roleRef") or {}
            found = self.role_ref_rules(ref, binding_ns)
            if isinstance(found, str):
                errors.append(found)
                continue
            name = str(meta.get("name") or "")
            where = (
                f'ClusterRoleBinding "{name}"'
                if cluster
                else f'RoleBinding "{name}/{binding_ns}"'
            )
            source = f'{where} of {ref.get("kind")} "{ref.get("name")}" to {subject}'
            yield _Grant(tuple(found), source)

    def _role_rules(self, kind: str, name: str, namespace: str) -> list[Rule] | str:
        if kind == "ClusterRole":
            role = self.store.get(CLUSTER_ROLES, "", name)
        elif kind == "Role":
            role = self.store.get(ROLES, namespace, name)
        else:
            return f"unsupported role reference kind: {kind!r}"
        if role is None:
            return f'{kind.lower()}.{RBAC_GROUP} "{name}" not found'
        rules = role.get("rules")
        return (
            [r for r in rules if isinstance(r, dict)] if isinstance(rules, list) else []
        )


def _applies(binding: dict[str, Any], user: Identity, namespace: str) -> str | None:
    """How the first subject of ``binding`` naming ``user`` is described, if any."""
    for subject in binding.get("subjects") or []:
        if not isinstance(subject, dict):
            continue
        kind = subject.get("kind")
        name = str(subject.get("name") or "")
        if kind == "User" and name == user.name:
            return f'User "{name}"'
        if kind == "Group" and name in user.groups:
            return f'Group "{name}"'
        if kind == "ServiceAccount":
            sa_namespace = str(subject.get("namespace") or namespace)
            if sa_namespace and user.name == service_account_user(sa_namespace, name):
                return f'ServiceAccount "{name}/{sa_namespace}"'
    return None


def _aggregate(errors: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message, or a bracketed list."""
    unique = list(dict.fromkeys(errors))
    if len(unique) == 1:
        return unique[0]
    return "[" + ", ".join(unique) + "]"
