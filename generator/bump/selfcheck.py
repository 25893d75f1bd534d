"""Step 'check': the generated package imports, round-trips objects, type-checks.

Each check runs in a fresh interpreter with only the output folder added to the
path (as an installed package would be), without writing bytecode into it (the
sdist is built from that folder next).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..errors import GeneratorError

#: imports the package and every module in it; prints {"modules": n, "failed": [...]}
_IMPORT_ALL = r"""
import importlib, json, pkgutil, sys
package = sys.argv[1]
failed = []
root = importlib.import_module(package)
names = [package] + [
    info.name
    for info in pkgutil.walk_packages(
        root.__path__, package + ".", onerror=lambda name: failed.append(name)
    )
]
for name in names:
    try:
        importlib.import_module(name)
    except BaseException as err:
        failed.append(f"{name}: {type(err).__name__}: {err}")
print(json.dumps({"modules": len(names), "failed": failed}))
"""

#: decodes each fixture (one object per *.json file, as kubernetes/api's testdata)
#: with the model of its apiVersion and kind, and encodes it back
_ROUND_TRIP = r"""
import importlib, json, pathlib, sys
package, folder = sys.argv[1], pathlib.Path(sys.argv[2])
models = importlib.import_module(package + ".models")
checked, skipped, failed = 0, 0, []
for path in sorted(folder.glob("*.json")):
    data = json.loads(path.read_text(encoding="utf-8"))
    cls = models.model_class(str(data.get("apiVersion", "")), str(data.get("kind", "")))
    if cls is None:
        skipped += 1  # a kind this release does not serve
        continue
    checked += 1
    try:
        obj = cls.from_dict(data)
        if obj.to_dict() != data or json.loads(obj.to_json()) != data:
            failed.append(f"{path.name}: not the same object after a round trip")
    except Exception as err:
        failed.append(f"{path.name}: {type(err).__name__}: {err}")
print(json.dumps({"checked": checked, "skipped": skipped, "failed": failed}))
"""


def _environment(out: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(out.resolve()),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MYPYPATH": str(out.resolve()),
    }


def _run_script(
    script: str, args: list[str], out: Path, what: str
) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=_environment(out),
        cwd=out,
        timeout=900,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else None
    except ValueError:
        result = None
    if done.returncode != 0 or not isinstance(result, dict):
        raise GeneratorError(f"{what}: {done.stderr.strip()[-2000:] or done.stdout}")
    return result


def _failures(result: dict[str, object]) -> list[str]:
    failed = result.get("failed")
    return [str(f) for f in failed] if isinstance(failed, list) else []


def check_imports(out: Path, package: str) -> int:
    """The number of modules imported; raises GeneratorError naming those that fail."""
    result = _run_script(_IMPORT_ALL, [package], out, f"importing {package}")
    failed = _failures(result)
    if failed:
        shown = "; ".join(failed[:5])
        raise GeneratorError(
            f"{len(failed)} modules of {package} do not import: {shown}"
        )
    modules = result.get("modules")
    return modules if isinstance(modules, int) else 0


def check_round_trip(out: Path, package: str, fixtures: Path) -> int:
    """The number of fixtures that round-tripped (all of those with a model)."""
    if not fixtures.is_dir() or not any(fixtures.glob("*.json")):
        raise GeneratorError(f"--fixtures {fixtures}: no *.json fixtures there")
    result = _run_script(
        _ROUND_TRIP,
        [package, str(fixtures.resolve())],
        out,
        f"round trip of {fixtures}",
    )
    failed = _failures(result)
    if failed:
        shown = "; ".join(failed[:5])
        raise GeneratorError(f"{len(failed)} fixtures do not round-trip: {shown}")
    checked = result.get("checked")
    if not isinstance(checked, int) or checked == 0:
        raise GeneratorError(
            f"--fixtures {fixtures}: no fixture is a kind of {package}"
        )
    return checked


def check_types(out: Path, package: str, cache_dir: Path) -> None:
    """mypy --strict over the whole package (a minute or two for a release)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(cache_dir.resolve()),
            "-p",
            package,
        ],
        capture_output=True,
        text=True,
        env=_environment(out),
        cwd=out,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        errors = [line for line in done.stdout.splitlines() if ": error:" in line]
        shown = "\n".join(errors[:10]) or done.stdout[-2000:] + done.stderr[-2000:]
        raise GeneratorError(f"mypy --strict -p {package} failed:\n{shown}")
