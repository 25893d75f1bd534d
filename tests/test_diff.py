"""The API change report (generator.diff, ``python -m generator diff``).

Small hand-built specs where the exact answer is known, one change category at a
time, then the real v1.35 -> v1.36 report on spot checks verified on the spec JSON.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main
from generator.diff import (
    ApiDiff,
    Change,
    diff_universes,
    spec_candidates,
    specs_roots,
)
from generator.diff_report import render_json, render_markdown
from generator.ir import Universe
from generator.load import load_spec
from generator.model import build_universe
from generator.surface import build_surface

from .conftest import spec_dir
from .specbuilder import (
    META,
    base_schemas,
    document,
    kind_schema,
    list_schema,
    ref,
    resource_paths,
    write,
)

GROUP = "example.com"
V1 = "com.example.v1"
BETA = "com.example.v1beta1"
ALPHA = "com.example.v1alpha1"
PREFIX = "/apis/example.com/v1"
WIDGETS = f"{PREFIX}/namespaces/{{namespace}}/widgets"
WIDGET = f"{WIDGETS}/{{name}}"
ALL_WIDGETS = f"{PREFIX}/widgets"
WATCH_WIDGETS = f"{PREFIX}/watch/namespaces/{{namespace}}/widgets"
WIDGETS_CLIENT = "cs.example_v1.widgets(namespace)"

Spec = dict[str, dict[str, Any]]  # {"schemas": ..., "paths": ...}
Row = tuple[
    str, str, str, bool, str
]  # category, action, python (or wire), breaking, detail


# --------------------------------------------------------------------------- specs


def widget_spec() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "color": {"type": "string", "enum": ["red", "green"]},
            "count": {"type": "integer", "format": "int32"},
            "fooBar": {"type": "string"},
            "mode": {"type": "string"},
            "note": {"type": "string", "description": "A note."},
            "size": {"type": "integer", "format": "int32"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["mode"],
    }


def kind_with_list(
    schemas: dict[str, Any], package: str, version: str, kind: str, group: str = GROUP
) -> None:
    schemas[f"{package}.{kind}"] = kind_schema(group, version, kind, {})
    schemas[f"{package}.{kind}List"] = list_schema(
        group, version, kind, f"{package}.{kind}"
    )


def status_paths() -> dict[str, Any]:
    """widgets/status: get, put, patch (apply included), as the apiserver has them."""
    item = resource_paths(GROUP, "v1", "widgets", "Widget", f"{V1}.Widget")[WIDGET]
    status = {k: copy.deepcopy(item[k]) for k in ("parameters", "get", "put", "patch")}
    for method in ("get", "put", "patch"):
        status[method]["operationId"] += "Status"
    return {f"{WIDGET}/status": status}


def extra_widget_paths(paths: dict[str, Any]) -> None:
    """The all-namespaces list and the deprecated /watch/ path of widgets."""
    listing = copy.deepcopy(paths[WIDGETS]["get"])
    listing["operationId"] = "listWidgetForAllNamespaces"
    paths[ALL_WIDGETS] = {"get": listing}
    watch = copy.deepcopy(paths[WIDGETS]["get"])
    watch["operationId"] = "watchWidgetList"
    watch["x-kubernetes-action"] = "watchlist"
    watch["parameters"].append(
        {"name": "timeoutSeconds", "in": "query", "schema": {"type": "integer"}}
    )
    paths[WATCH_WIDGETS] = {"parameters": paths[WIDGETS]["parameters"], "get": watch}


def base() -> Spec:
    """example.com/v1 Widget (namespaced, status subresource) and example.com/v1beta1
    Gadget (cluster-scoped); DeleteOptions registered in both and in a group-version
    nobody serves, as Kubernetes publishes it."""
    schemas = base_schemas()
    schemas[f"{V1}.Widget"] = kind_schema(
        GROUP,
        "v1",
        "Widget",
        {
            "spec": {"allOf": [ref(f"{V1}.WidgetSpec")]},
            "status": {"allOf": [ref(f"{V1}.WidgetStatus")]},
        },
    )
    schemas[f"{V1}.WidgetList"] = list_schema(GROUP, "v1", "Widget", f"{V1}.Widget")
    schemas[f"{V1}.WidgetSpec"] = widget_spec()
    schemas[f"{V1}.WidgetStatus"] = {
        "type": "object",
        "properties": {"ready": {"type": "boolean"}},
    }
    kind_with_list(schemas, BETA, "v1beta1", "Gadget")
    schemas[f"{META}.DeleteOptions"] = {
        "type": "object",
        "properties": {"kind": {"type": "string"}},
        "x-kubernetes-group-version-kind": [
            {"group": g, "version": v, "kind": "DeleteOptions"}
            for g, v in (
                (GROUP, "v1"),
                (GROUP, "v1beta1"),
                ("old.example.com", "v1"),
            )
        ],
    }
    paths = {
        **resource_paths(GROUP, "v1", "widgets", "Widget", f"{V1}.Widget"),
        **status_paths(),
        **gadget_paths(namespaced=False),
    }
    extra_widget_paths(paths)
    return {"schemas": schemas, "paths": paths}


def gadget_paths(namespaced: bool) -> dict[str, Any]:
    return resource_paths(
        GROUP, "v1beta1", "gadgets", "Gadget", f"{BETA}.Gadget", namespaced
    )


def universe(tmp_path: Path, name: str, spec: Spec) -> Universe:
    path = write(
        tmp_path / name / "spec.json", document(spec["schemas"], spec["paths"])
    )
    return build_universe(load_spec([path], validate=False))


def compare(tmp_path: Path, old: Spec, new: Spec, verbose: bool = False) -> ApiDiff:
    return diff_universes(
        universe(tmp_path, "old", old),
        universe(tmp_path, "new", new),
        descriptions=verbose,
    )


def rows(diff: ApiDiff) -> list[Row]:
    return [
        (c.category, c.action, c.python or c.wire, c.breaking, c.detail)
        for c in diff.changes
    ]


def list_op(spec: Spec, path: str = WIDGETS) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"][path]["get"]
    return op


# --------------------------------------------------------------------------- categories


def test_identical_specs_have_no_changes(tmp_path: Path) -> None:
    diff = compare(tmp_path, base(), base(), verbose=True)
    assert diff.changes == ()
    text = render_markdown(diff)
    assert "**0 breaking**, 0 compatible changes." in text
    assert "## Breaking changes\n\nNone.\n" in text
    assert "No API changes." in text


def test_group_versions_removed_or_added_are_reported_once(tmp_path: Path) -> None:
    new = base()
    for sid in (f"{BETA}.Gadget", f"{BETA}.GadgetList"):
        del new["schemas"][sid]
    for path in gadget_paths(namespaced=False):
        del new["paths"][path]
    kind_with_list(new["schemas"], ALPHA, "v1alpha1", "Thing")
    new["paths"].update(
        resource_paths(GROUP, "v1alpha1", "things", "Thing", f"{ALPHA}.Thing")
    )
    gvks = new["schemas"][f"{META}.DeleteOptions"]["x-kubernetes-group-version-kind"]
    gvks[1]["version"] = "v1alpha1"  # the shared kind follows its group-versions

    diff = compare(tmp_path, base(), new)

    # Nothing about the kinds, resources or DeleteOptions GVKs inside them; the
    # contents leave out the shared DeleteOptions the group-version also lists.
    # Sections: one group, highest version first (v1beta1 before v1alpha1).
    assert rows(diff) == [
        (
            "group-version",
            "removed",
            "models.example_v1beta1, cs.example_v1beta1",
            True,
            "kinds: Gadget, GadgetList; resources: gadgets",
        ),
        (
            "group-version",
            "added",
            "models.example_v1alpha1, cs.example_v1alpha1",
            False,
            "kinds: Thing, ThingList; resources: things",
        ),
    ]
    assert [c.wire for c in diff.changes] == [
        "example.com/v1beta1",
        "example.com/v1alpha1",
    ]


def widgets_of(group: str, package: str) -> Spec:
    schemas = base_schemas()
    kind_with_list(schemas, package, "v1", "Widget", group)
    paths = resource_paths(group, "v1", "widgets", "Widget", f"{package}.Widget")
    return {"schemas": schemas, "paths": paths}


def test_module_renamed_by_a_new_group_is_reported_once(tmp_path: Path) -> None:
    # example.org/v1 alone is module example_v1; once example.com/v1 arrives, the two
    # share a first label and version, and example.org moves to example_org_v1.
    old = widgets_of("example.org", "org.example.v1")
    new = copy.deepcopy(old)
    extra = widgets_of(GROUP, V1)
    new["schemas"].update(extra["schemas"])
    new["paths"].update(extra["paths"])

    diff = compare(tmp_path, old, new)

    # The classes' new paths, once each; not the fields, operations and accessor
    # that refer to them (their wire types did not change).
    assert rows(diff) == [
        ("group-version", "added", "models.example_v1, cs.example_v1", False, "kinds: Widget, WidgetList; resources: widgets"),
        ("group-version", "changed", "example_org_v1", True, "module and client attribute example_v1 -> example_org_v1"),
        ("kind", "changed", "example_org_v1.Widget", True, "class example_v1.Widget -> example_org_v1.Widget"),
        ("kind", "changed", "example_org_v1.WidgetList", True, "class example_v1.WidgetList -> example_org_v1.WidgetList"),
    ]  # fmt: skip


def test_preferred_version_change_is_compatible(tmp_path: Path) -> None:
    old = base()  # without example.com/v1: v1beta1 is the preferred version
    for sid in [k for k in old["schemas"] if k.startswith(f"{V1}.")]:
        del old["schemas"][sid]
    for path in [k for k in old["paths"] if k.startswith(f"{PREFIX}/")]:
        del old["paths"][path]

    diff = compare(tmp_path, old, base())

    assert rows(diff) == [
        ("group-version", "changed", "example_v1", False, "now the preferred version of example.com (was v1beta1)"),
        ("group-version", "added", "models.example_v1, cs.example_v1", False, "kinds: Widget, WidgetList; resources: widgets"),
    ]  # fmt: skip


def test_kinds_and_model_classes(tmp_path: Path) -> None:
    new = base()
    schemas = new["schemas"]
    del schemas[f"{V1}.WidgetStatus"]
    del schemas[f"{V1}.Widget"]["properties"]["status"]
    schemas[f"{V1}.Sprocket"] = kind_schema(GROUP, "v1", "Sprocket", {})
    schemas[f"{V1}.WidgetExtra"] = {
        "type": "object",
        "properties": {"x": {"type": "string"}},
    }

    diff = compare(tmp_path, base(), new)

    assert rows(diff) == [
        ("kind", "added", "example_v1.Sprocket", False, "example.com/v1 Sprocket"),
        ("model", "added", "example_v1.WidgetExtra", False, ""),
        ("model", "removed", "example_v1.WidgetStatus", True, ""),
        ("field", "removed", "example_v1.Widget.status", True, ""),
    ]
    assert {c.group_version for c in diff.changes} == {"example.com/v1"}
    assert diff.changes[0].wire == f"{V1}.Sprocket"
    assert diff.changes[3].wire == f"{V1}.Widget.status"


def test_fields_added_removed_and_changed(tmp_path: Path) -> None:
    new = base()
    spec = new["schemas"][f"{V1}.WidgetSpec"]
    props = spec["properties"]
    props["shape"] = {"type": "string"}  # optional: compatible
    props["weight"] = {"type": "integer"}  # required: old code sends none
    del props["tags"]
    props["size"] = {"type": "string"}  # int -> str
    props["count"]["format"] = "int64"  # still int in Python
    props["color"]["enum"] = ["red"]
    props["note"]["description"] = "Another note."  # ignored without --verbose
    # a wire name already in snake_case takes the bare Python name: fooBar moves
    props["foo_bar"] = {"type": "string"}
    spec["required"] = ["color", "weight"]  # color now, mode no longer

    diff = compare(tmp_path, base(), new)

    field = "example_v1.WidgetSpec"
    assert rows(diff) == [
        ("field", "changed", f"{field}.color", True, "now required; enum values removed: green"),
        ("field", "changed", f"{field}.count", False, "wire type integer(int32) -> integer(int64)"),
        ("field", "added", f"{field}.foo_bar", False, "type str"),
        ("field", "changed", f"{field}.foo_bar_2", True, "Python name foo_bar -> foo_bar_2"),
        ("field", "changed", f"{field}.mode", False, "no longer required"),
        ("field", "added", f"{field}.shape", False, "type str"),
        ("field", "changed", f"{field}.size", True, "type int -> str"),
        ("field", "removed", f"{field}.tags", True, ""),
        ("field", "added", f"{field}.weight", True, "type int, required"),
    ]  # fmt: skip
    wires = [c.wire.rsplit(".", 1)[1] for c in diff.changes]
    assert wires[2:4] == ["foo_bar", "fooBar"]

    verbose = compare(tmp_path, base(), new, verbose=True)
    note = next(c for c in verbose.changes if c.wire.endswith(".note"))
    assert (note.action, note.breaking, note.detail) == (
        "changed",
        False,
        "description changed",
    )
    assert len(verbose.changes) == len(diff.changes) + 1


def test_scope_change_breaks_the_accessor_and_nothing_else(tmp_path: Path) -> None:
    new = base()
    for path in gadget_paths(namespaced=False):
        del new["paths"][path]
    new["paths"].update(gadget_paths(namespaced=True))

    diff = compare(tmp_path, base(), new)

    # The operations moved under /namespaces/{namespace}/: paired, not re-reported.
    assert rows(diff) == [
        (
            "resource",
            "changed",
            "cs.example_v1beta1.gadgets(namespace)",
            True,
            "cluster-scoped -> namespaced",
        )
    ]


def test_verbs_and_subresources(tmp_path: Path) -> None:
    new = base()
    paths = new["paths"]
    del paths[WIDGET]["delete"]
    paths[WIDGETS]["delete"] = {
        "operationId": "deletecollectionWidget",
        "x-kubernetes-action": "deletecollection",
        "x-kubernetes-group-version-kind": {
            "group": GROUP,
            "version": "v1",
            "kind": "Widget",
        },
        "responses": {"200": {"description": "OK"}},
    }
    del paths[f"{WIDGET}/status"]["patch"]
    scale = copy.deepcopy(paths[f"{WIDGET}/status"])
    paths[f"{WIDGET}/scale"] = scale

    diff = compare(tmp_path, base(), new)

    assert rows(diff) == [
        ("subresource", "added", f"{WIDGETS_CLIENT}.{{get_scale, update_scale}}", False, "verbs: get, update"),
        ("verb", "removed", f"{WIDGETS_CLIENT}.delete", True, ""),
        ("verb", "added", f"{WIDGETS_CLIENT}.delete_collection", False, ""),
        ("verb", "removed", f"{WIDGETS_CLIENT}.{{patch_status, apply_status}}", True, ""),
    ]  # fmt: skip
    assert [c.wire for c in diff.changes][1:] == [
        "widgets delete",
        "widgets deletecollection",
        "widgets/status patch",
    ]


def test_subresource_removed(tmp_path: Path) -> None:
    new = base()
    del new["paths"][f"{WIDGET}/status"]
    diff = compare(tmp_path, base(), new)
    methods = "{get_status, update_status, patch_status, apply_status}"
    assert rows(diff) == [
        (
            "subresource",
            "removed",
            f"{WIDGETS_CLIENT}.{methods}",
            True,
            "verbs: get, patch, update",
        )
    ]


def test_resources_added_and_removed(tmp_path: Path) -> None:
    old, new = base(), base()
    # a resource of an existing group-version, with its kind: both sides
    kind_with_list(old["schemas"], V1, "v1", "Doohickey")
    old["paths"].update(
        resource_paths(GROUP, "v1", "doohickeys", "Doohickey", f"{V1}.Doohickey")
    )
    kind_with_list(new["schemas"], V1, "v1", "Gizmo")
    new["paths"].update(
        resource_paths(GROUP, "v1", "gizmos", "Gizmo", f"{V1}.Gizmo", False)
    )

    diff = compare(tmp_path, old, new)

    verbs = "verbs: create, delete, get, list, patch, update, watch"
    assert rows(diff) == [
        ("kind", "removed", "example_v1.Doohickey", True, "example.com/v1 Doohickey"),
        ("kind", "removed", "example_v1.DoohickeyList", True, "example.com/v1 DoohickeyList"),
        ("kind", "added", "example_v1.Gizmo", False, "example.com/v1 Gizmo"),
        ("kind", "added", "example_v1.GizmoList", False, "example.com/v1 GizmoList"),
        ("resource", "removed", "cs.example_v1.doohickeys(namespace)", True, verbs),
        ("resource", "added", "cs.example_v1.gizmos()", False, verbs),
    ]  # fmt: skip


def test_operations_removed_and_changed(tmp_path: Path) -> None:
    new = base()
    paths = new["paths"]
    del paths[ALL_WIDGETS]  # list stays, but not across namespaces
    del paths[WATCH_WIDGETS]  # the client never uses /watch/ paths
    content = paths[WIDGET]["patch"]["requestBody"]["content"]
    del content["application/json-patch+json"]

    diff = compare(tmp_path, base(), new)

    assert rows(diff) == [
        ("operation", "removed", "GET " + WATCH_WIDGETS, False, "watchWidgetList; deprecated /watch/ path, no client method"),
        ("operation", "removed", f"{WIDGETS_CLIENT}.{{list, list_all, watch}}", True, 'listWidgetForAllNamespaces; across all namespaces (namespace "")'),
        ("operation", "changed", f"{WIDGETS_CLIENT}.{{patch, apply}}", True, "body content types removed: application/json-patch+json"),
    ]  # fmt: skip
    assert [c.wire for c in diff.changes][1:] == [
        f"GET {ALL_WIDGETS}",
        f"PATCH {WIDGET}",
    ]


def test_query_parameters(tmp_path: Path) -> None:
    new = base()
    shard = {"name": "shardSelector", "in": "query", "schema": {"type": "string"}}
    for path in (WIDGETS, ALL_WIDGETS):
        list_op(new, path)["parameters"].append(shard)
    params = list_op(new)["parameters"]
    params[:] = [p for p in params if p["name"] != "continue"]
    next(p for p in params if p["name"] == "limit")["schema"] = {"type": "string"}
    params.append(
        {
            "name": "labelSelector",
            "in": "query",
            "required": True,
            "schema": {"type": "string"},
        }
    )
    watch = list_op(new, WATCH_WIDGETS)["parameters"]
    watch[:] = [p for p in watch if p["name"] != "timeoutSeconds"]

    diff = compare(tmp_path, base(), new)

    # One line per resource and change, with every method that takes the keyword:
    # continue and limit are list()'s alone (list_all and watch page themselves).
    assert rows(diff) == [
        ("parameter", "removed", "timeoutSeconds (widgets: watch (/watch/ path))", False, ""),
        ("parameter", "removed", f"{WIDGETS_CLIENT}.list(continue_=)", True, ""),
        ("parameter", "changed", f"{WIDGETS_CLIENT}.list(limit=)", True, "type int -> str"),
        ("parameter", "added", f"{WIDGETS_CLIENT}.{{list, list_all, watch}}(label_selector=)", True, "type str, required"),
        ("parameter", "added", f"{WIDGETS_CLIENT}.{{list, list_all, watch}}(shard=)", False, "type Shard | str"),
    ]  # fmt: skip
    assert (
        diff.changes[4].wire == "shardSelector (widgets: list, list (all namespaces))"
    )


def test_gvks_of_kinds_and_of_shared_meta_types(tmp_path: Path) -> None:
    new = base()
    widget = new["schemas"][f"{V1}.Widget"]
    widget["x-kubernetes-group-version-kind"].append(
        {"group": GROUP, "version": "v1", "kind": "WidgetAlias"}
    )
    delete_options = new["schemas"][f"{META}.DeleteOptions"]
    delete_options["x-kubernetes-group-version-kind"].pop()

    diff = compare(tmp_path, base(), new)

    # Widget() no longer fills in apiVersion/kind once it has two GVKs: breaking.
    # DeleteOptions is registered in every group: a group-version nobody serves
    # dropping out is listed, as compatible, in the shared meta_v1 section.
    assert rows(diff) == [
        ("kind", "changed", "example_v1.Widget", True, "GVK example.com/v1 WidgetAlias added"),
        ("kind", "changed", "meta_v1.DeleteOptions", False, "GVKs of 1 other group-versions removed: old.example.com/v1"),
    ]  # fmt: skip
    assert [c.group_version for c in diff.changes] == ["example.com/v1", None]


# --------------------------------------------------------------------------- report


def messy() -> tuple[Spec, Spec]:
    """A bump touching several sections: a removed field, a removed group-version,
    a field added to a shared meta type, a query parameter added."""
    old, new = base(), base()
    del new["schemas"][f"{V1}.WidgetSpec"]["properties"]["tags"]
    for sid in (f"{BETA}.Gadget", f"{BETA}.GadgetList"):
        del new["schemas"][sid]
    for path in gadget_paths(namespaced=False):
        del new["paths"][path]
    new["schemas"][f"{META}.ListMeta"]["properties"]["shardInfo"] = {"type": "string"}
    list_op(new)["parameters"].append(
        {"name": "shardSelector", "in": "query", "schema": {"type": "string"}}
    )
    return old, new


def test_markdown_report_layout(tmp_path: Path) -> None:
    old, new = messy()
    text = render_markdown(compare(tmp_path, old, new))
    assert text.startswith("# Kubernetes API changes: old -> new\n")
    assert "**2 breaking**, 2 compatible changes." in text
    assert "| Fields | 1 | 1 |" in text
    assert "| Group-versions | 1 | 0 |" in text
    assert "| **total** | **2** | **2** |" in text
    breaking = text.split("## Breaking changes\n\n")[1].split("\n\n")[0]
    assert breaking.splitlines() == [
        "- **BREAKING** `example.com/v1`: removed field `example_v1.WidgetSpec.tags` "
        "(wire `com.example.v1.WidgetSpec.tags`)",
        "- **BREAKING** `example.com/v1beta1`: removed group-version "
        "`models.example_v1beta1, cs.example_v1beta1` (wire `example.com/v1beta1`): "
        "kinds: Gadget, GadgetList; resources: gadgets",
    ]
    # summary, breaking changes, then sections: group-versions in order, shared
    # models last; in a section, categories in a fixed order
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# Kubernetes API changes: old -> new",
        "## Breaking changes",
        "## Changes by group-version",
        "### `example.com/v1` (module `example_v1`)",
        "#### Fields",
        "#### Query parameters",
        "### `example.com/v1beta1` (module `example_v1beta1`)",
        "#### Group-versions",
        "### `meta_v1` (models shared by several group-versions)",
        "#### Fields",
    ]
    assert (
        "- added field `meta_v1.ListMeta.shard_info` "
        f"(wire `{META}.ListMeta.shardInfo`): type str\n"
    ) in text


def test_report_does_not_depend_on_document_order(tmp_path: Path) -> None:
    old, new = messy()
    reversed_new = {
        "schemas": dict(reversed(list(new["schemas"].items()))),
        "paths": dict(reversed(list(new["paths"].items()))),
    }
    first = render_markdown(compare(tmp_path / "a", old, new))
    second = render_markdown(compare(tmp_path / "b", old, reversed_new))
    assert first == second


def test_json_report(tmp_path: Path) -> None:
    old, new = messy()
    diff = compare(tmp_path, old, new)
    data = json.loads(render_json(diff))
    assert data["from"] == "old" and data["to"] == "new"
    assert data["summary"]["breaking"] == 2
    assert data["summary"]["compatible"] == 2
    assert data["summary"]["byCategory"]["field"] == {"breaking": 1, "compatible": 1}
    assert [Change(**c) for c in data["changes"]] == list(diff.changes)


# --------------------------------------------------------------------------- CLI


def test_spec_arguments_resolve_versions_against_the_specs_root() -> None:
    assert specs_roots("/x/specs") == [Path("/x/specs")]
    assert specs_roots(None) == [Path("../shared/specs"), Path("specs/kubernetes")]
    assert specs_roots("") == specs_roots(None)  # KUBECLIENT_SPECS= in make
    roots = [Path("/a"), Path("/b")]
    assert spec_candidates("1.35", roots) == [
        Path("1.35"),
        Path("/a/v1.35"),
        Path("/b/v1.35"),
    ]
    assert spec_candidates("v1.36", roots)[1] == Path("/a/v1.36")
    assert spec_candidates("some/dir", roots) == [Path("some/dir")]


def test_cli_diff_by_version_and_by_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = messy()
    root = tmp_path / "specs"
    name = "apis__example.com__v1_openapi.json"
    write(root / "v9.1" / name, document(old["schemas"], old["paths"]))
    write(root / "v9.2" / name, document(new["schemas"], new["paths"]))
    (root / "v9.2" / ".version").write_text("v9.2.3\n")
    monkeypatch.setenv("KUBECLIENT_SPECS", str(root))

    assert main(["diff", "9.1", "9.2"]) == 0  # validated: the specs are valid
    out = capsys.readouterr().out
    assert out.startswith("# Kubernetes API changes: 9.1 -> v9.2.3\n")
    assert "**2 breaking**, 2 compatible changes." in out

    report = tmp_path / "report.json"
    args = [str(root / "v9.1"), str(root / "v9.2"), "--format", "json"]
    assert main(["diff", *args, "--out", str(report), "--no-validate"]) == 0
    assert json.loads(report.read_text())["summary"]["breaking"] == 2

    assert main(["diff", "9.1", "9.9"]) == 1
    assert "9.9: no spec found" in capsys.readouterr().err


# --------------------------------------------------------------------------- real specs


@cache
def real(version: str) -> Universe:
    return build_universe(load_spec([spec_dir(version)], validate=False))


@cache
def real_diff() -> ApiDiff:
    return diff_universes(real("1.35"), real("1.36"))


def find(category: str, python: str) -> Change:
    matches = [
        c for c in real_diff().changes if c.category == category and c.python == python
    ]
    assert len(matches) == 1, (category, python, matches)
    return matches[0]


def test_method_names_are_those_of_the_generated_clients(generated: Path) -> None:
    """The Python names the report prints come from the client surface, and the
    surface is what the generated v1.36 clients are: every method of every typed
    client, every keyword argument of a query parameter and its type."""
    import importlib
    import inspect

    from kubeclient.resource import TypedResourceClient

    runtime = set(dir(TypedResourceClient))
    checked = 0
    for gv in build_surface(real("1.36")).group_versions:
        for resource in gv.typed:
            module = importlib.import_module(f"kubeclient.clients.{gv.attribute}")
            cls = getattr(module, resource.class_name or "")
            generated_methods = {
                n for n in dir(cls) if not n.startswith("_") and n not in runtime
            }
            sent = {m for o in resource.operations for m in o.methods}
            assert sent == generated_methods, (gv.api_version, resource.plural)
            generated_here = {m.name for m in resource.methods}
            for o in resource.operations:
                for p in o.parameters:
                    # the streaming methods (exec, proxy_get ...) are the runtime's,
                    # written once with arguments of their own
                    for name in (n for n in o.methods if n in generated_here):
                        signature = inspect.signature(getattr(cls, name))
                        found = signature.parameters.get(p.name)
                        # "limit: int | None = None"; apply's "field_manager: str"
                        declared = found is not None and str(
                            found.annotation
                        ).startswith(p.type)
                        assert declared == (name in p.methods), (o.operation.id, p)
                        checked += 1
    assert checked > 5000


# Spot checks of the v1.35 -> v1.36 report. Each fact was verified on the spec JSON
# in ../shared/specs (v1.35 is v1.35.6, v1.36 is v1.36.2), not with the generator:


def test_real_group_versions() -> None:
    # `diff <(ls v1.35) <(ls v1.36)`: the only difference in the file lists is
    # apis__scheduling.k8s.io__v1alpha1_openapi.json -> ..._v1alpha2_openapi.json;
    # the v1alpha1 document's paths are workloads, v1alpha2's podgroups and workloads.
    gvs = [c for c in real_diff().changes if c.category == "group-version"]
    assert [(c.action, c.wire, c.breaking, c.detail) for c in gvs] == [
        (
            "added",
            "scheduling.k8s.io/v1alpha2",
            False,
            "kinds: PodGroup, PodGroupList, Workload, WorkloadList; "
            "resources: podgroups, workloads",
        ),
        (
            "removed",
            "scheduling.k8s.io/v1alpha1",
            True,
            "kinds: Workload, WorkloadList; resources: workloads",
        ),
    ]
    # ... reported as a whole: nothing else is listed in their sections
    assert {
        c.group_version
        for c in real_diff().changes
        if c.module.startswith("scheduling_v1alpha")
    } == {"scheduling.k8s.io/v1alpha1", "scheduling.k8s.io/v1alpha2"}
    assert all(
        c.category == "group-version"
        for c in real_diff().changes
        if c.module.startswith("scheduling_v1alpha")
    )


def test_real_breaking_changes_are_exactly_these() -> None:
    # A scan of components.schemas of both releases (every schema in both: properties
    # gone, or names in `required` that were not before) finds exactly these 17; the
    # one removed schema outside scheduling v1alpha1 is io.k8s.api.core.v1.
    # WorkloadReference (PodSpec.workloadRef, which used it, is gone too). Among the
    # 15 "now required": ValidatingAdmissionPolicyBindingSpec has no `required` in
    # v1.35 and ["policyName", "validationActions"] in v1.36; PodCertificateRequestSpec
    # lists the new property stubPKCS10Request (format byte) in `required`.
    breaking = {(c.category, c.wire): c.detail for c in real_diff().breaking}
    now_required = [
        "admissionregistration.v1.ValidatingAdmissionPolicyBinding.spec",
        "admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec.policyName",
        "admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec.validationActions",
        "apiserverinternal.v1alpha1.ServerStorageVersion.apiServerID",
        "apiserverinternal.v1alpha1.ServerStorageVersion.decodableVersions",
        "apiserverinternal.v1alpha1.ServerStorageVersion.encodingVersion",
        "apiserverinternal.v1alpha1.StorageVersion.metadata",
        "authentication.v1.TokenReviewSpec.token",
        "autoscaling.v1.HorizontalPodAutoscaler.spec",
        "autoscaling.v2.HorizontalPodAutoscaler.spec",
        "batch.v1.CronJob.spec",
        "coordination.v1alpha2.LeaseCandidate.spec",
        "coordination.v1beta1.LeaseCandidate.spec",
        "networking.v1.IPAddress.spec",
        "networking.v1beta1.IPAddress.spec",
    ]
    pcr = "io.k8s.api.certificates.v1beta1.PodCertificateRequestSpec"
    assert breaking == {
        **{("field", f"io.k8s.api.{w}"): "now required" for w in now_required},
        ("field", f"{pcr}.stubPKCS10Request"): "type str, required",
        ("field", "io.k8s.api.core.v1.PodSpec.workloadRef"): "",
        ("model", "io.k8s.api.core.v1.WorkloadReference"): "",
        ("group-version", "scheduling.k8s.io/v1alpha1"): (
            "kinds: Workload, WorkloadList; resources: workloads"
        ),
    }
    assert len(real_diff().breaking) == 19
    assert render_markdown(real_diff()).count("**BREAKING**") == 2 * 19


def test_real_fields() -> None:
    # api__v1_openapi.json, io.k8s.api.core.v1.PodSpec.properties: workloadRef in
    # v1.35 only, schedulingGroup ($ref core.v1.PodSchedulingGroup) in v1.36 only.
    assert find("field", "core_v1.PodSpec.workload_ref").action == "removed"
    added = find("field", "core_v1.PodSpec.scheduling_group")
    assert (added.action, added.breaking) == ("added", False)
    assert added.detail == "type core_v1.PodSchedulingGroup"
    # apis__storage.k8s.io__v1: CSIDriverSpec.preventPodSchedulingIfMissing
    # (type boolean) is new in v1.36.
    csi = find("field", "storage_v1.CSIDriverSpec.prevent_pod_scheduling_if_missing")
    assert (csi.action, csi.breaking, csi.detail) == ("added", False, "type bool")
    # apis__rbac.authorization.k8s.io__v1: RoleRef.required is [apiGroup, kind, name]
    # in v1.35 and [kind, name] in v1.36: fewer requirements are compatible.
    role_ref = find("field", "rbac_v1.RoleRef.api_group")
    assert (role_ref.breaking, role_ref.detail) == (False, "no longer required")
    # api__v1: ListMeta.properties gains shardInfo ($ref meta.v1.ShardInfo): a shared
    # meta type, so in the meta_v1 section, which has no group-version.
    shard_info = find("field", "meta_v1.ListMeta.shard_info")
    assert (shard_info.group_version, shard_info.module) == (None, "meta_v1")


def test_real_resources_and_parameters() -> None:
    # Plurals per group-version read from every document's paths: present in both
    # releases' group-versions, the only new ones are admissionregistration.k8s.io/v1
    # mutatingadmissionpolicies and mutatingadmissionpolicybindings, resource.k8s.io/
    # v1alpha3 resourcepoolstatusrequests and v1beta2 devicetaintrules; none is gone.
    resources = [c for c in real_diff().changes if c.category == "resource"]
    assert [(c.action, c.group_version, c.wire) for c in resources] == [
        ("added", "admissionregistration.k8s.io/v1", "mutatingadmissionpolicies"),
        (
            "added",
            "admissionregistration.k8s.io/v1",
            "mutatingadmissionpolicybindings",
        ),
        ("added", "resource.k8s.io/v1beta2", "devicetaintrules"),
        ("added", "resource.k8s.io/v1alpha3", "resourcepoolstatusrequests"),
    ]
    assert (
        resources[0].python
        == "cs.admissionregistration_v1.mutating_admission_policies()"
    )
    assert not [
        c
        for c in real_diff().changes
        if c.category in ("subresource", "verb", "operation")
    ]
    # Path-level plus operation-level parameters of every path in both releases: the
    # one parameter difference is shardSelector, new in v1.36 on the list, watch and
    # deletecollection operations of 82 resources (e.g. GET /api/v1/namespaces/
    # {namespace}/pods lists it in v1.36, not in v1.35; for componentstatuses it is a
    # path-level parameter).
    params = [c for c in real_diff().changes if c.category == "parameter"]
    assert len(params) == 82
    assert {(c.action, c.wire.split()[0], c.breaking) for c in params} == {
        ("added", "shardSelector", False)
    }
    pods = find(
        "parameter",
        "cs.core_v1.pods(namespace).{delete_collection, list, list_all, watch}"
        "(shard=)",
    )
    assert pods.detail == "type Shard | str"


def test_real_shared_meta_kinds() -> None:
    # DeleteOptions' x-kubernetes-group-version-kind, unioned over the documents,
    # names 62 group-versions in v1.35 and 34 in v1.36 (v1.35's api__v1 document lists
    # all 62; v1.36's documents each list their own): 29 gone, one of them
    # scheduling.k8s.io/v1alpha1, already reported as a whole group-version.
    delete_options = find("kind", "meta_v1.DeleteOptions")
    assert not delete_options.breaking
    assert delete_options.detail.startswith("GVKs of 28 other group-versions removed:")


def test_real_report_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    spec_dir("1.35"), spec_dir("1.36")  # fail with instructions if missing
    args = ["diff", str(spec_dir("1.35")), str(spec_dir("1.36")), "--no-validate"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out == render_markdown(real_diff())
    assert out.startswith("# Kubernetes API changes: v1.35.6 -> v1.36.2\n")
    assert "**19 breaking**, 152 compatible changes." in out
