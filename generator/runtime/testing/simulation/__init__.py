"""A simulated cluster inside the test API server (kwok's idea, in-process):
fake Ready nodes, a scheduler, kubelets that run pods through their lifecycle,
and the core controllers, all on a simulated clock. Opt-in::

    ApiServer(simulate=True)                    # or simulate=Simulation options
    python -m kubeclient.testing serve --simulate
    fake_clientset(simulate=True)

The controllers watch the engine's own store (no HTTP) and write through the
same object machinery as requests, so watches, resourceVersions, managedFields
and Events are real. What each does, and does not do, compared with the real
one: README "A simulated cluster"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .clock import SimClock
from .controller import Controller, Loop
from .cronjob import CronJobs
from .daemonset import DaemonSets
from .deployment import Deployments
from .endpoints import Endpoints
from .garbage import GarbageCollector
from .job import Jobs
from .kubelet import Kubelet
from .namespaces import Namespaces
from .nodes import Nodes, NodeSpec
from .replicaset import ReplicaSets
from .scheduler import Scheduler
from .statefulset import StatefulSets

if TYPE_CHECKING:
    from ..engine.core import Core
    from ..semantics.resource import Resource

__all__ = ["NodeSpec", "Simulation", "SimulationOptions"]


@dataclass(frozen=True)
class SimulationOptions:
    """``nodes``: how many fake nodes (named ``node-1`` ...), or their specs;
    ``time_scale``: simulated seconds per real second (10: a 30 s grace period
    takes 3 s)."""

    nodes: int | tuple[NodeSpec, ...] = 3
    time_scale: float = 1.0

    def check(self) -> None:
        """ValueError for options no simulation can run with."""
        self.node_specs()
        SimClock(self.time_scale)

    def node_specs(self) -> list[NodeSpec]:
        if isinstance(self.nodes, int):
            if self.nodes < 0:
                raise ValueError(f"nodes must be >= 0, not {self.nodes}")
            return [NodeSpec(f"node-{i + 1}") for i in range(self.nodes)]
        return list(self.nodes)


class Simulation:
    """The running simulation of one server's cluster: ``clock``, ``kubelet``
    (test hooks: exit_container, crash_loop, set_ready), ``errors`` (syncs that
    failed: a test can assert there were none), ``stop()``."""

    def __init__(self, core: Core, options: SimulationOptions | None = None) -> None:
        options = options or SimulationOptions()
        self.options = options
        self.clock = SimClock(options.time_scale)
        self.loop = Loop(core, self.clock)
        self.nodes = Nodes(self.loop, options.node_specs(), core.kubernetes_version)
        self.scheduler = Scheduler(self.loop)
        self.kubelet = Kubelet(self.loop, self.nodes)
        self.replicasets = ReplicaSets(self.loop)
        self.deployments = Deployments(self.loop)
        self.loop.controllers.extend(
            [
                self.nodes,
                self.scheduler,
                self.kubelet,
                self.deployments,
                self.replicasets,
            ]
        )
        self.loop.controllers.extend(_more_controllers(self.loop))
        self.garbage_collector = GarbageCollector(self.loop)
        self.namespaces = Namespaces(self.loop)
        self.loop.controllers.extend([self.garbage_collector, self.namespaces])
        objects = core.objects
        objects.deleters[("", "pods")] = self.kubelet.graceful_delete
        objects.deleters[("", "namespaces")] = self.namespaces.delete
        objects.foreground = self.garbage_collector.foreground
        objects.orphan = self.garbage_collector.orphan
        objects.cascade_now = False
        objects.on_delete.append(self._forget_pod)
        self.loop.start()

    @property
    def errors(self) -> list[str]:
        return self.loop.errors

    def stop(self) -> None:
        self.loop.stop()
        objects = self.loop.core.objects
        for key, deleter in (
            (("", "pods"), self.kubelet.graceful_delete),
            (("", "namespaces"), self.namespaces.delete),
        ):
            if objects.deleters.get(key) == deleter:
                del objects.deleters[key]
        objects.foreground = objects.orphan = None
        objects.cascade_now = True
        if self._forget_pod in objects.on_delete:
            objects.on_delete.remove(self._forget_pod)

    def _forget_pod(self, resource: Resource, obj: dict[str, Any]) -> None:
        """A pod gone: what the test registered in its runtime goes with it (a
        new pod of the same name is a new one)."""
        if resource.storage_key == ("", "pods"):
            meta = obj.get("metadata") or {}
            self.loop.core.pod_runtime.forget_pod(
                str(meta.get("namespace") or ""), str(meta.get("name") or "")
            )


def _more_controllers(loop: Loop) -> list[Controller]:
    """The controllers beyond the Deployment chain."""
    return [
        Jobs(loop),
        CronJobs(loop),
        StatefulSets(loop),
        DaemonSets(loop),
        Endpoints(loop),
    ]
