"""kubectl 1.33 ``apply --server-side`` and manifests.apply leave the same
managers and fields (managedFields compared, times aside) on the test server."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
KUBECTL = Path("/usr/lib/google-cloud-sdk/bin/kubectl.1.33")
COMPARED = [FIXTURES / "ingress-nginx", FIXTURES / "gateway-api"]


def kubectl_binary() -> Path:
    if not KUBECTL.exists():
        pytest.fail(
            f"kubectl 1.33 is expected at {KUBECTL} (the machine image ships it; "
            "or install it there from https://dl.k8s.io/release/v1.33.0/bin/linux/"
            "amd64/kubectl)",
            pytrace=False,
        )
    return KUBECTL


def kubectl_apply(server: Any, tmp_path: Path, paths: list[Path]) -> str:
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    argv = [str(kubectl_binary()), "--kubeconfig", str(kubeconfig), "apply"]
    argv += ["--server-side", "--field-manager=ci", "-R"]
    for path in paths:
        argv += ["-f", str(path)]
    # kubectl maps every object before applying: the custom resources of CRDs
    # created in the same run fail the first time, as they do on a real cluster
    subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _managed(cs: Any, obj: dict[str, Any]) -> list[dict[str, Any]]:
    from kubeclient.dynamic import DynamicClient

    dyn = DynamicClient(rest_client=cs.rest_client)
    info = dyn.mapper.resource_for(obj["kind"], obj["apiVersion"])
    resource = dyn.resource(info.gvr)
    namespace = obj["metadata"].get("namespace") or "default"
    client = resource.namespace(namespace) if info.namespaced else resource
    live = client.get(obj["metadata"]["name"])
    return [
        {k: v for k, v in entry.items() if k != "time"}
        for entry in live["metadata"].get("managedFields") or ()
    ]


@pytest.mark.slow
def test_kubectl_and_manifests_apply_leave_the_same_managed_fields(
    generated: Path, tmp_path: Path
) -> None:
    from kubeclient import ClientSet, manifests
    from kubeclient.testing import ApiServer

    objs = manifests.load(COMPARED)
    with ApiServer() as theirs, ApiServer() as ours:
        out = kubectl_apply(theirs, tmp_path, COMPARED)
        assert "deployment.apps/ingress-nginx-controller serverside-applied" in out
        with ClientSet(theirs.config()) as their_cs, ClientSet(ours.config()) as cs:
            manifests.apply(cs, objs, field_manager="ci")
            for obj in objs:
                expected = _managed(their_cs, obj)
                assert [e["manager"] for e in expected if e["manager"] == "ci"], obj
                assert _managed(cs, obj) == expected, obj["metadata"]["name"]
