"""``python -m generator bump`` on the small example API: outcomes and exit codes.

The whole pipeline runs (generate, imports, report, sdist and wheel) in a few
seconds on specs/example; mypy --strict is left to the end-to-end runs
(test_bump_releases.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from generator.bump import steps
from generator.bump.pipeline import main
from tests.conftest import REPO

EXAMPLE = REPO / "specs" / "example"


def bump(work: Path, *extra: str, spec: Path = EXAMPLE, old: Path = EXAMPLE) -> int:
    return main(
        [
            "--from",
            "1.0",
            "--to",
            "1.1",
            "--spec-source",
            str(spec),
            "--from-spec",
            str(old),
            "--package",
            "exampleclient",
            "--work",
            str(work),
            "--skip-typecheck",
            "--no-build-isolation",
            "--quiet",
            *extra,
        ]
    )


def summary(work: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((work / "summary.json").read_text())
    return loaded


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
    }


@pytest.fixture(scope="module")
def compatible(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("compatible")
    assert bump(work, "--package-version", "1.1.0") == steps.OK
    return work


def test_a_compatible_bump_exits_0_with_report_and_dists(compatible: Path) -> None:
    done = summary(compatible)
    assert done["exit_code"] == 0 and done["failed_step"] is None
    assert (done["breaking"], done["compatible"]) == (0, 0)
    assert done["version"] == "1.1.0"
    assert done["checks"]["modules_imported"] > 100
    assert "**0 breaking**" in (compatible / "report.md").read_text()
    assert json.loads((compatible / "report.json").read_text())["changes"] == []
    assert sorted(digests(compatible / "dist")) == [
        "exampleclient-1.1.0-py3-none-any.whl",
        "exampleclient-1.1.0.tar.gz",
    ]
    pyproject = (compatible / "package" / "pyproject.toml").read_text()
    assert 'version = "1.1.0"' in pyproject


def test_the_same_inputs_give_byte_identical_dists(
    compatible: Path, tmp_path: Path
) -> None:
    """Another folder, another run: the same bytes (SOURCE_DATE_EPOCH, sorted walk)."""
    assert bump(tmp_path, "--package-version", "1.1.0") == steps.OK
    assert digests(tmp_path / "dist") == digests(compatible / "dist")
    wheel = zipfile.ZipFile(tmp_path / "dist" / "exampleclient-1.1.0-py3-none-any.whl")
    entries = wheel.infolist()
    assert {e.date_time for e in entries} == {(1980, 1, 1, 0, 0, 0)}
    names = [e.filename for e in entries]
    assert names[-1].endswith(".dist-info/RECORD")
    assert "exampleclient/__init__.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_breaking_changes_exit_with_their_own_code(tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(EXAMPLE, new)
    crd = new / "backup-crd.yaml"
    text = crd.read_text()
    removed = "                bucket:\n                  type: string\n"
    assert removed in text
    crd.write_text(text.replace(removed, ""))
    work = tmp_path / "work"
    assert bump(work, "--package-version", "1.1.0", spec=new) == steps.BREAKING
    done = summary(work)
    assert done["exit_code"] == steps.BREAKING and done["breaking"] >= 1
    assert "bucket" in (work / "report.md").read_text()
    assert (work / "dist").is_dir()  # the wheels are built all the same


def failing(
    capsys: pytest.CaptureFixture[str], work: Path, step: str, code: int
) -> str:
    assert code == steps.STEP_EXIT_CODES[step]
    err = capsys.readouterr().err
    assert f"bump step '{step}' failed" in err
    done = summary(work)
    assert (done["failed_step"], done["exit_code"]) == (step, code)
    return err


def test_every_failure_names_its_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    code = bump(work, spec=tmp_path / "nowhere")
    assert "no such directory" in failing(capsys, work, "fetch", code)

    # specs/example has no .version, and 1.1 is no patch release
    code = bump(work)
    assert "no .version" in failing(capsys, work, "version", code)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    code = bump(work, "--package-version", "1.1.0", "--out", str(foreign))
    assert "not written by kubeclient-generator" in failing(
        capsys, work, "generate", code
    )
    assert (foreign / "pyproject.toml").read_text() == "[project]\nname = 'mine'\n"

    empty = tmp_path / "fixtures"
    empty.mkdir()
    code = bump(work, "--package-version", "1.1.0", "--fixtures", str(empty))
    assert "no *.json fixtures" in failing(capsys, work, "check", code)

    bad = tmp_path / "old.json"
    bad.write_text('{"swagger": "2.0"}')
    code = bump(work, "--package-version", "1.1.0", old=bad)
    assert "OpenAPI v2" in failing(capsys, work, "report", code)


def test_a_version_that_is_not_the_release_asked_for_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new"
    shutil.copytree(EXAMPLE, new)
    (new / ".version").write_text("v1.2.0\n")
    work = tmp_path / "work"
    code = bump(work, spec=new)
    assert "Kubernetes v1.2.0, not of 1.1" in failing(capsys, work, "version", code)


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--from", "1.35", "--to", "1.36", "--package", "import"])
    assert exited.value.code == steps.USAGE
    assert "not a valid Python package name" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["--from", "1.35", "--to", "1.36", "--kubeconfig", "k"])
    assert exited.value.code == steps.USAGE
    assert "go with --from-cluster" in capsys.readouterr().err
