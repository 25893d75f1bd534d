"""Apply conflicts: the fields other managers own with a different value, and the
409 Status the server answers with (its message and ``FieldManagerConflict``
causes, as ``k8s.io/apiserver`` ``internal.NewConflictError`` prints them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from .errors import PatchError
from .fieldpath import FieldPath, format_path, path_sort_key
from .jsonvalue import go_quote

__all__ = ["ApplyConflict", "Conflict"]


class Conflict(NamedTuple):
    """One field another manager owns with a different value than applied."""

    manager: str
    path: FieldPath
    operation: str = "Apply"
    api_version: str = ""
    subresource: str = ""

    def manager_text(self) -> str:
        """How the server names the manager in messages (conflict.go printManager)."""
        text = go_quote(self.manager)
        if self.subresource:
            text += f" with subresource {go_quote(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


class ApplyConflict(PatchError):
    """Apply failed: ``conflicts`` lists the fields other managers own (HTTP 409)."""

    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        self.conflicts = sorted(
            conflicts, key=lambda c: (c.manager_text(), path_sort_key(c.path))
        )
        super().__init__(_conflict_message(self.conflicts), 409)

    @property
    def causes(self) -> list[dict[str, str]]:
        """``status.details.causes`` of the real response."""
        return [
            {
                "reason": "FieldManagerConflict",
                "message": f"conflict with {c.manager_text()}",
                "field": format_path(c.path),
            }
            for c in self.conflicts
        ]


def _conflict_message(conflicts: Sequence[Conflict]) -> str:
    if len(conflicts) == 1:
        c = conflicts[0]
        return (
            f"Apply failed with 1 conflict: conflict with {c.manager_text()}: "
            f"{format_path(c.path)}"
        )
    lines: list[str] = []
    last = None
    for c in conflicts:  # sorted by manager, as the server prints them
        if c.manager_text() != last:
            last = c.manager_text()
            lines.append(f"conflicts with {last}:")
        lines.append(f"- {format_path(c.path)}")
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
