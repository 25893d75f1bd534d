"""Room 3, the typed clients: the client surface (generator.surface) ->
``<pkg>/clients/*.py`` and ``<pkg>/clientset.py``.

Each generated method only spells out its operation's parameters (every optional
query parameter of the spec is a typed keyword argument) and calls the generic
``ResourceClient`` in the runtime. What the methods are is decided in
generator.surface; here they are laid out: docstrings, the shared mixins of
``clients/_verbs.py``, the imports.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, replace
from typing import Any

from . import naming, pysource
from .ir import Universe
from .surface import (
    PARAMS,
    ClientSurface,
    GroupVersionSurface,
    MethodSurface,
    ResourceSurface,
    build_surface,
)


def runtime_prefix(universe: Universe, depth: int) -> str:
    """How a module ``depth`` packages below the root imports the runtime: relatively
    (``..``), or from the base package when this one is CRDs alone."""
    if universe.base_package:
        return f"{universe.base_package}."
    return "." * (depth + 1)


def method_doc(method: MethodSurface) -> str:
    """The docstring: the summary, not the operation's description (one method serves
    every resource with the same parameters, so it must not name a kind), then Args."""
    text = method.summary
    if method.args_doc:
        width = pysource.LINE_LENGTH - 8
        wrapped = [
            textwrap.fill(a, width, initial_indent="    ", subsequent_indent="        ")
            for a in method.args_doc
        ]
        text += "\n\nArgs:\n" + "\n".join(wrapped)
    return pysource.docstring(text, 8)


@dataclass(frozen=True)
class Flavour:
    """Sync or async: where the typed clients live and what they stand on. Both are
    rendered from the same surface and the same templates."""

    depth: int  # packages below the root: clients/ is 1, aio/clients/ is 2
    base: str  # the runtime class the resource clients derive from
    resource_module: str  # where it is (under the runtime)
    rest: str  # the REST client class the group-version clients take
    rest_module: str
    watch: str  # what watch() returns
    watch_module: str
    clientset: str  # what the module docstring names
    asynchronous: bool
    # where the runtime's exec/attach/port-forward/proxy bases are, and their prefix
    streaming_module: str = "streaming.clients"
    streaming_prefix: str = ""

    def up(self, module: str) -> str:
        """``module`` of the package root, relative to a clients module."""
        return "." * (self.depth + 1) + module


SYNC = Flavour(
    1,
    "TypedResourceClient",
    "resource",
    "RESTClient",
    "rest",
    "WatchStream",
    "watch",
    "ClientSet",
    False,
)
ASYNC = Flavour(
    2,
    "AsyncTypedResourceClient",
    "aio.resource",
    "AsyncRESTClient",
    "aio.rest",
    "AsyncWatchStream",
    "aio.watch",
    "AsyncClientSet",
    True,
    "aio.streaming.clients",
    "Async",
)


def asynchronous(method: MethodSurface) -> tuple[MethodSurface, bool]:
    """The async client's method of a sync one (same name, parameters, docstring),
    and whether it is a coroutine. Methods that stream are plain methods returning
    async iterators (``async for pod in pods.list_all()``, ``watch()``,
    ``get_log(follow=True)``); the others are ``async def`` (``await pods.get(n)``)."""

    def returns(annotation: str, overloaded: bool) -> str:
        streamed = re.sub(r"\bIterator\[", "AsyncIterator[", annotation)
        streamed = re.sub(r"\bWatchStream\[", "AsyncWatchStream[", streamed)
        if not overloaded:
            return streamed
        # overloads (follow=True or not): an iterator, or an awaitable of the rest
        parts = [p.strip() for p in streamed.split(" | ")]
        return " | ".join(
            p if p.startswith("AsyncIterator[") else f"Awaitable[{p}]" for p in parts
        )

    overloaded = bool(method.overloads)
    # imports in a method body are relative to the clients package: one more level
    setup = tuple(
        line.replace("from ..models ", "from ...models ") for line in method.call.setup
    )
    converted = replace(
        method,
        call=replace(method.call, setup=setup),
        returns=returns(method.returns, overloaded),
        overloads=tuple(
            replace(o, returns=returns(o.returns, True)) for o in method.overloads
        ),
    )
    awaited = not (
        overloaded
        or method.returns == "NoReturn"
        or converted.returns != method.returns
    )
    return converted, awaited


@dataclass(frozen=True)
class Mixin:
    """One method, shared by every resource whose operation has the same parameters."""

    name: str
    method: MethodSurface
    doc: str
    query: str  # name of the module constant listing the query parameters, or ""
    awaited: bool = False  # async def, its runtime call awaited


@dataclass
class ClientsContext:
    verbs: dict[str, Any]
    modules: dict[str, dict[str, Any]]  # group-version module -> its template context
    clientset: dict[str, Any]


def clients_context(
    universe: Universe,
    surface: ClientSurface | None = None,
    flavour: Flavour = SYNC,
) -> ClientsContext:
    """Every typed client: resource classes per group-version module, assembled from
    generic one-method mixins (clients/_verbs.py), one per distinct method.

    Most resources share their operations' parameters, so the methods are written
    once (about 60 mixins for v1.36) instead of once per resource (about 1,100).
    """
    surface = surface or build_surface(universe)
    mixins: dict[MethodSurface, Mixin] = {}
    names: set[str] = set()
    modules: dict[str, dict[str, Any]] = {}
    for gv in surface.group_versions:
        resources = []
        for resource in gv.typed:
            bases = []
            # exec, attach, port-forward and proxy: the runtime's streaming base
            streaming = resource.streaming
            for method in resource.methods:
                if method not in mixins:
                    awaited = False
                    shown = method
                    if flavour.asynchronous:
                        shown, awaited = asynchronous(method)
                    base = naming.camel_case(method.name)
                    name, n = base, 2
                    while name in names:
                        name, n = f"{base}{n}", n + 1
                    names.add(name)
                    query = (
                        f"_{naming.snake_case(name).upper()}"
                        if PARAMS in method.call.args
                        else ""
                    )
                    mixins[method] = Mixin(
                        name, shown, method_doc(method), query, awaited
                    )
                bases.append(mixins[method].name)
            resources.append(_resource_context(gv, resource, bases, flavour, streaming))
        if resources:
            modules[gv.attribute] = _module_context(universe, gv, resources, flavour)
    ordered = list(mixins.values())
    return ClientsContext(
        verbs={
            "mixins": ordered,
            "imports": _verbs_imports(ordered, universe, flavour),
            "flavour": flavour,
            "rt_up": runtime_prefix(universe, flavour.depth),
        },
        modules=modules,
        clientset={"versions": surface.clientset},
    )


def _resource_context(
    gv: GroupVersionSurface,
    r: ResourceSurface,
    mixins: list[str],
    flavour: Flavour,
    streaming: str | None = None,
) -> dict[str, Any]:
    types = [r.model or "Any", r.list_model or "Any"]
    scope = "namespaced" if r.namespaced else "cluster-scoped"
    bases = [f"_verbs.{m}" for m in mixins] or [flavour.base]
    if streaming:
        bases.append(flavour.streaming_prefix + streaming)
    info = [pysource.py_str(v) for v in (gv.group, gv.version, r.plural)]
    params = ["self", "namespace: str | None = None"] if r.namespaced else ["self"]
    # laid out as black would (lines of 88 columns at most)
    return {
        "surface": r,
        "streaming": flavour.streaming_prefix + streaming if streaming else None,
        "bases": [
            pysource.call(base, types, "", 4, ",", brackets="[]") for base in bases
        ],
        "info": pysource.call("_api.resource", info, "_info_ = ", 4),
        "accessor": pysource.call(
            f"def {r.accessor}",
            params,
            "",
            4,
            f" -> {r.class_name}:",
            lone_comma=True,
        ),
        "doc": pysource.docstring(f"{r.plural} in {gv.api_version} ({scope}).", 4),
    }


def _module_context(
    universe: Universe,
    gv: GroupVersionSurface,
    resources: list[dict[str, Any]],
    flavour: Flavour,
) -> dict[str, Any]:
    rt = runtime_prefix(universe, flavour.depth)
    uses_any = any(r.list_model is None for r in gv.typed)
    model_modules = {
        t.partition(".")[0] for r in gv.typed for t in (r.model, r.list_model) if t
    }
    return {
        "gv": gv,
        "resources": resources,
        "flavour": flavour,
        "imports": pysource.import_block(
            pysource.from_import("typing", {"Any"} if uses_any else set()),
            [
                *pysource.from_import(flavour.up(""), ["_api"]),
                *pysource.from_import(
                    flavour.up("models"), {*model_modules, "model_class"}
                ),
                *pysource.from_import(f"{rt}{flavour.resource_module}", [flavour.base]),
                *pysource.from_import(f"{rt}{flavour.rest_module}", [flavour.rest]),
                *pysource.from_import(
                    f"{rt}{flavour.streaming_module}",
                    {c["streaming"] for c in resources if c["streaming"]},
                ),
                *pysource.from_import(".", ["_verbs"]),
            ],
        ),
    }


def _verbs_imports(
    mixins: list[Mixin], universe: Universe, flavour: Flavour = SYNC
) -> dict[str, str]:
    """The import block of clients/_verbs.py: only what its methods use. Models are
    only named in annotations there, so they are imported for type checkers only."""

    def code(m: MethodSurface) -> list[str]:
        params = [*m.parameters, *(p for o in m.overloads for p in o.keywords)]
        return [
            m.returns,
            *(o.returns for o in m.overloads),
            *(p.declaration for p in params),
            *m.call.args,
            *m.call.setup,
        ]

    text = " ".join(
        " ".join(code(m.method))
        + (" cast" if m.method.call.cast else "")
        + (" query" if m.query else "")
        for m in mixins
    )

    def used(*names: str) -> set[str]:
        return {n for n in names if re.search(rf"\b{n}\b", text)}

    base_modules = {q.split(".")[0] for q in universe.external.values()}
    models = {m.name for m in universe.modules} | base_modules
    referenced = {n for n in models if re.search(rf"\b{n}\.", text)}
    rt = runtime_prefix(universe, flavour.depth)
    overload = {"overload"} if any(m.method.overloads for m in mixins) else set()
    typing = (
        {"TYPE_CHECKING", "TypeVar"}
        | overload
        | used("Any", "cast", "Literal", "NoReturn")
    )
    stdlib = [
        *pysource.from_import(
            "collections.abc", used("AsyncIterator", "Awaitable", "Iterator")
        ),
        *pysource.from_import("typing", typing),
    ]
    package = [
        *pysource.from_import(
            f"{rt}{flavour.resource_module}",
            {flavour.base} | used("PatchBody", "_name_of", "query"),
        ),
        *pysource.from_import(f"{rt}rest", used("Timeout")),
        *pysource.from_import(f"{rt}{flavour.watch_module}", used(flavour.watch)),
    ]
    return {
        "imports": pysource.import_block(stdlib, package),
        "type_only": (
            "\n    ".join(
                [
                    *pysource.from_import(f"{rt}context", used("Context")),
                    *pysource.from_import(f"{rt}sharding", used("Shard")),
                    *pysource.from_import(
                        flavour.up("models"), referenced - base_modules
                    ),
                    *pysource.from_import(
                        f"{universe.base_package}.models", referenced & base_modules
                    ),
                ]
            )
        ),
    }
