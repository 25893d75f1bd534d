"""The clusterrole-aggregation controller: a ClusterRole with an aggregationRule
gets the rules of every ClusterRole its selectors match. Run synchronously after
each ClusterRole write, so that a test sees the result at once."""

from __future__ import annotations

from typing import Any

from ..semantics.basics import Write
from ..semantics.resource import Resource
from .identity import set_identity
from .rbac import CLUSTER_ROLES
from .storage import Objects

__all__ = ["Aggregation"]

_MANAGER = "clusterrole-aggregation-controller"
#: aggregated roles may feed each other (view into edit into admin): a fixpoint
#: is reached within as many rounds as the longest chain; this bounds cycles too
_MAX_ROUNDS = 16


class Aggregation:
    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self._busy = False
        objects.on_write.append(self._changed)
        objects.on_delete.append(self._changed)

    def _changed(self, resource: Resource, obj: dict[str, Any]) -> None:
        if resource.storage_key == CLUSTER_ROLES and not self._busy:
            self.reconcile(resource)

    def reconcile(self, resource: Resource) -> None:
        store = self.objects.store
        with store.lock:
            self._busy = True
            # the controller writes as itself, not as whoever changed a source
            requester = set_identity(None)
            try:
                for _ in range(_MAX_ROUNDS):
                    if not self._round(resource):
                        break
            finally:
                set_identity(requester)
                self._busy = False

    def _round(self, resource: Resource) -> bool:
        roles = self.objects.store.objects(CLUSTER_ROLES)
        by_name = sorted(roles, key=lambda role: str(role["metadata"]["name"]))
        changed = False
        for role in roles:
            rule = role.get("aggregationRule")
            if not isinstance(rule, dict):
                continue
            gathered: list[Any] = []
            for selector in rule.get("clusterRoleSelectors") or []:
                for source in by_name:
                    if source is role or not _matches(selector, source):
                        continue
                    for each in source.get("rules") or []:
                        if each not in gathered:
                            gathered.append(each)
            if gathered != (role.get("rules") or []):
                current = self.objects.store.get(
                    CLUSTER_ROLES, "", role["metadata"]["name"]
                )
                if current is None:
                    continue
                new = {**current, "rules": gathered}
                self.objects.commit_update(
                    resource, current, new, Write(manager=_MANAGER)
                )
                changed = True
        return changed


def _matches(selector: Any, obj: dict[str, Any]) -> bool:
    """A metav1.LabelSelector against an object's labels; an empty selector
    matches nothing here, as the controller skips it."""
    if not isinstance(selector, dict):
        return False
    labels = (obj.get("metadata") or {}).get("labels") or {}
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not match_labels and not expressions:
        return False
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    for expression in expressions:
        if not isinstance(expression, dict):
            return False
        key = expression.get("key")
        values = expression.get("values") or []
        operator = expression.get("operator")
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True
