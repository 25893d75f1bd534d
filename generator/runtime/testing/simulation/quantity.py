"""Resource quantities as numbers (cpu in millicores, everything else in
units), enough to add requests up and compare them with allocatable."""

from __future__ import annotations

import re
from typing import Any

_SUFFIXES = {
    "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9,
    "T": 1e12, "P": 1e15, "E": 1e18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30,
    "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}  # fmt: skip
_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")


def parse(value: Any) -> float | None:
    """A quantity's value (None: not a quantity)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        return None
    found = _QUANTITY.match(value.strip())
    if found is None or found.group(2) not in _SUFFIXES:
        return None
    try:
        return float(found.group(1)) * _SUFFIXES[found.group(2)]
    except ValueError:
        return None
