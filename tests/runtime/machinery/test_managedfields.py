"""Managed fields of updates (the "Update" entries) and the manager name of a request."""

from __future__ import annotations

import json
from typing import Any

from generator.runtime.machinery.fieldpath import (
    decode_fields_v1,
)
from generator.runtime.machinery.managedfields import (
    manager_from_user_agent,
    record_update,
)

from .models import (
    REPLICAS,
    T0,
    T1,
    Widget,
    entries,
    owned,
    widget,
)

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
