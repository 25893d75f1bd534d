"""Sharded list and watch (KEP-5866 ``shardSelector``) on the test API server: through
the generated ClientSet, the dynamic client, the fake and raw HTTP. N shards see
every object exactly once (uid and namespace, paginated or not), watches send each
shard its own events, and a malformed selector is 400 naming the problem."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import CONFIGMAPS, Client, configmap, status_of

if TYPE_CHECKING:
    from kubeclient import ClientSet
    from kubeclient.testing import ApiServer

NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
ALL_CONFIGMAPS = "/api/v1/configmaps"


@pytest.fixture
def cs(server: ApiServer) -> Iterator[ClientSet]:
    from kubeclient import ClientSet

    with ClientSet(server.config()) as clients:
        yield clients


@pytest.fixture
def spread(client: Client) -> dict[str, dict[str, Any]]:
    """30 config maps over the four initial namespaces, every third labelled
    tier=front: ``namespace/name`` -> its wire dict as stored."""
    objects = {}
    for i in range(30):
        namespace = NAMESPACES[i % len(NAMESPACES)]
        body = configmap(f"cm-{i:02d}")
        body["metadata"]["namespace"] = namespace
        if i % 3 == 0:
            body["metadata"]["labels"] = {"tier": "front"}
        response = client.post(f"/api/v1/namespaces/{namespace}/configmaps", body)
        assert response.status_code == 201, response.text
        objects[f"{namespace}/cm-{i:02d}"] = response.json()
    return objects


def key(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    return f"{meta['namespace']}/{meta['name']}"


def model_key(obj: Any) -> str:
    return f"{obj.metadata.namespace}/{obj.metadata.name}"


def exactly_once(parts: list[list[str]], everything: set[str]) -> None:
    seen = Counter(k for part in parts for k in part)
    assert set(seen) == everything
    assert all(n == 1 for n in seen.values()), [k for k, n in seen.items() if n > 1]


# --------------------------------------------------------------------------- list


@pytest.mark.parametrize("field", ["uid", "namespace"])
@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_shards_of_a_list_see_every_object_once(
    cs: ClientSet, spread: dict[str, dict[str, Any]], field: Any, count: int
) -> None:
    from kubeclient.sharding import Shard

    cms = cs.core_v1.config_maps("")
    parts, pages = [], []
    for shard in Shard.split(count, field):
        listed = cms.list(shard=shard)
        assert listed.metadata is not None and listed.metadata.shard_info is not None
        assert listed.metadata.shard_info.selector == shard.selector
        part = [model_key(o) for o in listed.items or []]
        # the server's choice is the client's: Shard.contains agrees object by object
        assert all(shard.contains(spread[k]) for k in part)
        parts.append(part)
        pages.append([model_key(o) for o in cms.list_all(shard=shard, page_size=2)])
    exactly_once(parts, set(spread))
    assert pages == parts  # page by page: the same objects, in the same order


def test_a_shard_can_be_given_as_an_expression(
    cs: ClientSet, spread: dict[str, dict[str, Any]]
) -> None:
    from kubeclient.sharding import Shard, any_of

    cms = cs.core_v1.config_maps("")
    shards = Shard.split(4)
    two = [
        model_key(o) for o in cms.list(shard=any_of([shards[0], shards[2]])).items or []
    ]
    one = [
        model_key(o)
        for s in (shards[0], shards[2])
        for o in cms.list(shard=s).items or []
    ]
    assert sorted(two) == sorted(one)
    whole = "shardRange(object.metadata.uid, '0x0', '0x10000000000000000')"
    assert len(cms.list(shard=whole).items or []) == len(spread)


def test_shards_combine_with_label_and_field_selectors(
    cs: ClientSet, spread: dict[str, dict[str, Any]]
) -> None:
    from kubeclient.sharding import Shard

    cms = cs.core_v1.config_maps("")
    front = {k for k, o in spread.items() if o["metadata"].get("labels")}
    parts = []
    for shard in Shard.split(3):
        listed = cms.list(shard=shard, label_selector="tier=front")
        parts.append([model_key(o) for o in listed.items or []])
        assert all(shard.contains(spread[k]) for k in parts[-1])
    exactly_once(parts, front)
    in_default = cms.list(
        shard=Shard(0, 1), field_selector="metadata.namespace=default"
    )
    assert {model_key(o) for o in in_default.items or []} == {
        k for k in spread if k.startswith("default/")
    }


def test_pagination_of_a_shard_returns_each_object_once(
    client: Client, spread: dict[str, dict[str, Any]]
) -> None:
    from kubeclient.sharding import Shard

    parts = []
    for shard in Shard.split(2):
        part: list[str] = []
        token = ""
        while True:
            params = {"shardSelector": shard.selector, "limit": "3"}
            if token:
                params["continue"] = token
            body = client.get(ALL_CONFIGMAPS, params=params).json()
            assert len(body["items"]) <= 3
            # a filtered list: no remainingItemCount, the selector echoed back
            assert "remainingItemCount" not in body["metadata"]
            assert body["metadata"]["shardInfo"] == {"selector": shard.selector}
            part += [key(o) for o in body["items"]]
            token = body["metadata"].get("continue", "")
            if not token:
                break
        parts.append(part)
    exactly_once(parts, set(spread))


def test_an_unsharded_list_has_no_shard_info(
    client: Client, spread: dict[str, dict[str, Any]]
) -> None:
    body = client.get(ALL_CONFIGMAPS, params={"shardSelector": "  "}).json()
    assert len(body["items"]) == len(spread)
    assert "shardInfo" not in body["metadata"]


def test_delete_collection_deletes_only_the_shard(
    client: Client, spread: dict[str, dict[str, Any]]
) -> None:
    from kubeclient.sharding import Shard

    shard = Shard(0, 2)
    response = client.delete(CONFIGMAPS, params={"shardSelector": shard.selector})
    assert response.status_code == 200, response.text
    gone = {key(o) for o in response.json()["items"]}
    assert gone == {
        k for k in spread if k.startswith("default/") and shard.contains(spread[k])
    }
    left = {key(o) for o in client.get(CONFIGMAPS).json()["items"]}
    assert left == {k for k in spread if k.startswith("default/")} - gone


def test_typed_delete_collection_takes_a_shard(
    cs: ClientSet, spread: dict[str, dict[str, Any]]
) -> None:
    from kubeclient.sharding import Shard

    # the shard of cm-00 (uids are random): something to delete
    shard = next(s for s in Shard.split(2) if s.contains(spread["default/cm-00"]))
    cs.core_v1.config_maps("default").delete_collection(shard=shard)
    left = {model_key(o) for o in cs.core_v1.config_maps("").list().items or []}
    gone = {k for k in spread if k.startswith("default/") and shard.contains(spread[k])}
    assert gone and left == set(spread) - gone


def test_the_dynamic_client_takes_shards(
    server: ApiServer, spread: dict[str, dict[str, Any]]
) -> None:
    from kubeclient.dynamic import DynamicClient, GroupVersionResource
    from kubeclient.sharding import Shard

    dyn = DynamicClient(server.config())
    try:
        cms = dyn.resource(GroupVersionResource("", "v1", "configmaps"))
        parts, pages = [], []
        for shard in Shard.split(3, "namespace"):
            parts.append([key(o) for o in cms.list(shard=shard)["items"]])
            pages.append([key(o) for o in cms.list_all(shard=shard, page_size=4)])
        exactly_once(parts, set(spread))
        assert pages == parts
        expression = Shard(1, 3).selector
        events = cms.watch(shard=expression, resource_version="0", timeout_seconds=1)
        added = [key(e.object) for e in events if e.type == "ADDED"]
        assert sorted(added) == sorted(
            k for k in spread if Shard(1, 3).contains(spread[k])
        )
        shard = next(s for s in Shard.split(2) if s.contains(spread["default/cm-00"]))
        cms.namespace("default").delete_collection(shard=shard)
        gone = {
            k for k in spread if k.startswith("default/") and shard.contains(spread[k])
        }
        left = {key(o) for o in cms.list()["items"]}
        assert gone and left == set(spread) - gone
    finally:
        dyn.close()


def test_the_fake_clientset_takes_shards(generated: Path) -> None:
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta
    from kubeclient.sharding import Shard
    from kubeclient.testing import fake_clientset

    cs = fake_clientset(
        objects=[
            ConfigMap(metadata=ObjectMeta(name=f"c{i}", namespace="default"))
            for i in range(12)
        ]
    )
    cms = cs.core_v1.config_maps("default")
    parts = [
        [o.metadata.name or "" for o in cms.list(shard=s).items or [] if o.metadata]
        for s in Shard.split(3)
    ]
    exactly_once(parts, {f"c{i}" for i in range(12)})
    assert cs.actions[-1].params["shardSelector"] == Shard(2, 3).selector
    shard = Shard(0, 2)
    events = cms.watch(shard=shard, resource_version="0", timeout_seconds=1)
    added = sorted(e.object.metadata.name or "" for e in events if e.object.metadata)
    assert added == sorted(
        o.metadata.name or ""
        for o in cms.list().items or []
        if o.metadata and shard.contains(o.to_dict())
    )


# --------------------------------------------------------------------------- watch


def test_watch_sends_each_shard_its_own_events(cs: ClientSet) -> None:
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta
    from kubeclient.sharding import Shard

    cms = cs.core_v1.config_maps("default")
    version = cms.list().metadata.resource_version  # type: ignore[union-attr]
    for i in range(16):
        cms.create(ConfigMap(metadata=ObjectMeta(name=f"w{i}")))
    for i in range(0, 16, 2):
        cms.patch(f"w{i}", {"data": {"k": "v"}}, "merge")
    for i in range(0, 16, 4):
        cms.delete(f"w{i}")
    everything = [
        (e.type, e.object.metadata.name if e.object.metadata else "")
        for e in cms.watch(resource_version=version, timeout_seconds=1)
    ]
    shards = Shard.split(2)
    per_shard: list[list[tuple[str, str]]] = []
    for shard in shards:
        events = list(
            cms.watch(shard=shard, resource_version=version, timeout_seconds=1)
        )
        assert all(shard.contains(e.raw) for e in events)
        per_shard.append(
            [
                (e.type, (e.object.metadata.name if e.object.metadata else "") or "")
                for e in events
            ]
        )
    # between them, every event exactly once, each in its object's order
    assert sorted(per_shard[0] + per_shard[1]) == sorted(everything)
    assert len(everything) == 16 + 8 + 4
    for part in per_shard:
        assert part == [e for e in everything if e in part]
    # an object's events all go to one shard: its uid never changes
    owners = {
        name: {i for i, part in enumerate(per_shard) for _, n in part if n == name}
        for _, name in everything
    }
    assert all(len(o) == 1 for o in owners.values())


def test_watch_list_initial_events_are_sharded_bookmarks_are_not(
    client: Client, spread: dict[str, dict[str, Any]]
) -> None:
    from kubeclient.sharding import Shard

    shard = Shard(1, 2)
    params = {
        "watch": "true",
        "sendInitialEvents": "true",
        "resourceVersionMatch": "NotOlderThan",
        "allowWatchBookmarks": "true",
        "timeoutSeconds": "1",
        "shardSelector": shard.selector,
    }
    response = client.get(ALL_CONFIGMAPS, params=params, stream=True)
    assert response.status_code == 200
    events = [json.loads(line) for line in response.iter_lines() if line]
    added = [key(e["object"]) for e in events if e["type"] == "ADDED"]
    assert sorted(added) == sorted(k for k in spread if shard.contains(spread[k]))
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert bookmarks and bookmarks[0]["object"]["metadata"]["annotations"] == {
        "k8s.io/initial-events-end": "true"
    }
    assert events.index(bookmarks[0]) == len(added)  # after every initial event


def test_typed_watch_resumes_with_the_shard(cs: ClientSet) -> None:
    """resume=True first relists (and relists again on 410 Gone): with the shard."""
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta
    from kubeclient.sharding import Shard

    cms = cs.core_v1.config_maps("default")
    for i in range(12):
        cms.create(ConfigMap(metadata=ObjectMeta(name=f"r{i}")))
    shard = Shard(0, 2)
    mine = sorted(
        o.metadata.name or "" for o in cms.list(shard=shard).items or [] if o.metadata
    )
    assert 0 < len(mine) < 12
    events = cms.watch(shard=shard, resume=True)
    try:
        first = list(itertools.islice(events, len(mine)))
    finally:
        events.close()
    assert [e.type for e in first] == ["ADDED"] * len(mine)
    assert (
        sorted(e.object.metadata.name or "" for e in first if e.object.metadata) == mine
    )


U = "shardRange(object.metadata.uid, '0x0', '0x8000000000000000')"
MALFORMED = [
    (
        "shardRange(object.metadata.name, '0x0', '0x1')",
        "unsupported field path 'object.metadata.name'",
    ),
    (
        "shardRange(metadata.uid, '0x0', '0x1')",
        "'metadata.uid' is in fieldSelector form",
    ),
    ("metadata.uid=abc", "expected shardRange(...) but found 'metadata'"),
    (
        "shardRange(object.metadata.uid, '0xZZ', '0x1')",
        "hexStart '0xZZ' at position 32 is not a hexadecimal number",
    ),
    (
        "shardRange(object.metadata.uid, '0x1', 'ff')",
        "hexEnd 'ff' at position 39 is not a hexadecimal number with a 0x prefix",
    ),
    (
        "shardRange(object.metadata.uid, '0x8', '0x1')",
        "hexStart 0x8 is greater than hexEnd 0x1",
    ),
    (
        "shardRange(object.metadata.uid, '0x0', '0x10000000000000001')",
        "hexEnd '0x10000000000000001' at position 39 is beyond the end of the hash space",
    ),
    ("garbage", "expected shardRange(...) but found 'garbage' at position 0"),
    (f"{U} ||", "trailing '||' at the end of the expression"),
    (
        f"{U} || shardRange(object.metadata.namespace, '0x0', '0x1')",
        "must hash the same field",
    ),
    (
        "shardRange(object.metadata.uid, '0x0', '0x1'",
        "expected ')' closing shardRange(",
    ),
    ("ünïcödé", "unexpected character 'ü' at position 0"),
]


@pytest.mark.parametrize("watch", [False, True])
@pytest.mark.parametrize(("selector", "problem"), MALFORMED)
def test_malformed_selectors_are_400_naming_the_problem(
    tls_client: Client, selector: str, problem: str, watch: bool
) -> None:
    params = {"shardSelector": selector}
    if watch:
        params["watch"] = "true"
    response = tls_client.get(ALL_CONFIGMAPS, params=params)
    assert response.status_code == 400, response.text
    status = status_of(response)
    assert status["reason"] == "BadRequest"
    assert status["message"].startswith("invalid shardSelector: ")
    assert problem in status["message"]


def test_the_typed_client_raises_bad_request(cs: ClientSet) -> None:
    from kubeclient.errors import BadRequest

    with pytest.raises(BadRequest, match="unsupported field path"):
        cs.core_v1.pods("").list(shard="shardRange(object.metadata.name, '0x0', '0x1')")


@pytest.mark.parametrize(
    "selector",
    [
        "x" * 500_000,
        "(" * 200_000,
        " || ".join([U] * 5_000) + " ||",
        "shardRange(object.metadata.uid, '0x0', '0x" + "f" * 100_000 + "')",
        "shardRange(" + "object." * 50_000 + "uid, '0x0', '0x1')",
        "\U0001f600" * 50_000,
        "shardRange(object.metadata.uid, '\x00', '0x1')",
    ],
)
def test_hostile_selectors_are_refused_and_the_server_stays_up(
    tls_client: Client, selector: str
) -> None:
    response = tls_client.get(ALL_CONFIGMAPS, params={"shardSelector": selector})
    assert response.status_code == 400, response.text[:300]
    assert len(status_of(response)["message"]) < 400  # not echoed back in full
    assert tls_client.get(ALL_CONFIGMAPS).status_code == 200


def test_many_ranges_are_accepted(
    client: Client, spread: dict[str, dict[str, Any]]
) -> None:
    from kubeclient.sharding import Shard, any_of

    shards = Shard.split(2_000)
    body = client.get(ALL_CONFIGMAPS, params={"shardSelector": any_of(shards)}).json()
    assert len(body["items"]) == len(spread)
