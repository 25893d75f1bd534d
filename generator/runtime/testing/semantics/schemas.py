"""Custom resources against their CRD's structural schema: pruning of unknown
fields, defaulting, and the common OpenAPI value validations, worded as the
apiextensions-apiserver reports them (``spec.replicas in body must be of type
integer: "string"``).

Covered: type, required, enum, nullable, minimum/maximum (and exclusive),
minLength/maxLength, minItems/maxItems, pattern, x-kubernetes-int-or-string,
x-kubernetes-preserve-unknown-fields, x-kubernetes-embedded-resource. Not covered:
allOf/anyOf/oneOf/not, format checks, uniqueness of list-type set/map items,
CEL rules (x-kubernetes-validations) and ratcheting.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..._model import deepcopy_json
from ..protocol.status import Cause, invalid_value, unsupported_value

Schema = dict[str, Any]

#: Fields of the object itself, never pruned nor validated against the schema.
_TYPE_META = ("apiVersion", "kind", "metadata")
_JSON_TYPES = {
    "object": "object",
    "array": "array",
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _keeps_unknown(schema: Schema) -> bool:
    return bool(schema.get("x-kubernetes-preserve-unknown-fields"))


# --------------------------------------------------------------------------- pruning


def prune(obj: dict[str, Any], schema: Schema) -> list[str]:
    """Drop the fields the schema does not declare (in place); their paths, as
    the ``unknown field "spec.foo"`` warnings name them."""
    found: list[str] = []
    _prune_object(obj, schema, "", found, root=True)
    return found


def _prune_object(
    value: dict[str, Any], schema: Schema, path: str, found: list[str], root: bool
) -> None:
    properties = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    embedded = root or schema.get("x-kubernetes-embedded-resource")
    for key in list(value):
        if embedded and key in _TYPE_META:
            continue
        where = _join(path, key)
        sub = properties.get(key)
        if sub is None and isinstance(extra, dict):
            sub = extra
        if sub is None:
            if not (_keeps_unknown(schema) or extra is True):
                del value[key]
                found.append(where)
            continue
        _prune(value[key], sub, where, found)


def _prune(value: Any, schema: Schema, path: str, found: list[str]) -> None:
    if isinstance(value, dict) and (
        schema.get("properties")
        or isinstance(schema.get("additionalProperties"), dict)
        or schema.get("type") == "object"
    ):
        _prune_object(value, schema, path, found, root=False)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            _prune(item, schema["items"], f"{path}[{index}]", found)


# --------------------------------------------------------------------------- defaults


def apply_defaults(value: Any, schema: Schema) -> None:
    """Fill in ``default`` values of absent fields, depth first (in place)."""
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, sub in properties.items():
            if key not in value and "default" in sub:
                value[key] = deepcopy_json(sub["default"])
            if key in value:
                apply_defaults(value[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, item in value.items():
                if key not in properties:
                    apply_defaults(item, extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(item, schema["items"])


# --------------------------------------------------------------------------- validation


def schema_causes(obj: dict[str, Any], schema: Schema) -> list[Cause]:
    """What the schema rejects in ``obj`` (its apiVersion, kind and metadata are
    checked elsewhere)."""
    return list(_check_object(obj, schema, "", root=True))


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _fits(value: Any, wanted: str) -> bool:
    actual = _type_of(value)
    return actual == wanted or (wanted == "number" and actual == "integer")


def _check(value: Any, schema: Schema, path: str) -> Iterator[Cause]:
    if value is None:
        if not schema.get("nullable") and (
            schema.get("type") or schema.get("x-kubernetes-int-or-string")
        ):
            yield _type_cause(value, schema.get("type") or "string", path)
        return
    if schema.get("x-kubernetes-int-or-string"):
        if _type_of(value) not in ("integer", "string"):
            yield _type_cause(value, "integer,string", path)
            return
    else:
        wanted = _JSON_TYPES.get(str(schema.get("type") or ""))
        if wanted is not None and not _fits(value, wanted):
            yield _type_cause(value, wanted, path)
            return
    yield from _value_causes(value, schema, path)
    if isinstance(value, dict):
        yield from _check_object(value, schema, path)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _check(item, schema["items"], f"{path}[{index}]")


def _check_object(
    value: dict[str, Any], schema: Schema, path: str, root: bool = False
) -> Iterator[Cause]:
    properties = schema.get("properties") or {}
    for key in schema.get("required") or ():
        if key not in value and not (root and key in _TYPE_META):
            yield Cause(_join(path, key), "Required value", "FieldValueRequired")
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        if root and key in _TYPE_META:
            continue
        sub = properties.get(key)
        if sub is None and isinstance(extra, dict):
            sub = extra
        if sub is not None:
            yield from _check(item, sub, _join(path, key))


def _type_cause(value: Any, wanted: str, path: str) -> Cause:
    actual = _type_of(value)
    return Cause(
        path,
        invalid_value(actual, f'{path} in body must be of type {wanted}: "{actual}"'),
        "FieldValueTypeInvalid",
    )


def _number(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _value_causes(value: Any, schema: Schema, path: str) -> Iterator[Cause]:
    enum = schema.get("enum")
    if enum and value not in enum:
        yield Cause(
            path,
            unsupported_value(value, [str(e) for e in enum]),
            "FieldValueNotSupported",
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        yield from _bounds(value, schema, path)
    if isinstance(value, str):
        yield from _string_causes(value, schema, path)
    if isinstance(value, list):
        most, least = schema.get("maxItems"), schema.get("minItems")
        if most is not None and len(value) > most:
            yield Cause(
                path,
                f"Too many: {len(value)}: must have at most {most} items",
                "FieldValueTooMany",
            )
        if least is not None and len(value) < least:
            yield Cause(
                path,
                invalid_value(
                    len(value), f"{path} in body should have at least {least} items"
                ),
            )


def _bounds(value: float, schema: Schema, path: str) -> Iterator[Cause]:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None:
        exclusive = schema.get("exclusiveMinimum")
        if value < low or (exclusive and value == low):
            than = "greater than" if exclusive else "greater than or equal to"
            yield Cause(
                path,
                invalid_value(value, f"{path} in body should be {than} {_number(low)}"),
            )
    if high is not None:
        exclusive = schema.get("exclusiveMaximum")
        if value > high or (exclusive and value == high):
            than = "less than" if exclusive else "less than or equal to"
            yield Cause(
                path,
                invalid_value(
                    value, f"{path} in body should be {than} {_number(high)}"
                ),
            )


def _string_causes(value: str, schema: Schema, path: str) -> Iterator[Cause]:
    longest, shortest = schema.get("maxLength"), schema.get("minLength")
    if longest is not None and len(value) > longest:
        unit = "byte" if longest == 1 else "bytes"
        yield Cause(
            path,
            f"Too long: may not be more than {longest} {unit}",
            "FieldValueTooLong",
        )
    if shortest is not None and len(value) < shortest:
        yield Cause(
            path,
            invalid_value(
                value, f"{path} in body should be at least {shortest} chars long"
            ),
        )
    pattern = schema.get("pattern")
    if pattern is not None:
        try:
            matched = re.search(pattern, value) is not None
        except re.error:
            matched = True  # a Go-only pattern: not checked here
        if not matched:
            yield Cause(
                path, invalid_value(value, f"{path} in body should match '{pattern}'")
            )
