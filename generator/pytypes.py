"""Room 2, the model: how a TypeRef reads in Python (the generated models' types).

The models renderer (generator.render) annotates fields with it; the API change
report (generator.diff) compares field types with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import pysource
from .ir import TypeRef, Universe

_SCALARS = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "byte": "str",
    "int-or-string": "int | str",
    "quantity": "Quantity",
    "object": "dict[str, Any]",
    "any": "Any",
}


@dataclass(frozen=True)
class PyType:
    """How one TypeRef looks in generated code, seen from one module."""

    read: str  # the Python type a read returns (element type for containers)
    codec: (
        str | None
    )  # runtime codec expression, None when the wire value is used as is
    names: frozenset[str]  # runtime names the expression uses
    modules: frozenset[str]  # sibling modules referenced


def py_type(t: TypeRef, universe: Universe, module: str) -> PyType:
    if t.kind in _SCALARS:
        names = (
            {"Quantity"}
            if t.kind == "quantity"
            else {"Any"} if "Any" in _SCALARS[t.kind] else set()
        )
        return PyType(_SCALARS[t.kind], None, frozenset(names), frozenset())
    if t.kind in ("date-time", "micro-time"):
        codec = "MICROTIME" if t.kind == "micro-time" else "TIME"
        return PyType("datetime", codec, frozenset({codec, "datetime"}), frozenset())
    if t.kind == "ref":
        assert t.ref is not None
        if t.ref in universe.external:  # a class of the base package
            qualified = universe.external[t.ref]
            where, _, name = qualified.partition(".")
            absolute = f"{universe.base_package}.models.{where}:{name}"
            return PyType(
                qualified,
                pysource.py_str(absolute),
                frozenset(),
                frozenset({qualified.split(".")[0]}),
            )
        target = universe.schemas[t.ref]
        if target.module == module:
            return PyType(
                target.name, pysource.py_str(target.name), frozenset(), frozenset()
            )
        qualified = f"{target.module}.{target.name}"
        return PyType(
            qualified,
            pysource.py_str(qualified),
            frozenset(),
            frozenset({target.module}),
        )
    assert t.items is not None, t
    inner = py_type(t.items, universe, module)
    if t.kind == "array":
        if inner.codec is None:
            return PyType(f"list[{inner.read}]", None, inner.names, inner.modules)
        return PyType(
            f"ListView[{inner.read}]",
            f"L({inner.codec})",
            inner.names | {"L", "ListView"},
            inner.modules,
        )
    if inner.codec is None:
        return PyType(f"dict[str, {inner.read}]", None, inner.names, inner.modules)
    return PyType(
        f"MapView[{inner.read}]",
        f"D({inner.codec})",
        inner.names | {"D", "MapView"},
        inner.modules,
    )
