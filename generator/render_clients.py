"""Room 3, the typed clients: IR resources and operations -> ``<pkg>/clients/*.py`` and
``<pkg>/clientset.py``.

Each generated method only spells out its operation's parameters (every optional
query parameter of the spec is a typed keyword argument) and calls the generic
``ResourceClient`` in the runtime.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from . import naming, pysource
from .ir import (
    GroupVersion,
    Operation,
    Parameter,
    Resource,
    Subresource,
    TypeRef,
    Universe,
)

_PARAM_TYPES = {"string": "str", "integer": "int", "boolean": "bool", "number": "float"}
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
LIST_ONLY = frozenset({"watch"})  # list's own parameters that belong to watch()
NOT_FOR_WATCH = frozenset({"watch", "continue", "limit"})
NOT_FOR_LIST_ALL = frozenset({"watch", "continue", "limit"})


def runtime_prefix(universe: Universe, depth: int) -> str:
    """How a module ``depth`` packages below the root imports the runtime: relatively
    (``..``), or from the base package when this one is CRDs alone."""
    if universe.base_package:
        return f"{universe.base_package}."
    return "." * (depth + 1)


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


def _param_type(t: TypeRef) -> str:
    if t.kind == "array" and t.items is not None:
        return f"list[{_param_type(t.items)}]"
    return _PARAM_TYPES.get(t.kind, "Any")


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


PARAMS = "__params__"  # in call arguments: the dict of query parameters


@dataclass
class Method:
    """One generated method: the template lays it out, exploded one argument a line.

    The method returns ``self.<call>(<call_args>)``, where the argument ``PARAMS``
    stands for the dict of query parameters (wire name: Python argument), cast to
    the declared return type when the runtime method returns ``Any``.
    """

    name: str
    positional: list[str]
    keywords: list[str]
    returns: str
    doc: str
    call: str  # the runtime method called on self
    call_args: list[str]
    params: list[tuple[str, str]]  # (wire name, Python name) of query parameters
    cast: bool = False
    query: str = ""  # name of the module constant listing ``params`` (set per module)
    overloads: list[dict[str, Any]] = field(default_factory=list)
    body: list[str] = field(default_factory=list)  # statements before the return


class _ResourceRenderer:
    def __init__(
        self, universe: Universe, gv: GroupVersion, resource: Resource
    ) -> None:
        self.universe = universe
        self.gv = gv
        self.resource = resource
        self.modules: set[str] = set()
        self.typing: set[str] = set()
        # Methods are written for any resource: its kind is T, its list kind L
        # (the generic mixins in clients/_verbs.py); the class binds them.
        self._own: dict[str, str] = {}
        schema = universe.schemas[resource.schema or ""]
        self.model_type = self.type_name(schema.id)
        list_schema = universe.schemas.get(resource.list_schema or "")
        self.list_type = self.type_name(list_schema.id) if list_schema else None
        self._own = {schema.id: "T", **({list_schema.id: "L"} if list_schema else {})}
        self.model = "T"
        self.list_model = "L"
        self.status = self.type_name("io.k8s.apimachinery.pkg.apis.meta.v1.Status")

    def type_name(self, schema_id: str) -> str:
        if schema_id in self._own:
            return self._own[schema_id]
        external = self.universe.external.get(schema_id)
        if external is not None:  # defined in the base package
            self.modules.add(external.split(".")[0])
            return external
        schema = self.universe.schemas.get(schema_id)
        if schema is None:
            return "Any"
        self.modules.add(schema.module)
        return f"{schema.module}.{schema.name}"

    def ref_type(self, t: TypeRef | None) -> str:
        if t is None:
            return "Any"
        if t.kind == "ref" and t.ref:
            return self.type_name(t.ref)
        if t.kind == "string":
            return "str"
        return "Any"

    # -- parameters

    def keywords(
        self, op: Operation, skip: frozenset[str] = frozenset()
    ) -> tuple[list[str], list[tuple[str, str]], list[str]]:
        """(keyword argument declarations, (wire, python) params, Args docs)."""
        decls, params, docs = [], [], []
        for p in self.query_params(op):
            if p.name in skip:
                continue
            decls.append(f"{p.py_name}: {_param_type(p.type)} | None = None")
            params.append((p.name, p.py_name))
            if p.description:
                docs.append(f"{p.py_name}: {_first_sentence(p.description)}")
        return decls, params, docs

    @staticmethod
    def query_params(op: Operation) -> list[Parameter]:
        return [p for p in op.parameters if p.location == "query"]

    def doc(self, op: Operation | None, summary: str, args: list[str]) -> str:
        # The summary, not the operation's description: one method serves every
        # resource with the same parameters, so it must not name a kind.
        text = summary.strip()
        if not text.endswith("."):
            text += "."
        if args:
            width = pysource.LINE_LENGTH - 8
            wrapped = [
                textwrap.fill(
                    a, width, initial_indent="    ", subsequent_indent="        "
                )
                for a in args
            ]
            text += "\n\nArgs:\n" + "\n".join(wrapped)
        return pysource.docstring(text, 8)

    def op(self, verb: str, subresource: str | None = None) -> Operation | None:
        ops = self.resource.operations
        if subresource is not None:
            sub = next(s for s in self.resource.subresources if s.name == subresource)
            ops = sub.operations
        candidates = [o for o in ops if o.verb == verb and not o.deprecated_watch]
        candidates.sort(key=lambda o: (o.all_namespaces, o.path))
        return candidates[0] if candidates else None

    # -- methods of the main resource

    def methods(self) -> list[Method]:
        r, m = self.resource, self.model
        methods: list[Method] = []
        timeout = "request_timeout: Timeout | None = None"
        op = self.op("get")
        if op is not None:
            kw, params, docs = self.keywords(op)
            doc = self.doc(op, "Read an object by name", docs)
            methods.append(
                Method(
                    "get",
                    ["name: str"],
                    [*kw, timeout],
                    m,
                    doc,
                    "_get",
                    ["name", PARAMS, "request_timeout"],
                    params,
                )
            )
        op = self.op("list")
        if op is not None:  # without a list kind in the spec, L is Any (plain dicts)
            kw, params, docs = self.keywords(op, LIST_ONLY)
            doc = self.doc(op, "List objects (one page with limit/continue_)", docs)
            methods.append(
                Method(
                    "list",
                    [],
                    [*kw, timeout],
                    self.list_model,
                    doc,
                    "_list",
                    [PARAMS, "request_timeout"],
                    params,
                )
            )
            kw, params, docs = self.keywords(op, NOT_FOR_LIST_ALL)
            docs.append("page_size: Items per request.")
            doc = self.doc(
                None,
                "Every object, fetched page by page (following continue tokens)",
                docs,
            )
            methods.append(
                Method(
                    "list_all",
                    [],
                    [*kw, "page_size: int = 500", timeout],
                    f"Iterator[{m}]",
                    doc,
                    "_list_all",
                    [PARAMS, "request_timeout", "page_size=page_size"],
                    params,
                )
            )
            if "watch" in r.verbs:
                kw, params, docs = self.keywords(op, NOT_FOR_WATCH)
                docs.append(
                    "resume: Reconnect after a dropped connection from the last "
                    "resourceVersion seen, and relist on 410 Gone, without duplicating "
                    "or losing events."
                )
                doc = self.doc(None, "Watch changes to objects", docs)
                methods.append(
                    Method(
                        "watch",
                        [],
                        [*kw, "resume: bool = False", timeout],
                        f"Iterator[WatchEvent[{m}]]",
                        doc,
                        "_watch",
                        [PARAMS, "request_timeout", "resume=resume"],
                        params,
                    )
                )
        for verb, runtime, summary in (
            ("create", "_create", "Create"),
            ("update", "_update", "Replace"),
        ):
            op = self.op(verb)
            if op is not None:
                kw, params, docs = self.keywords(op)
                doc = self.doc(op, f"{summary} an object", docs)
                methods.append(
                    Method(
                        verb,
                        [f"body: {m}"],
                        [*kw, timeout],
                        m,
                        doc,
                        runtime,
                        ["body", PARAMS, "request_timeout"],
                        params,
                    )
                )
        op = self.op("patch")
        if op is not None:
            methods.extend(self.patch_methods(op, None, m))
        op = self.op("delete")
        if op is not None:
            kw, params, docs = self.keywords(op)
            pre = f"preconditions: {self.type_name('io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions')} | None = None"
            docs.append(
                "preconditions: Delete only if the object still has this uid and/or resourceVersion."
            )
            doc = self.doc(op, "Delete an object by name", docs)
            methods.append(
                Method(
                    "delete",
                    ["name: str"],
                    [*kw, pre, timeout],
                    f"{m} | {self.status}",
                    doc,
                    "_delete",
                    ["name", PARAMS, "request_timeout", "preconditions=preconditions"],
                    params,
                    cast=True,
                )
            )
        op = self.op("deletecollection")
        if op is not None:
            kw, params, docs = self.keywords(op)
            returns = f"{self.list_model or 'Any'} | {self.status}"
            doc = self.doc(op, "Delete the objects a selector selects", docs)
            methods.append(
                Method(
                    "delete_collection",
                    [],
                    [*kw, timeout],
                    returns,
                    doc,
                    "_delete_collection",
                    [PARAMS, "request_timeout"],
                    params,
                    cast=True,
                )
            )
        for sub in r.subresources:
            methods.extend(self.subresource_methods(sub))
        return methods

    def patch_types(self, op: Operation) -> list[str]:
        names = [PATCH_NAMES[t] for t in op.body_content_types if t in PATCH_NAMES]
        order = ["strategic", "merge", "json", "apply"]
        return [n for n in order if n in names] or ["merge"]

    def patch_methods(
        self, op: Operation, sub: str | None, returns: str
    ) -> list[Method]:
        suffix = f"_{SUBRESOURCE_NAMES.get(sub, sub)}" if sub else ""
        types = self.patch_types(op)
        literal = "Literal[" + ", ".join(pysource.py_str(t) for t in types) + "]"
        self.typing.add("Literal")
        kw, params, docs = self.keywords(op)
        timeout = "request_timeout: Timeout | None = None"
        what = f"the {sub} of an object" if sub else "an object"
        docs.insert(
            0,
            f"patch_type: {', '.join(types)}; the body is a list of operations for "
            "json, the object or part of it otherwise.",
        )
        subresource = [f"subresource={pysource.py_str(sub)}"] if sub else []
        own = returns == self.model
        methods = [
            Method(
                f"patch{suffix}",
                [
                    "name: str",
                    "body: PatchBody",
                    f"patch_type: {literal} = {pysource.py_str(types[0])}",
                ],
                [*kw, timeout],
                returns,
                self.doc(op, f"Patch {what}", docs),
                "_patch",
                ["name", "body", "patch_type", PARAMS, "request_timeout", *subresource],
                params,
                cast=not own,
            )
        ]
        if "apply" in types and own:
            kw, params, docs = self.keywords(op, frozenset({"fieldManager", "force"}))
            docs.insert(
                0,
                "field_manager: Who owns the applied fields (required by the server).",
            )
            docs.insert(
                1,
                "force: Take over fields other managers own instead of failing with a conflict.",
            )
            doc = self.doc(
                None, f"Server-side apply {what}: send only the fields you own", docs
            )
            methods.append(
                Method(
                    f"apply{suffix}",
                    [f"body: {self.model}"],
                    ["field_manager: str", "force: bool | None = None", *kw, timeout],
                    self.model,
                    doc,
                    "_apply",
                    [
                        "body",
                        "field_manager",
                        "force",
                        PARAMS,
                        "request_timeout",
                        *subresource,
                    ],
                    params,
                )
            )
        return methods

    # -- subresources

    def subresource_methods(self, sub: Subresource) -> list[Method]:
        py = SUBRESOURCE_NAMES.get(sub.name, naming.snake_case(sub.name))
        if sub.streaming:
            doc = self.doc(
                None,
                f"The {sub.name} subresource needs a streaming (SPDY or WebSocket) "
                "connection: not supported yet; raises NotImplementedError",
                [],
            )
            self.typing.add("NoReturn")
            call = ["name", pysource.py_str(sub.name)]
            return [
                Method(
                    py,
                    ["name: str", "*args: Any"],
                    ["**kwargs: Any"],
                    "NoReturn",
                    doc,
                    "_unsupported",
                    call,
                    [],
                )
            ]
        methods: list[Method] = []
        timeout = "request_timeout: Timeout | None = None"
        sub_lit = pysource.py_str(sub.name)
        for op in sorted(sub.operations, key=lambda o: (o.verb, o.path)):
            returns = self.ref_type(op.response)
            kw, params, docs = self.keywords(op)
            if (
                op.verb == "get"
                and op.response is not None
                and op.response.kind == "string"
            ):
                methods.append(self.text_method(op, py, sub_lit))
            elif op.verb == "get":
                doc = self.doc(op, f"Read the {sub.name} of an object", docs)
                call = [
                    pysource.py_str("GET"),
                    "name",
                    sub_lit,
                    PARAMS,
                    "request_timeout",
                ]
                methods.append(
                    Method(
                        f"get_{py}",
                        ["name: str"],
                        [*kw, timeout],
                        returns,
                        doc,
                        "_call_subresource",
                        call,
                        params,
                        cast=True,
                    )
                )
            elif op.verb in ("update", "create"):
                body = self.ref_type(op.body)
                own = body == self.model
                positional = (
                    [f"body: {body}"] if own else ["name: str", f"body: {body}"]
                )
                http, summary = (
                    ("PUT", "Replace") if op.verb == "update" else ("POST", "Create")
                )
                result = (
                    returns if op.verb == "update" else f"{returns} | {self.status}"
                )
                doc = self.doc(op, f"{summary} the {sub.name} of an object", docs)
                call = [
                    pysource.py_str(http),
                    "_name_of(body)" if own else "name",
                    sub_lit,
                    PARAMS,
                    "request_timeout",
                    "body=body",
                ]
                methods.append(
                    Method(
                        f"{op.verb}_{py}",
                        positional,
                        [*kw, timeout],
                        result,
                        doc,
                        "_call_subresource",
                        call,
                        params,
                        cast=True,
                    )
                )
                if sub.name == "eviction" and op.verb == "create":
                    methods.append(self.evict_method(body, result))
            elif op.verb == "patch":
                methods.extend(self.patch_methods(op, sub.name, returns))
        return methods

    def text_method(self, op: Operation, py: str, sub_lit: str) -> Method:
        kw, params, docs = self.keywords(op)
        timeout = "request_timeout: Timeout | None = None"
        follow = any(p.name == "follow" for p in self.query_params(op))
        doc = self.doc(op, f"Read the {py} of an object as text", docs)
        call = ["name", sub_lit, PARAMS, "request_timeout"]
        if not follow:
            return Method(
                f"get_{py}",
                ["name: str"],
                [*kw, timeout],
                "str",
                doc,
                "_text",
                call,
                params,
            )
        # follow=True streams lines: overloads give each call its exact return type.
        self.typing |= {"overload", "Literal"}
        others = [k for k in kw if not k.startswith("follow:")]
        method = Method(
            f"get_{py}",
            ["name: str"],
            ["follow: bool | None = None", *others, timeout],
            "str | Iterator[str]",
            doc,
            "_text_or_lines",
            call,
            params,
            cast=True,
        )
        method.overloads = [
            {
                "keywords": ["follow: Literal[True]", *others, timeout],
                "returns": "Iterator[str]",
            },
            {
                "keywords": ["follow: Literal[False] | None = None", *others, timeout],
                "returns": "str",
            },
        ]
        return method

    def evict_method(self, body_type: str, result: str) -> Method:
        gvk = next(
            (s.kind for s in self.resource.subresources if s.name == "eviction"), None
        )
        api_version = gvk.api_version if gvk else "policy/v1"
        options = self.type_name("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions")
        module = body_type.partition(".")[0]
        body = [
            *([f"from ..models import {module}"] if "." in body_type else []),
            "eviction: dict[str, Any] = {",
            f'    "apiVersion": {pysource.py_str(api_version)},',
            '    "kind": "Eviction",',
            '    "metadata": {"name": name, "namespace": self._object_namespace()},',
            "}",
            "if delete_options is not None:",
            '    eviction["deleteOptions"] = delete_options.to_dict()',
        ]
        doc = self.doc(
            None,
            "Evict a pod: delete it if its disruption budgets allow (POST pods/eviction)",
            [
                "delete_options: Options of the deletion (grace period, preconditions ...)."
            ],
        )
        keywords = [
            f"delete_options: {options} | None = None",
            "request_timeout: Timeout | None = None",
        ]
        call = [
            pysource.py_str("POST"),
            "name",
            pysource.py_str("eviction"),
            "{}",
            "request_timeout",
            f"body={body_type}.from_dict(eviction, copy=False)",
        ]
        return Method(
            "evict",
            ["name: str"],
            keywords,
            result,
            doc,
            "_call_subresource",
            call,
            [],
            cast=True,
            body=body,
        )

    def context(self, class_name: str, mixins: list[str]) -> dict[str, Any]:
        r = self.resource
        generic = f"[{self.model_type}, {self.list_type or 'Any'}]"
        scope = "namespaced" if r.namespaced else "cluster-scoped"
        return {
            "class_name": class_name,
            "bases": [f"_verbs.{m}{generic}" for m in mixins]
            or [f"TypedResourceClient{generic}"],
            "plural": r.plural,
            "namespaced": r.namespaced,
            "group": self.gv.group,
            "version": self.gv.version,
            "model": self.model_type,
            "list_model": self.list_type,
            "accessor": accessor_name(r.kind.kind if r.kind else r.plural, r.plural),
            "doc": pysource.docstring(
                f"{r.plural} in {self.gv.api_version} ({scope}).", 4
            ),
        }


def resource_methods(
    universe: Universe, gv: GroupVersion, resource: Resource
) -> list[Method]:
    """The methods a resource's typed client has (each one a mixin of clients/_verbs.py)."""
    return _ResourceRenderer(universe, gv, resource).methods()


@dataclass
class Mixin:
    """One method, shared by every resource whose operation has the same parameters."""

    name: str
    method: Method


def _key(method: Method) -> str:
    return repr(
        (
            method.name,
            method.positional,
            method.keywords,
            method.returns,
            method.doc,
            method.call,
            method.call_args,
            method.params,
            method.cast,
            method.overloads,
            method.body,
        )
    )


@dataclass
class ClientsContext:
    verbs: dict[str, Any]
    modules: dict[str, dict[str, Any]]  # group-version module -> its template context
    clientset: dict[str, Any]


def clients_context(universe: Universe) -> ClientsContext:
    """Every typed client: resource classes per group-version module, assembled from
    generic one-method mixins (clients/_verbs.py), one per distinct operation shape.

    Most resources share their operations' parameters, so the methods are written
    once (about 60 mixins for v1.36) instead of once per resource (about 1,100).
    """
    mixins: dict[str, Mixin] = {}
    names: set[str] = set()
    type_modules: set[str] = set()
    typing_names: set[str] = set()
    modules: dict[str, dict[str, Any]] = {}
    rt = runtime_prefix(universe, 1)
    for gv in universe.group_versions():
        resources = []
        model_modules: set[str] = set()
        taken: set[str] = set()
        for resource in gv.resources:
            if resource.kind is None or resource.schema not in universe.schemas:
                continue
            renderer = _ResourceRenderer(universe, gv, resource)
            bases = []
            for method in renderer.methods():
                key = _key(method)
                if key not in mixins:
                    base = naming.camel_case(method.name)
                    name, n = base, 2
                    while name in names:
                        name, n = f"{base}{n}", n + 1
                    names.add(name)
                    method.query = (
                        f"_{naming.snake_case(name).upper()}"
                        if PARAMS in method.call_args
                        else ""
                    )
                    mixins[key] = Mixin(name, method)
                bases.append(mixins[key].name)
            type_modules |= renderer.modules
            typing_names |= renderer.typing
            model_modules |= {
                t.partition(".")[0]
                for t in (renderer.model_type, renderer.list_type)
                if t
            }
            class_name = naming.camel_case(resource.kind.kind) + "Client"
            if class_name in taken:
                class_name = naming.camel_case(resource.plural) + "Client"
            taken.add(class_name)
            resources.append(renderer.context(class_name, bases))
        if resources:
            uses_any = any(r["list_model"] is None for r in resources)
            modules[gv.module] = {
                "gv": gv,
                "api_version": gv.api_version,
                "client_class": client_class_name(gv.module),
                "resources": resources,
                "imports": pysource.import_block(
                    pysource.from_import("typing", {"Any"} if uses_any else set()),
                    [
                        *pysource.from_import("..", ["_api"]),
                        *pysource.from_import(
                            "..models", {*model_modules, "model_class"}
                        ),
                        *pysource.from_import(f"{rt}resource", ["TypedResourceClient"]),
                        *pysource.from_import(f"{rt}rest", ["RESTClient"]),
                        *pysource.from_import(".", ["_verbs"]),
                    ],
                ),
            }
    ordered = list(mixins.values())
    return ClientsContext(
        verbs={
            "mixins": ordered,
            "imports": _verbs_imports(ordered, type_modules, typing_names, universe),
        },
        modules=modules,
        clientset=clientset_context(universe),
    )


def _verbs_imports(
    mixins: list[Mixin], modules: set[str], typing_names: set[str], universe: Universe
) -> dict[str, str]:
    """The import block of clients/_verbs.py: only what its methods use. Models are
    only named in annotations there, so they are imported for type checkers only."""
    text = " ".join(
        " ".join(
            [
                m.method.returns,
                *m.method.positional,
                *m.method.keywords,
                *m.method.call_args,
                *m.method.body,
            ]
        )
        + (" cast" if m.method.cast else "")
        + (" query" if m.method.query else "")
        for m in mixins
    )

    def used(*names: str) -> set[str]:
        return {n for n in names if re.search(rf"\b{n}\b", text)}

    referenced = {n for n in modules if re.search(rf"\b{n}\.", text)}
    base_modules = {q.split(".")[0] for q in universe.external.values()}
    rt = runtime_prefix(universe, 1)
    typing = {"TYPE_CHECKING", "TypeVar"} | typing_names | used("Any", "cast")
    stdlib = [
        *pysource.from_import("collections.abc", used("Iterator")),
        *pysource.from_import("typing", typing),
    ]
    package = [
        *pysource.from_import(
            f"{rt}resource",
            {"TypedResourceClient"} | used("PatchBody", "_name_of", "query"),
        ),
        *pysource.from_import(f"{rt}rest", used("Timeout")),
        *pysource.from_import(f"{rt}watch", used("WatchEvent")),
    ]
    return {
        "imports": pysource.import_block(stdlib, package),
        "type_only": (
            "\n    ".join(
                [
                    *pysource.from_import("..models", referenced - base_modules),
                    *pysource.from_import(
                        f"{universe.base_package}.models", referenced & base_modules
                    ),
                ]
            )
        ),
    }


def clientset_context(universe: Universe) -> dict[str, Any]:
    versions = [
        {
            "module": gv.module,
            "client_class": client_class_name(gv.module),
            "api_version": gv.api_version,
        }
        for gv in universe.group_versions()
        if any(
            r.kind is not None and r.schema in universe.schemas for r in gv.resources
        )
    ]
    return {"versions": sorted(versions, key=lambda v: v["module"])}
