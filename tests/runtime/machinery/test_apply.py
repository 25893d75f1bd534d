"""Server-side apply as structured-merge-diff and the apiserver field manager do it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.runtime.machinery.apply import apply
from generator.runtime.machinery.conflicts import ApplyConflict, Conflict
from generator.runtime.machinery.errors import PatchError
from generator.runtime.machinery.fieldpath import (
    FieldPath,
)
from generator.runtime.machinery.managedfields import (
    record_update,
)

from .models import (
    REPLICAS,
    T0,
    T1,
    T2,
    Widget,
    entries,
    kube,
    owned,
    widget,
)

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

    ka = kube(generated, "apply")
    kerrors = kube(generated, "errors")
    kmf = kube(generated, "managedfields")

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

    live = ka.apply(None, deployment(2, "nginx:1"), "kubectl", Deployment, False, T0)
    image: FieldPath = (
        "f:spec",
        "f:template",
        "f:spec",
        "f:containers",
        'k:{"name":"nginx"}',
        "f:image",
    )
    assert image in owned(live, "kubectl")
    with pytest.raises(kerrors.PatchError) as err:
        ka.apply(live, deployment(None, "nginx:2"), "ci", Deployment, False, T1)
    assert err.value.status == 409
    assert [c.path for c in err.value.conflicts] == [image]
    # the controller's status write and a scale by an updater
    status = dict(live, status={"replicas": 2, "conditions": [{"type": "Available"}]})
    live = kmf.record_update(live, status, "kube-controller-manager", Deployment, T1)
    scaled = json.loads(json.dumps(live))
    scaled["spec"]["replicas"] = 4
    live = kmf.record_update(live, scaled, "hpa", Deployment, T1)
    # kubectl drops replicas from its config: hpa owns it now, so it stays
    result = ka.apply(
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
