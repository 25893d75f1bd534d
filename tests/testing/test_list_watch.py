"""Lists (selectors, pagination, resourceVersion semantics) and watches."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests

from .conftest import CONFIGMAPS, PODS, Client, configmap, pod, status_of

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer


def names(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["metadata"]["name"] for item in response.json()["items"]]


@pytest.fixture
def labelled(client: Client) -> Client:
    for name, labels in (
        ("a", {"app": "web", "tier": "front"}),
        ("b", {"app": "web", "tier": "back"}),
        ("c", {"app": "db"}),
        ("d", {}),
    ):
        client.post(
            CONFIGMAPS, dict(configmap(name), metadata={"name": name, "labels": labels})
        )
    return client


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["a", "b"]),
        ("app==web", ["a", "b"]),
        ("app!=web", ["c", "d"]),
        ("app in (web,db)", ["a", "b", "c"]),
        ("app notin (web)", ["c", "d"]),
        ("tier", ["a", "b"]),
        ("!tier", ["c", "d"]),
        ("app=web,tier notin (back)", ["a"]),
        ("app,!tier", ["c"]),
    ],
)
def test_label_selectors(labelled: Client, selector: str, expected: list[str]) -> None:
    assert (
        names(labelled.get(CONFIGMAPS, params={"labelSelector": selector})) == expected
    )


def test_bad_label_selector_is_400(client: Client) -> None:
    response = client.get(CONFIGMAPS, params={"labelSelector": "app in web"})
    assert response.status_code == 400
    assert status_of(response)["reason"] == "BadRequest"


def test_field_selectors(client: Client) -> None:
    for name, node, phase in (("p1", "n1", "Running"), ("p2", "n2", "Pending")):
        client.post(PODS, pod(name))
        client.patch(PODS + f"/{name}", {"spec": {"nodeName": node}})
        client.patch(PODS + f"/{name}/status", {"status": {"phase": phase}})
    assert names(client.get(PODS, params={"fieldSelector": "spec.nodeName=n1"})) == [
        "p1"
    ]
    assert names(
        client.get(PODS, params={"fieldSelector": "status.phase!=Running"})
    ) == ["p2"]
    both = "metadata.name=p2,spec.restartPolicy==Always"
    assert names(client.get(PODS, params={"fieldSelector": both})) == ["p2"]
    every = client.get(
        "/api/v1/pods", params={"fieldSelector": "metadata.namespace=default"}
    )
    assert names(every) == ["p1", "p2"]
    response = client.get(PODS, params={"fieldSelector": "spec.image=x"})
    assert response.status_code == 400
    assert status_of(response)["message"] == "field label not supported: spec.image"
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "type": "kubernetes.io/tls",
    }
    client.post("/api/v1/namespaces/default/secrets", secret)
    tls = client.get(
        "/api/v1/namespaces/default/secrets",
        params={"fieldSelector": "type=kubernetes.io/tls"},
    )
    assert names(tls) == ["s"]
    active = client.get(
        "/api/v1/namespaces", params={"fieldSelector": "status.phase=Active"}
    )
    assert "default" in names(active)


def test_event_field_selectors(client: Client) -> None:
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "e1"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
        "reason": "Started",
        "type": "Normal",
        "source": {"component": "kubelet"},
    }
    client.post("/api/v1/namespaces/default/events", event)
    for selector in (
        "involvedObject.kind=Pod,involvedObject.name=web",
        "reason=Started",
        "source=kubelet",
        "type=Normal",
    ):
        assert names(
            client.get(
                "/api/v1/namespaces/default/events", params={"fieldSelector": selector}
            )
        ) == ["e1"]


def test_pagination_is_consistent(client: Client) -> None:
    for i in range(5):
        client.post(CONFIGMAPS, configmap(f"cm{i}"))
    first = client.get(CONFIGMAPS, params={"limit": 2}).json()
    assert [i["metadata"]["name"] for i in first["items"]] == ["cm0", "cm1"]
    meta = first["metadata"]
    assert meta["remainingItemCount"] == 3 and meta["continue"]
    client.delete(CONFIGMAPS + "/cm2")  # after the first page: not seen by the list
    client.post(CONFIGMAPS, configmap("cm5"))
    second = client.get(
        CONFIGMAPS, params={"limit": 2, "continue": meta["continue"]}
    ).json()
    assert [i["metadata"]["name"] for i in second["items"]] == ["cm2", "cm3"]
    assert second["metadata"]["resourceVersion"] == meta["resourceVersion"]
    last = client.get(
        CONFIGMAPS, params={"limit": 2, "continue": second["metadata"]["continue"]}
    ).json()
    assert [i["metadata"]["name"] for i in last["items"]] == ["cm4"]
    assert "continue" not in last["metadata"]
    bad = client.get(CONFIGMAPS, params={"continue": "garbage"})
    assert bad.status_code == 400


def test_pagination_across_namespaces_sharing_a_prefix(client: Client) -> None:
    """Lists come in etcd's key order, "namespace/name" as a string, the order
    continue tokens resume in: "team-a/x" before "team/x" ('-' < '/'). Sorted
    by (namespace, name) instead, paging by one skipped team-a's objects."""
    for namespace in ("team", "team-a"):
        client.post("/api/v1/namespaces", {"metadata": {"name": namespace}})
        for name in ("x", "y"):
            path = f"/api/v1/namespaces/{namespace}/configmaps"
            assert client.post(path, configmap(name)).status_code == 201
    every = ["team-a/x", "team-a/y", "team/x", "team/y"]

    def keys(body: dict[str, Any]) -> list[str]:
        return [
            f"{i['metadata']['namespace']}/{i['metadata']['name']}"
            for i in body["items"]
        ]

    assert keys(client.get("/api/v1/configmaps").json()) == every
    paged: list[str] = []
    params: dict[str, Any] = {"limit": 1}
    while True:
        page = client.get("/api/v1/configmaps", params=params).json()
        paged += keys(page)
        token = page["metadata"].get("continue")
        if not token:
            break
        params = {"limit": 1, "continue": token}
    assert paged == every


def test_continue_token_older_than_history_is_410(generated: Any) -> None:
    from kubeclient.testing import ApiServer

    with ApiServer(history=16) as server:
        client = Client(server)
        for i in range(3):
            client.post(CONFIGMAPS, configmap(f"cm{i}"))
        token = client.get(CONFIGMAPS, params={"limit": 1}).json()["metadata"][
            "continue"
        ]
        for i in range(40):
            client.patch(CONFIGMAPS + "/cm0", {"data": {"n": str(i)}})
        response = client.get(CONFIGMAPS, params={"limit": 1, "continue": token})
        assert response.status_code == 410
        body = status_of(response)
        assert body["reason"] == "Expired"
        assert body["message"].startswith(
            "The provided continue parameter is too old to display a consistent list result."
        )


def test_list_resource_version_semantics(client: Client) -> None:
    created = client.post(CONFIGMAPS, configmap("c", v="1")).json()
    rv = created["metadata"]["resourceVersion"]
    client.patch(CONFIGMAPS + "/c", {"data": {"v": "2"}})
    latest = client.get(CONFIGMAPS).json()
    assert latest["items"][0]["data"] == {"v": "2"}
    assert int(latest["metadata"]["resourceVersion"]) > int(rv)
    exact = client.get(
        CONFIGMAPS, params={"resourceVersion": rv, "resourceVersionMatch": "Exact"}
    ).json()
    assert exact["items"][0]["data"] == {"v": "1"}
    assert exact["metadata"]["resourceVersion"] == rv
    any_version = client.get(CONFIGMAPS, params={"resourceVersion": "0"}).json()
    assert any_version["items"][0]["data"] == {"v": "2"}
    invalid = client.get(CONFIGMAPS, params={"resourceVersionMatch": "Exact"})
    assert invalid.status_code == 422
    assert status_of(invalid)["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
        "resourceVersionMatch is forbidden unless resourceVersion is provided"
    )
    future = client.get(
        CONFIGMAPS,
        params={"resourceVersion": "999999", "resourceVersionMatch": "NotOlderThan"},
    )
    assert future.status_code == 504
    assert status_of(future)["reason"] == "Timeout"


def test_tables_for_kubectl(client: Client) -> None:
    client.post(PODS, pod("web"))
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    table = client.get(PODS, headers={"Accept": accept}).json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]][:5] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
    [row] = table["rows"]
    assert row["cells"][:3] == ["web", "0/1", "Pending"]
    assert row["object"]["kind"] == "PartialObjectMetadata"
    default = client.get(
        "/apis/rbac.authorization.k8s.io/v1/clusterroles", headers={"Accept": accept}
    ).json()
    assert [c["name"] for c in default["columnDefinitions"]] == ["Name", "Created At"]


# --------------------------------------------------------------------------- watch


class Watch:
    """Reads a watch stream line by line in a thread (bounded waits in tests)."""

    def __init__(self, client: Client, path: str, **params: Any) -> None:
        self.response = client.get(
            path, params={"watch": "1", **params}, stream=True, timeout=10
        )
        assert self.response.status_code == 200, self.response.text
        self.lines: Iterator[bytes] = self.response.iter_lines(chunk_size=None)

    def next(self) -> dict[str, Any]:
        for line in self.lines:
            if line:
                event: dict[str, Any] = json.loads(line)
                return event
        raise AssertionError("the watch ended")

    def events(self, count: int) -> list[tuple[str, str]]:
        out = []
        for _ in range(count):
            event = self.next()
            out.append((event["type"], event["object"]["metadata"].get("name", "")))
        return out

    def close(self) -> None:
        self.response.close()


def test_watch_sends_existing_objects_then_changes(client: Client) -> None:
    client.post(CONFIGMAPS, configmap("old"))
    watch = Watch(client, CONFIGMAPS)
    assert watch.events(1) == [("ADDED", "old")]
    client.post(CONFIGMAPS, configmap("new"))
    client.patch(CONFIGMAPS + "/new", {"data": {"a": "b"}})
    client.delete(CONFIGMAPS + "/new")
    assert watch.events(3) == [
        ("ADDED", "new"),
        ("MODIFIED", "new"),
        ("DELETED", "new"),
    ]
    watch.close()


def test_watch_from_resource_version(client: Client) -> None:
    first = client.post(CONFIGMAPS, configmap("a")).json()
    client.post(CONFIGMAPS, configmap("b"))
    watch = Watch(
        client, CONFIGMAPS, resourceVersion=first["metadata"]["resourceVersion"]
    )
    event = watch.next()
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "b")
    watch.close()


def test_watch_too_old_is_an_error_event(generated: Any) -> None:
    from kubeclient.testing import ApiServer

    with ApiServer(history=8) as server:
        client = Client(server)
        for i in range(30):
            client.post(CONFIGMAPS, configmap(f"c{i}"))
        watch = Watch(client, CONFIGMAPS, resourceVersion="2")
        event = watch.next()
        assert event["type"] == "ERROR"
        status = event["object"]
        assert status["kind"] == "Status" and status["code"] == 410
        assert status["reason"] == "Expired"
        assert status["message"].startswith("too old resource version: 2 (")
        watch.close()


def test_watch_selectors_follow_objects_in_and_out(client: Client) -> None:
    watch = Watch(client, CONFIGMAPS, labelSelector="app=web")
    cm = configmap("c")
    client.post(CONFIGMAPS, cm)  # not selected: nothing
    client.patch(CONFIGMAPS + "/c", {"metadata": {"labels": {"app": "web"}}})
    client.patch(CONFIGMAPS + "/c", {"data": {"x": "1"}})
    client.patch(CONFIGMAPS + "/c", {"metadata": {"labels": {"app": "db"}}})
    assert watch.events(3) == [("ADDED", "c"), ("MODIFIED", "c"), ("DELETED", "c")]
    watch.close()


def test_watch_timeout_and_bookmarks(generated: Any) -> None:
    from kubeclient.testing import ApiServer

    with ApiServer(bookmark_interval=0.3) as server:
        client = Client(server)
        watch = Watch(client, CONFIGMAPS, timeoutSeconds=1, allowWatchBookmarks="true")
        kinds = []
        started = time.monotonic()
        for line in watch.lines:
            if line:
                kinds.append(json.loads(line)["type"])
        assert time.monotonic() - started < 5
        assert kinds and set(kinds) == {"BOOKMARK"}


def test_watch_list_sends_initial_events_end_bookmark(client: Client) -> None:
    client.post(CONFIGMAPS, configmap("a"))
    watch = Watch(
        client,
        CONFIGMAPS,
        sendInitialEvents="true",
        resourceVersionMatch="NotOlderThan",
        allowWatchBookmarks="true",
    )
    added = watch.next()
    assert added["type"] == "ADDED"
    bookmark = watch.next()
    assert bookmark["type"] == "BOOKMARK"
    meta = bookmark["object"]["metadata"]
    assert meta["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert bookmark["object"]["kind"] == "ConfigMap"
    watch.close()
    bad = client.get(CONFIGMAPS, params={"watch": "1", "sendInitialEvents": "true"})
    assert bad.status_code == 422


def test_deprecated_watch_paths(client: Client) -> None:
    client.post(CONFIGMAPS, configmap("a"))
    client.post(CONFIGMAPS, configmap("b"))
    response = client.get(
        "/api/v1/watch/namespaces/default/configmaps/b",
        stream=True,
        params={"timeoutSeconds": 1},
    )
    lines = [json.loads(line) for line in response.iter_lines() if line]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in lines] == [
        ("ADDED", "b")
    ]


def test_many_events_and_disconnects_leak_nothing(
    server: ApiServer, client: Client
) -> None:
    before = threading.active_count()
    watches = [Watch(client, CONFIGMAPS) for _ in range(10)]
    client.post(CONFIGMAPS, configmap("c"))
    for i in range(300):
        client.patch(CONFIGMAPS + "/c", {"data": {"n": str(i)}})
    for watch in watches:
        events = watch.events(301)
        assert events[-1] == ("MODIFIED", "c")
        watch.close()
    deadline = time.monotonic() + 10
    while threading.active_count() > before + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert threading.active_count() <= before + 1  # the client's own pooled connection
