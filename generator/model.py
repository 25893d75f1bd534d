"""Room 2, model: merged spec dicts -> the intermediate representation (generator.ir).

No templating here. The steps:

1. classify schemas: object schemas become model classes; Time, Quantity,
   IntOrString, free-form objects ... become scalar TypeRefs;
2. place each class in a module (one per group-version, see generator.naming);
3. build fields with Python-safe names and their Kubernetes extensions;
4. read the paths into groups -> versions -> resources -> operations.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import known, naming
from .errors import GeneratorError, SpecError, json_pointer
from .ir import (
    Field,
    Group,
    GroupVersion,
    GroupVersionKind,
    Module,
    Operation,
    Parameter,
    Resource,
    Schema,
    Subresource,
    TypeRef,
    Universe,
)
from .load import GVK_EXTENSION, Spec, served_documents
from .runtime._model import MODEL_METHODS
from .runtime.machinery import crd
from .runtime.machinery.openapi import SCHEMA_REF_PREFIX

# Names the generated model modules use for themselves; classes and fields avoid them.
RUNTIME_NAMES = frozenset(
    {
        "Any",
        "TYPE_CHECKING",
        "annotations",
        "datetime",
        "Model",
        "F",
        "L",
        "D",
        "Opt",
        "Obj",
        "Lst",
        "Map",
        "Time",
        "MicroTime",
        "Quantity",
        "TIME",
        "MICROTIME",
    }
)
ANNOTATION_BUILTINS = frozenset(
    {"str", "int", "float", "bool", "list", "dict", "datetime"}
)

# Argument names typed client methods use themselves; query parameters avoid them.
CLIENT_METHOD_NAMES = frozenset(
    {
        "self",
        "name",
        "namespace",
        "body",
        "params",
        "patch_type",
        "request_timeout",
        "resume",
        "page_size",
        "preconditions",
        "options",
        "T",
        "L",
    }
)
STREAMING_SUBRESOURCES = frozenset({"exec", "attach", "portforward", "proxy"})
ACTION_VERBS = {
    "get": "get",
    "list": "list",
    "watch": "watch",
    "watchlist": "watch",
    "post": "create",
    "put": "update",
    "patch": "patch",
    "delete": "delete",
    "deletecollection": "deletecollection",
    "connect": "connect",
}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
VERB_ORDER = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)


# --------------------------------------------------------------------------- schemas


def _ref_target(schema: dict[str, Any]) -> str | None:
    """``$ref`` or the ``allOf: [{$ref}]`` wrapper Kubernetes uses to add a description."""
    ref = schema.get("$ref")
    if ref is None:
        all_of = schema.get("allOf")
        if (
            isinstance(all_of, list)
            and len(all_of) == 1
            and isinstance(all_of[0], dict)
        ):
            ref = all_of[0].get("$ref")
    if isinstance(ref, str) and ref.startswith(SCHEMA_REF_PREFIX):
        return ref[len(SCHEMA_REF_PREFIX) :]
    return None


def _is_class_schema(schema: dict[str, Any]) -> bool:
    return bool(schema.get("properties")) or GVK_EXTENSION in schema


def _gvks(schema: dict[str, Any]) -> tuple[GroupVersionKind, ...]:
    raw = schema.get(GVK_EXTENSION)
    items = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    result = {
        GroupVersionKind(
            str(g.get("group", "")), str(g.get("version", "")), str(g.get("kind", ""))
        )
        for g in items
        if isinstance(g, dict) and g.get("kind") and g.get("version")
    }
    return tuple(sorted(result, key=lambda g: (g.group, g.version, g.kind)))


@dataclass(frozen=True)
class _Package:
    """The Go package part of a schema id: ``io.k8s.api.apps.v1`` of ``...v1.Deployment``."""

    path: str
    version: str | None

    @staticmethod
    def of(schema_id: str) -> _Package:
        base = schema_id.split("/")[0]  # nested inline schemas: parent/field
        parts = base.split(".")
        if len(parts) >= 3 and naming.is_kube_version(parts[-2]):
            return _Package(".".join(parts[:-1]), parts[-2])
        return _Package(".".join(parts[:-1]), None)

    @property
    def label(self) -> str:
        parts = self.path.split(".") if self.path else []
        if self.version and parts:
            parts = parts[:-1]
        return parts[-1] if parts else "types"

    @property
    def builtin(self) -> bool:
        return self.path.startswith("io.k8s.")


def _builtin_group(group: str) -> bool:
    return group == "" or "." not in group or group.endswith(".k8s.io")


class _Builder:
    def __init__(self, spec: Spec, base_package: str | None = None) -> None:
        self.spec = spec
        self.base_package = base_package
        #: schemas the input leaves to a base package (CRD meta types)
        self.external = {
            k: str(v[crd.EXTERNAL])
            for k, v in spec.schemas.items()
            if v.get(crd.EXTERNAL)
        }
        self.schemas = spec.schemas
        self.class_ids = sorted(
            k for k, v in self.schemas.items() if _is_class_schema(v)
        )
        self.inline: dict[str, dict[str, Any]] = {}  # synthesized ids of nested objects
        self.inline_names: dict[str, str] = {}  # synthesized id -> desired class name
        self.module_of: dict[str, str] = {}
        self.class_name: dict[str, str] = {}
        self.gv_module: dict[tuple[str, str], str] = {}
        self.all_modules: set[str] = set()

    # -- modules

    def assign_modules(self) -> None:
        packages: dict[str, _Package] = {
            sid: _Package.of(sid) for sid in self.class_ids
        }
        groups_of: dict[_Package, set[str]] = defaultdict(set)
        for sid, package in packages.items():
            short = sid.split(".")[-1]
            for gvk in _gvks(self.schemas[sid]):
                if gvk.kind == short and (
                    package.version is None or gvk.version == package.version
                ):
                    groups_of[package].add(gvk.group)
        gv_keys: set[tuple[str, str]] = set()
        package_key: dict[_Package, tuple[str, ...]] = {}
        for package in set(packages.values()):
            groups = groups_of.get(package, set())
            # apimachinery's packages hold types shared by every group (meta/v1):
            # they are named after the package, whatever group a GVK names.
            shared = package.path.startswith("io.k8s.apimachinery.")
            if len(groups) == 1 and package.version and not shared:
                key: tuple[str, ...] = ("gv", next(iter(groups)), package.version)
                gv_keys.add((key[1], key[2]))
            else:
                key = ("pkg", package.path, package.version or "")
            package_key[package] = key
        # group-versions that only have paths still need a module name (clients)
        for path in self.spec.paths:
            parsed = _parse_path(path)
            if parsed is not None:
                gv_keys.add((parsed.group, parsed.version))
        keys: set[tuple[str, ...]] = {("gv", g, v) for g, v in gv_keys} | set(
            package_key.values()
        )

        def short_name(key: tuple[str, ...]) -> str:
            if key[0] == "gv":
                return naming.escape(naming.module_name(key[1], key[2]))
            pkg = _Package(key[1], key[2] or None)
            return naming.escape(
                naming.module_name(pkg.label, key[2])
                if key[2]
                else naming.snake_case(pkg.label)
            )

        def long_name(key: tuple[str, ...]) -> str:
            if key[0] == "gv":
                return naming.escape(naming.module_name_long(key[1], key[2]))
            labels = key[1].split(".")
            return naming.escape(naming.snake_case("_".join([*labels[1:], key[2]])))

        def priority(key: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
            builtin = (
                _builtin_group(key[1])
                if key[0] == "gv"
                else key[1].startswith("io.k8s.")
            )
            return (0 if builtin else 1, key)

        names: dict[tuple[str, ...], str] = {}
        used: set[str] = set()
        for key in sorted(keys, key=priority):
            name = short_name(key)
            if name in used:
                name = long_name(key)
            base, n = name, 2
            while name in used:
                name = f"{base}_{n}"
                n += 1
            used.add(name)
            names[key] = name
        # modules of the base package are named in annotations too
        self.all_modules = used | {e.split(".")[0] for e in self.external.values()}
        for group, version in gv_keys:
            self.gv_module[(group, version)] = names[("gv", group, version)]
        for sid, package in packages.items():
            self.module_of[sid] = names[package_key[package]]

    # -- class names

    def assign_class_names(self) -> None:
        by_module: dict[str, list[str]] = defaultdict(list)
        for sid, module in self.module_of.items():
            by_module[module].append(sid)
        for ids in by_module.values():
            wanted = {
                sid: naming.escape(
                    naming.camel_case(self.inline_names.get(sid) or sid.split(".")[-1]),
                    RUNTIME_NAMES,
                )
                for sid in ids
            }
            used: set[str] = set()
            # Spec schemas before synthesized nested ones, then by id: deterministic.
            for sid in sorted(ids, key=lambda s: ("/" in s, s)):
                name, n = wanted[sid], 2
                while name in used:
                    name = f"{wanted[sid]}{n}"
                    n += 1
                used.add(name)
                self.class_name[sid] = name

    # -- types

    def type_of(
        self, schema: dict[str, Any], owner: str, wire: str, where: list[object]
    ) -> TypeRef:
        target = _ref_target(schema)
        if target is not None:
            return self._ref_type(target)
        fmt = schema.get("format")
        kind = schema.get("type")
        if fmt == "int-or-string" or schema.get("x-kubernetes-int-or-string"):
            return TypeRef("int-or-string")
        one_of = schema.get("oneOf") or schema.get("anyOf")
        if isinstance(one_of, list) and one_of and kind is None:
            types = {s.get("type") for s in one_of if isinstance(s, dict)}
            if types == {"integer", "string"}:
                return TypeRef("int-or-string")
            if types == {"number", "string"}:
                return TypeRef("quantity")
            return TypeRef("any")
        if kind == "string":
            if fmt == "byte":
                return TypeRef("byte", format=fmt)
            if fmt == "date-time":
                return TypeRef("date-time", format=fmt)
            return TypeRef("string", format=fmt if isinstance(fmt, str) else None)
        if kind == "integer":
            return TypeRef("integer", format=fmt if isinstance(fmt, str) else None)
        if kind == "number":
            return TypeRef("number", format=fmt if isinstance(fmt, str) else None)
        if kind == "boolean":
            return TypeRef("boolean")
        if kind == "array":
            items = schema.get("items")
            if not isinstance(items, dict):
                return TypeRef("array", items=TypeRef("any"))
            return TypeRef(
                "array",
                items=self.type_of(items, owner, wire + "Item", [*where, "items"]),
            )
        if kind == "object" or (
            kind is None
            and ("properties" in schema or "additionalProperties" in schema)
        ):
            if schema.get("properties"):
                return TypeRef(
                    "ref", ref=self._inline_class(schema, owner, wire, where)
                )
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                return TypeRef(
                    "map",
                    items=self.type_of(
                        extra, owner, wire + "Value", [*where, "additionalProperties"]
                    ),
                )
            if extra is True:
                return TypeRef("map", items=TypeRef("any"))
            return TypeRef("object")
        return TypeRef("any")

    def _ref_type(self, target: str) -> TypeRef:
        schema = self.schemas[target]
        if _is_class_schema(schema) or target in self.external:
            return TypeRef("ref", ref=target)
        # Alias schemas: Time, MicroTime, Quantity, IntOrString, FieldsV1, JSON ...
        if schema.get("type") == "string" and schema.get("format") == "date-time":
            return TypeRef(
                "micro-time" if target.endswith(".MicroTime") else "date-time",
                format="date-time",
            )
        inner = self.type_of(
            {k: v for k, v in schema.items() if k != "$ref"}, target, "", []
        )
        if inner.kind == "any" and target.endswith(".Quantity"):
            return TypeRef("quantity")
        return inner

    def _inline_class(
        self, schema: dict[str, Any], owner: str, wire: str, where: list[object]
    ) -> str:
        """A nested object with its own properties (CRDs) becomes a class of its own."""
        sid = f"{owner}/{wire}"
        if sid not in self.inline:
            self.inline[sid] = schema
            owner_name = (
                self.inline_names.get(owner) or owner.split("/")[0].split(".")[-1]
            )
            self.inline_names[sid] = naming.camel_case(owner_name) + naming.camel_case(
                wire
            )
            self.module_of[sid] = self.module_of[owner]
        return sid

    # -- fields

    def build_schema(self, sid: str) -> Schema:
        schema = self.schemas[sid] if sid in self.schemas else self.inline[sid]
        source = self.spec.schema_sources.get(sid.split("/")[0], "<spec>")
        where: list[object] = ["components", "schemas", *sid.split("/")]
        props = schema.get("properties") or {}
        if not isinstance(props, dict):
            raise SpecError(
                source, json_pointer([*where, "properties"]), "must be an object"
            )
        required = set(schema.get("required") or ())
        reserved = (
            naming.KEYWORDS
            | MODEL_METHODS
            | ANNOTATION_BUILTINS
            | RUNTIME_NAMES
            | self.all_modules
        )
        names = naming.unique_names(list(props), naming.snake_case, reserved)
        fields = []
        for wire, prop in props.items():
            if not isinstance(prop, dict):
                raise SpecError(
                    source,
                    json_pointer([*where, "properties", wire]),
                    "a property schema must be an object",
                )
            fields.append(
                self._field(
                    sid,
                    wire,
                    names[wire],
                    prop,
                    wire in required,
                    [*where, "properties", wire],
                )
            )
        gvks = _gvks(schema)
        list_item = None
        items_field = next((f for f in fields if f.wire == "items"), None)
        if (
            items_field is not None
            and items_field.type.kind == "array"
            and items_field.type.items is not None
            and items_field.type.items.kind == "ref"
            and any(g.kind.endswith("List") for g in gvks)
        ):
            list_item = items_field.type.items.ref
        return Schema(
            id=sid,
            module=self.module_of[sid],
            name=self.class_name[sid],
            description=str(schema.get("description") or ""),
            fields=tuple(fields),
            gvks=gvks,
            preserve_unknown_fields=bool(
                schema.get("x-kubernetes-preserve-unknown-fields")
            ),
            list_item=list_item,
            map_type=schema.get("x-kubernetes-map-type"),
        )

    def _field(
        self,
        owner: str,
        wire: str,
        name: str,
        prop: dict[str, Any],
        required: bool,
        where: list[object],
    ) -> Field:
        # Extensions may sit on the property or (for refs) next to the allOf wrapper.
        def ext(key: str) -> Any:
            return prop.get(key)

        enum = prop.get("enum")
        map_keys = ext("x-kubernetes-list-map-keys") or ()
        return Field(
            name=name,
            wire=wire,
            type=self.type_of(prop, owner, wire, where),
            required=required,
            description=str(prop.get("description") or ""),
            default=prop.get("default"),
            enum=tuple(enum) if isinstance(enum, list) else (),
            list_type=ext("x-kubernetes-list-type"),
            map_keys=(
                tuple(str(k) for k in map_keys) if isinstance(map_keys, list) else ()
            ),
            map_type=ext("x-kubernetes-map-type"),
            patch_strategy=ext("x-kubernetes-patch-strategy"),
            patch_merge_key=ext("x-kubernetes-patch-merge-key"),
            preserve_unknown_fields=bool(ext("x-kubernetes-preserve-unknown-fields")),
            embedded_resource=bool(ext("x-kubernetes-embedded-resource")),
            nullable=bool(prop.get("nullable")),
        )

    def build_schemas(self) -> dict[str, Schema]:
        result: dict[str, Schema] = {}
        pending = list(self.class_ids)
        # Nested inline classes are discovered while building their parents.
        while pending:
            for sid in pending:
                result[sid] = self.build_schema(sid)
            pending = sorted(set(self.inline) - set(result))
            if pending:
                self.assign_class_names()
        return dict(sorted(result.items()))


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class _ParsedPath:
    group: str
    version: str
    namespaced: bool
    plural: str
    named: bool
    subresource: str | None
    watch: bool


_SEGMENT = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def _parse_path(path: str) -> _ParsedPath | None:
    """Split a resource path; None for discovery and other non-resource paths."""
    segments = [s for s in path.split("/") if s]
    if len(segments) >= 3 and segments[0] == "api":
        group, version, rest = "", segments[1], segments[2:]
    elif len(segments) >= 4 and segments[0] == "apis":
        group, version, rest = segments[1], segments[2], segments[3:]
    else:
        return None
    watch = False
    if rest and rest[0] == "watch":
        watch, rest = True, rest[1:]
    namespaced = False
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[1] == "{namespace}":
        namespaced, rest = True, rest[2:]
    if not rest or rest[0].startswith("{"):
        return None
    plural = rest[0]
    named = len(rest) >= 2 and rest[1].startswith("{")
    subresource = rest[2] if named and len(rest) >= 3 else None
    if len(rest) >= 2 and not named:
        return None
    return _ParsedPath(group, version, namespaced, plural, named, subresource, watch)


def _content_schema(content: Any) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    if not isinstance(content, dict) or not content:
        return None, ()
    types = tuple(sorted(content))
    preferred = (
        content.get("application/json") or content.get("*/*") or content[types[0]]
    )
    schema = preferred.get("schema") if isinstance(preferred, dict) else None
    return (schema if isinstance(schema, dict) else None), types


class _PathReader:
    def __init__(self, builder: _Builder) -> None:
        self.builder = builder
        self._by_gvk: dict[GroupVersionKind, str] | None = None

    def type_of(self, schema: dict[str, Any] | None) -> TypeRef | None:
        if schema is None:
            return None
        return self.builder.type_of(schema, "", "", [])

    def operation(
        self,
        path: str,
        method: str,
        op: dict[str, Any],
        shared: list[Any],
        parsed: _ParsedPath,
        scoped: bool,
        source: str,
    ) -> Operation:
        where = ["paths", path, method]
        action = op.get("x-kubernetes-action")
        if not isinstance(action, str) or action not in ACTION_VERBS:
            raise SpecError(
                source,
                json_pointer([*where, "x-kubernetes-action"]),
                f"unknown or missing x-kubernetes-action {action!r}",
            )
        params: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*shared, *(op.get("parameters") or [])]:
            if isinstance(raw, dict) and "name" in raw and "in" in raw:
                params[(str(raw["in"]), str(raw["name"]))] = raw
        py_names = naming.unique_names(
            [name for (_, name) in params], naming.snake_case, CLIENT_METHOD_NAMES
        )
        parameters = tuple(
            Parameter(
                name=name,
                py_name=(
                    py_names[name]
                    if loc != "path"
                    else naming.escape(naming.snake_case(name))
                ),
                location=loc,
                type=self.type_of(
                    raw.get("schema") if isinstance(raw.get("schema"), dict) else {}
                )
                or TypeRef("any"),
                required=bool(raw.get("required")),
                description=str(raw.get("description") or ""),
            )
            for (loc, name), raw in sorted(
                params.items(), key=lambda kv: (kv[0][0] != "path", kv[0][1])
            )
        )
        raw_request = op.get("requestBody")
        request: dict[str, Any] = raw_request if isinstance(raw_request, dict) else {}
        body_schema, body_types = _content_schema(request.get("content"))
        responses = op.get("responses") or {}
        response: Any = next(
            (responses[c] for c in ("200", "201", "202") if c in responses), {}
        )
        response_schema, response_types = _content_schema(
            response.get("content") if isinstance(response, dict) else None
        )
        verb = ACTION_VERBS[action]
        if parsed.watch:
            verb = "watch"
        return Operation(
            id=str(op.get("operationId") or f"{method} {path}"),
            method=method,
            path=path,
            action=action,
            verb=verb,
            subresource=parsed.subresource,
            all_namespaces=scoped and not parsed.namespaced,
            deprecated_watch=parsed.watch,
            parameters=parameters,
            body=self.type_of(body_schema),
            body_required=bool(request.get("required")),
            body_content_types=body_types,
            response=self.type_of(response_schema),
            response_content_types=response_types,
            description=str(op.get("description") or ""),
        )

    def read(self) -> tuple[Group, ...]:
        spec = self.builder.spec
        parsed_paths = {p: _parse_path(p) for p in spec.paths}
        scoped: set[tuple[str, str, str]] = {
            (pp.group, pp.version, pp.plural)
            for pp in parsed_paths.values()
            if pp is not None and pp.namespaced
        }
        ops: dict[tuple[str, str, str], list[Operation]] = defaultdict(list)
        for path in sorted(spec.paths):
            parsed = parsed_paths[path]
            if parsed is None:
                continue
            item, source = spec.paths[path]
            shared = item.get("parameters") or []
            key = (parsed.group, parsed.version, parsed.plural)
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    ops[key].append(
                        self.operation(
                            path, method, op, shared, parsed, key in scoped, source
                        )
                    )
        by_gv: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        for (group, version, plural), operations in sorted(ops.items()):
            by_gv[(group, version)].append(
                self._resource(
                    group, plural, operations, (group, version, plural) in scoped
                )
            )
        kinds_by_gv: dict[tuple[str, str], set[str]] = defaultdict(set)
        for sid in self.builder.class_ids:
            for gvk in _gvks(spec.schemas[sid]):
                if gvk.kind == sid.split(".")[-1]:
                    kinds_by_gv[(gvk.group, gvk.version)].add(sid)
        groups: dict[str, list[GroupVersion]] = defaultdict(list)
        for (group, version), resources in by_gv.items():
            groups[group].append(
                GroupVersion(
                    group=group,
                    version=version,
                    module=self.builder.gv_module[(group, version)],
                    resources=tuple(resources),
                    kinds=tuple(sorted(kinds_by_gv.get((group, version), ()))),
                )
            )
        result = []
        for name in sorted(groups):
            versions = sorted(
                groups[name], key=lambda gv: naming.version_priority(gv.version)
            )
            result.append(
                Group(
                    name=name,
                    versions=tuple(versions),
                    preferred_version=versions[0].version,
                )
            )
        return tuple(result)

    def _resource(
        self, group: str, plural: str, operations: list[Operation], namespaced: bool
    ) -> Resource:
        main = [op for op in operations if op.subresource is None]
        by_sub: dict[str, list[Operation]] = defaultdict(list)
        for op in operations:
            if op.subresource is not None:
                by_sub[op.subresource].append(op)
        kind_ops = [op for op in main if not op.deprecated_watch]
        gvk = self._kind_of(kind_ops)
        schema_id = self._schema_for(gvk)
        list_schema = next(
            (
                op.response.ref
                for op in main
                if op.verb == "list" and op.response is not None and op.response.ref
            ),
            None,
        )
        verbs = {op.verb for op in main}
        if any(
            op.verb == "list" and any(p.name == "watch" for p in op.parameters)
            for op in main
        ):
            verbs.add("watch")
        subresources = tuple(
            Subresource(
                name=name,
                kind=self._kind_of(sub_ops),
                verbs=tuple(
                    v
                    for v in (*VERB_ORDER, "connect")
                    if v in {op.verb for op in sub_ops}
                ),
                operations=tuple(sub_ops),
                streaming=name in STREAMING_SUBRESOURCES
                or any(op.verb == "connect" for op in sub_ops),
            )
            for name, sub_ops in sorted(by_sub.items())
        )
        return Resource(
            plural=plural,
            kind=gvk,
            schema=schema_id,
            list_schema=list_schema,
            namespaced=namespaced,
            verbs=tuple(v for v in VERB_ORDER if v in verbs),
            operations=tuple(main),
            subresources=subresources,
            short_names=known.SHORT_NAMES.get((group, plural), ()),
            categories=known.CATEGORIES.get((group, plural), ()),
            singular=gvk.kind.lower() if gvk is not None else plural,
        )

    def _kind_of(self, operations: Iterable[Operation]) -> GroupVersionKind | None:
        spec = self.builder.spec
        for op in operations:
            item, _ = spec.paths[op.path]
            raw = item.get(op.method, {}).get(GVK_EXTENSION)
            if isinstance(raw, dict) and raw.get("kind"):
                return GroupVersionKind(
                    str(raw.get("group", "")),
                    str(raw.get("version", "")),
                    str(raw["kind"]),
                )
        return None

    def _schema_for(self, gvk: GroupVersionKind | None) -> str | None:
        if gvk is None:
            return None
        index = self._by_gvk
        if index is None:  # built once: gvk -> the first class of that kind name
            index = self._by_gvk = {}
            for sid in self.builder.class_ids:
                for each in _gvks(self.builder.schemas[sid]):
                    if sid.split(".")[-1] == each.kind:
                        index.setdefault(each, sid)
        return index.get(gvk)


# --------------------------------------------------------------------------- entry


def build_universe(spec: Spec, base_package: str | None = None) -> Universe:
    """The whole IR for a merged spec (``base_package``: see Universe.base_package)."""
    if not spec.schemas and not spec.paths:
        raise GeneratorError(
            "the spec has neither schemas nor paths: nothing to generate"
        )
    builder = _Builder(spec, base_package)
    if builder.external and base_package is None:
        names = ", ".join(sorted(n.rsplit(".", 1)[-1] for n in builder.external))
        raise GeneratorError(
            f"the CustomResourceDefinitions refer to types the input does not define "
            f"({names}): give the Kubernetes spec too (another --spec), or "
            "--base-package NAME, a generated package that has them"
        )
    builder.assign_modules()
    builder.assign_class_names()
    schemas = builder.build_schemas()
    groups = _PathReader(builder).read()
    modules: dict[str, list[str]] = defaultdict(list)
    for sid, schema in schemas.items():
        modules[schema.module].append(sid)
    group_of_module = {
        gv.module: (gv.group, gv.version) for g in groups for gv in g.versions
    }
    return Universe(
        kubernetes_version=spec.kubernetes_version,
        groups=groups,
        modules=tuple(
            Module(
                name=name,
                group=group_of_module.get(name, (None, None))[0],
                version=group_of_module.get(name, (None, None))[1],
                schemas=tuple(_class_order(ids, schemas)),
            )
            for name, ids in sorted(modules.items())
        ),
        schemas=schemas,
        served=served_documents(spec),
        warnings=tuple(_warnings(groups)),
        base_package=base_package,
        external=dict(sorted(builder.external.items())),
    )


def _warnings(groups: Iterable[Group]) -> Iterable[str]:
    """Gaps in the spec the output works around (client-go would too)."""
    for group in groups:
        for gv in group.versions:
            for r in gv.resources:
                if "list" in r.verbs and r.kind is not None and r.list_schema is None:
                    yield (
                        f"{gv.api_version} {r.plural}: the spec has the kind {r.kind.kind} "
                        "but no list kind; list() and delete_collection() return plain dicts"
                    )
                if r.kind is not None and r.schema is None:
                    yield (
                        f"{gv.api_version} {r.plural}: the spec names the kind "
                        f"{r.kind.kind} but has no schema for it; no typed client"
                    )


def _class_order(ids: list[str], schemas: dict[str, Schema]) -> list[str]:
    """Alphabetical by class name: stable, and easy to find things in."""
    return sorted(ids, key=lambda sid: (schemas[sid].name, sid))
