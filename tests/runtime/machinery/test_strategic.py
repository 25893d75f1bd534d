"""Strategic merge patch, applied and created: cases from apimachinery's
strategicpatch tests and kubectl behaviour, on the test schema and on real models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.runtime.machinery.errors import PatchError
from generator.runtime.machinery.mergepatch import merge_patch
from generator.runtime.machinery.strategic import (
    create_strategic_merge_patch,
    strategic_merge_patch,
)

from .models import (
    MergeItem,
    Widget,
    kube,
    live_pod,
)

# --------------------------------------------------------------------------- strategic merge patch
# The cases follow apimachinery's strategicpatch test data (MergeItem schema).


SMP_CASES = [
    (
        "maps merge, null deletes",
        {"name": "1", "value": "1", "simpleMap": {"a": "1", "b": "2"}},
        {"value": None, "other": "x", "simpleMap": {"a": None, "c": "3"}},
        {"name": "1", "other": "x", "simpleMap": {"b": "2", "c": "3"}},
    ),
    (
        "unique scalars when merging lists",
        {"mergingIntList": [1, 2]},
        {"mergingIntList": [2, 3]},
        {"mergingIntList": [1, 2, 3]},
    ),
    (
        "non-merging lists are replaced",
        {"nonMergingIntList": [1, 2], "nonMergingList": [{"name": "1"}]},
        {"nonMergingIntList": [3], "nonMergingList": [{"name": "2"}]},
        {"nonMergingIntList": [3], "nonMergingList": [{"name": "2"}]},
    ),
    (
        "merging list merges items by key",
        {"mergingList": [{"name": "1", "value": "a"}, {"name": "2", "value": "b"}]},
        {"mergingList": [{"name": "2", "other": "x", "value": None}]},
        {"mergingList": [{"name": "1", "value": "a"}, {"name": "2", "other": "x"}]},
    ),
    (
        "delete map from nested map",
        {"simpleMap": {"key1": "1", "key2": "1"}},
        {"simpleMap": {"$patch": "delete"}},
        {"simpleMap": {}},
    ),
    (
        "delete all items from merging list",
        {"mergingList": [{"name": "1"}, {"name": "2"}]},
        {"mergingList": [{"$patch": "replace"}]},
        {"mergingList": []},
    ),
    (
        "replace a merging list",
        {"mergingList": [{"name": "1"}, {"name": "2"}]},
        {"mergingList": [{"name": "3", "value": None}, {"$patch": "replace"}]},
        {"mergingList": [{"name": "3"}]},
    ),
    (
        "merge empty merging lists",
        {"mergingList": []},
        {"mergingList": []},
        {"mergingList": []},
    ),
    (
        "delete all keys from map",
        {"name": "1", "value": "1"},
        {"$patch": "replace"},
        {},
    ),
    (
        "add key and delete all keys from map",
        {"name": "1", "value": "1"},
        {"other": "a", "$patch": "replace"},
        {"other": "a"},
    ),
    (
        "delete all duplicate entries in a merging list",
        {
            "mergingList": [
                {"name": "1"},
                {"name": "1"},
                {"name": "2", "value": "a"},
                {"name": "3"},
                {"name": "3"},
            ]
        },
        {
            "mergingList": [
                {"name": "1", "$patch": "delete"},
                {"name": "3", "$patch": "delete"},
            ]
        },
        {"mergingList": [{"name": "2", "value": "a"}]},
    ),
    (
        "retainKeys map clears the keys it does not list",
        {"retainKeysMap": {"name": "foo", "value": "a", "other": "b"}},
        {"retainKeysMap": {"$retainKeys": ["name", "other"], "other": "c"}},
        {"retainKeysMap": {"name": "foo", "other": "c"}},
    ),
    (
        "retainKeys map without the directive merges",
        {"retainKeysMap": {"name": "foo", "value": "a"}},
        {"retainKeysMap": {"value": None, "other": "b"}},
        {"retainKeysMap": {"name": "foo", "other": "b"}},
    ),
    (
        "retainKeys in a merging list item",
        {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "a"}]},
        {
            "retainKeysMergingList": [
                {"name": "foo", "other": "b", "$retainKeys": ["name", "other"]}
            ]
        },
        {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "other": "b"}]},
    ),
    (
        "preserve the order from the patch in a merging list",
        {"mergingList": [{"name": "1"}, {"name": "2", "value": "b"}, {"name": "3"}]},
        {
            "mergingList": [
                {"name": "3", "value": "c"},
                {"name": "1", "value": "a"},
                {"name": "2", "other": "x"},
            ]
        },
        {
            "mergingList": [
                {"name": "3", "value": "c"},
                {"name": "1", "value": "a"},
                {"name": "2", "value": "b", "other": "x"},
            ]
        },
    ),
    (
        "server-only items keep their place relative to patched ones",
        {"mergingList": [{"name": "1"}, {"name": "2", "value": "b"}, {"name": "3"}]},
        {"mergingList": [{"name": "3", "value": "c"}, {"name": "1", "value": "a"}]},
        {
            "mergingList": [
                {"name": "2", "value": "b"},
                {"name": "3", "value": "c"},
                {"name": "1", "value": "a"},
            ]
        },
    ),
    (
        "preserve the order from the patch in a merging int list",
        {"mergingIntList": [1, 2, 3]},
        {"mergingIntList": [3, 1]},
        {"mergingIntList": [2, 3, 1]},
    ),
    (
        "$setElementOrder orders a merging list",
        {"mergingList": [{"name": "1"}, {"name": "3"}]},
        {
            "$setElementOrder/mergingList": [
                {"name": "3"},
                {"name": "2"},
                {"name": "1"},
            ],
            "mergingList": [{"name": "3", "value": "3"}, {"name": "1", "value": "1"}],
        },
        {"mergingList": [{"name": "3", "value": "3"}, {"name": "1", "value": "1"}]},
    ),
    (
        "$setElementOrder alone reorders an int list",
        {"mergingIntList": [1, 3]},
        {"$setElementOrder/mergingIntList": [3, 2, 1]},
        {"mergingIntList": [3, 1]},
    ),
    (
        "$setElementOrder with an added item and a deletion",
        {"mergingList": [{"name": "1"}, {"name": "2"}, {"name": "3"}]},
        {
            "$setElementOrder/mergingList": [
                {"name": "3"},
                {"name": "4"},
                {"name": "1"},
            ],
            "mergingList": [{"name": "4"}, {"name": "2", "$patch": "delete"}],
        },
        {"mergingList": [{"name": "3"}, {"name": "4"}, {"name": "1"}]},
    ),
    (
        "$deleteFromPrimitiveList removes scalars",
        {"mergingIntList": [1, 2, 3]},
        {"$deleteFromPrimitiveList/mergingIntList": [2, 5], "mergingIntList": [4]},
        {"mergingIntList": [4, 1, 3]},
    ),
    (
        "replace strategy replaces a map",
        {"replaceMap": {"name": "a", "value": "1"}, "replacingItem": {"x": 1}},
        {"replaceMap": {"value": "2"}, "replacingItem": {"y": 2}},
        {"replaceMap": {"value": "2"}, "replacingItem": {"y": 2}},
    ),
    (
        "new values are inserted with directives processed and nulls dropped",
        {},
        {
            "mergingList": [{"name": "1", "value": None}, {"name": "2"}],
            "simpleMap": {"a": "1", "b": None},
        },
        {"mergingList": [{"name": "1"}, {"name": "2"}], "simpleMap": {"a": "1"}},
    ),
    (
        "map of structs merges values as structs",
        {"itemsByName": {"a": {"mergingList": [{"name": "1"}]}}},
        {"itemsByName": {"a": {"mergingList": [{"name": "2"}]}, "b": {"name": "b"}}},
        {
            "itemsByName": {
                "a": {"mergingList": [{"name": "2"}, {"name": "1"}]},
                "b": {"name": "b"},
            }
        },
    ),
    (
        "a list whose type changed is replaced",
        {"mergingList": {"name": "oops"}},
        {"mergingList": [{"name": "1"}]},
        {"mergingList": [{"name": "1"}]},
    ),
]


@pytest.mark.parametrize(
    ("original", "patch", "expected"),
    [case[1:] for case in SMP_CASES],
    ids=[case[0] for case in SMP_CASES],
)
def test_strategic_merge_patch_cases(
    original: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]
) -> None:
    before = (json.dumps(original), json.dumps(patch))
    assert strategic_merge_patch(original, patch, MergeItem) == expected
    assert (json.dumps(original), json.dumps(patch)) == before


@pytest.mark.parametrize(
    ("patch", "status", "fragment"),
    [
        (
            {
                "$setElementOrder/mergingList": [
                    {"name": "1"},
                    {"name": "2"},
                    {"name": "3"},
                ],
                "mergingList": [{"name": "3"}, {"name": "1"}],
            },
            500,
            "doesn't match",
        ),
        ({"retainKeysMap": {"$retainKeys": ["name"], "value": "x"}}, 400, "retainKeys"),
        ({"retainKeysMap": {"$retainKeys": "name"}}, 400, "retainKeys"),
        ({"$deleteFromPrimitiveListmergingIntList": [1]}, 400, "primitive list"),
        ({"$setElementOrder": [1]}, 400, "setElementOrder"),
        ({"mergingList": [{"value": "no key"}]}, 500, "merge key: name"),
        ({"mergingList": [{"name": "1", "$patch": "merge"}]}, 500, "cannot yet"),
        ({"mergingList": [{"name": "1", "$patch": "explode"}]}, 500, "unknown patch"),
        ({"simpleMap": {"$patch": "merge"}}, 500, "unknown patch type: merge"),
        ({"mergingIntList": [[1]]}, 422, "lists of lists"),
        ({"mergingIntList": ["a"]}, 500, "not identical"),
    ],
)
def test_strategic_merge_patch_errors(
    patch: dict[str, Any], status: int, fragment: str
) -> None:
    original = {
        "mergingList": [{"name": "1"}, {"name": "3"}, {"name": "2"}],
        "mergingIntList": [1],
        "simpleMap": {"a": "b"},
        "retainKeysMap": {"name": "n"},
    }
    with pytest.raises(PatchError) as err:
        strategic_merge_patch(original, patch, MergeItem)
    assert err.value.status == status
    assert fragment in str(err.value)


def test_strategic_merge_patch_needs_objects() -> None:
    for doc, patch in (({}, []), ([], {})):
        with pytest.raises(PatchError) as err:
            strategic_merge_patch(doc, patch, MergeItem)
        assert err.value.status == 400


def test_strategic_merge_patch_without_schema_is_a_merge_patch() -> None:
    doc = {"spec": {"items": [{"name": "a"}], "keep": 1}}
    patch = {"spec": {"items": [{"name": "b"}], "keep": None}}
    assert strategic_merge_patch(doc, patch, None) == {
        "spec": {"items": [{"name": "b"}]}
    }
    # inside a free-form field of a typed object too: lists replace, no directives
    doc2 = {"spec": {"config": {"l": [1], "m": {"a": 1}}}}
    patch2 = {"spec": {"config": {"l": [2], "m": {"b": 2}}}}
    assert strategic_merge_patch(doc2, patch2, Widget) == {
        "spec": {"config": {"l": [2], "m": {"a": 1, "b": 2}}}
    }


CREATE_CASES = [
    (
        {"name": "1", "value": "a", "simpleMap": {"x": "1"}},
        {"name": "1", "other": "b", "simpleMap": {"y": "2"}},
        {"value": None, "other": "b", "simpleMap": {"x": None, "y": "2"}},
    ),
    (
        {"mergingList": [{"name": "1"}, {"name": "2", "value": "x"}]},
        {"mergingList": [{"name": "2", "value": "y"}, {"name": "3"}]},
        {
            "$setElementOrder/mergingList": [{"name": "2"}, {"name": "3"}],
            "mergingList": [
                {"name": "2", "value": "y"},
                {"name": "3"},
                {"name": "1", "$patch": "delete"},
            ],
        },
    ),
    (
        {"mergingIntList": [1, 2, 3]},
        {"mergingIntList": [3, 4, 1]},
        {
            "$setElementOrder/mergingIntList": [3, 4, 1],
            "$deleteFromPrimitiveList/mergingIntList": [2],
            "mergingIntList": [4],
        },
    ),
    (
        {"mergingList": [{"name": "1"}, {"name": "2"}]},
        {"mergingList": [{"name": "2"}, {"name": "1"}]},
        {"$setElementOrder/mergingList": [{"name": "2"}, {"name": "1"}]},
    ),
    (
        {"retainKeysMap": {"name": "a", "value": "b"}},
        {"retainKeysMap": {"name": "a", "other": "c"}},
        {
            "retainKeysMap": {
                "$retainKeys": ["name", "other"],
                "other": "c",
                "value": None,
            }
        },
    ),
    (
        {"nonMergingList": [{"name": "1"}], "replacingItem": {"a": 1}},
        {"nonMergingList": [{"name": "2"}], "replacingItem": {"a": 1}},
        {"nonMergingList": [{"name": "2"}], "replacingItem": {"a": 1}},
    ),
    ({"name": "same"}, {"name": "same"}, {}),
]


@pytest.mark.parametrize(("original", "modified", "expected"), CREATE_CASES)
def test_create_strategic_merge_patch(
    original: dict[str, Any], modified: dict[str, Any], expected: dict[str, Any]
) -> None:
    patch = create_strategic_merge_patch(original, modified, MergeItem)
    assert patch == expected
    # the two-way patch takes original to modified
    assert strategic_merge_patch(original, patch, MergeItem) == modified


# --------------------------------------------------------------------------- SMP on real models


def test_smp_pod_containers_merge_by_name(generated: Path) -> None:
    from kubeclient.models.core_v1 import Pod

    kp = kube(generated, "strategic")
    pod = live_pod()
    patch = {"spec": {"containers": [{"name": "sidecar", "image": "proxy:2"}]}}
    result = kp.strategic_merge_patch(pod, patch, Pod)
    assert result["spec"]["containers"] == [
        pod["spec"]["containers"][0],
        {"name": "sidecar", "image": "proxy:2"},
    ]
    assert pod == live_pod()


def test_smp_pod_container_delete_directive(generated: Path) -> None:
    from kubeclient.models.core_v1 import Pod

    patch = {"spec": {"containers": [{"name": "app", "$patch": "delete"}]}}
    result = kube(generated, "strategic").strategic_merge_patch(live_pod(), patch, Pod)
    assert result["spec"]["containers"] == [{"name": "sidecar", "image": "proxy:1"}]


def test_smp_pod_env_merges_by_name(generated: Path) -> None:
    from kubeclient.models.core_v1 import Pod

    patch = {
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
                }
            ]
        }
    }
    result = kube(generated, "strategic").strategic_merge_patch(live_pod(), patch, Pod)
    assert result["spec"]["containers"][0]["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "3"},
        {"name": "C", "value": "4"},
    ]


def test_smp_pod_tolerations_are_replaced(generated: Path) -> None:
    from kubeclient.models.core_v1 import Pod

    # tolerations are atomic and have no patch strategy: the list is replaced
    patch = {"spec": {"tolerations": [{"key": "ssd", "operator": "Exists"}]}}
    result = kube(generated, "strategic").strategic_merge_patch(live_pod(), patch, Pod)
    assert result["spec"]["tolerations"] == [{"key": "ssd", "operator": "Exists"}]


def test_smp_pod_volume_retain_keys(generated: Path) -> None:
    from kubeclient.models.core_v1 import Pod

    kp = kube(generated, "strategic")
    config_map = {"name": "data", "configMap": {"name": "settings"}}
    # without $retainKeys the sources pile up (an invalid volume) ...
    merged = kp.strategic_merge_patch(
        live_pod(), {"spec": {"volumes": [config_map]}}, Pod
    )
    assert merged["spec"]["volumes"] == [{**config_map, "emptyDir": {}}]
    # ... kubectl sends $retainKeys (volumes are "merge,retainKeys") to swap them
    patch = {
        "spec": {"volumes": [{**config_map, "$retainKeys": ["configMap", "name"]}]}
    }
    result = kp.strategic_merge_patch(live_pod(), patch, Pod)
    assert result["spec"]["volumes"] == [config_map]


def test_smp_finalizers_merge_as_a_set(generated: Path) -> None:
    from kubeclient.models.core_v1 import Pod

    kp = kube(generated, "strategic")
    # ObjectMeta.finalizers has patchStrategy "merge": a patch adds, never replaces
    added = kp.strategic_merge_patch(
        live_pod(),
        {"metadata": {"finalizers": ["example.com/b", "example.com/c"]}},
        Pod,
    )
    assert added["metadata"]["finalizers"] == [
        "example.com/a",
        "example.com/b",
        "example.com/c",
    ]
    removed = kp.strategic_merge_patch(
        live_pod(),
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/a"]}},
        Pod,
    )
    assert removed["metadata"]["finalizers"] == ["example.com/b"]
    # a JSON merge patch, by contrast, replaces the list
    merged = merge_patch(live_pod(), {"metadata": {"finalizers": ["example.com/c"]}})
    assert merged["metadata"]["finalizers"] == ["example.com/c"]


def test_smp_set_element_order_reorders_containers(generated: Path) -> None:
    from kubeclient.models.core_v1 import Pod

    patch = {
        "spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]}
    }
    result = kube(generated, "strategic").strategic_merge_patch(live_pod(), patch, Pod)
    assert [c["name"] for c in result["spec"]["containers"]] == ["sidecar", "app"]


def test_smp_two_way_patch_round_trips_on_a_pod(generated: Path) -> None:
    from kubeclient.models.core_v1 import Pod

    kp = kube(generated, "strategic")
    original = live_pod()
    modified = live_pod()
    modified["metadata"]["finalizers"] = ["example.com/b", "example.com/z"]
    modified["metadata"]["labels"] = {"app": "web"}
    modified["spec"]["containers"] = [
        {"name": "sidecar", "image": "proxy:2"},
        {"name": "debug", "image": "busybox"},
    ]
    modified["spec"]["volumes"] = [{"name": "data", "configMap": {"name": "cfg"}}]
    patch = kp.create_strategic_merge_patch(original, modified, Pod)
    assert patch["metadata"]["$deleteFromPrimitiveList/finalizers"] == ["example.com/a"]
    assert {"name": "app", "$patch": "delete"} in patch["spec"]["containers"]
    assert patch["spec"]["$setElementOrder/containers"] == [
        {"name": "sidecar"},
        {"name": "debug"},
    ]
    assert patch["spec"]["volumes"] == [
        {
            "name": "data",
            "configMap": {"name": "cfg"},
            "emptyDir": None,
            "$retainKeys": ["configMap", "name"],
        }
    ]
    assert kp.strategic_merge_patch(original, patch, Pod) == modified
