"""The DaemonSet controller: one pod on every Ready node the template's
nodeSelector, required node affinity and tolerations allow (bound through a
``metadata.name`` node affinity, as the real controller does, which the
scheduler honours); pods on other nodes removed; RollingUpdate replaces
old-revision pods within maxUnavailable; the status kubectl rollout status reads."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..engine.store import Event
from .api import DAEMONSETS, NODES, PODS
from .controller import WorkloadController
from .deployment import resolve, template_hash
from .podutil import (
    as_dict,
    as_list,
    condition,
    deleting,
    get,
    int_or,
    name_of,
    namespace_of,
    ready,
    terminal,
)
from .replicaset import owned_pods, pod_from_template
from .scheduler import node_affinity_fits, tolerates

MANAGER = "daemonset-controller"
HASH_LABEL = "controller-revision-hash"
_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
)


def _node_of(pod: Any) -> str:
    """The node a daemon pod is for: its binding, else its affinity's name."""
    node = get(pod, "spec", "nodeName")
    if node:
        return str(node)
    terms = get(
        pod,
        "spec",
        "affinity",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "nodeSelectorTerms",
    )
    for term in as_list(terms):
        for field in as_list(get(term, "matchFields")):
            if get(field, "key") == "metadata.name":
                values = as_list(get(field, "values"))
                if values:
                    return str(values[0])
    return ""


class DaemonSets(WorkloadController):
    name = MANAGER
    owner = DAEMONSETS
    owner_kind = "DaemonSet"

    def observe(self, event: Event) -> None:
        super().observe(event)
        if event.key == ("", "nodes") and event.type != "MODIFIED":
            for ds in self.api.list(DAEMONSETS):
                self.enqueue((namespace_of(ds), name_of(ds)))

    def _wanted_nodes(self, ds: dict[str, Any]) -> list[str]:
        template = as_dict(get(ds, "spec", "template"))
        probe = {
            "spec": {
                **as_dict(template.get("spec")),
                "tolerations": self._tolerations(template),
            }
        }
        selector = as_dict(get(template, "spec", "nodeSelector"))
        out = []
        for node in self.api.list(NODES):
            cond = condition(node, "Ready")
            if cond is None or cond.get("status") != "True":
                continue
            labels = as_dict(get(node, "metadata", "labels"))
            if any(labels.get(k) != v for k, v in selector.items()):
                continue
            if not node_affinity_fits(probe, labels, name_of(node)):
                continue
            if not all(
                tolerates(probe, t) for t in as_list(get(node, "spec", "taints"))
            ):
                continue
            out.append(name_of(node))
        return out

    def _tolerations(self, template: dict[str, Any]) -> list[Any]:
        tolerations = list(as_list(get(template, "spec", "tolerations")))
        keys = {get(t, "key") for t in tolerations}
        for key, effect in _TOLERATIONS:
            if key not in keys:
                tolerations.append({"key": key, "operator": "Exists", "effect": effect})
        return tolerations

    def sync(self, key: Hashable) -> None:
        ds = self.owner_to_sync(key)
        if ds is None:
            return
        template = as_dict(get(ds, "spec", "template"))
        revision = template_hash(template)
        wanted = self._wanted_nodes(ds)
        pods = [p for p in owned_pods(self.api, ds) if not deleting(p)]
        by_node: dict[str, list[dict[str, Any]]] = {}
        for pod in pods:
            if terminal(pod):
                self._delete(ds, pod)
                continue
            by_node.setdefault(_node_of(pod), []).append(pod)
        for node, on_node in by_node.items():
            extra = on_node[1:] if node in wanted else on_node
            for pod in extra:
                self._delete(ds, pod)
        for node in wanted:
            if node not in by_node:
                self._create(ds, node, revision)
        strategy = as_dict(get(ds, "spec", "updateStrategy"))
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            budget = max(
                resolve(
                    get(strategy, "rollingUpdate", "maxUnavailable") or 1,
                    len(wanted),
                    True,
                ),
                1,
            )
            current = [by_node[n][0] for n in wanted if n in by_node]
            unavailable = sum(1 for p in current if not ready(p)) + sum(
                1 for n in wanted if n not in by_node
            )
            for pod in current:
                if unavailable >= budget:
                    break
                if _hash_of(pod) != revision and ready(pod):
                    self._delete(ds, pod)
                    unavailable += 1
        self._status(ds, wanted, revision)

    def _create(self, ds: dict[str, Any], node: str, revision: str) -> None:
        body = pod_from_template(
            ds, "apps/v1", "DaemonSet", get(ds, "spec", "template")
        )
        labels = body["metadata"].setdefault("labels", {})
        labels[HASH_LABEL] = revision
        labels["pod-template-generation"] = str(
            int_or(get(ds, "metadata", "generation"), 1)
        )
        spec = body["spec"]
        spec["tolerations"] = self._tolerations(as_dict(get(ds, "spec", "template")))
        affinity = spec.setdefault("affinity", {})
        if isinstance(affinity, dict):
            affinity["nodeAffinity"] = {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchFields": [
                                {
                                    "key": "metadata.name",
                                    "operator": "In",
                                    "values": [node],
                                }
                            ]
                        }
                    ]
                }
            }
        created = self.api.create(PODS, body, MANAGER)
        if created is not None:
            self.api.event(
                ds,
                "DaemonSet",
                "apps/v1",
                "Normal",
                "SuccessfulCreate",
                f"Created pod: {name_of(created)}",
                MANAGER,
            )

    def _delete(self, ds: dict[str, Any], pod: dict[str, Any]) -> None:
        if self.api.delete(PODS, namespace_of(pod), name_of(pod), manager=MANAGER):
            self.api.event(
                ds,
                "DaemonSet",
                "apps/v1",
                "Normal",
                "SuccessfulDelete",
                f"Deleted pod: {name_of(pod)}",
                MANAGER,
            )

    def _status(self, ds: dict[str, Any], wanted: list[str], revision: str) -> None:
        pods = [
            p for p in owned_pods(self.api, ds) if not deleting(p) and not terminal(p)
        ]
        scheduled = {
            get(p, "spec", "nodeName") for p in pods if get(p, "spec", "nodeName")
        }
        on_wanted = [p for p in pods if _node_of(p) in wanted]
        ready_pods = [p for p in on_wanted if ready(p)]
        updated = [p for p in on_wanted if _hash_of(p) == revision]
        status: dict[str, Any] = {
            "currentNumberScheduled": len([n for n in scheduled if n in wanted]),
            "numberMisscheduled": len([n for n in scheduled if n not in wanted]),
            "desiredNumberScheduled": len(wanted),
            "numberReady": len(ready_pods),
            "observedGeneration": int_or(get(ds, "metadata", "generation"), 1),
            "updatedNumberScheduled": len(updated),
            "numberAvailable": len(ready_pods),
            "numberUnavailable": len(wanted) - len(ready_pods),
        }
        for key in ("updatedNumberScheduled", "numberAvailable", "numberUnavailable"):
            if not status[key]:
                del status[key]
        self.api.update_status(DAEMONSETS, ds, status, MANAGER)


def _hash_of(pod: Any) -> str:
    return str(get(pod, "metadata", "labels", HASH_LABEL) or "")
