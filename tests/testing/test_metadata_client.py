"""The metadata-only client (``kubeclient.metadata``, client-go's metadata package)
against the test API server, the fake clientset, and a server that ignores Accept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import configmap, pod

if TYPE_CHECKING:
    from kubeclient.metadata import MetadataClient
    from kubeclient.request import Request
    from kubeclient.response import Response
    from kubeclient.testing import ApiServer, FakeClientSet

OBJECT_ACCEPT = (
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
)
LIST_ACCEPT = (
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
)
CONFIGMAPS = ("", "v1", "configmaps")
PODS = ("", "v1", "pods")


def owned_configmap(name: str, **labels: str) -> dict[str, Any]:
    body = configmap(name, key="secret-value")
    body["metadata"]["namespace"] = "default"
    body["metadata"]["labels"] = labels or {"app": "web"}
    body["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u-1"}
    ]
    return body


@pytest.fixture
def mc(server: ApiServer) -> Iterator[MetadataClient]:
    from kubeclient.metadata import MetadataClient

    client = MetadataClient(server.config())
    yield client
    client.close()


@pytest.fixture
def fake(generated: Path) -> FakeClientSet:
    from kubeclient.testing import fake_clientset

    return fake_clientset(objects=[owned_configmap(n) for n in ("a", "b", "c")])


def _seed(server: ApiServer, *names: str) -> None:
    for name in names:
        server.seed(owned_configmap(name))


def test_get_and_list_are_typed_metadata(server: ApiServer, mc: MetadataClient) -> None:
    from kubeclient.metadata import PartialObjectMetadata, PartialObjectMetadataList
    from kubeclient.models.meta_v1 import ObjectMeta

    _seed(server, "a", "b")
    configmaps = mc.resource(CONFIGMAPS).namespace("default")
    got = configmaps.get("a")
    assert isinstance(got, PartialObjectMetadata)
    assert (got.api_version, got.kind) == ("meta.k8s.io/v1", "PartialObjectMetadata")
    assert isinstance(got.metadata, ObjectMeta)
    assert got.metadata.name == "a" and got.metadata.labels == {"app": "web"}
    owners = list(got.metadata.owner_references or ())
    assert [(o.kind, o.name) for o in owners] == [("Deployment", "web")]
    assert got.metadata.managed_fields  # the whole ObjectMeta, as the real server
    assert "data" not in got.to_dict() and "secret-value" not in got.to_json().decode()
    listed = configmaps.list()
    assert isinstance(listed, PartialObjectMetadataList)
    assert listed.kind == "PartialObjectMetadataList"
    assert listed.metadata is not None and listed.metadata.resource_version
    names = [i.metadata.name for i in listed.items or () if i.metadata is not None]
    assert names == ["a", "b"]


def test_list_all_pages_and_cluster_wide(server: ApiServer, mc: MetadataClient) -> None:
    _seed(server, "a", "b", "c")
    every = list(mc.resource(CONFIGMAPS).namespace("default").list_all(page_size=1))
    assert [o.metadata.name for o in every if o.metadata] == ["a", "b", "c"]
    assert {o.kind for o in every} == {"PartialObjectMetadata"}
    requests = [r for r in server.requests if r[1].endswith("/configmaps")]
    assert len(requests) == 3  # one page per object
    everywhere = mc.resource(CONFIGMAPS).list(label_selector="app=web")
    assert len(everywhere.items or ()) == 3


def test_patch_delete_and_delete_collection(
    server: ApiServer, mc: MetadataClient
) -> None:
    _seed(server, "a", "b", "c")
    configmaps = mc.resource(CONFIGMAPS).namespace("default")
    patched = configmaps.patch("a", {"metadata": {"labels": {"tier": "x"}}})
    assert patched.metadata is not None
    assert patched.metadata.labels == {"app": "web", "tier": "x"}
    assert configmaps.delete("a") is None  # configmaps answer a success Status
    gone = configmaps.delete_collection(label_selector="app=web")
    assert gone is not None and gone.kind == "PartialObjectMetadataList"
    assert sorted(str(i.metadata.name) for i in gone.items or () if i.metadata) == [
        "b",
        "c",
    ]
    server.seed(pod("web", "default"))
    deleted_pod = mc.resource(PODS).namespace("default").delete("web")
    assert deleted_pod is not None and deleted_pod.metadata is not None
    assert deleted_pod.metadata.name == "web"  # pods answer the deleted object


def test_watch_and_watch_list(server: ApiServer, mc: MetadataClient) -> None:
    _seed(server, "a")
    configmaps = mc.resource(CONFIGMAPS).namespace("default")
    stream = configmaps.watch(
        send_initial_events=True,
        allow_watch_bookmarks=True,
        resource_version_match="NotOlderThan",
    )
    try:
        first, bookmark = next(stream), next(stream)
        assert (first.type, first.object.kind) == ("ADDED", "PartialObjectMetadata")
        assert first.object.metadata is not None and first.object.metadata.name == "a"
        assert bookmark.type == "BOOKMARK"
        assert bookmark.object.kind == "PartialObjectMetadata"
        assert bookmark.object.metadata is not None
        assert bookmark.object.metadata.annotations_ == {
            "k8s.io/initial-events-end": "true"
        }
        configmaps.patch("a", {"data": {"key": "changed"}})
        changed = next(stream)
        assert changed.type == "MODIFIED" and "data" not in changed.raw
    finally:
        stream.close()


def test_watch_list_is_not_resumed(fake: FakeClientSet) -> None:
    from kubeclient.metadata import MetadataClient

    configmaps = MetadataClient(rest_client=fake.rest_client).resource(CONFIGMAPS)
    with pytest.raises(ValueError, match="send_initial_events and resume"):
        configmaps.watch(send_initial_events=True, resume=True)
    assert fake.actions == []


def test_resumed_watch_relists_metadata_on_the_fake(fake: FakeClientSet) -> None:
    from kubeclient.metadata import MetadataClient, PartialObjectMetadata

    configmaps = MetadataClient(rest_client=fake.rest_client).resource(CONFIGMAPS)
    stream = configmaps.namespace("default").watch(resume=True)
    try:
        added = [next(stream) for _ in range(3)]
        assert [e.type for e in added] == ["ADDED"] * 3
        assert all(isinstance(e.object, PartialObjectMetadata) for e in added)
        assert [e.object.metadata.name for e in added if e.object.metadata] == [
            "a",
            "b",
            "c",
        ]
        fake.core_v1.config_maps("default").delete("b")
        deleted = next(stream)
        assert deleted.type == "DELETED" and deleted.object.metadata is not None
        assert deleted.object.metadata.name == "b"
        assert deleted.raw["kind"] == "PartialObjectMetadata"
    finally:
        stream.close()
    # the relist's events come first; the watch opens when they are consumed
    assert [a.verb for a in fake.actions] == ["list", "delete", "watch"]
    assert fake.actions[0].params.get("limit") == "500"


def test_fake_clientset_get_list_delete(fake: FakeClientSet) -> None:
    from kubeclient.metadata import MetadataClient

    mc = MetadataClient(transport=fake.transport)
    configmaps = mc.resource(CONFIGMAPS).namespace("default")
    got = configmaps.get("a")
    assert got.kind == "PartialObjectMetadata"  # transformed by the fake's engine
    assert got.metadata is not None and got.metadata.uid
    assert [i.metadata.name for i in configmaps.list().items or () if i.metadata] == [
        "a",
        "b",
        "c",
    ]
    assert configmaps.delete("c") is None
    assert [(a.verb, a.name) for a in fake.actions] == [
        ("get", "a"),
        ("list", None),
        ("delete", "c"),
    ]


# --------------------------------------------------------------------------- a server that ignores Accept


class PlainServer:
    """Answers full objects whatever the Accept header (a server without the
    transformation), recording the Accept headers it was sent."""

    def __init__(self) -> None:
        self.accepts: list[tuple[str, str, str]] = []

    def __call__(self, request: Request) -> Response:
        from kubeclient.response import Headers, Response

        accept = request.header("accept") or ""
        self.accepts.append((request.method, request.path, accept))
        query = dict(request.query)
        full = {**pod("web", "default"), "status": {"phase": "Running"}}
        full["metadata"].update(uid="u-1", resourceVersion="7")
        body: Any
        if request.path.endswith("/pods/web"):
            body = full
        elif query.get("watch") in ("true", "1", "True"):
            event = {"type": "ADDED", "object": full}
            data = (json.dumps(event) + "\n").encode()
            headers = Headers({"Content-Type": "application/json"})
            return Response(200, headers, body=data)
        else:
            item = {k: v for k, v in full.items() if k not in ("apiVersion", "kind")}
            body = {
                "apiVersion": "v1",
                "kind": "PodList",
                "metadata": {"resourceVersion": "7"},
                "items": [item],
            }
        headers = Headers({"Content-Type": "application/json"})
        return Response(200, headers, body=json.dumps(body).encode())


def test_a_server_that_ignores_accept_still_gives_metadata(generated: Path) -> None:
    from kubeclient.metadata import MetadataClient, PartialObjectMetadata
    from kubeclient.transport.mock import MockTransport

    plain = PlainServer()
    pods = MetadataClient(transport=MockTransport(plain)).resource(PODS)
    got = pods.namespace("default").get("web")
    assert isinstance(got, PartialObjectMetadata)
    assert got.to_dict() == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "u-1",
            "resourceVersion": "7",
        },
    }
    listed = pods.list()
    assert listed.kind == "PodList"  # kept, as the items' (none on list items)
    assert [i.to_dict() for i in listed.items or ()] == [
        {"metadata": got.to_dict()["metadata"]}
    ]
    every = list(pods.list_all())  # pages: items get the resource's apiVersion/kind
    assert [o.to_dict() for o in every] == [got.to_dict()]
    stream = pods.watch()
    try:
        event = next(stream)
    finally:
        stream.close()
    assert event.object.to_dict() == got.to_dict()
    assert [a for _, _, a in plain.accepts] == [
        OBJECT_ACCEPT,
        LIST_ACCEPT,
        LIST_ACCEPT,
        OBJECT_ACCEPT,
    ]


def test_an_answer_without_object_metadata_is_unexpected(generated: Path) -> None:
    from kubeclient.errors import UnexpectedKind
    from kubeclient.metadata import MetadataClient
    from kubeclient.transport.mock import MockTransport, json_response

    def handler(request: Request) -> Response:
        return json_response(200, {"kind": "Thing", "spec": {"x": 1}})

    pods = MetadataClient(transport=MockTransport(handler)).resource(PODS)
    with pytest.raises(UnexpectedKind, match="expected an object with metadata"):
        pods.namespace("default").get("web")
    with pytest.raises(UnexpectedKind, match="expected a list"):
        MetadataClient(
            transport=MockTransport(lambda r: json_response(200, {"items": {}}))
        ).resource(PODS).list()


def test_paths_of_unknown_resources_and_other_clients_unchanged(
    generated: Path,
) -> None:
    from kubeclient import ClientSet
    from kubeclient.dynamic import DynamicClient
    from kubeclient.metadata import MetadataClient
    from kubeclient.transport.mock import MockTransport, json_response

    seen: list[tuple[str, str]] = []

    def handler(request: Request) -> Response:
        seen.append((request.path, request.header("accept") or ""))
        meta = {"name": "w", "namespace": "x"}
        return json_response(200, {"metadata": meta, "items": []})

    transport = MockTransport(handler)
    widgets = MetadataClient(transport=transport).resource(
        ("example.com", "v1", "widgets")
    )
    widgets.namespace("x").get("w")
    widgets.list()
    ClientSet(transport=transport).core_v1.config_maps("x").list()
    DynamicClient(transport=transport).resource(CONFIGMAPS).namespace("x").get("w")
    assert seen == [
        ("/apis/example.com/v1/namespaces/x/widgets/w", OBJECT_ACCEPT),
        ("/apis/example.com/v1/widgets", LIST_ACCEPT),
        ("/api/v1/namespaces/x/configmaps", "application/json"),
        ("/api/v1/namespaces/x/configmaps/w", "application/json"),
    ]
