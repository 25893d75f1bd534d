"""The methods of one resource's typed client: which ones, their parameters, return
types and runtime calls (the surface's hard part; see generator.surface)."""

from __future__ import annotations

import re

from .. import naming, pysource
from ..ir import Operation, Parameter, Resource, Subresource, TypeRef, Universe
from .shapes import (
    CTX,
    NAME,
    PARAMS,
    TIMEOUT,
    MethodSurface,
    OverloadSurface,
    ParameterSurface,
    RuntimeCall,
    parameter,
)

PATCH_NAMES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}
SUBRESOURCE_NAMES = {
    "ephemeralcontainers": "ephemeral_containers",
    "portforward": "port_forward",
}
#: the runtime's methods (runtime/streaming/clients.py) that send each streaming
#: subresource, and the base class that has them
STREAMING_METHODS: dict[str, tuple[str, ...]] = {
    "exec": ("exec", "stream_exec", "copy_to_pod", "copy_from_pod"),
    "attach": ("attach",),
    "portforward": ("port_forward",),
    "proxy": ("proxy",),  # and proxy_<verb>, one per HTTP method
}
POD_STREAMING = frozenset({"exec", "attach", "portforward"})


def streaming_senders(subresource: str, op: Operation) -> tuple[str, ...]:
    """The runtime methods that send ``op`` of a streaming subresource."""
    names = STREAMING_METHODS.get(subresource, ())
    if subresource == "proxy":
        names = (*names, f"proxy_{op.method.lower()}")
    return names


def streaming_base(subresources: set[str]) -> str | None:
    """PodStreaming for a resource with exec, attach or portforward (pods),
    Proxying for one with only proxy (services, nodes), else None."""
    if subresources & POD_STREAMING:
        return "PodStreaming"
    return "Proxying" if "proxy" in subresources else None


LIST_ONLY = frozenset({"watch"})  # list's own parameters that belong to watch()
NOT_FOR_WATCH = frozenset({"watch", "continue", "limit"})
NOT_FOR_LIST_ALL = frozenset({"watch", "continue", "limit"})

#: list, list_all, watch and delete_collection take ``shard=`` (kubeclient.sharding)
#: for this one
SHARD_SELECTOR = "shardSelector"
SHARD_TYPE = "Shard | str | None"
SHARD = ParameterSurface("shard", SHARD_TYPE, "None", SHARD_SELECTOR)
SHARD_DOC = (
    "shard: Only the objects of this shard (sharding.Shard(index, count)), or a "
    "shardSelector expression as is (shardRange(object.metadata.uid, '0x0', "
    "'0x8000000000000000') || ...); alpha, needs the ShardedListAndWatch feature gate."
)
_PARAM_TYPES = {"string": "str", "integer": "int", "boolean": "bool", "number": "float"}
_STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
_PRECONDITIONS = "io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions"
_DELETE_OPTIONS = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"
CTX_DOC = (
    "ctx: Cancels the call (and closes its connection) when cancelled or past its "
    "deadline."
)

# --------------------------------------------------------------------------- names


def client_class_name(module: str) -> str:
    return naming.camel_case(module) + "Client"


def accessor_name(kind: str, plural: str) -> str:
    """``pods``, ``persistent_volume_claims``, ``network_policies`` (client-go's
    ``PersistentVolumeClaims()`` in snake_case): the kind's words, pluralized as the
    resource is."""
    words = naming.snake_case(kind)
    lower = kind.lower()
    if plural.startswith(lower):
        return naming.escape(words + plural[len(lower) :])
    if lower.endswith("y") and plural == lower[:-1] + "ies":
        return naming.escape(words[:-1] + "ies")
    return naming.escape(naming.snake_case(plural))


def parameter_type(t: TypeRef) -> str:
    """The value type of a query parameter's keyword argument."""
    if t.kind == "array" and t.items is not None:
        return f"list[{parameter_type(t.items)}]"
    return _PARAM_TYPES.get(t.kind, "Any")


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(".") else text + "."


def query_params(op: Operation) -> list[Parameter]:
    return [p for p in op.parameters if p.location == "query"]


def has_typed_client(resource: Resource, universe: Universe) -> bool:
    return resource.kind is not None and resource.schema in universe.schemas


# --------------------------------------------------------------------------- methods


class MethodBuilder:
    """The methods of one resource's typed client, in the order the class has them."""

    def __init__(self, universe: Universe, resource: Resource) -> None:
        self.universe = universe
        self.resource = resource
        schema = universe.schemas[resource.schema or ""]
        self.model_type = self._qualified(schema.id)
        list_schema = universe.schemas.get(resource.list_schema or "")
        self.list_type = self._qualified(list_schema.id) if list_schema else None
        # Methods are written for any resource: its kind is T, its list kind L.
        self._own = {schema.id: "T", **({list_schema.id: "L"} if list_schema else {})}
        self.status = self.type_name(_STATUS)
        #: (method name, operation) pairs: which method sends which operation
        self.sends: list[tuple[str, Operation]] = []
        #: the streaming subresources this resource has (exec, proxy ...)
        self.streaming: set[str] = set()

    def _qualified(self, schema_id: str) -> str:
        external = self.universe.external.get(schema_id)
        if external is not None:  # defined in the base package
            return external
        schema = self.universe.schemas.get(schema_id)
        return f"{schema.module}.{schema.name}" if schema is not None else "Any"

    def type_name(self, schema_id: str) -> str:
        return self._own.get(schema_id) or self._qualified(schema_id)

    def ref_type(self, t: TypeRef | None) -> str:
        if t is None:
            return "Any"
        if t.kind == "ref" and t.ref:
            return self.type_name(t.ref)
        if t.kind == "string":
            return "str"
        return "Any"

    def keywords(
        self, op: Operation, skip: frozenset[str] = frozenset()
    ) -> tuple[list[ParameterSurface], list[str]]:
        """(keyword arguments of the operation's query parameters, their Args docs)."""
        params, docs = [], []
        for p in query_params(op):
            if p.name in skip:
                continue
            annotation = f"{parameter_type(p.type)} | None"
            params.append(ParameterSurface(p.py_name, annotation, "None", p.name))
            if p.description:
                docs.append(f"{p.py_name}: {_first_sentence(p.description)}")
        return params, docs

    def op(self, verb: str) -> Operation | None:
        candidates = [
            o
            for o in self.resource.operations
            if o.verb == verb and not o.deprecated_watch
        ]
        candidates.sort(key=lambda o: (o.all_namespaces, o.path))
        return candidates[0] if candidates else None

    def sent_by(self, verb: str) -> list[Operation]:
        """The resource's operations of a verb (paths with and without namespace)."""
        return [
            o
            for o in self.resource.operations
            if o.verb == verb and not o.deprecated_watch
        ]

    def method(
        self,
        sends: list[Operation],
        name: str,
        positional: list[ParameterSurface],
        keywords: list[ParameterSurface],
        returns: str,
        summary: str,
        docs: list[str],
        call: RuntimeCall,
        overloads: tuple[OverloadSurface, ...] = (),
        query: list[ParameterSurface] | None = None,
    ) -> MethodSurface:
        """A method with ``ctx`` and ``request_timeout`` last, sending ``sends``.

        PARAMS collects the ``query`` arguments (default: the keyword arguments sent
        as query parameters that the call does not pass itself)."""
        self.sends += [(name, op) for op in sends]
        if query is None:
            query = [p for p in keywords if p.wire and p.name not in call.args]
        call = RuntimeCall(
            call.method,
            (*call.args, "ctx=ctx"),
            (
                tuple((p.wire, p.name) for p in query if p.wire)
                if PARAMS in call.args
                else ()
            ),
            call.cast,
            call.setup,
        )
        return MethodSurface(
            name,
            tuple(positional),
            (*keywords, CTX, TIMEOUT),
            returns,
            _sentence(summary),
            (*docs, CTX_DOC),
            call,
            overloads,
        )

    # -- the resource's own operations

    def methods(self) -> list[MethodSurface]:
        r, m = self.resource, "T"
        methods: list[MethodSurface] = []
        op = self.op("get")
        if op is not None:
            kw, docs = self.keywords(op)
            call = RuntimeCall("_get", ("name", PARAMS, "request_timeout"))
            methods.append(
                self.method(
                    self.sent_by("get"),
                    *("get", [NAME], kw, m, "Read an object by name", docs, call),
                )
            )
        op = self.op("list")
        if op is not None:  # without a list kind in the spec, L is Any (plain dicts)
            methods += self.list_methods(op, m)
        for verb, runtime, summary in (
            ("create", "_create", "Create"),
            ("update", "_update", "Replace"),
        ):
            op = self.op(verb)
            if op is not None:
                kw, docs = self.keywords(op)
                call = RuntimeCall(runtime, ("body", PARAMS, "request_timeout"))
                body = parameter("body", m)
                summary = f"{summary} an object"
                methods.append(
                    self.method(
                        self.sent_by(verb),
                        *(verb, [body], kw, m, summary, docs, call),
                    )
                )
        op = self.op("patch")
        if op is not None:
            methods += self.patch_methods(self.sent_by("patch"), op, None, m)
        op = self.op("delete")
        if op is not None:
            methods.append(self.delete_method(op, m))
        op = self.op("deletecollection")
        if op is not None:
            kw, docs = self.keywords_with_shard(op, frozenset())
            returns = f"L | {self.status}"
            call = RuntimeCall(
                "_delete_collection", (PARAMS, "request_timeout"), cast=True
            )
            summary = "Delete the objects a selector selects"
            methods.append(
                self.method(
                    self.sent_by("deletecollection"),
                    *("delete_collection", [], kw, returns, summary, docs, call),
                )
            )
        for sub in r.subresources:
            methods += self.subresource_methods(sub)
        return methods

    def keywords_with_shard(
        self, op: Operation, skip: frozenset[str]
    ) -> tuple[list[ParameterSurface], list[str]]:
        """keywords(), with ``shard: Shard | str | None`` for ``shardSelector``."""
        kw, docs = self.keywords(op, skip)
        for i, p in enumerate(kw):
            if p.wire == SHARD_SELECTOR:
                kw[i] = SHARD
                prefix = f"{p.name}: "
                docs = [SHARD_DOC if d.startswith(prefix) else d for d in docs]
                if SHARD_DOC not in docs:
                    docs.append(SHARD_DOC)
        return kw, docs

    def list_methods(self, op: Operation, m: str) -> list[MethodSurface]:
        sends = self.sent_by("list")
        kw, docs = self.keywords_with_shard(op, LIST_ONLY)
        call = RuntimeCall("_list", (PARAMS, "request_timeout"))
        summary = "List objects (one page with limit/continue_)"
        methods = [self.method(sends, "list", [], kw, "L", summary, docs, call)]
        kw, docs = self.keywords_with_shard(op, NOT_FOR_LIST_ALL)
        args = (PARAMS, "request_timeout", "page_size=page_size")
        methods.append(
            self.method(
                sends,
                "list_all",
                [],
                [*kw, parameter("page_size", "int", "500")],
                f"Iterator[{m}]",
                "Every object, fetched page by page (following continue tokens)",
                [*docs, "page_size: Items per request."],
                RuntimeCall("_list_all", args),
            )
        )
        if "watch" in self.resource.verbs:
            kw, docs = self.keywords_with_shard(op, NOT_FOR_WATCH)
            docs.append(
                "resume: Reconnect after a dropped connection from the last "
                "resourceVersion seen, and relist on 410 Gone, without duplicating "
                "or losing events."
            )
            args = (PARAMS, "request_timeout", "resume=resume")
            methods.append(
                self.method(
                    sends,
                    "watch",
                    [],
                    [*kw, parameter("resume", "bool", "False")],
                    f"WatchStream[{m}]",
                    "Watch changes to objects",
                    docs,
                    RuntimeCall("_watch", args),
                )
            )
        return methods

    def delete_method(self, op: Operation, m: str) -> MethodSurface:
        kw, docs = self.keywords(op)
        preconditions = f"{self.type_name(_PRECONDITIONS)} | None"
        docs.append(
            "preconditions: Delete only if the object still has this uid and/or "
            "resourceVersion."
        )
        args = ("name", PARAMS, "request_timeout", "preconditions=preconditions")
        return self.method(
            self.sent_by("delete"),
            "delete",
            [NAME],
            [*kw, parameter("preconditions", preconditions, "None")],
            f"{m} | {self.status}",
            "Delete an object by name",
            docs,
            RuntimeCall("_delete", args, cast=True),
        )

    def patch_types(self, op: Operation) -> list[str]:
        names = [PATCH_NAMES[t] for t in op.body_content_types if t in PATCH_NAMES]
        order = ["strategic", "merge", "json", "apply"]
        return [n for n in order if n in names] or ["merge"]

    def patch_methods(
        self, sends: list[Operation], op: Operation, sub: str | None, returns: str
    ) -> list[MethodSurface]:
        suffix = f"_{SUBRESOURCE_NAMES.get(sub, sub)}" if sub else ""
        types = self.patch_types(op)
        literal = "Literal[" + ", ".join(pysource.py_str(t) for t in types) + "]"
        kw, docs = self.keywords(op)
        what = f"the {sub} of an object" if sub else "an object"
        docs.insert(
            0,
            f"patch_type: {', '.join(types)}; the body is a list of operations for "
            "json, the object or part of it otherwise.",
        )
        subresource = (f"subresource={pysource.py_str(sub)}",) if sub else ()
        own = returns == "T"
        args = ("name", "body", "patch_type", PARAMS, "request_timeout", *subresource)
        patch_type = parameter("patch_type", literal, pysource.py_str(types[0]))
        methods = [
            self.method(
                sends,
                f"patch{suffix}",
                [NAME, parameter("body", "PatchBody"), patch_type],
                kw,
                returns,
                f"Patch {what}",
                docs,
                RuntimeCall("_patch", args, cast=not own),
            )
        ]
        if "apply" in types and own:
            kw, docs = self.keywords(op, frozenset({"fieldManager", "force"}))
            docs[:0] = [
                "field_manager: Who owns the applied fields (required by the server).",
                "force: Take over fields other managers own instead of failing with "
                "a conflict.",
            ]
            manager = ParameterSurface("field_manager", "str", None, "fieldManager")
            force = ParameterSurface("force", "bool | None", "None", "force")
            args = (
                "body",
                "field_manager",
                "force",
                PARAMS,
                "request_timeout",
                *subresource,
            )
            methods.append(
                self.method(
                    sends,
                    f"apply{suffix}",
                    [parameter("body", "T")],
                    [manager, force, *kw],
                    "T",
                    f"Server-side apply {what}: send only the fields you own",
                    docs,
                    RuntimeCall("_apply", args),
                )
            )
        return methods

    # -- subresources

    def subresource_methods(self, sub: Subresource) -> list[MethodSurface]:
        py = SUBRESOURCE_NAMES.get(sub.name, naming.snake_case(sub.name))
        if sub.streaming:
            # Written once in the runtime (streaming/clients.py), not per resource:
            # the surface says which of its methods send the operations.
            self.streaming.add(sub.name)
            for op in sub.operations:
                self.sends += [(name, op) for name in streaming_senders(sub.name, op)]
            return []
        methods: list[MethodSurface] = []
        sub_lit = pysource.py_str(sub.name)
        for op in sorted(sub.operations, key=lambda o: (o.verb, o.path)):
            returns = self.ref_type(op.response)
            kw, docs = self.keywords(op)
            if (
                op.verb == "get"
                and op.response is not None
                and op.response.kind == "string"
            ):
                methods.append(self.text_method(op, py, sub_lit))
            elif op.verb == "get":
                args = (
                    pysource.py_str("GET"),
                    "name",
                    sub_lit,
                    PARAMS,
                    "request_timeout",
                )
                methods.append(
                    self.method(
                        [op],
                        f"get_{py}",
                        [NAME],
                        kw,
                        returns,
                        f"Read the {sub.name} of an object",
                        docs,
                        RuntimeCall("_call_subresource", args, cast=True),
                    )
                )
            elif op.verb in ("update", "create"):
                methods += self.write_methods(op, sub, py, returns, kw, docs)
            elif op.verb == "patch":
                methods += self.patch_methods([op], op, sub.name, returns)
        return methods

    def write_methods(
        self,
        op: Operation,
        sub: Subresource,
        py: str,
        returns: str,
        kw: list[ParameterSurface],
        docs: list[str],
    ) -> list[MethodSurface]:
        body = self.ref_type(op.body)
        own = body == "T"
        positional = (
            [parameter("body", body)] if own else [NAME, parameter("body", body)]
        )
        http, summary = (
            ("PUT", "Replace") if op.verb == "update" else ("POST", "Create")
        )
        result = returns if op.verb == "update" else f"{returns} | {self.status}"
        args = (
            pysource.py_str(http),
            "_name_of(body)" if own else "name",
            pysource.py_str(sub.name),
            PARAMS,
            "request_timeout",
            "body=body",
        )
        methods = [
            self.method(
                [op],
                f"{op.verb}_{py}",
                positional,
                kw,
                result,
                f"{summary} the {sub.name} of an object",
                docs,
                RuntimeCall("_call_subresource", args, cast=True),
            )
        ]
        if sub.name == "eviction" and op.verb == "create":
            methods.append(self.evict_method(op, body, result))
        return methods

    def text_method(self, op: Operation, py: str, sub_lit: str) -> MethodSurface:
        kw, docs = self.keywords(op)
        follow = any(p.name == "follow" for p in query_params(op))
        summary = f"Read the {py} of an object as text"
        args = ("name", sub_lit, PARAMS, "request_timeout")
        if not follow:
            call = RuntimeCall("_text", args)
            return self.method(
                [op], f"get_{py}", [NAME], kw, "str", summary, docs, call
            )
        # follow=True streams lines: overloads give each call its exact return type.
        others = [k for k in kw if k.wire != "follow"]
        lines = ParameterSurface("follow", "Literal[True]", None, "follow")
        text = ParameterSurface("follow", "Literal[False] | None", "None", "follow")
        overloads = (
            OverloadSurface((lines, *others, CTX, TIMEOUT), "Iterator[str]"),
            OverloadSurface((text, *others, CTX, TIMEOUT), "str"),
        )
        return self.method(
            [op],
            f"get_{py}",
            [NAME],
            [ParameterSurface("follow", "bool | None", "None", "follow"), *others],
            "str | Iterator[str]",
            summary,
            docs,
            RuntimeCall("_text_or_lines", args, cast=True),
            overloads,
            query=kw,  # in the spec's order
        )

    def evict_method(self, op: Operation, body_type: str, result: str) -> MethodSurface:
        gvk = next(
            (s.kind for s in self.resource.subresources if s.name == "eviction"), None
        )
        api_version = gvk.api_version if gvk else "policy/v1"
        module = body_type.partition(".")[0]
        setup = (
            *([f"from ..models import {module}", ""] if "." in body_type else []),
            "eviction: dict[str, Any] = {",
            f'    "apiVersion": {pysource.py_str(api_version)},',
            '    "kind": "Eviction",',
            '    "metadata": {"name": name, "namespace": self._object_namespace()},',
            "}",
            "if delete_options is not None:",
            '    eviction["deleteOptions"] = delete_options.to_dict()',
        )
        args = (
            pysource.py_str("POST"),
            "name",
            pysource.py_str("eviction"),
            "{}",
            "request_timeout",
            f"body={body_type}.from_dict(eviction, copy=False)",
        )
        options = f"{self.type_name(_DELETE_OPTIONS)} | None"
        return self.method(
            [op],
            "evict",
            [NAME],
            [parameter("delete_options", options, "None")],
            result,
            "Evict a pod: delete it if its disruption budgets allow (POST pods/eviction)",
            [
                "delete_options: Options of the deletion (grace period, preconditions ...)."
            ],
            RuntimeCall("_call_subresource", args, cast=True, setup=setup),
        )
