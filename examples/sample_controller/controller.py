"""The Foo controller: kubernetes/sample-controller's controller.go, in Python.

A Foo names a Deployment and a replica count. The controller watches Foos and
Deployments through shared informers, puts the key (``namespace/name``) of each Foo
that may need work on a rate-limited workqueue, and its workers converge each one:

- no Deployment of that name: create it, owned by the Foo (a controller
  ownerReference, so deleting the Foo deletes it and its events lead back here);
- a Deployment of that name that another owns: a Warning event ``ErrResourceExists``
  on the Foo, and the key is retried with backoff;
- replicas differ: update the Deployment;
- then ``status.availableReplicas`` follows the Deployment's (the status
  subresource), and a Normal ``Synced`` event.

Deployment events enqueue their controlling Foo, so a Deployment deleted or scaled
by hand is put back.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubeclient import ClientSet, Context
from kubeclient.cache import (
    DeletedFinalStateUnknown,
    Registration,
    deep_copy,
    split_key,
)
from kubeclient.errors import Cancelled, Conflict, NotFound
from kubeclient.informers.apps_v1 import DeploymentInformer
from kubeclient.models.apps_v1 import Deployment, DeploymentSpec
from kubeclient.models.core_v1 import Container, PodSpec, PodTemplateSpec
from kubeclient.models.meta_v1 import LabelSelector, ObjectMeta, OwnerReference

from .blocks import (
    RateLimitingQueue,
    Recorder,
    default_controller_rate_limiter,
    retry_on_conflict,
)
from .samplecontroller import ClientSet as SampleClientSet
from .samplecontroller.informers.samplecontroller_v1alpha1 import FooInformer
from .samplecontroller.models.samplecontroller_v1alpha1 import (
    Foo,
    FooSpec,
    FooStatus,
)

__all__ = [
    "CONTROLLER_AGENT_NAME",
    "ERR_RESOURCE_EXISTS",
    "MESSAGE_RESOURCE_EXISTS",
    "MESSAGE_RESOURCE_SYNCED",
    "SUCCESS_SYNCED",
    "Controller",
    "Recorder",
    "ResourceExists",
    "SyncHook",
    "SyncResult",
    "new_deployment",
]

log = logging.getLogger(__name__)

CONTROLLER_AGENT_NAME = "sample-controller"
FOO_API_VERSION = "samplecontroller.k8s.io/v1alpha1"
#: Event reason when a Foo is synced.
SUCCESS_SYNCED = "Synced"
#: Event reason when a Foo fails to sync because its Deployment belongs to another.
ERR_RESOURCE_EXISTS = "ErrResourceExists"
#: Event message of ERR_RESOURCE_EXISTS; %s is the Deployment's name, quoted as Go's %q.
MESSAGE_RESOURCE_EXISTS = "Resource %s already exists and is not managed by Foo"
MESSAGE_RESOURCE_SYNCED = "Foo synced successfully"


@dataclass(frozen=True)
class SyncResult:
    """One sync of one key: whether it succeeded, and when (time.monotonic())."""

    key: str
    ok: bool
    started: float
    finished: float


#: Called after each sync (a hook for tests and metrics).
SyncHook = Callable[[SyncResult], None]


class ResourceExists(Exception):
    """The Deployment a Foo names exists and is not controlled by that Foo."""


def go_quote(text: str) -> str:
    """``fmt.Sprintf("%q", text)`` for the names Kubernetes allows."""
    return json.dumps(text)


class Controller:
    """Converges Foos to their Deployments; ``run(workers, ctx)`` until ctx ends.

    The informers belong to the caller's factories: it starts them (before or after
    ``run``, which waits for their caches)."""

    def __init__(
        self,
        kube: ClientSet,
        sample: SampleClientSet,
        deployment_informer: DeploymentInformer,
        foo_informer: FooInformer,
        recorder: Recorder,
        *,
        name: str = "Foos",
        on_synced: SyncHook | None = None,
    ) -> None:
        self.kube = kube
        self.sample = sample
        self.deployments = deployment_informer
        self.foos = foo_informer
        self.recorder = recorder
        self.on_synced = on_synced
        # Keys, not objects: a worker reads the newest state from the cache, and
        # one Foo is never worked on by two workers at once.
        self.workqueue: RateLimitingQueue[str] = RateLimitingQueue(
            default_controller_rate_limiter(), name=name
        )
        # the run's context: ends the requests in flight when the run ends
        self.ctx: Context | None = None
        self._registrations: list[Registration[Any]] = [
            foo_informer.add_event_handler(
                on_add=self.enqueue_foo,
                on_update=lambda old, new: self.enqueue_foo(new),
            ),
            deployment_informer.add_event_handler(
                on_add=self.handle_object,
                on_update=self._deployment_updated,
                on_delete=self.handle_object,
            ),
        ]

    # ------------------------------------------------------------------ running

    def run(self, workers: int, ctx: Context, *, sync_timeout: float = 60.0) -> bool:
        """Wait for the caches, run ``workers`` workers until ctx is done, then
        stop taking keys and wait for the ones in flight. False if the caches did
        not sync (ctx ended first, or ``sync_timeout`` passed)."""
        self.ctx = ctx
        try:
            log.info("waiting for informer caches to sync")
            synced = all(
                informer.wait_for_cache_sync(ctx, timeout=sync_timeout)
                for informer in (self.deployments, self.foos)
            )
            if not synced:
                if not ctx.done:
                    log.error("failed to wait for caches to sync")
                return False
            threads = [
                threading.Thread(
                    target=self.run_worker, name=f"worker {i}", daemon=True
                )
                for i in range(workers)
            ]
            for thread in threads:
                thread.start()
            log.info("started %d workers", workers)
            while not ctx.wait(3600):
                pass
            log.info("shutting down workers")
            self.workqueue.shut_down_with_drain()
            for thread in threads:
                thread.join()
            return True
        finally:
            self.workqueue.shut_down()
            for registration in self._registrations:
                registration.remove()

    def run_worker(self) -> None:
        while self.process_next_work_item():
            pass

    def process_next_work_item(self) -> bool:
        """Take one key off the queue and sync it; False once the queue is shut down
        or the run is over."""
        key, shutdown = self.workqueue.get()
        if shutdown or key is None:
            return False
        if self.ctx is not None and self.ctx.done:
            # a shut-down queue still hands out what waits in it: not ours to do
            # any more (a lost shard's keys belong to its new holder)
            self.workqueue.done(key)
            return False
        ok = False
        started = time.monotonic()
        try:
            self.sync_handler(key)
        except Cancelled as err:
            if self.ctx is None or not self.ctx.done:
                self.workqueue.add_rate_limited(key)
                log.warning("error syncing %r: %s, requeuing", key, err)
            else:  # the run is over (shutdown, or a shard lost): left unfinished
                log.debug("sync of %r cancelled", key)
        except Exception as err:
            # transient (a conflict, the network, ErrResourceExists until the other
            # Deployment goes): try again later, backing off per key
            self.workqueue.add_rate_limited(key)
            log.warning("error syncing %r: %s, requeuing", key, err)
        else:
            # no more backoff for this key until it fails again
            self.workqueue.forget(key)
            ok = True
            log.debug("successfully synced %r", key)
        finally:
            self.workqueue.done(key)
        if self.on_synced is not None:
            self.on_synced(SyncResult(key, ok, started, time.monotonic()))
        return True

    # ------------------------------------------------------------------ sync

    def sync_handler(self, key: str) -> None:
        """Compare the Foo's wish with the Deployment and converge the two."""
        try:
            namespace, name = split_key(key)
        except ValueError:
            log.error("invalid resource key: %r", key)
            return
        try:
            foo = self.foos.lister.foos(namespace).get(name)
        except NotFound:
            log.info("foo %r in work queue no longer exists", key)
            return

        deployment_name = foo.spec.deployment_name if foo.spec else None
        if not deployment_name:
            # wait for the Foo to change rather than retrying a broken one
            log.error("%s: deployment name must be specified", key)
            return

        try:
            deployment = self.deployments.lister.deployments(namespace).get(
                deployment_name
            )
        except NotFound:
            deployment = self.kube.apps_v1.deployments(namespace).create(
                new_deployment(foo), ctx=self.ctx
            )

        if not is_controlled_by(deployment, foo):
            message = MESSAGE_RESOURCE_EXISTS % go_quote(deployment_name)
            self.recorder.event(foo, "Warning", ERR_RESOURCE_EXISTS, message)
            raise ResourceExists(message)

        wanted = foo.spec.replicas if foo.spec else None
        replicas = deployment.spec.replicas if deployment.spec else None
        if wanted is not None and replicas != wanted:
            log.debug(
                "Foo %s replicas: %d, deployment replicas: %s", key, wanted, replicas
            )
            scaled = deep_copy(deployment)  # never change what the cache holds
            scaled.spec = scaled.spec or DeploymentSpec()
            scaled.spec.replicas = wanted
            deployment = self.kube.apps_v1.deployments(namespace).update(
                scaled, ctx=self.ctx
            )

        self.update_foo_status(foo, deployment)
        self.recorder.event(foo, "Normal", SUCCESS_SYNCED, MESSAGE_RESOURCE_SYNCED)

    def update_foo_status(self, foo: Foo, deployment: Deployment) -> None:
        available = (
            deployment.status.available_replicas if deployment.status else 0
        ) or 0
        if foo.status is not None and foo.status.available_replicas == available:
            return  # nothing to write (and no update event to come back as work)
        foo_meta = meta(foo)
        foos = self.sample.samplecontroller_v1alpha1.foos(foo_meta.namespace)
        current = deep_copy(foo)

        def write() -> None:
            nonlocal current
            if current.status is None:
                current.status = FooStatus()
            current.status.available_replicas = available
            try:
                # the status subresource: a write that cannot change the spec
                foos.update_status(current, ctx=self.ctx)
            except Conflict:
                # retried on the server's version, not the cache's
                current = foos.get(name_of(foo_meta), ctx=self.ctx)
                raise

        retry_on_conflict(write, ctx=self.ctx)

    # ------------------------------------------------------------------ handlers

    def enqueue_foo(self, foo: Foo) -> None:
        foo_meta = meta(foo)
        self.workqueue.add(f"{foo_meta.namespace}/{foo_meta.name}")

    def _deployment_updated(self, old: Deployment, new: Deployment) -> None:
        if meta(old).resource_version == meta(new).resource_version:
            return  # a resync: two versions of one Deployment differ in version
        self.handle_object(new)

    def handle_object(self, obj: Any) -> None:
        """Enqueue the Foo that controls a Deployment (found in the Foo cache), if any."""
        if isinstance(obj, DeletedFinalStateUnknown):
            obj = obj.obj
        if not isinstance(obj, Deployment) or obj.metadata is None:
            log.error("error decoding object, invalid type %s", type(obj).__name__)
            return
        owner = controller_of(obj)
        if (
            owner is None
            or owner.kind != "Foo"
            or owner.api_version != FOO_API_VERSION
            or not owner.name
        ):
            return
        namespace = obj.metadata.namespace or ""
        try:
            foo = self.foos.lister.foos(namespace).get(owner.name)
        except NotFound:
            log.debug("ignoring orphaned %r of foo %r", obj.metadata.name, owner.name)
            return
        self.enqueue_foo(foo)


def meta(obj: Foo | Deployment) -> ObjectMeta:
    """An object's metadata (what a server or a cache hands out always has one)."""
    if obj.metadata is None:
        raise ValueError(f"a {type(obj).__name__} without metadata")
    return obj.metadata


def name_of(metadata: ObjectMeta) -> str:
    if not metadata.name:
        raise ValueError("an object without a name")
    return metadata.name


def controller_of(obj: Foo | Deployment) -> OwnerReference | None:
    """The ownerReference with controller=true (metav1.GetControllerOf)."""
    for ref in meta(obj).owner_references or ():
        if ref.controller:
            return ref
    return None


def is_controlled_by(obj: Deployment, owner: Foo) -> bool:
    """metav1.IsControlledBy: the controller reference points at owner's uid."""
    ref = controller_of(obj)
    return ref is not None and ref.uid == meta(owner).uid


def new_deployment(foo: Foo) -> Deployment:
    """The Deployment a Foo asks for: nginx, owned by the Foo (controller=true)."""
    foo_meta = meta(foo)
    spec = foo.spec or FooSpec()
    labels = {"app": "nginx", "controller": name_of(foo_meta)}
    return Deployment(
        metadata=ObjectMeta(
            name=spec.deployment_name,
            namespace=foo_meta.namespace,
            owner_references=[
                OwnerReference(
                    api_version=FOO_API_VERSION,
                    kind="Foo",
                    name=foo_meta.name,
                    uid=foo_meta.uid,
                    controller=True,
                    block_owner_deletion=True,
                )
            ],
        ),
        spec=DeploymentSpec(
            replicas=spec.replicas,
            selector=LabelSelector(match_labels=labels),
            template=PodTemplateSpec(
                metadata=ObjectMeta(labels=labels),
                spec=PodSpec(
                    containers=[Container(name="nginx", image="nginx:latest")]
                ),
            ),
        ),
    )
