"""Object validation: names and metadata as apimachinery validates them, a few
kind-specific rules, and strict field validation (unknown fields) from the typed
models. Custom resources are checked against their CRD's schema (schemas.py),
CustomResourceDefinitions as the apiextensions-apiserver does (crd_validation.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..._model import Field, ListCodec, MapCodec, Model, ModelCodec
from ..protocol.status import Cause, invalid, invalid_value
from .names import name_problems, qualified_name_problems
from .resource import Resource

_CRDS = ("apiextensions.k8s.io", "customresourcedefinitions")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _metadata_causes(meta: dict[str, Any], rule: str) -> Iterator[Cause]:
    name = meta.get("name")
    if not name:
        yield Cause(
            "metadata.name",
            "Required value: name or generateName is required",
            "FieldValueRequired",
        )
    else:
        for problem in name_problems(str(name), rule):
            yield Cause("metadata.name", invalid_value(name, problem))
    yield from _labels_causes(meta.get("labels"))
    annotations = meta.get("annotations") or {}
    for key in annotations if isinstance(annotations, dict) else ():
        for problem in qualified_name_problems(key):
            yield Cause("metadata.annotations", invalid_value(key, problem))
    size = sum(len(k) + len(str(v)) for k, v in annotations.items())
    if size > 256 * 1024:
        yield Cause(
            "metadata.annotations",
            "Too long: may not be more than 262144 bytes",
            "FieldValueTooLong",
        )


def _labels_causes(labels: Any) -> Iterator[Cause]:
    if not isinstance(labels, dict):
        return
    for key, value in labels.items():
        for problem in qualified_name_problems(key):
            yield Cause("metadata.labels", invalid_value(key, problem))
        text = "" if value is None else str(value)
        if len(text) > 63 or not _LABEL_VALUE.match(text):
            yield Cause(
                "metadata.labels",
                invalid_value(
                    text,
                    "a valid label must be an empty string or consist of alphanumeric "
                    "characters, '-', '_' or '.', and must start and end with an "
                    "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                    "'12345', regex used for validation is "
                    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                ),
            )


def _pod_spec_causes(spec: Any, path: str) -> Iterator[Cause]:
    if not isinstance(spec, dict):
        yield Cause(path, "Required value", "FieldValueRequired")
        return
    containers = spec.get("containers")
    if not containers:
        yield Cause(f"{path}.containers", "Required value", "FieldValueRequired")
        return
    seen: set[str] = set()
    for i, container in enumerate(containers):
        where = f"{path}.containers[{i}]"
        name = container.get("name") if isinstance(container, dict) else None
        if not name:
            yield Cause(f"{where}.name", "Required value", "FieldValueRequired")
        elif name in seen:
            yield Cause(
                f"{where}.name", f'Duplicate value: "{name}"', "FieldValueDuplicate"
            )
        else:
            seen.add(name)
            for problem in name_problems(name, "label"):
                yield Cause(f"{where}.name", invalid_value(name, problem))
        if isinstance(container, dict) and not container.get("image"):
            yield Cause(f"{where}.image", "Required value", "FieldValueRequired")


def _template_causes(obj: dict[str, Any]) -> Iterator[Cause]:
    """Workloads: a selector, and a template whose labels it selects."""
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if not selector:
        yield Cause("spec.selector", "Required value", "FieldValueRequired")
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    wanted = (selector or {}).get("matchLabels") or {}
    if selector and any(labels.get(k) != v for k, v in wanted.items()):
        yield Cause(
            "spec.template.metadata.labels",
            invalid_value(
                _go_map(labels), "`selector` does not match template `labels`"
            ),
        )
    yield from _pod_spec_causes(template.get("spec"), "spec.template.spec")


def _go_map(labels: dict[str, Any]) -> str:
    items = ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items()))
    return f"map[string]string{{{items}}}"


def _kind_causes(resource: Resource, obj: dict[str, Any]) -> Iterator[Cause]:
    key = resource.storage_key
    if key == ("", "pods"):
        yield from _pod_spec_causes(obj.get("spec"), "spec")
    elif key in {
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
    }:
        yield from _template_causes(obj)
    elif key == ("", "configmaps"):
        for section in ("data", "binaryData"):
            for data_key in obj.get(section) or {}:
                if (
                    not re.fullmatch(r"[-._a-zA-Z0-9]+", data_key)
                    or len(data_key) > 253
                ):
                    yield Cause(
                        f"{section}[{data_key}]",
                        invalid_value(
                            data_key,
                            "a valid config key must consist of alphanumeric "
                            "characters, '-', '_' or '.' (e.g. 'key.name',  or "
                            "'KEY_NAME',  or 'key-name', regex used for validation "
                            "is '[-._a-zA-Z0-9]+')",
                        ),
                    )


def name_rule(resource: Resource) -> str:
    if resource.storage_key == ("", "services"):
        return "label1035"
    return resource.name_rule


def validate(
    resource: Resource, obj: dict[str, Any], old: dict[str, Any] | None = None
) -> None:
    """Raise 422 Invalid with every cause found, as the real server reports them
    (``old``: the stored object, on update)."""
    meta = obj.get("metadata") or {}
    causes = list(_metadata_causes(meta, name_rule(resource)))
    if resource.custom:
        if resource.schema is not None:
            from .schemas import schema_causes

            causes.extend(schema_causes(obj, resource.schema))
    elif resource.storage_key == _CRDS:
        from .crd_validation import crd_causes

        causes.extend(crd_causes(obj, old))
    else:
        causes.extend(_kind_causes(resource, obj))
    if causes:
        raise invalid(
            resource.info.kind, resource.info.group, str(meta.get("name") or ""), causes
        )


def generate_name_problems(prefix: str, resource: Resource) -> list[str]:
    """generateName must make a valid name once 5 characters are appended."""
    rule = name_rule(resource)
    if rule == "segment":
        return name_problems(prefix, rule)
    candidate = prefix.rstrip("-.") or "a"
    return name_problems(candidate + "x", rule) if not candidate[0].isalnum() else []


# --------------------------------------------------------------------- strict fields


def unknown_fields(obj: Any, model: type[Model] | None) -> list[str]:
    """Wire paths of fields the typed model does not declare (fieldValidation)."""
    found: list[str] = []
    if model is not None:
        _walk(obj, model, "", found)
    return found


def _walk(value: Any, model: type[Model], path: str, found: list[str]) -> None:
    if not isinstance(value, dict):
        return
    fields = model._wire_fields_
    if not fields:
        return  # free-form object
    for key, item in value.items():
        field = fields.get(key)
        where = f"{path}.{key}" if path else key
        if field is None:
            found.append(where)
        elif item is not None:
            _walk_field(item, field, where, found)


def _walk_field(
    value: Any, field: Field[Any, Any], path: str, found: list[str]
) -> None:
    codec = field.codec
    if isinstance(codec, ModelCodec):
        _walk(value, codec.cls, path, found)
    elif isinstance(codec, ListCodec) and isinstance(codec.item, ModelCodec):
        for i, item in enumerate(value if isinstance(value, list) else ()):
            _walk(item, codec.item.cls, f"{path}[{i}]", found)
    elif isinstance(codec, MapCodec) and isinstance(codec.item, ModelCodec):
        for key, item in (value if isinstance(value, dict) else {}).items():
            _walk(item, codec.item.cls, f"{path}[{key}]", found)
