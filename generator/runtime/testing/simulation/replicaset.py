"""The ReplicaSet controller: as many active pods as spec.replicas, created
from the template (owned by the ReplicaSet), the surplus deleted (unscheduled,
pending, unready and newest first); status counts replicas, fully labeled,
ready and available (ready for minReadySeconds) pods."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..semantics.basics import copy_obj
from .api import PODS, REPLICASETS
from .controller import WorkloadController
from .podutil import (
    active,
    as_dict,
    condition,
    controlled_by,
    deleting,
    get,
    int_or,
    matches_selector,
    name_of,
    namespace_of,
    owner_ref,
    parse_time,
    ready,
    uid_of,
)

MANAGER = "replicaset-controller"
BURST = 500  # creations per sync (the real controller's slow start, simplified)


def pod_from_template(
    owner: dict[str, Any], api_version: str, kind: str, template: Any
) -> dict[str, Any]:
    template = copy_obj(as_dict(template))
    meta = as_dict(template.get("metadata"))
    pod_meta: dict[str, Any] = {
        "generateName": f"{name_of(owner)}-",
        "namespace": namespace_of(owner),
        "ownerReferences": [owner_ref(owner, api_version, kind)],
    }
    for key in ("labels", "annotations", "finalizers"):
        if meta.get(key):
            pod_meta[key] = meta[key]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": pod_meta,
        "spec": as_dict(template.get("spec")),
    }


def available(pod: Any, min_ready: int, simulated_since: Any) -> bool:
    """Ready for at least minReadySeconds (simulated)."""
    if not ready(pod):
        return False
    if min_ready <= 0:
        return True
    since = parse_time(get(condition(pod, "Ready"), "lastTransitionTime"))
    return since is not None and simulated_since(since) >= min_ready


def owned_pods(api: Any, owner: dict[str, Any]) -> list[dict[str, Any]]:
    uid = uid_of(owner)
    return [p for p in api.list(PODS, namespace_of(owner)) if controlled_by(p, uid)]


def _victim_order(pod: dict[str, Any]) -> tuple[int, int, int, str]:
    return (
        1 if get(pod, "spec", "nodeName") else 0,
        1 if get(pod, "status", "phase") == "Running" else 0,
        1 if ready(pod) else 0,
        "".join(
            chr(0x10FFFF - ord(c))
            for c in str(get(pod, "metadata", "creationTimestamp") or "")
        ),
    )


class ReplicaSets(WorkloadController):
    name = MANAGER
    owner = REPLICASETS
    owner_kind = "ReplicaSet"
    api_version = "apps/v1"

    def sync(self, key: Hashable) -> None:
        assert isinstance(key, tuple)
        rs = self.api.get(self.owner, *key)
        if rs is None:
            return
        pods = owned_pods(self.api, rs)
        live = [p for p in pods if active(p)]
        if not deleting(rs):
            wanted = max(int_or(get(rs, "spec", "replicas"), 1), 0)
            if len(live) < wanted:
                self._create(rs, wanted - len(live))
            elif len(live) > wanted:
                for pod in sorted(live, key=_victim_order)[: len(live) - wanted]:
                    if self.api.delete(PODS, key[0], name_of(pod), manager=MANAGER):
                        self._event(
                            rs, "SuccessfulDelete", f"Deleted pod: {name_of(pod)}"
                        )
            pods = owned_pods(self.api, rs)
            live = [p for p in pods if active(p)]
        self._status(rs, live)

    def _create(self, rs: dict[str, Any], count: int) -> None:
        template = get(rs, "spec", "template")
        for _ in range(min(count, BURST)):
            body = pod_from_template(rs, self.api_version, self.owner_kind, template)
            created = self.api.create(PODS, body, MANAGER)
            if created is None:
                self._event(
                    rs, "FailedCreate", "Error creating: the pod was refused", "Warning"
                )
                return
            self._event(rs, "SuccessfulCreate", f"Created pod: {name_of(created)}")
        if count > BURST:
            self.enqueue((namespace_of(rs), name_of(rs)))

    def _event(
        self, rs: dict[str, Any], reason: str, message: str, type_: str = "Normal"
    ) -> None:
        self.api.event(
            rs, self.owner_kind, self.api_version, type_, reason, message, MANAGER
        )

    def _status(self, rs: dict[str, Any], live: list[dict[str, Any]]) -> None:
        min_ready = int_or(get(rs, "spec", "minReadySeconds"), 0)
        labels = as_dict(get(rs, "spec", "template", "metadata", "labels"))
        ready_pods = [p for p in live if ready(p)]
        available_count = sum(
            1 for p in ready_pods if available(p, min_ready, self.clock.simulated_since)
        )
        if min_ready > 0 and available_count < len(ready_pods):
            self.after(1.0, (namespace_of(rs), name_of(rs)))
        status = copy_obj(as_dict(rs.get("status")))
        status["replicas"] = len(live)
        fully = sum(
            1
            for p in live
            if all(
                as_dict(get(p, "metadata", "labels")).get(k) == v
                for k, v in labels.items()
            )
        )
        for field_name, value in (
            ("fullyLabeledReplicas", fully),
            ("readyReplicas", len(ready_pods)),
            ("availableReplicas", available_count),
        ):
            if value:
                status[field_name] = value
            else:
                status.pop(field_name, None)
        status["observedGeneration"] = int_or(get(rs, "metadata", "generation"), 1)
        self.api.update_status(self.owner, rs, status, MANAGER)


__all__ = [
    "ReplicaSets",
    "available",
    "matches_selector",
    "owned_pods",
    "pod_from_template",
]
