"""The typed clients' surface (generator.surface): what it says on small specs, and
that the generated v1.36 clients are exactly it (signatures, runtime calls, ctx)."""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from generator.ir import Universe
from generator.load import load_spec
from generator.model import build_universe
from generator.surface import (
    ClientSurface,
    MethodSurface,
    ParameterSurface,
    ResourceSurface,
    build_surface,
)

from .conftest import spec_dir
from .specbuilder import (
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
PREFIX = "/apis/example.com/v1"
WIDGETS = f"{PREFIX}/namespaces/{{namespace}}/widgets"
WIDGET = f"{WIDGETS}/{{name}}"


def widgets_spec() -> dict[str, Any]:
    """Widgets (namespaced, with status, listed across namespaces and on the old
    /watch/ path) and bindings (an action-only resource: no kind, no typed client)."""
    schemas = base_schemas()
    schemas[f"{V1}.Widget"] = kind_schema(
        GROUP, "v1", "Widget", {"status": {"allOf": [ref(f"{V1}.WidgetStatus")]}}
    )
    schemas[f"{V1}.WidgetList"] = list_schema(GROUP, "v1", "Widget", f"{V1}.Widget")
    schemas[f"{V1}.WidgetStatus"] = {
        "type": "object",
        "properties": {"ready": {"type": "boolean"}},
    }
    paths = resource_paths(GROUP, "v1", "widgets", "Widget", f"{V1}.Widget")
    item = paths[WIDGET]
    item["patch"]["parameters"] = [
        {"name": "fieldManager", "in": "query", "schema": {"type": "string"}}
    ]
    status = {k: copy.deepcopy(item[k]) for k in ("parameters", "get", "put", "patch")}
    for method in ("get", "put", "patch"):
        status[method]["operationId"] += "Status"
    paths[f"{WIDGET}/status"] = status
    listing = copy.deepcopy(paths[WIDGETS]["get"])
    listing["operationId"] = "listWidgetForAllNamespaces"
    paths[f"{PREFIX}/widgets"] = {"get": listing}
    watch = copy.deepcopy(paths[WIDGETS]["get"])
    watch["operationId"] = "watchWidgetList"
    watch["x-kubernetes-action"] = "watchlist"
    paths[f"{PREFIX}/watch/namespaces/{{namespace}}/widgets"] = {
        "parameters": paths[WIDGETS]["parameters"],
        "get": watch,
    }
    paths[f"{PREFIX}/namespaces/{{namespace}}/bindings"] = {
        "parameters": paths[WIDGETS]["parameters"],
        "post": {
            "operationId": "createBinding",
            "x-kubernetes-action": "post",
            "parameters": [
                {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "tags",
                    "in": "query",
                    "schema": {"type": "array", "items": {"type": "string"}},
                },
            ],
            "responses": {"200": {"description": "OK"}},
        },
    }
    return document(schemas, paths)


def surface_of(tmp_path: Path, doc: dict[str, Any]) -> ClientSurface:
    path = write(tmp_path / "spec.json", doc)
    return build_surface(build_universe(load_spec([path], validate=False)))


def resource(surface: ClientSurface, plural: str) -> ResourceSurface:
    return next(
        r for gv in surface.group_versions for r in gv.resources if r.plural == plural
    )


def method(r: ResourceSurface, name: str) -> MethodSurface:
    found = r.method(name)
    assert found is not None, name
    return found


def test_a_resource_s_client_and_methods(tmp_path: Path) -> None:
    surface = surface_of(tmp_path, widgets_spec())
    (gv,) = surface.group_versions
    assert (gv.api_version, gv.attribute, gv.client_class) == (
        "example.com/v1",
        "example_v1",
        "ExampleV1Client",
    )
    widgets = resource(surface, "widgets")
    assert (widgets.accessor, widgets.class_name) == ("widgets", "WidgetClient")
    assert (widgets.model, widgets.list_model) == (
        "example_v1.Widget",
        "example_v1.WidgetList",
    )
    # the class's order; subresource operations by verb
    assert [m.name for m in widgets.methods] == [
        "get",
        "list",
        "list_all",
        "watch",
        "create",
        "update",
        "patch",
        "apply",
        "delete",
        "get_status",
        "patch_status",
        "apply_status",
        "update_status",
    ]
    patch = method(widgets, "patch")
    assert [p.declaration for p in patch.positional] == [
        "name: str",
        "body: PatchBody",
        'patch_type: Literal["merge", "json", "apply"] = "merge"',
    ]
    assert patch.returns == "T"
    assert (patch.call.method, patch.call.cast) == ("_patch", False)
    assert method(widgets, "delete").returns == "T | Any"  # no Status in the spec
    assert method(widgets, "list_all").returns == "Iterator[T]"


def test_every_method_takes_ctx_and_passes_it_on(tmp_path: Path) -> None:
    widgets = resource(surface_of(tmp_path, widgets_spec()), "widgets")
    for m in widgets.methods:
        assert [p.declaration for p in m.keywords[-2:]] == [
            "ctx: Context | None = None",
            "request_timeout: Timeout | None = None",
        ], m.name
        assert m.call.args[-1] == "ctx=ctx", m.name
        assert m.args_doc[-1].startswith("ctx: Cancels the call"), m.name


def test_keyword_arguments_and_the_query_they_are_sent_as(tmp_path: Path) -> None:
    widgets = resource(surface_of(tmp_path, widgets_spec()), "widgets")
    listing = method(widgets, "list")
    assert [p.declaration for p in listing.keywords] == [
        "continue_: str | None = None",
        "limit: int | None = None",
        "ctx: Context | None = None",
        "request_timeout: Timeout | None = None",
    ]
    assert listing.call.query == (("continue", "continue_"), ("limit", "limit"))
    # list_all and watch page and resume themselves: no continue/limit
    assert [p.name for p in method(widgets, "list_all").keywords] == [
        "page_size",
        "ctx",
        "request_timeout",
    ]
    # apply passes fieldManager and force itself, not in the query dict
    apply = method(widgets, "apply")
    assert [(p.name, p.wire) for p in apply.keywords[:2]] == [
        ("field_manager", "fieldManager"),
        ("force", "force"),
    ]
    assert apply.keywords[0].default is None  # required
    assert apply.call.args[:3] == ("body", "field_manager", "force")
    assert apply.call.query == ()


def test_operations_and_the_methods_that_send_them(tmp_path: Path) -> None:
    widgets = resource(surface_of(tmp_path, widgets_spec()), "widgets")
    sent = {o.operation.id: o.methods for o in widgets.operations}
    assert sent == {
        "getWidget": ("get",),
        "listWidget": ("list", "list_all", "watch"),
        # the client lists across namespaces with namespace ""
        "listWidgetForAllNamespaces": ("list", "list_all", "watch"),
        "watchWidgetList": (),  # watch() sends list?watch=true instead
        "postWidget": ("create",),
        "putWidget": ("update",),
        "patchWidget": ("patch", "apply"),
        "deleteWidget": ("delete",),
        "getWidgetStatus": ("get_status",),
        "putWidgetStatus": ("update_status",),
        "patchWidgetStatus": ("patch_status", "apply_status"),
    }
    listing = next(o for o in widgets.operations if o.operation.id == "listWidget")
    takes = {p.wire: p.methods for p in listing.parameters}
    assert takes == {"watch": (), "continue": ("list",), "limit": ("list",)}
    limit = listing.parameter("limit")
    assert limit is not None and (limit.name, limit.type) == ("limit", "int")
    patch = next(o for o in widgets.operations if o.operation.id == "patchWidget")
    manager = patch.parameter("fieldManager")
    assert manager is not None and manager.methods == ("patch", "apply")


def test_a_resource_without_typed_client_still_has_its_parameters(
    tmp_path: Path,
) -> None:
    surface = surface_of(tmp_path, widgets_spec())
    bindings = resource(surface, "bindings")
    assert not bindings.typed
    assert (bindings.accessor, bindings.methods) == (None, ())
    (create,) = bindings.operations
    assert create.methods == ()
    assert [(p.wire, p.name, p.type, p.methods) for p in create.parameters] == [
        ("dryRun", "dry_run", "str", ()),
        ("tags", "tags", "list[str]", ()),
    ]
    (gv,) = surface.group_versions
    assert [r.plural for r in gv.typed] == ["widgets"]
    assert surface.clientset == (gv,)


# --------------------------------------------------------------------------- generated


@cache
def real_surface() -> ClientSurface:
    universe: Universe = build_universe(load_spec([spec_dir()], validate=False))
    return build_surface(universe)


def generated_class(attribute: str, class_name: str | None) -> Any:
    module = importlib.import_module(f"kubeclient.clients.{attribute}")
    return getattr(module, class_name or "")


def same_code(annotation: str, source: str) -> bool:
    """The annotation inspect shows (unparsed: 'quotes') is the surface's source."""
    return ast.unparse(ast.parse(source)) == annotation


def test_generated_signatures_are_the_surface(generated: Path) -> None:
    """Every method of every generated v1.36 client, parameter by parameter."""
    kinds = inspect.Parameter
    checked = 0
    for gv in real_surface().group_versions:
        client = generated_class(gv.attribute, gv.client_class)
        for r in gv.typed:
            accessor = inspect.signature(getattr(client, r.accessor or ""))
            assert ("namespace" in accessor.parameters) == r.namespaced
            assert accessor.return_annotation == r.class_name
            cls = generated_class(gv.attribute, r.class_name)
            for m in r.methods:
                signature = inspect.signature(getattr(cls, m.name))
                params = list(signature.parameters.values())[1:]  # self
                expected: list[tuple[ParameterSurface, inspect._ParameterKind]] = [
                    *((p, kinds.POSITIONAL_OR_KEYWORD) for p in m.positional),
                    *((p, kinds.KEYWORD_ONLY) for p in m.keywords),
                ]
                assert len(params) == len(expected), (r.plural, m.name)
                for actual, (p, kind) in zip(params, expected, strict=True):
                    if p.star:
                        kind = (
                            kinds.VAR_POSITIONAL if p.star == "*" else kinds.VAR_KEYWORD
                        )
                    default = (
                        kinds.empty
                        if p.default is None
                        else ast.literal_eval(p.default)
                    )
                    assert (actual.name, actual.kind) == (p.name, kind)
                    assert same_code(actual.annotation, p.type), (r.plural, m.name)
                    assert actual.default == default, (r.plural, m.name, p.name)
                assert same_code(signature.return_annotation, m.returns)
                checked += 1
    assert checked > 890


class _Recorder:
    """Stands in for a runtime verb: what it was called with."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs))
        return {}


def test_every_generated_method_hands_ctx_to_its_runtime_call(
    generated: Path,
) -> None:
    from kubeclient.context import Context

    ctx = Context()
    called = 0
    for gv in real_surface().group_versions:
        for r in gv.typed:
            cls = generated_class(gv.attribute, r.class_name)
            for m in r.methods:
                client = cls(None, "ns" if r.namespaced else None)
                recorder = _Recorder()
                setattr(client, m.call.method, recorder)
                args = [
                    (
                        {"metadata": {"name": "x", "namespace": "ns"}}
                        if p.name == "body"
                        else "x"
                    )
                    for p in m.positional
                    if p.default is None
                ]
                required = {p.name: "me" for p in m.keywords if p.default is None}
                getattr(client, m.name)(*args, **required, ctx=ctx)
                (_, kwargs), *more = recorder.calls
                assert not more and kwargs["ctx"] is ctx, (r.plural, m.name)
                called += 1
    assert called > 900


def test_clientset_and_group_version_reprs(generated: Path) -> None:
    from kubeclient import ClientSet
    from kubeclient.config import Config
    from kubeclient.testing import fake_clientset

    config = Config(host="https://127.0.0.1:6443", context="test")
    cs = ClientSet(config, transport=object())  # type: ignore[arg-type]
    assert (
        repr(cs) == "<ClientSet https://127.0.0.1:6443 context=test namespace=default>"
    )
    assert repr(cs.core_v1) == "<CoreV1Client v1 namespace='default'>"
    assert repr(cs.apps_v1) == "<AppsV1Client apps/v1 namespace='default'>"
    bare = ClientSet(Config(host="https://h", namespace="kube-system"), transport=object())  # type: ignore[arg-type]
    assert repr(bare) == "<ClientSet https://h namespace=kube-system>"
    # no config at all (the fake's transport has none): what it has
    fake = fake_clientset(namespace="team")
    assert repr(fake) == "<FakeClientSet namespace=team>"
    assert repr(fake.batch_v1) == "<BatchV1Client batch/v1 namespace='team'>"


@pytest.mark.parametrize("namespaced", [True, False])
def test_accessor_and_class_names_follow_the_kind(
    tmp_path: Path, namespaced: bool
) -> None:
    schemas = base_schemas()
    schemas[f"{V1}.NetworkPolicy"] = kind_schema(GROUP, "v1", "NetworkPolicy", {})
    schemas[f"{V1}.NetworkPolicyList"] = list_schema(
        GROUP, "v1", "NetworkPolicy", f"{V1}.NetworkPolicy"
    )
    paths = resource_paths(
        GROUP,
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        f"{V1}.NetworkPolicy",
        namespaced,
    )
    surface = surface_of(tmp_path, document(schemas, paths))
    policies = resource(surface, "networkpolicies")
    assert (policies.accessor, policies.class_name) == (
        "network_policies",
        "NetworkPolicyClient",
    )
    assert policies.namespaced == namespaced
