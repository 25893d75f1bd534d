"""The surface's frozen dataclasses: client set, group-versions, resources, methods,
parameters, runtime calls (see generator.surface)."""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import Operation

#: In ``RuntimeCall.args``: the dict of query parameters (``RuntimeCall.query``).
PARAMS = "__params__"


@dataclass(frozen=True)
class ParameterSurface:
    """One parameter of a method, as its signature declares it."""

    name: str  # the Python name ("continue_"; "args" of ``*args``)
    type: str  # the annotation ("str | None")
    default: str | None = None  # Python expression; None: the caller must pass it
    wire: str | None = None  # the query parameter it is sent as, if it is one
    star: str = ""  # "*" for ``*args``, "**" for ``**kwargs``

    @property
    def declaration(self) -> str:
        """``dry_run: str | None = None``: the parameter in the signature."""
        text = f"{self.star}{self.name}: {self.type}"
        return text if self.default is None else f"{text} = {self.default}"


def parameter(
    name: str, annotation: str, default: str | None = None
) -> ParameterSurface:
    return ParameterSurface(name, annotation, default)


NAME = parameter("name", "str")
TIMEOUT = parameter("request_timeout", "Timeout | None", "None")
CTX = parameter("ctx", "Context | None", "None")


@dataclass(frozen=True)
class OverloadSurface:
    """A ``typing.overload`` of a method: other keyword types, another return type."""

    keywords: tuple[ParameterSurface, ...]
    returns: str


@dataclass(frozen=True)
class RuntimeCall:
    """What a method returns: ``self.<method>(<args>)`` on the runtime ResourceClient."""

    method: str  # "_get", "_call_subresource" ...
    args: tuple[str, ...]  # Python expressions; PARAMS stands for the query dict
    query: tuple[tuple[str, str], ...] = ()  # (wire name, argument) PARAMS collects
    cast: bool = False  # the runtime returns Any: cast to the declared return type
    setup: tuple[str, ...] = ()  # statements before the call


@dataclass(frozen=True)
class MethodSurface:
    name: str
    positional: tuple[ParameterSurface, ...]
    keywords: tuple[ParameterSurface, ...]  # keyword-only, or ``**kwargs``
    returns: str
    summary: str  # the docstring's first sentence
    args_doc: tuple[str, ...]  # "name: what it does" lines of the docstring's Args
    call: RuntimeCall
    overloads: tuple[OverloadSurface, ...] = ()

    @property
    def parameters(self) -> tuple[ParameterSurface, ...]:
        return (*self.positional, *self.keywords)

    def takes(self, wire: str) -> bool:
        """Whether an argument of this method is sent as query parameter ``wire``."""
        return any(p.wire == wire for p in self.parameters)


@dataclass(frozen=True)
class QueryParameterSurface:
    """A query parameter of an operation, as a keyword argument declares it."""

    wire: str
    name: str  # the keyword argument
    type: str  # its value type ("str", "list[str]"); declared ``| None = None``
    methods: tuple[str, ...]  # the operation's methods that take it


@dataclass(frozen=True)
class OperationSurface:
    """A spec operation (of the resource or of a subresource) and its methods."""

    operation: Operation
    #: the typed client's methods that send it: none without a typed client, nor
    #: for a /watch/ path (watch() sends list?watch=true)
    methods: tuple[str, ...]
    parameters: tuple[QueryParameterSurface, ...]  # its query parameters

    def parameter(self, wire: str) -> QueryParameterSurface | None:
        return next((p for p in self.parameters if p.wire == wire), None)


@dataclass(frozen=True)
class ResourceSurface:
    plural: str
    namespaced: bool
    accessor: str | None  # None: no typed client (no kind, or no model for it)
    class_name: str | None
    model: str | None  # what T is: "core_v1.Pod"
    list_model: str | None  # what L is; None: plain dicts
    methods: tuple[MethodSurface, ...]
    operations: tuple[OperationSurface, ...]  # every one, subresources' included
    #: the runtime base with the streaming methods (exec, attach, port_forward,
    #: proxy_get ...): "PodStreaming", "Proxying" or None
    streaming: str | None = None

    @property
    def typed(self) -> bool:
        return self.class_name is not None

    def method(self, name: str) -> MethodSurface | None:
        return next((m for m in self.methods if m.name == name), None)

    def operation(self, op: Operation) -> OperationSurface:
        return next(
            o
            for o in self.operations
            if (o.operation.method, o.operation.path) == (op.method, op.path)
        )


@dataclass(frozen=True)
class GroupVersionSurface:
    api_version: str
    group: str
    version: str
    attribute: str  # of the ClientSet, and the clients module: core_v1
    client_class: str  # CoreV1Client
    resources: tuple[ResourceSurface, ...]  # every resource, typed or not

    @property
    def typed(self) -> tuple[ResourceSurface, ...]:
        """The resources with a typed client: the ones the client class offers."""
        return tuple(r for r in self.resources if r.typed)


@dataclass(frozen=True)
class ClientSurface:
    group_versions: tuple[GroupVersionSurface, ...]  # in the Universe's order

    @property
    def clientset(self) -> tuple[GroupVersionSurface, ...]:
        """The ClientSet's attributes: group-versions with typed clients, by name."""
        typed = [gv for gv in self.group_versions if gv.typed]
        return tuple(sorted(typed, key=lambda gv: gv.attribute))
