"""The runtime model base (generator/runtime/_model.py), on hand-written models."""

from __future__ import annotations

import copy
import gc
import json
import pickle
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from generator.runtime._model import (
    MICROTIME,
    TIME,
    D,
    F,
    Field,
    JSONDepthError,
    L,
    ListView,
    Lst,
    Map,
    MapView,
    MicroTime,
    Model,
    Obj,
    Opt,
    Time,
    deepcopy_json,
    dumps,
    format_time,
    loads,
    parse_time,
)


class Port(Model):
    __slots__ = ()
    name: Opt[str] = F("name", default=None)
    container_port: Opt[int] = F("containerPort", default=None)


class Box(Model, api_version="example.com/v1", kind="Box"):
    __slots__ = ()
    api_version: Opt[str] = F("apiVersion", default=None)
    kind: Opt[str] = F("kind", default=None)
    name: Opt[str] = F("name", default=None)
    labels: Opt[dict[str, str]] = F("labels", default=None)
    ports: Lst[Port] = F("ports", L("Port"), default=None, patch_merge_key="name")
    by_name: Map[Port] = F("byName", D("Port"), default=None)
    main: Obj[Port] = F("main", "Port", default=None)
    created: Time = F("created", TIME, default=None)
    observed: MicroTime = F("observed", MICROTIME, default=None)
    children: Lst[Box] = F("children", L("Box"), default=None)  # recursive
    matrix: Field[ListView[ListView[Port]] | None, Sequence[Sequence[Port]] | None] = F(
        "matrix", L(L("Port")), default=None
    )


def test_constructor_fills_kind_and_encodes_values() -> None:
    box = Box(
        name="b", ports=[Port(name="http", container_port=80)], main=Port(name="m")
    )
    assert box.to_dict() == {
        "apiVersion": "example.com/v1",
        "kind": "Box",
        "name": "b",
        "ports": [{"name": "http", "containerPort": 80}],
        "main": {"name": "m"},
    }
    with pytest.raises(TypeError, match="unexpected keyword argument 'nme'"):
        Box(nme="x")  # type: ignore[call-arg]


def test_reads_decode_and_writes_go_through_to_the_wire_dict() -> None:
    raw = {
        "name": "b",
        "ports": [{"name": "a", "containerPort": 1}],
        "main": {"name": "m"},
    }
    box = Box.from_dict(raw, copy=False)
    assert isinstance(box.ports, ListView)
    box.ports.append(Port(name="b"))
    box.ports[0].container_port = 8080
    assert box.main is not None
    box.main.name = "renamed"
    assert raw["ports"] == [{"name": "a", "containerPort": 8080}, {"name": "b"}]
    assert raw["main"] == {"name": "renamed"}
    del box.ports[1]
    box.ports.insert(0, Port(name="first"))
    assert [p.name for p in box.ports] == ["first", "a"]
    assert box.ports[0:1] == [Port(name="first")]
    box.ports.sort(key=lambda p: p.name or "")
    assert [p.name for p in box.ports] == ["a", "first"]


def test_none_removes_the_key_and_absent_reads_none() -> None:
    box = Box(name="b", labels={"a": "1"})
    box.labels = None
    assert "labels" not in box.to_dict()
    assert box.main is None and box.ports is None and box.created is None


def test_unknown_fields_survive_read_modify_write() -> None:
    raw = {
        "name": "b",
        "futureField": {"x": [1, 2]},
        "main": {"name": "m", "newer": True},
    }
    box = Box.from_dict(raw)
    box.name = "c"
    assert box.main is not None
    box.main.container_port = 1
    out = box.to_dict()
    assert out["futureField"] == {"x": [1, 2]} and out["main"]["newer"] is True


def test_times_keep_wire_form_until_assigned() -> None:
    raw = {"created": "2024-05-01T10:00:00Z", "observed": "2024-05-01T10:00:00.123456Z"}
    box = Box.from_dict(raw)
    assert box.created == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    assert box.observed is not None and box.observed.microsecond == 123456
    assert box.to_dict() == raw
    box.created = datetime(
        2024, 5, 1, 12, 30, 15, 999, tzinfo=timezone(timedelta(hours=2))
    )
    box.observed = datetime(2024, 5, 1, 12, 30, 15, 5)  # naive: taken as UTC
    assert box.to_dict(copy=False)["created"] == "2024-05-01T10:30:15Z"
    assert box.to_dict(copy=False)["observed"] == "2024-05-01T12:30:15.000005Z"
    box.created = "2020-01-01T00:00:00+00:00"  # a string is kept as given
    assert box.to_dict(copy=False)["created"] == "2020-01-01T00:00:00+00:00"
    with pytest.raises(ValueError):
        box.created = "yesterday"
    assert parse_time("2024-05-01T10:00:00.5+02:00").utcoffset() == timedelta(hours=2)
    assert format_time(parse_time("2024-05-01T10:00:00Z")) == "2024-05-01T10:00:00Z"


def test_map_views_and_nested_lists() -> None:
    box = Box(by_name={"a": Port(name="a")}, matrix=[[Port(name="x")], []])
    assert isinstance(box.by_name, MapView)
    box.by_name["b"] = Port(name="b")
    assert box.by_name["b"].name == "b" and set(box.by_name) == {"a", "b"}
    del box.by_name["a"]
    assert box.to_dict()["byName"] == {"b": {"name": "b"}}
    assert box.matrix is not None and box.matrix[0][0].name == "x"
    assert box.to_dict()["matrix"] == [[{"name": "x"}], []]


def test_recursive_models() -> None:
    box = Box(name="root", children=[Box(name="kid", children=[Box(name="grandkid")])])
    assert box.children is not None
    grandkids = box.children[0].children
    assert grandkids is not None and grandkids[0].name == "grandkid"


def test_equality_repr_copy_pickle() -> None:
    a = Box(name="b", ports=[Port(name="p")])
    b = Box.from_dict(a.to_dict())
    assert a == b and a != Port(name="b")
    assert repr(a) == (
        "Box(api_version='example.com/v1', kind='Box', name='b', ports=[Port(name='p')])"
    )
    deep = copy.deepcopy(a)
    assert deep == a and deep.to_dict(copy=False) is not a.to_dict(copy=False)
    assert pickle.loads(pickle.dumps(a)) == a
    with pytest.raises(TypeError):
        hash(a)


def test_from_dict_copies_unless_told_not_to() -> None:
    raw = {"name": "b"}
    copied = Box.from_dict(raw)
    copied.name = "c"
    assert raw["name"] == "b"
    shared = Box.from_dict(raw, copy=False)
    shared.name = "d"
    assert raw["name"] == "d"
    with pytest.raises(TypeError, match="needs a mapping"):
        Box.from_dict(["x"])  # type: ignore[arg-type]


def test_wrong_types_are_rejected_on_write() -> None:
    box = Box()
    with pytest.raises(TypeError, match="expected Port or a mapping"):
        box.main = 3  # type: ignore[assignment]
    with pytest.raises(TypeError, match="expected a sequence"):
        box.ports = "abc"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="expected a mapping"):
        box.by_name = [1]  # type: ignore[assignment]


def test_malformed_wire_values_do_not_crash_reads() -> None:
    box = Box.from_dict({"main": "not-an-object", "ports": {"not": "a list"}})
    assert box.main == "not-an-object"  # visible as is
    assert box.ports == {"not": "a list"}


def test_field_names_cannot_shadow_model_methods() -> None:
    with pytest.raises(TypeError, match="shadow model methods"):

        class Bad(Model):
            __slots__ = ()
            to_dict: Opt[str] = F("toDict", default=None)  # type: ignore[assignment]


def test_json_round_trip_and_gc_care() -> None:
    big = json.dumps(
        {"items": [{"name": f"p{i}", "labels": {"a": "b"}} for i in range(20000)]}
    )
    freeze_before = gc.get_freeze_count()
    assert gc.isenabled()
    data = loads(big.encode())
    assert gc.isenabled() and gc.get_freeze_count() == freeze_before
    assert len(data["items"]) == 20000
    gc.freeze()  # an app that freezes its own objects is left alone
    try:
        frozen = gc.get_freeze_count()
        loads(big)
        assert gc.get_freeze_count() == frozen and gc.isenabled()
    finally:
        gc.unfreeze()
    box = Box.from_json(Box(name="x").to_json())
    assert box.name == "x" and box.kind == "Box"
    with pytest.raises(ValueError, match="expected a JSON object"):
        Box.from_json(b"[1]")


def test_typos_are_rejected_not_added_to_the_object() -> None:
    box = Box(name="b")
    with pytest.raises(AttributeError, match="has no field 'nmae'"):
        box.nmae = "x"  # type: ignore[attr-defined]
    assert box.to_dict() == Box(name="b").to_dict()
    del box.name
    assert box.name is None and "name" not in box.to_dict()


def test_wire_keys_cannot_shadow_methods_or_fields() -> None:
    """The wire dict is the instance __dict__: hostile keys must stay data."""
    raw = {
        "to_dict": "x",
        "to_json": "x",
        "from_dict": "x",
        "_fields_": "x",
        "__class__": "x",
        "container_port": 5,
        "containerPort": 80,
        "name": "n",
    }
    port = Port.from_dict(raw)
    assert port.to_dict() == raw and port.to_json()
    assert port.container_port == 80  # the renamed field reads its wire name
    assert port.name == "n" and isinstance(port, Port)
    assert repr(port) == "Port(name='n', container_port=80)"
    port.container_port = 81
    assert (
        port.to_dict()["containerPort"] == 81 and port.to_dict()["container_port"] == 5
    )


def test_copies_are_deep_exact_and_ordered() -> None:
    raw: dict[str, Any] = {
        "kind": "Box",
        "name": "b",
        "labels": {"z": "1", "a": "2"},  # key order kept
        "nan": float("nan"),
        "inf": float("inf"),
        "tiny": 5e-324,
        "big": 10**40,  # beyond 64 bits
        "nested": [[{"deep": [1.5, None, True]}]],
    }
    box = Box.from_dict(raw)
    for copied in (box.to_dict(), copy.deepcopy(box).to_dict(), deepcopy_json(raw)):
        assert list(copied) == list(raw) and list(copied["labels"]) == ["z", "a"]
        assert copied["nan"] != copied["nan"] and copied["inf"] == float("inf")
        assert copied["tiny"] == 5e-324 and copied["big"] == 10**40
        assert type(copied["big"]) is int
        assert copied["nested"] == raw["nested"]
        assert copied["nested"][0][0] is not raw["nested"][0][0]
        copied["nested"][0][0]["deep"].append("changed")
        assert raw["nested"][0][0]["deep"] == [1.5, None, True]
    assert box.__dict__ is not raw and box.__dict__["labels"] is not raw["labels"]


def test_copies_keep_values_json_has_no_type_for() -> None:
    when = datetime(2024, 5, 1, tzinfo=timezone.utc)
    port = Port(name="p")
    raw: dict[str, Any] = {"when": when, "port": port, "items": [{"k": (1, 2)}]}
    copied = deepcopy_json(raw)
    assert copied["when"] is when and copied["port"] is port
    assert copied == raw and copied["items"][0] is not raw["items"][0]


def test_from_dict_accepts_any_mapping() -> None:
    from types import MappingProxyType

    box = Box.from_dict(MappingProxyType({"name": "m"}), copy=False)
    assert box.name == "m" and type(box.__dict__) is dict


def nested(depth: int) -> list[Any]:
    root: list[Any] = []
    node = root
    for _ in range(depth):
        child: list[Any] = []
        node.append(child)
        node = child
    return root


def test_deep_nesting_gives_clear_errors_not_recursion_errors() -> None:
    hostile = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(JSONDepthError, match="nested too deeply"):
        loads(hostile)
    assert issubclass(JSONDepthError, ValueError)  # callers treat it as bad JSON
    hostile_object = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    with pytest.raises(ValueError, match="nested too deeply"):
        Box.from_json(b'{"children":' + hostile_object + b"}")
    deep = nested(100_000)
    copied = deepcopy_json(deep)  # copied without recursion
    node, depth = copied, 0
    while node:
        assert node is not deep
        node, depth = node[0], depth + 1
    assert depth == 100_000
    box = Box.from_dict({"name": "deep", "matrix": deep})
    assert box.to_dict()["name"] == "deep"
    with pytest.raises(JSONDepthError, match="nested too deeply"):
        dumps(deep)
    cyclic: dict[str, Any] = {}
    cyclic["self"] = [cyclic]
    with pytest.raises(JSONDepthError, match="contains itself"):
        deepcopy_json(cyclic)
