"""Go's own parsers of a few JSON string values, with their error messages:
base64 ([]byte fields), resource.Quantity, and time.Parse with RFC 3339
(metav1.Time). Used by the request body type checks (typecheck.py)."""

from __future__ import annotations

import base64
import binascii
import re

_BASE64_CHARS = re.compile(r"[A-Za-z0-9+/]")


def base64_problem(text: str) -> str | None:
    """Go's base64.StdEncoding.Decode error (``illegal base64 data at input
    byte N``), or None; like Go, CR and LF are ignored."""
    data = text.replace("\r", "").replace("\n", "")
    try:
        base64.b64decode(data, validate=True)
        return None
    except (binascii.Error, ValueError):
        pass
    # where Go stops: the first character that is not in the alphabet, or a bad
    # padding / length at the end
    for index, char in enumerate(data):
        if char == "=":
            break
        if not _BASE64_CHARS.match(char):
            return f"illegal base64 data at input byte {_raw_index(text, index)}"
    body = data.rstrip("=")
    padded = len(data) - len(body)
    quantum = len(body) % 4
    if padded and (quantum + padded != 4 or "=" in body):
        index = len(body) if "=" not in body else body.index("=")
        return f"illegal base64 data at input byte {_raw_index(text, index)}"
    return f"illegal base64 data at input byte {_raw_index(text, len(body) - quantum)}"


def _raw_index(text: str, index: int) -> int:
    """``index`` in the text with CR/LF removed, mapped back to the raw text."""
    seen = 0
    for raw, char in enumerate(text):
        if char in "\r\n":
            continue
        if seen == index:
            return raw
        seen += 1
    return len(text)


QUANTITY_FORMAT = (
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
_QUANTITY_SUFFIX = "unable to parse quantity's suffix"
_SI_SUFFIXES = frozenset(
    {"", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi"}
    | {"Ei"}
)
_QUANTITY_SHAPE = re.compile(r"[+-]?[0-9]*(\.[0-9]*)?([eEinumkKMGTP]*)([-+]?[0-9]*)")


def quantity_problem(text: str) -> str | None:
    """resource.ParseQuantity's error for ``text``, or None."""
    if not text:
        return QUANTITY_FORMAT
    if text == "0":
        return None
    match = _QUANTITY_SHAPE.fullmatch(text)
    if match is None:
        return QUANTITY_FORMAT
    letters, digits = match.group(2), match.group(3)
    suffix = letters + digits
    if suffix in _SI_SUFFIXES:
        return None
    if (
        len(suffix) > 1
        and suffix[0] in "eE"
        and re.fullmatch(r"[-+]?[0-9]+", suffix[1:])
    ):
        return None
    return _QUANTITY_SUFFIX


_DIGITS = frozenset("0123456789")
_RFC3339 = "2006-01-02T15:04:05Z07:00"


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rfc3339_problem(value: str) -> str | None:
    """time.Parse(time.RFC3339, value)'s error, or None (fractional seconds are
    accepted, as Go does after the seconds)."""

    def cannot(rest: str, element: str) -> str:
        return (
            f"parsing time {_go_quote(value)} as {_go_quote(_RFC3339)}: cannot parse "
            f"{_go_quote(rest)} as {_go_quote(element)}"
        )

    def out_of_range(what: str) -> str:
        return f"parsing time {_go_quote(value)}: {what} out of range"

    rest = value
    numbers: dict[str, int] = {}
    steps = (
        ("2006", "year"),
        ("-", ""),
        ("01", "month"),
        ("-", ""),
        ("02", "day"),
        ("T", ""),
        ("15", "hour"),
        (":", ""),
        ("04", "minute"),
        (":", ""),
        ("05", "second"),
    )
    for element, what in steps:
        if not what:
            if not rest.startswith(element):
                return cannot(rest, element)
            rest = rest[1:]
            continue
        if what == "year":
            if len(rest) < 4 or not all(c in _DIGITS for c in rest[:4]):
                return cannot(rest, element)
            numbers[what], rest = int(rest[:4]), rest[4:]
            continue
        fixed = what != "hour"
        if not rest or rest[0] not in _DIGITS:
            return cannot(rest, element)
        if len(rest) < 2 or rest[1] not in _DIGITS:
            if fixed:
                return cannot(rest, element)
            numbers[what], rest = int(rest[0]), rest[1:]
        else:
            numbers[what], rest = int(rest[:2]), rest[2:]
        limit = {"month": 12, "hour": 23, "minute": 59, "second": 59}.get(what)
        if (what == "month" and numbers[what] == 0) or (
            limit is not None and numbers[what] > limit
        ):
            return out_of_range(what)
    if len(rest) >= 2 and rest[0] in ".," and rest[1] in _DIGITS:
        end = 2
        while end < len(rest) and rest[end] in _DIGITS:
            end += 1
        rest = rest[end:]
    zone = "Z07:00"
    if rest.startswith("Z"):
        rest = rest[1:]
    elif (
        len(rest) < 6
        or rest[3] != ":"
        or rest[0] not in "+-"
        or not all(c in _DIGITS for c in rest[1:3] + rest[4:6])
    ):
        return cannot(rest, zone)
    else:
        if int(rest[1:3]) > 24:
            return out_of_range("time zone offset hour")
        if int(rest[4:6]) > 60:
            return out_of_range("time zone offset minute")
        rest = rest[6:]
    if rest:
        return (
            f"parsing time {_go_quote(value)} as {_go_quote(_RFC3339)}: extra text: "
            f"{_go_quote(rest)}"
        )
    year, month, day = numbers["year"], numbers["month"], numbers["day"]
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    if day < 1 or day > days:
        return out_of_range("day")
    return None
