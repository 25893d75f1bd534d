"""Room 3, the informers: the client surface (generator.surface) ->
``<pkg>/informers/*.py`` (client-go's informer-gen and lister-gen).

Every resource whose typed client can list and watch gets a lister class, an
informer class and an accessor on its group-version's informers object; the
package's ``SharedInformerFactory`` has one property per such group-version, the
ClientSet's attribute names. The machinery they run on is the runtime's ``cache``
package: what is generated here only binds it to the typed clients and models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import naming, pysource
from .ir import Universe
from .render_clients import runtime_prefix
from .surface import ClientSurface, GroupVersionSurface, ResourceSurface

#: Attributes of the generated factory (of the runtime's TypedInformerFactory):
#: a group-version property must not shadow one. tests/test_informers_generated.py
#: checks the list against the runtime class.
FACTORY_NAMES = frozenset(
    {
        "clientset",
        "field_selector",
        "informer_for_client",
        "informers",
        "label_selector",
        "namespace",
        "params",
        "resync_period",
        "rest_client",
        "shard",
        "shutdown",
        "start",
        "transform",
        "typed_informer",
        "use_watch_list",
        "wait_for_cache_sync",
    }
)
#: Public names of the runtime's NamespacedLister, which a typed lister's
#: per-namespace method must not shadow.
LISTER_NAMES = frozenset({"list", "namespace"})


def informable(resource: ResourceSurface) -> bool:
    """A typed client that can list and watch: what an informer needs."""
    return (
        resource.typed
        and resource.method("list") is not None
        and resource.method("watch") is not None
    )


def group_class_name(gv: GroupVersionSurface) -> str:
    """``AppsV1Informers``: the group-version's client class, Informers for Client."""
    return naming.camel_case(gv.attribute) + "Informers"


@dataclass(frozen=True)
class InformerNames:
    """What one resource's informer is called in its group-version module."""

    lister: str  # DeploymentLister
    informer: str  # DeploymentInformer
    accessor: str  # the group-version object's method: deployments
    namespace_method: str | None  # the lister's per-namespace method, if namespaced


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def informer_names(resources: list[ResourceSurface]) -> list[InformerNames]:
    """Names of a group-version's informers, distinct within the module.

    They derive from the typed client's class (``DeploymentClient``), which the
    surface already made distinct (two resources of one kind fall back to their
    plurals); numbering settles anything left. Generated class names start with
    a capital and end in Lister/Informer/Informers, so they never meet the model
    modules, the client classes (…Client) or the runtime alias ``_cache``."""
    classes: set[str] = set()
    accessors: set[str] = set()
    names = []
    for r in resources:
        assert r.class_name is not None and r.accessor is not None
        stem = r.class_name.removesuffix("Client") or "Resource"
        base = stem
        n = 2
        while f"{base}Lister" in classes or f"{base}Informer" in classes:
            base, n = f"{stem}{n}", n + 1
        classes |= {f"{base}Lister", f"{base}Informer"}
        accessor = _unique(r.accessor, accessors)
        method = naming.escape(r.accessor, LISTER_NAMES) if r.namespaced else None
        names.append(
            InformerNames(f"{base}Lister", f"{base}Informer", accessor, method)
        )
    return names


def _lister_property(informer_lister: str) -> str:
    """The informer's ``lister`` property head (narrowing the runtime's
    ``Lister[T]`` to the resource's typed lister), as black lays it out."""
    line = f"    def lister(self) -> {informer_lister}:"
    if len(line) <= pysource.LINE_LENGTH:
        return line
    return f"    def lister(\n        self,\n    ) -> {informer_lister}:"


def _class_header(name: str, base: str, argument: str) -> str:
    """``class Name(base[argument]):`` as black splits it when too long: the base
    on a line of its own, else its subscript too."""
    line = f"class {name}({base}[{argument}]):"
    if len(line) <= pysource.LINE_LENGTH:
        return line
    if 4 + len(base) + len(argument) + 2 <= pysource.LINE_LENGTH:
        return f"class {name}(\n    {base}[{argument}]\n):"
    return f"class {name}(\n    {base}[\n        {argument}\n    ]\n):"


def _resource_context(
    gv: GroupVersionSurface, r: ResourceSurface, names: InformerNames
) -> dict[str, Any]:
    scope = "NamespacedLister" if r.namespaced else "ClusterLister"
    assert r.model is not None  # a typed client has its model
    model = r.model
    where = "namespaced" if r.namespaced else "cluster-scoped"
    context: dict[str, Any] = {
        "names": names,
        "surface": r,
        "lister_header": _class_header(names.lister, f"_cache.{scope}", model),
        "lister_doc": pysource.docstring(
            f"Cached {r.plural} of {gv.api_version} ({where}).", 4
        ),
        "informer_header": _class_header(
            names.informer, "_cache.SharedIndexInformer", model
        ),
        "informer_doc": pysource.docstring(
            f"The shared informer of {r.plural} ({gv.api_version}).", 4
        ),
        "lister_property": _lister_property(names.lister),
        "accessor": pysource.call(
            f"def {names.accessor}",
            ["self"],
            "",
            4,
            f" -> {names.informer}:",
            lone_comma=True,
        ),
        "accessor_doc": pysource.docstring(
            f"The factory's shared informer of {r.plural}.", 8
        ),
        "make": pysource.call(
            "self._factory.typed_informer",
            [names.informer, r.class_name or ""],
            "return ",
            8,
        ),
        "namespace_method": None,
    }
    if names.namespace_method is not None:
        context["namespace_method"] = pysource.call(
            f"def {names.namespace_method}",
            ["self", "namespace: str"],
            "",
            4,
            f" -> _cache.NamespaceLister[{model}]:",
        )
        context["namespace_doc"] = pysource.docstring(
            f"The cached {r.plural} of one namespace.", 8
        )
    return context


def _module_context(
    universe: Universe, gv: GroupVersionSurface, resources: list[ResourceSurface]
) -> dict[str, Any]:
    names = informer_names(resources)
    contexts = [
        _resource_context(gv, r, n) for r, n in zip(resources, names, strict=True)
    ]
    base = universe.base_package
    model_modules = {(r.model or "").partition(".")[0] for r in resources}
    clients = [r.class_name for r in resources if r.class_name]
    imports = pysource.import_block(
        [
            *pysource.from_import(base or "..", ["cache as _cache"]),
            *pysource.from_import(f"..clients.{gv.attribute}", clients),
            *pysource.from_import("..models", model_modules),
        ],
    )
    group = group_class_name(gv)
    exported = [group, *(x for n in names for x in (n.lister, n.informer))]
    return {
        "gv": gv,
        "group_class": group,
        "resources": contexts,
        "imports": imports,
        "exported": sorted(exported),
        "title": pysource.docstring(
            f"Shared informers and listers of the Kubernetes API group-version "
            f"{gv.api_version}.\n\nUse them through the factory: "
            f"``SharedInformerFactory(clientset).{gv.attribute}``.",
            0,
        ),
        "group_doc": pysource.docstring(
            f"The shared informers of {gv.api_version}, one method per resource.", 4
        ),
    }


@dataclass
class InformersContext:
    modules: dict[str, dict[str, Any]]  # group-version module -> template context
    factory: dict[str, Any]  # informers/__init__.py


def informers_context(universe: Universe, surface: ClientSurface) -> InformersContext:
    """The informers package: a module per group-version that has a resource to
    inform on, and the factory with one property each (the ClientSet's names,
    escaped where they would shadow the factory's own attributes)."""
    modules: dict[str, dict[str, Any]] = {}
    versions = []
    informing = [
        (gv, resources)
        for gv in surface.clientset
        if (resources := [r for r in gv.typed if informable(r)])
    ]
    # the names that shadow nothing are kept; the others escaped past them all
    taken = FACTORY_NAMES | {gv.attribute for gv, _ in informing}
    for gv, resources in informing:
        modules[gv.attribute] = _module_context(universe, gv, resources)
        attribute = gv.attribute
        if attribute in FACTORY_NAMES:
            attribute = naming.escape(attribute, taken)
            taken |= {attribute}
        group = group_class_name(gv)
        versions.append(
            {
                "attribute": attribute,
                "module": gv.attribute,
                "group_class": group,
                "import": pysource.import_at(f".{gv.attribute}", group, 4),
                "doc": pysource.docstring(gv.api_version, 8),
                "body": pysource.call(
                    "self._group",
                    [pysource.py_str(gv.attribute), pysource.py_str(group)],
                    f"group: {group} = ",
                    8,
                ),
            }
        )
    rt = runtime_prefix(universe, 1)
    return InformersContext(
        modules=modules,
        factory={
            "versions": versions,
            "rt_cache": f"{rt}cache",
            "rt_sharding": f"{rt}sharding",
        },
    )
