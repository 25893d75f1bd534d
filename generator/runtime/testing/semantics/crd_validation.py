"""CustomResourceDefinition validation (apiextensions.k8s.io/v1), worded as the
apiextensions-apiserver's ValidateCustomResourceDefinition(Update): the name must
be <plural>.<group>, a group with a dot, a scope, exactly one storage version,
DNS-1035 names, a structural schema for every version, scale paths under .spec /
.status, immutable group, plural (and scope and kind once established).

Field errors on whole structs print an abbreviated value (the real server prints
Go's ``%#v`` of the struct).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..protocol.status import Cause, invalid_value, unsupported_value
from .names import name_problems

_TYPES = ("array", "boolean", "integer", "number", "object", "string")
_UNSUPPORTED_KEYS = (
    ("id", "id"),
    ("additionalItems", "additionalItems"),
    ("patternProperties", "patternProperties"),
    ("definitions", "definitions"),
    ("dependencies", "dependencies"),
    ("$ref", "$ref"),
)
_LEVEL_MESSAGES = {
    "root": "must not be empty at the root",
    "item": "must not be empty for specified array items",
    "field": "must not be empty for specified object fields",
}
_VERSIONS = "[]apiextensions.CustomResourceDefinitionVersion{...}"


def _required(path: str, detail: str = "") -> Cause:
    text = f"Required value: {detail}" if detail else "Required value"
    return Cause(path, text, "FieldValueRequired")


def _forbidden(path: str, detail: str) -> Cause:
    return Cause(path, f"Forbidden: {detail}", "FieldValueForbidden")


def _invalid(path: str, value: Any, detail: str) -> Cause:
    return Cause(path, invalid_value(value, detail))


def _dns1035(value: str) -> str:
    return ",".join(name_problems(value, "label1035"))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def established(crd: dict[str, Any]) -> bool:
    conditions = _dict(crd.get("status")).get("conditions") or ()
    return any(
        c.get("type") == "Established" and c.get("status") == "True"
        for c in conditions
        if isinstance(c, dict)
    )


def crd_causes(crd: dict[str, Any], old: dict[str, Any] | None = None) -> list[Cause]:
    """Every problem of a CRD (``old``: the stored one, on update)."""
    meta, spec = _dict(crd.get("metadata")), _dict(crd.get("spec"))
    names = _dict(spec.get("names"))
    causes: list[Cause] = []
    name = meta.get("name")
    if name and name != f"{names.get('plural') or ''}.{spec.get('group') or ''}":
        causes.append(
            _invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group')
        )
    causes.extend(_spec_causes(spec))
    if old is not None:
        causes.extend(_update_causes(spec, _dict(old.get("spec")), established(old)))
    status = _dict(crd.get("status"))
    causes.extend(
        _names_causes(_dict(status.get("acceptedNames")), "status.acceptedNames")
    )
    causes.extend(_stored_versions_causes(status.get("storedVersions"), spec))
    if spec.get("preserveUnknownFields") is True:
        causes.append(
            _invalid(
                "spec.preserveUnknownFields",
                True,
                "cannot set to true, set x-kubernetes-preserve-unknown-fields to true "
                "in spec.versions[*].schema instead",
            )
        )
    return causes


# --------------------------------------------------------------------------- spec


def _spec_causes(spec: dict[str, Any]) -> Iterator[Cause]:
    group = spec.get("group")
    if not group:
        yield _required("spec.group")
    elif name_problems(str(group), "subdomain"):
        yield _invalid("spec.group", group, ",".join(name_problems(group, "subdomain")))
    elif "." not in str(group):
        yield _invalid("spec.group", group, "should be a domain with at least one dot")
    scope = spec.get("scope")
    if not scope:
        yield _required("spec.scope")
    elif scope not in ("Cluster", "Namespaced"):
        yield Cause(
            "spec.scope",
            unsupported_value(scope, ("Cluster", "Namespaced")),
            "FieldValueNotSupported",
        )
    versions = spec.get("versions")
    versions = versions if isinstance(versions, list) else []
    seen: set[str] = set()
    unique, storage = True, 0
    for index, version in enumerate(versions):
        version = _dict(version)
        where = f"spec.versions[{index}]"
        vname = str(version.get("name") or "")
        unique = unique and vname not in seen
        seen.add(vname)
        storage += bool(version.get("storage"))
        problems = _dns1035(vname)
        if problems:
            yield _invalid(f"{where}.name", vname, problems)
        schema = _dict(version.get("schema")).get("openAPIV3Schema")
        if schema is None:
            yield _required(f"{where}.schema.openAPIV3Schema", "schemas are required")
        else:
            yield from _schema_causes(schema, f"{where}.schema.openAPIV3Schema", "root")
        yield from _subresource_causes(
            _dict(version.get("subresources")), f"{where}.subresources"
        )
    if not unique:
        yield Cause(
            "spec.versions",
            f"Invalid value: {_VERSIONS}: must contain unique version names",
        )
    if storage != 1:
        yield Cause(
            "spec.versions",
            f"Invalid value: {_VERSIONS}: must have exactly one version marked as "
            "storage version",
        )
    names = _dict(spec.get("names"))
    for key in ("plural", "singular", "kind", "listKind"):
        if not names.get(key):
            yield _required(f"spec.names.{key}")
    yield from _names_causes(names, "spec.names")
    strategy = _dict(spec.get("conversion")).get("strategy")
    if strategy not in (None, "None", "Webhook"):
        yield Cause(
            "spec.conversion.strategy",
            unsupported_value(strategy, ("None", "Webhook")),
            "FieldValueNotSupported",
        )


def _names_causes(names: dict[str, Any], path: str) -> Iterator[Cause]:
    for key in ("plural", "singular"):
        value = names.get(key)
        if value and _dns1035(str(value)):
            yield _invalid(f"{path}.{key}", value, _dns1035(str(value)))
    for key in ("kind", "listKind"):
        value = names.get(key)
        if value and _dns1035(str(value).lower()):
            yield _invalid(
                f"{path}.{key}",
                value,
                "may have mixed case, but should otherwise match: "
                + _dns1035(str(value).lower()),
            )
    for key in ("shortNames", "categories"):
        for index, value in enumerate(names.get(key) or ()):
            if _dns1035(str(value)):
                yield _invalid(f"{path}.{key}[{index}]", value, _dns1035(str(value)))
    kind = names.get("kind")
    if kind and kind == names.get("listKind"):
        yield _invalid(
            f"{path}.listKind", kind, "kind and listKind may not be the same"
        )


def _subresource_causes(subresources: dict[str, Any], path: str) -> Iterator[Cause]:
    scale = subresources.get("scale")
    if not isinstance(scale, dict):
        return
    where = f"{path}.scale"
    for key, prefix, detail in (
        ("specReplicasPath", (".spec.",), "should be a json path under .spec"),
        ("statusReplicasPath", (".status.",), "should be a json path under .status"),
        (
            "labelSelectorPath",
            (".spec.", ".status."),
            "should be a json path under either .spec or .status",
        ),
    ):
        value = scale.get(key)
        if not value:
            if key != "labelSelectorPath":
                yield _required(f"{where}.{key}")
            continue
        if not str(value).startswith("."):
            yield _invalid(
                f"{where}.{key}", value, "must be a simple json path starting with ."
            )
        elif not str(value).startswith(prefix):
            yield _invalid(f"{where}.{key}", value, detail)


def _update_causes(
    spec: dict[str, Any], old: dict[str, Any], was_established: bool
) -> Iterator[Cause]:
    names, old_names = _dict(spec.get("names")), _dict(old.get("names"))
    pairs = [
        ("spec.group", spec.get("group"), old.get("group")),
        ("spec.names.plural", names.get("plural"), old_names.get("plural")),
    ]
    if was_established:
        pairs[:0] = [
            ("spec.scope", spec.get("scope"), old.get("scope")),
            ("spec.names.kind", names.get("kind"), old_names.get("kind")),
        ]
    for path, new, before in pairs:
        if new != before:
            yield _invalid(path, new, "field is immutable")


def _stored_versions_causes(stored: Any, spec: dict[str, Any]) -> Iterator[Cause]:
    stored = [str(v) for v in stored] if isinstance(stored, list) else []
    if not stored:
        yield Cause(
            "status.storedVersions",
            "Invalid value: []string{}: must have at least one stored version",
        )
        return
    versions = [_dict(v) for v in spec.get("versions") or ()]
    for version in versions:
        if version.get("storage") and version.get("name") not in stored:
            yield Cause(
                "status.storedVersions",
                f"Invalid value: apiextensions.CustomResourceDefinitionVersion"
                f'{{Name:"{version.get("name")}", ...}}: must have the storage '
                f"version {version.get('name')}",
            )
    names = {v.get("name") for v in versions}
    for index, value in enumerate(stored):
        if value not in names:
            yield _invalid(
                f"status.storedVersions[{index}]", value, "must appear in spec.versions"
            )


# --------------------------------------------------------------------------- schemas


def _schema_causes(schema: Any, path: str, level: str) -> Iterator[Cause]:
    """ValidateCustomResourceDefinitionOpenAPISchema and the structural schema
    invariants (validateStructuralInvariants), for one node and what is under it."""
    if not isinstance(schema, dict):
        yield _invalid(path, str(schema), "must be a schema object")
        return
    for key, what in _UNSUPPORTED_KEYS:
        if key in schema:
            yield _forbidden(f"{path}.{key}", f"{what} is not supported")
    kind = schema.get("type")
    if kind == "null":
        yield _forbidden(
            f"{path}.type", "type cannot be set to null, use nullable as an alternative"
        )
    elif kind and kind not in _TYPES:
        yield Cause(
            f"{path}.type", unsupported_value(kind, _TYPES), "FieldValueNotSupported"
        )
    if schema.get("uniqueItems") is True:
        yield _forbidden(
            f"{path}.uniqueItems",
            "uniqueItems cannot be set to true since the runtime complexity becomes "
            "quadratic",
        )
    properties = _dict(schema.get("properties"))
    extra = schema.get("additionalProperties")
    if properties and (extra is False or isinstance(extra, dict)):
        yield _forbidden(
            f"{path}.additionalProperties",
            "additionalProperties and properties are mutual exclusive",
        )
    items = schema.get("items")
    if kind == "array" and items is None:
        yield _required(f"{path}.items", "must be specified")
    if isinstance(items, list):
        yield _forbidden(
            f"{path}.items", "items must be a schema object and not an array"
        )
    elif items is not None:
        yield from _schema_causes(items, f"{path}.items", "item")
    for key, sub in properties.items():
        yield from _schema_causes(sub, f"{path}.properties[{key}]", "field")
    if extra is not None and extra is not True and extra is not False:
        if level == "root":
            yield _forbidden(
                f"{path}.additionalProperties", "must not be used at the root"
            )
        yield from _schema_causes(extra, f"{path}.additionalProperties", "field")
    yield from _structural_causes(schema, path, level)


def _structural_causes(
    schema: dict[str, Any], path: str, level: str
) -> Iterator[Cause]:
    kind = schema.get("type")
    int_or_string = schema.get("x-kubernetes-int-or-string")
    preserve = schema.get("x-kubernetes-preserve-unknown-fields")
    embedded = schema.get("x-kubernetes-embedded-resource")
    if int_or_string and preserve:
        yield _invalid(
            f"{path}.x-kubernetes-preserve-unknown-fields",
            True,
            "must be false if x-kubernetes-int-or-string is true",
        )
    if embedded and kind != "object":
        detail = "must be object if x-kubernetes-embedded-resource is true"
        if kind:
            yield _invalid(f"{path}.type", kind, detail)
        else:
            yield _required(f"{path}.type", detail)
    elif not kind and not int_or_string and not preserve:
        yield _required(f"{path}.type", _LEVEL_MESSAGES[level])
    if level == "root" and kind and kind != "object":
        yield _invalid(f"{path}.type", kind, "must be object at the root")
    properties = _dict(schema.get("properties"))
    if level == "root" or embedded:
        for key, wanted in (
            ("kind", "string"),
            ("apiVersion", "string"),
            ("metadata", "object"),
        ):
            sub = properties.get(key)
            if isinstance(sub, dict) and sub.get("type") != wanted:
                yield _invalid(
                    f"{path}.properties[{key}].type",
                    str(sub.get("type") or ""),
                    f"must be {wanted}",
                )
    metadata = properties.get("metadata")
    if level == "root" and isinstance(metadata, dict):
        inner = set(_dict(metadata.get("properties")))
        if set(metadata) - {"type", "properties"} or inner - {"name", "generateName"}:
            yield _forbidden(
                f"{path}.properties[metadata]",
                "must not specify anything other than name and generateName, but "
                "metadata is implicitly specified",
            )
    if embedded and not preserve and not properties:
        yield _required(
            f"{path}.properties",
            "must not be empty if x-kubernetes-embedded-resource is true without "
            "x-kubernetes-preserve-unknown-fields",
        )
