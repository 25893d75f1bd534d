"""Small helpers on OpenAPI documents, shared by the generator and the test API server."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SCHEMA_REF_PREFIX = "#/components/schemas/"


def json_pointer(parts: Iterable[object]) -> str:
    """RFC 6901 pointer for a path of keys and indexes (``/paths/~1api~1v1/get``)."""
    return "".join(
        "/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts
    )


# Keys whose values are data or name maps, not schemas: a "$ref" key in them is not a reference.
_DATA_KEYS = frozenset({"default", "example", "examples", "enum", "const"})
_NAME_MAPS = frozenset(
    {"properties", "patternProperties", "content", "responses", "schemas"}
)


def iter_refs(value: Any, path: list[object]) -> Iterable[tuple[Any, list[object]]]:
    """Every ``$ref`` keyword under ``value`` (not property *names* like JSONSchemaProps'
    ``$ref`` field, not example data), with its location."""
    stack: list[tuple[Any, list[object], bool]] = [(value, path, False)]
    while stack:
        node, where, name_map = stack.pop()
        if isinstance(node, dict):
            if not name_map and "$ref" in node:
                yield node["$ref"], where
            for key, child in node.items():
                if name_map:
                    stack.append((child, [*where, key], False))
                elif key not in _DATA_KEYS and not (
                    isinstance(key, str) and key.startswith("x-")
                ):
                    stack.append((child, [*where, key], key in _NAME_MAPS))
        elif isinstance(node, list):
            stack.extend((child, [*where, i], False) for i, child in enumerate(node))


def schema_refs(value: Any) -> set[str]:
    """Names of the component schemas ``value`` refers to."""
    return {
        ref[len(SCHEMA_REF_PREFIX) :]
        for ref, _ in iter_refs(value, [])
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF_PREFIX)
    }


def closure(names: Iterable[str], schemas: dict[str, Any]) -> dict[str, Any]:
    """The named schemas and every schema they refer to, transitively."""
    result: dict[str, Any] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in result or name not in schemas:
            continue
        result[name] = schemas[name]
        pending.extend(schema_refs(schemas[name]) - set(result))
    return result
