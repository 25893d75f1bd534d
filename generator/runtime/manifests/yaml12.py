"""A YAML loader with YAML 1.2's core schema, where PyYAML's 1.1 rules corrupt
Kubernetes manifests: ``on``/``off``/``yes``/``no``/``y``/``n`` stay strings (1.1
makes them booleans), an unquoted ``=`` stays a string (1.1's "value" tag fails
to load, kube-prometheus' AlertmanagerConfig CRD has one), ``1_000`` and
``12:30`` stay strings (1.1 reads the integers 1000 and 750), ``0o644``, ``1e3``
and ``.5`` are numbers (integral ones ints, as kubectl sends them). Timestamps stay strings (Kubernetes' YAML has none).

One compatibility rule over the core schema: ``0644`` is the octal 420, as
go-yaml (so kubectl and the apiserver) reads it, so ``defaultMode: 0644`` means
what its authors meant. ``0800`` (not octal) is the decimal 800. A key given
twice in a mapping is refused, as go-yaml does.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["Loader"]

_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")


class Loader(_BASE):  # type: ignore[misc]
    """SafeLoader (C if available) with the YAML 1.2 core schema's implicit types;
    a key given twice in one mapping is an error (as in go-yaml and kubectl),
    not the silent last-one-wins of PyYAML."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:
                    continue  # unhashable: the base class reports it
                if first is not key_node:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"key {key!r} is already defined at line "
                        f"{first.start_mark.line + 1}",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)


def _construct_int(loader: Any, node: Any) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith(("0o", "0x")):
        return int(text, 0)
    sign, digits = (text[0], text[1:]) if text[0] in "+-" else ("", text)
    if len(digits) > 1 and digits.startswith("0") and set(digits) <= set("01234567"):
        return int(sign + digits, 8)  # go-yaml's octal
    return int(text, 10)


def _construct_float(loader: Any, node: Any) -> float | int:
    """A float; integral ones (``1e3``, ``2.0``) as ints, as kubectl sends them
    (go-yaml's float64 1000 marshals to the JSON 1000)."""
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith("inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text.endswith("nan"):
        return float("nan")
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _construct_bool(loader: Any, node: Any) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
    ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
    ("tag:yaml.org,2002:float", _FLOAT, "-+.0123456789"),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), "<"),
):
    Loader.add_implicit_resolver(_tag, _regexp, list(_first))
Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
# an explicit !!timestamp is rare; Kubernetes' JSON has no such type either
Loader.add_constructor(
    "tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str
)
