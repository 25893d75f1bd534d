"""One controller process: clients, event recorder, and the controllers it runs.

Three ways to run (the flags of ``python -m examples.sample_controller``):

- alone: one controller over every Foo;
- ``--leader-elect``: replicas elect a leader through one Lease; only the leader
  runs its controller, the others wait to take over;
- ``--shards N [--shard-leases]``: Foos and Deployments are split into N shards by
  namespace, each shard its own informers (the server sends each shard only its
  objects), workqueue and workers. Without ``--shard-leases`` this process runs all
  N; with it, the replicas share the shards through Leases (see shards.py).

Shards hash the namespace, not the uid: a Foo and the Deployment it owns must
reach the same replica, and only the namespace is common to both.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from kubeclient import ClientSet, Context
from kubeclient.config import Config
from kubeclient.informers import SharedInformerFactory
from kubeclient.sharding import Shard

from .blocks import (
    EventBroadcaster,
    LeaderCallbacks,
    LeaderElectionConfig,
    LeaderElector,
    LeaseLock,
    Recorder,
)
from .controller import (
    CONTROLLER_AGENT_NAME,
    Controller,
    SyncHook,
    SyncResult,
)
from .samplecontroller import ClientSet as SampleClientSet
from .samplecontroller.informers import (
    SharedInformerFactory as SampleSharedInformerFactory,
)
from .shards import ShardLeaseConfig, ShardLeaseManager

__all__ = ["Options", "Replica", "default_identity"]

log = logging.getLogger(__name__)

#: Called after each sync: (replica identity, shard index or None, the sync).
ReplicaSyncHook = Callable[[str, "int | None", SyncResult], None]

_STOP_SECONDS = 10.0


def default_identity() -> str:
    """hostname_<random>, as client-go's examples make it: unique per process."""
    return f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Options:
    workers: int = 2
    shards: int = 0  # 0: not sharded
    shard_leases: bool = False
    leader_elect: bool = False
    identity: str = ""
    lease_namespace: str = "default"
    lease_name: str = CONTROLLER_AGENT_NAME
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    #: give Leases back on a clean exit (a killed process cannot)
    release_on_exit: bool = True
    resync_period: float = 30.0
    namespace: str | None = None  # None: every namespace

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}")
        if self.shards < 0:
            raise ValueError(
                f"shards must be 0 (not sharded) or more, not {self.shards}"
            )
        if self.shard_leases and self.shards < 1:
            raise ValueError("shard leases need a number of shards (--shards N)")
        if not 0 < self.retry_period < self.renew_deadline < self.lease_duration:
            raise ValueError(
                "need 0 < retry period < renew deadline < lease duration, not "
                f"{self.retry_period}, {self.renew_deadline}, {self.lease_duration}"
            )
        if self.shard_leases and self.leader_elect:
            raise ValueError(
                "leader election and shard leases exclude each other: with shard "
                "leases every replica works, on its own shards"
            )


class ShardController:
    """One shard's (or the whole cluster's) informers, queue and workers."""

    def __init__(
        self,
        kube: ClientSet,
        sample: SampleClientSet,
        recorder: Recorder,
        options: Options,
        shard: Shard | None,
        on_synced: SyncHook | None,
    ) -> None:
        self.shard = shard
        self._ctx: Context | None = None
        self._done = threading.Event()
        self._kube_factory = SharedInformerFactory(
            kube,
            namespace=options.namespace,
            shard=shard,
            resync_period=options.resync_period,
        )
        self._sample_factory = SampleSharedInformerFactory(
            sample,
            namespace=options.namespace,
            shard=shard,
            resync_period=options.resync_period,
        )
        name = "Foos" if shard is None else f"Foos shard {shard.index}"
        self.controller = Controller(
            kube,
            sample,
            self._kube_factory.apps_v1.deployments(),
            self._sample_factory.samplecontroller_v1alpha1.foos(),
            recorder,
            name=name,
            on_synced=on_synced,
        )
        self._workers = options.workers

    def start(self, parent: Context) -> None:
        ctx = self._ctx = parent.child()
        self._kube_factory.start(ctx)
        self._sample_factory.start(ctx)
        threading.Thread(
            target=self._run, args=(ctx,), name="controller", daemon=True
        ).start()

    def _run(self, ctx: Context) -> None:
        try:
            self.controller.run(self._workers, ctx)
        except Exception:
            log.exception("controller failed")
        finally:
            self._done.set()

    def stop(self, timeout: float = _STOP_SECONDS) -> None:
        """Stop taking work and wait for the workers (their requests in flight
        end with the context); the informers' threads end on their own."""
        if self._ctx is None:
            return
        self._ctx.cancel()
        if not self._done.wait(timeout):
            log.warning("controller did not stop within %.0fs", timeout)

    def join(self, timeout: float = 2.0) -> None:
        """Wait for the informers' threads (after stop)."""
        self._kube_factory.shutdown(timeout=timeout)
        self._sample_factory.shutdown(timeout=timeout)


class Replica:
    """A controller process: ``run(ctx)`` until ctx is done (or leadership is lost).

    Takes a client Config; ``on_synced`` sees every sync of every shard."""

    def __init__(
        self,
        config: Config,
        options: Options | None = None,
        *,
        on_synced: ReplicaSyncHook | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        """``recorder`` replaces the events written to the server (a test's fake)."""
        self.options = options = options or Options()
        self.identity = options.identity or default_identity()
        self.kube = ClientSet(config)
        self.sample = SampleClientSet(config)
        self.on_synced = on_synced
        self.broadcaster = EventBroadcaster(self.kube)
        self.recorder = recorder or self.broadcaster.new_recorder(
            component=CONTROLLER_AGENT_NAME, reporting_instance=self.identity
        )
        self._running: dict[int | None, ShardController] = {}
        self._stopped: list[ShardController] = []
        self._lock = threading.Lock()
        self._ctx: Context | None = None
        self.shard_manager: ShardLeaseManager | None = None
        self.elector: LeaderElector | None = None

    def __repr__(self) -> str:
        return f"<Replica {self.identity} shards {sorted(self.running_shards())}>"

    def running_shards(self) -> set[int]:
        """Shards whose controllers run here ({-1} for an unsharded controller)."""
        with self._lock:
            return {-1 if s is None else s for s in self._running}

    def is_working(self) -> bool:
        with self._lock:
            return bool(self._running)

    # ------------------------------------------------------------------ run

    def run(self, ctx: Context) -> None:
        self._ctx = ctx
        options = self.options
        try:
            if options.shard_leases:
                self.shard_manager = ShardLeaseManager(
                    self.kube,
                    self.identity,
                    ShardLeaseConfig(
                        shards=options.shards,
                        namespace=options.lease_namespace,
                        name=options.lease_name,
                        lease_duration=options.lease_duration,
                        renew_deadline=options.renew_deadline,
                        retry_period=options.retry_period,
                    ),
                    on_acquired=lambda i: self._start(i, ctx),
                    on_lost=self._stop,
                    release_on_cancel=options.release_on_exit,
                )
                self.shard_manager.run(ctx)
            elif options.leader_elect:
                self._run_elected(ctx)
            else:
                self._run_all(ctx)
        finally:
            self._stop_all()
            for runner in self._stopped:
                runner.join()
            self.broadcaster.shutdown()
            self.kube.close()
            self.sample.close()

    def _run_all(self, ctx: Context) -> None:
        """Every shard (or one unsharded controller) here, until ctx is done."""
        indices: list[int | None] = (
            list(range(self.options.shards)) if self.options.shards else [None]
        )
        for index in indices:
            self._start(index, ctx)
        while not ctx.wait(3600):
            pass
        self._stop_all()

    def _run_elected(self, ctx: Context) -> None:
        leading_done = threading.Event()
        leading_done.set()

        def lead(lead_ctx: Context) -> None:
            leading_done.clear()
            log.info("%s: started leading", self.identity)
            try:
                self._run_all(lead_ctx)
            finally:
                leading_done.set()

        def stopped() -> None:
            log.info("%s: stopped leading", self.identity)
            # the workers stop before the Lease can go to another
            self._stop_all()
            leading_done.wait(_STOP_SECONDS)

        options = self.options
        self.elector = LeaderElector(
            LeaderElectionConfig(
                lock=LeaseLock(
                    self.kube,
                    namespace=options.lease_namespace,
                    name=options.lease_name,
                    identity=self.identity,
                ),
                lease_duration=options.lease_duration,
                renew_deadline=options.renew_deadline,
                retry_period=options.retry_period,
                callbacks=LeaderCallbacks(
                    on_started_leading=lead,
                    on_stopped_leading=stopped,
                    on_new_leader=lambda who: log.info("new leader: %s", who),
                ),
                release_on_cancel=options.release_on_exit,
            )
        )
        self.elector.run(ctx)

    # ------------------------------------------------------------------ shards

    def _start(self, index: int | None, ctx: Context) -> None:
        shard = (
            None
            if index is None
            else Shard(index, self.options.shards, field="namespace")
        )

        def synced(result: SyncResult) -> None:
            if self.on_synced is not None:
                self.on_synced(self.identity, index, result)

        runner = ShardController(
            self.kube, self.sample, self.recorder, self.options, shard, synced
        )
        with self._lock:
            if index in self._running:
                return
            self._running[index] = runner
        log.info(
            "%s: starting %s",
            self.identity,
            "all" if index is None else f"shard {index}",
        )
        runner.start(ctx)

    def _stop(self, index: int | None) -> None:
        with self._lock:
            runner = self._running.pop(index, None)
        if runner is not None:
            log.info(
                "%s: stopping %s",
                self.identity,
                "all" if index is None else f"shard {index}",
            )
            runner.stop()
            with self._lock:  # joined at exit; only the last few are kept
                self._stopped = [
                    *self._stopped[-(2 * max(1, self.options.shards)) :],
                    runner,
                ]

    def _stop_all(self) -> None:
        with self._lock:
            indices = list(self._running)
        for index in indices:
            self._stop(index)


def identity_from_env() -> str:
    """POD_NAME when run in a pod (the downward API), else hostname_<random>."""
    return os.environ.get("POD_NAME") or default_identity()
