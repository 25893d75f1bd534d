"""The default scheduler, simplified: a pending pod is bound to a Ready,
schedulable node whose free allocatable fits its requests, whose labels its
nodeSelector and required node affinity match, and whose NoSchedule/NoExecute
taints it tolerates; the least loaded such node wins. A pod that fits nowhere
stays Pending: PodScheduled=False (Unschedulable) and a FailedScheduling event,
retried when pods or nodes change."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..engine.store import Event
from ..semantics.basics import copy_obj, now
from .api import NODES, PODS
from .controller import Controller
from .podutil import (
    as_dict,
    as_list,
    condition,
    deleting,
    expression_matches,
    get,
    name_of,
    namespace_of,
    terminal,
)
from .quantity import parse

SCHEDULER = "default-scheduler"
RETRY_SECONDS = 10.0
_PASS = "pass"


def requests_of(pod: Any) -> dict[str, float]:
    """The pod's effective requests: the sum of its containers', or the largest
    init container's when larger (cpu, memory)."""
    total: dict[str, float] = {}
    init: dict[str, float] = {}
    spec = as_dict(get(pod, "spec"))
    for key, into, add in (
        ("containers", total, True),
        ("initContainers", init, False),
    ):
        for container in as_list(spec.get(key)):
            resources = as_dict(get(container, "resources"))
            wanted = as_dict(resources.get("requests")) or as_dict(
                resources.get("limits")
            )
            for name, value in wanted.items():
                amount = parse(value)
                if amount is None:
                    continue
                into[name] = (
                    into.get(name, 0.0) + amount
                    if add
                    else max(into.get(name, 0.0), amount)
                )
    for name, amount in init.items():
        total[name] = max(total.get(name, 0.0), amount)
    return total


def tolerates(pod: Any, taint: Any) -> bool:
    if not isinstance(taint, dict):
        return True
    if taint.get("effect") not in ("NoSchedule", "NoExecute"):
        return True
    for toleration in as_list(get(pod, "spec", "tolerations")):
        if not isinstance(toleration, dict):
            continue
        effect = toleration.get("effect")
        if effect and effect != taint.get("effect"):
            continue
        key = toleration.get("key")
        if toleration.get("operator") == "Exists":
            if not key or key == taint.get("key"):
                return True
        elif key == taint.get("key") and (toleration.get("value") or "") == (
            taint.get("value") or ""
        ):
            return True
    return False


def node_affinity_fits(pod: Any, labels: dict[str, Any], node: str) -> bool:
    """The required node affinity: one term whose matchExpressions (labels) and
    matchFields (``metadata.name``) all match."""
    required = get(
        pod,
        "spec",
        "affinity",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
    )
    terms = as_list(get(required, "nodeSelectorTerms"))
    if not terms:
        return True
    fields = {"metadata.name": node}
    for term in terms:
        expressions = as_list(get(term, "matchExpressions"))
        field_terms = as_list(get(term, "matchFields"))
        if not expressions and not field_terms:
            continue
        if all(expression_matches(labels, e) for e in expressions) and all(
            expression_matches(fields, f) for f in field_terms
        ):
            return True
    return False


class Scheduler(Controller):
    name = SCHEDULER

    def __init__(self, loop: Any) -> None:
        super().__init__(loop)
        self._unschedulable: set[tuple[str, str]] = set()

    def start(self) -> None:
        self.enqueue(_PASS)

    def observe(self, event: Event) -> None:
        if event.key == ("", "pods"):
            if event.type == "DELETED" or (
                event.type == "ADDED" and not get(event.obj, "spec", "nodeName")
            ):
                self.enqueue(_PASS)
            elif terminal(event.obj) and not terminal(event.prev):
                self.enqueue(_PASS)  # its resources are free again
        elif event.key == ("", "nodes"):
            self.enqueue(_PASS)

    def sync(self, key: Hashable) -> None:
        pending = [
            p
            for p in self.api.list(PODS)
            if isinstance(p.get("spec"), dict)
            and not get(p, "spec", "nodeName")
            and not deleting(p)
            and not terminal(p)
            and (get(p, "spec", "schedulerName") or SCHEDULER) == SCHEDULER
        ]
        if not pending:
            return
        nodes = [n for n in self.api.list(NODES) if self._ready(n)]
        used = self._usage()
        retry = False
        pending.sort(key=lambda p: str(get(p, "metadata", "creationTimestamp") or ""))
        for pod in pending:
            chosen, reasons = self._choose(pod, nodes, used)
            if chosen is None:
                self._unschedulable_pod(pod, nodes, reasons)
                retry = True
                continue
            if self._bind(pod, chosen):
                node_used = used.setdefault(chosen, {"pods": 0.0})
                for name, amount in requests_of(pod).items():
                    node_used[name] = node_used.get(name, 0.0) + amount
                node_used["pods"] = node_used.get("pods", 0.0) + 1
        if retry:
            self.after(RETRY_SECONDS, _PASS)

    def _ready(self, node: Any) -> bool:
        cond = condition(node, "Ready")
        return cond is not None and cond.get("status") == "True"

    def _usage(self) -> dict[str, dict[str, float]]:
        used: dict[str, dict[str, float]] = {}
        for pod in self.api.list(PODS):
            node = get(pod, "spec", "nodeName")
            if not node or terminal(pod):
                continue
            node_used = used.setdefault(str(node), {"pods": 0.0})
            for name, amount in requests_of(pod).items():
                node_used[name] = node_used.get(name, 0.0) + amount
            node_used["pods"] += 1
        return used

    def _choose(
        self, pod: Any, nodes: list[Any], used: dict[str, dict[str, float]]
    ) -> tuple[str | None, dict[str, int]]:
        wanted = requests_of(pod)
        selector = as_dict(get(pod, "spec", "nodeSelector"))
        reasons: dict[str, int] = {}
        best: tuple[float, str] | None = None
        for node in nodes:
            name = name_of(node)
            labels = as_dict(get(node, "metadata", "labels"))
            reason = None
            if get(node, "spec", "unschedulable"):
                reason = "node(s) were unschedulable"
            elif any(labels.get(k) != v for k, v in selector.items()) or not (
                node_affinity_fits(pod, labels, name)
            ):
                reason = "node(s) didn't match Pod's node affinity/selector"
            else:
                for taint in as_list(get(node, "spec", "taints")):
                    if not tolerates(pod, taint):
                        reason = (
                            "node(s) had untolerated taint {"
                            f"{get(taint, 'key')}: {get(taint, 'value') or ''}}}"
                        )
                        break
            load = 0.0
            if reason is None:
                allocatable = as_dict(get(node, "status", "allocatable"))
                node_used = used.get(name, {})
                need = {**wanted, "pods": 1.0}
                for resource, amount in need.items():
                    limit = parse(allocatable.get(resource))
                    if limit is None:
                        if resource in ("cpu", "memory", "pods"):
                            continue
                        reason = f"Insufficient {resource}"
                        break
                    if node_used.get(resource, 0.0) + amount > limit:
                        reason = (
                            "Too many pods"
                            if resource == "pods"
                            else f"Insufficient {resource}"
                        )
                        break
                    if limit:
                        load += (node_used.get(resource, 0.0) + amount) / limit
            if reason is not None:
                reasons[reason] = reasons.get(reason, 0) + 1
                continue
            if best is None or (load, name) < best:
                best = (load, name)
        return (best[1] if best else None), reasons

    def _bind(self, pod: dict[str, Any], node: str) -> bool:
        new = copy_obj(pod)
        new["spec"]["nodeName"] = node
        status = new.setdefault("status", {})
        conditions = [
            c
            for c in as_list(status.get("conditions"))
            if not (isinstance(c, dict) and c.get("type") == "PodScheduled")
        ]
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": now(),
            }
        )
        status["conditions"] = conditions
        stored = self.api.update(PODS, pod, new, SCHEDULER, "binding")
        if stored is None:
            return False
        self._unschedulable.discard((namespace_of(pod), name_of(pod)))
        self.api.event(
            stored,
            "Pod",
            "v1",
            "Normal",
            "Scheduled",
            f"Successfully assigned {namespace_of(pod)}/{name_of(pod)} to {node}",
            SCHEDULER,
        )
        return True

    def _unschedulable_pod(
        self, pod: dict[str, Any], nodes: list[Any], reasons: dict[str, int]
    ) -> None:
        total = len(nodes)
        if total:
            detail = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
            message = (
                f"0/{total} nodes are available: {detail}. preemption: 0/{total} "
                "nodes are available: "
                f"{total} Preemption is not helpful for scheduling."
            )
        else:
            message = "no nodes available to schedule pods"
        cond = condition(pod, "PodScheduled")
        key = (namespace_of(pod), name_of(pod))
        if cond is not None and cond.get("message") == message:
            return  # already said so
        status = copy_obj(as_dict(pod.get("status")))
        conditions = [
            c
            for c in as_list(status.get("conditions"))
            if not (isinstance(c, dict) and c.get("type") == "PodScheduled")
        ]
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": now(),
                "reason": "Unschedulable",
                "message": message,
            }
        )
        status["conditions"] = conditions
        stored = self.api.update_status(PODS, pod, status, SCHEDULER)
        self._unschedulable.add(key)
        self.api.event(
            stored or pod,
            "Pod",
            "v1",
            "Warning",
            "FailedScheduling",
            message,
            SCHEDULER,
        )
