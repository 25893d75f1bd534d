"""The simulated nodes' kubelets: a pod bound to one of them goes Pending
(ContainerCreating) -> Running with a podIP and hostIP, containers started and
ready (after a readiness probe's initial delay), the Ready condition; containers
exit and restart as restartPolicy says (CrashLoopBackOff with back-off);
deleted pods stop gracefully and go once their grace period is over.

What containers do is steered per pod by annotations (so kubectl and other
clients can use them too) or from Python (``exit_container``, ``crash_loop``,
``set_ready``)::

    simulation.kubeclient.dev/start-seconds   ContainerCreating time (default 1)
    simulation.kubeclient.dev/run-seconds     run time before exiting (default:
                                              1 for restartPolicy Never/OnFailure,
                                              forever for Always)
    simulation.kubeclient.dev/exit-code       the code containers exit with (0)
    simulation.kubeclient.dev/crash-loop      "true": exit 1 right after starting
    simulation.kubeclient.dev/ready           "false": readiness never passes
    simulation.kubeclient.dev/stop-seconds    time to stop once deleted (default:
                                              the grace period)
    simulation.kubeclient.dev/log[.NAME]      the lines containers (NAME) log on
                                              each start (:mod:`.containerlogs`)
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from ..engine.store import Event
from ..semantics.basics import DeleteOptions, Write, copy_obj, now
from ..semantics.resource import Resource
from . import containerlogs
from .api import PODS
from .controller import Controller, Loop
from .nodes import Nodes
from .podutil import (
    as_dict,
    as_list,
    deleting,
    get,
    int_or,
    name_of,
    namespace_of,
    terminal,
    uid_of,
)

PREFIX = "simulation.kubeclient.dev/"
KUBELET = "kubelet"
_BACKOFF_START = 10.0
_BACKOFF_MAX = 300.0


def _annotation_float(pod: Any, key: str) -> float | None:
    value = get(pod, "metadata", "annotations", PREFIX + key)
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


@dataclass
class Run:
    """One container as the kubelet runs it."""

    name: str
    image: str
    pull_policy: str
    state: str = "waiting"  # waiting, running, terminated
    reason: str = "ContainerCreating"
    started_at: str | None = None
    ready: bool = False
    restarts: int = 0
    last_state: dict[str, Any] = field(default_factory=dict)
    terminated: dict[str, Any] | None = None
    due: float | None = None
    next: str = ""  # start, ready, exit, restart
    exit_code: int | None = None  # what the next exit is with
    exit_at: float | None = None  # when it exits, once ready (probe delays)
    container_id: str = ""
    finished: bool = False  # terminated for good (no restart)


@dataclass
class PodRun:
    uid: str
    node: str
    host_ip: str
    pod_ip: str = ""
    start_time: str = ""
    runs: list[Run] = field(default_factory=list)
    init: list[dict[str, Any]] = field(default_factory=list)
    killing: bool = False
    remove_due: float | None = None


class Kubelet(Controller):
    name = KUBELET

    def __init__(self, loop: Loop, nodes: Nodes) -> None:
        super().__init__(loop)
        self.nodes = nodes
        self._pods: dict[tuple[str, str], PodRun] = {}
        self._ips: dict[str, set[int]] = {}
        #: (namespace, pod) -> {container or "": overrides} set from Python
        self._overrides: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    # ------------------------------------------------------------------ test hooks

    def exit_container(
        self, namespace: str, pod: str, container: str | None = None, code: int = 0
    ) -> None:
        """Make a running container exit with ``code`` now (all when None)."""
        self._override(namespace, pod, container, exit_now=code)

    def crash_loop(
        self, namespace: str, pod: str, container: str | None = None
    ) -> None:
        """Make a container exit 1 every time it starts (CrashLoopBackOff)."""
        self._override(namespace, pod, container, crash_loop=True)

    def set_ready(
        self, namespace: str, pod: str, ready: bool, container: str | None = None
    ) -> None:
        """Make readiness pass or fail from now on."""
        self._override(namespace, pod, container, ready=ready)

    def _override(
        self, namespace: str, pod: str, container: str | None, **values: Any
    ) -> None:
        with self.loop.store.lock:
            entry = self._overrides.setdefault((namespace, pod), {})
            entry.setdefault(container or "", {}).update(values)
            self.loop.enqueue(self, (namespace, pod))
        with self.loop.store.changed:
            self.loop.store.changed.notify_all()

    def _setting(self, pod: Any, run: Run, key: str) -> Any:
        entry = self._overrides.get((namespace_of(pod), name_of(pod))) or {}
        for scope in (run.name, ""):
            if key in entry.get(scope, {}):
                return entry[scope][key]
        return None

    # ------------------------------------------------------------------ deletion

    def graceful_delete(
        self,
        resource: Resource,
        old: dict[str, Any],
        options: DeleteOptions,
        write: Write,
    ) -> tuple[dict[str, Any], bool]:
        """DELETE of a pod: a running pod on a simulated node is marked
        (deletionTimestamp, deletionGracePeriodSeconds) and stopped by its
        kubelet; others go at once, as the real pod strategy decides."""
        objects = self.api.objects
        node = get(old, "spec", "nodeName")
        grace = options.grace_period
        if grace is None:
            grace = int_or(get(old, "spec", "terminationGracePeriodSeconds"), 30)
        if grace <= 0 or not node or node not in self.nodes.addresses or terminal(old):
            return objects.delete_now(resource, old, options, write)
        meta = old["metadata"]
        current = meta.get("deletionGracePeriodSeconds")
        if (
            meta.get("deletionTimestamp")
            and isinstance(current, int)
            and current <= grace
        ):
            return old, False
        new = copy_obj(old)
        new["metadata"]["deletionTimestamp"] = now()
        new["metadata"]["deletionGracePeriodSeconds"] = grace
        if write.dry_run:
            return new, False
        stored = self.api.store.put(resource.storage_key, new)
        return stored, False

    # ------------------------------------------------------------------ syncing

    def observe(self, event: Event) -> None:
        if event.key != ("", "pods"):
            return
        key = (namespace_of(event.obj), name_of(event.obj))
        if event.type == "DELETED":
            self._forget(key)
            return
        node = get(event.obj, "spec", "nodeName")
        if node and node in self.nodes.addresses:
            self.enqueue(key)

    def start(self) -> None:
        for pod in self.api.list(PODS):
            if get(pod, "spec", "nodeName") in self.nodes.addresses:
                self.enqueue((namespace_of(pod), name_of(pod)))

    def _forget(self, key: tuple[str, str]) -> None:
        record = self._pods.pop(key, None)
        self._overrides.pop(key, None)
        if record is not None and record.pod_ip:
            index = int(record.pod_ip.rpartition(".")[2])
            self._ips.get(record.node, set()).discard(index)

    def sync(self, key: Hashable) -> None:
        assert isinstance(key, tuple)
        pod = self.api.get(PODS, *key)
        record = self._pods.get(key)
        if pod is None:
            self._forget(key)
            return
        node = get(pod, "spec", "nodeName")
        if node not in self.nodes.addresses:
            return
        if record is None or record.uid != uid_of(pod):
            if terminal(pod) and not deleting(pod):
                return  # finished before we knew it (a fixture): leave it be
            record = self._admit(pod, str(node))
        now_sim = self.clock.now()
        if deleting(pod):
            self._stop(pod, record, now_sim)
            if record.remove_due is not None and record.remove_due <= now_sim:
                self.api.delete(
                    PODS, *key, grace_period=0, uid=record.uid, manager=KUBELET
                )
                return
        else:
            self._advance(pod, record, now_sim)
        self._write(pod, record)
        dues = [r.due for r in record.runs if r.due is not None]
        if record.remove_due is not None:
            dues.append(record.remove_due)
        if dues:
            self.after(max(min(dues) - now_sim, 0.0), key)

    def _admit(self, pod: dict[str, Any], node: str) -> PodRun:
        key = (namespace_of(pod), name_of(pod))
        self._forget(key) if key in self._pods else None
        _, host_ip = self.nodes.addresses[node]
        record = PodRun(uid_of(pod), node, host_ip, start_time=now())
        start = _annotation_float(pod, "start-seconds")
        due = self.clock.now() + (1.0 if start is None else max(start, 0.0))
        for init in as_list(get(pod, "spec", "initContainers")):
            if isinstance(init, dict):
                record.init.append(init)
        for container in as_list(get(pod, "spec", "containers")):
            if not isinstance(container, dict):
                continue
            image = str(container.get("image") or "")
            run = Run(
                str(container.get("name") or ""),
                image,
                str(container.get("imagePullPolicy") or "IfNotPresent"),
                due=due,
                next="start",
            )
            record.runs.append(run)
            self._pull_events(pod, run, node)
        self._pods[key] = record
        return record

    def _pull_events(self, pod: dict[str, Any], run: Run, node: str) -> None:
        if run.pull_policy == "Always":
            self._event(
                pod, "Normal", "Pulling", f'Pulling image "{run.image}"', node, run.name
            )
            self._event(
                pod,
                "Normal",
                "Pulled",
                f'Successfully pulled image "{run.image}" in 1s (1s including '
                "waiting). Image size: 0 bytes.",
                node,
                run.name,
            )
        else:
            self._event(
                pod,
                "Normal",
                "Pulled",
                f'Container image "{run.image}" already present on machine',
                node,
                run.name,
            )

    def _event(
        self,
        pod: dict[str, Any],
        type_: str,
        reason: str,
        message: str,
        node: str,
        container: str = "",
    ) -> None:
        path = f"spec.containers{{{container}}}" if container else ""
        self.api.event(pod, "Pod", "v1", type_, reason, message, KUBELET, node, path)

    # ------------------------------------------------------------------ containers

    def _advance(self, pod: dict[str, Any], record: PodRun, now_sim: float) -> None:
        policy = str(get(pod, "spec", "restartPolicy") or "Always")
        for run in record.runs:
            code = self._setting(pod, run, "exit_now")
            if code is not None and run.state == "running":
                self._clear(pod, run, "exit_now")
                run.exit_code = int(code)
                run.due, run.next = now_sim, "exit"
            while run.due is not None and run.due <= now_sim:
                at, step = run.due, run.next
                run.due, run.next = None, ""
                if step in ("start", "restart"):
                    self._start(pod, record, run, at, policy)
                elif step == "ready":
                    run.ready = self._setting(pod, run, "ready") is not False
                    if run.exit_at is not None:
                        run.due, run.next = max(run.exit_at, at), "exit"
                        run.exit_at = None
                elif step == "exit":
                    self._exit(pod, record, run, at, policy)
            if run.state == "running":
                wanted = self._setting(pod, run, "ready")
                if wanted is not None:
                    run.ready = bool(wanted)

    def _clear(self, pod: Any, run: Run, key: str) -> None:
        entry = self._overrides.get((namespace_of(pod), name_of(pod))) or {}
        for scope in (run.name, ""):
            entry.get(scope, {}).pop(key, None)

    def _start(
        self, pod: dict[str, Any], record: PodRun, run: Run, at: float, policy: str
    ) -> None:
        if not record.pod_ip:
            record.pod_ip = self._allocate_ip(record.node)
        if run.restarts:
            self._pull_events(pod, run, record.node)
        run.state, run.reason = "running", ""
        run.started_at = now()
        containerlogs.started(
            self.api.core.logs, pod, run.name, run.image, run.restarts
        )
        run.container_id = "containerd://" + _digest(
            record.uid, run.name, str(run.restarts)
        )
        for reason, message in (
            ("Created", f"Created container: {run.name}"),
            ("Started", f"Started container {run.name}"),
        ):
            self._event(pod, "Normal", reason, message, record.node, run.name)
        spec = self._container_spec(pod, run.name)
        probe = as_dict(spec.get("readinessProbe"))
        fails = (
            _annotation(pod, "ready") == "false"
            or self._setting(pod, run, "ready") is False
        )
        if probe:
            delay = max(int_or(probe.get("initialDelaySeconds"), 0), 0)
            if delay and not fails:
                run.ready = False
                run.due, run.next = at + delay, "ready"
            else:
                run.ready = not fails
        else:
            run.ready = not fails
        crash = (
            self._setting(pod, run, "crash_loop")
            or _annotation(pod, "crash-loop") == "true"
        )
        run_for = _annotation_float(pod, "run-seconds")
        code = _annotation_float(pod, "exit-code")
        if crash:
            run.exit_code = 1
            run_for = 0.0
        elif run_for is None and (policy != "Always" or code is not None):
            run_for = 1.0
        if run_for is not None:
            run.exit_code = int(code or 0) if run.exit_code is None else run.exit_code
            if run.due is None:
                run.due, run.next = at + max(run_for, 0.0), "exit"
            else:  # readiness first, then the exit
                run.exit_at = at + max(run_for, 0.0)

    def _exit(
        self, pod: dict[str, Any], record: PodRun, run: Run, at: float, policy: str
    ) -> None:
        code = int(run.exit_code or 0)
        run.exit_code = None
        terminated = {
            "exitCode": code,
            "reason": "Completed" if code == 0 else "Error",
            "startedAt": run.started_at,
            "finishedAt": now(),
            "containerID": run.container_id,
        }
        run.ready = False
        containerlogs.exited(self.api.core.logs, pod, run.name)
        restart = policy == "Always" or (policy == "OnFailure" and code != 0)
        if not restart:
            run.state, run.terminated, run.finished = "terminated", terminated, True
            return
        run.last_state = {"terminated": terminated}
        run.restarts += 1
        backoff = min(_BACKOFF_START * 2 ** (run.restarts - 1), _BACKOFF_MAX)
        run.state, run.reason, run.terminated = "waiting", "CrashLoopBackOff", None
        run.due, run.next = at + backoff, "restart"
        self._event(
            pod,
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {run.name} in pod "
            f"{name_of(pod)}_{namespace_of(pod)}({record.uid})",
            record.node,
            run.name,
        )

    def _stop(self, pod: dict[str, Any], record: PodRun, now_sim: float) -> None:
        if record.killing:
            return
        record.killing = True
        grace = int_or(get(pod, "metadata", "deletionGracePeriodSeconds"), 30)
        stop = _annotation_float(pod, "stop-seconds")
        record.remove_due = now_sim + (grace if stop is None else min(stop, grace))
        for run in record.runs:
            if run.state == "running":
                self._event(
                    pod,
                    "Normal",
                    "Killing",
                    f"Stopping container {run.name}",
                    record.node,
                    run.name,
                )
            run.due, run.next, run.ready = None, "", False

    def _container_spec(self, pod: Any, name: str) -> dict[str, Any]:
        for container in as_list(get(pod, "spec", "containers")):
            if isinstance(container, dict) and container.get("name") == name:
                return container
        return {}

    def _allocate_ip(self, node: str) -> str:
        index, _ = self.nodes.addresses[node]
        used = self._ips.setdefault(node, set())
        for host in range(2, 255):
            if host not in used:
                used.add(host)
                return f"10.244.{index}.{host}"
        return f"10.244.{index}.254"

    # ------------------------------------------------------------------ status

    def _write(self, pod: dict[str, Any], record: PodRun) -> None:
        old = as_dict(pod.get("status"))
        runs = record.runs
        started = any(r.state != "waiting" or r.restarts for r in runs)
        if runs and all(r.finished for r in runs):
            failed = any((r.terminated or {}).get("exitCode") for r in runs)
            phase = "Failed" if failed else "Succeeded"
        elif started:
            phase = "Running"
        else:
            phase = "Pending"
        if deleting(pod) and phase == "Pending":
            phase = str(old.get("phase") or "Pending")
        all_ready = bool(runs) and all(r.ready and r.state == "running" for r in runs)
        unready = [r.name for r in runs if not (r.ready and r.state == "running")]
        if phase in ("Succeeded", "Failed"):
            ready = ("False", "PodCompleted", "")
        elif all_ready:
            ready = ("True", "", "")
        else:
            ready = (
                "False",
                "ContainersNotReady",
                f"containers with unready status: [{' '.join(unready)}]",
            )
        wanted = [
            ("PodReadyToStartContainers", "True" if record.pod_ip else "False", "", ""),
            ("Initialized", "True", "", ""),
            ("Ready", *ready),
            ("ContainersReady", *ready),
            ("PodScheduled", "True", "", ""),
        ]
        status: dict[str, Any] = {
            "phase": phase,
            "conditions": _conditions(as_list(old.get("conditions")), wanted),
            "hostIP": record.host_ip,
            "hostIPs": [{"ip": record.host_ip}],
        }
        if record.pod_ip:
            status["podIP"] = record.pod_ip
            status["podIPs"] = [{"ip": record.pod_ip}]
        status["startTime"] = record.start_time
        if record.init:
            status["initContainerStatuses"] = [
                _init_status(c, record, started) for c in record.init
            ]
        status["containerStatuses"] = [_container_status(r) for r in runs]
        if "qosClass" in old:
            status["qosClass"] = old["qosClass"]
        self.api.update_status(PODS, pod, status, KUBELET)


def _annotation(pod: Any, key: str) -> Any:
    return get(pod, "metadata", "annotations", PREFIX + key)


def _conditions(
    old: list[Any], wanted: list[tuple[str, str, str, str]]
) -> list[dict[str, Any]]:
    before = {c.get("type"): c for c in old if isinstance(c, dict)}
    out = []
    stamp = now()
    for kind, status, reason, message in wanted:
        previous = before.get(kind)
        since = stamp
        if previous is not None and previous.get("status") == status:
            since = previous.get("lastTransitionTime") or stamp
        cond: dict[str, Any] = {
            "type": kind,
            "status": status,
            "lastProbeTime": None,
            "lastTransitionTime": since,
        }
        if reason:
            cond["reason"] = reason
        if message:
            cond["message"] = message
        out.append(cond)
    return out


def _image_id(image: str) -> str:
    name = (
        image.split("@")[0].rsplit(":", 1)[0]
        if ":" in image.rpartition("/")[2]
        else image
    )
    if "/" not in name:
        name = f"docker.io/library/{name}"
    return f"{name}@sha256:{_digest(image)}"


def _container_status(run: Run) -> dict[str, Any]:
    state: dict[str, Any]
    if run.state == "running":
        state = {"running": {"startedAt": run.started_at}}
    elif run.state == "terminated":
        state = {"terminated": run.terminated}
    else:
        waiting: dict[str, Any] = {"reason": run.reason}
        if run.reason == "CrashLoopBackOff" and run.last_state:
            waiting["message"] = "back-off restarting failed container " + run.name
        state = {"waiting": waiting}
    status: dict[str, Any] = {
        "name": run.name,
        "state": state,
        "lastState": run.last_state,
        "ready": run.ready and run.state == "running",
        "restartCount": run.restarts,
        "image": run.image,
        "imageID": _image_id(run.image) if run.container_id else "",
        "started": run.state == "running",
    }
    if run.container_id:
        status["containerID"] = run.container_id
    return status


def _init_status(container: dict[str, Any], record: PodRun, started: bool) -> Any:
    name = str(container.get("name") or "")
    image = str(container.get("image") or "")
    if started:
        state: dict[str, Any] = {
            "terminated": {
                "exitCode": 0,
                "reason": "Completed",
                "startedAt": record.start_time,
                "finishedAt": record.start_time,
                "containerID": "containerd://" + _digest(record.uid, name),
            }
        }
    else:
        state = {"waiting": {"reason": "PodInitializing"}}
    return {
        "name": name,
        "state": state,
        "lastState": {},
        "ready": started,
        "restartCount": 0,
        "image": image,
        "imageID": _image_id(image) if started else "",
        "started": False,
    }
