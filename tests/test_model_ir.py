"""Room 2: the intermediate model, on the real v1.36 spec and on small specs."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from generator.ir import Field, Resource, Schema, TypeRef, Universe
from generator.load import load_spec
from generator.model import build_universe

from .conftest import REPO, spec_dir
from .specbuilder import (
    base_schemas,
    document,
    kind_schema,
    list_schema,
    resource_paths,
    write,
)

CORE = "io.k8s.api.core.v1"
META = "io.k8s.apimachinery.pkg.apis.meta.v1"


@cache
def universe() -> Universe:
    return build_universe(load_spec([spec_dir("1.36")], validate=False))


def field(schema_id: str, wire: str) -> Field:
    schema = universe().schemas[schema_id]
    return next(f for f in schema.fields if f.wire == wire)


def resource(api_version: str, plural: str) -> Resource:
    gv = next(gv for gv in universe().group_versions() if gv.api_version == api_version)
    return next(r for r in gv.resources if r.plural == plural)


def test_modules_follow_client_go_group_version_names() -> None:
    names = {m.name for m in universe().modules}
    assert {
        "core_v1",
        "apps_v1",
        "meta_v1",
        "networking_v1",
        "internal_v1alpha1",
        "autoscaling_v2",
    } <= names
    pod = universe().schemas[f"{CORE}.Pod"]
    assert (pod.module, pod.name) == ("core_v1", "Pod")
    assert universe().schemas[f"{META}.ObjectMeta"].module == "meta_v1"
    storage_version = "io.k8s.api.apiserverinternal.v1alpha1.StorageVersion"
    assert universe().schemas[storage_version].module == "internal_v1alpha1"
    # an empty struct (type: object, no properties) is free-form, not a class
    assert f"{storage_version}Spec" not in universe().schemas
    # alias schemas are types, not classes
    for alias in ("Time", "MicroTime"):
        assert f"{META}.{alias}" not in universe().schemas
    assert "io.k8s.apimachinery.pkg.api.resource.Quantity" not in universe().schemas


@pytest.mark.parametrize(
    ("schema_id", "wire", "expected"),
    [
        (
            f"{META}.ObjectMeta",
            "creationTimestamp",
            TypeRef("date-time", format="date-time"),
        ),
        (
            f"{META}.ManagedFieldsEntry",
            "time",
            TypeRef("date-time", format="date-time"),
        ),
        (
            "io.k8s.api.events.v1.Event",
            "eventTime",
            TypeRef("micro-time", format="date-time"),
        ),
        (f"{META}.ObjectMeta", "generation", TypeRef("integer", format="int64")),
        (f"{CORE}.ContainerPort", "containerPort", TypeRef("integer", format="int32")),
        (f"{CORE}.PodSpec", "hostNetwork", TypeRef("boolean")),
        (
            f"{CORE}.Secret",
            "data",
            TypeRef("map", items=TypeRef("byte", format="byte")),
        ),
        (
            f"{CORE}.ResourceRequirements",
            "limits",
            TypeRef("map", items=TypeRef("quantity")),
        ),
        (f"{CORE}.HTTPGetAction", "port", TypeRef("int-or-string")),
        (f"{META}.ManagedFieldsEntry", "fieldsV1", TypeRef("object")),
        ("io.k8s.api.apps.v1.ControllerRevision", "data", TypeRef("object")),
        (
            f"{CORE}.PodSpec",
            "containers",
            TypeRef("array", items=TypeRef("ref", ref=f"{CORE}.Container")),
        ),
        (f"{META}.ObjectMeta", "labels", TypeRef("map", items=TypeRef("string"))),
        (
            "io.k8s.api.autoscaling.v2.MetricTarget",
            "averageUtilization",
            TypeRef("integer", format="int32"),
        ),
        ("io.k8s.api.resource.v1.DeviceAttribute", "string", TypeRef("string")),
        (
            "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps",
            "default",
            TypeRef("any"),
        ),
        (
            "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps",
            "number",
            None,
        ),
    ],
)
def test_field_types(schema_id: str, wire: str, expected: TypeRef | None) -> None:
    if expected is None:  # a field that does not exist stays absent
        assert wire not in {f.wire for f in universe().schemas[schema_id].fields}
        return
    assert field(schema_id, wire).type == expected


def test_recursive_schema_is_a_reference_to_itself() -> None:
    props = field(
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps",
        "properties",
    )
    assert props.type == TypeRef(
        "map",
        items=TypeRef(
            "ref",
            ref="io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps",
        ),
    )
    ref = field(
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps",
        "$ref",
    )
    assert ref.name == "ref"
    not_ = field(
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps",
        "not",
    )
    assert not_.name == "not_"


def test_names_wire_required_default_and_description() -> None:
    f = field(f"{CORE}.Container", "imagePullPolicy")
    assert (f.name, f.wire) == ("image_pull_policy", "imagePullPolicy")
    assert "One of Always, Never, IfNotPresent" in f.description
    assert field(f"{CORE}.Container", "name").required
    assert not field(f"{CORE}.Container", "image").required
    assert field(f"{CORE}.PodStatus", "podIPs").name == "pod_ips"
    assert "Pod" in universe().schemas[f"{CORE}.Pod"].description
    assert field(f"{CORE}.Pod", "metadata").default == {}
    assert field(f"{META}.ListMeta", "continue").name == "continue_"


def test_merge_metadata_for_strategic_merge_and_apply() -> None:
    containers = field(f"{CORE}.PodSpec", "containers")
    assert (containers.patch_strategy, containers.patch_merge_key) == ("merge", "name")
    assert (containers.list_type, containers.map_keys) == ("map", ("name",))
    ports = field(f"{CORE}.Container", "ports")
    assert ports.map_keys == ("containerPort", "protocol")
    volumes = field(f"{CORE}.PodSpec", "volumes")
    assert volumes.patch_strategy == "merge,retainKeys"
    finalizers = field(f"{META}.ObjectMeta", "finalizers")
    assert finalizers.list_type == "set" and finalizers.patch_strategy == "merge"
    assert field(f"{CORE}.PodSpec", "tolerations").list_type == "atomic"
    assert field(f"{CORE}.NodeSelector", "nodeSelectorTerms").list_type == "atomic"
    assert field(f"{CORE}.Toleration", "key").list_type is None
    assert field(f"{CORE}.LocalObjectReference", "name").default == ""
    # atomic structs carry the map type on the type, not on the field
    assert field(f"{CORE}.ObjectReference", "kind").map_type is None
    assert universe().schemas[f"{CORE}.ObjectReference"].map_type == "atomic"
    assert universe().schemas[f"{META}.LabelSelector"].map_type == "atomic"
    assert universe().schemas[f"{CORE}.PodSpec"].map_type is None


def test_kinds_and_list_kinds() -> None:
    pod: Schema = universe().schemas[f"{CORE}.Pod"]
    assert [g.api_version + "/" + g.kind for g in pod.gvks] == ["v1/Pod"]
    assert universe().schemas[f"{CORE}.PodList"].list_item == f"{CORE}.Pod"
    delete_options = universe().schemas[f"{META}.DeleteOptions"]
    assert len(delete_options.gvks) > 30  # served in every group
    assert delete_options.gvk is None


def test_resources_scope_verbs_and_subresources() -> None:
    pods = resource("v1", "pods")
    assert pods.namespaced and pods.kind is not None and pods.kind.kind == "Pod"
    assert pods.schema == f"{CORE}.Pod" and pods.list_schema == f"{CORE}.PodList"
    assert pods.verbs == (
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    )
    subs = {s.name: s for s in pods.subresources}
    assert set(subs) >= {
        "status",
        "log",
        "eviction",
        "exec",
        "attach",
        "portforward",
        "proxy",
        "binding",
        "ephemeralcontainers",
        "resize",
    }
    assert (
        subs["exec"].streaming
        and subs["portforward"].streaming
        and not subs["log"].streaming
    )
    assert (
        subs["eviction"].kind is not None and subs["eviction"].kind.kind == "Eviction"
    )
    assert subs["status"].verbs == ("get", "patch", "update")
    log = subs["log"].operations[0]
    assert log.response == TypeRef("string") and "follow" in {
        p.name for p in log.parameters
    }
    nodes = resource("v1", "nodes")
    assert not nodes.namespaced
    namespaces = resource("v1", "namespaces")
    assert not namespaces.namespaced and "deletecollection" not in namespaces.verbs
    assert {s.name for s in namespaces.subresources} == {"finalize", "status"}
    deployments = resource("apps/v1", "deployments")
    scale = next(s for s in deployments.subresources if s.name == "scale")
    assert scale.kind is not None and (
        scale.kind.group,
        scale.kind.version,
        scale.kind.kind,
    ) == ("autoscaling", "v1", "Scale")
    token = next(
        s for s in resource("v1", "serviceaccounts").subresources if s.name == "token"
    )
    assert token.verbs == ("create",)
    reviews = resource("authorization.k8s.io/v1", "selfsubjectaccessreviews")
    assert reviews.verbs == ("create",) and not reviews.namespaced


def test_operations_and_parameters() -> None:
    pods = resource("v1", "pods")
    ops = {
        (op.verb, op.all_namespaces): op
        for op in pods.operations
        if not op.deprecated_watch
    }
    listing = ops[("list", False)]
    params = {p.name: p for p in listing.parameters}
    assert params["continue"].py_name == "continue_"
    assert params["labelSelector"].py_name == "label_selector"
    assert params["namespace"].location == "path"
    assert ("list", True) in ops  # /api/v1/pods
    patch = ops[("patch", False)]
    assert set(patch.body_content_types) == {
        "application/apply-patch+yaml",
        "application/apply-patch+cbor",
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    }
    assert {p.name for p in patch.parameters} >= {
        "fieldManager",
        "force",
        "dryRun",
        "fieldValidation",
    }
    create = ops[("create", False)]
    assert create.body == TypeRef(
        "ref", ref=f"{CORE}.Pod"
    ) and create.response == TypeRef("ref", ref=f"{CORE}.Pod")
    delete = ops[("delete", False)]
    assert delete.response == TypeRef("ref", ref=f"{CORE}.Pod")
    assert any(op.deprecated_watch for op in pods.operations)


def test_groups_versions_and_preferred_version() -> None:
    groups = {g.name: g for g in universe().groups}
    assert groups[""].versions[0].module == "core_v1"
    autoscaling = groups["autoscaling"]
    assert [v.version for v in autoscaling.versions] == ["v2", "v1"]
    assert autoscaling.preferred_version == "v2"
    resource_group = groups["resource.k8s.io"]
    assert resource_group.preferred_version == "v1"
    assert [v.version for v in resource_group.versions][:2] == ["v1", "v1beta2"]


def test_inline_objects_become_nested_classes(tmp_path: Path) -> None:
    schemas = base_schemas()
    schemas["com.example.stable.v1.CronTab"] = kind_schema(
        "stable.example.com",
        "v1",
        "CronTab",
        {
            "spec": {
                "type": "object",
                "properties": {
                    "cronSpec": {"type": "string"},
                    "jobs": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"name": {"type": "string"}},
                        },
                    },
                    "extra": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    },
                },
                "required": ["cronSpec"],
            }
        },
    )
    schemas["com.example.stable.v1.CronTabList"] = list_schema(
        "stable.example.com", "v1", "CronTab", "com.example.stable.v1.CronTab"
    )
    doc = document(
        schemas,
        resource_paths(
            "stable.example.com",
            "v1",
            "crontabs",
            "CronTab",
            "com.example.stable.v1.CronTab",
        ),
    )
    u = build_universe(load_spec([write(tmp_path / "crd.json", doc)]))
    spec_class = u.schemas["com.example.stable.v1.CronTab/spec"]
    assert (spec_class.module, spec_class.name) == ("stable_v1", "CronTabSpec")
    jobs = next(f for f in spec_class.fields if f.wire == "jobs")
    assert (
        jobs.type.items is not None
        and u.schemas[jobs.type.items.ref or ""].name == "CronTabSpecJobsItem"
    )
    extra = next(f for f in spec_class.fields if f.wire == "extra")
    assert extra.type == TypeRef("object")
    crontabs = u.groups[0].versions[0].resources[0]
    assert (crontabs.plural, crontabs.namespaced, crontabs.list_schema) == (
        "crontabs",
        True,
        "com.example.stable.v1.CronTabList",
    )


def test_module_name_collisions_are_resolved_deterministically(tmp_path: Path) -> None:
    schemas = base_schemas()
    for group, prefix in (
        ("networking.k8s.io", "io.k8s.api.networking.v1"),
        ("networking.example.com", "com.example.networking.v1"),
    ):
        schemas[f"{prefix}.Thing"] = kind_schema(group, "v1", "Thing", {})
    u = build_universe(load_spec([write(tmp_path / "a.json", document(schemas))]))
    assert u.schemas["io.k8s.api.networking.v1.Thing"].module == "networking_v1"
    assert (
        u.schemas["com.example.networking.v1.Thing"].module == "networking_example_v1"
    )


def test_ir_command_dumps_json(tmp_path: Path) -> None:
    out = tmp_path / "ir.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "ir",
            "--spec",
            str(spec_dir("1.36")),
            "--no-validate",
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["kubernetesVersion"].startswith("v1.36")
    pod = data["schemas"][f"{CORE}.Pod"]
    assert pod["module"] == "core_v1" and pod["gvks"] == [
        {"group": "", "version": "v1", "kind": "Pod"}
    ]
    core = next(g for g in data["groups"] if g["name"] == "")
    pods = next(r for r in core["versions"][0]["resources"] if r["plural"] == "pods")
    assert pods["namespaced"] is True
