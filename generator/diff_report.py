"""The API change report as text: Markdown for people, JSON for tools.

``python -m generator diff`` prints ``render_markdown(diff_universes(old, new))``
(generator.diff computes the changes; this module only lays them out).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator

from .diff import CATEGORIES, ApiDiff, Change, section_order


def _code(text: str) -> str:
    """A Markdown code span that survives backticks in spec names."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _line(c: Change, with_section: bool = False) -> str:
    mark = "**BREAKING** " if c.breaking else ""
    where = f"{_code(c.group_version or c.module)}: " if with_section else ""
    names = (
        f"{_code(c.python)} (wire {_code(c.wire)})"
        if c.python
        else f"{_code(c.wire)} (nothing in the generated package)"
    )
    detail = f": {c.detail}" if c.detail else ""
    return f"- {mark}{where}{c.action} {c.category} {names}{detail}"


def _summary(diff: ApiDiff) -> list[str]:
    counts = diff.counts()
    total_b = sum(b for b, _ in counts.values())
    total_c = sum(c for _, c in counts.values())
    lines = [
        f"**{total_b} breaking**, {total_c} compatible changes.",
        "",
        "| | breaking | compatible |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {CATEGORIES[k]} | {b} | {c} |" for k, (b, c) in counts.items()]
    lines.append(f"| **total** | **{total_b}** | **{total_c}** |")
    return lines


def _sections(changes: Iterable[Change]) -> Iterator[tuple[str, list[Change]]]:
    by_section: dict[tuple[str | None, str], list[Change]] = defaultdict(list)
    for c in changes:
        by_section[(c.group_version, c.module)].append(c)
    for (group_version, module), items in sorted(
        by_section.items(), key=lambda kv: section_order(*kv[0])
    ):
        title = (
            f"{_code(group_version)} (module {_code(module)})"
            if group_version is not None
            else f"{_code(module)} (models shared by several group-versions)"
        )
        yield title, items


def render_markdown(diff: ApiDiff) -> str:
    lines = [
        f"# Kubernetes API changes: {diff.old} -> {diff.new}",
        "",
        "Breaking: code written against the package generated from "
        f"{diff.old} may fail (import, attribute, call, or the server rejecting "
        f"what it sends) with the package generated from {diff.new}.",
        "",
        *_summary(diff),
        "",
        "## Breaking changes",
        "",
    ]
    lines += [_line(c, with_section=True) for c in diff.breaking] or ["None."]
    lines += ["", "## Changes by group-version", ""]
    if not diff.changes:
        lines += ["No API changes.", ""]
    for title, items in _sections(diff.changes):
        lines += [f"### {title}", ""]
        for category, heading in CATEGORIES.items():
            entries = [_line(c) for c in items if c.category == category]
            if entries:
                lines += [f"#### {heading}", "", *entries, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_json(diff: ApiDiff) -> str:
    return json.dumps(diff.to_json(), indent=1, ensure_ascii=False) + "\n"
