"""The typed ClientSet against a real HTTP(S) server on loopback (the test API server):
every verb on kinds of both scopes, subresources, patch types, errors, retries,
pagination, watch (and its resume over a dropped connection), TLS and auth."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


class RealCluster:
    """``make e2e``: the same scenarios against the cluster of $KUBECONFIG. What only
    the test API server can do (fault injection, pod logs) skips there."""

    def config(self) -> Any:
        from kubeclient.config import load_kube_config

        return load_kube_config()

    def write_kubeconfig(self, path: Path, client_cert: bool = False) -> Path:
        pytest.skip("needs the test API server's own credentials")

    def __getattr__(self, name: str) -> Any:
        pytest.skip(f"needs the test API server ({name})")


@pytest.fixture(scope="module")
def server(generated: Path) -> Iterator[Any]:
    if os.environ.get("KUBECLIENT_E2E") == "1":
        yield RealCluster()
        return
    from kubeclient.testing import ApiServer

    with ApiServer(tls=True) as srv:
        yield srv


@pytest.fixture
def cs(server: Any) -> Iterator[Any]:
    from kubeclient import ClientSet

    with ClientSet(server.config()) as clients:
        yield clients


@pytest.fixture
def ns(cs: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace per test."""
    from kubeclient.models.core_v1 import Namespace
    from kubeclient.models.meta_v1 import ObjectMeta

    name = "t-" + request.node.name.lower().replace("_", "-")[:50].strip("-")
    cs.core_v1.namespaces().create(Namespace(metadata=ObjectMeta(name=name)))
    yield name
    cs.core_v1.namespaces().delete(name)


def configmap(name: str, **data: str) -> Any:
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta

    return ConfigMap(
        metadata=ObjectMeta(name=name, labels={"app": "test"}), data=dict(data)
    )


def deployment(name: str, replicas: int = 1) -> Any:
    from kubeclient.models.apps_v1 import Deployment, DeploymentSpec
    from kubeclient.models.core_v1 import Container, PodSpec, PodTemplateSpec
    from kubeclient.models.meta_v1 import LabelSelector, ObjectMeta

    return Deployment(
        metadata=ObjectMeta(name=name),
        spec=DeploymentSpec(
            replicas=replicas,
            selector=LabelSelector(match_labels={"app": name}),
            template=PodTemplateSpec(
                metadata=ObjectMeta(labels={"app": name}),
                spec=PodSpec(containers=[Container(name="web", image="nginx:1.27")]),
            ),
        ),
    )


def pod(name: str) -> Any:
    from kubeclient.models.core_v1 import Container, Pod, PodSpec
    from kubeclient.models.meta_v1 import ObjectMeta

    return Pod(
        metadata=ObjectMeta(name=name, labels={"app": name}),
        spec=PodSpec(containers=[Container(name="c", image="busybox")]),
    )


def test_every_verb_on_namespaced_kinds(cs: Any, ns: str) -> None:
    from kubeclient.errors import AlreadyExists, Conflict, NotFound
    from kubeclient.models.core_v1 import ConfigMap

    cms = cs.core_v1.config_maps(ns)
    created = cms.create(configmap("a", k="1"))
    assert isinstance(created, ConfigMap) and created.metadata is not None
    assert (
        created.metadata.uid
        and created.metadata.resource_version
        and created.metadata.creation_timestamp
    )
    assert cms.get("a").data == {"k": "1"}
    with pytest.raises(AlreadyExists):
        cms.create(configmap("a"))
    created.data = {"k": "2"}
    updated = cms.update(created)
    assert updated.data == {"k": "2"} and updated.metadata is not None
    assert int(updated.metadata.resource_version) > int(
        created.metadata.resource_version
    )
    with pytest.raises(Conflict):
        cms.update(created)  # stale resourceVersion
    cms.create(configmap("b", k="x"))
    listing = cms.list(label_selector="app=test")
    assert sorted(c.metadata.name for c in listing.items) == ["a", "b"]
    assert listing.metadata.resource_version
    deleted = cms.delete("a")  # as the real server: a Status naming what was deleted
    from kubeclient.models.meta_v1 import Status

    assert isinstance(deleted, Status) and deleted.status == "Success"
    assert deleted.details is not None and deleted.details.name == "a"
    with pytest.raises(NotFound) as err:
        cms.get("a")
    assert err.value.status == 404 and err.value.reason == "NotFound"
    cms.delete_collection(label_selector="app=test")
    assert cms.list().items in (None, [])


def test_every_verb_on_cluster_scoped_kinds(cs: Any) -> None:
    from kubeclient.models.meta_v1 import ObjectMeta
    from kubeclient.models.rbac_v1 import ClusterRole, PolicyRule

    roles = cs.rbac_v1.cluster_roles()
    role = roles.create(
        ClusterRole(
            metadata=ObjectMeta(name="reader"),
            rules=[PolicyRule(api_groups=[""], resources=["pods"], verbs=["get"])],
        )
    )
    assert role.metadata.namespace is None
    role.rules.append(
        PolicyRule(api_groups=[""], resources=["services"], verbs=["list"])
    )
    assert len(roles.update(role).rules) == 2
    patched = roles.patch("reader", {"metadata": {"labels": {"team": "a"}}}, "merge")
    assert patched.metadata.labels == {"team": "a"}
    assert "reader" in [r.metadata.name for r in roles.list_all()]
    roles.delete("reader")
    if os.environ.get("KUBECLIENT_E2E") == "1":
        return  # no made-up nodes in a real cluster
    from kubeclient.models.core_v1 import Node

    nodes = cs.core_v1.nodes()
    node = nodes.create(Node(metadata=ObjectMeta(name="n1")))
    node.spec = node.spec or type(node.spec)()
    nodes.patch("n1", {"spec": {"unschedulable": True}})
    assert nodes.get("n1").spec.unschedulable is True
    nodes.delete("n1")


def test_patch_types_and_server_side_apply(cs: Any, ns: str) -> None:
    from kubeclient.errors import Conflict

    deployments = cs.apps_v1.deployments(ns)
    deployments.create(deployment("web"))
    strategic = deployments.patch(
        "web",
        {
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": "sidecar", "image": "envoy"}]}
                }
            }
        },
    )
    assert [c.name for c in strategic.spec.template.spec.containers] == [
        "sidecar",
        "web",
    ] or [c.name for c in strategic.spec.template.spec.containers] == [
        "web",
        "sidecar",
    ]  # merged by name, not replaced
    merge = deployments.patch("web", {"metadata": {"annotations": {"a": "b"}}}, "merge")
    assert merge.metadata.annotations == {"a": "b"}
    json_patch = deployments.patch(
        "web", [{"op": "replace", "path": "/spec/replicas", "value": 4}], "json"
    )
    assert json_patch.spec.replicas == 4
    applied = deployments.apply(
        deployment("web", replicas=2), field_manager="ci", force=True
    )
    assert applied.spec.replicas == 2
    managers = {m.manager for m in applied.metadata.managed_fields}
    assert "ci" in managers
    with pytest.raises(Conflict):  # another manager owns spec.replicas now
        deployments.apply(deployment("web", replicas=7), field_manager="other")


def test_subresources(cs: Any, ns: str) -> None:
    from kubeclient.models.autoscaling_v1 import Scale, ScaleSpec
    from kubeclient.models.core_v1 import PodStatus

    deployments = cs.apps_v1.deployments(ns)
    deployments.create(deployment("web", replicas=1))
    scale = deployments.get_scale("web")
    assert isinstance(scale, Scale) and scale.spec is not None
    assert scale.spec.replicas == 1
    deployments.update_scale(
        "web", Scale(metadata=scale.metadata, spec=ScaleSpec(replicas=3))
    )
    assert deployments.get("web").spec.replicas == 3
    deployments.patch_scale("web", {"spec": {"replicas": 5}}, "merge")
    assert deployments.get_scale("web").spec.replicas == 5

    pods = cs.core_v1.pods(ns)
    p = pods.create(pod("p1"))
    p.status = PodStatus(phase="Running")
    assert pods.update_status(p).status.phase == "Running"
    p = pods.get("p1")
    p.spec.containers[0].image = "changed"  # ignored by /status
    p.status.phase = "Succeeded"
    after = pods.update_status(p)
    assert (
        after.status.phase == "Succeeded"
        and after.spec.containers[0].image == "busybox"
    )
    assert pods.get_status("p1").status.phase == "Succeeded"

    from kubeclient.models.authentication_v1 import TokenRequest, TokenRequestSpec

    token = cs.core_v1.service_accounts(ns).create_token(
        "default", TokenRequest(spec=TokenRequestSpec(audiences=["api"]))
    )
    assert token.status.token

    pods.create(pod("p2"))
    pods.evict("p2")
    from kubeclient.errors import NotFound

    with pytest.raises(NotFound):
        pods.get("p2")
    assert pods.exec("p1", ["echo", "hi"]).stdout == b"hi\n"


def test_pod_logs_text_and_follow(cs: Any, server: Any, ns: str) -> None:
    pods = cs.core_v1.pods(ns)
    pods.create(pod("logger"))
    server.set_pod_log(ns, "logger", "c", "one\ntwo\nthree\n")
    assert pods.get_log("logger", container="c") == "one\ntwo\nthree\n"
    assert pods.get_log("logger", container="c", tail_lines=1) == "three\n"
    stream = pods.get_log("logger", container="c", follow=True)
    got = [next(stream) for _ in range(3)]
    threading.Timer(
        0.2, lambda: server.append_pod_log(ns, "logger", "c", "four\n")
    ).start()
    got.append(next(stream))
    stream.close()
    assert got == ["one", "two", "three", "four"]


def test_errors_are_typed_with_causes(cs: Any, ns: str) -> None:
    from kubeclient.errors import Invalid, NotFound, is_invalid, is_not_found

    with pytest.raises(Invalid) as err:
        cs.core_v1.config_maps(ns).create(configmap("Not_A_Valid_Name"))
    assert is_invalid(err.value) and err.value.status == 422
    assert any(c.get("field") == "metadata.name" for c in err.value.causes)
    with pytest.raises(NotFound) as missing:
        cs.core_v1.config_maps("no-such-namespace").create(configmap("x"))
    assert is_not_found(missing.value) and "no-such-namespace" in str(missing.value)


def test_pagination_over_a_thousand_objects(cs: Any, ns: str) -> None:
    cms = cs.core_v1.config_maps(ns)
    for i in range(1000):
        cms.create(configmap(f"cm-{i:04d}"))
    first = cms.list(limit=100)
    assert len(first.items) == 100 and first.metadata.continue_
    names = [c.metadata.name for c in cms.list_all(page_size=97)]
    assert names == [f"cm-{i:04d}" for i in range(1000)]


def test_retries_on_429_and_503(cs: Any, server: Any, ns: str) -> None:
    cs.core_v1.config_maps(ns).create(configmap("r"))
    server.faults.error(429, retry_after=0, path=r"/configmaps/r")
    server.faults.error(503, count=2, path=r"/configmaps/r")
    assert (
        cs.core_v1.config_maps(ns).get("r").metadata.name == "r"
    )  # 3 failures, then success


def test_watch_and_resume_over_a_dropped_connection(
    cs: Any, server: Any, ns: str
) -> None:
    cms = cs.core_v1.config_maps(ns)
    start = cms.list().metadata.resource_version
    seen: list[tuple[str, str]] = []
    done = threading.Event()

    def consume() -> None:
        for event in cms.watch(resource_version=start, resume=True, timeout_seconds=20):
            if event.type == "BOOKMARK":
                continue
            seen.append((event.type, event.object.metadata.name))
            if len(seen) == 8:
                done.set()
                return

    server.faults.drop(path=r"watch=", after_events=3)  # cut the stream after 3 events
    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    time.sleep(0.3)
    for i in range(6):
        cms.create(configmap(f"w{i}"))
    cms.delete("w0")
    cms.delete("w1")
    assert done.wait(20), seen
    assert seen == [("ADDED", f"w{i}") for i in range(6)] + [
        ("DELETED", "w0"),
        ("DELETED", "w1"),
    ]


def test_watch_relists_on_410_without_losing_events(
    server: Any, generated: Path
) -> None:
    """A watch from a resourceVersion older than the server's history gets 410 Gone;
    with resume=True the client relists and goes on, so the caller sees every object."""
    if os.environ.get("KUBECLIENT_E2E") == "1":
        pytest.skip("needs a test API server with a tiny event history")
    from kubeclient import ClientSet
    from kubeclient.errors import Gone
    from kubeclient.testing import ApiServer

    with ApiServer(history=5) as small, ClientSet(small.config()) as clients:
        cms = clients.core_v1.config_maps("default")
        start = cms.list().metadata.resource_version  # type: ignore[union-attr]
        for i in range(20):  # pushes `start` out of the 5-event history
            cms.create(configmap(f"c{i:02d}"))
        with pytest.raises(Gone):
            list(cms.watch(resource_version=start, timeout_seconds=2))
        names = set()
        for event in cms.watch(resource_version=start, resume=True, timeout_seconds=5):
            if event.type == "ADDED" and event.object.metadata is not None:
                names.add(event.object.metadata.name)
            if len(names) == 20:
                break
        assert names == {f"c{i:02d}" for i in range(20)}


def test_bearer_token_and_client_certificate_auth(server: Any, tmp_path: Path) -> None:
    from kubeclient import ClientSet
    from kubeclient.config import load_kube_config
    from kubeclient.errors import Unauthorized

    by_token = load_kube_config(server.write_kubeconfig(tmp_path / "token"))
    default = ClientSet(by_token).core_v1.namespaces().get("default")
    assert default.to_dict()["metadata"]["name"] == "default"
    by_cert = load_kube_config(
        server.write_kubeconfig(tmp_path / "cert", client_cert=True)
    )
    assert by_cert.client_cert() is not None and by_cert.auth is None
    default = ClientSet(by_cert).core_v1.namespaces().get("default")
    assert default.to_dict()["metadata"]["name"] == "default"
    stranger = load_kube_config(server.write_kubeconfig(tmp_path / "token2"))
    from kubeclient.config import BearerToken

    stranger.auth = BearerToken("not-a-valid-token")
    with pytest.raises(Unauthorized):
        ClientSet(stranger).core_v1.namespaces().get("default")


def test_dynamic_and_discovery_clients(server: Any, cs: Any, ns: str) -> None:
    from kubeclient import DynamicClient
    from kubeclient.resources import GroupVersionResource

    dyn = DynamicClient(server.config())
    deployments = dyn.resource(GroupVersionResource("apps", "v1", "deployments"))
    made = deployments.namespace(ns).create(deployment("dyn").to_dict())
    assert made.name == "dyn" and made.namespace == ns and made.kind == "Deployment"
    made.labels["tier"] = "web"
    assert deployments.namespace(ns).update(made).labels == {"tier": "web"}
    assert [d.name for d in deployments.namespace(ns).list_all()] == ["dyn"]
    assert "dyn" in [d.name for d in deployments.list().each_list_item()]  # all ns
    by_kind = dyn.resource_for_kind("Deployment", api_version="apps/v1")
    assert by_kind.namespace(ns).get("dyn").resource_version
    deployments.namespace(ns).delete("dyn")

    disco = cs.discovery
    assert disco.server_version().git_version.startswith("v1.")
    groups = {g.name: g for g in disco.server_groups()}
    assert (
        "" in groups
        and "apps" in groups
        and groups["apps"].preferred_version == "apps/v1"
    )
    apps = disco.server_resources_for_group_version("apps/v1")
    names = {r.name for r in apps.resources}
    assert {"deployments", "deployments/scale", "deployments/status"} <= names
    preferred = disco.server_preferred_resources()
    assert any(
        rl.group_version == "v1" and any(r.name == "pods" for r in rl.resources)
        for rl in preferred
    )
    from kubeclient.discovery import RESTMapper

    mapper = RESTMapper(disco)
    assert mapper.kind_for("deploy").kind == "Deployment"
    assert mapper.kind_for("pods").kind == "Pod"
    assert mapper.resource_for("Deployment").plural == "deployments"
