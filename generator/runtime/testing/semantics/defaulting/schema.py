"""The ``default`` values the built-in OpenAPI v3 documents declare on properties,
applied to absent fields as decoding does on a real server.

Two kinds of declared default are applied:

* ``{}`` on a struct-typed field (``status``, ``spec.strategy``,
  ``containers[].resources``, ``status.loadBalancer`` ...): Go's ``omitempty``
  never drops a struct, so the real server always writes these out;
* the non-zero scalars of ``+default=`` markers (``ports[].protocol: TCP``,
  ``rbd.pool: rbd`` ...).

The zero-value markers (``""``, ``0``, ``false`` on required fields) are not
applied: such a field is required, so validation refuses its absence anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...._model import deepcopy_json

Schema = dict[str, Any]
_ZERO_VALUES = ("", 0, False)


@dataclass(eq=False)
class Plan:
    """What to fill in below one schema: absent properties' defaults, and the
    plans of present properties (objects), of list items and of map values."""

    defaults: list[tuple[str, Any]] = field(default_factory=list)
    properties: list[tuple[str, Plan]] = field(default_factory=list)
    items: Plan | None = None  # a list's items, or a map's values
    empty: bool = True  # nothing to do at any depth (filled in when compiled)

    def apply(self, value: Any, depth: int = 0) -> None:
        if depth > 100:  # bodies are at most 100 deep (MAX_DEPTH); stay safe anyway
            return
        if isinstance(value, dict):
            for key, default in self.defaults:
                if key not in value:
                    value[key] = deepcopy_json(default)
            for key, plan in self.properties:
                sub = value.get(key)
                if sub is not None:
                    plan.apply(sub, depth + 1)
            if self.items is not None:
                for sub in value.values():
                    self.items.apply(sub, depth + 1)
        elif isinstance(value, list) and self.items is not None:
            for sub in value:
                self.items.apply(sub, depth + 1)


def _ref(schema: Schema) -> str | None:
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        for part in schema.get("allOf") or ():
            if isinstance(part, dict) and isinstance(part.get("$ref"), str):
                ref = part["$ref"]
                break
    return ref.rpartition("/")[2] if isinstance(ref, str) else None


class _Compiler:
    def __init__(self, schemas: dict[str, Schema]) -> None:
        self.schemas = schemas
        self.named: dict[str, Plan] = {}

    def named_plan(self, name: str) -> Plan:
        plan = self.named.get(name)
        if plan is None:
            plan = self.named[name] = Plan(empty=False)  # recursion: assume work
            self._fill(plan, self.schemas.get(name) or {})
        return plan

    def inline(self, schema: Schema) -> Plan | None:
        name = _ref(schema)
        if name is not None:
            plan = self.named_plan(name)
        else:
            plan = Plan()
            self._fill(plan, schema)
        return None if plan.empty else plan

    def _fill(self, plan: Plan, schema: Schema) -> None:
        properties = schema.get("properties")
        if isinstance(properties, dict):
            for key, sub in properties.items():
                if not isinstance(sub, dict):
                    continue
                if "default" in sub and not _is_zero(sub["default"]):
                    plan.defaults.append((key, sub["default"]))
                child = self.inline(sub)
                if child is not None:
                    plan.properties.append((key, child))
        for key in ("items", "additionalProperties"):
            sub = schema.get(key)
            if isinstance(sub, dict):
                plan.items = self.inline(sub)
                if plan.items is not None:
                    break
        plan.empty = not (plan.defaults or plan.properties or plan.items)


def _is_zero(value: Any) -> bool:
    return any(value == zero and type(value) is type(zero) for zero in _ZERO_VALUES)


class SchemaDefaults:
    """Per-kind plans, compiled on first use from ``load()``'s component schemas
    (name -> schema, carrying ``x-kubernetes-group-version-kind``)."""

    def __init__(self, load: Callable[[], dict[str, Schema]]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._compiler: _Compiler | None = None
        self._by_gvk: dict[tuple[str, str, str], str] = {}
        self._plans: dict[tuple[str, str, str], Plan | None] = {}

    def plan(self, group: str, version: str, kind: str) -> Plan | None:
        key = (group, version, kind)
        try:
            return self._plans[key]
        except KeyError:
            pass
        with self._lock:
            compiler = self._ready()
            name = self._by_gvk.get(key)
            found = compiler.named_plan(name) if name else None
            self._plans[key] = found
            return found

    def apply(self, group: str, version: str, kind: str, obj: dict[str, Any]) -> None:
        plan = self.plan(group, version, kind)
        if plan is not None:
            plan.apply(obj)

    def _ready(self) -> _Compiler:
        if self._compiler is None:
            schemas = self._load()
            for name, schema in schemas.items():
                for gvk in schema.get("x-kubernetes-group-version-kind") or ():
                    if isinstance(gvk, dict):
                        key = (
                            str(gvk.get("group", "")),
                            str(gvk.get("version")),
                            str(gvk.get("kind")),
                        )
                        self._by_gvk.setdefault(key, name)
            self._compiler = _Compiler(schemas)
        return self._compiler
