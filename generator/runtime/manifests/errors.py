"""The errors of manifests: what cannot be loaded, and what preflight found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Failure", "ManifestError", "PreflightError"]


class ManifestError(ValueError):
    """A manifest that cannot be loaded or mapped; the message names the file,
    the document and the line."""


@dataclass(frozen=True)
class Failure:
    """One document preflight refused: where it is, what it is, why (the
    server's message and ``causes``, the other managers of a conflict)."""

    origin: str
    object: str
    message: str
    causes: tuple[dict[str, Any], ...] = ()
    managers: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        lines = [f"{self.origin}: {self.object}: {self.message}"]
        for cause in self.causes:
            where = cause.get("field") or ""
            text = cause.get("message") or cause.get("reason") or ""
            lines.append(f"    {where}: {text}" if where else f"    {text}")
        return "\n".join(lines)


class PreflightError(ManifestError):
    """Preflight refused some documents. ``failures`` lists every one of them;
    ``applied`` what was applied before (the batch's Namespaces and CRDs, when
    the refused objects could only be checked once those existed), else empty:
    nothing was applied."""

    def __init__(
        self, failures: Sequence[Failure], applied: Sequence[str] = ()
    ) -> None:
        self.failures = list(failures)
        self.applied = list(applied)
        count = len(self.failures)
        done = (
            f"only these were applied: {', '.join(self.applied)}"
            if self.applied
            else "nothing was applied"
        )
        head = f"{count} document{'s' if count != 1 else ''} failed preflight, {done}:"
        super().__init__("\n".join([head, *(str(f) for f in self.failures)]))
