"""Names: wire names and Go package paths -> safe, predictable Python identifiers.

Rules (documented in the README, tested in tests/test_naming.py):

* fields: camelCase -> snake_case, acronyms kept whole (``podIPs`` -> ``pod_ips``,
  ``hostIPC`` -> ``host_ipc``); characters outside ``[A-Za-z0-9_]`` become ``_``
  (``x-kubernetes-embedded-resource`` -> ``x_kubernetes_embedded_resource``,
  ``$ref`` -> ``ref``); leading underscores are dropped, a leading digit gets ``f_``;
  Python keywords and reserved names get a trailing ``_`` (``continue`` ->
  ``continue_``); names that still collide get ``_2``, ``_3`` ... in order of their
  wire names, a name already in snake_case winning the bare spelling.
* classes: the last segment of the schema name, CamelCase, same escaping, always
  starting with an upper-case letter (so never clashing with a field).
* modules: first DNS label of the group (``core`` for the legacy group) + ``_`` +
  version: ``core_v1``, ``apps_v1``, ``networking_v1``.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Iterable

# the one order of versions, shared with the runtime (discovery, test server)
from .runtime.resources import version_priority as version_priority

MAX_IDENTIFIER = 120

_ACRONYM_PLURAL = re.compile(r"([A-Z]{2,})s(?![a-z])")
_ACRONYM_END = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")
_NOT_IDENT = re.compile(r"[^0-9A-Za-z_]+")

KEYWORDS = frozenset(keyword.kwlist)


def ascii_fold(text: str) -> str:
    """Drop accents (``ñ`` -> ``n``); other non-ASCII characters become ``_``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return folded if len(folded) >= len(text) // 2 else _NOT_IDENT.sub("_", text)


def snake_case(wire: str) -> str:
    name = ascii_fold(wire)
    name = _ACRONYM_PLURAL.sub(lambda m: m.group(1) + "S", name)
    name = _ACRONYM_END.sub(r"\1_\2", name)
    name = _WORD_BOUNDARY.sub(r"\1_\2", name)
    name = _NOT_IDENT.sub("_", name).lower()
    name = re.sub(r"_+", "_", name).strip("_")
    if not name:
        name = "field"
    if name[0].isdigit():
        name = "f_" + name
    return _shorten(name)


def camel_case(raw: str) -> str:
    """A class name: ``PodSpec`` stays, ``foo-bar`` -> ``FooBar``, ``9lives`` -> ``M9lives``."""
    name = ascii_fold(raw)
    parts = [p for p in _NOT_IDENT.sub("_", name).split("_") if p]
    name = "".join(p[0].upper() + p[1:] for p in parts)
    if not name:
        name = "Model"
    if not name[0].isalpha():
        name = "M" + name
    return _shorten(name)


def _shorten(name: str) -> str:
    """Keep identifiers readable and file names legal; a hash keeps them distinct."""
    if len(name) <= MAX_IDENTIFIER:
        return name
    import hashlib

    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[: MAX_IDENTIFIER - 11]}_{digest}"


def escape(name: str, reserved: Iterable[str] = ()) -> str:
    """Trailing ``_`` for keywords and reserved names (``continue`` -> ``continue_``)."""
    taken = set(reserved)
    while name in KEYWORDS or name in taken:
        name += "_"
    return name


def unique_names(
    wires: Iterable[str], convert: type[str] | object, reserved: Iterable[str] = ()
) -> dict[str, str]:
    """Map each wire name to a distinct identifier, deterministically.

    ``convert`` is ``snake_case`` or ``camel_case``. Collisions are settled in
    order of (converted name differs from wire name, wire name): the exact
    spelling keeps the bare name, later ones get ``_2``, ``_3`` ...
    """
    fn = convert if callable(convert) else snake_case
    reserved_set = set(reserved)
    candidates = {wire: escape(fn(wire), reserved_set) for wire in wires}
    result: dict[str, str] = {}
    used: set[str] = set(reserved_set)
    # Names already in the target spelling (before escaping) come first.
    for wire in sorted(candidates, key=lambda w: (fn(w) != w, w)):
        name = candidates[wire]
        if name in used:
            n = 2
            while f"{name}_{n}" in used or f"{name}_{n}" in KEYWORDS:
                n += 1
            name = f"{name}_{n}"
        used.add(name)
        result[wire] = name
    return {wire: result[wire] for wire in candidates}


_VERSION = re.compile(r"^v\d+(?:(?:alpha|beta)\d+)?$")


def is_kube_version(text: str) -> bool:
    return bool(_VERSION.match(text))


def module_name(group: str, version: str) -> str:
    """``""``/v1 -> core_v1, ``apps``/v1 -> apps_v1, ``networking.k8s.io``/v1 -> networking_v1."""
    label = group.split(".")[0] if group else "core"
    return snake_case(label) + ("_" + snake_case(version) if version else "")


def module_name_long(group: str, version: str) -> str:
    """The collision fallback: every label but the TLD (``networking_example_v1``)."""
    labels = group.split(".")
    if len(labels) > 2:
        labels = labels[:-1]
    return snake_case("_".join(labels)) + ("_" + snake_case(version) if version else "")
