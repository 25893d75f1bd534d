"""Step 'report': the API change report of the bump, in Markdown and JSON."""

from __future__ import annotations

import os
from pathlib import Path

from ..cli import load_universe
from ..diff import ApiDiff, diff_universes
from ..diff_report import render_json, render_markdown


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)  # a reader never sees half a report


def write_report(
    old: Path,
    new: Path,
    labels: tuple[str, str],
    markdown: Path,
    json_path: Path,
    cache_dir: Path,
) -> ApiDiff:
    """Validated as ``generate`` validates (cached: the new spec was just loaded)."""
    universes = [
        load_universe([str(spec)], validate=True, cache_dir=cache_dir, jobs=None)
        for spec in (old, new)
    ]
    report = diff_universes(*universes, labels=labels)
    _write(markdown, render_markdown(report))
    _write(json_path, render_json(report))
    return report
