"""Step 'build': an sdist and a wheel of the generated package, reproducibly.

``python -m build`` with the package's own backend (hatchling, which writes
archive entries in sorted order with normalized permissions and timestamps from
SOURCE_DATE_EPOCH). The epoch defaults to a constant, so the same spec and
generator give byte-identical files on any machine, on any day.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import GeneratorError

#: 1980-01-01, the earliest time a zip entry can carry
DEFAULT_EPOCH = "315532800"


def _drop_bytecode(package_dir: Path) -> None:
    """Caches in the source folder would end up in the sdist, and differ per run."""
    for cache in sorted(package_dir.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache, ignore_errors=True)


def build_dists(
    out: Path, package: str, dist: Path, *, isolation: bool = True
) -> list[Path]:
    """Build into a temporary folder, then replace ``dist`` with it."""
    _drop_bytecode(out / package)
    dist.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dist.name}.partial-", dir=dist.parent))
    command = [
        sys.executable,
        "-m",
        "build",
        "--sdist",
        "--wheel",
        "--outdir",
        str(staging),
        str(out),
    ]
    if not isolation:
        command.append("--no-isolation")  # the backend installed here is used
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH") or DEFAULT_EPOCH,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=env,
            timeout=1800,
            check=False,
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip()[-3000:]
            raise GeneratorError(f"python -m build {out} failed:\n{output}")
        built = sorted(p.name for p in staging.iterdir())
        if not any(n.endswith(".whl") for n in built) or not any(
            n.endswith(".tar.gz") for n in built
        ):
            raise GeneratorError(f"python -m build {out} made {built}, not both")
        staging.chmod(0o755)  # mkdtemp's folders are private
        if dist.exists():
            shutil.rmtree(dist)
        staging.rename(dist)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [dist / name for name in built]
