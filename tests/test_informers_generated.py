"""The generated informers (``<pkg>/informers``): one typed informer and lister per
resource that lists and watches, in every group-version, on the runtime's cache;
run end to end against the test API server, the fake ClientSet and a CRD package."""

from __future__ import annotations

import importlib
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import pytest

from generator.ir import Universe
from generator.render_informers import (
    FACTORY_NAMES,
    LISTER_NAMES,
    informable,
    informer_names,
    informers_context,
)
from generator.surface import ClientSurface, GroupVersionSurface, ResourceSurface

from .conftest import CACHE, REPO
from .specbuilder import (
    base_schemas,
    document,
    kind_schema,
    list_schema,
    resource_paths,
    write,
)

if TYPE_CHECKING:
    from kubeclient import ClientSet
    from kubeclient.models.apps_v1 import Deployment

CRDS = [REPO / "specs" / "example" / f for f in ("crontab-crd.yaml", "backup-crd.yaml")]
#: threads a SharedIndexInformer starts (informer.py, processor.py)
INFORMER_THREADS = ("informer ", "resync ", "handler ")


# --------------------------------------------------------------------------- names


def test_reserved_names_are_the_runtime_classes_own() -> None:
    """A group-version property must not shadow the factory's attributes, nor a
    lister's per-namespace method the lister's: the generator's lists of them
    must follow the runtime."""
    from generator.runtime.cache import NamespacedLister, TypedInformerFactory

    factory = TypedInformerFactory(SimpleNamespace(rest_client=None))
    assert {n for n in dir(factory) if not n.startswith("_")} == FACTORY_NAMES
    assert {n for n in dir(NamespacedLister) if not n.startswith("_")} == LISTER_NAMES


def test_reserved_names_of_the_async_factory_are_the_runtime_classes_own() -> None:
    from generator.render_aio_informers import ASYNC_FACTORY_NAMES
    from generator.runtime.aio.informer import AsyncInformerFactory

    factory = AsyncInformerFactory(SimpleNamespace(rest_client=None))
    assert {n for n in dir(factory) if not n.startswith("_")} == ASYNC_FACTORY_NAMES


def surface(
    plural: str, class_name: str, accessor: str, namespaced: bool = True
) -> Any:
    return ResourceSurface(
        plural, namespaced, accessor, class_name, "x_v1.Widget", None, (), ()
    )


def test_names_never_collide() -> None:
    names = informer_names(
        [
            surface("widgets", "WidgetClient", "widgets"),
            surface("widgets2", "WidgetClient", "widgets"),  # the surface failed
            surface("lists", "ListClient", "list"),  # the lister's own list()
            surface("namespaces", "NamespaceClient", "namespace", namespaced=False),
        ]
    )
    assert [(n.lister, n.informer) for n in names] == [
        ("WidgetLister", "WidgetInformer"),
        ("Widget2Lister", "Widget2Informer"),
        ("ListLister", "ListInformer"),
        ("NamespaceLister", "NamespaceInformer"),  # the runtime's is _cache.Namespace…
    ]
    assert [n.accessor for n in names] == ["widgets", "widgets_2", "list", "namespace"]
    assert [n.namespace_method for n in names] == ["widgets", "widgets", "list_", None]


def test_only_typed_clients_that_list_and_watch_get_informers() -> None:
    def resource(*verbs: str, typed: bool = True) -> ResourceSurface:
        methods = cast(Any, tuple(SimpleNamespace(name=v) for v in verbs))
        client = "WidgetClient" if typed else None
        return ResourceSurface(
            "widgets", True, "widgets", client, None, None, methods, ()
        )

    assert informable(resource("get", "list", "watch"))
    assert not informable(resource("get", "list"))  # no watch: nothing to keep it fresh
    assert not informable(resource("watch"))
    assert not informable(resource("list", "watch", typed=False))  # no model


def test_group_versions_never_shadow_the_factory() -> None:
    list_method = SimpleNamespace(name="list")
    watch_method = SimpleNamespace(name="watch")
    widget = ResourceSurface(
        "widgets",
        True,
        "widgets",
        "WidgetClient",
        "start_v1.Widget",
        None,
        cast(Any, (list_method, watch_method)),
        (),
    )
    gvs = tuple(
        GroupVersionSurface(
            f"{a}.example.com/v1", f"{a}.example.com", "v1", a, "C", (widget,)
        )
        for a in ("start", "start_", "apps_v1")
    )
    universe = cast(Universe, SimpleNamespace(base_package=None))
    context = informers_context(universe, ClientSurface(gvs))
    attributes = [(v["attribute"], v["module"]) for v in context.factory["versions"]]
    # start is the factory's: escaped past every other name; start_ is kept
    assert attributes == [
        ("apps_v1", "apps_v1"),
        ("start__", "start"),
        ("start_", "start_"),
    ]
    assert sorted(context.modules) == ["apps_v1", "start", "start_"]


# --------------------------------------------------------------------------- the v1.36 package


def test_every_resource_that_lists_and_watches_has_an_informer(generated: Path) -> None:
    from kubeclient import _api, cache
    from kubeclient.cache import ClusterLister, GenericLister, NamespacedLister
    from kubeclient.informers import DynamicSharedInformerFactory, SharedInformerFactory
    from kubeclient.testing import fake_clientset

    expected = {
        (r.group, r.version, r.plural): r.namespaced
        for r in _api.RESOURCES
        if {"list", "watch"} <= set(r.verbs) and r.model
    }
    assert len(expected) > 80
    cs = fake_clientset()
    factory = SharedInformerFactory(cs)
    found: dict[tuple[str, str, str], bool] = {}
    versions = [
        n for n, v in vars(SharedInformerFactory).items() if isinstance(v, property)
    ]
    assert (
        versions == sorted(versions) and "apps_v1" in versions and "core_v1" in versions
    )
    for attribute in versions:
        group = getattr(factory, attribute)
        assert group is getattr(factory, attribute)
        client = getattr(cs, attribute)  # the ClientSet's attribute names
        for accessor in [n for n in vars(type(group)) if not n.startswith("_")]:
            informer = getattr(group, accessor)()
            info = informer._resource
            key = (info.group, info.version, info.plural)
            assert key not in found
            found[key] = info.namespaced
            # the typed client of the same accessor, the same model
            typed = getattr(client, accessor)()
            assert type(typed)._info_ is info
            assert type(informer).__name__ == type(typed).__name__.replace(
                "Client", "Informer"
            )
            lister = informer.lister
            assert lister is informer.lister
            assert not isinstance(lister, GenericLister)
            if info.namespaced:
                assert isinstance(lister, NamespacedLister)
                assert not isinstance(lister, ClusterLister)
                assert getattr(lister, accessor)("ns").namespace == "ns"
            else:
                assert isinstance(lister, ClusterLister)
                assert not isinstance(lister, NamespacedLister)
    assert found == expected
    assert DynamicSharedInformerFactory is cache.DynamicSharedInformerFactory


def test_one_shared_informer_per_resource(generated: Path) -> None:
    from kubeclient.informers import SharedInformerFactory
    from kubeclient.informers.apps_v1 import DeploymentInformer, DeploymentLister
    from kubeclient.informers.core_v1 import NamespaceLister, NodeInformer
    from kubeclient.testing import fake_clientset

    factory = SharedInformerFactory(fake_clientset())
    assert factory.apps_v1 is factory.apps_v1
    deployments = factory.apps_v1.deployments()
    assert deployments is factory.apps_v1.deployments()
    assert isinstance(deployments, DeploymentInformer)
    assert isinstance(deployments.lister, DeploymentLister)
    assert isinstance(factory.core_v1.nodes(), NodeInformer)
    assert isinstance(factory.core_v1.namespaces().lister, NamespaceLister)
    assert factory.informers() == [
        deployments,
        factory.core_v1.nodes(),
        factory.core_v1.namespaces(),
    ]
    other = SharedInformerFactory(fake_clientset())
    assert other.apps_v1.deployments() is not deployments


# --------------------------------------------------------------------------- end to end


def deployment(name: str, namespace: str, app: str) -> Deployment:
    from kubeclient.models.apps_v1 import Deployment, DeploymentSpec
    from kubeclient.models.core_v1 import Container, PodSpec, PodTemplateSpec
    from kubeclient.models.meta_v1 import LabelSelector, ObjectMeta

    return Deployment(
        metadata=ObjectMeta(name=name, namespace=namespace, labels={"app": app}),
        spec=DeploymentSpec(
            replicas=1,
            selector=LabelSelector(match_labels={"app": app}),
            template=PodTemplateSpec(
                metadata=ObjectMeta(labels={"app": app}),
                spec=PodSpec(containers=[Container(name="c", image="nginx:1.27")]),
            ),
        ),
    )


def name_of(obj: Any) -> str:
    from kubeclient.cache import DeletedFinalStateUnknown

    if isinstance(obj, DeletedFinalStateUnknown):
        obj = obj.obj
    return str(obj.metadata.name)


def key_of(obj: Any) -> str:
    return f"{obj.metadata.namespace}/{obj.metadata.name}"


def next_event(events: queue.Queue[tuple[str, str]]) -> tuple[str, str]:
    return events.get(timeout=10)


def informer_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith(INFORMER_THREADS)}


def exercise(cs: ClientSet) -> None:
    """Objects made through ``cs``, then seen through a factory's informers."""
    from kubeclient import Context
    from kubeclient.errors import NotFound
    from kubeclient.informers import SharedInformerFactory
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.models.core_v1 import Namespace, Node
    from kubeclient.models.meta_v1 import ObjectMeta

    for ns in ("ns", "other"):
        cs.core_v1.namespaces().create(Namespace(metadata=ObjectMeta(name=ns)))
    cs.apps_v1.deployments("ns").create(deployment("web", "ns", "web"))
    cs.apps_v1.deployments("ns").create(deployment("db", "ns", "db"))
    cs.apps_v1.deployments("other").create(deployment("web", "other", "web"))
    cs.core_v1.nodes().create(Node(metadata=ObjectMeta(name="n1")))

    before = informer_threads()
    factory = SharedInformerFactory(cs)
    deployments = factory.apps_v1.deployments()
    nodes = factory.core_v1.nodes()
    events: queue.Queue[tuple[str, str]] = queue.Queue()
    deployments.add_event_handler(
        on_add=lambda d: events.put(("add", key_of(d))),
        on_update=lambda old, new: events.put(("update", name_of(new))),
        on_delete=lambda d: events.put(("delete", name_of(d))),
    )

    def by_app(d: Deployment) -> list[str]:
        labels = d.metadata.labels if d.metadata else None
        return [labels["app"]] if labels and "app" in labels else []

    deployments.add_indexers({"by_app": by_app})
    ctx = Context()
    try:
        factory.start(ctx)
        assert factory.wait_for_cache_sync(ctx, timeout=30)
        added = sorted(next_event(events) for _ in range(3))
        assert added == [("add", "ns/db"), ("add", "ns/web"), ("add", "other/web")]

        web = deployments.lister.deployments("ns").get("web")
        assert isinstance(web, Deployment) and web.metadata is not None
        assert (web.metadata.namespace, web.metadata.name) == ("ns", "web")
        selected = deployments.lister.list(label_selector="app=web")
        assert sorted(map(key_of, selected)) == ["ns/web", "other/web"]
        in_ns = deployments.lister.deployments("ns").list(label_selector="app in (db)")
        assert [name_of(d) for d in in_ns] == ["db"]
        with pytest.raises(NotFound) as missing:
            deployments.lister.deployments("ns").get("missing")
        assert missing.value.status == 404
        assert 'deployments.apps "missing" not found' in str(missing.value)
        assert sorted(
            map(name_of, deployments.indexer.by_index("namespace", "ns"))
        ) == [
            "db",
            "web",
        ]
        assert len(deployments.indexer.by_index("by_app", "web")) == 2
        node = nodes.lister.get("n1")
        assert isinstance(node, Node) and name_of(node) == "n1"
        assert [name_of(n) for n in nodes.lister.list()] == ["n1"]
        with pytest.raises(NotFound, match='nodes "n2" not found'):
            nodes.lister.get("n2")

        cs.apps_v1.deployments("ns").patch("web", {"spec": {"replicas": 3}}, "merge")
        assert next_event(events) == ("update", "web")
        for _ in range(100):  # the handler ran after the cache changed
            spec = deployments.lister.deployments("ns").get("web").spec
            if spec is not None and spec.replicas == 3:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the lister never saw the update")
        cs.apps_v1.deployments("ns").delete("db")
        event = next_event(events)
        while event[0] == "update":  # the deletion may first set fields
            event = next_event(events)
        assert event == ("delete", "db")
        with pytest.raises(NotFound):
            deployments.lister.deployments("ns").get("db")
    finally:
        ctx.cancel()
    started = time.monotonic()
    factory.shutdown()
    assert time.monotonic() - started < 1.5
    assert not informer_threads() - before, "informer threads still running"
    assert all(i.stopped for i in factory.informers())


def test_typed_informers_against_the_test_server(generated: Path) -> None:
    from kubeclient import ClientSet
    from kubeclient.testing import ApiServer

    with ApiServer() as server, ClientSet(server.config()) as cs:
        exercise(cs)


def test_typed_informers_on_the_fake_clientset(generated: Path) -> None:
    from kubeclient.testing import fake_clientset

    exercise(fake_clientset())


def test_factory_options_narrow_every_list_and_watch(generated: Path) -> None:
    from kubeclient import Context
    from kubeclient.cache import strip_managed_fields
    from kubeclient.informers import SharedInformerFactory
    from kubeclient.models.core_v1 import Namespace
    from kubeclient.models.meta_v1 import ObjectMeta
    from kubeclient.testing import fake_clientset

    cs = fake_clientset()
    for ns in ("ns", "other"):
        cs.core_v1.namespaces().create(Namespace(metadata=ObjectMeta(name=ns)))
    for name, ns, app in [
        ("web", "ns", "web"),
        ("db", "ns", "db"),
        ("web", "other", "web"),
    ]:
        cs.apps_v1.deployments(ns).create(deployment(name, ns, app))
    factory = SharedInformerFactory(
        cs,
        namespace="ns",
        label_selector="app=web",
        transform=strip_managed_fields,
        use_watch_list=False,
    )
    assert (factory.namespace, factory.label_selector) == ("ns", "app=web")
    deployments = factory.apps_v1.deployments()
    ctx = Context()
    try:
        factory.start(ctx)
        assert factory.wait_for_cache_sync(ctx, timeout=30)
        listed = deployments.lister.list()
        assert [key_of(d) for d in listed] == ["ns/web"]
        assert listed[0].metadata is not None and not listed[0].metadata.managed_fields
    finally:
        ctx.cancel()
        factory.shutdown()


# --------------------------------------------------------------------------- CRD packages


@pytest.fixture(scope="module")
def crd_package(
    tmp_path_factory: pytest.TempPathFactory, generated: Path
) -> Iterator[Path]:
    """The example CRDs as a package on kubeclient's runtime, importable."""
    from generator.cli import main

    out = tmp_path_factory.mktemp("crd-informers")
    specs = [a for crd in CRDS for a in ("--spec", str(crd))]
    args = [
        "--out",
        str(out),
        "--package",
        "crd_informers",
        "--base-package",
        "kubeclient",
    ]
    assert main([*specs, *args, "--cache-dir", str(CACHE)]) == 0
    sys.path.insert(0, str(out))
    try:
        yield out
    finally:
        sys.path.remove(str(out))


def test_a_custom_resource_informer(crd_package: Path) -> None:
    import yaml
    from kubeclient import ClientSet, Context
    from kubeclient.cache import NamespacedLister
    from kubeclient.errors import NotFound
    from kubeclient.models.apiextensions_v1 import CustomResourceDefinition
    from kubeclient.models.meta_v1 import ObjectMeta
    from kubeclient.testing import ApiServer

    package = importlib.import_module("crd_informers")
    informers = importlib.import_module("crd_informers.informers")
    models = importlib.import_module("crd_informers.models.stable_v1")
    with ApiServer() as server, ClientSet(server.config()) as cs:
        crd = CustomResourceDefinition.from_dict(yaml.safe_load(CRDS[0].read_text()))
        cs.apiextensions_v1.custom_resource_definitions().create(crd)
        crds = package.ClientSet(server.config())
        crontab = models.CronTab(
            metadata=ObjectMeta(name="nightly", labels={"tier": "batch"}),
            spec=models.CronTabSpec(cron_spec="0 0 * * *", image="backup"),
        )
        crds.stable_v1.cron_tabs("default").create(crontab)
        factory = informers.SharedInformerFactory(crds)
        crontabs = factory.stable_v1.cron_tabs()
        assert crontabs is factory.stable_v1.cron_tabs()
        assert type(crontabs).__name__ == "CronTabInformer"
        added: queue.Queue[Any] = queue.Queue()
        crontabs.add_event_handler(on_add=added.put)
        ctx = Context()
        try:
            factory.start(ctx)
            assert factory.wait_for_cache_sync(ctx, timeout=30)
            assert isinstance(added.get(timeout=10), models.CronTab)
            lister: Any = crontabs.lister
            assert isinstance(lister, NamespacedLister)
            assert type(lister).__name__ == "CronTabLister"
            got = crontabs.lister.cron_tabs("default").get("nightly")
            assert isinstance(got, models.CronTab) and got.spec.image == "backup"
            assert [
                name_of(c) for c in crontabs.lister.list(label_selector="tier")
            ] == ["nightly"]
            with pytest.raises(NotFound, match='crontabs.stable.example.com "x"'):
                crontabs.lister.cron_tabs("default").get("x")
            backups = factory.ops_v1.backups()  # cluster-scoped: get() directly
            assert hasattr(backups.lister, "get") and not hasattr(
                backups.lister, "namespace"
            )
        finally:
            ctx.cancel()
            factory.shutdown()


def test_crd_package_informers_type_check(crd_package: Path, generated: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "-p",
            "crd_informers.informers",
        ],
        cwd=crd_package,
        env={**os.environ, "MYPYPATH": f"{generated}{os.pathsep}{crd_package}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


# --------------------------------------------------------------------------- odd specs


def clash_doc() -> dict[str, Any]:
    """One kind served twice in a group-version; kinds named like the runtime's
    lister and informer classes."""
    g, sid = "clash.example.com", "com.example.clash.v1"
    schemas = base_schemas()
    paths: dict[str, Any] = {}
    for kind, plural, namespaced in [
        ("Widget", "widgets", True),
        ("Namespaced", "namespaceds", False),
        ("SharedIndex", "sharedindexes", True),
        ("Cluster", "clusters", False),
    ]:
        schemas[f"{sid}.{kind}"] = kind_schema(g, "v1", kind, {"x": {"type": "string"}})
        schemas[f"{sid}.{kind}List"] = list_schema(g, "v1", kind, f"{sid}.{kind}")
        paths |= resource_paths(g, "v1", plural, kind, f"{sid}.{kind}", namespaced)
    # the same kind again, under another plural (as an aggregated API may)
    gadgets = resource_paths(g, "v1", "gadgets", "Widget", f"{sid}.Widget")
    for item in gadgets.values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation["operationId"] += "Gadget"  # operation IDs are unique
    paths |= gadgets
    return document(schemas, paths)


@pytest.fixture(scope="module")
def clash_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import generate

    root = tmp_path_factory.mktemp("clash")
    spec = write(
        root / "spec" / "apis__clash.example.com__v1_openapi.json", clash_doc()
    )
    return generate(spec, root / "out", package="clashpkg")


def test_clashing_names_give_distinct_typed_informers(clash_package: Path) -> None:
    code = """
from clashpkg.informers import SharedInformerFactory
from clashpkg.informers import clash_v1 as m
from clashpkg.cache import ClusterLister, NamespacedLister, SharedIndexInformer
from clashpkg import ClientSet
from clashpkg.config import Config
group = SharedInformerFactory(ClientSet(Config(host="https://127.0.0.1:9"))).clash_v1
names = sorted(n for n in vars(m.ClashV1Informers) if not n.startswith("_"))
print(names)
informers = {n: getattr(group, n)() for n in names}
print({n: (type(i).__name__, i._resource.plural) for n, i in informers.items()})
assert isinstance(informers["namespaceds"].lister, ClusterLister)
assert isinstance(informers["shared_indexes"].lister, NamespacedLister)
assert issubclass(m.SharedIndexInformer, SharedIndexInformer)
assert m.SharedIndexInformer is not SharedIndexInformer
assert m.ClusterLister is not ClusterLister
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(clash_package)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    names = ["clusters", "gadgets", "namespaceds", "shared_indexes", "widgets"]
    assert eval(lines[0]) == names
    # each accessor its own informer class, of its own resource
    assert eval(lines[1]) == {
        "clusters": ("ClusterInformer", "clusters"),
        "gadgets": ("WidgetInformer", "gadgets"),  # the surface's WidgetClient
        "namespaceds": ("NamespacedInformer", "namespaceds"),
        "shared_indexes": ("SharedIndexInformer", "sharedindexes"),
        "widgets": ("WidgetsInformer", "widgets"),  # WidgetsClient
    }
    black = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", "."],
        cwd=clash_package / "clashpkg" / "informers",
        capture_output=True,
        text=True,
        check=False,
    )
    assert black.returncode == 0, black.stderr
    mypy = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "-p",
            "clashpkg.informers",
        ],
        cwd=clash_package,
        env={**os.environ, "MYPYPATH": str(clash_package)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout
