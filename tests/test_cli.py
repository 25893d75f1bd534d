"""The command line: help, errors, all-or-nothing output, determinism."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import BUILD, CACHE, REPO, spec_dir, spec_versions, upstream_testdata
from .specbuilder import (
    base_schemas,
    document,
    kind_schema,
    list_schema,
    resource_paths,
    write,
)


def cli(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".cache" not in p.parts
    }


def progress(line: str) -> bool:
    return line.endswith(" ...")


def small_spec(tmp_path: Path) -> Path:
    schemas = base_schemas()
    schemas["com.example.v1.Widget"] = kind_schema(
        "example.com", "v1", "Widget", {"size": {"type": "integer"}}
    )
    schemas["com.example.v1.WidgetList"] = list_schema(
        "example.com", "v1", "Widget", "com.example.v1.Widget"
    )
    doc = document(
        schemas,
        resource_paths(
            "example.com", "v1", "widgets", "Widget", "com.example.v1.Widget"
        ),
    )
    return write(tmp_path / "spec" / "apis__example.com__v1_openapi.json", doc)


def test_help() -> None:
    for args in (["--help"], ["ir", "--help"]):
        result = cli(*args)
        assert result.returncode == 0 and "--spec" in result.stdout
    assert "--package" in cli("--help").stdout


def test_invalid_spec_exits_non_zero_and_leaves_output_untouched(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    good = small_spec(tmp_path)
    assert (
        cli("--spec", str(good), "--out", str(out), "--package", "pkg").returncode == 0
    )
    before = tree_digest(out)
    bad_doc = document(base_schemas())
    bad_doc["paths"] = {
        "/apis/x/v1/things": {"get": {"responses": {"200": {"description": 1}}}}
    }
    bad = write(tmp_path / "bad" / "bad.json", bad_doc)
    result = cli("--spec", str(bad), "--out", str(out), "--package", "pkg")
    assert result.returncode == 1
    assert f"{bad}#/paths/~1apis~1x~1v1~1things/get/responses/200:" in result.stderr
    problems = [line for line in result.stderr.splitlines() if not progress(line)]
    assert len(problems) == 1 and problems[0].startswith("error: ")  # one clear line
    assert tree_digest(out) == before
    assert sorted(p.name for p in out.iterdir()) == [
        ".cache",
        "pkg",
        "pyproject.toml",
    ]  # no leftovers


def test_failure_while_writing_restores_the_previous_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import output

    out = tmp_path / "out"
    output.write_tree(
        out, "pkg", {"pkg/__init__.py": "old = 1\n", "pkg/a.py": "a = 1\n"}
    )
    calls = {"n": 0}
    real_rename = Path.rename

    def flaky_rename(self: Path, target: str | os.PathLike[str]) -> Path:
        calls["n"] += 1
        if calls["n"] == 2:  # old package moved away, new one not yet in place
            raise OSError("disk full")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", flaky_rename)
    with pytest.raises(OSError):
        output.write_tree(out, "pkg", {"pkg/__init__.py": "new = 1\n"})
    monkeypatch.undo()
    assert (out / "pkg" / "__init__.py").read_text() == "old = 1\n"
    assert (out / "pkg" / "a.py").exists()
    assert sorted(p.name for p in out.iterdir()) == ["pkg"]


def test_output_is_deterministic_across_hash_seeds_and_file_order(
    tmp_path: Path,
) -> None:
    folder = spec_dir("1.36")
    files = sorted(str(p) for p in folder.glob("*.json"))
    a, b = tmp_path / "a", tmp_path / "b"
    first = cli(
        "--spec",
        str(folder),
        "--out",
        str(a),
        "--cache-dir",
        str(CACHE),
        env={"PYTHONHASHSEED": "1"},
    )
    assert first.returncode == 0, first.stderr
    args = [x for f in reversed(files) for x in ("--spec", f)]
    second = cli(*args, "--out", str(b), "--no-cache", env={"PYTHONHASHSEED": "4242"})
    assert second.returncode == 0, second.stderr
    assert tree_digest(a) == tree_digest(b)
    # and a rerun over an existing output changes nothing
    again = cli(
        "--spec",
        str(folder),
        "--out",
        str(a),
        "--cache-dir",
        str(CACHE),
        env={"PYTHONHASHSEED": "7"},
    )
    assert again.returncode == 0 and tree_digest(a) == tree_digest(b)


@pytest.mark.slow
@pytest.mark.parametrize("version", spec_versions())
def test_every_kubernetes_version_generates_and_type_checks(version: str) -> None:
    out = BUILD / f"v{version}-matrix"
    shutil.rmtree(out, ignore_errors=True)
    result = cli(
        "--spec", str(spec_dir(version)), "--out", str(out), "--cache-dir", str(CACHE)
    )
    assert result.returncode == 0, result.stderr
    # the templates lay every file out as black would: black had nothing to do
    assert "with black" not in result.stderr
    black = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", "kubeclient"],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert black.returncode == 0, black.stderr
    mypy = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "kubeclient",
        ],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout
    # the model round trip and the typed clients, against this version's test server
    smoke = subprocess.run(
        [
            sys.executable,
            str(REPO / "tests" / "scripts" / "version_smoke.py"),
            str(upstream_testdata()),
        ],
        env={**os.environ, "PYTHONPATH": str(out)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert smoke.returncode == 0, smoke.stderr
    assert smoke.stdout.startswith(f"ok v{version}"), smoke.stdout


def test_a_kind_without_a_list_kind_is_generated_with_a_warning(tmp_path: Path) -> None:
    schemas = base_schemas()
    schemas["com.example.v1.Widget"] = kind_schema(
        "example.com", "v1", "Widget", {"size": {"type": "integer"}}
    )
    paths = resource_paths(
        "example.com", "v1", "widgets", "Widget", "com.example.v1.Widget"
    )
    collection = paths["/apis/example.com/v1/namespaces/{namespace}/widgets"]
    collection["get"]["responses"]["200"]["content"] = {
        "application/json": {"schema": {"type": "object"}}
    }
    spec = write(tmp_path / "spec.json", document(schemas, paths))
    result = cli(
        "--spec", str(spec), "--out", str(tmp_path / "out"), "--package", "pkg"
    )
    assert result.returncode == 0, result.stderr
    assert "widgets: the spec has the kind Widget but no list kind" in result.stderr
    code = (
        "from pkg.clients.example_v1 import WidgetClient\n"
        "assert hasattr(WidgetClient, 'list') and hasattr(WidgetClient, 'list_all')\n"
        "from pkg.models.example_v1 import Widget\n"
        "assert Widget(size=1).to_dict()['size'] == 1\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(tmp_path / "out")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize(
    ("name", "shadowed"),
    [
        ("os", "the standard library module os"),
        ("json", "the standard library module json"),
        ("typing", "the standard library module typing"),
        ("requests", "requests, which the generated package depends on"),
        ("yaml", "yaml, which the generated package depends on"),
        ("msgspec", "msgspec, which the generated package depends on"),
    ],
)
def test_package_names_that_shadow_a_module_are_refused(
    tmp_path: Path, name: str, shadowed: str
) -> None:
    out = tmp_path / "out"
    result = cli(
        "--spec", str(small_spec(tmp_path)), "--out", str(out), "--package", name
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"error: --package {name!r} would shadow {shadowed}; choose another name\n"
    )
    assert not out.exists()


def test_files_it_did_not_write_are_not_overwritten(tmp_path: Path) -> None:
    spec = small_spec(tmp_path)
    out = tmp_path / "project"
    out.mkdir()
    (out / "pyproject.toml").write_text('[project]\nname = "mine"\n')
    result = cli("--spec", str(spec), "--out", str(out), "--package", "pkg")
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"error: {out / 'pyproject.toml'} exists and was not"
    )
    assert "--force" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "pyproject.toml"
    ]  # no cache either
    assert (out / "pyproject.toml").read_text() == '[project]\nname = "mine"\n'

    (out / "pyproject.toml").unlink()
    (out / "pkg").mkdir()
    (out / "pkg" / "__init__.py").write_text("mine = True\n")
    result = cli("--spec", str(spec), "--out", str(out), "--package", "pkg")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {out / 'pkg'} exists and was not")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "pkg",
        "pkg/__init__.py",
    ]

    forced = cli("--spec", str(spec), "--out", str(out), "--package", "pkg", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (
        "Generated by kubeclient-generator" in (out / "pkg" / "__init__.py").read_text()
    )
    # and what it wrote itself, it overwrites without --force
    (out / "pkg" / "models" / "example_v1.py").write_text("edited = True\n")
    again = cli("--spec", str(spec), "--out", str(out), "--package", "pkg")
    assert again.returncode == 0, again.stderr
    assert "edited" not in (out / "pkg" / "models" / "example_v1.py").read_text()


def test_progress_lines_on_stderr_unless_quiet(tmp_path: Path) -> None:
    spec = small_spec(tmp_path)
    result = cli("--spec", str(spec), "--out", str(tmp_path / "a"), "--package", "pkg")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "reading 1 spec file ...",
        "validating 1 document ...",
        "building the model ...",
        "rendering the package ...",  # laid out as black would: no black phase
        f"writing {tmp_path / 'a' / 'pkg'} ...",
    ]
    assert result.stdout.startswith(f"generated {tmp_path / 'a' / 'pkg'}: ")
    quiet = cli(
        "--spec", str(spec), "--out", str(tmp_path / "b"), "--package", "pkg", "--quiet"
    )
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_a_rerun_on_unchanged_inputs_writes_nothing(tmp_path: Path) -> None:
    spec = small_spec(tmp_path)
    out = tmp_path / "out"
    args = ("--spec", str(spec), "--out", str(out), "--package", "pkg", "--timings")
    first = cli(*args)
    assert first.returncode == 0, first.stderr
    written = tree_digest(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.py")}
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"{out / 'pkg'} is up to date (")
    assert "timings: check " in again.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.py")} == mtimes
    assert "validating" not in again.stderr
    # a file changed by hand, an option or an input: generated again
    (out / "pkg" / "_api.py").write_text("edited = True\n")
    assert "generated " in cli(*args).stdout and tree_digest(out) == written
    (out / "pkg" / "stray.py").write_text("")
    assert "generated " in cli(*args).stdout and tree_digest(out) == written
    bumped = cli(*args, "--package-version", "2.0.1")
    assert bumped.stdout.startswith("generated ")
    assert 'version = "2.0.1"' in (out / "pyproject.toml").read_text()
    spec.write_text(spec.read_text().replace('"integer"', '"string"'))
    assert cli(*args).stdout.startswith("generated ")
    # --no-cache always does the whole work
    assert cli(*args, "--no-cache").stdout.startswith("generated ")


def test_black_is_opt_in_and_changes_nothing(tmp_path: Path) -> None:
    spec = small_spec(tmp_path)
    plain = cli("--spec", str(spec), "--out", str(tmp_path / "a"), "--package", "pkg")
    black = cli(
        "--spec", str(spec), "--out", str(tmp_path / "b"), "--package", "pkg", "--black"
    )
    assert plain.returncode == 0 and black.returncode == 0, black.stderr
    # the templates lay every file out as black would: by default black never runs
    assert not any("with black" in line for line in plain.stderr.splitlines())
    assert "formatting 17 files with black ..." in black.stderr.splitlines()
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


def crd_alone(
    tmp_path: Path, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return cli(
        "--spec",
        str(REPO / "specs" / "example" / "crontab-crd.yaml"),
        "--out",
        str(tmp_path / "out"),
        "--package",
        "crds",
        *options,
        env=env,
    )


def test_a_crd_package_depends_on_the_exact_base_version(tmp_path: Path) -> None:
    base = tmp_path / "path" / "basepkg"
    base.mkdir(parents=True)
    (base / "__init__.py").write_text('"""A base."""\n\n__version__ = "9.8.7"\n')
    found = crd_alone(
        tmp_path, "--base-package", "basepkg", env={"PYTHONPATH": str(base.parent)}
    )
    assert found.returncode == 0, found.stderr
    pyproject = (tmp_path / "out" / "pyproject.toml").read_text()
    assert 'dependencies = ["basepkg==9.8.7"]' in pyproject
    assert 'version = "9.8.7"' in pyproject  # the CRDs follow their base's release
    init = (tmp_path / "out" / "crds" / "__init__.py").read_text()
    assert '__version__ = "9.8.7"' in init

    pinned = crd_alone(
        tmp_path, "--base-package", "kubeclient==1.36.2", "--package-version", "3.1"
    )
    assert pinned.returncode == 0, pinned.stderr
    pyproject = (tmp_path / "out" / "pyproject.toml").read_text()
    assert 'dependencies = ["kubeclient==1.36.2"]' in pyproject
    assert 'version = "3.1"' in pyproject


def test_a_base_package_of_unknown_version_is_refused(tmp_path: Path) -> None:
    result = crd_alone(tmp_path, "--base-package", "no_such_base_pkg")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: --base-package no_such_base_pkg: cannot tell its version"
    )
    assert "--base-package no_such_base_pkg==VERSION" in result.stderr
    assert not (tmp_path / "out").exists()
    bad = crd_alone(tmp_path, "--base-package", "kubeclient==latest")
    assert bad.returncode == 1 and "'latest' is not a version" in bad.stderr
    same = cli(
        "--spec",
        str(REPO / "specs" / "example" / "crontab-crd.yaml"),
        "--out",
        str(tmp_path / "out"),
        "--package",
        "kubeclient",
        "--base-package",
        "kubeclient==1.36.2",
    )
    assert same.returncode == 1 and "is the base package's name" in same.stderr


def test_black_runs_where_it_could_split_a_long_line() -> None:
    from generator.formatting import black_may_split

    long_name = "n" * 90
    assert black_may_split(
        f"class A:\n    {long_name}: Obj[Thing] = F(\n        'x'\n    )\n"
    )
    assert not black_may_split(f'"""{long_name} (text) [is] left {{alone}}."""\n')
    assert not black_may_split(
        f'def f():\n    """Doc.\n\n    {long_name} ( [\n    """\n'
    )
    assert not black_may_split(
        f'KINDS = {{\n    "{long_name}": "module.{long_name}",\n}}\n'
    )
    assert not black_may_split(f"# {long_name} (a comment)\nx = 1\n")
    assert not black_may_split("x = f(a, b)\n")
