"""Reading pods and owners defensively: stored objects may be odd (fixtures,
hand-written status); nothing here raises on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def get(obj: Any, *path: str) -> Any:
    """obj[path...] or None, whatever the types on the way."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def name_of(obj: Any) -> str:
    return str(get(obj, "metadata", "name") or "")


def namespace_of(obj: Any) -> str:
    return str(get(obj, "metadata", "namespace") or "")


def uid_of(obj: Any) -> str:
    return str(get(obj, "metadata", "uid") or "")


def deleting(obj: Any) -> bool:
    return bool(get(obj, "metadata", "deletionTimestamp"))


def controller_ref(obj: Any) -> dict[str, Any] | None:
    for ref in as_list(get(obj, "metadata", "ownerReferences")):
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


def controlled_by(obj: Any, owner_uid: str) -> bool:
    ref = controller_ref(obj)
    return ref is not None and ref.get("uid") == owner_uid


def owner_ref(owner: dict[str, Any], api_version: str, kind: str) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name_of(owner),
        "uid": uid_of(owner),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def phase(pod: Any) -> str:
    return str(get(pod, "status", "phase") or "")


def terminal(pod: Any) -> bool:
    return phase(pod) in ("Succeeded", "Failed")


def active(pod: Any) -> bool:
    """What controllers count: neither finished nor being deleted."""
    return not terminal(pod) and not deleting(pod)


def condition(obj: Any, kind: str) -> dict[str, Any] | None:
    for cond in as_list(get(obj, "status", "conditions")):
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return None


def ready(pod: Any) -> bool:
    cond = condition(pod, "Ready")
    return cond is not None and cond.get("status") == "True"


def parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def int_or(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    return default


def matches_selector(labels: Any, selector: Any) -> bool:
    """A LabelSelector (matchLabels, matchExpressions) against labels; a
    missing or malformed selector matches nothing."""
    if not isinstance(selector, dict):
        return False
    labels = as_dict(labels)
    match_labels = as_dict(selector.get("matchLabels"))
    expressions = as_list(selector.get("matchExpressions"))
    if not match_labels and not expressions:
        return False
    for key, value in match_labels.items():
        if labels.get(key) != value:
            return False
    return all(expression_matches(labels, e) for e in expressions)


def expression_matches(labels: dict[str, Any], expression: Any) -> bool:
    if not isinstance(expression, dict):
        return False
    key = expression.get("key")
    operator = expression.get("operator")
    values = [str(v) for v in as_list(expression.get("values"))]
    present = isinstance(key, str) and key in labels
    value = str(labels.get(str(key))) if present else None
    if operator == "In":
        return present and value in values
    if operator == "NotIn":
        return not present or value not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt") and present and values:
        try:
            left, right = int(str(value)), int(values[0])
        except ValueError:
            return False
        return left > right if operator == "Gt" else left < right
    return False
