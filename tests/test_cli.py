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
    assert len(result.stderr.splitlines()) == 1  # one clear line
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
