"""Output content negotiation of resource requests, as kube-apiserver's
(``handlers/negotiation``, goautoneg, ``RequestScope.AllowsMediaTypeTransform``).

The Accept header is split into media ranges, ordered by q (goautoneg's order,
q=0 included: the server does not drop it); the first range that matches a
serializer (JSON, YAML; ``*/*`` and ``application/*`` match JSON first) with
parameters this endpoint allows wins. ``as``/``g``/``v`` ask for a conversion:
``Table`` (where tables are served), ``PartialObjectMetadata`` and
``PartialObjectMetadataList`` in meta.k8s.io v1 or v1beta1; a range asking for
anything else is skipped, as one with an unknown ``stream`` or ``sv``. Nothing
acceptable is 406. What the conversion then makes of the object (or refuses) is
the caller's business (semantics/partial.py, semantics/tables.py).
"""

from __future__ import annotations

import functools
import math
import re
import struct
from dataclasses import dataclass

from .status import ApiError

JSON = "application/json"
YAML = "application/yaml"
META_GROUP = "meta.k8s.io"
META_VERSIONS = ("v1", "v1beta1")
TABLE = "Table"
PARTIAL = "PartialObjectMetadata"
PARTIAL_LIST = "PartialObjectMetadataList"

#: The serializers, in the server's order: (type, subtype, media type)
_SERIALIZERS = (("application", "json", JSON), ("application", "yaml", YAML))
#: goautoneg sorts with sort.Sort, an insertion sort up to 12 elements: emulated
#: exactly there; longer headers (not sent by real clients) get a stable sort
_INSERTION_SORT_MAX = 12
#: Media ranges looked at: a hostile header cannot make negotiation slow
_MAX_CLAUSES = 256
#: The only values of these parameters the server allows ("" is ignored)
_ALLOWED = {"stream": "watch", "sv": "v1"}
_GO_FLOAT = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)", re.IGNORECASE
)


@dataclass(frozen=True)
class Clause:
    """One media range of an Accept header (goautoneg.Accept)."""

    type: str
    subtype: str
    q: float
    params: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Target:
    """A conversion asked for: ``as`` (kind), ``g``, ``v``."""

    kind: str
    group: str
    version: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass(frozen=True)
class Negotiated:
    media_type: str  # JSON or YAML
    target: Target | None = None


def _go_float32(text: str) -> float:
    """strconv.ParseFloat(text, 32) as goautoneg uses it: 0 on a syntax error."""
    if not _GO_FLOAT.fullmatch(text):
        return 0.0
    value = float(text)
    if math.isnan(value) or math.isinf(value):
        return value
    try:
        return float(struct.unpack("f", struct.pack("f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def _less(a: Clause, b: Clause) -> bool:
    """goautoneg's accept_slice.Less, quirks included."""
    if a.q > b.q:
        return True
    if a.type != "*" and b.type == "*":
        return True
    return a.subtype != "*" and b.subtype == "*"


#: Longest header whose parse is cached (clients repeat a few short ones; a long
#: hostile one must not fill the cache)
_CACHED_CHARS = 1024


def accept_clauses(header: str) -> tuple[Clause, ...]:
    """goautoneg.ParseAccept: media ranges with their q, in preference order."""
    if len(header) <= _CACHED_CHARS:
        return _cached_clauses(header)
    return _parse_clauses(header)


@functools.lru_cache(maxsize=128)
def _cached_clauses(header: str) -> tuple[Clause, ...]:
    return _parse_clauses(header)


def _parse_clauses(header: str) -> tuple[Clause, ...]:
    clauses: list[Clause] = []
    for part in header.split(",", _MAX_CLAUSES)[:_MAX_CLAUSES]:
        pieces = part.split(";")
        kinds = pieces[0].split("/")
        main = kinds[0].strip(" ")
        if len(kinds) == 1 and main == "*":
            sub = "*"
        elif len(kinds) == 2:
            sub = kinds[1].strip(" ")
        else:
            continue
        q = 1.0
        params: list[tuple[str, str]] = []
        for piece in pieces[1:]:
            key, equals, value = piece.partition("=")
            if not equals:
                continue
            key = key.strip(" ")
            if key == "q":
                q = _go_float32(value)
            else:
                params.append((key, value.strip(" ")))
        clauses.append(Clause(main, sub, q, tuple(params)))
    if len(clauses) <= _INSERTION_SORT_MAX:
        for i in range(1, len(clauses)):
            j = i
            while j > 0 and _less(clauses[j], clauses[j - 1]):
                clauses[j], clauses[j - 1] = clauses[j - 1], clauses[j]
                j -= 1
        return tuple(clauses)
    return tuple(sorted(clauses, key=_preference))


def _preference(clause: Clause) -> tuple[float, bool, bool]:
    q = clause.q if clause.q == clause.q else 0.0  # NaN: never greater
    return (-q, clause.type == "*", clause.subtype == "*")


def _options(
    params: tuple[tuple[str, str], ...], tables: bool
) -> tuple[bool, Target | None]:
    """acceptMediaTypeOptions + AllowsMediaTypeTransform: whether the range is
    acceptable here, and the conversion it asks for."""
    found: dict[str, str] = {}
    for key, value in params:
        if key in ("as", "g", "v"):
            found[key] = value  # the last one wins, as in Go's map
        elif value and _ALLOWED.get(key, value) != value:
            return False, None  # a stream schema or server version not served
    if not found:
        return True, None
    target = Target(found.get("as", ""), found.get("g", ""), found.get("v", ""))
    if target.group != META_GROUP or target.version not in META_VERSIONS:
        return False, None
    if target.kind == TABLE:
        return tables, target
    return target.kind in (PARTIAL, PARTIAL_LIST), target


def negotiate(header: str | None, *, tables: bool) -> Negotiated:
    """The media type and conversion of a response (406 if nothing is acceptable).

    ``tables``: whether this response can be a Table (get, list, watch). Where it
    cannot, a header asking only for Tables gets the plain object rather than a
    406 (the real server would print a Table of the created or updated object).
    """
    if not header:
        return Negotiated(JSON)
    clauses = accept_clauses(header)
    for clause in clauses:
        for main, sub, media_type in _SERIALIZERS:
            if (clause.type, clause.subtype) in ((main, sub), (main, "*"), ("*", "*")):
                ok, target = _options(clause.params, tables)
                if ok:
                    return Negotiated(media_type, target)
    if not tables and any(_asks_table(clause) for clause in clauses):
        return Negotiated(JSON)
    raise not_acceptable()


def _asks_table(clause: Clause) -> bool:
    if (clause.type, clause.subtype) != ("application", "json"):
        return False
    target = _options(clause.params, True)[1]
    return target is not None and target.kind == TABLE


def not_acceptable() -> ApiError:
    return ApiError(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, "
        "application/yaml",
    )
