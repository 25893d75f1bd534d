"""Tests for generator/runtime/unstructured.py: a real dict, metadata helpers, list
items, and client-go's nested-field helpers (found flags, typed errors)."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest

from generator.runtime import unstructured as u
from generator.runtime.unstructured import Unstructured


def deployment() -> Unstructured:
    return Unstructured(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web",
                "namespace": "prod",
                "uid": "u-1",
                "resourceVersion": "7",
                "labels": {"app": "web"},
            },
            "spec": {
                "replicas": 3,
                "paused": False,
                "ratio": 0.5,
                "template": {
                    "metadata": {"name": "tpl"},
                    "spec": {"containers": [{"name": "c", "args": ["a", "b"]}]},
                },
                "nothing": None,
            },
        }
    )


# --------------------------------------------------------------------------- a dict


def test_no_dict_method_is_shadowed() -> None:
    own = set(vars(Unstructured))
    shadowed = {name for name in dir(dict) if name in own} - {
        "__module__",
        "__doc__",
        "__slots__",
        "__repr__",
    }
    assert shadowed == set()
    obj = deployment()
    assert next(iter(obj.items())) == ("apiVersion", "apps/v1")
    assert list(obj.keys())[:2] == ["apiVersion", "kind"]
    assert isinstance(obj.copy(), dict) and obj.copy() == obj


def test_copy_deepcopy_pickle_json() -> None:
    obj = deployment()
    shallow = copy.copy(obj)
    assert type(shallow) is Unstructured and shallow == obj
    assert shallow["spec"] is obj["spec"]
    deep = copy.deepcopy(obj)
    assert type(deep) is Unstructured and deep == obj
    assert deep["spec"] is not obj["spec"]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        loaded = pickle.loads(pickle.dumps(obj, protocol))
        assert type(loaded) is Unstructured and loaded == obj, protocol
    assert json.loads(json.dumps(obj)) == obj
    plain = obj.to_dict()
    assert type(plain) is dict and plain == obj
    assert plain["spec"] is not obj["spec"]


def test_metadata_helpers() -> None:
    obj = deployment()
    assert (obj.api_version, obj.kind, obj.name, obj.namespace) == (
        "apps/v1",
        "Deployment",
        "web",
        "prod",
    )
    assert (obj.uid, obj.resource_version) == ("u-1", "7")
    assert obj.labels == {"app": "web"} and obj.annotations == {}
    obj.annotations["note"] = "x"
    obj.labels = {"tier": "front"}
    obj.name, obj.namespace, obj.resource_version = "api", "dev", "8"
    obj.api_version, obj.kind = "apps/v1beta1", "Deploy"
    assert obj["metadata"] == {
        "name": "api",
        "namespace": "dev",
        "uid": "u-1",
        "resourceVersion": "8",
        "labels": {"tier": "front"},
        "annotations": {"note": "x"},
    }
    assert (obj["apiVersion"], obj["kind"]) == ("apps/v1beta1", "Deploy")
    assert repr(obj) == "<Unstructured apps/v1beta1 Deploy dev/api>"
    empty = Unstructured()
    assert (empty.name, empty.namespace, empty.uid, empty.resource_version) == (
        None,
        None,
        None,
        None,
    )
    assert empty.api_version == "" and empty.kind == ""
    assert Unstructured({"metadata": None}).metadata == {}
    with pytest.raises(TypeError, match="metadata is not an object"):
        _ = Unstructured({"metadata": "oops"}).metadata
    with pytest.raises(TypeError, match="metadata.labels is not an object"):
        _ = Unstructured({"metadata": {"labels": []}}).labels
    with pytest.raises(TypeError, match="mapping of str to str"):
        obj.labels = {"a": 1}  # type: ignore[dict-item]


def test_list_items() -> None:
    listing = Unstructured(
        {
            "kind": "ConfigMapList",
            "items": [{"metadata": {"name": "x"}}, {"metadata": {"name": "y"}}],
        }
    )
    assert listing.is_list()
    items = list(listing.each_list_item())
    assert [i.name for i in items] == ["x", "y"]
    assert all(type(i) is Unstructured for i in items)
    items[0].labels["edited"] = "yes"  # an item shares its data with the list
    assert listing["items"][0]["metadata"]["labels"] == {"edited": "yes"}
    assert next(listing.each_list_item()) is listing["items"][0]
    assert Unstructured({"kind": "ConfigMapList", "items": []}).is_list()
    assert list(Unstructured({"items": []}).each_list_item()) == []
    for not_a_list in ({"kind": "Pod"}, {"items": None}, {"items": {"a": 1}}):
        obj = Unstructured(not_a_list)
        assert not obj.is_list()
        with pytest.raises(ValueError, match="content is not a list"):
            list(obj.each_list_item())
    with pytest.raises(TypeError, match=r"items\[1\] is not an object"):
        list(Unstructured({"items": [{}, "junk"]}).each_list_item())


# --------------------------------------------------------------------------- getters


def test_nested_getters_find_values() -> None:
    obj = deployment()
    assert u.nested_string(obj, "spec", "template", "metadata", "name") == (
        "tpl",
        True,
    )
    assert obj.nested_string("spec", "template", "metadata", "name") == ("tpl", True)
    assert obj.nested_int64("spec", "replicas") == (3, True)
    assert obj.nested_bool("spec", "paused") == (False, True)
    assert obj.nested_float64("spec", "ratio") == (0.5, True)
    assert obj.nested_string_map("metadata", "labels") == ({"app": "web"}, True)
    containers, found = obj.nested_slice("spec", "template", "spec", "containers")
    assert found and containers == [{"name": "c", "args": ["a", "b"]}]
    spec, found = obj.nested_map("spec")
    assert found and spec["replicas"] == 3
    first = containers[0]
    assert u.nested_string_slice(first, "args") == (["a", "b"], True)
    live, found = obj.nested_field_no_copy("spec", "template")
    assert found and live is obj["spec"]["template"]
    copied, found = obj.nested_field_copy("spec", "template")
    assert found and copied == live and copied is not live
    assert obj.nested_field_no_copy() == (obj, True)


def test_nested_getters_copy_what_they_return() -> None:
    obj = deployment()
    containers, _ = obj.nested_slice("spec", "template", "spec", "containers")
    containers[0]["name"] = "changed"
    spec, _ = obj.nested_map("spec")
    spec["template"]["metadata"]["name"] = "changed"
    labels, _ = obj.nested_string_map("metadata", "labels")
    labels["new"] = "x"
    args, _ = u.nested_string_slice(
        obj["spec"]["template"]["spec"]["containers"][0], "args"
    )
    args.append("c")
    assert obj == deployment()


def test_missing_or_null_is_not_found() -> None:
    obj = deployment()
    assert obj.nested_string("spec", "missing") == ("", False)
    assert obj.nested_string("missing", "deeper", "still") == ("", False)
    # A null value is found (as in client-go), and is not an int.
    assert obj.nested_field_no_copy("spec", "nothing") == (None, True)
    with pytest.raises(TypeError, match="None is of the type NoneType, expected int"):
        obj.nested_int64("spec", "nothing")
    assert obj.nested_string("spec", "nothing", "below") == (
        "",
        False,
    )  # null on the way
    assert obj.nested_bool("spec", "x") == (False, False)
    assert obj.nested_float64("spec", "x") == (0.0, False)
    assert obj.nested_string_slice("spec", "x") == ([], False)
    assert obj.nested_string_map("spec", "x") == ({}, False)
    assert obj.nested_slice("spec", "x") == ([], False)
    assert obj.nested_map("spec", "x") == ({}, False)
    assert obj.nested_field_copy("spec", "x") == (None, False)


@pytest.mark.parametrize(
    ("getter", "fields", "message"),
    [
        (
            "nested_string",
            ("spec", "replicas"),
            r"^\.spec\.replicas accessor error: 3 is of the type int, expected str$",
        ),
        (
            "nested_int64",
            ("spec", "ratio"),
            r"\.spec\.ratio accessor error: 0\.5 is of the type float, expected int",
        ),
        (
            "nested_int64",
            ("spec", "paused"),
            r"False is of the type bool, expected int",
        ),
        (
            "nested_float64",
            ("spec", "replicas"),
            r"3 is of the type int, expected float",
        ),
        ("nested_bool", ("spec", "replicas"), r"expected bool"),
        ("nested_string_slice", ("spec", "replicas"), r"expected list"),
        (
            "nested_slice",
            ("spec",),
            r"^\.spec accessor error: .* is of the type dict, expected list",
        ),
        ("nested_map", ("spec", "replicas"), r"expected an object"),
        (
            "nested_string_map",
            ("spec",),
            r"\.spec accessor error: contains non-string value in the map under key 'replicas'",
        ),
        (
            "nested_string",
            ("spec", "replicas", "deeper"),
            r"^\.spec\.replicas\.deeper accessor error: 3 is of the type int, expected an object",
        ),
    ],
)
def test_wrong_types_raise_naming_the_path(
    getter: str, fields: tuple[str, ...], message: str
) -> None:
    obj = deployment()
    with pytest.raises(TypeError, match=message):
        getattr(obj, getter)(*fields)
    with pytest.raises(TypeError, match=message):
        getattr(u, getter)(obj, *fields)


def test_string_slice_with_a_non_string() -> None:
    obj = Unstructured({"spec": {"args": ["a", 1]}})
    with pytest.raises(
        TypeError,
        match=r"\.spec\.args accessor error: contains non-string value in the list: 1",
    ):
        obj.nested_string_slice("spec", "args")


def test_int64_range() -> None:
    obj = Unstructured({"n": 2**63})
    with pytest.raises(ValueError, match=r"\.n accessor error: .* overflows int64"):
        obj.nested_int64("n")
    assert Unstructured({"n": -(2**63)}).nested_int64("n") == (-(2**63), True)


def test_long_values_are_shortened_in_errors() -> None:
    obj = Unstructured({"s": "x" * 10_000})
    with pytest.raises(TypeError) as info:
        obj.nested_int64("s")
    assert len(str(info.value)) < 200


# --------------------------------------------------------------------------- setters


def test_set_nested_field_makes_the_way_and_copies() -> None:
    obj = Unstructured({"spec": {"nothing": None}})
    value: dict[str, Any] = {"deep": [1, 2]}
    obj.set_nested_field(value, "spec", "template", "extra")
    assert obj["spec"]["template"] == {"extra": {"deep": [1, 2]}}
    value["deep"].append(3)
    assert obj["spec"]["template"]["extra"] == {"deep": [1, 2]}  # a copy was set
    u.set_nested_field(obj, 5, "spec", "nothing", "now")  # null on the way: replaced
    assert obj["spec"]["nothing"] == {"now": 5}
    obj.set_nested_field("top", "kind")
    assert obj["kind"] == "top"
    with pytest.raises(
        TypeError, match=r"cannot be set because \.kind is not an object"
    ):
        obj.set_nested_field(1, "kind", "x")
    with pytest.raises(ValueError, match="at least one field"):
        obj.set_nested_field(1)


def test_typed_setters() -> None:
    obj = Unstructured()
    args = ["a", "b"]
    obj.set_nested_string_slice(args, "spec", "args")
    args.append("c")
    assert obj["spec"]["args"] == ["a", "b"]
    obj.set_nested_string_map({"k": "v"}, "data")
    assert obj["data"] == {"k": "v"}
    obj.set_nested_slice(({"a": [1]},), "spec", "items")
    obj.set_nested_map({"m": {"n": 1}}, "spec", "map")
    assert obj["spec"]["items"] == [{"a": [1]}] and obj["spec"]["map"] == {
        "m": {"n": 1}
    }
    with pytest.raises(TypeError, match=r"\.spec\.args: expected a sequence of str"):
        obj.set_nested_string_slice(["a", 1], "spec", "args")  # type: ignore[list-item]
    with pytest.raises(TypeError, match="expected a sequence of str"):
        obj.set_nested_string_slice("abc", "spec", "args")
    with pytest.raises(TypeError, match=r"\.data: expected a mapping of str to str"):
        obj.set_nested_string_map({"k": 1}, "data")  # type: ignore[dict-item]
    assert obj["spec"]["args"] == ["a", "b"] and obj["data"] == {"k": "v"}


def test_remove_nested_field() -> None:
    obj = deployment()
    obj.remove_nested_field("spec", "template", "metadata", "name")
    assert obj["spec"]["template"]["metadata"] == {}
    u.remove_nested_field(obj, "spec", "replicas")
    assert "replicas" not in obj["spec"]
    obj.remove_nested_field("spec", "missing", "deeper")  # nothing there: no error
    obj.remove_nested_field("kind", "deeper")  # not an object on the way: no error
    obj.remove_nested_field("absent")
    assert obj["kind"] == "Deployment"
    with pytest.raises(ValueError, match="at least one field"):
        obj.remove_nested_field()
