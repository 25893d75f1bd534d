"""Cluster mode: ``python -m generator --from-cluster`` reads /openapi/v3 from a cluster
(here the test API server) through the runtime's own config and transport."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import CACHE


@pytest.fixture(scope="module")
def server(generated: Path) -> Iterator[Any]:
    from kubeclient.testing import ApiServer

    with ApiServer(tls=True) as srv:
        yield srv


def run(*args: str) -> int:
    from generator.cli import main

    return main([*args, "--cache-dir", str(CACHE)])


def digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def test_generate_from_the_cluster_and_save_its_spec(
    server: Any, tmp_path: Path
) -> None:
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    saved = tmp_path / "saved"
    assert (
        run(
            "--from-cluster",
            "--kubeconfig",
            str(kubeconfig),
            "--out",
            str(tmp_path / "out"),
            "--save-spec",
            str(saved),
        )
        == 0
    )
    names = {p.name for p in saved.iterdir()}
    assert {"api__v1_openapi.json", "apis__apps__v1_openapi.json", ".version"} <= names
    assert (saved / ".version").read_text().strip().startswith("v1.")
    doc = json.loads((saved / "apis__apps__v1_openapi.json").read_text())
    assert "/apis/apps/v1/namespaces/{namespace}/deployments" in doc["paths"]
    package = tmp_path / "out" / "kubeclient"
    assert (package / "models" / "apps_v1.py").exists() and (
        package / "clients" / "apps_v1.py"
    ).exists()
    # the saved documents generate exactly the same package
    assert run("--spec", str(saved), "--out", str(tmp_path / "again")) == 0
    assert digests(package) == digests(tmp_path / "again" / "kubeclient")


def test_a_document_the_cluster_cannot_serve_is_skipped_with_a_warning(
    server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    # an aggregated API server that is down answers 503 for its document
    server.faults.error(503, path=r"^/openapi/v3/apis/node\.k8s\.io/v1", count=10)
    try:
        assert (
            run(
                "--from-cluster",
                "--kubeconfig",
                str(kubeconfig),
                "--out",
                str(tmp_path / "out"),
            )
            == 0
        )
    finally:
        server.faults.clear()
    err = capsys.readouterr().err
    assert "warning: /openapi/v3/apis/node.k8s.io/v1 could not be read" in err
    assert not (tmp_path / "out" / "kubeclient" / "clients" / "node_v1.py").exists()
    assert (tmp_path / "out" / "kubeclient" / "clients" / "apps_v1.py").exists()


def test_cluster_mode_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "kubeconfig"
    bad.write_text("clusters: {}\n")
    assert (
        run("--from-cluster", "--kubeconfig", str(bad), "--out", str(tmp_path / "out"))
        == 1
    )
    assert str(bad) in capsys.readouterr().err
    unreachable = tmp_path / "unreachable"
    unreachable.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
    )
    assert (
        run(
            "--from-cluster",
            "--kubeconfig",
            str(unreachable),
            "--out",
            str(tmp_path / "out"),
        )
        == 1
    )
    assert "cannot read /openapi/v3" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert (
        run("--from-cluster", "--spec", str(tmp_path), "--out", str(tmp_path / "o"))
        == 1
    )


def test_crds_of_the_cluster_are_generated(server: Any, tmp_path: Path) -> None:
    import kubeclient
    import yaml
    from kubeclient import ClientSet

    from .conftest import REPO

    manifest = yaml.safe_load(
        (REPO / "specs" / "example" / "crontab-crd.yaml").read_text()
    )
    crds = ClientSet(server.config()).apiextensions_v1.custom_resource_definitions()
    crds.create(kubeclient.from_dict(manifest))  # type: ignore[arg-type]
    try:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
        assert (
            run(
                "--from-cluster",
                "--kubeconfig",
                str(kubeconfig),
                "--out",
                str(tmp_path / "out"),
            )
            == 0
        )
    finally:
        crds.delete("crontabs.stable.example.com")
    package = tmp_path / "out" / "kubeclient"
    models = (package / "models" / "stable_v1.py").read_text()
    assert "class CronTab(Model" in models and "class CronTabSpec(Model" in models
    clients = (package / "clients" / "stable_v1.py").read_text()
    assert "class CronTabClient(" in clients and "_verbs.GetScale[" in clients
