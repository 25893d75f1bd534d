"""RBAC PolicyRules: whether one allows a request (rbac.RuleAllows) and whether
a set of rules covers another (validation.Covers, for escalation checks).

Rules are wire dicts (``{"verbs": [...], "apiGroups": [...], ...}``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .attributes import Attributes

__all__ = ["breakdown", "compact_string", "covers", "rule_allows"]

Rule = dict[str, Any]
ALL = "*"


def _strings(rule: Rule, key: str) -> list[str]:
    values = rule.get(key)
    if not isinstance(values, list):
        return []
    return [value for value in values if isinstance(value, str)]


def rule_allows(attributes: Attributes, rule: Rule) -> bool:
    verbs = _strings(rule, "verbs")
    if ALL not in verbs and attributes.verb not in verbs:
        return False
    if not attributes.resource_request:
        return _url_matches(_strings(rule, "nonResourceURLs"), attributes.path)
    groups = _strings(rule, "apiGroups")
    if ALL not in groups and attributes.api_group not in groups:
        return False
    if not _resource_matches(_strings(rule, "resources"), attributes):
        return False
    names = _strings(rule, "resourceNames")
    return not names or attributes.name in names


def _resource_matches(resources: Sequence[str], attributes: Attributes) -> bool:
    wanted = attributes.resource
    if attributes.subresource:
        wanted = f"{attributes.resource}/{attributes.subresource}"
    for resource in resources:
        if resource in (ALL, wanted):
            return True
        if not attributes.subresource:
            continue
        # "*/scale" is every resource's scale; "pods/*" every pod subresource
        if resource == f"*/{attributes.subresource}":
            return True
        if resource == f"{attributes.resource}/*":
            return True
    return False


def _url_matches(urls: Iterable[str], path: str) -> bool:
    for url in urls:
        if url in (ALL, path):
            return True
        if url.endswith("*") and path.startswith(url[:-1]):
            return True
    return False


# --------------------------------------------------------------------------- coverage


def breakdown(rule: Rule) -> list[Rule]:
    """One rule per verb, group, resource and name (validation.BreakdownRule)."""
    simple: list[Rule] = []
    verbs = _strings(rule, "verbs")
    names = _strings(rule, "resourceNames")
    for group in _strings(rule, "apiGroups"):
        for resource in _strings(rule, "resources"):
            for verb in verbs:
                if names:
                    simple.extend(
                        {
                            "apiGroups": [group],
                            "resources": [resource],
                            "verbs": [verb],
                            "resourceNames": [name],
                        }
                        for name in names
                    )
                else:
                    simple.append(
                        {"apiGroups": [group], "resources": [resource], "verbs": [verb]}
                    )
    for url in _strings(rule, "nonResourceURLs"):
        simple.extend({"nonResourceURLs": [url], "verbs": [verb]} for verb in verbs)
    return simple


def covers(owner: Sequence[Rule], requested: Sequence[Rule]) -> list[Rule]:
    """The simple rules of ``requested`` that no rule of ``owner`` covers."""
    missing = []
    for rule in requested:
        for simple in breakdown(rule):
            if not any(_rule_covers(own, simple) for own in owner):
                missing.append(simple)
    return missing


def _rule_covers(owner: Rule, sub: Rule) -> bool:
    verbs = _strings(owner, "verbs")
    groups = _strings(owner, "apiGroups")
    names = _strings(owner, "resourceNames")
    sub_names = _strings(sub, "resourceNames")
    return (
        (ALL in verbs or _has_all(verbs, _strings(sub, "verbs")))
        and (ALL in groups or _has_all(groups, _strings(sub, "apiGroups")))
        and _resources_cover(_strings(owner, "resources"), _strings(sub, "resources"))
        and _urls_cover(
            _strings(owner, "nonResourceURLs"), _strings(sub, "nonResourceURLs")
        )
        and (not names or (bool(sub_names) and _has_all(names, sub_names)))
    )


def _has_all(owned: Sequence[str], wanted: Sequence[str]) -> bool:
    return all(value in owned for value in wanted)


def _resources_cover(owned: Sequence[str], wanted: Sequence[str]) -> bool:
    if ALL in owned:
        return True
    for resource in wanted:
        if resource in owned:
            continue
        if "/" not in resource:
            return False
        if "*/" + resource.split("/", 1)[1] not in owned:
            return False
    return True


def _urls_cover(owned: Sequence[str], wanted: Sequence[str]) -> bool:
    return all(_url_matches(owned, url) for url in wanted)


# --------------------------------------------------------------------------- messages


def compact(rules: Sequence[Rule]) -> list[Rule]:
    """Simple rules differing only in their verb merged (validation.CompactRules)."""
    merged: dict[tuple[Any, ...], Rule] = {}
    out: list[Rule] = []
    for rule in rules:
        if rule.get("resourceNames") or rule.get("nonResourceURLs"):
            out.append(rule)
            continue
        key = (tuple(rule.get("apiGroups", ())), tuple(rule.get("resources", ())))
        if key in merged:
            merged[key]["verbs"].extend(
                verb for verb in rule["verbs"] if verb not in merged[key]["verbs"]
            )
        else:
            merged[key] = {**rule, "verbs": list(rule["verbs"])}
            out.append(merged[key])
    return out


def compact_string(rule: Rule) -> str:
    """A rule as rbacv1helpers.CompactString prints it (Go's %q of a []string)."""
    parts = []
    for label, key in (
        ("APIGroups", "apiGroups"),
        ("Resources", "resources"),
        ("NonResourceURLs", "nonResourceURLs"),
        ("ResourceNames", "resourceNames"),
        ("Verbs", "verbs"),
    ):
        values = _strings(rule, key)
        if values:
            parts.append(f"{label}:{go_quoted_list(values)}")
    return "{" + ", ".join(parts) + "}"


def go_quoted_list(values: Iterable[str]) -> str:
    """Go's ``%q`` of a []string: ``["a" "b"]``."""
    return "[" + " ".join(go_quote(value) for value in values) + "]"


def go_quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
