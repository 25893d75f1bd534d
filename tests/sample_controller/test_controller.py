"""The sample-controller against the test API server, one replica in a thread:
what upstream's controller does, observed from the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .conftest import Running, SyncLog, foo, wait_until


@pytest.fixture
def log() -> SyncLog:
    return SyncLog()


@pytest.fixture
def replica(
    start_replica: Callable[..., Running], log: SyncLog, namespace: str
) -> Iterator[Running]:
    running = start_replica("solo", log, namespace=namespace, workers=2)
    yield running
    running.stop()


def deployment_of(kube: Any, namespace: str, name: str) -> Any:
    return kube.apps_v1.deployments(namespace).get(name)


def events(kube: Any, namespace: str, reason: str) -> list[Any]:
    return [
        e for e in kube.events_v1.events(namespace).list().items if e.reason == reason
    ]


def test_a_foo_gets_its_deployment_owned_by_it(
    replica: Running, kube: Any, sample: Any, namespace: str, log: SyncLog
) -> None:
    foos = sample.samplecontroller_v1alpha1.foos(namespace)
    made = foos.create(foo("example-foo", deployment="example-deployment", replicas=2))
    deployment = wait_until(
        lambda: deployment_of(kube, namespace, "example-deployment"), what="deployment"
    )
    (owner,) = deployment.metadata.owner_references
    assert (owner.api_version, owner.kind, owner.name, owner.uid, owner.controller) == (
        "samplecontroller.k8s.io/v1alpha1",
        "Foo",
        "example-foo",
        made.metadata.uid,
        True,
    )
    assert deployment.spec.replicas == 2
    assert deployment.spec.selector.match_labels == {
        "app": "nginx",
        "controller": "example-foo",
    }
    assert deployment.spec.template.spec.containers[0].image == "nginx:latest"
    synced = wait_until(lambda: events(kube, namespace, "Synced"), what="Synced event")
    assert synced[0].type == "Normal" and synced[0].regarding.uid == made.metadata.uid
    assert wait_until(lambda: log.who_synced(f"{namespace}/example-foo")) == {"solo"}
    # the simulated cluster rolls the Deployment out: the status follows it
    wait_until(
        lambda: getattr(foos.get("example-foo").status, "available_replicas", 0) == 2,
        what="2 available",
    )


def test_the_deployment_follows_spec_replicas(
    replica: Running, kube: Any, sample: Any, namespace: str
) -> None:
    foos = sample.samplecontroller_v1alpha1.foos(namespace)
    foos.create(foo("scaled", replicas=1))
    wait_until(lambda: deployment_of(kube, namespace, "scaled"), what="deployment")
    foos.patch("scaled", {"spec": {"replicas": 4}})
    wait_until(
        lambda: deployment_of(kube, namespace, "scaled").spec.replicas == 4,
        what="replicas 4",
    )
    # scaled by hand: put back
    kube.apps_v1.deployments(namespace).patch("scaled", {"spec": {"replicas": 9}})
    wait_until(
        lambda: deployment_of(kube, namespace, "scaled").spec.replicas == 4,
        what="replicas back to 4",
    )


def test_a_deleted_deployment_is_recreated(
    replica: Running, kube: Any, sample: Any, namespace: str
) -> None:
    sample.samplecontroller_v1alpha1.foos(namespace).create(foo("phoenix"))
    first = wait_until(lambda: deployment_of(kube, namespace, "phoenix"))
    kube.apps_v1.deployments(namespace).delete("phoenix")
    again = wait_until(
        lambda: (d := deployment_of(kube, namespace, "phoenix")).metadata.uid
        != first.metadata.uid
        and d,
        what="a new deployment",
    )
    assert again.metadata.owner_references[0].name == "phoenix"


def test_a_deployment_owned_by_another_gets_the_warning(
    replica: Running, kube: Any, sample: Any, namespace: str, log: SyncLog
) -> None:

    from examples.sample_controller.controller import new_deployment

    foos = sample.samplecontroller_v1alpha1.foos(namespace)
    theirs: Any = new_deployment(foo("someone-else"))
    theirs.metadata.namespace = namespace
    theirs.metadata.owner_references = None
    kube.apps_v1.deployments(namespace).create(theirs)
    made = foos.create(foo("squatter", deployment="someone-else", replicas=3))

    warnings = wait_until(
        lambda: events(kube, namespace, "ErrResourceExists"), what="the warning"
    )
    event = warnings[0]
    assert event.type == "Warning"
    assert (
        event.note == 'Resource "someone-else" already exists and is not managed by Foo'
    )
    assert event.regarding.kind == "Foo" and event.regarding.uid == made.metadata.uid
    # retried with backoff, and never touched
    wait_until(lambda: len([s for s in log.snapshot() if not s.result.ok]) >= 2)
    untouched = deployment_of(kube, namespace, "someone-else")
    assert untouched.spec.replicas == 1 and not untouched.metadata.owner_references
    assert not events(kube, namespace, "Synced")


def test_the_status_follows_available_replicas(
    replica: Running, kube: Any, sample: Any, namespace: str
) -> None:
    foos = sample.samplecontroller_v1alpha1.foos(namespace)
    foos.create(foo("watched", replicas=3))
    wait_until(lambda: deployment_of(kube, namespace, "watched"))
    # the simulated Deployment controller makes the pods available
    wait_until(
        lambda: foos.get("watched").status.available_replicas == 3, what="status 3"
    )
    foos.patch("watched", {"spec": {"replicas": 1}})
    wait_until(
        lambda: foos.get("watched").status.available_replicas == 1, what="status 1"
    )
    foos.patch("watched", {"spec": {"replicas": 3}})
    wait_until(
        lambda: foos.get("watched").status.available_replicas == 3, what="status 3"
    )
    assert foos.get("watched").spec.replicas == 3  # the status writes left the spec


def test_a_foo_without_a_deployment_name_is_not_retried(
    replica: Running, kube: Any, sample: Any, namespace: str, log: SyncLog
) -> None:
    from examples.sample_controller.samplecontroller.models.samplecontroller_v1alpha1 import (
        Foo,
    )

    foos = sample.samplecontroller_v1alpha1.foos(namespace)
    foos.create(
        Foo.from_dict({"metadata": {"name": "nameless"}, "spec": {"replicas": 1}})
    )
    wait_until(lambda: log.who_synced(f"{namespace}/nameless"))
    foos.create(foo("named"))
    wait_until(lambda: deployment_of(kube, namespace, "named"))
    assert [
        d.metadata.name for d in kube.apps_v1.deployments(namespace).list().items
    ] == ["named"]
    assert len([s for s in log.snapshot() if s.result.key.endswith("/nameless")]) == 1


def test_a_stopped_controller_leaves_the_keys_still_waiting(
    server: Any, kube: Any, sample: Any
) -> None:
    """A shut-down queue still hands out its waiting keys: once the run is over
    (a shard lost) they are not this controller's to sync any more."""
    from kubeclient import Context
    from kubeclient.informers import SharedInformerFactory
    from kubeclient.record import FakeRecorder

    from examples.sample_controller import Controller
    from examples.sample_controller.samplecontroller.informers import (
        SharedInformerFactory as SampleFactory,
    )

    synced: list[Any] = []
    controller = Controller(
        kube,
        sample,
        SharedInformerFactory(kube).apps_v1.deployments(),
        SampleFactory(sample).samplecontroller_v1alpha1.foos(),
        FakeRecorder(),
        on_synced=synced.append,
    )
    ctx = Context()
    controller.ctx = ctx
    controller.workqueue.add("default/a")
    controller.workqueue.add("default/b")
    ctx.cancel()
    controller.workqueue.shut_down()
    assert controller.process_next_work_item() is False
    assert synced == []
