"""Patch engines: RFC 6902 / RFC 7386 examples, strategic merge patch cases from
apimachinery's strategicpatch tests and kubectl behaviour, server-side apply as
structured-merge-diff and the apiserver field manager do it."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest

from generator.runtime._model import D, F, L, Lst, Map, Model, Obj, Opt
from generator.runtime.patch import (
    ApplyConflict,
    Conflict,
    FieldPath,
    PatchError,
    apply,
    create_strategic_merge_patch,
    decode_fields_v1,
    encode_fields_v1,
    field_set,
    format_path,
    json_patch,
    manager_from_user_agent,
    merge_patch,
    record_update,
    strategic_merge_patch,
)

T0 = "2024-05-01T10:00:00Z"
T1 = "2024-05-01T11:00:00Z"
T2 = "2024-05-01T12:00:00Z"


# --------------------------------------------------------------------------- test schema


class MergeItem(Model):
    """apimachinery's strategicpatch test type, field for field."""

    __slots__ = ()
    name: Opt[str] = F("name", default=None)
    value: Opt[str] = F("value", default=None)
    other: Opt[str] = F("other", default=None)
    merging_list: Lst[MergeItem] = F(
        "mergingList",
        L("MergeItem"),
        default=None,
        patch_strategy="merge",
        patch_merge_key="name",
    )
    non_merging_list: Lst[MergeItem] = F("nonMergingList", L("MergeItem"), default=None)
    merging_int_list: Opt[list[int]] = F(
        "mergingIntList", default=None, patch_strategy="merge"
    )
    non_merging_int_list: Opt[list[int]] = F("nonMergingIntList", default=None)
    simple_map: Opt[dict[str, str]] = F("simpleMap", default=None)
    replacing_item: Opt[dict[str, Any]] = F(
        "replacingItem", default=None, patch_strategy="replace"
    )
    retain_keys_map: Obj[RetainKeysItem] = F(
        "retainKeysMap", "RetainKeysItem", default=None, patch_strategy="retainKeys"
    )
    retain_keys_merging_list: Lst[MergeItem] = F(
        "retainKeysMergingList",
        L("MergeItem"),
        default=None,
        patch_strategy="merge,retainKeys",
        patch_merge_key="name",
    )
    replace_map: Obj[MergeItem] = F(
        "replaceMap", "MergeItem", default=None, patch_strategy="replace"
    )
    items_by_name: Map[MergeItem] = F("itemsByName", D("MergeItem"), default=None)


class RetainKeysItem(Model):
    __slots__ = ()
    name: Opt[str] = F("name", default=None)
    value: Opt[str] = F("value", default=None)
    other: Opt[str] = F("other", default=None)
    simple_map: Opt[dict[str, str]] = F("simpleMap", default=None)


class Port(Model):
    __slots__ = ()
    container_port: Opt[int] = F("containerPort", default=None)
    protocol: Opt[str] = F("protocol", default=None)
    name: Opt[str] = F("name", default=None)


class Selector(Model):
    """A struct with type-level ``x-kubernetes-map-type: atomic`` (LabelSelector)."""

    __slots__ = ()
    _map_type_: ClassVar[str] = "atomic"
    match_labels: Opt[dict[str, str]] = F("matchLabels", default=None)


class Container(Model):
    __slots__ = ()
    name: Opt[str] = F("name", default=None)
    image: Opt[str] = F("image", default=None)
    args: Opt[list[str]] = F("args", default=None, list_type="atomic")
    ports: Lst[Port] = F(
        "ports",
        L("Port"),
        default=None,
        list_type="map",
        map_keys=("containerPort", "protocol"),
        patch_strategy="merge",
        patch_merge_key="containerPort",
    )


class Spec(Model):
    __slots__ = ()
    replicas: Opt[int] = F("replicas", default=None)
    paused: Opt[bool] = F("paused", default=None)
    selector: Obj[Selector] = F("selector", "Selector", default=None)
    containers: Lst[Container] = F(
        "containers",
        L("Container"),
        default=None,
        list_type="map",
        map_keys=("name",),
        patch_strategy="merge",
        patch_merge_key="name",
    )
    hosts: Opt[list[str]] = F("hosts", default=None, list_type="set")
    tags: Opt[list[str]] = F("tags", default=None)
    node_selector: Opt[dict[str, str]] = F(
        "nodeSelector", default=None, map_type="atomic"
    )
    config: Opt[dict[str, Any]] = F("config", default=None)


class Meta(Model):
    __slots__ = ()
    name: Opt[str] = F("name", default=None)
    namespace: Opt[str] = F("namespace", default=None)
    uid: Opt[str] = F("uid", default=None)
    labels: Opt[dict[str, str]] = F("labels", default=None)
    annotations: Opt[dict[str, str]] = F("annotations", default=None)
    finalizers: Opt[list[str]] = F(
        "finalizers", default=None, list_type="set", patch_strategy="merge"
    )
    managed_fields: Opt[list[dict[str, Any]]] = F(
        "managedFields", default=None, list_type="atomic"
    )


class Widget(Model, api_version="example.com/v1", kind="Widget"):
    __slots__ = ()
    metadata: Obj[Meta] = F("metadata", "Meta", default=None)
    spec: Obj[Spec] = F("spec", "Spec", default=None)
    data: Opt[dict[str, str]] = F("data", default=None)


def widget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": spec,
    }


def entries(obj: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = obj["metadata"].get("managedFields", [])
    return found


def owned(
    obj: dict[str, Any], manager: str, operation: str = "Apply"
) -> set[FieldPath]:
    for entry in entries(obj):
        if entry["manager"] == manager and entry["operation"] == operation:
            return decode_fields_v1(entry["fieldsV1"])
    return set()


REPLICAS: FieldPath = ("f:spec", "f:replicas")


def kube(generated: Path) -> ModuleType:
    """The patch module of the generated package, which shares its _model copy."""
    return importlib.import_module("kubeclient.patch")


# --------------------------------------------------------------------------- JSON patch


RFC6902_EXAMPLES = [
    (  # A.1 adding an object member
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux"}],
        {"baz": "qux", "foo": "bar"},
    ),
    (  # A.2 adding an array element
        {"foo": ["bar", "baz"]},
        [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]},
    ),
    (  # A.3 removing an object member
        {"baz": "qux", "foo": "bar"},
        [{"op": "remove", "path": "/baz"}],
        {"foo": "bar"},
    ),
    (  # A.4 removing an array element
        {"foo": ["bar", "qux", "baz"]},
        [{"op": "remove", "path": "/foo/1"}],
        {"foo": ["bar", "baz"]},
    ),
    (  # A.5 replacing a value
        {"baz": "qux", "foo": "bar"},
        [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"},
    ),
    (  # A.6 moving a value
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
    ),
    (  # A.7 moving an array element
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]},
    ),
    (  # A.8 testing a value: success
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [
            {"op": "test", "path": "/baz", "value": "qux"},
            {"op": "test", "path": "/foo/1", "value": 2},
        ],
        {"baz": "qux", "foo": ["a", 2, "c"]},
    ),
    (  # A.10 adding a nested member object
        {"foo": "bar"},
        [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}},
    ),
    (  # A.11 ignoring unrecognized elements
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
        {"foo": "bar", "baz": "qux"},
    ),
    (  # A.14 ~ escape ordering
        {"/": 9, "~1": 10},
        [{"op": "test", "path": "/~01", "value": 10}],
        {"/": 9, "~1": 10},
    ),
    (  # A.16 adding an array value
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]},
    ),
    (  # copy is deep, and "" is the whole document
        {"a": {"b": [1]}},
        [
            {"op": "copy", "from": "/a", "path": "/c"},
            {"op": "add", "path": "/c/b/-", "value": 2},
        ],
        {"a": {"b": [1]}, "c": {"b": [1, 2]}},
    ),
    ({"a": 1}, [{"op": "replace", "path": "", "value": [1]}], [1]),
    ({"a/b": 1}, [{"op": "move", "from": "/a~1b", "path": "/c~0d"}], {"c~d": 1}),
]


@pytest.mark.parametrize(("doc", "ops", "expected"), RFC6902_EXAMPLES)
def test_json_patch_rfc6902_examples(doc: Any, ops: list[Any], expected: Any) -> None:
    before = json.dumps(doc)
    assert json_patch(doc, ops) == expected
    assert json.dumps(doc) == before  # the input is untouched


@pytest.mark.parametrize(
    ("doc", "ops", "fragment"),
    [
        # A.9 testing a value: error
        ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}], "test"),
        # A.12 adding to a nonexistent target
        ({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}], "baz"),
        # A.15 comparing strings and numbers
        ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}], "test"),
        # JSON's true is not 1, whatever Python thinks
        ({"a": 1}, [{"op": "test", "path": "/a", "value": True}], "test"),
        ({"a": 1}, [{"op": "remove", "path": "/b"}], "'b'"),
        ({"a": 1}, [{"op": "replace", "path": "/b", "value": 1}], "'b'"),
        ({"a": [1]}, [{"op": "add", "path": "/a/2", "value": 1}], "out of range"),
        ({"a": [1, 2]}, [{"op": "remove", "path": "/a/01"}], "array index"),
        ({"a": [1]}, [{"op": "remove", "path": "/a/-"}], "array index"),
        ({"a": 1}, [{"op": "add", "path": "a", "value": 1}], "'/'"),
        ({"a": 1}, [{"op": "add", "path": "/~2", "value": 1}], "escape"),
        ({"a": 1}, [{"op": "add", "path": "/b"}], "value"),
        ({"a": 1}, [{"op": "frobnicate", "path": "/a"}], "Unexpected kind"),
        ({"a": {"b": 1}}, [{"op": "move", "from": "/a", "path": "/a/b/c"}], "child"),
        ({"a": 1}, [{"op": "add", "value": 1}], "path"),
    ],
)
def test_json_patch_failures_are_422(doc: Any, ops: list[Any], fragment: str) -> None:
    with pytest.raises(PatchError) as err:
        json_patch(doc, ops)
    assert err.value.status == 422
    assert err.value.reason == "Invalid"
    assert fragment in str(err.value)


def test_json_patch_test_treats_missing_members_as_null() -> None:
    # evanphx/json-patch v4, which the API server runs, does so
    doc = {"metadata": {"name": "a"}}
    assert (
        json_patch(doc, [{"op": "test", "path": "/metadata/uid", "value": None}]) == doc
    )
    assert json_patch(doc, [{"op": "test", "path": "/metadata/uid"}]) == doc
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "test", "path": "/metadata/name", "value": None}])
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "test", "path": "/spec/x", "value": None}])


def test_json_patch_is_all_or_nothing() -> None:
    doc = {"a": 1}
    ops = [
        {"op": "add", "path": "/b", "value": 2},
        {"op": "test", "path": "/a", "value": 2},
    ]
    with pytest.raises(PatchError):
        json_patch(doc, ops)
    assert doc == {"a": 1}


@pytest.mark.parametrize("ops", [{"op": "add"}, ["add"], None, [{"op": "add"}, 1]])
def test_json_patch_malformed_document_is_400(ops: Any) -> None:
    with pytest.raises(PatchError) as err:
        json_patch({}, ops)
    assert err.value.status == 400


def test_json_patch_operation_limit_is_413() -> None:
    ops = [{"op": "test", "path": "", "value": {}}] * 10000
    assert json_patch({}, ops) == {}
    with pytest.raises(PatchError) as err:
        json_patch({}, [*ops, ops[0]])
    assert err.value.status == 413


# --------------------------------------------------------------------------- merge patch


RFC7386_EXAMPLES = [  # Appendix A
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    (  # section 3
        {
            "title": "Goodbye!",
            "author": {"givenName": "John", "familyName": "Doe"},
            "tags": ["example", "sample"],
            "content": "This will be unchanged",
        },
        {
            "title": "Hello!",
            "phoneNumber": "+01-123-456-7890",
            "author": {"familyName": None},
            "tags": ["example"],
        },
        {
            "title": "Hello!",
            "author": {"givenName": "John"},
            "tags": ["example"],
            "content": "This will be unchanged",
            "phoneNumber": "+01-123-456-7890",
        },
    ),
]


@pytest.mark.parametrize(("doc", "patch", "expected"), RFC7386_EXAMPLES)
def test_merge_patch_rfc7386_examples(doc: Any, patch: Any, expected: Any) -> None:
    before = json.dumps(doc)
    result = merge_patch(doc, patch)
    assert result == expected
    assert json.dumps(doc) == before


def test_merge_patch_result_shares_nothing_with_inputs() -> None:
    doc = {"keep": {"x": [1]}, "change": {"y": 1}}
    patch = {"change": {"z": {"deep": [1]}}}
    result = merge_patch(doc, patch)
    result["keep"]["x"].append(2)
    result["change"]["z"]["deep"].append(2)
    assert doc == {"keep": {"x": [1]}, "change": {"y": 1}}
    assert patch == {"change": {"z": {"deep": [1]}}}


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


def live_pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "finalizers": ["example.com/a", "example.com/b"]},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "app:1",
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                },
                {"name": "sidecar", "image": "proxy:1"},
            ],
            "tolerations": [{"key": "gpu", "operator": "Exists"}],
            "volumes": [{"name": "data", "emptyDir": {}}],
        },
    }


def test_smp_pod_containers_merge_by_name(generated: Path) -> None:
    from kubeclient.models.core_v1 import Pod

    kp = kube(generated)
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
    result = kube(generated).strategic_merge_patch(live_pod(), patch, Pod)
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
    result = kube(generated).strategic_merge_patch(live_pod(), patch, Pod)
    assert result["spec"]["containers"][0]["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "3"},
        {"name": "C", "value": "4"},
    ]


def test_smp_pod_tolerations_are_replaced(generated: Path) -> None:
    from kubeclient.models.core_v1 import Pod

    # tolerations are atomic and have no patch strategy: the list is replaced
    patch = {"spec": {"tolerations": [{"key": "ssd", "operator": "Exists"}]}}
    result = kube(generated).strategic_merge_patch(live_pod(), patch, Pod)
    assert result["spec"]["tolerations"] == [{"key": "ssd", "operator": "Exists"}]


def test_smp_pod_volume_retain_keys(generated: Path) -> None:
    from kubeclient.models.core_v1 import Pod

    kp = kube(generated)
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

    kp = kube(generated)
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
    result = kube(generated).strategic_merge_patch(live_pod(), patch, Pod)
    assert [c["name"] for c in result["spec"]["containers"]] == ["sidecar", "app"]


def test_smp_two_way_patch_round_trips_on_a_pod(generated: Path) -> None:
    from kubeclient.models.core_v1 import Pod

    kp = kube(generated)
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


# --------------------------------------------------------------------------- FieldsV1


# Written the way the API server writes them (SMD's order: "." first, then f:, k:,
# v:, i:), from a Deployment and a Pod of a real cluster.
REAL_FIELDS_V1 = [
    '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":'
    '{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{}}}}}',
    '{"f:metadata":{"f:annotations":{".":{},"f:deployment.kubernetes.io/revision":{}}},'
    '"f:status":{"f:availableReplicas":{},"f:conditions":{".":{},'
    '"k:{\\"type\\":\\"Available\\"}":{".":{},"f:lastTransitionTime":{},'
    '"f:lastUpdateTime":{},"f:message":{},"f:reason":{},"f:status":{},"f:type":{}},'
    '"k:{\\"type\\":\\"Progressing\\"}":{".":{},"f:lastTransitionTime":{},'
    '"f:lastUpdateTime":{},"f:message":{},"f:reason":{},"f:status":{},"f:type":{}}},'
    '"f:observedGeneration":{},"f:readyReplicas":{},"f:replicas":{},'
    '"f:updatedReplicas":{}}}',
    '{"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":'
    '{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":'
    '{".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\\"containerPort\\":80,'
    '\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}}}}}}}}}',
    '{"f:metadata":{"f:finalizers":{".":{},"v:\\"example.com/a\\"":{}},'
    '"f:ownerReferences":{".":{},"k:{\\"uid\\":\\"3f1c1a2e-5e0b-4c43-9b5f-6d2d1c0a7b11\\"}":{}}},'
    '"f:spec":{"f:args":{"i:0":{},"i:1":{}}}}',
]


@pytest.mark.parametrize("raw", REAL_FIELDS_V1)
def test_fields_v1_round_trip_is_byte_exact(raw: str) -> None:
    paths = decode_fields_v1(json.loads(raw))
    assert json.dumps(encode_fields_v1(paths), separators=(",", ":")) == raw


def test_fields_v1_decode_members() -> None:
    paths = decode_fields_v1(json.loads(REAL_FIELDS_V1[0]))
    container: FieldPath = ("f:spec", "f:containers", 'k:{"name":"nginx"}')
    assert paths == {
        ("f:metadata", "f:labels", "f:app"),
        container,
        (*container, "f:image"),
    }


def test_fields_v1_order_and_canonical_keys() -> None:
    paths: set[FieldPath] = {
        ("f:b",),
        ("f:a", "i:10"),
        ("f:a", "i:9"),
        ("f:a", "v:true"),
        ("f:a", 'v:"x"'),
        ("f:a", "v:2"),
        ("f:a", 'k:{"port":443}'),
        ("f:a", 'k:{"port":80}'),
        ("f:a", "f:z"),
        ("f:a",),
    }
    encoded = encode_fields_v1(paths)
    assert list(encoded) == ["f:a", "f:b"]
    assert list(encoded["f:a"]) == [
        ".",
        "f:z",
        'k:{"port":80}',  # numbers compare as numbers, not as text
        'k:{"port":443}',
        "v:2",  # numbers < strings < booleans
        'v:"x"',
        "v:true",
        "i:9",
        "i:10",
    ]
    # keys are normalized: sorted, compact, as SMD writes them
    odd: dict[str, Any] = {
        'k:{"protocol": "TCP", "containerPort": 80}': {},
        "x:unknown": {},
    }
    assert decode_fields_v1(odd) == {('k:{"containerPort":80,"protocol":"TCP"}',)}


def test_fields_v1_rejects_garbage() -> None:
    bad: Any
    for bad in ([], {"f:a": 1}, {"k:[1]": {}}, {"q": {}}):
        with pytest.raises(PatchError):
            decode_fields_v1(bad)


def test_format_path_as_the_server_prints_it() -> None:
    path: FieldPath = (
        "f:spec",
        "f:containers",
        'k:{"name":"nginx"}',
        "f:ports",
        'k:{"containerPort":80,"protocol":"TCP"}',
        "f:hostPort",
    )
    assert format_path(path) == (
        '.spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"].hostPort'
    )
    assert (
        format_path(("f:metadata", "f:finalizers", 'v:"a"'))
        == '.metadata.finalizers[="a"]'
    )
    assert format_path(("f:args", "i:3")) == ".args[3]"


# --------------------------------------------------------------------------- field sets


def test_field_set_follows_list_and_map_types() -> None:
    obj = widget(
        replicas=1,
        selector={"matchLabels": {"a": "b"}},
        containers=[
            {"name": "c", "image": "i", "args": ["x"], "ports": [{"containerPort": 80}]}
        ],
        hosts=["h1", "h2"],
        tags=["t"],
        nodeSelector={"disk": "ssd"},
        config={"deep": {"x": [1]}},
    )
    obj["metadata"]["labels"] = {"app": "w"}
    container: FieldPath = ("f:spec", "f:containers", 'k:{"name":"c"}')
    port: FieldPath = (*container, "f:ports", 'k:{"containerPort":80}')
    assert field_set(obj, Widget) == {
        ("f:apiVersion",),
        ("f:kind",),
        ("f:metadata", "f:name"),
        ("f:metadata", "f:labels", "f:app"),  # map entries, not the map
        REPLICAS,
        ("f:spec", "f:selector"),  # type-level atomic struct
        container,
        (*container, "f:name"),
        (*container, "f:image"),
        (*container, "f:args"),  # atomic list: one field
        port,
        (*port, "f:containerPort"),
        ("f:spec", "f:hosts", 'v:"h1"'),  # set: one field per value
        ("f:spec", "f:hosts", 'v:"h2"'),
        ("f:spec", "f:tags"),  # no list type, no strategy: atomic
        ("f:spec", "f:nodeSelector"),  # field-level atomic map
        ("f:spec", "f:config", "f:deep"),  # free-form JSON: granular maps,
        ("f:spec", "f:config", "f:deep", "f:x"),  # atomic lists
    }


def test_field_set_of_real_models(generated: Path) -> None:
    from kubeclient.models.core_v1 import ConfigMap, Pod

    kp = kube(generated)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    cm["data"] = {"k": "v"}
    fields = encode_fields_v1(kp.field_set(cm, ConfigMap) - _stripped())
    assert fields == {"f:data": {"f:k": {}}}
    pod = live_pod()
    pod["spec"]["containers"][1]["ports"] = [{"containerPort": 80, "protocol": "TCP"}]
    sidecar = encode_fields_v1(kp.field_set(pod, Pod))["f:spec"]["f:containers"][
        'k:{"name":"sidecar"}'
    ]
    assert sidecar == {
        ".": {},
        "f:image": {},
        "f:name": {},
        "f:ports": {
            'k:{"containerPort":80,"protocol":"TCP"}': {
                ".": {},
                "f:containerPort": {},
                "f:protocol": {},
            }
        },
    }
    assert kp.field_set(pod, Pod) >= {
        ("f:metadata", "f:finalizers", 'v:"example.com/a"'),
        ("f:spec", "f:tolerations"),
    }


def _stripped() -> set[FieldPath]:
    return {("f:apiVersion",), ("f:kind",), ("f:metadata", "f:name")}


# --------------------------------------------------------------------------- server-side apply


def test_apply_creates_with_an_apply_entry() -> None:
    config = widget(replicas=2, containers=[{"name": "c", "image": "i"}])
    config["metadata"]["labels"] = {"app": "w"}
    result = apply(None, config, "alice", Widget, False, T0)
    assert {k: v for k, v in result.items() if k != "metadata"} == {
        k: v for k, v in config.items() if k != "metadata"
    }
    assert entries(result) == [
        {
            "manager": "alice",
            "operation": "Apply",
            "apiVersion": "example.com/v1",
            "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:containers": {
                        'k:{"name":"c"}': {".": {}, "f:image": {}, "f:name": {}}
                    },
                    "f:replicas": {},
                },
            },
        }
    ]
    assert "managedFields" not in config["metadata"]


def test_apply_two_managers_own_their_own_fields() -> None:
    live = apply(None, widget(replicas=2), "alice", Widget, False, T0)
    result = apply(live, widget(paused=True), "bob", Widget, False, T1)
    assert result["spec"] == {"replicas": 2, "paused": True}
    assert owned(result, "alice") == {REPLICAS}
    assert owned(result, "bob") == {("f:spec", "f:paused")}
    assert [e["manager"] for e in entries(result)] == ["alice", "bob"]


def test_apply_conflict_then_force() -> None:
    live = apply(None, widget(replicas=2), "alice", Widget, False, T0)
    with pytest.raises(ApplyConflict) as err:
        apply(live, widget(replicas=5), "bob", Widget, False, T1)
    assert err.value.status == 409
    assert err.value.reason == "Conflict"
    assert err.value.conflicts == [
        Conflict("alice", REPLICAS, "Apply", "example.com/v1")
    ]
    assert (
        str(err.value)
        == 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas'
    )
    assert err.value.causes == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "alice"',
            "field": ".spec.replicas",
        }
    ]
    forced = apply(live, widget(replicas=5), "bob", Widget, True, T1)
    assert forced["spec"]["replicas"] == 5
    assert owned(forced, "bob") == {REPLICAS}
    assert [e["manager"] for e in entries(forced)] == ["bob"]  # alice owns nothing


def test_apply_same_value_is_shared_and_survives_one_owner_leaving() -> None:
    live = apply(None, widget(replicas=2, paused=True), "alice", Widget, False, T0)
    shared = apply(live, widget(replicas=2), "bob", Widget, False, T1)
    assert REPLICAS in owned(shared, "alice") and REPLICAS in owned(shared, "bob")
    # alice stops applying replicas: bob still owns it, so it stays
    result = apply(shared, widget(paused=True), "alice", Widget, False, T2)
    assert result["spec"] == {"replicas": 2, "paused": True}
    assert owned(result, "alice") == {("f:spec", "f:paused")}
    assert owned(result, "bob") == {REPLICAS}


def test_apply_removes_fields_the_manager_stops_applying() -> None:
    config = widget(replicas=2, containers=[{"name": "a"}, {"name": "b", "image": "x"}])
    config["metadata"]["labels"] = {"app": "w", "tier": "web"}
    live = apply(None, config, "alice", Widget, False, T0)
    smaller = widget(containers=[{"name": "a"}])
    smaller["metadata"]["labels"] = {"app": "w"}
    result = apply(live, smaller, "alice", Widget, False, T1)
    assert result["metadata"]["labels"] == {"app": "w"}
    assert result["spec"] == {"containers": [{"name": "a"}]}
    assert entries(result)[0]["time"] == T1


def test_apply_keeps_an_item_another_manager_owns_part_of() -> None:
    config = widget(containers=[{"name": "a", "image": "x", "args": ["1"]}])
    live = apply(None, config, "alice", Widget, False, T0)
    # bob takes ownership of the image (same value: shared)
    live = apply(
        live, widget(containers=[{"name": "a", "image": "x"}]), "bob", Widget, False, T1
    )
    result = apply(live, widget(replicas=1), "alice", Widget, False, T2)
    # the container stays for bob's image; alice's args go
    assert result["spec"] == {
        "replicas": 1,
        "containers": [{"name": "a", "image": "x"}],
    }


def test_apply_unowned_fields_stay() -> None:
    live = widget(replicas=3, paused=False)  # created without managed fields
    result = apply(live, widget(replicas=4), "alice", Widget, False, T0)
    assert result["spec"] == {"replicas": 4, "paused": False}
    result = apply(result, widget(), "alice", Widget, False, T1)
    assert result["spec"] == {"paused": False}


def test_apply_merges_lists_by_their_type() -> None:
    live = widget(
        containers=[{"name": "a", "image": "1"}, {"name": "b", "image": "2"}],
        hosts=["x", "y"],
        tags=["t1", "t2"],
        selector={"matchLabels": {"a": "1", "b": "2"}},
        nodeSelector={"k1": "v1"},
    )
    config = widget(
        containers=[{"name": "c", "image": "3"}, {"name": "a", "image": "9"}],
        hosts=["z"],
        tags=["t3"],
        selector={"matchLabels": {"c": "3"}},
        nodeSelector={"k2": "v2"},
    )
    result = apply(live, config, "alice", Widget, True, T0)
    assert result["spec"] == {
        # associative: merged, config order for what it names
        "containers": [
            {"name": "c", "image": "3"},
            {"name": "a", "image": "9"},
            {"name": "b", "image": "2"},
        ],
        "hosts": ["x", "y", "z"],
        # atomic list, atomic struct and atomic map: replaced
        "tags": ["t3"],
        "selector": {"matchLabels": {"c": "3"}},
        "nodeSelector": {"k2": "v2"},
    }


def test_apply_conflicts_with_an_updater() -> None:
    created = record_update(None, widget(replicas=1), "kubectl-create", Widget, T0)
    scaled = dict(created, spec={"replicas": 3})
    scaled = record_update(
        created, scaled, "hpa-controller", Widget, T1, "example.com/v1"
    )
    assert owned(scaled, "hpa-controller", "Update") == {REPLICAS}
    assert owned(scaled, "kubectl-create", "Update") == set()
    with pytest.raises(ApplyConflict) as err:
        apply(scaled, widget(replicas=5, paused=True), "alice", Widget, False, T2)
    assert str(err.value) == (
        'Apply failed with 1 conflict: conflict with "hpa-controller" using '
        "example.com/v1: .spec.replicas"
    )


def test_apply_conflict_message_groups_by_manager() -> None:
    live = apply(None, widget(replicas=1, paused=True), "alice", Widget, False, T0)
    live = apply(live, widget(hosts=["h"]), "bob", Widget, False, T0)
    config = widget(replicas=2, paused=False, hosts=["h", "i"], tags=["x"])
    live = apply(live, widget(tags=["y"]), "carol", Widget, False, T0)
    with pytest.raises(ApplyConflict) as err:
        apply(live, config, "dave", Widget, False, T1)
    assert str(err.value) == (
        "Apply failed with 3 conflicts: "
        'conflicts with "alice":\n- .spec.paused\n- .spec.replicas\n'
        'conflicts with "carol":\n- .spec.tags'
    )


def test_apply_rejections() -> None:
    config = widget(replicas=1)
    with pytest.raises(PatchError) as err:
        apply(None, config, "", Widget, False, T0)
    assert err.value.status == 422
    bad = widget(replicas=1)
    bad["metadata"]["managedFields"] = []
    with pytest.raises(PatchError) as err:
        apply(None, bad, "alice", Widget, False, T0)
    assert (err.value.status, str(err.value)) == (
        400,
        "metadata.managedFields must be nil",
    )
    live = dict(widget(), apiVersion="example.com/v2")
    with pytest.raises(PatchError) as err:
        apply(live, config, "alice", Widget, False, T0)
    assert err.value.status == 400
    dup = widget(containers=[{"name": "a"}, {"name": "a"}])
    with pytest.raises(PatchError) as err:
        apply(None, dup, "alice", Widget, False, T0)
    assert err.value.status == 422
    assert "duplicate entries" in str(err.value)


def test_apply_noop_keeps_the_time_and_nulls_are_absent() -> None:
    live = apply(None, widget(replicas=1), "alice", Widget, False, T0)
    again = apply(live, widget(replicas=1, paused=None), "alice", Widget, False, T1)
    assert again == live


def test_apply_on_a_real_deployment(generated: Path) -> None:
    from kubeclient.models.apps_v1 import Deployment

    kp = kube(generated)

    def deployment(replicas: int | None, image: str) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": image}]},
            },
        }
        if replicas is not None:
            spec["replicas"] = replicas
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": spec,
        }

    live = kp.apply(None, deployment(2, "nginx:1"), "kubectl", Deployment, False, T0)
    image: FieldPath = (
        "f:spec",
        "f:template",
        "f:spec",
        "f:containers",
        'k:{"name":"nginx"}',
        "f:image",
    )
    assert image in owned(live, "kubectl")
    with pytest.raises(kp.PatchError) as err:
        kp.apply(live, deployment(None, "nginx:2"), "ci", Deployment, False, T1)
    assert err.value.status == 409
    assert [c.path for c in err.value.conflicts] == [image]
    # the controller's status write and a scale by an updater
    status = dict(live, status={"replicas": 2, "conditions": [{"type": "Available"}]})
    live = kp.record_update(live, status, "kube-controller-manager", Deployment, T1)
    scaled = json.loads(json.dumps(live))
    scaled["spec"]["replicas"] = 4
    live = kp.record_update(live, scaled, "hpa", Deployment, T1)
    # kubectl drops replicas from its config: hpa owns it now, so it stays
    result = kp.apply(
        live, deployment(None, "nginx:1"), "kubectl", Deployment, False, T2
    )
    assert result["spec"]["replicas"] == 4
    assert result["status"] == status["status"]
    kcm = owned(result, "kube-controller-manager", "Update")
    assert kcm == {
        ("f:status", "f:replicas"),
        ("f:status", "f:conditions"),
        ("f:status", "f:conditions", 'k:{"type":"Available"}'),
        ("f:status", "f:conditions", 'k:{"type":"Available"}', "f:type"),
    }
    assert [(e["manager"], e["operation"]) for e in entries(result)] == [
        ("kubectl", "Apply"),
        ("hpa", "Update"),
        ("kube-controller-manager", "Update"),
    ]


# --------------------------------------------------------------------------- updates


def test_record_update_create_owns_what_was_written() -> None:
    obj = widget(replicas=1, containers=[{"name": "a", "image": "x"}])
    obj["metadata"]["labels"] = {"app": "w"}
    obj["data"] = {"k": "v"}
    result = record_update(None, obj, "kubectl-create", Widget, T0)
    assert entries(result) == [
        {
            "manager": "kubectl-create",
            "operation": "Update",
            "apiVersion": "example.com/v1",
            "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:data": {".": {}, "f:k": {}},
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:containers": {
                        ".": {},
                        'k:{"name":"a"}': {".": {}, "f:image": {}, "f:name": {}},
                    },
                    "f:replicas": {},
                },
            },
        }
    ]
    assert "managedFields" not in obj["metadata"]


def test_record_update_moves_changed_fields_and_drops_removed_ones() -> None:
    created = record_update(
        None, widget(replicas=1, paused=True), "creator", Widget, T0
    )
    changed = json.loads(json.dumps(created))
    changed["spec"] = {"replicas": 2}
    changed["metadata"]["uid"] = "u1"
    result = record_update(created, changed, "scaler", Widget, T1)
    assert owned(result, "scaler", "Update") == {REPLICAS}
    assert owned(result, "creator", "Update") == set()  # lost replicas, paused is gone
    assert [e["manager"] for e in entries(result)] == ["scaler"]


def test_record_update_without_changes_keeps_entries() -> None:
    created = record_update(None, widget(replicas=1), "creator", Widget, T0)
    result = record_update(
        created, json.loads(json.dumps(created)), "other", Widget, T1
    )
    assert entries(result) == entries(created)


def test_record_update_managed_fields_reset_and_client_edits() -> None:
    created = record_update(None, widget(replicas=1), "creator", Widget, T0)
    created["metadata"]["uid"] = "u1"
    reset: list[Any]
    for reset in ([], [{}]):
        body = json.loads(json.dumps(created))
        body["metadata"]["managedFields"] = reset
        body["spec"]["replicas"] = 2
        # an update of an object without managed fields is not tracked
        assert (
            "managedFields"
            not in record_update(created, body, "x", Widget, T1)["metadata"]
        )
    body = json.loads(json.dumps(created))
    body["metadata"]["managedFields"][0]["manager"] = "renamed"
    result = record_update(created, body, "x", Widget, T1)
    assert [e["manager"] for e in entries(result)] == ["renamed"]
    body["metadata"]["managedFields"] = [{"manager": "bad"}]  # invalid: live ones win
    result = record_update(created, body, "x", Widget, T1)
    assert [e["manager"] for e in entries(result)] == ["creator"]


def test_record_update_of_a_subresource() -> None:
    created = record_update(None, widget(replicas=1), "creator", Widget, T0)
    created["metadata"]["uid"] = "u1"
    body = json.loads(json.dumps(created))
    body["metadata"]["managedFields"] = []  # ignored on a subresource
    body["spec"]["replicas"] = 2
    result = record_update(created, body, "autoscaler", Widget, T1, subresource="scale")
    scaler = [e for e in entries(result) if e["manager"] == "autoscaler"]
    assert [e.get("subresource") for e in scaler] == ["scale"]
    assert decode_fields_v1(scaler[0]["fieldsV1"]) == {REPLICAS}
    assert owned(result, "creator", "Update") == set()


def test_record_update_caps_update_managers() -> None:
    obj = record_update(None, widget(), "m0", Widget, T0)
    obj["metadata"]["uid"] = "u1"
    obj["data"] = {"k0": "v"}
    obj = record_update(None, obj, "m0", Widget, "2024-05-01T10:00:00Z")
    for i in range(1, 12):
        new = json.loads(json.dumps(obj))
        new["data"][f"k{i}"] = "v"
        obj = record_update(obj, new, f"m{i}", Widget, f"2024-05-01T10:00:{i:02d}Z")
    managers = [e["manager"] for e in entries(obj)]
    assert len(managers) == 10
    assert (
        "ancient-changes" in managers and "m0" not in managers and "m1" not in managers
    )
    assert owned(obj, "ancient-changes", "Update") >= {
        ("f:data", "f:k0"),
        ("f:data", "f:k1"),
        ("f:data", "f:k2"),
    }


def test_manager_from_user_agent() -> None:
    assert manager_from_user_agent("mine", "kubectl/v1.36.0") == "mine"
    assert manager_from_user_agent(
        None, "kubectl/v1.36.0 (linux/amd64) kubernetes/ab"
    ) == ("kubectl")
    assert manager_from_user_agent("", "OpenAPI-Generator/33.1.0/python") == (
        "OpenAPI-Generator"
    )
    assert manager_from_user_agent(None, None) == ""
    assert manager_from_user_agent(None, "a\tb/1") == "ab"
    assert manager_from_user_agent(None, "x" * 200) == "x" * 128
