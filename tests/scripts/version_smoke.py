"""Run inside one generated package (PYTHONPATH=<out>): the model round trip over the
upstream fixtures, and the typed ClientSet against that package's own test API server.

    python tests/scripts/version_smoke.py TESTDATA_DIR

Used by tests/test_cli.py for every Kubernetes version in the specs folder, so that a
version bump that breaks generation, typing or the clients fails CI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import kubeclient
from kubeclient import ClientSet
from kubeclient.errors import Conflict, NotFound
from kubeclient.models import KINDS, model_class
from kubeclient.testing import ApiServer


def round_trip(testdata: Path) -> int:
    """Every fixture through the model of its kind (or of the same kind in the served
    version): to_dict(from_dict(d)) == d, unknown fields included."""
    checked = 0
    for path in sorted(testdata.glob("*.json")):
        data = json.loads(path.read_text())
        kind = data.get("kind")
        cls = model_class(data.get("apiVersion", ""), kind or "")
        if cls is None:
            same = sorted(av for av, kinds in KINDS.items() if kind in kinds)
            cls = (
                model_class(same[-1], kind or "") if same else None
            ) or kubeclient.Model
        assert cls.from_dict(data).to_dict() == data, path.name
        assert cls.from_json(path.read_bytes()).to_dict() == data, path.name
        checked += 1
    return checked


def every_resource_has_a_typed_client() -> int:
    """Each resource of the spec (with a kind) is reachable as cs.<gv>.<accessor>()."""
    import inspect

    from kubeclient._api import RESOURCES
    from kubeclient.resource import TypedResourceClient

    cs = ClientSet(transport=object())  # type: ignore[arg-type]  # nothing is sent
    found: dict[tuple[str, str, str], type] = {}
    for module in dir(cs):
        if module.startswith("_") or "_v" not in module:
            continue
        client = getattr(cs, module)
        for name, accessor in inspect.getmembers(client, inspect.ismethod):
            if name.startswith("_"):
                continue
            params = inspect.signature(accessor).parameters
            typed = accessor("default") if params else accessor()
            assert isinstance(typed, TypedResourceClient), (module, name)
            found[typed.resource.gvr] = type(typed)
    missing = [r.gvr for r in RESOURCES if r.model and r.gvr not in found]
    assert not missing, missing
    return len(found)


def clients() -> None:
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta

    with ApiServer(tls=True) as server, ClientSet(server.config()) as cs:
        cms = cs.core_v1.config_maps("default")
        made = cms.create(ConfigMap(metadata=ObjectMeta(name="smoke"), data={"a": "1"}))
        assert made.metadata is not None and made.metadata.resource_version
        version = cms.list().metadata.resource_version  # type: ignore[union-attr]
        made.data = {"a": "2"}
        cms.update(made)
        try:
            cms.update(made)
        except Conflict:
            pass
        else:
            raise AssertionError("stale update did not conflict")
        assert cms.patch("smoke", {"data": {"b": "3"}}).data == {"a": "2", "b": "3"}
        events = [
            e.type for e in cms.watch(resource_version=version, timeout_seconds=1)
        ]
        assert events[:2] == ["MODIFIED", "MODIFIED"], events
        cms.delete("smoke")
        try:
            cms.get("smoke")
        except NotFound:
            pass
        else:
            raise AssertionError("deleted object still there")
        deployments = cs.apps_v1.deployments("default")
        manifest = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "d"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"a": "b"}},
                "template": {
                    "metadata": {"labels": {"a": "b"}},
                    "spec": {"containers": [{"name": "c", "image": "i"}]},
                },
            },
        }
        deployments.create(Deployment.from_dict(manifest))
        deployments.patch_scale("d", {"spec": {"replicas": 3}}, "merge")
        assert deployments.get_scale("d").spec.replicas == 3  # type: ignore[union-attr]
        assert len(list(cs.core_v1.namespaces().list_all(page_size=1))) >= 4


if __name__ == "__main__":
    count = round_trip(Path(sys.argv[1]))
    typed = every_resource_has_a_typed_client()
    clients()
    print(f"ok {kubeclient.KUBERNETES_VERSION} {count} fixtures, {typed} typed clients")
