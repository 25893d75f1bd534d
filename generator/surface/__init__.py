"""Room 2, the model: the surface of the typed clients, computed once from the Universe.

What user code sees of ``<pkg>/clients`` and ``<pkg>/clientset.py``: per
group-version the ClientSet attribute and its client class; per resource its
accessor, client class and methods; per method its positional and keyword
parameters (Python name, type, default, the query parameter each one is sent as),
its return type and the runtime call it makes; per spec operation the methods that
send it. The renderers lay it out (generator.render_clients, templates/clients,
templates/package/clientset.py.jinja); the API change report (generator.diff)
compares two of them.

Types are spelled as in the generic mixins of ``clients/_verbs.py``: ``T`` is the
resource's kind, ``L`` its list kind (``ResourceSurface.model`` and ``list_model``
bind them), any other model ``module.Class``. Defaults and runtime call arguments
are Python expressions.
"""

from __future__ import annotations

from .. import naming
from ..ir import GroupVersion, Operation, Parameter, Resource, Universe
from .methods import (
    LIST_ONLY,
    NOT_FOR_LIST_ALL,
    NOT_FOR_WATCH,
    SHARD,
    SUBRESOURCE_NAMES,
    MethodBuilder,
    accessor_name,
    client_class_name,
    has_typed_client,
    parameter_type,
    query_params,
    streaming_base,
)
from .shapes import (
    PARAMS,
    ClientSurface,
    GroupVersionSurface,
    MethodSurface,
    OperationSurface,
    OverloadSurface,
    ParameterSurface,
    QueryParameterSurface,
    ResourceSurface,
    RuntimeCall,
)

__all__ = [
    "LIST_ONLY",
    "NOT_FOR_LIST_ALL",
    "NOT_FOR_WATCH",
    "PARAMS",
    "SUBRESOURCE_NAMES",
    "ClientSurface",
    "GroupVersionSurface",
    "MethodSurface",
    "OperationSurface",
    "OverloadSurface",
    "ParameterSurface",
    "QueryParameterSurface",
    "ResourceSurface",
    "RuntimeCall",
    "accessor_name",
    "build_surface",
    "client_class_name",
    "has_typed_client",
    "parameter_type",
]


# --------------------------------------------------------------------------- building


def _operations(resource: Resource) -> list[Operation]:
    return [
        *resource.operations,
        *(op for s in resource.subresources for op in s.operations),
    ]


def _query_parameter(p: Parameter, methods: list[str]) -> QueryParameterSurface:
    """A query parameter as keyword argument: the spec's name and type, but for
    shardSelector, which every method taking it declares as ``shard``."""
    if p.name == SHARD.wire:
        return QueryParameterSurface(
            p.name, SHARD.name, SHARD.type.removesuffix(" | None"), tuple(methods)
        )
    return QueryParameterSurface(
        p.name, p.py_name, parameter_type(p.type), tuple(methods)
    )


def _resource(
    universe: Universe, resource: Resource, class_name: str | None
) -> ResourceSurface:
    if class_name is None:
        methods: list[MethodSurface] = []
        sends: list[tuple[str, Operation]] = []
        accessor = model = list_model = streaming = None
    else:
        builder = MethodBuilder(universe, resource)
        methods = builder.methods()
        sends = builder.sends
        kind = resource.kind.kind if resource.kind else resource.plural
        accessor = accessor_name(kind, resource.plural)
        model, list_model = builder.model_type, builder.list_type
        streaming = streaming_base(builder.streaming)
    by_name = {m.name: m for m in methods}
    operations = []
    for op in _operations(resource):
        names = tuple(name for name, sent in sends if sent is op)
        params = tuple(
            _query_parameter(
                p, [n for n in names if n in by_name and by_name[n].takes(p.name)]
            )
            for p in query_params(op)
        )
        operations.append(OperationSurface(op, names, params))
    return ResourceSurface(
        resource.plural,
        resource.namespaced,
        accessor,
        class_name,
        model,
        list_model,
        tuple(methods),
        tuple(operations),
        streaming,
    )


def _group_version(universe: Universe, gv: GroupVersion) -> GroupVersionSurface:
    resources = []
    taken: set[str] = set()
    for resource in gv.resources:
        class_name = None
        if has_typed_client(resource, universe):
            assert resource.kind is not None
            class_name = naming.camel_case(resource.kind.kind) + "Client"
            if class_name in taken:
                class_name = naming.camel_case(resource.plural) + "Client"
            taken.add(class_name)
        resources.append(_resource(universe, resource, class_name))
    return GroupVersionSurface(
        gv.api_version,
        gv.group,
        gv.version,
        gv.module,
        client_class_name(gv.module),
        tuple(resources),
    )


def build_surface(universe: Universe) -> ClientSurface:
    """The typed clients' surface of everything the Universe serves."""
    return ClientSurface(
        tuple(_group_version(universe, gv) for gv in universe.group_versions())
    )
