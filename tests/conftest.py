"""Shared fixtures: where the real inputs are, and a v1.36 package generated once per session.

Inputs come from ../shared (this workplace) or the environment:
  KUBECLIENT_SPECS     folder with v1.33 ... v1.36 spec folders (default ../shared/specs)
  KUBECLIENT_TESTDATA  upstream serialization fixtures (default ../shared/testdata/k8s-api-v1.36.0)
A missing input fails the test with instructions; nothing is skipped silently.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SPECS_ROOT = Path(os.environ.get("KUBECLIENT_SPECS", SHARED / "specs"))
TESTDATA = Path(
    os.environ.get("KUBECLIENT_TESTDATA", SHARED / "testdata" / "k8s-api-v1.36.0")
)
BUILD = REPO / "build" / "tests"
CACHE = REPO / "build" / "cache"
MAIN_VERSION = "1.36"

HOW_TO_GET_SPECS = (
    "The upstream Kubernetes OpenAPI v3 documents are expected in {path}. Get them from a "
    "cluster of that version (see README, 'Getting the spec': kubectl get --raw /openapi/v3 "
    "and each path it lists), or point KUBECLIENT_SPECS at a folder holding v1.NN/ folders."
)


def spec_dir(version: str = MAIN_VERSION) -> Path:
    path = SPECS_ROOT / f"v{version}"
    if not path.is_dir() or not any(path.glob("*.json")):
        pytest.fail(HOW_TO_GET_SPECS.format(path=path), pytrace=False)
    return path


def spec_versions() -> list[str]:
    """Every Kubernetes version with a spec folder (at least the main one)."""
    found = sorted(
        (p.name[1:] for p in SPECS_ROOT.glob("v1.*") if p.is_dir()),
        key=lambda v: tuple(int(x) for x in v.split(".")),
    )
    return found or [MAIN_VERSION]


def upstream_testdata() -> Path:
    if not TESTDATA.is_dir() or not any(TESTDATA.glob("*.json")):
        pytest.fail(
            f"The upstream serialization fixtures are expected in {TESTDATA} (one JSON/YAML "
            "object per kind, from kubernetes/api's testdata/HEAD at v1.36.0); set "
            "KUBECLIENT_TESTDATA to their folder.",
            pytrace=False,
        )
    return TESTDATA


def generate(spec: Path | list[Path], out: Path, package: str = "kubeclient") -> Path:
    """Run the generator CLI in-process; return the output directory."""
    from generator.cli import main

    specs = spec if isinstance(spec, list) else [spec]
    argv = [a for s in specs for a in ("--spec", str(s))]
    code = main(
        [*argv, "--out", str(out), "--package", package, "--cache-dir", str(CACHE)]
    )
    assert code == 0, f"generation failed for {specs}"
    return out


@pytest.fixture(scope="session")
def generated() -> Iterator[Path]:
    """The v1.36 package ``kubeclient``, generated once per test session, importable."""
    out = generate(spec_dir(MAIN_VERSION), BUILD / "v1.36")
    sys.path.insert(0, str(out))
    try:
        yield out
    finally:
        sys.path.remove(str(out))
