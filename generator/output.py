"""Writing the generated package: all or nothing.

Everything is written to a temporary directory beside the target first; only
when that is complete is the package directory swapped in (two renames), so an
error or an interrupt never leaves a half-written package behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_tree(out_dir: Path, package: str, files: Mapping[str, str | bytes]) -> None:
    """Write ``files`` (paths relative to ``out_dir``) and swap ``out_dir/package`` in."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{package}.new-", dir=out_dir))
    try:
        for relative, content in sorted(files.items()):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        top_level = sorted({Path(p).parts[0] for p in files})
        retired = Path(tempfile.mkdtemp(prefix=f".{package}.old-", dir=out_dir))
        try:
            for name in top_level:
                current = out_dir / name
                if current.is_dir() and not current.is_symlink():
                    current.rename(retired / name)
                    (staging / name).rename(current)
                else:
                    os.replace(staging / name, current)  # a single file: atomic
        except BaseException:
            # Put back whatever was moved away before the failure.
            for moved in retired.iterdir():
                target = out_dir / moved.name
                if target.exists():
                    shutil.rmtree(target) if target.is_dir() else target.unlink()
                moved.rename(target)
            shutil.rmtree(retired, ignore_errors=True)
            raise
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
