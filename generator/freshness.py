"""Reruns: is the output already exactly what this run would write?

A run is keyed by a sha256 of everything its output depends on: the spec
documents (names and bytes), the generator itself (its sources, the runtime it
copies, the templates) and the options. After writing, the key and the digest
of every file written are kept in a stamp in the cache directory. A rerun with
the same key whose output still holds exactly those files (a file edited,
added or removed by hand counts as a change) has nothing to do.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

GENERATOR_DIR = Path(__file__).resolve().parent


def _tree_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def run_key(
    spec_files: Iterable[Path], sources: Iterable[Path], settings: Mapping[str, Any]
) -> str:
    """``sources``: the folders of the generator (code, runtime, templates)."""
    digest = hashlib.sha256()
    for path in spec_files:
        digest.update(f"spec\0{path.name}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for root in sources:
        for path in _tree_files(root):
            digest.update(f"source\0{path.relative_to(root).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def stamp_path(cache_dir: Path, out_dir: Path, package: str) -> Path:
    where = hashlib.sha256(f"{out_dir.resolve()}\0{package}".encode()).hexdigest()
    return cache_dir / "outputs" / f"{where[:24]}.json"


def _output_files(out_dir: Path, package: str) -> dict[str, Path]:
    """What a run writes there (and what a previous one left): the package
    folder and the pyproject.toml beside it; bytecode does not count."""
    found = {}
    pyproject = out_dir / "pyproject.toml"
    if pyproject.is_file():
        found["pyproject.toml"] = pyproject
    if (out_dir / package).is_dir():
        for path in _tree_files(out_dir / package):
            found[path.relative_to(out_dir).as_posix()] = path
    return found


def _digest(content: str | bytes) -> str:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()


def up_to_date(stamp: Path, key: str, out_dir: Path, package: str) -> str | None:
    """The summary recorded by the run that wrote the output, if that run had
    this key and the output is still what it wrote; else None."""
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
        if recorded.get("key") != key:
            return None
        files: dict[str, str] = recorded["files"]
        present = _output_files(out_dir, package)
        if sorted(present) != sorted(files):
            return None
        for relative, path in present.items():
            if _digest(path.read_bytes()) != files[relative]:
                return None
        summary = recorded["summary"]
        return summary if isinstance(summary, str) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no stamp, or an unreadable one: just regenerate


def record(
    stamp: Path, key: str, files: Mapping[str, str | bytes], summary: str
) -> None:
    content = {
        "key": key,
        "files": {relative: _digest(data) for relative, data in sorted(files.items())},
        "summary": summary,
    }
    stamp.parent.mkdir(parents=True, exist_ok=True)
    temporary = stamp.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(content, indent=0), encoding="utf-8")
    os.replace(temporary, stamp)
