"""JSON values as Go's apiserver sees them: equality, identity, encoding/json text
and ``%q`` / ``%v`` printing, shared by the patch engines so that their results and
messages match the real server's byte for byte."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MISSING", "go_json", "go_quote", "go_str", "json_equal", "json_key"]


MISSING: Any = object()  # "no value at all", unlike None which is JSON null


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true != 1 (Python's == says otherwise)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(json_equal(v, b[k]) for k, v in a.items())
        )
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def json_key(value: Any) -> str:
    """A hashable identity for a JSON value, as Go compares ``interface{}`` values."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_GO_ESCAPES.update({"\u2028": "\\u2028", "\u2029": "\\u2029"})
_GO_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")


def go_json(value: Any) -> str:
    """Compact JSON as Go's encoding/json writes it (keys sorted, HTML escaped)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _GO_ESCAPE_RE.sub(lambda m: _GO_ESCAPES[m.group()], text)


def go_quote(text: str) -> str:
    """Go's ``%q`` for the usual printable strings."""
    return json.dumps(text, ensure_ascii=False)


def go_str(value: Any) -> str:
    """Go's ``%v`` of a decoded JSON scalar; SMP sorts lists by this text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if value is None:
        return "<nil>"
    if isinstance(value, (dict, list)):
        return go_json(value)
    return str(value)
