"""kubeclient.manifests against the test API server: directories in the style of
kube-prometheus, ingress-nginx and gateway-api loaded, applied, re-applied (all
unchanged), diffed after a change and deleted; preflight, conflicts, dry-run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
PROJECTS = [
    FIXTURES / name for name in ("kube-prometheus", "ingress-nginx", "gateway-api")
]


def _load(*paths: Path) -> list[Any]:
    from kubeclient import manifests

    loaded: list[Any] = manifests.load(list(paths))
    return loaded


def test_load_reads_directories_lists_and_yaml_1_2(generated: Path) -> None:
    objs = _load(FIXTURES / "kube-prometheus")
    kinds = [o["kind"] for o in objs]
    # path order, recursively (setup/ comes after the top-level files)
    assert kinds == [
        "AlertmanagerConfig",
        "ConfigMap",
        "ServiceAccount",
        "Deployment",
        "Service",
        "PrometheusRule",
        "CustomResourceDefinition",
        "Namespace",
        "CustomResourceDefinition",
    ]
    config = objs[1]["data"]
    assert config == {
        "debug": "on",
        "tls-verify": "off",
        "follow-redirects": "yes",
        "ipv6": "no",
        "max-bytes": "1_000",
        "window": "12:30",
        "config.yml": "modules:\n  http_2xx:\n    prober: http",
    }
    volume = objs[3]["spec"]["template"]["spec"]["volumes"][0]
    assert volume["configMap"]["defaultMode"] == 0o644  # octal, as go-yaml reads it
    matchers = objs[0]["spec"]["route"]["matchers"]
    assert [m["matchType"] for m in matchers] == ["=", "=~"]
    assert objs[0]["spec"]["receivers"][0]["webhookConfigs"][0]["sendResolved"] is True
    crd = objs[6]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    enum = crd["properties"]["spec"]["properties"]["route"]["properties"]["matchers"]
    assert enum["items"]["properties"]["matchType"]["enum"] == ["!=", "=", "=~", "!~"]
    assert str(objs[3].origin) == (
        f"{FIXTURES / 'kube-prometheus' / 'blackbox-exporter.yaml'}: document 3 (line 26)"
    )

    nginx = _load(FIXTURES / "ingress-nginx")
    assert [o["kind"] for o in nginx][3:5] == ["ClusterRole", "ClusterRoleBinding"]
    assert str(nginx[4].origin).endswith("deploy.yaml: document 4 (line 25), item 1")
    gateways = _load(FIXTURES / "gateway-api" / "gateways.yaml")
    assert [(o["apiVersion"], o["kind"], o["metadata"]["name"]) for o in gateways] == [
        ("gateway.networking.k8s.io/v1", "GatewayClass", "example"),
        ("gateway.networking.k8s.io/v1", "Gateway", "internal"),
        ("gateway.networking.k8s.io/v1", "Gateway", "public"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "kind: A\napiVersion: v1\n---\na: [1\n",
            "<text>: document 2 (line 5, column 1): invalid YAML",
        ),
        (
            "---\n- 1\n",
            "<text>: document 1 (line 2): a manifest must be an object, not a list",
        ),
        (
            "apiVersion: v1\nmetadata: {}\n",
            "<text>: document 1 (line 1): the object has no kind",
        ),
        (
            "kind: A\napiVersion: v1\n---\nkind: B\nkind: C\n",
            "<text>: document 2 (line 5, column 1): invalid YAML: key 'kind' is "
            "already defined at line 4",
        ),
        (
            "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n",
            "item 0: the object has no apiVersion",
        ),
    ],
)
def test_load_errors_name_the_document_and_line(
    generated: Path, text: str, message: str
) -> None:
    from kubeclient import manifests

    with pytest.raises(manifests.ManifestError) as err:
        manifests.load(text)
    assert message in str(err.value)


def test_load_of_a_missing_file(generated: Path, tmp_path: Path) -> None:
    from kubeclient import manifests

    with pytest.raises(manifests.ManifestError, match=r"nope\.yaml: cannot read"):
        manifests.load(tmp_path / "nope.yaml")


def _live(cs: Any, result: Any) -> Any:
    from kubeclient.dynamic import DynamicClient

    obj = result.object
    dyn = DynamicClient(rest_client=cs.rest_client)
    resource = dyn.resource_for_kind(obj["kind"], obj["apiVersion"])
    namespace = obj["metadata"].get("namespace")
    client = resource.namespace(namespace) if namespace else resource
    return client.get(obj["metadata"]["name"])


def test_apply_reapply_diff_and_delete_of_real_looking_projects(cs: Any) -> None:
    from kubeclient import manifests

    objs = _load(*PROJECTS)
    results = manifests.apply(cs, objs, field_manager="ci")
    assert len(results) == len(objs) == 22
    assert {r.action for r in results} == {"created"}
    # Namespaces first, then CRDs, which are Established before their objects
    assert [r.object["kind"] for r in results[:2]] == ["Namespace", "Namespace"]
    assert {r.object["kind"] for r in results[2:6]} == {"CustomResourceDefinition"}
    for result in results[2:6]:
        conditions = {
            c["type"]: c["status"] for c in _live(cs, result)["status"]["conditions"]
        }
        assert conditions["Established"] == "True"
    assert str(results[0]) == "namespace/monitoring created"
    gateway = next(r for r in results if r.object["kind"] == "Gateway")
    assert gateway.object["metadata"]["namespace"] == "default"  # the context's
    versions = {r.title: r.object["metadata"]["resourceVersion"] for r in results}

    again = manifests.apply(cs, _load(*PROJECTS), field_manager="ci")
    assert [r.action for r in again] == ["unchanged"] * len(objs)
    for result in again:
        live = _live(cs, result)
        assert live["metadata"]["resourceVersion"] == versions[result.title], result
        assert live["metadata"].get("generation", 1) == 1, result
    assert manifests.diff(cs, _load(*PROJECTS), field_manager="ci") == ""

    changed = _load(*PROJECTS)
    deployment = next(o for o in changed if o["kind"] == "Deployment")
    deployment["spec"]["replicas"] = 3
    text = manifests.diff(cs, changed, field_manager="ci")
    assert text.startswith(
        "--- live/apps.v1.Deployment.monitoring.blackbox-exporter\n"
        "+++ merged/apps.v1.Deployment.monitoring.blackbox-exporter\n"
    )
    assert "\n-  replicas: 1\n+  replicas: 3\n" in text
    assert "\n-  generation: 1\n+  generation: 2\n" in text
    assert text.count("+++ ") == 1
    configured = manifests.apply(cs, changed, field_manager="ci")
    assert [r.title for r in configured if r.action == "configured"] == [
        "deployment.apps/blackbox-exporter in monitoring"
    ]

    deleted = manifests.delete(cs, changed, wait=True)
    assert [r.title for r in deleted] == [r.title for r in reversed(results)]
    assert {r.action for r in deleted} == {"deleted"}
    assert {r.action for r in manifests.delete(cs, changed)} == {"not found"}


def test_preflight_lists_every_failure_and_applies_nothing(cs: Any) -> None:
    from kubeclient import manifests
    from kubeclient.errors import NotFound

    with pytest.raises(manifests.PreflightError) as err:
        manifests.apply(cs, _load(FIXTURES / "broken"), field_manager="ci")
    failures = err.value.failures
    bad = FIXTURES / "broken" / "bad.yaml"
    assert [f.origin for f in failures] == [
        f"{bad}: document 2 (line 17)",
        f"{bad}: document 1 (line 1)",
    ]
    assert "no resource for kind 'Unserved'" in failures[0].message
    assert failures[1].object == "deployment.apps/web in default"
    assert "replicas" in str(failures[1])
    assert str(err.value).startswith(
        "2 documents failed preflight, nothing was applied:"
    )
    with pytest.raises(NotFound):
        cs.core_v1.config_maps("default").get("fine")


def test_conflicts_name_the_other_managers_and_force_takes_over(cs: Any) -> None:
    from kubeclient import manifests

    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '1'\n"
    manifests.apply(cs, manifests.load(text), field_manager="ci")
    manifests.apply(
        cs, manifests.load(text.replace("'1'", "'2'")), field_manager="ops", force=True
    )
    with pytest.raises(manifests.PreflightError) as err:
        manifests.apply(cs, manifests.load(text), field_manager="ci")
    (failure,) = err.value.failures
    assert failure.managers == ("ops",)
    assert failure.message.startswith("conflicts with ops (apply with force=True")
    assert failure.causes[0]["field"] == ".data.a"
    (forced,) = manifests.apply(
        cs, manifests.load(text), field_manager="ci", force=True
    )
    assert forced.action == "configured" and forced.object["data"] == {"a": "1"}


def test_namespaces_dry_run_and_typed_objects(cs: Any) -> None:
    from kubeclient import manifests
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta

    cs.core_v1.namespaces().apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}},
        field_manager="setup",
    )
    typed = ConfigMap(metadata=ObjectMeta(name="typed"), data={"k": "v"})
    (dry,) = manifests.apply(
        cs, [typed], field_manager="ci", namespace="team", dry_run=True
    )
    assert dry.action == "created" and dry.object["metadata"]["namespace"] == "team"
    assert cs.core_v1.config_maps("team").list().items == []
    (done,) = manifests.apply(cs, [typed], field_manager="ci", namespace="team")
    assert done.action == "created"
    elsewhere = ConfigMap(metadata=ObjectMeta(name="x", namespace="other"))
    with pytest.raises(
        manifests.PreflightError, match='does not match the namespace "team"'
    ):
        manifests.apply(cs, [elsewhere], field_manager="ci", namespace="team")


def test_custom_resources_of_a_new_crd_are_checked_before_the_rest(cs: Any) -> None:
    """They cannot be dry-run before their CRD exists: once the CRDs are
    Established, they are, before anything else is applied."""
    from kubeclient import manifests
    from kubeclient.errors import NotFound

    crds = _load(FIXTURES / "gateway-api" / "standard-install.yaml")
    bad_gateway = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "bad"},
        "spec": {"gatewayClassName": "x", "listeners": [{"name": "l", "port": 0}]},
    }
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "later"}}
    with pytest.raises(manifests.PreflightError) as err:
        manifests.apply(cs, [config, bad_gateway, *crds], field_manager="ci")
    (failure,) = err.value.failures
    assert (failure.origin, failure.object) == (
        "object 2",
        "gateway.gateway.networking.k8s.io/bad in default",
    )
    assert "spec.listeners[0]" in str(failure)
    assert [a.split("/")[0] for a in err.value.applied] == [
        "customresourcedefinition.apiextensions.k8s.io"
    ] * 2
    assert "only these were applied" in str(err.value)
    with pytest.raises(NotFound):
        cs.core_v1.config_maps("default").get("later")


def test_diff_shows_what_the_manager_stopped_applying(cs: Any) -> None:
    from kubeclient import manifests

    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '1'\n"
    manifests.apply(cs, manifests.load(text + "  b: '2'\n"), field_manager="ci")
    diff = manifests.diff(cs, manifests.load(text), field_manager="ci")
    assert diff.startswith(
        "--- live/v1.ConfigMap.default.c\n+++ merged/v1.ConfigMap.default.c\n"
    )
    assert "\n-  b: '2'\n" in diff
    assert "\n+" not in diff.split("+++", 1)[1].split("\n", 1)[1]
