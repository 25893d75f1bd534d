"""End to end: bump 1.35 -> 1.36 and 1.33 -> 1.36 from the loopback spec server.

Every step runs, mypy --strict included, for 1.35 -> 1.36 (about two minutes);
1.33 -> 1.36 then reuses the work folder (the 1.36 package is up to date, its
validation cached) and skips the type check.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.bump import steps
from generator.bump.pipeline import main
from tests.conftest import BUILD, SPECS_ROOT, spec_dir, upstream_testdata

from .spec_server import SpecServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, dict[str, Any]]]:
    spec_dir("1.33"), spec_dir("1.35"), spec_dir(
        "1.36"
    )  # or fail saying how to get them
    work = BUILD / "bump-releases"
    done: dict[str, dict[str, Any]] = {}
    with SpecServer(SPECS_ROOT) as server:
        common = ["--to", "1.36", "--spec-source", server.url + "v{version}/"]
        common += ["--work", str(work), "--no-build-isolation", "--quiet"]
        fixtures = ["--fixtures", str(upstream_testdata())]
        for old, extra in (("1.35", fixtures), ("1.33", ["--skip-typecheck"])):
            code = main(["--from", old, *common, *extra])
            done[old] = {
                "code": code,
                "summary": json.loads((work / "summary.json").read_text()),
                "report": (work / "report.md").read_text(),
                "dist": {
                    Path(p).name: hashlib.sha256(Path(p).read_bytes()).hexdigest()
                    for p in json.loads((work / "summary.json").read_text())["dist"]
                },
            }
    yield done


def test_1_35_to_1_36_runs_every_step_and_reports_breaking_changes(
    runs: dict[str, dict[str, Any]],
) -> None:
    run = runs["1.35"]
    assert run["code"] == steps.BREAKING, run["summary"]
    summary = run["summary"]
    assert summary["version"] == "1.36.2"
    assert (summary["breaking"], summary["compatible"]) == (19, 152)  # see README
    assert summary["checks"]["mypy_strict"] is True
    assert summary["checks"]["fixtures_round_tripped"] >= 100
    assert summary["checks"]["modules_imported"] > 200
    assert run["report"].startswith("# Kubernetes API changes: v1.35.")
    assert "-> v1.36.2" in run["report"].splitlines()[0]
    assert sorted(Path(p).name for p in summary["dist"]) == [
        "kubeclient-1.36.2-py3-none-any.whl",
        "kubeclient-1.36.2.tar.gz",
    ]
    # the whole upstream folder was listed and downloaded
    served = sorted(p.name for p in spec_dir("1.36").glob("*_openapi.json"))
    downloaded = Path(summary["specs"]["new"])
    assert sorted(p.name for p in downloaded.glob("*_openapi.json")) == served
    assert (downloaded / ".version").read_text().strip() == "v1.36.2"


def test_1_33_to_1_36_reports_more_changes(runs: dict[str, dict[str, Any]]) -> None:
    run = runs["1.33"]
    assert run["code"] == steps.BREAKING
    assert run["report"].startswith("# Kubernetes API changes: v1.33.")
    assert run["summary"]["breaking"] > runs["1.35"]["summary"]["breaking"]
    assert run["summary"]["checks"]["mypy_strict"] is False


def test_both_runs_built_the_same_bytes(runs: dict[str, dict[str, Any]]) -> None:
    """The 1.36 package twice (the second run found it up to date): same dists."""
    assert len(runs["1.35"]["dist"]) == 2
    assert runs["1.33"]["dist"] == runs["1.35"]["dist"]


def test_the_wheel_installs_and_carries_the_release(
    runs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    wheel = next(p for p in runs["1.33"]["summary"]["dist"] if p.endswith(".whl"))
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "-t",
            str(target),
            wheel,
        ],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [sys.executable, "-c", "import kubeclient; print(kubeclient.__version__)"],
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "1.36.2"
