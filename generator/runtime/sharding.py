"""Sharded list and watch (KEP-5866, Kubernetes 1.36 alpha): the ``shardSelector``.

An object belongs to a shard by the 64-bit FNV-1a hash of one of its fields
(``metadata.uid``, or ``metadata.namespace``). A selector names one or more
half-open ranges of the hash space [0, 2^64)::

    shardRange(object.metadata.uid, '0x0000000000000000', '0x8000000000000000')

:class:`Shard` is shard ``index`` of ``count`` equal ranges; its ``selector`` is
the expression to send (a typed client's ``list(shard=Shard(0, 4))`` does it)::

    for shard in Shard.split(4):                  # four workers, one shard each
        pods = cs.core_v1.pods("").list(shard=shard)

:func:`parse_selector` reads an expression back (the test API server's
validation uses it, so client and server share one hash).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import lru_cache
from typing import Any, Literal

__all__ = [
    "FIELD_PATHS",
    "HASH_SPACE",
    "HashRange",
    "Shard",
    "ShardField",
    "ShardSelector",
    "ShardSelectorError",
    "any_of",
    "fnv1a_64",
    "hash_field",
    "parse_selector",
]

#: The hash space's size: ranges end at most here (exclusive).
HASH_SPACE = 1 << 64
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = HASH_SPACE - 1

ShardField = Literal["uid", "namespace"]
#: The hashed field of each ShardField, as the expression names it.
FIELD_PATHS: dict[ShardField, str] = {
    "uid": "object.metadata.uid",
    "namespace": "object.metadata.namespace",
}
_FIELD_OF_PATH: dict[str, ShardField] = {
    "object.metadata.uid": "uid",
    "object.metadata.namespace": "namespace",
}


def fnv1a_64(data: bytes) -> int:
    """64-bit FNV-1a of ``data`` (Go's ``hash/fnv.New64a``)."""
    h = _FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & _MASK
    return h


def _utf8(value: str) -> bytes:
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: U+FFFD, as Go's JSON decoding
        return "".join(
            "\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value
        ).encode("utf-8")


def _field_value(obj: Mapping[str, Any], field: str) -> str:
    meta = obj.get("metadata") if isinstance(obj, Mapping) else None
    value = meta.get(field) if isinstance(meta, Mapping) else None
    return value if isinstance(value, str) else ""


@lru_cache(maxsize=1 << 16)
def _hash_text(value: str) -> int:
    # uids never change: a server filtering many lists and watches hashes each once
    return fnv1a_64(_utf8(value))


def hash_field(obj: Mapping[str, Any], field: ShardField = "uid") -> int:
    """The shard hash of a wire dict: FNV-1a 64 of ``metadata.<field>`` ("" if
    absent, as for a cluster-scoped object's namespace)."""
    return _hash_text(_field_value(obj, field))


def _hex(value: int) -> str:
    return f"'0x{value:016x}'"


@dataclass(frozen=True)
class HashRange:
    """[start, end) of the hash space."""

    start: int
    end: int

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"HashRange {name} must be an int, not {value!r}")
        if not 0 <= self.start <= self.end <= HASH_SPACE:
            raise ValueError(
                f"HashRange needs 0 <= start <= end <= 2**64: start {self.start:#x}, "
                f"end {self.end:#x}"
            )

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.start <= value < self.end

    def expression(self, field: ShardField = "uid") -> str:
        """``shardRange(object.metadata.uid, '0x…', '0x…')``: 16 hex digits (17 for
        the end of the space, 2^64)."""
        path = FIELD_PATHS[field]
        return f"shardRange({path}, {_hex(self.start)}, {_hex(self.end)})"


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``: the hashes [index*2^64//count,
    (index+1)*2^64//count) of ``field``. ``str(shard)`` is its selector."""

    index: int
    count: int
    field: ShardField = "uid"

    def __post_init__(self) -> None:
        for name in ("index", "count"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"Shard {name} must be an int, not {value!r}")
        if not 1 <= self.count <= HASH_SPACE:
            raise ValueError(f"Shard count must be in 1..2**64, not {self.count}")
        if not 0 <= self.index < self.count:
            raise ValueError(
                f"Shard index must be in 0..{self.count - 1} (count {self.count}), "
                f"not {self.index}"
            )
        if self.field not in FIELD_PATHS:
            raise ValueError(
                f"Shard field must be one of {', '.join(FIELD_PATHS)}, "
                f"not {self.field!r}"
            )

    @classmethod
    def split(cls, count: int, field: ShardField = "uid") -> tuple[Shard, ...]:
        """The ``count`` shards that together cover every object exactly once."""
        first = cls(0, count, field)  # validates count and field
        return (first, *(cls(i, count, field) for i in range(1, count)))

    @property
    def range(self) -> HashRange:
        return HashRange(
            self.index * HASH_SPACE // self.count,
            (self.index + 1) * HASH_SPACE // self.count,
        )

    @property
    def selector(self) -> str:
        """The ``shardSelector`` expression of this shard."""
        return self.range.expression(self.field)

    def __str__(self) -> str:
        return self.selector

    def contains(self, obj: Mapping[str, Any]) -> bool:
        """Whether the server would send this object (a wire dict) to this shard."""
        return hash_field(obj, self.field) in self.range


def any_of(shards: Iterable[Shard]) -> str:
    """One selector for several shards (a worker taking over another's): their
    ranges joined with `` || ``. They must hash the same field."""
    chosen = list(shards)
    if not chosen:
        raise ValueError("any_of needs at least one shard")
    fields = {s.field for s in chosen}
    if len(fields) > 1:
        raise ValueError(
            f"shards of one selector must hash the same field, not {sorted(fields)}"
        )
    return " || ".join(s.selector for s in chosen)


# --------------------------------------------------------------------------- parsing


class ShardSelectorError(ValueError):
    """A malformed ``shardSelector``; the message names the problem and where."""


@dataclass(frozen=True)
class ShardSelector:
    """A parsed ``shardSelector``: the field hashed and the ranges (any matches)."""

    field: ShardField
    ranges: tuple[HashRange, ...]
    _starts: tuple[int, ...] = dataclass_field(init=False, repr=False, compare=False)
    _ends: tuple[int, ...] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # merged, sorted ranges: a lookup is a bisection however many are given
        merged: list[list[int]] = []
        for r in sorted(self.ranges, key=lambda r: r.start):
            if r.start == r.end:
                continue
            if merged and r.start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], r.end)
            else:
                merged.append([r.start, r.end])
        object.__setattr__(self, "_starts", tuple(m[0] for m in merged))
        object.__setattr__(self, "_ends", tuple(m[1] for m in merged))

    def contains_hash(self, value: int) -> bool:
        i = bisect.bisect_right(self._starts, value) - 1
        return i >= 0 and value < self._ends[i]

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return self.contains_hash(hash_field(obj, self.field))

    def __str__(self) -> str:
        return " || ".join(r.expression(self.field) for r in self.ranges)


# CEL's tokens, as far as a shard selector uses them (whitespace is ASCII only)
_TOKEN = re.compile(
    r"""(?P<space>[\ \t\n\r\f]+)|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)|(?P<or>\|\|)
    |(?P<punct>[.(),])|(?P<string>'[^'\n]*'|"[^"\n]*")|(?P<number>[0-9][0-9A-Za-z]*)""",
    re.VERBOSE,
)
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_SHOWN = 40  # characters of an offending token quoted in an error


def _shown(text: str, quote: bool = True) -> str:
    text = text if len(text) <= _SHOWN else text[:_SHOWN] + "..."
    return repr(text) if quote else text


Token = tuple[str, str, int]  # kind, text, position


def _token_at(text: str, pos: int) -> tuple[Token, int]:
    """The token at ``pos`` (after whitespace) and where the one after starts.
    Read one at a time, so an error is the first problem from the left."""
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            if char in "'\"":
                raise ShardSelectorError(
                    f"unterminated string literal at position {pos}"
                )
            raise ShardSelectorError(f"unexpected character {char!r} at position {pos}")
        kind = match.lastgroup or ""
        if kind != "space":
            return (kind, match.group(), pos), match.end()
        pos = match.end()
    return ("end", "", len(text)), len(text)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.token, self.after = _token_at(text, 0)

    def peek(self) -> Token:
        return self.token

    def advance(self) -> None:
        self.token, self.after = _token_at(self.text, self.after)

    def where(self, token: Token) -> str:
        kind, text, pos = token
        if kind == "end":
            return "the end of the expression"
        return f"{_shown(text)} at position {pos}"

    def expect(self, text: str, what: str) -> None:
        token = self.peek()
        if token[1] != text or token[0] == "string":
            raise ShardSelectorError(f"expected {what} but found {self.where(token)}")
        self.advance()

    def selector(self) -> ShardSelector:
        field, first = self.call()
        ranges = [first]
        while self.peek()[0] == "or":
            self.advance()
            if self.peek()[0] == "end":
                raise ShardSelectorError(
                    "trailing '||' at the end of the expression: expected "
                    "shardRange(...) after it"
                )
            other, more = self.call()
            if other != field:
                raise ShardSelectorError(
                    "every shardRange() of a selector must hash the same field: "
                    f"{FIELD_PATHS[field]} and {FIELD_PATHS[other]}"
                )
            ranges.append(more)
        token = self.peek()
        if token[0] != "end":
            raise ShardSelectorError(
                f"expected '||' or the end of the expression but found "
                f"{self.where(token)}"
            )
        return ShardSelector(field, tuple(ranges))

    def call(self) -> tuple[ShardField, HashRange]:
        token = self.peek()
        if token[:2] != ("ident", "shardRange"):
            raise ShardSelectorError(
                f"expected shardRange(...) but found {self.where(token)}"
            )
        self.advance()
        self.expect("(", "'(' after shardRange")
        field = self.field_path()
        self.expect(",", "',' after the field path")
        start = self.hex_literal("hexStart")
        self.expect(",", "',' after hexStart")
        end = self.hex_literal("hexEnd")
        self.expect(")", "')' closing shardRange(")
        if start > end:
            raise ShardSelectorError(
                f"hexStart {start:#x} is greater than hexEnd {end:#x}"
            )
        return field, HashRange(start, end)

    def field_path(self) -> ShardField:
        token = self.peek()
        if token[0] != "ident":
            raise ShardSelectorError(
                f"expected a field path (object.metadata.uid or "
                f"object.metadata.namespace) but found {self.where(token)}"
            )
        parts = [token[1]]
        self.advance()
        while self.peek()[1] == "." and self.peek()[0] == "punct":
            self.advance()
            nxt = self.peek()
            if nxt[0] != "ident":
                raise ShardSelectorError(
                    f"expected a field name after '.' but found {self.where(nxt)}"
                )
            parts.append(nxt[1])
            self.advance()
        path = ".".join(parts)
        field = _FIELD_OF_PATH.get(path)
        if field is not None:
            return field
        if f"object.{path}" in _FIELD_OF_PATH:
            raise ShardSelectorError(
                f"field path {_shown(path)} is in fieldSelector form: write "
                f"object.{path} (CEL-style, rooted at object)"
            )
        raise ShardSelectorError(
            f"unsupported field path {_shown(path)} at position {token[2]}: "
            "supported are object.metadata.uid and object.metadata.namespace"
        )

    def hex_literal(self, name: str) -> int:
        token = self.peek()
        kind, text, pos = token
        if kind != "string":
            raise ShardSelectorError(
                f"expected {name} as a single-quoted string such as '0x0' but found "
                f"{self.where(token)}"
            )
        if text.startswith('"'):
            raise ShardSelectorError(
                f"{name} {_shown(text, False)} at position {pos} must be single-quoted"
            )
        self.advance()
        body = text[1:-1]
        if not _HEX.fullmatch(body):
            raise ShardSelectorError(
                f"{name} {_shown(text, False)} at position {pos} is not a hexadecimal "
                "number with a 0x prefix"
            )
        digits = body[2:].lstrip("0")
        value = int(digits, 16) if digits and len(digits) <= 17 else 0
        if len(digits) > 17 or value > HASH_SPACE:
            raise ShardSelectorError(
                f"{name} {_shown(text, False)} at position {pos} is beyond the end of the "
                "hash space, 0x10000000000000000 (2^64)"
            )
        return value


def parse_selector(text: str) -> ShardSelector | None:
    """A ``shardSelector`` expression; None for an empty one (everything).

    Raises ShardSelectorError naming what is wrong and where."""
    if not isinstance(text, str):
        raise ShardSelectorError(f"a shard selector is a string, not {text!r:.60}")
    if not text.strip():
        return None
    return _Parser(text).selector()
