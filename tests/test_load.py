"""Room 1: reading, validating and merging spec documents."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import GeneratorError, SpecError
from generator.load import load_spec

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


def widget_doc() -> dict[str, Any]:
    schemas = base_schemas()
    schemas["com.example.v1.Widget"] = kind_schema(
        GROUP, "v1", "Widget", {"size": {"type": "integer"}}
    )
    schemas["com.example.v1.WidgetList"] = list_schema(
        GROUP, "v1", "Widget", "com.example.v1.Widget"
    )
    return document(
        schemas,
        resource_paths(GROUP, "v1", "widgets", "Widget", "com.example.v1.Widget"),
    )


def test_directory_of_documents_merges_shared_schemas(tmp_path: Path) -> None:
    a = widget_doc()
    b = document(base_schemas())
    b["components"]["schemas"][f"{META}.Status"] = {
        "type": "object",
        "properties": {"message": {"type": "string"}},
    }
    write(tmp_path / "apis__example.com__v1_openapi.json", a)
    write(tmp_path / "api__v1_openapi.json", b)
    spec = load_spec([tmp_path], validate=True)
    assert set(spec.schemas) == {
        *base_schemas(),
        "com.example.v1.Widget",
        "com.example.v1.WidgetList",
        f"{META}.Status",
    }
    assert len(spec.documents) == 2
    assert "/apis/example.com/v1/namespaces/{namespace}/widgets" in spec.paths


def test_single_yaml_document_and_list_of_paths(tmp_path: Path) -> None:
    yaml_file = tmp_path / "spec.yaml"
    yaml_file.write_text(yaml.safe_dump(widget_doc()))
    spec = load_spec([yaml_file])
    assert "com.example.v1.Widget" in spec.schemas
    other = write(tmp_path / "other.json", document(base_schemas()))
    assert len(load_spec([yaml_file, other]).documents) == 2


def test_gvk_lists_of_shared_meta_types_are_unioned(tmp_path: Path) -> None:
    def with_gvk(group: str) -> dict[str, Any]:
        schemas = base_schemas()
        schemas[f"{META}.DeleteOptions"] = {
            "type": "object",
            "properties": {"kind": {"type": "string"}},
            "x-kubernetes-group-version-kind": [
                {"group": group, "kind": "DeleteOptions", "version": "v1"}
            ],
        }
        return document(schemas)

    write(tmp_path / "a.json", with_gvk("apps"))
    write(tmp_path / "b.json", with_gvk(""))
    merged = load_spec([tmp_path]).schemas[f"{META}.DeleteOptions"]
    groups = [g["group"] for g in merged["x-kubernetes-group-version-kind"]]
    assert groups == ["", "apps"]


def test_conflicting_duplicate_schema_is_an_error(tmp_path: Path) -> None:
    a = document(base_schemas())
    b = document(base_schemas())
    b["components"]["schemas"][f"{META}.ObjectMeta"]["properties"]["name"] = {
        "type": "integer"
    }
    write(tmp_path / "a.json", a)
    write(tmp_path / "b.json", b)
    with pytest.raises(SpecError) as err:
        load_spec([tmp_path])
    message = str(err.value)
    assert "b.json" in message and "a.json" in message
    assert (
        err.value.pointer
        == f"/components/schemas/{META}.ObjectMeta/properties/name/type"
    )


@pytest.mark.parametrize(
    ("mutate", "pointer_part", "text"),
    [
        (
            lambda d: d["paths"].update({"/x": {"get": {"responses": "nope"}}}),
            "/paths/~1x/get/responses",
            "invalid OpenAPI",
        ),
        (lambda d: d["info"].pop("title"), "/info", "invalid OpenAPI"),
        (
            lambda d: d["components"]["schemas"]["com.example.v1.Widget"][
                "properties"
            ].update({"bad": {"type": "nonsense"}}),
            "",
            "invalid OpenAPI",
        ),
    ],
)
def test_invalid_document_names_file_and_pointer(
    tmp_path: Path,
    mutate: Callable[[dict[str, Any]], object],
    pointer_part: str,
    text: str,
) -> None:
    doc = widget_doc()
    mutate(doc)
    path = write(tmp_path / "bad.json", doc)
    with pytest.raises(SpecError) as err:
        load_spec([path])
    assert str(path) in str(err.value)
    assert text in str(err.value)
    assert err.value.pointer.startswith(pointer_part)


def test_kubernetes_empty_object_defaults_are_accepted(tmp_path: Path) -> None:
    doc = widget_doc()
    # Kubernetes marks required struct fields default: {} (Go zero value).
    doc["components"]["schemas"][f"{META}.ListMeta"]["required"] = ["continue"]
    doc["components"]["schemas"]["com.example.v1.Widget"]["properties"]["list"] = {
        "allOf": [ref(f"{META}.ListMeta")],
        "default": {},
    }
    load_spec([write(tmp_path / "ok.json", doc)])
    doc["components"]["schemas"]["com.example.v1.Widget"]["properties"]["size"][
        "default"
    ] = "big"
    with pytest.raises(SpecError, match="invalid OpenAPI"):
        load_spec([write(tmp_path / "bad.json", doc)])


def test_syntax_errors_give_line_numbers(tmp_path: Path) -> None:
    bad_json = tmp_path / "broken.json"
    bad_json.write_text('{"openapi": "3.0.0",\n "info": }')
    with pytest.raises(SpecError, match=r"broken.json: invalid JSON at line 2"):
        load_spec([bad_json])
    bad_yaml = tmp_path / "broken.yaml"
    bad_yaml.write_text("openapi: 3.0.0\ninfo: [unclosed\n")
    with pytest.raises(SpecError, match=r"broken.yaml: invalid YAML at line \d+"):
        load_spec([bad_yaml])


def test_not_an_openapi_v3_document(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="OpenAPI v2"):
        load_spec([write(tmp_path / "swagger.json", {"swagger": "2.0", "paths": {}})])
    with pytest.raises(SpecError, match="not an OpenAPI v3 document"):
        load_spec([write(tmp_path / "index.json", {"paths": {"api/v1": {}}})])
    with pytest.raises(SpecError, match="must be a JSON/YAML object"):
        load_spec([write(tmp_path / "list.json", [1, 2])])  # type: ignore[arg-type]


def test_references_must_be_local_and_resolvable(tmp_path: Path) -> None:
    doc = widget_doc()
    doc["components"]["schemas"]["com.example.v1.Widget"]["properties"]["x"] = {
        "$ref": "other.yaml#/X"
    }
    with pytest.raises(SpecError, match="unsupported reference") as err:
        load_spec([write(tmp_path / "a.json", doc)])
    assert err.value.pointer.endswith("/properties/x/$ref")
    doc = widget_doc()
    doc["components"]["schemas"]["com.example.v1.Widget"]["properties"]["x"] = ref(
        "com.example.v1.Missing"
    )
    with pytest.raises(
        SpecError, match="undefined schema 'com.example.v1.Missing'"
    ) as err:
        load_spec([write(tmp_path / "b.json", doc)])
    assert err.value.pointer.endswith("/properties/x/$ref")


def test_property_named_ref_is_not_a_reference(tmp_path: Path) -> None:
    doc = widget_doc()
    doc["components"]["schemas"]["com.example.v1.Widget"]["properties"]["$ref"] = {
        "type": "string"
    }
    spec = load_spec([write(tmp_path / "a.json", doc)])
    assert "$ref" in spec.schemas["com.example.v1.Widget"]["properties"]


def test_missing_inputs(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError, match="no such file"):
        load_spec([tmp_path / "nope"])
    with pytest.raises(GeneratorError, match="no spec documents"):
        load_spec([tmp_path])


def test_validation_results_are_cached_by_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import load

    path = write(tmp_path / "spec" / "a.json", widget_doc())
    calls: list[int] = []
    original = load.validation_error

    def counting(content: dict[str, Any]) -> tuple[str, str] | None:
        calls.append(1)
        return original(content)

    monkeypatch.setattr(load, "validation_error", counting)
    load.load_spec([path], cache_dir=tmp_path / "cache", jobs=1)
    load.load_spec([path], cache_dir=tmp_path / "cache", jobs=1)
    assert len(calls) == 1
    doc = json.loads(path.read_text())
    doc["info"]["title"] = "changed"
    path.write_text(json.dumps(doc))
    load.load_spec([path], cache_dir=tmp_path / "cache", jobs=1)
    assert len(calls) == 2


def test_upstream_v1_36_documents_all_validate(tmp_path: Path) -> None:
    from .conftest import spec_dir

    folder = spec_dir("1.36")
    spec = load_spec([folder], cache_dir=None)
    # 63 group-version documents plus .well-known/openid-configuration's
    assert len(spec.documents) == len(list(folder.glob("*.json"))) == 64
    assert len(spec.schemas) == 771
    assert spec.kubernetes_version is not None and spec.kubernetes_version.startswith(
        "v1.36"
    )
    assert copy.deepcopy(spec.schemas[f"{META}.ObjectMeta"])["type"] == "object"


def group_doc(group: str) -> dict[str, Any]:
    """A document of its own group-version, with the shared meta schemas."""
    schemas = base_schemas()
    name = f"com.{group}.v1.Widget"
    schemas[name] = kind_schema(
        f"{group}.com", "v1", "Widget", {"size": {"type": "integer"}}
    )
    schemas[f"{name}List"] = list_schema(f"{group}.com", "v1", "Widget", name)
    return document(
        schemas, resource_paths(f"{group}.com", "v1", "widgets", "Widget", name)
    )


@pytest.mark.parametrize("jobs", [1, 2])
def test_documents_are_validated_merged_and_a_bad_one_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """The shared schemas are validated once, not once per document; a problem is
    still reported against the document and pointer it is in."""
    from generator import load

    for group in ("a", "b", "c", "d"):
        write(
            tmp_path / "spec" / f"apis__{group}.com__v1_openapi.json", group_doc(group)
        )
    calls: list[int] = []
    original = load.validation_error

    def counting(content: dict[str, Any]) -> tuple[str, str] | None:
        calls.append(len(content.get("paths") or {}))
        return original(content)

    monkeypatch.setattr(load, "validation_error", counting)
    load.load_spec([tmp_path / "spec"], jobs=1)
    assert len(calls) == 1  # one merged document for the four
    monkeypatch.undo()

    bad = group_doc("c")
    bad["components"]["schemas"]["com.c.v1.Widget"]["properties"]["size"][
        "default"
    ] = "big"
    path = write(tmp_path / "spec" / "apis__c.com__v1_openapi.json", bad)
    with pytest.raises(SpecError, match="invalid OpenAPI document") as err:
        load_spec([tmp_path / "spec"], jobs=jobs)
    assert err.value.source == str(path)
    bad = group_doc("b")
    bad["paths"]["/apis/b.com/v1/namespaces/{namespace}/widgets"]["get"][
        "responses"
    ] = "x"
    path = write(tmp_path / "spec" / "apis__b.com__v1_openapi.json", bad)
    with pytest.raises(SpecError) as err:
        load_spec([tmp_path / "spec"], jobs=jobs)
    assert err.value.source == str(path)
    assert err.value.pointer.startswith(
        "/paths/~1apis~1b.com~1v1~1namespaces~1{namespace}~1widgets/get"
    )


def test_an_operation_id_two_documents_share_is_not_an_error(tmp_path: Path) -> None:
    """Each document is valid on its own; merging them must not make them invalid."""
    a, b = group_doc("a"), group_doc("b")

    def ids(doc: dict[str, Any]) -> set[str]:
        return {
            op["operationId"]
            for item in doc["paths"].values()
            for op in item.values()
            if isinstance(op, dict) and "operationId" in op
        }

    assert ids(a) & ids(b)  # listWidget ... in both
    write(tmp_path / "apis__a.com__v1_openapi.json", a)
    write(tmp_path / "apis__b.com__v1_openapi.json", b)
    assert len(load_spec([tmp_path], jobs=1).documents) == 2
    one = group_doc("a")
    one["paths"]["/x"] = {
        "get": {
            "operationId": "listWidget",
            "responses": {"200": {"description": "ok"}},
        }
    }
    with pytest.raises(SpecError, match="Operation ID 'listWidget'"):
        load_spec([write(tmp_path / "one" / "a.json", one)])
