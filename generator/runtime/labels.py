"""Label selectors, parsed as k8s.io/apimachinery/pkg/labels does.

Shared by the client (listers filter their cache with them) and the test API
server (which answers a malformed one with 400 BadRequest)::

    selector = parse_labels("app=web,tier in (front,back),!canary")
    selector.matches(pod_wire_dict)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["InvalidLabelSelector", "LabelSelector", "Requirement", "parse_labels"]


class InvalidLabelSelector(ValueError):
    """A label selector that does not parse; the message says why, as the server's."""


_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_LABEL_KEY = re.compile(
    rf"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?{_NAME}$"
)
_LABEL_VALUE = re.compile(rf"^({_NAME})?$")
_TOKEN = re.compile(r"\s*(!=|==|=|!|\(|\)|,|>|<|[^\s!=(),<>]+)")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # exists, !, =, !=, in, notin, gt, lt
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, Any]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        op = self.op
        if op == "exists":
            return present
        if op == "!":
            return not present
        if op in ("=", "in"):
            return present and value in self.values
        if op in ("!=", "notin"):
            return not present or value not in self.values
        if not present:
            return False
        try:
            number = int(str(value))
        except ValueError:
            return False
        bound = int(self.values[0])
        return number > bound if op == "gt" else number < bound

    def __str__(self) -> str:
        key, values = self.key, self.values
        if self.op == "exists":
            return key
        if self.op == "!":
            return f"!{key}"
        if self.op in ("in", "notin"):
            return f"{key} {self.op} ({','.join(sorted(values))})"
        symbol = {"gt": ">", "lt": "<"}.get(self.op, self.op)
        return f"{key}{symbol}{values[0]}"


class LabelSelector:
    def __init__(self, requirements: list[Requirement]) -> None:
        self.requirements = requirements

    def matches(self, obj: Mapping[str, Any]) -> bool:
        if not self.requirements:
            return True
        meta = obj.get("metadata")
        labels = meta.get("labels") if isinstance(meta, Mapping) else None
        if not isinstance(labels, Mapping):
            labels = {}  # missing, or malformed in storage: no labels
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in sorted(self.requirements, key=lambda r: r.key))


def parse_labels(text: str) -> LabelSelector:
    """labels.Parse: the query-string form of a label selector."""
    tokens = _tokenize(text)
    requirements: list[Requirement] = []
    pos = 0
    while pos < len(tokens):
        requirement, pos = _requirement(tokens, pos)
        requirements.append(requirement)
        if pos < len(tokens):
            if tokens[pos] != ",":
                raise InvalidLabelSelector(
                    f"unable to parse requirement: found '{tokens[pos]}', expected: ','"
                )
            pos += 1
            if pos == len(tokens):
                raise InvalidLabelSelector("found '', expected: identifier after ','")
    return LabelSelector(requirements)


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:  # pragma: no cover - the pattern accepts any character
            raise InvalidLabelSelector(f"unable to parse requirement: {text!r}")
        tokens.append(match.group(1))
        pos = match.end()
    return tokens


def _requirement(tokens: list[str], pos: int) -> tuple[Requirement, int]:
    if tokens[pos] == "!":
        key = _key(tokens, pos + 1)
        return Requirement(key, "!"), pos + 2
    key = _key(tokens, pos)
    pos += 1
    if pos == len(tokens) or tokens[pos] == ",":
        return Requirement(key, "exists"), pos
    op = tokens[pos]
    pos += 1
    if op in ("in", "notin"):
        values, pos = _value_set(tokens, pos)
        return Requirement(key, op, values), pos
    if op in ("=", "==", "!="):
        value = "" if pos == len(tokens) or tokens[pos] == "," else tokens[pos]
        _check_value(value)
        step = 0 if value == "" else 1
        return Requirement(key, "!=" if op == "!=" else "=", (value,)), pos + step
    if op in (">", "<"):
        number = tokens[pos] if pos < len(tokens) else ""
        if not re.fullmatch(r"-?\d+", number):
            raise InvalidLabelSelector(
                f"unable to parse requirement: for 'Gt', 'Lt' operators, the value "
                f"must be an integer: {number!r}"
            )
        return Requirement(key, "gt" if op == ">" else "lt", (number,)), pos + 1
    raise InvalidLabelSelector(f"found '{op}', expected: '=', '!=', '==', 'in', notin'")


def _key(tokens: list[str], pos: int) -> str:
    key = tokens[pos] if pos < len(tokens) else ""
    if not _LABEL_KEY.match(key) or len(key.rpartition("/")[2]) > 63:
        raise InvalidLabelSelector(
            f'unable to parse requirement: <nil>: Invalid value: "{key}": name part '
            "must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character"
        )
    return key


def _value_set(tokens: list[str], pos: int) -> tuple[tuple[str, ...], int]:
    if pos >= len(tokens) or tokens[pos] != "(":
        raise InvalidLabelSelector("found '', expected: '('")
    pos += 1
    values: list[str] = []
    while pos < len(tokens) and tokens[pos] != ")":
        if tokens[pos] == ",":
            if not values or tokens[pos - 1] == ",":
                values.append("")
            pos += 1
            continue
        _check_value(tokens[pos])
        values.append(tokens[pos])
        pos += 1
    if pos >= len(tokens):
        raise InvalidLabelSelector("found '', expected: ')'")
    if not values:
        raise InvalidLabelSelector(
            "unable to parse requirement: values: Invalid value: \"\": for 'in', "
            "'notin' operators, values set can't be empty"
        )
    return tuple(values), pos + 1


def _check_value(value: str) -> None:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise InvalidLabelSelector(
            f'unable to parse requirement: values[0]: Invalid value: "{value}": a '
            "valid label must be an empty string or consist of alphanumeric "
            "characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character"
        )
