"""The defaults the server fills in, per resource: kept here for the importers
of ``DEFAULTS``; the code is in :mod:`.defaulting`."""

from __future__ import annotations

from .defaulting import DEFAULTS, Default

__all__ = ["DEFAULTS", "Default"]
