"""Label and field selectors: parsing as k8s.io/apimachinery/pkg/labels and
pkg/fields do, and the per-resource field sets (GetAttrs / field label conversion).

A selector is parsed once per request into a ``Selector`` whose ``matches(obj)``
takes a wire dict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...labels import InvalidLabelSelector, LabelSelector, Requirement
from ...labels import parse_labels as _parse_labels
from ...sharding import ShardSelector, ShardSelectorError, parse_selector
from ..protocol.status import bad_request

# --------------------------------------------------------------------------- labels


def parse_labels(text: str) -> LabelSelector:
    """labels.Parse; a malformed selector is 400 BadRequest."""
    try:
        return _parse_labels(text)
    except InvalidLabelSelector as error:
        raise bad_request(str(error)) from None


def label_selector_string(selector: Any) -> str:
    """metav1.FormatLabelSelector: a LabelSelector struct (or an RC's plain map)
    as the query-string form, e.g. for Scale.status.selector."""
    if not isinstance(selector, dict):
        return ""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}  # ReplicationController: a plain map
    requirements = [
        Requirement(k, "=", (str(v),))
        for k, v in (selector.get("matchLabels") or {}).items()
    ]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in selector.get("matchExpressions") or []:
        op = ops.get(expr.get("operator", ""), "in")
        requirements.append(
            Requirement(expr.get("key", ""), op, tuple(expr.get("values") or ()))
        )
    return str(LabelSelector(requirements))


# --------------------------------------------------------------------------- fields

FieldGetter = Callable[[Mapping[str, Any]], str]


def _path(*keys: str) -> FieldGetter:
    def get(obj: Mapping[str, Any]) -> str:
        value: Any = obj
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)

    return get


def _event_source(obj: Mapping[str, Any]) -> str:
    return _path("source", "component")(obj) or _path("reportingComponent")(obj)


_EVENT_FIELDS: dict[str, FieldGetter] = {
    **{
        f"involvedObject.{k}": _path("involvedObject", k)
        for k in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion")
    },
    "involvedObject.fieldPath": _path("involvedObject", "fieldPath"),
    "reason": _path("reason"),
    "reportingComponent": _path("reportingComponent"),
    "source": _event_source,
    "type": _path("type"),
}

#: (group, plural) -> field label -> getter, beyond metadata.name/namespace
#: (the resources' GetAttrs and ConvertFieldLabel in pkg/apis/*/v1/conversion.go).
RESOURCE_FIELDS: dict[tuple[str, str], dict[str, FieldGetter]] = {
    ("", "pods"): {
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "spec.hostNetwork": _path("spec", "hostNetwork"),
        "status.phase": _path("status", "phase"),
        "status.podIP": _path("status", "podIP"),
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
    ("", "events"): _EVENT_FIELDS,
    ("events.k8s.io", "events"): {
        **{
            f"regarding.{k}": _path("regarding", k)
            for k in ("kind", "namespace", "name", "uid", "apiVersion", "fieldPath")
        },
        "reason": _path("reason"),
        "reportingController": _path("reportingController"),
        "type": _path("type"),
    },
    ("", "secrets"): {"type": _path("type")},
    ("", "nodes"): {"spec.unschedulable": _path("spec", "unschedulable")},
    ("", "namespaces"): {"status.phase": _path("status", "phase")},
    ("", "replicationcontrollers"): {"status.replicas": _path("status", "replicas")},
    ("apps", "replicasets"): {"status.replicas": _path("status", "replicas")},
    ("batch", "jobs"): {"status.successful": _path("status", "successful")},
    ("certificates.k8s.io", "certificatesigningrequests"): {
        "spec.signerName": _path("spec", "signerName")
    },
}

_COMMON_FIELDS: dict[str, FieldGetter] = {
    "metadata.name": _path("metadata", "name"),
    "metadata.namespace": _path("metadata", "namespace"),
}


@dataclass(frozen=True)
class FieldTerm:
    field: str
    value: str
    equal: bool
    get: FieldGetter

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return (self.get(obj) == self.value) == self.equal


class FieldSelector:
    def __init__(self, terms: list[FieldTerm]) -> None:
        self.terms = terms

    @property
    def empty(self) -> bool:
        return not self.terms

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return all(t.matches(obj) for t in self.terms)

    def single_name(self) -> str | None:
        """The name an exact ``metadata.name=x`` selects (a cheap lookup)."""
        for term in self.terms:
            if term.field == "metadata.name" and term.equal:
                return term.value
        return None


def parse_fields(text: str, storage_key: tuple[str, str]) -> FieldSelector:
    """fields.ParseSelector plus the resource's field label conversion."""
    known = {**_COMMON_FIELDS, **RESOURCE_FIELDS.get(storage_key, {})}
    terms: list[FieldTerm] = []
    for part in _split_unescaped(text, ","):
        if not part:
            continue
        field_name, op, value = _field_term(part)
        getter = known.get(field_name)
        if getter is None:
            raise bad_request(f"field label not supported: {field_name}")
        terms.append(FieldTerm(field_name, value, op != "!=", getter))
    return FieldSelector(terms)


def _field_term(part: str) -> tuple[str, str, str]:
    for op in ("!=", "==", "="):
        index = _find_unescaped(part, op)
        if index >= 0:
            return part[:index], op, _unescape(part[index + len(op) :])
    raise bad_request(f"invalid selector: '{part}'; can't understand '{part}'")


def _find_unescaped(text: str, needle: str) -> int:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(needle, i):
            return i
        i += 1
    return -1


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current = ""
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current += text[i : i + 2]
            i += 2
            continue
        if text[i] == sep:
            parts.append(current)
            current = ""
        else:
            current += text[i]
        i += 1
    parts.append(current)
    return parts


def _unescape(value: str) -> str:
    out = ""
    i = 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            if value[i + 1] not in "\\,=":
                raise bad_request(
                    f"invalid field selector: invalid escape sequence: \\{value[i + 1]}"
                )
            out += value[i + 1]
            i += 2
            continue
        if value[i] in ",=":
            raise bad_request(f"invalid field selector: unescaped {value[i]} in value")
        out += value[i]
        i += 1
    return out


# --------------------------------------------------------------------------- shards


def parse_shards(text: str) -> ShardSelector | None:
    """The shardSelector (KEP-5866), hashed as the client's kubeclient.sharding
    does; None for none. A malformed one is 400 BadRequest naming the problem."""
    try:
        return parse_selector(text)
    except ShardSelectorError as error:
        raise bad_request(f"invalid shardSelector: {error}") from None


class Selection:
    """A request's label, field and shard selectors together."""

    def __init__(
        self,
        labels: LabelSelector,
        fields: FieldSelector,
        shards: ShardSelector | None = None,
    ) -> None:
        self.labels = labels
        self.fields = fields
        self.shards = shards

    @property
    def empty(self) -> bool:
        return self.labels.empty and self.fields.empty and self.shards is None

    def matches(self, obj: Mapping[str, Any] | None) -> bool:
        return (
            obj is not None
            and self.labels.matches(obj)
            and self.fields.matches(obj)
            and (self.shards is None or self.shards.matches(obj))
        )


def selection(
    label_text: str,
    field_text: str,
    storage_key: tuple[str, str],
    shard_text: str = "",
) -> Selection:
    return Selection(
        parse_labels(label_text),
        parse_fields(field_text, storage_key),
        parse_shards(shard_text),
    )
