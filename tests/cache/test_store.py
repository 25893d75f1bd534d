"""The indexed store on its own: keys, indices kept right through every change,
indexers added to a filled store, and copies that are safe to change."""

from __future__ import annotations

from typing import Any

import pytest

from generator.runtime.cache import (
    NAMESPACE_INDEX,
    DeletedFinalStateUnknown,
    Indexer,
    IndexerError,
    deep_copy,
    meta_namespace_key,
    namespace_index,
    split_key,
)


def pod(name: str, namespace: str = "default", node: str = "") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"nodeName": node},
    }


def by_node(obj: Any) -> list[str]:
    node = obj["spec"]["nodeName"]
    return [node] if node else []


def store(*pods: dict[str, Any]) -> Indexer[Any]:
    indexer: Indexer[Any] = Indexer({NAMESPACE_INDEX: namespace_index, "node": by_node})
    for p in pods:
        indexer.put(meta_namespace_key(p), p)
    return indexer


def names(objects: list[Any]) -> list[str]:
    return sorted(o["metadata"]["name"] for o in objects)


def test_keys() -> None:
    assert meta_namespace_key(pod("a", "ns")) == "ns/a"
    assert meta_namespace_key({"metadata": {"name": "node-1"}}) == "node-1"
    assert split_key("ns/a") == ("ns", "a") and split_key("node-1") == ("", "node-1")
    tombstone = DeletedFinalStateUnknown("ns/a", pod("a", "ns"))
    assert meta_namespace_key(tombstone) == "ns/a"
    with pytest.raises(KeyError, match="no metadata.name"):
        meta_namespace_key({"metadata": {}})


def test_indices_follow_updates_and_deletes() -> None:
    s = store(pod("a", node="n1"), pod("b", node="n1"), pod("c", "kube-system", "n2"))
    assert names(s.by_index("node", "n1")) == ["a", "b"]
    assert names(s.by_index(NAMESPACE_INDEX, "kube-system")) == ["c"]
    s.put("default/a", pod("a", node="n2"))  # moved to another node
    assert names(s.by_index("node", "n1")) == ["b"]
    assert names(s.by_index("node", "n2")) == ["a", "c"]
    assert s.pop("default/b") is not None
    assert s.by_index("node", "n1") == []
    assert s.list_index_values("node") == ["n2"]  # no empty value left behind
    assert s.pop("default/missing") is None
    assert names(s.index("node", pod("x", node="n2"))) == ["a", "c"]
    assert s.index_keys("node", "n2") == ["default/a", "kube-system/c"]
    with pytest.raises(IndexerError, match="'nope' does not exist"):
        s.by_index("nope", "x")


def test_replace_rebuilds_indices_and_returns_the_old_contents() -> None:
    s = store(pod("a", node="n1"), pod("b", node="n1"))
    before = s.replace([("default/c", pod("c", node="n3"))])
    assert sorted(before) == ["default/a", "default/b"]
    assert s.list_keys() == ["default/c"]
    assert s.by_index("node", "n1") == [] and names(s.by_index("node", "n3")) == ["c"]


def test_indexers_added_to_a_filled_store_index_what_it_holds() -> None:
    s: Indexer[Any] = Indexer()
    s.put("default/a", pod("a", node="n1"))
    s.add_indexers({"node": by_node})
    assert names(s.by_index("node", "n1")) == ["a"]
    with pytest.raises(IndexerError, match="indexer conflict: node"):
        s.add_indexers({"node": by_node})


def test_namespaced_reads_with_and_without_the_namespace_index() -> None:
    with_index = store(pod("a"), pod("b", "other"))
    without: Indexer[Any] = Indexer()
    for key in with_index.list_keys():
        obj = with_index.get_by_key(key)
        assert obj is not None
        without.put(key, obj)
    for s in (with_index, without):
        assert names(s.namespaced("default")) == ["a"]
        assert names(s.namespaced("other")) == ["b"]
        assert s.namespaced("none") == []
    assert with_index.get("other", "b") is not None and with_index.get("", "b") is None


def test_deep_copy_is_safe_to_change() -> None:
    s = store(pod("a"))
    cached = s.get_by_key("default/a")
    copy = deep_copy(cached)
    assert copy == cached and copy is not cached
    assert copy is not None
    copy["metadata"]["name"] = "changed"
    assert s.get_by_key("default/a") == pod("a")


def test_a_failing_index_function_changes_nothing() -> None:
    def picky(obj: Any) -> list[str]:
        if obj["metadata"]["name"] == "bad":
            raise RuntimeError("no node")
        return by_node(obj)

    s: Indexer[Any] = Indexer({"node": picky})
    s.put("default/a", pod("a", node="n1"))
    with pytest.raises(IndexerError, match="index 'node' failed on an object"):
        s.put("default/bad", pod("bad", node="n1"))
    assert s.list_keys() == ["default/a"]
    assert names(s.by_index("node", "n1")) == ["a"]
    with pytest.raises(IndexerError):
        s.replace([("default/bad", pod("bad"))])
    assert s.list_keys() == ["default/a"]
    with pytest.raises(IndexerError, match="must return a list of strings"):
        s.add_indexers({"wrong": lambda obj: "n1"})  # type: ignore[dict-item,return-value]
    assert "wrong" not in s.indexers()
