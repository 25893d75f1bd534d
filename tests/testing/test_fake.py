"""The fake ClientSet: the ClientSet interface, in-process, on the server's engine,
with the actions recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def deployment(name: str, replicas: int = 1) -> Any:
    from kubeclient.models.apps_v1 import Deployment, DeploymentSpec
    from kubeclient.models.core_v1 import Container, PodSpec, PodTemplateSpec
    from kubeclient.models.meta_v1 import LabelSelector, ObjectMeta

    return Deployment(
        metadata=ObjectMeta(name=name, namespace="default"),
        spec=DeploymentSpec(
            replicas=replicas,
            selector=LabelSelector(match_labels={"app": name}),
            template=PodTemplateSpec(
                metadata=ObjectMeta(labels={"app": name}),
                spec=PodSpec(containers=[Container(name="c", image="nginx")]),
            ),
        ),
    )


def scale_up(cs: Any, name: str) -> None:
    """App code under test: written against ClientSet, knows nothing of the fake."""
    deployments = cs.apps_v1.deployments("default")
    current = deployments.get(name)
    current.spec.replicas += 1
    deployments.update(current)


def test_app_code_runs_on_the_fake_and_actions_are_recorded(generated: Path) -> None:
    from kubeclient import ClientSet
    from kubeclient.testing import Action, fake_clientset

    cs = fake_clientset(objects=[deployment("web", replicas=2)])
    assert isinstance(cs, ClientSet)
    scale_up(cs, "web")
    assert cs.apps_v1.deployments().get("web").spec.replicas == 3  # type: ignore[union-attr]
    verbs = [(a.verb, a.resource, a.namespace, a.name) for a in cs.actions]
    assert verbs == [
        ("get", "deployments", "default", "web"),
        ("update", "deployments", "default", "web"),
        ("get", "deployments", "default", "web"),
    ]
    update: Action = cs.actions[1]
    assert update.body["spec"]["replicas"] == 3 and update.group == "apps"
    cs.clear_actions()
    assert cs.actions == []


def test_same_semantics_and_errors_as_the_server(generated: Path) -> None:
    from kubeclient.errors import AlreadyExists, Conflict, Invalid, NotFound
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta
    from kubeclient.testing import fake_clientset

    cs = fake_clientset()
    cms = cs.core_v1.config_maps("default")
    first = cms.create(ConfigMap(metadata=ObjectMeta(name="a"), data={"k": "v"}))
    assert (
        first.metadata is not None
        and first.metadata.uid
        and first.metadata.resource_version
    )
    with pytest.raises(AlreadyExists):
        cms.create(ConfigMap(metadata=ObjectMeta(name="a")))
    stale = cms.get("a")
    fresh = cms.get("a")
    fresh.data = {"k": "changed"}  # (an update that changes nothing keeps the version)
    cms.update(fresh)
    with pytest.raises(Conflict):
        cms.update(stale)
    with pytest.raises(Invalid):
        cms.create(ConfigMap(metadata=ObjectMeta(name="Bad_Name")))
    with pytest.raises(NotFound):
        cs.core_v1.config_maps("nowhere").create(
            ConfigMap(metadata=ObjectMeta(name="x"))
        )
    patched = cms.patch("a", {"data": {"k": "w"}}, "merge")
    assert patched.data == {"k": "w"}
    assert [c.metadata.name for c in cms.list_all() if c.metadata] == ["a"]


def test_watch_on_the_fake(generated: Path) -> None:
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta
    from kubeclient.testing import fake_clientset

    cs = fake_clientset()
    cms = cs.core_v1.config_maps("default")
    version = cms.list().metadata.resource_version  # type: ignore[union-attr]
    cms.create(ConfigMap(metadata=ObjectMeta(name="w1")))
    cms.delete("w1")
    events = cms.watch(resource_version=version, timeout_seconds=1)
    seen = [
        (e.type, e.object.metadata.name if e.object.metadata else None)
        for e in events
        if e.type != "BOOKMARK"
    ]
    assert seen == [("ADDED", "w1"), ("DELETED", "w1")]
    assert cs.actions[-1].verb == "watch"
