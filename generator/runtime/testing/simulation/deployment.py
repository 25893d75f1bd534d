"""The Deployment controller: a ReplicaSet per pod template (named
``<deployment>-<pod-template-hash>``, revision annotations), rolled out as the
strategy says (RollingUpdate within maxSurge/maxUnavailable, or Recreate),
old ReplicaSets pruned past revisionHistoryLimit, and the status kubectl
rollout status and kubectl wait read: replicas, updated, ready, available,
unavailable, observedGeneration, the Available and Progressing conditions
(ProgressDeadlineExceeded on the simulated clock)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Hashable
from typing import Any

from ..semantics.basics import copy_obj, now
from .api import DEPLOYMENTS, REPLICASETS
from .controller import WorkloadController
from .podutil import (
    as_dict,
    as_list,
    controlled_by,
    deleting,
    get,
    int_or,
    name_of,
    namespace_of,
    owner_ref,
    parse_time,
    uid_of,
)

MANAGER = "deployment-controller"
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template: Any) -> str:
    """A stable pod-template-hash (the real one is fnv32a of the template;
    what matters is that equal templates hash equal)."""
    text = json.dumps(template, sort_keys=True, separators=(",", ":"))
    number = int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)
    out = ""
    while number and len(out) < 10:
        number, digit = divmod(number, len(_ALPHABET))
        out += _ALPHABET[digit]
    return out or "b"


def _without_hash(template: Any) -> Any:
    template = copy_obj(as_dict(template))
    labels = as_dict(get(template, "metadata", "labels"))
    labels.pop(HASH_LABEL, None)
    return template


def resolve(value: Any, total: int, round_up: bool) -> int:
    """An IntOrString: a count, or a percentage of ``total``."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, str) and value.endswith("%"):
        try:
            percent = float(value[:-1])
        except ValueError:
            return 0
        amount = percent * total / 100
        return max(int(math.ceil(amount) if round_up else math.floor(amount)), 0)
    try:
        return max(int(str(value)), 0)
    except ValueError:
        return 0


def _replicas(rs: Any) -> int:
    return max(int_or(get(rs, "spec", "replicas"), 0), 0)


def _status_count(rs: Any, key: str) -> int:
    return max(int_or(get(rs, "status", key), 0), 0)


def _revision(rs: Any) -> int:
    try:
        return int(str(get(rs, "metadata", "annotations", REVISION) or 0))
    except ValueError:
        return 0


class Deployments(WorkloadController):
    name = MANAGER
    owner = DEPLOYMENTS
    owner_kind = "Deployment"
    owned = REPLICASETS

    # ------------------------------------------------------------------ sync

    def sync(self, key: Hashable) -> None:
        assert isinstance(key, tuple)  # (namespace, name)
        deployment = self.owner_to_sync(key)
        if deployment is None:
            return
        spec = as_dict(deployment.get("spec"))
        uid = uid_of(deployment)
        all_rs = [
            rs
            for rs in self.api.list(REPLICASETS, key[0])
            if controlled_by(rs, uid) and not deleting(rs)
        ]
        template = as_dict(spec.get("template"))
        wanted = _without_hash(template)
        new_rs = next(
            (
                rs
                for rs in all_rs
                if _without_hash(get(rs, "spec", "template")) == wanted
            ),
            None,
        )
        old_rs = [rs for rs in all_rs if rs is not new_rs]
        replicas = max(int_or(spec.get("replicas"), 1), 0)
        created = False
        if spec.get("paused"):
            self._status(deployment, new_rs, old_rs, created, paused=True)
            return
        if new_rs is None:
            new_rs = self._new_replicaset(deployment, old_rs)
            created = new_rs is not None
        elif _revision(new_rs) <= max((_revision(rs) for rs in old_rs), default=0):
            new_rs = self._annotate(deployment, new_rs, old_rs)  # rolled back to it
        if new_rs is None:
            return
        strategy = as_dict(spec.get("strategy"))
        if strategy.get("type") == "Recreate":
            self._recreate(deployment, new_rs, old_rs, replicas)
        else:
            self._rolling(deployment, new_rs, old_rs, replicas, strategy)
        self._prune(deployment, old_rs)
        self._sync_revision(deployment, new_rs)
        deployment = self.api.get(DEPLOYMENTS, *key) or deployment
        new_rs = self.api.get(REPLICASETS, key[0], name_of(new_rs)) or new_rs
        old_rs = [self.api.get(REPLICASETS, key[0], name_of(rs)) or rs for rs in old_rs]
        self._status(deployment, new_rs, old_rs, created)

    def _new_replicaset(
        self, deployment: dict[str, Any], old_rs: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        template = copy_obj(as_dict(get(deployment, "spec", "template")))
        hash_ = template_hash(template)
        meta = template.setdefault("metadata", {})
        labels = meta.setdefault("labels", {})
        labels[HASH_LABEL] = hash_
        selector = copy_obj(as_dict(get(deployment, "spec", "selector")))
        selector.setdefault("matchLabels", {})[HASH_LABEL] = hash_
        revision = max((_revision(rs) for rs in old_rs), default=0) + 1
        spec = as_dict(deployment.get("spec"))
        body = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{name_of(deployment)}-{hash_}",
                "namespace": namespace_of(deployment),
                "labels": dict(labels),
                "annotations": {
                    "deployment.kubernetes.io/desired-replicas": str(
                        int_or(spec.get("replicas"), 1)
                    ),
                    "deployment.kubernetes.io/max-replicas": str(
                        int_or(spec.get("replicas"), 1) + self._surge(deployment)
                    ),
                    REVISION: str(revision),
                },
                "ownerReferences": [owner_ref(deployment, "apps/v1", "Deployment")],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": int_or(spec.get("minReadySeconds"), 0),
                "selector": selector,
                "template": template,
            },
        }
        return self.api.create(REPLICASETS, body, MANAGER)

    def _annotate(
        self,
        deployment: dict[str, Any],
        rs: dict[str, Any],
        old_rs: list[dict[str, Any]],
    ) -> dict[str, Any] | None:
        new = copy_obj(rs)
        annotations = new["metadata"].setdefault("annotations", {})
        annotations[REVISION] = str(max((_revision(r) for r in old_rs), default=0) + 1)
        return self.api.update(REPLICASETS, rs, new, MANAGER)

    def _surge(self, deployment: Any) -> int:
        spec = as_dict(get(deployment, "spec"))
        if get(spec, "strategy", "type") == "Recreate":
            return 0
        replicas = max(int_or(spec.get("replicas"), 1), 0)
        rolling = as_dict(get(spec, "strategy", "rollingUpdate"))
        return resolve(rolling.get("maxSurge", "25%"), replicas, True)

    def _scale(
        self, deployment: dict[str, Any], rs: dict[str, Any], replicas: int
    ) -> dict[str, Any]:
        current = _replicas(rs)
        if current == replicas:
            return rs
        new = copy_obj(rs)
        new["spec"]["replicas"] = replicas
        annotations = new["metadata"].setdefault("annotations", {})
        spec = as_dict(deployment.get("spec"))
        annotations["deployment.kubernetes.io/desired-replicas"] = str(
            int_or(spec.get("replicas"), 1)
        )
        annotations["deployment.kubernetes.io/max-replicas"] = str(
            int_or(spec.get("replicas"), 1) + self._surge(deployment)
        )
        stored = self.api.update(REPLICASETS, rs, new, MANAGER)
        if stored is None:
            return rs
        direction = "up" if replicas > current else "down"
        self.api.event(
            deployment,
            "Deployment",
            "apps/v1",
            "Normal",
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {name_of(rs)} from {current} to {replicas}",
            MANAGER,
        )
        return stored

    # ------------------------------------------------------------------ strategies

    def _recreate(
        self,
        deployment: dict[str, Any],
        new_rs: dict[str, Any],
        old_rs: list[dict[str, Any]],
        replicas: int,
    ) -> None:
        for rs in old_rs:
            self._scale(deployment, rs, 0)
        if any(_status_count(rs, "replicas") for rs in old_rs):
            return  # old pods still running: wait for them to go
        self._scale(deployment, new_rs, replicas)

    def _rolling(
        self,
        deployment: dict[str, Any],
        new_rs: dict[str, Any],
        old_rs: list[dict[str, Any]],
        replicas: int,
        strategy: dict[str, Any],
    ) -> None:
        rolling = as_dict(strategy.get("rollingUpdate"))
        surge = resolve(rolling.get("maxSurge", "25%"), replicas, True)
        unavailable = resolve(rolling.get("maxUnavailable", "25%"), replicas, False)
        if surge == 0 and unavailable == 0:
            unavailable = 1
        if not old_rs or all(_replicas(rs) == 0 for rs in old_rs):
            self._scale(deployment, new_rs, replicas)
            return
        # scale the new ReplicaSet up within maxSurge
        total = _replicas(new_rs) + sum(_replicas(rs) for rs in old_rs)
        if _replicas(new_rs) > replicas:
            new_rs = self._scale(deployment, new_rs, replicas)
        elif _replicas(new_rs) < replicas:
            room = replicas + surge - total
            if room > 0:
                target = min(_replicas(new_rs) + room, replicas)
                new_rs = self._scale(deployment, new_rs, target)
        # scale old ones down within maxUnavailable
        all_rs = [new_rs, *old_rs]
        total = sum(_replicas(rs) for rs in all_rs)
        min_available = replicas - unavailable
        new_unavailable = _replicas(new_rs) - _status_count(new_rs, "availableReplicas")
        budget = total - min_available - new_unavailable
        if budget <= 0:
            return
        old_sorted = sorted(
            old_rs, key=lambda rs: str(get(rs, "metadata", "creationTimestamp") or "")
        )
        # first the old pods that are not available anyway
        for index, rs in enumerate(old_sorted):
            unhealthy = _replicas(rs) - _status_count(rs, "availableReplicas")
            cut = min(max(unhealthy, 0), budget)
            if cut > 0:
                old_sorted[index] = self._scale(deployment, rs, _replicas(rs) - cut)
                budget -= cut
        available = sum(
            _status_count(rs, "availableReplicas") for rs in [new_rs, *old_sorted]
        )
        allowed = min(budget, available - min_available)
        for rs in old_sorted:
            if allowed <= 0:
                break
            cut = min(_replicas(rs), allowed)
            if cut > 0:
                self._scale(deployment, rs, _replicas(rs) - cut)
                allowed -= cut

    def _prune(self, deployment: dict[str, Any], old_rs: list[dict[str, Any]]) -> None:
        limit = int_or(get(deployment, "spec", "revisionHistoryLimit"), 10)
        idle = [
            rs
            for rs in old_rs
            if _replicas(rs) == 0 and _status_count(rs, "replicas") == 0
        ]
        idle.sort(key=_revision)
        for rs in idle[: max(len(idle) - max(limit, 0), 0)]:
            self.api.delete(REPLICASETS, namespace_of(rs), name_of(rs), manager=MANAGER)

    def _sync_revision(
        self, deployment: dict[str, Any], new_rs: dict[str, Any]
    ) -> None:
        revision = str(_revision(new_rs))
        if get(deployment, "metadata", "annotations", REVISION) == revision:
            return
        new = copy_obj(deployment)
        new["metadata"].setdefault("annotations", {})[REVISION] = revision
        self.api.update(DEPLOYMENTS, deployment, new, MANAGER)

    # ------------------------------------------------------------------ status

    def _status(
        self,
        deployment: dict[str, Any],
        new_rs: dict[str, Any] | None,
        old_rs: list[dict[str, Any]],
        created: bool,
        *,
        paused: bool = False,
    ) -> None:
        spec = as_dict(deployment.get("spec"))
        replicas = max(int_or(spec.get("replicas"), 1), 0)
        all_rs = [rs for rs in [new_rs, *old_rs] if rs is not None]
        total = sum(_replicas(rs) for rs in all_rs)
        available = sum(_status_count(rs, "availableReplicas") for rs in all_rs)
        old_status = as_dict(deployment.get("status"))
        status: dict[str, Any] = {
            "observedGeneration": int_or(get(deployment, "metadata", "generation"), 1),
            "replicas": sum(_status_count(rs, "replicas") for rs in all_rs),
            "updatedReplicas": _status_count(new_rs, "replicas") if new_rs else 0,
            "readyReplicas": sum(_status_count(rs, "readyReplicas") for rs in all_rs),
            "availableReplicas": available,
            "unavailableReplicas": max(total - available, 0),
        }
        if "collisionCount" in old_status:
            status["collisionCount"] = old_status["collisionCount"]
        for key in list(status):
            if status[key] == 0 and key != "observedGeneration":
                del status[key]
        rolling = as_dict(get(spec, "strategy", "rollingUpdate"))
        max_unavailable = 0
        if get(spec, "strategy", "type") != "Recreate":
            max_unavailable = resolve(
                rolling.get("maxUnavailable", "25%"), replicas, False
            )
        conditions = {
            c.get("type"): c
            for c in as_list(old_status.get("conditions"))
            if isinstance(c, dict)
        }
        stamp = now()
        if available >= replicas - max_unavailable:
            avail = (
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
            )
        else:
            avail = (
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        progressing = self._progressing(
            deployment, new_rs, old_rs, created, paused, conditions.get("Progressing")
        )
        out = []
        for kind, values in (("Available", avail), ("Progressing", progressing)):
            if values is None:
                if kind in conditions:
                    out.append(conditions[kind])
                continue
            state, reason, message = values
            previous = conditions.get(kind)
            cond = {
                "type": kind,
                "status": state,
                "lastUpdateTime": stamp,
                "lastTransitionTime": stamp,
                "reason": reason,
                "message": message,
            }
            if previous is not None and previous.get("status") == state:
                cond["lastTransitionTime"] = previous.get("lastTransitionTime") or stamp
                if (
                    previous.get("reason") == reason
                    and previous.get("message") == message
                ):
                    cond["lastUpdateTime"] = previous.get("lastUpdateTime") or stamp
            out.append(cond)
        status["conditions"] = out
        self.api.update_status(DEPLOYMENTS, deployment, status, MANAGER)

    def _progressing(
        self,
        deployment: dict[str, Any],
        new_rs: dict[str, Any] | None,
        old_rs: list[dict[str, Any]],
        created: bool,
        paused: bool,
        previous: dict[str, Any] | None,
    ) -> tuple[str, str, str] | None:
        if paused:
            return ("Unknown", "DeploymentPaused", "Deployment is paused")
        if new_rs is None:
            return None
        name = name_of(new_rs)
        replicas = max(int_or(get(deployment, "spec", "replicas"), 1), 0)
        complete = (
            _status_count(new_rs, "replicas") == replicas
            and _status_count(new_rs, "availableReplicas") == replicas
            and _replicas(new_rs) == replicas
            and all(_status_count(rs, "replicas") == 0 for rs in old_rs)
        )
        if complete:
            return (
                "True",
                "NewReplicaSetAvailable",
                f'ReplicaSet "{name}" has successfully progressed.',
            )
        if created:
            return ("True", "NewReplicaSetCreated", f'Created new replica set "{name}"')
        deadline = int_or(get(deployment, "spec", "progressDeadlineSeconds"), 600)
        if (
            previous is not None
            and previous.get("reason") == "ProgressDeadlineExceeded"
        ):
            return (
                "False",
                "ProgressDeadlineExceeded",
                str(previous.get("message") or ""),
            )
        since = parse_time(get(previous, "lastUpdateTime"))
        key = (namespace_of(deployment), name_of(deployment))
        if since is not None and self.clock.simulated_since(since) > deadline:
            return (
                "False",
                "ProgressDeadlineExceeded",
                f'ReplicaSet "{name}" has timed out progressing.',
            )
        self.after(min(float(deadline), 30.0), key)
        return ("True", "ReplicaSetUpdated", f'ReplicaSet "{name}" is progressing.')
