"""The Job controller: up to ``parallelism`` pods at a time until
``completions`` succeeded (Indexed jobs: one per completion index), Failed
after more than ``backoffLimit`` failed pods or past activeDeadlineSeconds
(simulated), with the conditions the real one sets (SuccessCriteriaMet then
Complete; FailureTarget then Failed), startTime, completionTime, and the
active/ready/succeeded/failed counts."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..semantics.basics import copy_obj, now
from .api import JOBS, PODS
from .controller import WorkloadController
from .podutil import (
    active,
    as_dict,
    as_list,
    get,
    int_or,
    name_of,
    namespace_of,
    parse_time,
    phase,
    ready,
)
from .replicaset import owned_pods, pod_from_template

MANAGER = "job-controller"
INDEX = "batch.kubernetes.io/job-completion-index"


def finished(job: Any) -> bool:
    for cond in as_list(get(job, "status", "conditions")):
        if (
            isinstance(cond, dict)
            and cond.get("type") in ("Complete", "Failed")
            and cond.get("status") == "True"
        ):
            return True
    return False


def _index(pod: Any) -> int | None:
    value = get(pod, "metadata", "annotations", INDEX)
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


class Jobs(WorkloadController):
    name = MANAGER
    owner = JOBS
    owner_kind = "Job"

    def sync(self, key: Hashable) -> None:
        job = self.owner_to_sync(key)
        if job is None:
            return
        spec = as_dict(job.get("spec"))
        pods = owned_pods(self.api, job)
        running = [p for p in pods if active(p)]
        succeeded = [p for p in pods if phase(p) == "Succeeded"]
        failed = [p for p in pods if phase(p) == "Failed"]
        status = copy_obj(as_dict(job.get("status")))
        if finished(job):
            self._counts(status, running, succeeded, failed)
            self.api.update_status(JOBS, job, status, MANAGER)
            return
        status.setdefault("startTime", now())
        if spec.get("suspend"):
            for pod in running:
                self._delete(job, pod)
            self._counts(status, [], succeeded, failed)
            self.api.update_status(JOBS, job, status, MANAGER)
            return
        completions = spec.get("completions")
        parallelism = max(int_or(spec.get("parallelism"), 1), 0)
        indexed = spec.get("completionMode") == "Indexed"
        done_indexes = {_index(p) for p in succeeded}
        if indexed and isinstance(completions, int):
            complete = all(i in done_indexes for i in range(completions))
        elif isinstance(completions, int):
            complete = len(succeeded) >= completions
        else:  # a work queue: done once one succeeded and none runs
            complete = bool(succeeded) and not running
        limit = int_or(spec.get("backoffLimit"), 6)
        # restartPolicy OnFailure: the kubelet's restarts count as failures
        restarts = sum(
            int_or(get(c, "restartCount"), 0)
            for p in running
            for c in as_list(get(p, "status", "containerStatuses"))
        )
        deadline = spec.get("activeDeadlineSeconds")
        started = parse_time(status.get("startTime"))
        if complete:
            for pod in running:
                self._delete(job, pod)
            self._finish(
                job,
                status,
                "Complete",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
            )
            status["completionTime"] = now()
            self._counts(status, [], succeeded, failed)
            self.api.update_status(JOBS, job, status, MANAGER)
            self._event(job, "Normal", "Completed", "Job completed")
            return
        if len(failed) + restarts > limit or (
            isinstance(deadline, int)
            and started is not None
            and self.clock.simulated_since(started) >= deadline
        ):
            over = len(failed) + restarts > limit
            reason = "BackoffLimitExceeded" if over else "DeadlineExceeded"
            message = (
                "Job has reached the specified backoff limit"
                if over
                else "Job was active longer than specified deadline"
            )
            for pod in running:
                self._delete(job, pod)
            self._finish(job, status, "Failed", reason, message)
            self._counts(status, [], succeeded, failed)
            self.api.update_status(JOBS, job, status, MANAGER)
            self._event(job, "Warning", reason, message)
            return
        if isinstance(deadline, int) and started is not None:
            self.after(
                max(deadline - self.clock.simulated_since(started), 0) + 0.01, key
            )
        if isinstance(completions, int):
            remaining = completions - (len(done_indexes) if indexed else len(succeeded))
            wanted = min(parallelism, max(remaining, 0))
        else:
            wanted = parallelism if not succeeded else 0
        if len(running) < wanted:
            busy = {_index(p) for p in running} | done_indexes
            free = (
                [i for i in range(int(completions or 0)) if i not in busy]
                if indexed
                else []
            )
            for n in range(wanted - len(running)):
                index = free[n] if indexed and n < len(free) else None
                if indexed and index is None:
                    break
                created = self._create(job, index)
                if created is None:
                    break
                running.append(created)
        elif len(running) > wanted:
            for pod in running[wanted:]:
                self._delete(job, pod)
            running = running[:wanted]
        self._counts(status, running, succeeded, failed)
        self.api.update_status(JOBS, job, status, MANAGER)

    def _create(self, job: dict[str, Any], index: int | None) -> dict[str, Any] | None:
        body = pod_from_template(job, "batch/v1", "Job", get(job, "spec", "template"))
        if index is not None:
            meta = body["metadata"]
            meta["generateName"] = f"{name_of(job)}-{index}-"
            meta.setdefault("annotations", {})[INDEX] = str(index)
            meta.setdefault("labels", {})[INDEX] = str(index)
            body["spec"].setdefault("hostname", f"{name_of(job)}-{index}")
        created = self.api.create(PODS, body, MANAGER)
        if created is not None:
            self._event(
                job, "Normal", "SuccessfulCreate", f"Created pod: {name_of(created)}"
            )
        return created

    def _delete(self, job: dict[str, Any], pod: dict[str, Any]) -> None:
        if self.api.delete(PODS, namespace_of(pod), name_of(pod), manager=MANAGER):
            self._event(
                job, "Normal", "SuccessfulDelete", f"Deleted pod: {name_of(pod)}"
            )

    def _event(
        self, job: dict[str, Any], type_: str, reason: str, message: str
    ) -> None:
        self.api.event(job, "Job", "batch/v1", type_, reason, message, MANAGER)

    def _finish(
        self,
        job: dict[str, Any],
        status: dict[str, Any],
        kind: str,
        reason: str,
        message: str,
    ) -> None:
        stamp = now()
        target = "SuccessCriteriaMet" if kind == "Complete" else "FailureTarget"
        conditions = [
            c for c in as_list(status.get("conditions")) if isinstance(c, dict)
        ]
        for type_ in (target, kind):
            conditions.append(
                {
                    "type": type_,
                    "status": "True",
                    "lastProbeTime": stamp,
                    "lastTransitionTime": stamp,
                    "reason": reason,
                    "message": message,
                }
            )
        status["conditions"] = conditions

    def _counts(
        self,
        status: dict[str, Any],
        running: list[Any],
        succeeded: list[Any],
        failed: list[Any],
    ) -> None:
        for key, value in (
            ("active", len(running)),
            ("succeeded", len(succeeded)),
            ("failed", len(failed)),
        ):
            if value:
                status[key] = value
            else:
                status.pop(key, None)
        status["ready"] = sum(1 for p in running if ready(p))
        status["uncountedTerminatedPods"] = {}
        indexes = sorted(i for i in (_index(p) for p in succeeded) if i is not None)
        if indexes:
            status["completedIndexes"] = _ranges(indexes)


def _ranges(indexes: list[int]) -> str:
    """1,2,3,5 -> "1-3,5" (the completedIndexes format)."""
    parts: list[str] = []
    start = prev = indexes[0]
    for i in indexes[1:]:
        if i == prev + 1:
            prev = i
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = i
    parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ",".join(parts)
