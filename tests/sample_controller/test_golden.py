"""The sample-controller's Foo package (models, clients, informers on kubeclient's
runtime) is generated from specs/sample-controller/foo-crd.yaml and committed under
examples/sample_controller/samplecontroller; it must match what the generator makes
now (``make golden`` rewrites it after a deliberate change)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ..conftest import CACHE, REPO
from .conftest import CRD

GOLDEN = REPO / "examples" / "sample_controller" / "samplecontroller"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Path:
    from generator.cli import main

    out = tmp_path_factory.mktemp("samplecontroller")
    code = main(
        [
            "--spec",
            str(CRD),
            "--out",
            str(out),
            "--package",
            "samplecontroller",
            "--base-package",
            "kubeclient",
            "--cache-dir",
            str(CACHE),
        ]
    )
    assert code == 0
    return out / "samplecontroller"


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_the_committed_package_is_up_to_date(fresh: Path) -> None:
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(fresh, GOLDEN, ignore=shutil.ignore_patterns("__pycache__"))
    actual, expected = files(fresh), files(GOLDEN)
    assert sorted(actual) == sorted(expected), "run `make golden` if intended"
    for relative, content in expected.items():
        assert actual[relative] == content, f"{relative} differs; run `make golden`"


def test_the_package_holds_foo_and_its_status_subresource(generated: Path) -> None:
    from examples.sample_controller.samplecontroller._api import resource
    from examples.sample_controller.samplecontroller.clients.samplecontroller_v1alpha1 import (
        FooClient,
    )
    from examples.sample_controller.samplecontroller.models.samplecontroller_v1alpha1 import (
        Foo,
    )

    foos = resource("samplecontroller.k8s.io", "v1alpha1", "foos")
    assert foos.namespaced and [s.name for s in foos.subresources] == ["status"]
    assert hasattr(FooClient, "update_status") and not hasattr(FooClient, "get_scale")
    raw = {
        "apiVersion": "samplecontroller.k8s.io/v1alpha1",
        "kind": "Foo",
        "metadata": {"name": "example-foo"},
        "spec": {"deploymentName": "example-foo", "replicas": 1},
        "status": {"availableReplicas": 1},
    }
    made = Foo.from_dict(raw)
    assert (
        made.spec is not None
        and made.spec.deployment_name == "example-foo"
        and made.to_dict() == raw
    )
