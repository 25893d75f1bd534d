"""What the simulated containers write to their logs (``pods/log``,
``kubectl logs [-f] [--previous]``): on every start, the lines of the pod's
annotation ``simulation.kubeclient.dev/log.<container>`` (that container) or
``simulation.kubeclient.dev/log`` (every container), else one line saying it
started. A log the test set before the first start (``set_pod_log``) is the
test's: nothing is added to it. A restart makes the log so far ``previous``;
an exit ends ``follow`` readers, as a kubelet's log stream ends."""

from __future__ import annotations

from typing import Any

from ..engine.logs import PodLogs
from .podutil import get, name_of, namespace_of

PREFIX = "simulation.kubeclient.dev/log"


def lines_for(pod: Any, container: str, image: str) -> str:
    annotations = get(pod, "metadata", "annotations")
    if isinstance(annotations, dict):
        for key in (f"{PREFIX}.{container}", PREFIX):
            value = annotations.get(key)
            if isinstance(value, str):
                return value if not value or value.endswith("\n") else value + "\n"
    return f"simulated container {container} ({image}) started\n"


def started(logs: PodLogs, pod: Any, container: str, image: str, restarts: int) -> None:
    namespace, name = namespace_of(pod), name_of(pod)
    if restarts:
        logs.restarted(namespace, name, container)
    elif logs.has((namespace, name, container, False)):
        return  # set by the test
    logs.append((namespace, name, container, False), lines_for(pod, container, image))


def exited(logs: PodLogs, pod: Any, container: str) -> None:
    logs.exited(namespace_of(pod), name_of(pod), container)
