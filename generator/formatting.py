"""black, in parallel, skipping what was formatted before.

Most of the rendered code is laid out as black would lay it out already, and
is not formatted again (``RenderedPackage.needs_black``; ``--black`` formats
everything, as a double check). Results are cached by (black version, mode,
input): regenerating an unchanged spec skips black entirely.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import black

from .errors import GeneratorError
from .pysource import black_may_split as black_may_split

LINE_LENGTH = 88
MODE = black.Mode(
    target_versions={black.mode.TargetVersion.PY310}, line_length=LINE_LENGTH
)


def _black_version() -> str:
    from importlib.metadata import version

    return version("black")


def _key(source: str) -> str:
    digest = hashlib.sha256()
    digest.update(f"{_black_version()}\0{MODE!r}\0".encode())
    digest.update(source.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _format_one(item: tuple[str, str]) -> tuple[str, str | None, str | None]:
    path, source = item
    try:
        return path, black.format_str(source, mode=MODE), None
    except Exception as err:  # black reports invalid code as various exceptions
        return path, None, f"{type(err).__name__}: {err}"


def format_sources(
    sources: dict[str, str], cache_dir: Path | None = None, jobs: int | None = None
) -> dict[str, str]:
    """Format every source; raise GeneratorError naming a file black cannot parse."""
    cache = cache_dir / "black" if cache_dir is not None else None
    result: dict[str, str] = {}
    todo: list[tuple[str, str]] = []
    keys: dict[str, str] = {}
    for path, source in sources.items():
        key = keys[path] = _key(source)
        cached = cache / key[:2] / key if cache is not None else None
        if cached is not None and cached.is_file():
            result[path] = cached.read_text(encoding="utf-8")
        else:
            todo.append((path, source))
    jobs = jobs or os.cpu_count() or 1
    todo.sort(key=lambda item: -len(item[1]))  # biggest first balances the workers
    outcomes: Iterable[tuple[str, str | None, str | None]]
    if jobs > 1 and len(todo) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
            outcomes = list(pool.map(_format_one, todo, chunksize=1))
    else:
        outcomes = [_format_one(item) for item in todo]
    for path, formatted, error in outcomes:
        if formatted is None:
            raise GeneratorError(
                f"generated {path} is not valid Python ({error}); this is a generator bug"
            )
        result[path] = formatted
        if cache is not None:
            target = cache / keys[path][:2] / keys[path]
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(formatted, encoding="utf-8")
            os.replace(tmp, target)
    return result
