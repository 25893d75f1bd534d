"""Typed clients -> requests: paths, escaping, parameters, bodies, content types and
decoding, checked on a recording transport (no server)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Sent:
    method: str
    path: str
    params: dict[str, Any]
    body: Any
    content_type: str | None
    accept: str
    stream: bool


def canned(body: bytes, status: int = 200, chunks: list[bytes] | None = None) -> Any:
    """A runtime Response over canned bytes (streamed in ``chunks`` if given)."""
    from kubeclient.response import Headers, Response

    if chunks is None:
        return Response(status, Headers(), body=body)

    class Chunks:
        def chunks(self, size: int) -> Iterator[bytes]:
            yield from chunks or []

        def close(self) -> None:
            pass

        def abort(self) -> None:
            pass

    return Response(status, Headers(), stream=Chunks())


def _typed(value: str) -> Any:
    """A query value as the test wrote it: booleans and integers typed again."""
    if value in ("true", "false"):
        return value == "true"
    return int(value) if value.isdigit() else value


@dataclass
class RecordingTransport:
    """A Transport recording the requests the pipeline sends, answering canned
    replies (a dict, or a Response) in order."""

    replies: list[Any] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    config: Any = None

    def send(self, request: Any) -> Any:
        content_type = request.header("content-type")
        body = request.body
        textual = (
            bool(body)
            and content_type is not None
            and ("json" in content_type or "yaml" in content_type)
        )
        decoded = json.loads(body) if textual and body else body
        params: dict[str, Any] = {}
        for key, value in request.query:
            params[key] = _typed(value)
        self.sent.append(
            Sent(
                request.method,
                request.path,
                params,
                decoded,
                content_type,
                request.header("accept") or "",
                request.stream,
            )
        )
        reply = (
            self.replies.pop(0)
            if self.replies
            else {"kind": "Status", "status": "Success"}
        )
        if not isinstance(reply, dict):
            return reply
        return canned(json.dumps(reply).encode())

    def close(self) -> None:
        pass


def pod(name: str = "web", namespace: str | None = "default") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "c"}]},
    }


@pytest.fixture
def fake(generated: Path) -> Any:
    from kubeclient import ClientSet

    transport = RecordingTransport()
    return ClientSet(transport=transport), transport


def test_paths_for_each_scope(fake: Any) -> None:
    cs, t = fake
    t.replies = [
        pod(),
        {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}},
        {"kind": "PodList", "apiVersion": "v1", "items": []},
    ]
    assert cs.core_v1.pods("default").get("web").metadata.name == "web"
    cs.core_v1.nodes().get("n1")
    cs.core_v1.pods("").list(label_selector="app=web", continue_="tok", limit=5)
    assert [(s.method, s.path) for s in t.sent] == [
        ("GET", "/api/v1/namespaces/default/pods/web"),
        ("GET", "/api/v1/nodes/n1"),
        ("GET", "/api/v1/pods"),
    ]
    assert t.sent[2].params == {
        "labelSelector": "app=web",
        "continue": "tok",
        "limit": 5,
    }
    t.replies = [{"kind": "DeploymentList", "apiVersion": "apps/v1", "items": []}]
    cs.apps_v1.deployments("kube-system").list()
    assert t.sent[-1].path == "/apis/apps/v1/namespaces/kube-system/deployments"


@pytest.mark.parametrize("bad", ["a/b", "..", ".", "", "50%", "x/../../secrets"])
def test_names_that_would_reach_another_url_are_refused(fake: Any, bad: str) -> None:
    cs, t = fake
    with pytest.raises(ValueError, match="invalid"):
        cs.core_v1.pods("default").get(bad)
    with pytest.raises(ValueError, match="invalid"):
        cs.core_v1.pods(bad).get("x") if bad else cs.core_v1.pods("x").get(bad)
    assert t.sent == []


def test_other_characters_are_percent_encoded(fake: Any) -> None:
    cs, t = fake
    t.replies = [pod("a?b#c d")]
    cs.core_v1.pods("ns").get("a?b#c d")
    assert t.sent[0].path == "/api/v1/namespaces/ns/pods/a%3Fb%23c%20d"


def test_all_namespaces_only_where_it_means_something(fake: Any) -> None:
    cs, t = fake
    everywhere = cs.core_v1.pods("")
    with pytest.raises(ValueError, match="namespaced"):
        everywhere.get("web")
    with pytest.raises(ValueError, match="namespaced"):
        everywhere.delete("web")
    t.replies = [pod(namespace="team-a")]
    everywhere.create(pod(namespace="team-a"))  # the object says where
    assert t.sent[0].path == "/api/v1/namespaces/team-a/pods"
    # default namespace: the config's (here "default", there is no config)
    t.replies = [pod()]
    cs.core_v1.pods().get("web")
    assert t.sent[-1].path == "/api/v1/namespaces/default/pods/web"


def test_create_update_with_query_parameters(fake: Any) -> None:
    from kubeclient.models.core_v1 import Pod

    cs, t = fake
    body = Pod.from_dict(pod())
    t.replies = [pod(), pod()]
    created = cs.core_v1.pods("default").create(
        body, dry_run="All", field_manager="me", field_validation="Strict"
    )
    assert isinstance(created, Pod)
    cs.core_v1.pods("default").update(body)
    create, update = t.sent
    assert (create.method, create.path, create.params) == (
        "POST",
        "/api/v1/namespaces/default/pods",
        {"dryRun": "All", "fieldManager": "me", "fieldValidation": "Strict"},
    )
    assert create.body == pod() and create.content_type == "application/json"
    assert (update.method, update.path) == (
        "PUT",
        "/api/v1/namespaces/default/pods/web",
    )


@pytest.mark.parametrize(
    ("patch_type", "content_type"),
    [
        ("strategic", "application/strategic-merge-patch+json"),
        ("merge", "application/merge-patch+json"),
        ("json", "application/json-patch+json"),
    ],
)
def test_patch_types(fake: Any, patch_type: str, content_type: str) -> None:
    cs, t = fake
    t.replies = [pod()]
    body: Any = (
        [{"op": "replace", "path": "/metadata/labels", "value": {}}]
        if patch_type == "json"
        else {"metadata": {"labels": {"a": "b"}}}
    )
    cs.core_v1.pods("default").patch("web", body, patch_type)
    assert t.sent[0].method == "PATCH" and t.sent[0].content_type == content_type
    assert t.sent[0].body == body


def test_apply_is_a_patch_with_field_manager(fake: Any) -> None:
    from kubeclient.models.apps_v1 import Deployment, DeploymentSpec
    from kubeclient.models.meta_v1 import ObjectMeta

    cs, t = fake
    t.replies = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}
    ]
    dep = Deployment(
        metadata=ObjectMeta(name="d", namespace="default"),
        spec=DeploymentSpec(replicas=3),
    )
    result = cs.apps_v1.deployments("default").apply(
        dep, field_manager="ci", force=True
    )
    assert isinstance(result, Deployment)
    sent = t.sent[0]
    assert (sent.method, sent.path) == (
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/d",
    )
    assert sent.content_type == "application/apply-patch+yaml"
    assert sent.params == {"fieldManager": "ci", "force": True}
    assert sent.body["spec"] == {"replicas": 3}
    with pytest.raises(ValueError, match="field_manager"):
        cs.apps_v1.deployments("default").apply(dep, field_manager="")
    with pytest.raises(ValueError, match="field_manager"):
        cs.apps_v1.deployments("default").patch("d", {}, "apply")


def test_delete_options_and_status_decoding(fake: Any) -> None:
    from kubeclient.models.core_v1 import Pod
    from kubeclient.models.meta_v1 import Preconditions, Status

    cs, t = fake
    t.replies = [
        pod(),
        {"apiVersion": "v1", "kind": "Status", "status": "Success", "code": 200},
    ]
    gone = cs.core_v1.pods("default").delete(
        "web",
        propagation_policy="Foreground",
        grace_period_seconds=0,
        preconditions=Preconditions(uid="u1"),
    )
    assert isinstance(gone, Pod)
    status = cs.core_v1.pods("default").delete_collection(label_selector="app=x")
    assert isinstance(status, Status) and status.code == 200
    delete, collection = t.sent
    assert delete.params == {"propagationPolicy": "Foreground", "gracePeriodSeconds": 0}
    assert delete.body == {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "preconditions": {"uid": "u1"},
    }
    assert (collection.method, collection.path, collection.params) == (
        "DELETE",
        "/api/v1/namespaces/default/pods",
        {"labelSelector": "app=x"},
    )


def test_list_all_follows_continue_tokens(fake: Any) -> None:
    cs, t = fake
    t.replies = [
        {
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {"continue": "p2"},
            "items": [pod("a"), pod("b")],
        },
        {
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {"continue": "p3"},
            "items": [pod("c")],
        },
        {
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {},
            "items": [{"metadata": {"name": "d"}}],
        },
    ]
    names = [
        p.metadata.name
        for p in cs.core_v1.pods("default").list_all(label_selector="x", page_size=2)
    ]
    assert names == ["a", "b", "c", "d"]
    assert [s.params.get("continue") for s in t.sent] == [None, "p2", "p3"]
    assert all(
        s.params["limit"] == 2 and s.params["labelSelector"] == "x" for s in t.sent
    )


def test_subresources(fake: Any) -> None:
    from kubeclient.models.autoscaling_v1 import Scale, ScaleSpec
    from kubeclient.models.core_v1 import Pod

    cs, t = fake
    deployments = cs.apps_v1.deployments("default")
    t.replies = [
        {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": "d"},
            "spec": {"replicas": 2},
        },
        {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": "d"},
            "spec": {"replicas": 5},
        },
        {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": "d"},
            "spec": {"replicas": 6},
        },
    ]
    scale = deployments.get_scale("d")
    assert (
        isinstance(scale, Scale) and scale.spec is not None and scale.spec.replicas == 2
    )
    deployments.update_scale("d", Scale(spec=ScaleSpec(replicas=5)))
    deployments.patch_scale("d", {"spec": {"replicas": 6}}, "merge")
    assert [(s.method, s.path) for s in t.sent] == [
        ("GET", "/apis/apps/v1/namespaces/default/deployments/d/scale"),
        ("PUT", "/apis/apps/v1/namespaces/default/deployments/d/scale"),
        ("PATCH", "/apis/apps/v1/namespaces/default/deployments/d/scale"),
    ]
    pods = cs.core_v1.pods("default")
    t.replies = [pod(), pod()]
    assert isinstance(pods.update_status(Pod.from_dict(pod())), Pod)
    pods.apply_status(Pod.from_dict(pod()), field_manager="kubelet")
    assert (
        t.sent[-2].path.endswith("/pods/web/status")
        and t.sent[-1].content_type == "application/apply-patch+yaml"
    )
    t.replies = [{"apiVersion": "v1", "kind": "Status", "status": "Success"}]
    pods.evict("web")
    evict = t.sent[-1]
    assert (evict.method, evict.path) == (
        "POST",
        "/api/v1/namespaces/default/pods/web/eviction",
    )
    assert evict.body == {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": "web", "namespace": "default"},
    }
    t.replies = [
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "status": {"token": "t"},
        }
    ]
    from kubeclient.models.authentication_v1 import TokenRequest, TokenRequestSpec

    token = cs.core_v1.service_accounts("default").create_token(
        "sa", TokenRequest(spec=TokenRequestSpec(audiences=["x"]))
    )
    assert (
        isinstance(token, TokenRequest)
        and token.status is not None
        and token.status.token == "t"
    )
    assert t.sent[-1].path == "/api/v1/namespaces/default/serviceaccounts/sa/token"


def test_logs_text_and_follow(fake: Any) -> None:
    cs, t = fake
    pods = cs.core_v1.pods("default")
    t.replies = [
        canned(b"one\ntwo\n"),
        canned(b"", chunks=[b"li", b"ne 1\nline", b" 2\n"]),
    ]
    assert pods.get_log("web", container="c", tail_lines=2) == "one\ntwo\n"
    assert list(pods.get_log("web", follow=True)) == ["line 1", "line 2"]
    first, second = t.sent
    assert first.path == "/api/v1/namespaces/default/pods/web/log" and first.params == {
        "container": "c",
        "tailLines": 2,
    }
    assert second.stream and second.params == {"follow": True}


def test_streaming_subresources_need_a_network_transport(fake: Any) -> None:
    """exec and attach upgrade a socket: a transport that cannot carry one (this
    recording one) refuses them with UnsupportedTransport (a TypeError); the
    proxy verbs are plain requests and go through any transport."""
    cs, t = fake
    pods = cs.core_v1.pods("default")
    calls: list[Callable[[], object]] = [
        lambda: pods.exec("web", ["ls"]),
        lambda: pods.stream_exec("web", ["ls"]),
        lambda: pods.attach("web"),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="can carry no upgraded connection"):
            call()
    with pytest.raises(TypeError, match="a list of arguments"):
        pods.exec("web", "ls -l")
    assert t.sent == []
    t.replies = [canned(b"ok")]
    assert (
        cs.core_v1.services("default").proxy_get("svc", "/x", port="http").raw()
        == b"ok"
    )
    assert [(s.method, s.path) for s in t.sent] == [
        ("GET", "/api/v1/namespaces/default/services/svc%3Ahttp/proxy/x")
    ]


def test_watch_decodes_typed_events(fake: Any) -> None:
    from kubeclient.models.core_v1 import Pod

    cs, t = fake
    lines = [
        json.dumps({"type": "ADDED", "object": pod("a")}).encode() + b"\n",
        json.dumps({"type": "MODIFIED", "object": pod("a")}).encode()[:20],
        json.dumps({"type": "MODIFIED", "object": pod("a")}).encode()[20:] + b"\n",
    ]
    t.replies = [canned(b"", chunks=lines)]
    events = list(
        cs.core_v1.pods("default").watch(label_selector="a=b", timeout_seconds=5)
    )
    assert [(e.type, type(e.object)) for e in events] == [
        ("ADDED", Pod),
        ("MODIFIED", Pod),
    ]
    sent = t.sent[0]
    assert sent.stream and sent.params == {
        "watch": True,
        "labelSelector": "a=b",
        "timeoutSeconds": 5,
    }


def test_a_response_of_another_kind_is_an_error(fake: Any) -> None:
    """Regression: ``config_maps().get()`` returned a Pod when the server sent one."""
    from kubeclient.errors import UnexpectedKind
    from kubeclient.models.core_v1 import ConfigMap

    cs, t = fake
    cms = cs.core_v1.config_maps("default")
    t.replies = [pod("x")]
    with pytest.raises(UnexpectedKind) as raised:
        cms.get("x")
    assert "expected a ConfigMap, the server answered with a Pod" in str(raised.value)
    t.replies = [{"kind": "PodList", "apiVersion": "v1", "items": []}]
    with pytest.raises(UnexpectedKind, match="expected a ConfigMapList"):
        cms.list()
    t.replies = [canned(b'["not", "an", "object"]')]
    with pytest.raises(UnexpectedKind, match="JSON list"):
        cms.get("x")
    t.replies = [pod("x")]
    with pytest.raises(UnexpectedKind, match="a ConfigMap or a Status"):
        cms.delete("x")
    # the kind it asks for, a Status where one is due, and a kind-less body decode
    t.replies = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
        {"kind": "Status", "apiVersion": "v1", "status": "Success"},
        {"metadata": {"name": "y"}},
    ]
    assert isinstance(cms.get("x"), ConfigMap)
    assert cms.delete("x").status == "Success"
    assert cms.get("y").metadata.name == "y"
