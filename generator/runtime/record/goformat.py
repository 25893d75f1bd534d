"""Go's ``fmt.Sprintf`` for event messages, so ``eventf`` reads as client-go's
``Eventf`` (``%q``, ``%v`` and ``%s`` are not all Python's). Never raises: a
missing or wrong argument shows as Go shows it (``%!d(MISSING)``)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["go_sprintf"]

_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")
_NUMERIC = frozenset("bcdoOxXeEfFgG")


def _go_str(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _bad(verb: str, value: Any) -> str:
    return f"%!{verb}({type(value).__name__}={_go_str(value)})"


def _one(
    flags: str, width: str | None, precision: str | None, verb: str, value: Any
) -> str:
    if verb in ("v", "s"):
        text = _go_str(value)
        if precision is not None and verb == "s":
            text = text[: int(precision)]
    elif verb == "q":
        text = json.dumps(_go_str(value), ensure_ascii=False)
    elif verb == "t":
        text = _go_str(value) if isinstance(value, bool) else _bad(verb, value)
    elif verb in _NUMERIC:
        if verb in "bcdoOxX" and not isinstance(value, int):
            return _bad(verb, value)
        if not isinstance(value, (int, float)):
            return _bad(verb, value)
        spec = f"%{flags}{width or ''}{'.' + precision if precision else ''}"
        python_verb = {"O": "o", "F": "f", "b": "d"}.get(verb, verb)
        try:
            if verb == "b":
                return format(int(value), "b").rjust(int(width or 0))
            return (spec + python_verb) % value
        except (TypeError, ValueError, OverflowError):
            return _bad(verb, value)
    else:
        return _bad(verb, value)
    if width:
        size = int(width)
        text = text.ljust(size) if "-" in flags else text.rjust(size)
    return text


def go_sprintf(fmt: str, args: Sequence[Any]) -> str:
    """``fmt`` with Go verbs filled from ``args``."""
    if not isinstance(fmt, str):
        fmt = _go_str(fmt)
    parts: list[str] = []
    used = 0
    position = 0
    for match in _VERB.finditer(fmt):
        parts.append(fmt[position : match.start()])
        position = match.end()
        flags, width, precision, verb = match.groups()
        if verb == "%":
            parts.append("%")
            continue
        if used >= len(args):
            parts.append(f"%!{verb}(MISSING)")
            continue
        parts.append(_one(flags, width, precision, verb, args[used]))
        used += 1
    parts.append(fmt[position:])
    if used < len(args):
        extra = ", ".join(f"{type(a).__name__}={_go_str(a)}" for a in args[used:])
        parts.append(f"%!(EXTRA {extra})")
    return "".join(parts)
