"""The CronJob controller on the simulated clock: a Job from jobTemplate at
every time the schedule names (five-field cron: numbers, ``*``, ranges, lists,
steps, month and weekday names, the ``@hourly``-style macros; ``timeZone``
ignored: UTC), as concurrencyPolicy allows (Allow, Forbid, Replace);
status.active, lastScheduleTime, lastSuccessfulTime; finished Jobs beyond the
history limits deleted."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime, timedelta, timezone
from typing import Any

from ..semantics.basics import copy_obj
from .api import CRONJOBS, JOBS
from .controller import WorkloadController
from .job import finished
from .podutil import (
    as_dict,
    condition,
    controller_ref,
    deleting,
    get,
    int_or,
    name_of,
    namespace_of,
    owner_ref,
    parse_time,
    uid_of,
)

MANAGER = "cronjob-controller"
SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp"
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_NAMES = {
    **{
        m: i + 1
        for i, m in enumerate(
            [
                "jan",
                "feb",
                "mar",
                "apr",
                "may",
                "jun",
                "jul",
                "aug",
                "sep",
                "oct",
                "nov",
                "dec",
            ]
        )
    },
    **{d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
}
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


class BadSchedule(ValueError):
    pass


def _field(text: str, low: int, high: int) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body in ("*", "?"):
            start, end = low, high
        elif "-" in body:
            a, _, b = body.partition("-")
            start, end = _value(a), _value(b)
        else:
            start = _value(body)
            end = high if step_text else start
        if step < 1 or start < low or end > high or start > end:
            raise BadSchedule(text)
        out.update(range(start, end + 1, step))
    return out


def _value(text: str) -> int:
    text = text.strip().lower()
    if text in _NAMES:
        return _NAMES[text]
    if not text.isdigit():
        raise BadSchedule(text)
    return int(text)


def parse_schedule(schedule: str) -> tuple[set[int], ...]:
    text = _MACROS.get(schedule.strip(), schedule.strip())
    if text.startswith(("TZ=", "CRON_TZ=")):
        text = text.partition(" ")[2]
    parts = text.split()
    if len(parts) != 5:
        raise BadSchedule(schedule)
    fields = [_field(p, lo, hi) for p, (lo, hi) in zip(parts, _RANGES, strict=True)]
    if 7 in fields[4]:
        fields[4].add(0)
    return tuple(fields)


def next_time(fields: tuple[set[int], ...], after: datetime) -> datetime | None:
    """The first minute after ``after`` the schedule names (within a year)."""
    minutes, hours, days, months, weekdays = fields
    moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(366 * 24 * 60):
        cron_weekday = (moment.weekday() + 1) % 7
        if (
            moment.month in months
            and moment.day in days
            and cron_weekday in weekdays
            and moment.hour in hours
            and moment.minute in minutes
        ):
            return moment
        if (
            moment.month not in months
            or moment.day not in days
            or cron_weekday not in weekdays
        ):
            moment = (moment + timedelta(days=1)).replace(hour=0, minute=0)
        elif moment.hour not in hours:
            moment = (moment + timedelta(hours=1)).replace(minute=0)
        else:
            moment += timedelta(minutes=1)
    return None


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class CronJobs(WorkloadController):
    name = MANAGER
    owner = CRONJOBS
    owner_kind = "CronJob"
    owned = JOBS

    def sync(self, key: Hashable) -> None:
        assert isinstance(key, tuple)  # (namespace, name)
        cron = self.owner_to_sync(key)
        if cron is None:
            return
        spec = as_dict(cron.get("spec"))
        try:
            fields = parse_schedule(str(spec.get("schedule") or ""))
        except (BadSchedule, ValueError):
            self._event(
                cron,
                "Warning",
                "UnparseableSchedule",
                f"unparseable schedule: {spec.get('schedule')!r}",
            )
            return
        jobs = [
            j
            for j in self.api.list(JOBS, key[0])
            if get(controller_ref(j), "uid") == uid_of(cron)
        ]
        running = [j for j in jobs if not finished(j) and not deleting(j)]
        status = copy_obj(as_dict(cron.get("status")))
        now_sim = self.clock.datetime()
        last = parse_time(status.get("lastScheduleTime")) or parse_time(
            get(cron, "metadata", "creationTimestamp")
        )
        last = last or now_sim
        due = next_time(fields, last)
        if due is not None and due <= now_sim and not spec.get("suspend"):
            policy = spec.get("concurrencyPolicy", "Allow")
            if policy == "Forbid" and running:
                pass  # skipped: the next run waits for this one
            else:
                if policy == "Replace":
                    for job in running:
                        self.api.delete(
                            JOBS,
                            key[0],
                            name_of(job),
                            propagation="Background",
                            manager=MANAGER,
                        )
                        self._event(
                            cron,
                            "Normal",
                            "SuccessfulDelete",
                            f"Deleted job {name_of(job)}",
                        )
                    running = []
                created = self._create(cron, due)
                if created is not None:
                    running.append(created)
                status["lastScheduleTime"] = _stamp(due)
            due = next_time(fields, now_sim)
        for job in jobs:
            if finished(job) and condition(job, "Complete") is not None:
                done = get(job, "status", "completionTime")
                if done and (
                    not status.get("lastSuccessfulTime")
                    or done > status["lastSuccessfulTime"]
                ):
                    status["lastSuccessfulTime"] = done
        status["active"] = [
            {
                "kind": "Job",
                "namespace": key[0],
                "name": name_of(j),
                "uid": uid_of(j),
                "apiVersion": "batch/v1",
                "resourceVersion": str(get(j, "metadata", "resourceVersion") or ""),
            }
            for j in running
        ]
        if not status["active"]:
            del status["active"]
        self._cleanup(cron, jobs)
        self.api.update_status(CRONJOBS, cron, status, MANAGER)
        if due is not None:
            wait = (due - now_sim).total_seconds()
            self.after(max(wait, 0.0) + 0.001, key)

    def _create(self, cron: dict[str, Any], due: datetime) -> dict[str, Any] | None:
        template = copy_obj(as_dict(get(cron, "spec", "jobTemplate")))
        meta = as_dict(template.get("metadata"))
        name = f"{name_of(cron)}-{int(due.timestamp() // 60)}"
        body: dict[str, Any] = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "namespace": namespace_of(cron),
                "labels": dict(as_dict(meta.get("labels"))),
                "annotations": {
                    **as_dict(meta.get("annotations")),
                    SCHEDULED: _stamp(due),
                },
                "ownerReferences": [owner_ref(cron, "batch/v1", "CronJob")],
            },
            "spec": as_dict(template.get("spec")),
        }
        if not body["metadata"]["labels"]:
            del body["metadata"]["labels"]
        created = self.api.create(JOBS, body, MANAGER)
        if created is not None:
            self._event(cron, "Normal", "SuccessfulCreate", f"Created job {name}")
        return created

    def _cleanup(self, cron: dict[str, Any], jobs: list[dict[str, Any]]) -> None:
        spec = as_dict(cron.get("spec"))
        for kind, limit in (
            ("Complete", int_or(spec.get("successfulJobsHistoryLimit"), 3)),
            ("Failed", int_or(spec.get("failedJobsHistoryLimit"), 1)),
        ):
            done = [
                j
                for j in jobs
                if condition(j, kind) is not None
                and get(condition(j, kind), "status") == "True"
            ]
            done.sort(key=lambda j: str(get(j, "metadata", "creationTimestamp") or ""))
            for job in done[: max(len(done) - max(limit, 0), 0)]:
                if self.api.delete(
                    JOBS,
                    namespace_of(job),
                    name_of(job),
                    propagation="Background",
                    manager=MANAGER,
                ):
                    self._event(
                        cron,
                        "Normal",
                        "SuccessfulDelete",
                        f"Deleted job {name_of(job)}",
                    )

    def _event(
        self, cron: dict[str, Any], type_: str, reason: str, message: str
    ) -> None:
        self.api.event(cron, "CronJob", "batch/v1", type_, reason, message, MANAGER)
