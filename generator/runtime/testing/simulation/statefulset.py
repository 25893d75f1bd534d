"""The StatefulSet controller: pods ``<name>-0`` ... ``<name>-<n-1>`` with
stable hostnames (``subdomain`` = serviceName), created in order and each only
once the one before is Running and Ready (OrderedReady; Parallel: all at once),
removed from the highest ordinal down; RollingUpdate replaces pods of an old
revision from the highest ordinal down to the partition, one at a time;
ControllerRevisions and the status kubectl rollout status reads."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..semantics.basics import copy_obj
from .api import PODS, STATEFULSETS
from .controller import WorkloadController
from .deployment import template_hash
from .podutil import (
    as_dict,
    controller_ref,
    deleting,
    get,
    int_or,
    name_of,
    namespace_of,
    owner_ref,
    ready,
    terminal,
)
from .replicaset import owned_pods, pod_from_template

MANAGER = "statefulset-controller"
REVISION_LABEL = "controller-revision-hash"
REVISIONS = ("apps", "v1", "controllerrevisions")


class StatefulSets(WorkloadController):
    name = MANAGER
    owner = STATEFULSETS
    owner_kind = "StatefulSet"

    def sync(self, key: Hashable) -> None:
        sts = self.owner_to_sync(key)
        if sts is None:
            return
        spec = as_dict(sts.get("spec"))
        replicas = max(int_or(spec.get("replicas"), 1), 0)
        revision = f"{name_of(sts)}-{template_hash(spec.get('template'))}"
        self._revision(sts, revision)
        parallel = spec.get("podManagementPolicy") == "Parallel"
        by_ordinal: dict[int, dict[str, Any]] = {}
        prefix = f"{name_of(sts)}-"
        for owned in owned_pods(self.api, sts):
            suffix = name_of(owned)[len(prefix) :]
            if name_of(owned).startswith(prefix) and suffix.isdigit():
                by_ordinal[int(suffix)] = owned
        healthy = True
        for ordinal in range(replicas):
            pod = by_ordinal.get(ordinal)
            if pod is None:
                if not healthy and not parallel:
                    break
                self._create(sts, ordinal, revision)
                healthy = False
                if not parallel:
                    break
                continue
            if terminal(pod) and not deleting(pod):
                self._delete(sts, pod)  # a failed pod is replaced
                healthy = False
                continue
            if not (ready(pod) and not deleting(pod)):
                healthy = False
                if not parallel:
                    break
        surplus = sorted((o for o in by_ordinal if o >= replicas), reverse=True)
        for ordinal in surplus:
            pod = by_ordinal[ordinal]
            if deleting(pod):
                if not parallel:
                    break
                continue
            if parallel or healthy:
                self._delete(sts, pod)
            if not parallel:
                break
        strategy = as_dict(spec.get("updateStrategy"))
        if (
            healthy
            and not surplus
            and strategy.get("type", "RollingUpdate") == "RollingUpdate"
        ):
            partition = int_or(get(strategy, "rollingUpdate", "partition"), 0)
            for ordinal in range(replicas - 1, partition - 1, -1):
                old = by_ordinal.get(ordinal)
                if old is not None and _revision_of(old) != revision:
                    self._delete(sts, old)
                    break
        self._status(sts, by_ordinal, replicas, revision)

    def _revision(self, sts: dict[str, Any], revision: str) -> None:
        if self.api.get(REVISIONS, namespace_of(sts), revision) is not None:
            return
        existing = [
            r
            for r in self.api.list(REVISIONS, namespace_of(sts))
            if get(controller_ref(r), "uid") == get(sts, "metadata", "uid")
        ]
        number = max((int_or(r.get("revision"), 0) for r in existing), default=0) + 1
        labels = dict(as_dict(get(sts, "spec", "template", "metadata", "labels")))
        labels[REVISION_LABEL] = revision.rpartition("-")[2]
        self.api.create(
            REVISIONS,
            {
                "apiVersion": "apps/v1",
                "kind": "ControllerRevision",
                "metadata": {
                    "name": revision,
                    "namespace": namespace_of(sts),
                    "labels": labels,
                    "ownerReferences": [owner_ref(sts, "apps/v1", "StatefulSet")],
                },
                "data": {
                    "spec": {
                        "template": {
                            **copy_obj(as_dict(get(sts, "spec", "template"))),
                            "$patch": "replace",
                        }
                    }
                },
                "revision": number,
            },
            MANAGER,
        )

    def _create(self, sts: dict[str, Any], ordinal: int, revision: str) -> None:
        body = pod_from_template(
            sts, "apps/v1", "StatefulSet", get(sts, "spec", "template")
        )
        name = f"{name_of(sts)}-{ordinal}"
        meta = body["metadata"]
        meta.pop("generateName", None)
        meta["name"] = name
        labels = meta.setdefault("labels", {})
        labels[REVISION_LABEL] = revision
        labels["statefulset.kubernetes.io/pod-name"] = name
        labels["apps.kubernetes.io/pod-index"] = str(ordinal)
        body["spec"]["hostname"] = name
        service = get(sts, "spec", "serviceName")
        if service:
            body["spec"]["subdomain"] = service
        if self.api.create(PODS, body, MANAGER) is not None:
            self._event(
                sts,
                "SuccessfulCreate",
                f"create Pod {name} in StatefulSet {name_of(sts)} successful",
            )

    def _delete(self, sts: dict[str, Any], pod: dict[str, Any]) -> None:
        if self.api.delete(PODS, namespace_of(pod), name_of(pod), manager=MANAGER):
            self._event(
                sts,
                "SuccessfulDelete",
                f"delete Pod {name_of(pod)} in StatefulSet {name_of(sts)} successful",
            )

    def _event(self, sts: dict[str, Any], reason: str, message: str) -> None:
        self.api.event(
            sts, "StatefulSet", "apps/v1", "Normal", reason, message, MANAGER
        )

    def _status(
        self,
        sts: dict[str, Any],
        by_ordinal: dict[int, dict[str, Any]],
        replicas: int,
        revision: str,
    ) -> None:
        fresh = [p for p in owned_pods(self.api, sts) if not terminal(p)]
        counted = [p for p in fresh if not deleting(p)]
        ready_pods = [p for p in counted if ready(p)]
        updated = [p for p in counted if _revision_of(p) == revision]
        old = as_dict(sts.get("status"))
        current_revision = old.get("currentRevision") or revision
        if len(updated) == replicas and all(ready(p) for p in updated):
            current_revision = revision
        current = [p for p in counted if _revision_of(p) == current_revision]
        status: dict[str, Any] = {
            "observedGeneration": int_or(get(sts, "metadata", "generation"), 1),
            "replicas": len(counted),
            "readyReplicas": len(ready_pods),
            "currentReplicas": len(current),
            "updatedReplicas": len(updated),
            "currentRevision": current_revision,
            "updateRevision": revision,
            "collisionCount": int_or(old.get("collisionCount"), 0),
            "availableReplicas": len(ready_pods),
        }
        for key in (
            "readyReplicas",
            "currentReplicas",
            "updatedReplicas",
            "availableReplicas",
        ):
            if not status[key]:
                del status[key]
        self.api.update_status(STATEFULSETS, sts, status, MANAGER)


def _revision_of(pod: Any) -> str:
    return str(get(pod, "metadata", "labels", REVISION_LABEL) or "")
