"""The API change report of a Kubernetes version bump: two Universes -> Changes.

``python -m generator diff OLD NEW`` builds both universes and prints
``render_markdown(diff_universes(old, new))``. Everything here is pure: no file,
network or environment access (the CLI reads the specs and passes them in).

A change is *breaking* when code written against the package generated from OLD
can fail with the package generated from NEW:

* something it imports, reads or calls is gone: a group-version (module and
  ``cs.<module>``), a kind or model class, a field, a resource's accessor, a verb's
  or subresource's methods, a query parameter's keyword argument;
* a name or a type it relies on changed: a field's or parameter's Python name or
  Python type, a class's module or name, a method's body or return type, an
  accessor that now takes a namespace or no longer does (scope change);
* the server starts rejecting what it sends: a field or query parameter that is
  required now (new or not), an enum value that is no longer allowed, a patch type
  the endpoint no longer accepts.

Only what the generated package exposes can break: a resource without a typed
client, an operation only on a deprecated ``/watch/`` path, a parameter of a
streaming subresource (``**kwargs``) are listed, as compatible.

Everything else that changed is listed as compatible (additions, wire-only type
changes such as int32 -> int64, merge-strategy markers, defaults). Description-only
changes are left out unless ``descriptions=True`` (``--verbose``).

Changes of a group-version that appears or disappears as a whole are reported once,
on the group-version, not once per kind, field, resource and operation inside it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

from . import naming
from .ir import (
    Field,
    GroupVersion,
    Operation,
    Parameter,
    Resource,
    Schema,
    TypeRef,
    Universe,
)
from .pytypes import py_type
from .surface import (
    GroupVersionSurface,
    QueryParameterSurface,
    ResourceSurface,
    build_surface,
)

ADDED, REMOVED, CHANGED = "added", "removed", "changed"

#: Report order, and the headings of the per-section lists.
CATEGORIES = {
    "group-version": "Group-versions",
    "kind": "Kinds",
    "model": "Other model classes",
    "field": "Fields",
    "resource": "Resources",
    "subresource": "Subresources",
    "verb": "Verbs",
    "operation": "Operations",
    "parameter": "Query parameters",
}


@dataclass(frozen=True)
class Change:
    """One API difference, with the names user code spells and the wire names."""

    category: str  # a key of CATEGORIES
    action: str  # added | removed | changed
    group_version: str | None  # apiVersion of the section ("apps/v1", "v1"), if any
    module: str  # the models module of the section (apps_v1, meta_v1)
    python: str  # what user code writes; "" if the generated package has no name
    wire: str  # the spec's name: schema id, field, plural, "GET /api/v1/pods" ...
    breaking: bool
    detail: str = ""  # what changed / why it breaks, plain text


@dataclass(frozen=True)
class ApiDiff:
    old: str  # labels: the Kubernetes release (v1.35.6) or what the user passed
    new: str
    changes: tuple[Change, ...]  # in report order

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]

    def counts(self) -> dict[str, tuple[int, int]]:
        """Category -> (breaking, compatible), every category present."""
        result = dict.fromkeys(CATEGORIES, (0, 0))
        for c in self.changes:
            breaking, compatible = result[c.category]
            result[c.category] = (breaking + c.breaking, compatible + (not c.breaking))
        return result

    def to_json(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            "from": self.old,
            "to": self.new,
            "summary": {
                "breaking": sum(b for b, _ in counts.values()),
                "compatible": sum(c for _, c in counts.values()),
                "byCategory": {
                    k: {"breaking": b, "compatible": c} for k, (b, c) in counts.items()
                },
            },
            "changes": [asdict(c) for c in self.changes],
        }


# --------------------------------------------------------------------------- inputs

_VERSION_ARG = re.compile(r"^v?(\d+\.\d+)$")


def specs_roots(env_value: str | None) -> list[Path]:
    """Where ``1.35`` is looked up: $KUBECLIENT_SPECS, else the Makefile's folders."""
    if env_value:
        return [Path(env_value)]
    return [Path("../shared/specs"), Path("specs/kubernetes")]


def spec_candidates(arg: str, roots: Sequence[Path]) -> list[Path]:
    """OLD/NEW as given (a spec directory or file), then ``<root>/v1.35`` for ``1.35``."""
    match = _VERSION_ARG.match(arg)
    versioned = [root / f"v{match.group(1)}" for root in roots] if match else []
    return [Path(arg), *versioned]


# --------------------------------------------------------------------------- names


def _class_path(schema: Schema) -> str:
    return f"{schema.module}.{schema.name}"


def _wire_type(t: TypeRef) -> str:
    if t.kind == "ref":
        return str(t.ref)
    if t.items is not None:
        return f"{t.kind}<{_wire_type(t.items)}>"
    return f"{t.kind}({t.format})" if t.format and t.format != t.kind else t.kind


def _field_type(t: TypeRef, universe: Universe) -> str:
    """The Python type a read of the field returns in the generated model."""
    if any(ref not in universe.schemas for ref in t.refs()):
        return _wire_type(t)  # a dangling ref: the generator would not render it
    return py_type(t, universe, "").read  # seen from no module: core_v1.Pod


def _client(gv: GroupVersionSurface, resource: ResourceSurface) -> str | None:
    """``cs.apps_v1.deployments(namespace)``; None when no typed client is generated."""
    if resource.accessor is None:
        return None
    scope = "namespace" if resource.namespaced else ""
    return f"cs.{gv.attribute}.{resource.accessor}({scope})"


def _calls(client: str | None, methods: Iterable[str], argument: str = "") -> str:
    """``cs.core_v1.pods(namespace).{list, watch}(shard_selector=)``, or "" if none."""
    names = list(dict.fromkeys(methods))
    if client is None or not names:
        return ""
    method = names[0] if len(names) == 1 else "{" + ", ".join(names) + "}"
    return f"{client}.{method}" + (f"({argument}=)" if argument else "")


# --------------------------------------------------------------------------- comparison


class _Side:
    """One release's universe and its typed clients' surface, indexed the way the
    comparison looks things up."""

    def __init__(self, universe: Universe) -> None:
        self.universe = universe
        self.gvs = {gv.api_version: gv for gv in universe.group_versions()}
        self.modules = {m.name: m for m in universe.modules}
        surface = build_surface(universe)
        self.clients = {gv.api_version: gv for gv in surface.group_versions}

    def resource(self, gv: GroupVersion, plural: str) -> ResourceSurface:
        clients = self.clients[gv.api_version]
        return next(r for r in clients.resources if r.plural == plural)

    def section(self, module: str) -> tuple[str | None, str]:
        """(apiVersion, module) of a models module: its group-version, if it has one."""
        m = self.modules.get(module)
        if m is None or m.group is None or m.version is None:
            return None, module
        return (f"{m.group}/{m.version}" if m.group else m.version), module


class _Comparer:
    """Walks both releases and collects the Changes (see the module docstring)."""

    def __init__(self, old: Universe, new: Universe, descriptions: bool) -> None:
        self.old, self.new = _Side(old), _Side(new)
        self.descriptions = descriptions
        self.changes: list[Change] = []
        added = self.new.gvs.keys() - self.old.gvs.keys()
        removed = self.old.gvs.keys() - self.new.gvs.keys()
        # Reported as a whole: nothing inside them is listed again.
        self.whole_gvs = added | removed

    def add(
        self,
        category: str,
        action: str,
        section: tuple[str | None, str],
        python: str,
        wire: str,
        breaking: bool,
        detail: str = "",
    ) -> None:
        self.changes.append(
            Change(category, action, *section, python, wire, breaking, detail)
        )

    def run(self) -> list[Change]:
        self.group_versions()
        self.preferred_versions()
        for sid in sorted(self.old.universe.schemas.keys() | self.new.universe.schemas):
            self.schema(sid)
        for key in sorted(self.old.gvs.keys() & self.new.gvs.keys()):
            self.resources(self.old.gvs[key], self.new.gvs[key])
        return sorted(self.changes, key=_report_order)

    # -- group-versions

    def group_versions(self) -> None:
        for key in sorted(self.old.gvs.keys() | self.new.gvs.keys()):
            a, b = self.old.gvs.get(key), self.new.gvs.get(key)
            if a is None or b is None:
                gv, side = (b, self.new) if a is None else (a, self.old)
                assert gv is not None
                python = _module_names(side.clients[key])
                detail = _contents(gv, side.universe)
                action = ADDED if a is None else REMOVED
                section = (key, gv.module)
                self.add(
                    "group-version", action, section, python, key, b is None, detail
                )
            elif a.module != b.module:
                detail = f"module and client attribute {a.module} -> {b.module}"
                self.add(
                    "group-version",
                    CHANGED,
                    (key, b.module),
                    b.module,
                    key,
                    True,
                    detail,
                )

    def preferred_versions(self) -> None:
        """Informational: which version a group's objects default to changed."""
        old = {g.name: g.preferred_version for g in self.old.universe.groups}
        for group in self.new.universe.groups:
            before = old.get(group.name)
            if before is None or before == group.preferred_version:
                continue
            gv = next(v for v in group.versions if v.version == group.preferred_version)
            detail = (
                f"now the preferred version of {group.name or 'core'} (was {before})"
            )
            section = (gv.api_version, gv.module)
            self.add(
                "group-version",
                CHANGED,
                section,
                gv.module,
                gv.api_version,
                False,
                detail,
            )

    # -- schemas

    def schema(self, sid: str) -> None:
        a = self.old.universe.schemas.get(sid)
        b = self.new.universe.schemas.get(sid)
        if a is None or b is None:
            present = b if a is None else a
            assert present is not None
            side = self.new if a is None else self.old
            section = side.section(present.module)
            if section[0] in self.whole_gvs:
                return
            category = "kind" if present.gvks else "model"
            detail = ", ".join(f"{g.api_version} {g.kind}" for g in present.gvks)
            action = ADDED if a is None else REMOVED
            self.add(
                category, action, section, _class_path(present), sid, b is None, detail
            )
            return
        self.schema_pair(a, b)
        self.fields(a, b)

    def schema_pair(self, a: Schema, b: Schema) -> None:
        details: list[tuple[str, bool]] = []
        if _class_path(a) != _class_path(b):
            details.append((f"class {_class_path(a)} -> {_class_path(b)}", True))
        details += self.gvk_changes(a, b)
        if a.map_type != b.map_type:
            details.append(
                (f"x-kubernetes-map-type {a.map_type} -> {b.map_type}", False)
            )
        if a.preserve_unknown_fields != b.preserve_unknown_fields:
            details.append(("x-kubernetes-preserve-unknown-fields changed", False))
        if self.descriptions and a.description != b.description:
            details.append(("description changed", False))
        if details:
            category = "kind" if a.gvks or b.gvks else "model"
            section = self.new.section(b.module)
            self.add(
                category, CHANGED, section, _class_path(b), b.id, *_joined(details)
            )

    def gvk_changes(self, a: Schema, b: Schema) -> list[tuple[str, bool]]:
        # A class's own GVK removed: from_dict no longer picks it for those objects.
        # An added one breaks only a class that had exactly one: its constructor fills
        # in apiVersion/kind no more. Shared meta types (DeleteOptions, WatchEvent)
        # carry one GVK per group that registers them, and the spec lists change
        # with how it is published (v1.35: 62, v1.36: 34): collapsed into one
        # compatible line. GVKs of whole group-versions are not repeated.
        own = self.new.section(b.module)[0]
        lost_default = a.gvk is not None and b.gvk is None
        result: list[tuple[str, bool]] = []
        for action, before, after, breaking in (
            (REMOVED, a.gvks, b.gvks, True),
            (ADDED, b.gvks, a.gvks, lost_default),
        ):
            changed = [
                g
                for g in before
                if g not in after and g.api_version not in self.whole_gvs
            ]
            result += [
                (f"GVK {g.api_version} {g.kind} {action}", breaking)
                for g in changed
                if g.api_version == own
            ]
            shared = [g.api_version for g in changed if g.api_version != own]
            if shared:
                text = f"GVKs of {len(shared)} other group-versions {action}"
                result.append((f"{text}: {', '.join(shared)}", lost_default))
        return result

    def fields(self, a: Schema, b: Schema) -> None:
        old = {f.wire: f for f in a.fields}
        new = {f.wire: f for f in b.fields}
        section = self.new.section(b.module)
        for wire in sorted(old.keys() | new.keys()):
            x, y = old.get(wire), new.get(wire)
            name = f"{b.id}.{wire}"
            if x is None:
                assert y is not None
                detail = f"type {_field_type(y.type, self.new.universe)}"
                detail += ", required" if y.required else ""
                path = f"{_class_path(b)}.{y.name}"
                self.add("field", ADDED, section, path, name, y.required, detail)
            elif y is None:
                path = f"{_class_path(a)}.{x.name}"
                self.add("field", REMOVED, section, path, name, True)
            else:
                details = self.field_pair(x, y)
                if details:
                    path = f"{_class_path(b)}.{y.name}"
                    self.add("field", CHANGED, section, path, name, *_joined(details))

    def type_change(self, x: TypeRef, y: TypeRef) -> tuple[str, bool]:
        """Breaking when the Python type differs. (Types equal on the wire are not
        compared: a renamed class they refer to is reported once, on the class.)"""
        before = _field_type(x, self.old.universe)
        after = _field_type(y, self.new.universe)
        if before != after:
            return f"type {before} -> {after}", True
        return f"wire type {_wire_type(x)} -> {_wire_type(y)}", False

    def field_pair(self, x: Field, y: Field) -> list[tuple[str, bool]]:
        details: list[tuple[str, bool]] = []
        if x.name != y.name:
            details.append((f"Python name {x.name} -> {y.name}", True))
        if x.type != y.type:
            details.append(self.type_change(x.type, y.type))
        if x.required != y.required:
            details.append(_required_change(y.required))
        details += _enum_changes(x.enum, y.enum)
        for attr in (
            "default",
            "list_type",
            "map_keys",
            "map_type",
            "patch_strategy",
            "patch_merge_key",
            "nullable",
            "preserve_unknown_fields",
            "embedded_resource",
        ):
            if getattr(x, attr) != getattr(y, attr):
                details.append(
                    (f"{attr} {getattr(x, attr)!r} -> {getattr(y, attr)!r}", False)
                )
        if self.descriptions and x.description != y.description:
            details.append(("description changed", False))
        return details

    # -- resources

    def resources(self, gv_a: GroupVersion, gv_b: GroupVersion) -> None:
        old = {r.plural: r for r in gv_a.resources}
        new = {r.plural: r for r in gv_b.resources}
        for plural in sorted(old.keys() | new.keys()):
            a, b = old.get(plural), new.get(plural)
            if a is None or b is None:
                gv, side, r = (gv_b, self.new, b) if a is None else (gv_a, self.old, a)
                assert r is not None
                client = _client(
                    side.clients[gv.api_version], side.resource(gv, plural)
                )
                detail = "verbs: " + (", ".join(r.verbs) or "none")
                if r.subresources:
                    detail += "; subresources: " + ", ".join(
                        s.name for s in r.subresources
                    )
                breaking = b is None and client is not None
                action = ADDED if a is None else REMOVED
                section = (gv.api_version, gv.module)
                self.add(
                    "resource", action, section, client or "", plural, breaking, detail
                )
            else:
                _ResourcePair(self, gv_a, gv_b, a, b).compare()


class _ResourcePair:
    """One resource in both releases: scope, verbs, subresources, operations."""

    def __init__(
        self,
        comparer: _Comparer,
        gv_a: GroupVersion,
        gv_b: GroupVersion,
        a: Resource,
        b: Resource,
    ) -> None:
        self.c = comparer
        self.a, self.b = a, b
        self.old_u, self.new_u = comparer.old.universe, comparer.new.universe
        # What the typed clients offer for the resource, in each release.
        self.sa = comparer.old.resource(gv_a, a.plural)
        self.sb = comparer.new.resource(gv_b, b.plural)
        self.client_a = _client(comparer.old.clients[gv_a.api_version], self.sa)
        self.client_b = _client(comparer.new.clients[gv_b.api_version], self.sb)
        # A resource the old package had no typed client for cannot break user code.
        self.typed = self.client_a is not None
        self.section = (gv_b.api_version, gv_b.module)

    def add(
        self,
        category: str,
        action: str,
        python: str,
        wire: str,
        breaking: bool,
        detail: str = "",
    ) -> None:
        self.c.add(category, action, self.section, python, wire, breaking, detail)

    def compare(self) -> None:
        self.resource()
        self.verbs(None, self.a.verbs, self.b.verbs)
        self.subresources()
        self.operations()

    def resource(self) -> None:
        details: list[tuple[str, bool]] = []
        if self.a.namespaced != self.b.namespaced:
            scope = {True: "namespaced", False: "cluster-scoped"}
            text = f"{scope[self.a.namespaced]} -> {scope[self.b.namespaced]}"
            details.append((text, self.typed))
        # A renamed module or class is reported once, on the group-version or class.
        if self.sa.accessor is not None and self.sb.accessor is not None:
            old, new = self.sa.accessor, self.sb.accessor
            if old != new:
                details.append((f"accessor {old}() -> {new}()", True))
        if self.a.schema != self.b.schema:
            before = self.model(self.a, self.old_u)
            after = self.model(self.b, self.new_u)
            details.append((f"model {before} -> {after}", self.typed))
        if details:
            python = self.client_b or self.client_a or ""
            self.add("resource", CHANGED, python, self.b.plural, *_joined(details))

    @staticmethod
    def model(resource: Resource, universe: Universe) -> str | None:
        schema = universe.schemas.get(resource.schema or "")
        return _class_path(schema) if schema is not None else None

    def verbs(
        self,
        sub: str | None,
        before: Sequence[str],
        after: Sequence[str],
    ) -> None:
        wire = self.b.plural + (f"/{sub}" if sub else "")
        for verb in [v for v in before if v not in after]:
            methods = self.methods(self.sa, sub, verb)
            python = _calls(self.client_a, methods)
            self.add(
                "verb", REMOVED, python, f"{wire} {verb}", self.typed and bool(methods)
            )
        for verb in [v for v in after if v not in before]:
            methods = self.methods(self.sb, sub, verb)
            self.add(
                "verb", ADDED, _calls(self.client_b, methods), f"{wire} {verb}", False
            )

    @staticmethod
    def methods(surface: ResourceSurface, sub: str | None, verb: str) -> list[str]:
        if verb == "watch" and sub is None:
            # watch() is sent as list?watch=true: the list operation's method
            return [m.name for m in surface.methods if m.name == "watch"]
        return [
            m
            for o in surface.operations
            if o.operation.subresource == sub and o.operation.verb == verb
            for m in o.methods
        ]

    def subresources(self) -> None:
        old = {s.name: s for s in self.a.subresources}
        new = {s.name: s for s in self.b.subresources}
        for name in sorted(old.keys() | new.keys()):
            x, y = old.get(name), new.get(name)
            wire = f"{self.b.plural}/{name}"
            if x is None or y is None:
                surface, client = (
                    (self.sb, self.client_b) if x is None else (self.sa, self.client_a)
                )
                sub = y if x is None else x
                assert sub is not None
                methods = [
                    m for op in sub.operations for m in surface.operation(op).methods
                ]
                breaking = y is None and self.typed and bool(methods)
                action = ADDED if x is None else REMOVED
                detail = "verbs: " + ", ".join(sub.verbs)
                self.add(
                    "subresource",
                    action,
                    _calls(client, methods),
                    wire,
                    breaking,
                    detail,
                )
            else:
                self.verbs(name, x.verbs, y.verbs)

    # -- operations and their parameters

    def operations(self) -> None:
        old = {_op_key(op): op for op in _all_operations(self.a)}
        new = {_op_key(op): op for op in _all_operations(self.b)}
        params: _ParamChanges = defaultdict(list)
        for key in sorted(old.keys() | new.keys()):
            x, y = old.get(key), new.get(key)
            if x is None or y is None:
                self.operation_added_or_removed(x, y)
            else:
                self.operation_pair(x, y)
                self.parameters(x, y, params)
        self.report_parameters(params)

    def operation_added_or_removed(
        self, x: Operation | None, y: Operation | None
    ) -> None:
        op = y if x is None else x
        assert op is not None
        surface = self.sb if x is None else self.sa
        other = self.a if x is None else self.b
        # Covered by the verb, subresource or scope change already reported.
        if not _has_verb(other, op.subresource, op.verb):
            return
        if op.all_namespaces and self.a.namespaced != self.b.namespaced:
            return
        methods = surface.operation(op).methods
        client = self.client_b if x is None else self.client_a
        detail = _operation_note(op)
        action = ADDED if x is None else REMOVED
        breaking = y is None and self.typed and bool(methods)
        self.add(
            "operation", action, _calls(client, methods), _op_wire(op), breaking, detail
        )

    def operation_pair(self, x: Operation, y: Operation) -> None:
        details: list[tuple[str, bool]] = []
        typed = self.typed and bool(self.sa.operation(x).methods)
        for what, before, after in (
            ("body", x.body, y.body),
            ("response", x.response, y.response),
        ):
            if before is None or after is None:
                if before != after:
                    text = f"{what} {'added' if before is None else 'removed'}"
                    details.append((text, typed))
            elif before != after:
                text, breaking = self.c.type_change(before, after)
                details.append((f"{what} {text}", typed and breaking))
        gone = [t for t in x.body_content_types if t not in y.body_content_types]
        new = [t for t in y.body_content_types if t not in x.body_content_types]
        if gone:
            details.append(("body content types removed: " + ", ".join(gone), typed))
        if new:
            details.append(("body content types added: " + ", ".join(new), False))
        if x.id != y.id:
            details.append((f"operationId {x.id} -> {y.id}", False))
        if self.c.descriptions and x.description != y.description:
            details.append(("description changed", False))
        if details:
            methods = self.sb.operation(y).methods
            python = _calls(self.client_b, methods)
            self.add("operation", CHANGED, python, _op_wire(y), *_joined(details))

    def parameters(self, x: Operation, y: Operation, out: _ParamChanges) -> None:
        """Collect the query parameter changes of one operation into ``out``."""
        old = {p.name: p for p in x.parameters if p.location == "query"}
        new = {p.name: p for p in y.parameters if p.location == "query"}
        # ... and as the typed clients declare them
        py_old, py_new = self.sa.operation(x), self.sb.operation(y)
        sub = y.subresource or ""
        for name in sorted(old.keys() | new.keys()):
            p, q = old.get(name), new.get(name)
            pp, pq = py_old.parameter(name), py_new.parameter(name)
            if p is None or pp is None:
                assert q is not None and pq is not None
                detail = f"type {pq.type}"
                detail += ", required" if q.required else ""
                key = _ParamKey(sub, name, pq.name, ADDED, detail, q.required)
            elif q is None or pq is None:
                key = _ParamKey(sub, name, pp.name, REMOVED, "", True)
            else:
                details = self.parameter_pair(p, q, pp, pq)
                if not details:
                    continue
                breaking, detail = _joined(details)
                key = _ParamKey(sub, name, pq.name, CHANGED, detail, breaking)
            out[key].append(y if q is not None else x)

    def parameter_pair(
        self,
        p: Parameter,
        q: Parameter,
        before: QueryParameterSurface,
        after: QueryParameterSurface,
    ) -> list[tuple[str, bool]]:
        details: list[tuple[str, bool]] = []
        if before.name != after.name:
            details.append((f"Python name {before.name} -> {after.name}", True))
        if before.type != after.type:
            details.append((f"type {before.type} -> {after.type}", True))
        elif p.type != q.type:
            details.append(
                (f"wire type {_wire_type(p.type)} -> {_wire_type(q.type)}", False)
            )
        if p.required != q.required:
            details.append(_required_change(q.required))
        if self.c.descriptions and p.description != q.description:
            details.append(("description changed", False))
        return details

    def report_parameters(self, params: _ParamChanges) -> None:
        """One line per resource and change (shardSelector added to list, watch and
        deletecollection of pods is one line), naming every method it touches."""
        for key in sorted(params):
            ops = params[key]
            resource, surface, client = (
                (self.a, self.sa, self.client_a)
                if key.action == REMOVED
                else (self.b, self.sb, self.client_b)
            )
            methods = [
                m
                for op in ops
                for m in _declaring(surface.operation(op).parameter(key.name))
            ]
            # A keyword argument no method declares cannot break a call.
            breaking = key.breaking and self.typed and bool(methods)
            verbs = ", ".join(sorted({_op_verb(op) for op in ops}))
            where = "/".join(filter(None, (resource.plural, key.subresource)))
            wire = f"{key.name} ({where}: {verbs})"
            python = _calls(client, methods, key.py_name)
            self.add("parameter", key.action, python, wire, breaking, key.detail)


class _ParamKey(NamedTuple):
    """One change of one query parameter of a resource (the operations collect)."""

    subresource: str  # "" for the resource itself
    name: str
    py_name: str
    action: str
    detail: str
    breaking: bool


_ParamChanges = defaultdict[_ParamKey, list[Operation]]


def _all_operations(resource: Resource) -> list[Operation]:
    return [
        *resource.operations,
        *(op for s in resource.subresources for op in s.operations),
    ]


def _op_key(op: Operation) -> tuple[str, str, bool]:
    """Pairs an operation across releases, also when the resource changed scope."""
    path = op.path.replace("/namespaces/{namespace}/", "/", 1)
    return op.method, path, op.all_namespaces


def _has_verb(resource: Resource, sub: str | None, verb: str) -> bool:
    if sub is None:
        return verb in resource.verbs or verb == "connect"
    return any(s.name == sub and verb in s.verbs for s in resource.subresources)


def _op_wire(op: Operation) -> str:
    return f"{op.method.upper()} {op.path}"


def _op_verb(op: Operation) -> str:
    if op.deprecated_watch:
        return "watch (/watch/ path)"
    return op.verb + (" (all namespaces)" if op.all_namespaces else "")


def _operation_note(op: Operation) -> str:
    if op.deprecated_watch:
        return f"{op.id}; deprecated /watch/ path, no client method"
    if op.all_namespaces:
        return f'{op.id}; across all namespaces (namespace "")'
    return op.id


def _required_change(required: bool) -> tuple[str, bool]:
    # Code that does not send it is rejected by the server from now on.
    return ("now required", True) if required else ("no longer required", False)


def _enum_changes(
    before: tuple[Any, ...], after: tuple[Any, ...]
) -> list[tuple[str, bool]]:
    gone = [v for v in before if v not in after]
    new = [v for v in after if v not in before]
    result = []
    if gone and after:  # an empty enum allows anything: nothing is rejected
        result.append(("enum values removed: " + ", ".join(map(str, gone)), True))
    if new and before:
        result.append(("enum values added: " + ", ".join(map(str, new)), False))
    return result


def _joined(details: list[tuple[str, bool]]) -> tuple[bool, str]:
    """(breaking, text) of several details of one thing: breaking if any is."""
    return any(b for _, b in details), "; ".join(d for d, _ in details)


def _module_names(gv: GroupVersionSurface) -> str:
    """``models.apps_v1, cs.apps_v1``: the clientset attribute only if typed clients exist."""
    typed = f", cs.{gv.attribute}" if gv.typed else ""
    return f"models.{gv.attribute}{typed}"


def _declaring(parameter: QueryParameterSurface | None) -> tuple[str, ...]:
    """The methods that take a query parameter: streaming subresources (exec, attach,
    proxy ...) take ``**kwargs`` and ``evict`` builds its own request, so a change of
    their parameters cannot break a call to them."""
    return parameter.methods if parameter is not None else ()


def _contents(gv: GroupVersion, universe: Universe) -> str:
    # gv.kinds also names the shared meta kinds (DeleteOptions ...): not this module's
    kinds = sorted(
        universe.schemas[sid].name
        for sid in gv.kinds
        if sid in universe.schemas and universe.schemas[sid].module == gv.module
    )
    plurals = [r.plural for r in gv.resources]
    return f"kinds: {', '.join(kinds) or 'none'}; resources: {', '.join(plurals) or 'none'}"


def section_order(group_version: str | None, module: str) -> tuple[Any, ...]:
    """The core group first, then groups by name, each highest version first; then
    models modules without a group-version (meta_v1 ...)."""
    if group_version is None:
        return (1, "", (), module)
    group, _, version = group_version.rpartition("/")
    return (0, group, naming.version_priority(version), module)


def _report_order(c: Change) -> tuple[Any, ...]:
    category = list(CATEGORIES).index(c.category)
    return (
        *section_order(c.group_version, c.module),
        category,
        c.python,
        c.wire,
        c.action,
    )


# --------------------------------------------------------------------------- entry


def diff_universes(
    old: Universe,
    new: Universe,
    *,
    descriptions: bool = False,
    labels: tuple[str, str] = ("old", "new"),
) -> ApiDiff:
    """Every API change from ``old`` to ``new``, in report order.

    ``labels`` name the two sides when a universe has no Kubernetes version.
    """
    changes = _Comparer(old, new, descriptions).run()
    return ApiDiff(
        old=old.kubernetes_version or labels[0],
        new=new.kubernetes_version or labels[1],
        changes=tuple(changes),
    )
