"""The async informers: ``<pkg>/aio/informers/*.py``, from the sync informers'
context (generator.render_informers), so both have the same names.

Per group-version, one async informer class per sync one (``DeploymentInformer``
on ``aio.informer.AsyncSharedIndexInformer``) whose ``lister`` is the sync
package's typed lister (``informers.apps_v1.DeploymentLister``: reading the
cache is not async), and the group-version object of the factory's accessors.
"""

from __future__ import annotations

from typing import Any

from . import naming, pysource
from .ir import Universe
from .render_clients import runtime_prefix
from .render_informers import FACTORY_NAMES, InformersContext, _class_header

#: Attributes of the generated async factory (of the runtime's
#: AsyncInformerFactory) that a group-version property must not shadow.
#: tests/test_informers_generated.py checks the list against the runtime class.
ASYNC_FACTORY_NAMES = frozenset(
    {
        "clientset",
        "field_selector",
        "informer_for",
        "informers",
        "label_selector",
        "namespace",
        "params",
        "resync_period",
        "shard",
        "shutdown",
        "start",
        "transform",
        "typed_informer",
        "use_watch_list",
        "wait_for_cache_sync",
    }
)


def _module_context(universe: Universe, sync: dict[str, Any]) -> dict[str, Any]:
    gv = sync["gv"]
    resources = []
    for context in sync["resources"]:
        names, r = context["names"], context["surface"]
        resources.append(
            {
                "names": names,
                "informer_header": _class_header(
                    names.informer, "_informer.AsyncSharedIndexInformer", r.model
                ),
                "informer_doc": pysource.docstring(
                    f"The async shared informer of {r.plural} ({gv.api_version}).", 4
                ),
                "lister_property": context["lister_property"],
                "accessor": context["accessor"],
                "accessor_doc": pysource.docstring(
                    f"The factory's async shared informer of {r.plural}.", 8
                ),
                "make": context["make"],
            }
        )
    listers = [c["names"].lister for c in sync["resources"]]
    clients = [c["surface"].class_name for c in sync["resources"]]
    models = {c["surface"].model.partition(".")[0] for c in sync["resources"]}
    base = universe.base_package
    imports = pysource.import_block(
        [
            *pysource.from_import(
                f"{base}.aio" if base else "..", ["informer as _informer"]
            ),
            *pysource.from_import(f"..clients.{gv.attribute}", clients),
            *pysource.from_import(f"...informers.{gv.attribute}", listers),
            *pysource.from_import("...models", models),
        ],
    )
    group = sync["group_class"]
    exported = [group, *listers, *(c["names"].informer for c in sync["resources"])]
    return {
        "group_class": group,
        "resources": resources,
        "imports": imports,
        "exported": sorted(exported),
        "title": pysource.docstring(
            f"Async shared informers of the Kubernetes API group-version "
            f"{gv.api_version} (the listers are the sync package's).\n\nUse them "
            f"through the factory: ``SharedInformerFactory(clientset).{gv.attribute}``.",
            0,
        ),
        "group_doc": pysource.docstring(
            f"The async shared informers of {gv.api_version}, one method per "
            "resource.",
            4,
        ),
    }


def async_informers_context(
    universe: Universe, sync: InformersContext
) -> InformersContext:
    """The async informers package: the sync one's modules and factory
    properties, on the async runtime."""
    modules = {
        module: _module_context(universe, context)
        for module, context in sync.modules.items()
    }
    taken = FACTORY_NAMES | ASYNC_FACTORY_NAMES
    taken |= {v["attribute"] for v in sync.factory["versions"]}
    versions = []
    for version in sync.factory["versions"]:
        attribute = version["attribute"]
        if attribute in ASYNC_FACTORY_NAMES:
            attribute = naming.escape(attribute, taken)
            taken |= {attribute}
        versions.append({**version, "attribute": attribute})
    rt = runtime_prefix(universe, 2)
    return InformersContext(
        modules=modules,
        factory={
            "versions": versions,
            "rt_informer": f"{rt}aio.informer",
            "rt_cache": f"{rt}cache",
            "rt_sharding": f"{rt}sharding",
        },
    )
