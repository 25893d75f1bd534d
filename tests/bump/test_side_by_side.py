"""Two Kubernetes versions in one process, as during a migration.

``--package kubeclient_v1_35`` and ``--package kubeclient_v1_36`` are two
distributions with two import names; an object goes from one to the other
through its wire dict, fields the other version does not know included.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import BUILD, generate, spec_dir

_MIGRATION = textwrap.dedent("""
    import sys
    import kubeclient_v1_35 as old
    import kubeclient_v1_36 as new
    from kubeclient_v1_35.models.apps_v1 import Deployment as OldDeployment
    from kubeclient_v1_36.models.apps_v1 import Deployment as NewDeployment
    from kubeclient_v1_35.models.core_v1 import Pod as OldPod
    from kubeclient_v1_36.models.core_v1 import Pod as NewPod

    print(old.__version__, new.__version__)
    assert OldDeployment is not NewDeployment
    assert not any(m == "kubeclient" or m.startswith("kubeclient.") for m in sys.modules)

    wire = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }
    before = OldDeployment.from_dict(wire)
    after = NewDeployment.from_dict(before.to_dict())
    assert after.to_dict() == wire
    assert after.spec.replicas == 3 and after.spec.template.spec.containers[0].image == "nginx:1.27"
    assert type(after.spec.template.spec).__module__ == "kubeclient_v1_36.models.core_v1"

    # PodSpec.workloadRef is gone in 1.36: it survives the move as an unknown field
    pod = OldPod.from_dict({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c"}], "workloadRef": {"name": "w", "podGroup": "g"}},
    })
    assert pod.spec.workload_ref is not None
    moved = NewPod.from_dict(pod.to_dict())
    assert not hasattr(moved.spec, "workload_ref")
    assert moved.to_dict() == pod.to_dict()
    assert OldPod.from_dict(moved.to_dict()).spec.workload_ref.name == "w"
    print("migrated")
    """)


@pytest.mark.slow  # generates two whole releases (about 15 s, 30 s uncached)
def test_two_versions_import_side_by_side_and_convert_through_the_wire() -> None:
    out = BUILD / "side-by-side"
    for version in ("1.35", "1.36"):
        package = f"kubeclient_v{version.replace('.', '_')}"
        generate(spec_dir(version), out / version, package)
        pyproject = (out / version / "pyproject.toml").read_text()
        assert f'name = "{package}"' in pyproject  # two distributions
    done = subprocess.run(
        [sys.executable, "-c", _MIGRATION],
        env={
            "PYTHONPATH": f"{out / '1.35'}:{out / '1.36'}",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    versions, migrated = done.stdout.split("\n")[:2]
    assert versions.startswith("1.35.") and versions.endswith(" 1.36.2")
    assert migrated == "migrated"
