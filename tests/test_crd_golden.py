"""CRDs in, typed models and clients out: the example API in specs/example, checked
against committed golden output (``make golden`` rewrites it after a deliberate change).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import SpecError
from generator.load import load_spec

from .conftest import CACHE, REPO, generate

EXAMPLE = REPO / "specs" / "example"
GOLDEN = REPO / "tests" / "golden" / "example"
RUNTIME = REPO / "generator" / "runtime"


def generated_files(root: Path) -> dict[str, bytes]:
    """The files the templates wrote (not the runtime copied verbatim, not data)."""
    runtime = {p.relative_to(RUNTIME).as_posix() for p in RUNTIME.rglob("*.py")} - {
        "__init__.py"
    }
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        inside = relative.split("/", 1)[1] if "/" in relative else ""
        if (
            path.is_file()
            and "__pycache__" not in relative
            and not relative.endswith(".gz")
            and inside not in runtime
            and not relative.startswith(".cache")
        ):
            files[relative] = path.read_bytes()
    return files


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example")
    return generate(EXAMPLE, out, package="example")


def test_output_matches_the_golden_files(example: Path) -> None:
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for relative, content in generated_files(example).items():
            target = GOLDEN / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    expected = {
        p.relative_to(GOLDEN).as_posix(): p.read_bytes()
        for p in GOLDEN.rglob("*")
        if p.is_file()
    }
    actual = generated_files(example)
    assert sorted(actual) == sorted(
        expected
    ), "files differ; run `make golden` if the change is intended"
    for relative, content in expected.items():
        assert (
            actual[relative] == content
        ), f"{relative} differs; run `make golden` if intended"


def test_crd_kinds_work(example: Path) -> None:
    code = """
import example
from example.models.stable_v1 import CronTab, CronTabSpec
from example.models.ops_v1 import Backup
from example._api import resource
ct = CronTab(spec=CronTabSpec(cron_spec="* * * * */5", image="busybox", timeout="5m"))
assert ct.to_dict() == {"apiVersion": "stable.example.com/v1", "kind": "CronTab",
    "spec": {"cronSpec": "* * * * */5", "image": "busybox", "timeout": "5m"}}
raw = {"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": {"name": "a"},
       "spec": {"template": {"anything": [1, {"x": None}]}, "env": [{"name": "A", "value": "1"}]},
       "status": {"lastScheduleTime": "2024-01-01T00:00:00Z", "conditions": [{"type": "Ready", "status": "True"}]}}
obj = example.from_dict(raw)
assert isinstance(obj, CronTab) and obj.to_dict() == raw
assert obj.status.last_schedule_time.year == 2024
assert obj.spec.env[0].name == "A" and obj.spec.template == {"anything": [1, {"x": None}]}
b = example.from_dict({"apiVersion": "ops.example.com/v1", "kind": "Backup", "spec": {"schedule": {"class": "gold"}}})
assert isinstance(b, Backup) and b.spec.schedule.class_ == "gold"
crontabs = resource("stable.example.com", "v1", "crontabs")
assert crontabs.namespaced and crontabs.list_kind == "CronTabList"
assert [s.name for s in crontabs.subresources] == ["scale", "status"]
assert not resource("ops.example.com", "v1", "backups").namespaced
from example.clients.stable_v1 import CronTabClient
import inspect
assert "strategic" not in str(inspect.signature(CronTabClient.patch))  # CRs have no SMP
assert hasattr(CronTabClient, "get_scale") and hasattr(CronTabClient, "update_status")
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(example)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_example_package_type_checks(example: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "-p",
            "example.models",
            "-p",
            "example.clients",
            "-p",
            "example.clientset",
            "-p",
            "example.informers",
        ],
        cwd=example,
        env={**os.environ, "MYPYPATH": str(example)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_the_served_versions_only(example: Path) -> None:
    models = example / "example" / "models"
    assert (models / "stable_v1beta1.py").exists()
    assert not (models / "stable_v1alpha1.py").exists()  # served: false


def crd(tmp_path: Path, change: Any) -> Path:
    manifest = yaml.safe_load((EXAMPLE / "crontab-crd.yaml").read_text())
    change(manifest)
    path = tmp_path / "crd.yaml"
    path.write_text(yaml.safe_dump(manifest))
    return path


def test_bad_crds_are_named_precisely(tmp_path: Path) -> None:
    meta = EXAMPLE / "meta.yaml"

    def no_type(m: dict[str, Any]) -> None:
        del m["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"][
            "properties"
        ]["image"]["type"]

    with pytest.raises(SpecError, match="not a structural schema") as err:
        load_spec([meta, crd(tmp_path, no_type)], cache_dir=CACHE)
    assert (
        err.value.pointer
        == "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/image"
    )

    def no_schema(m: dict[str, Any]) -> None:
        del m["spec"]["versions"][0]["schema"]

    with pytest.raises(SpecError, match="needs a structural schema"):
        load_spec([meta, crd(tmp_path, no_schema)], cache_dir=CACHE)

    def beta(m: dict[str, Any]) -> None:
        m["apiVersion"] = "apiextensions.k8s.io/v1beta1"

    with pytest.raises(SpecError, match="only apiextensions.k8s.io/v1"):
        load_spec([meta, crd(tmp_path, beta)], cache_dir=CACHE)

    def unserved(m: dict[str, Any]) -> None:
        for v in m["spec"]["versions"]:
            v["served"] = False

    with pytest.raises(SpecError, match="serves no version"):
        load_spec([meta, crd(tmp_path, unserved)], cache_dir=CACHE)

    def bad_scope(m: dict[str, Any]) -> None:
        m["spec"]["scope"] = "Global"

    with pytest.raises(SpecError, match="scope must be"):
        load_spec([meta, crd(tmp_path, bad_scope)], cache_dir=CACHE)


# --------------------------------------------------------------------------- separate package

CRDS = [EXAMPLE / "crontab-crd.yaml", EXAMPLE / "backup-crd.yaml"]
GOLDEN_SEPARATE = REPO / "tests" / "golden" / "example_crds"


@pytest.fixture(scope="module")
def separate(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Path:
    """The CRDs alone, as a package that uses kubeclient's runtime and meta types
    (the one generated for the session, on sys.path: its version is found there)."""
    from generator.cli import main

    out = tmp_path_factory.mktemp("crds")
    args = [a for crd_file in CRDS for a in ("--spec", str(crd_file))]
    code = main(
        [
            *args,
            "--out",
            str(out),
            "--package",
            "example_crds",
            "--base-package",
            "kubeclient",
            "--cache-dir",
            str(CACHE),
        ]
    )
    assert code == 0
    return out


def test_separate_package_matches_its_golden_files(separate: Path) -> None:
    actual = {
        p.relative_to(separate).as_posix(): p.read_bytes()
        for p in sorted(separate.rglob("*"))
        if p.is_file() and ".cache" not in p.parts
    }
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN_SEPARATE, ignore_errors=True)
        for relative, content in actual.items():
            (GOLDEN_SEPARATE / relative).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN_SEPARATE / relative).write_bytes(content)
    expected = {
        p.relative_to(GOLDEN_SEPARATE).as_posix(): p.read_bytes()
        for p in GOLDEN_SEPARATE.rglob("*")
        if p.is_file()
    }
    assert sorted(actual) == sorted(
        expected
    ), "run `make golden` if the change is intended"
    assert all(
        actual[k] == v for k, v in expected.items()
    ), "run `make golden` if intended"
    assert not (
        separate / "example_crds" / "_model.py"
    ).exists()  # the base package's runtime


def test_separate_package_depends_on_the_exact_base_version(
    separate: Path, generated: Path
) -> None:
    """Unpinned, pip would take any kubeclient, whose models may not match."""
    init = (generated / "kubeclient" / "__init__.py").read_text()
    base_version = init.split('__version__ = "', 1)[1].split('"', 1)[0]
    assert base_version == "1.36.2"  # the spec's .version
    for pyproject in (
        separate / "pyproject.toml",
        separate / "example_crds" / "pyproject.toml",
    ):
        text = pyproject.read_text()
        assert 'dependencies = ["kubeclient==1.36.2"]' in text
        assert 'version = "1.36.2"' in text


def test_separate_package_against_the_test_server(
    separate: Path, generated: Path
) -> None:
    code = f"""
import yaml, kubeclient
from kubeclient import ClientSet
from kubeclient.testing import ApiServer
from example_crds import ClientSet as CrdClientSet
from example_crds.models.stable_v1 import CronTab, CronTabSpec
from kubeclient.models.meta_v1 import ObjectMeta, Status
with ApiServer() as server:
    crd = kubeclient.from_dict(yaml.safe_load(open({str(CRDS[0])!r})))
    ClientSet(server.config()).apiextensions_v1.custom_resource_definitions().create(crd)
    crontabs = CrdClientSet(server.config()).stable_v1.cron_tabs("default")
    made = crontabs.create(CronTab(metadata=ObjectMeta(name="nightly"), spec=CronTabSpec(cron_spec="0 0 * * *", image="backup", replicas=1)))
    assert isinstance(made, CronTab) and made.metadata.uid
    made.spec.image = "backup:2"
    assert crontabs.update(made).spec.image == "backup:2"
    assert crontabs.patch("nightly", {{"spec": {{"replicas": 3}}}}, "merge").spec.replicas == 3
    assert crontabs.get_scale("nightly").spec.replicas == 3
    assert [c.metadata.name for c in crontabs.list_all()] == ["nightly"]
    gone = crontabs.delete("nightly")
    assert isinstance(gone, (CronTab, Status)), type(gone)
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": f"{generated}{os.pathsep}{separate}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_separate_package_type_checks(separate: Path, generated: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "-p",
            "example_crds",
        ],
        cwd=separate,
        env={**os.environ, "MYPYPATH": f"{generated}{os.pathsep}{separate}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_crds_alone_need_the_spec_or_a_base_package(tmp_path: Path) -> None:
    from generator.cli import main

    assert (
        main(
            [
                "--spec",
                str(CRDS[0]),
                "--out",
                str(tmp_path / "o"),
                "--cache-dir",
                str(CACHE),
            ]
        )
        == 1
    )
    assert not (tmp_path / "o").exists()
