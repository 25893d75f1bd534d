"""Discovery, the RESTMapper and the dynamic client against the test API server, for
built-in kinds and for CustomResourceDefinitions created at run time (and the
server's CRD behaviour they rely on: establishing, serving, validation, deletion).
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from kubeclient import ClientSet
    from kubeclient.discovery import APIResourceList
    from kubeclient.dynamic import DynamicClient, DynamicResourceClient
    from kubeclient.models.apiextensions_v1 import CustomResourceDefinition
    from kubeclient.rest import RESTClient
    from kubeclient.testing import ApiServer

CRONTAB_CRD = Path(__file__).resolve().parent.parent / "specs/example/crontab-crd.yaml"
CRD_NAME = "crontabs.stable.example.com"
GROUP = "stable.example.com"
CRONTAB_MEDIA = (
    "the body of the request was in an unknown format - accepted media types "
    "include: application/json-patch+json, application/merge-patch+json, "
    "application/apply-patch+yaml"
)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def server(generated: Path) -> Iterator[ApiServer]:
    from kubeclient.testing import ApiServer

    with ApiServer() as api:
        yield api


@pytest.fixture
def cs(server: ApiServer) -> Iterator[ClientSet]:
    from kubeclient import ClientSet

    with ClientSet(server.config()) as clients:
        yield clients


@pytest.fixture
def rest(cs: ClientSet) -> RESTClient:
    return cs.rest_client


@pytest.fixture
def dyn(server: ApiServer) -> Iterator[DynamicClient]:
    from kubeclient import DynamicClient

    client = DynamicClient(server.config())
    yield client
    client.close()


def requests_of(server: ApiServer) -> list[tuple[str, str]]:
    return list(server.requests)


def crontab_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = yaml.safe_load(CRONTAB_CRD.read_text())
    return manifest


def crd_from(manifest: dict[str, Any]) -> CustomResourceDefinition:
    import kubeclient
    from kubeclient.models.apiextensions_v1 import CustomResourceDefinition

    crd = kubeclient.from_dict(manifest)
    assert isinstance(crd, CustomResourceDefinition)
    return crd


def create_crontab_crd(
    cs: ClientSet, manifest: dict[str, Any] | None = None
) -> CustomResourceDefinition:
    crds = cs.apiextensions_v1.custom_resource_definitions()
    return crds.create(crd_from(manifest or crontab_manifest()))


def crd_dict(cs: ClientSet, name: str = CRD_NAME) -> dict[str, Any]:
    got = cs.apiextensions_v1.custom_resource_definitions().get(name)
    return got.to_dict()


def crontab(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "stable.example.com/v1",
        "kind": "CronTab",
        "metadata": {"name": name, "labels": {"app": "cron"}},
        "spec": {"cronSpec": "*/5 * * * *", "image": "busybox:1.36", **spec},
    }


def crontabs(dyn: DynamicClient, namespace: str = "default") -> DynamicResourceClient:
    from kubeclient.resources import GroupVersionResource

    return dyn.resource(GroupVersionResource(GROUP, "v1", "crontabs")).namespace(
        namespace
    )


def conditions(crd: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    return {
        c["type"]: (c["status"], c["reason"], c["message"])
        for c in crd["status"].get("conditions") or ()
    }


def resources_by_gv(lists: list[APIResourceList]) -> dict[str, set[Any]]:
    return {rl.group_version: set(rl.resources) for rl in lists}


# --------------------------------------------------------------------------- discovery


def test_server_version(cs: ClientSet) -> None:
    import kubeclient

    version = cs.discovery.server_version()
    assert version.git_version == kubeclient.KUBERNETES_VERSION == "v1.36.2"
    assert (version.major, version.minor) == ("1", "36")
    assert version.platform == "linux/amd64" and version.go_version.startswith("go")


def test_server_groups_core_first_with_preferred_versions(
    cs: ClientSet, server: ApiServer
) -> None:
    groups = cs.discovery.server_groups()
    assert groups[0].name == "" and groups[0].versions == ("v1",)
    assert groups[0].preferred_version == "v1"
    names = [g.name for g in groups]
    assert len(names) == len(set(names))
    by_name = {g.name: g for g in groups}
    assert by_name["apps"].versions == ("apps/v1",)
    assert by_name["autoscaling"].preferred_version == "autoscaling/v2"
    assert by_name["autoscaling"].versions == ("autoscaling/v2", "autoscaling/v1")
    assert all(g.preferred_version == g.versions[0] for g in groups)
    # exactly what the server serves, in its order
    expected = [
        (group, tuple(f"{group}/{v}" if group else v for v in versions))
        for group, versions in server.registry.groups()
    ]
    assert [(g.name, g.versions) for g in groups] == expected


def test_resources_for_group_version(cs: ClientSet) -> None:
    core = cs.discovery.server_resources_for_group_version("v1")
    assert (core.group_version, core.group, core.version) == ("v1", "", "v1")
    by_name = {r.name: r for r in core.resources}
    pods = by_name["pods"]
    assert (pods.kind, pods.singular_name, pods.namespaced) == ("Pod", "pod", True)
    assert pods.short_names == ("po",) and pods.categories == ("all",)
    assert set(pods.verbs) == {
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    }
    status = by_name["pods/status"]
    assert (status.kind, status.group, status.version) == ("Pod", "", "")
    assert set(status.verbs) == {"get", "patch", "update"}
    assert status.singular_name == "" and status.namespaced
    eviction = by_name["pods/eviction"]
    assert (eviction.group, eviction.version, eviction.kind) == (
        "policy",
        "v1",
        "Eviction",
    )
    assert by_name["namespaces"].namespaced is False
    assert by_name["namespaces/finalize"].kind == "Namespace"

    apps = cs.discovery.server_resources_for_group_version("apps/v1")
    assert (apps.group, apps.version) == ("apps", "v1")
    apps_by_name = {r.name: r for r in apps.resources}
    scale = apps_by_name["deployments/scale"]
    assert (scale.group, scale.version, scale.kind) == ("autoscaling", "v1", "Scale")
    assert apps_by_name["deployments"].short_names == ("deploy",)
    assert apps_by_name["deployments/status"].kind == "Deployment"


def test_preferred_resources_prefer_the_preferred_version(cs: ClientSet) -> None:
    preferred = cs.discovery.server_preferred_resources()
    gvs = [rl.group_version for rl in preferred]
    assert len(gvs) == len(set(gvs)) and gvs[0] == "v1"
    assert "autoscaling/v2" in gvs
    assert "autoscaling/v1" not in gvs  # its only resource is in v2 too
    hpa = [
        rl.group_version
        for rl in preferred
        for r in rl.resources
        if r.name == "horizontalpodautoscalers"
    ]
    assert hpa == ["autoscaling/v2"]
    for rl in preferred:  # a group lists each resource once
        names = [r.name for r in rl.resources]
        assert len(names) == len(set(names))


def test_aggregated_discovery_takes_two_requests_then_none(
    server: ApiServer, rest: RESTClient
) -> None:
    from kubeclient.discovery import DiscoveryClient

    disco = DiscoveryClient(rest)
    server.requests.clear()
    groups, lists = disco.server_groups_and_resources()
    assert requests_of(server) == [("GET", "/api"), ("GET", "/apis")]
    assert [rl.group_version for rl in lists] == [
        gv for g in groups for gv in g.versions
    ]
    server.requests.clear()  # the memory cache answers everything after that
    assert disco.server_groups_and_resources() == (groups, lists)
    assert disco.server_groups() == groups
    disco.server_preferred_resources()
    apps = disco.server_resources_for_group_version("apps/v1")
    assert "deployments" in [r.name for r in apps.resources]
    assert requests_of(server) == []
    disco.invalidate()
    disco.server_groups()
    assert requests_of(server) == [("GET", "/api"), ("GET", "/apis")]


def test_legacy_discovery_fallback_gives_the_same_answer(
    server: ApiServer, rest: RESTClient
) -> None:
    from kubeclient.discovery import DiscoveryClient

    agg_groups, agg_lists = DiscoveryClient(rest).server_groups_and_resources()
    server.requests.clear()
    legacy = DiscoveryClient(rest, aggregated=False)
    groups, lists = legacy.server_groups_and_resources()
    seen = requests_of(server)
    assert seen[:2] == [("GET", "/api"), ("GET", "/apis")]
    assert len(seen) == 2 + len(lists)
    assert ("GET", "/api/v1") in seen and ("GET", "/apis/apps/v1") in seen
    assert groups == agg_groups
    assert resources_by_gv(lists) == resources_by_gv(agg_lists)


def test_fallback_when_the_server_has_no_aggregated_discovery(
    generated: Path, rest: RESTClient
) -> None:
    from kubeclient.discovery import DiscoveryClient
    from kubeclient.rest import RESTClient
    from kubeclient.testing import ApiServer

    reference = DiscoveryClient(rest).server_groups_and_resources()
    with ApiServer(aggregated_discovery=False) as old:
        plain = RESTClient(old.config())
        answer = (
            plain.get()
            .abs_path("/apis")
            .accept(
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
            )
        )
        assert answer.do().json()["kind"] == "APIGroupList"
        disco = DiscoveryClient(plain)  # asks for aggregated, gets the old form
        old.requests.clear()
        groups, lists = disco.server_groups_and_resources()
        seen = list(old.requests)
        assert seen[:2] == [("GET", "/api"), ("GET", "/apis")]
        assert len(seen) == 2 + len(lists)  # the two answers are used, not re-asked
        assert groups == reference[0]
        assert resources_by_gv(lists) == resources_by_gv(reference[1])
        plain.close()


def test_disk_cache_in_kubectl_layout_with_ttl(
    server: ApiServer, rest: RESTClient, tmp_path: Path
) -> None:
    from kubeclient.discovery import DiscoveryClient

    cache = tmp_path / "discovery"
    disco = DiscoveryClient(rest, cache_dir=cache)
    groups, lists = disco.server_groups_and_resources()
    host = cache / f"127.0.0.1_{server.port}"  # kubectl's folder for the host
    group_list = json.loads((host / "servergroups.json").read_text())
    assert (group_list["kind"], group_list["apiVersion"]) == ("APIGroupList", "v1")
    assert group_list["groups"][0] == {
        "name": "",
        "versions": [{"groupVersion": "v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "v1", "version": "v1"},
    }
    autoscaling = next(g for g in group_list["groups"] if g["name"] == "autoscaling")
    assert autoscaling["preferredVersion"]["groupVersion"] == "autoscaling/v2"
    apps = json.loads((host / "apps" / "v1" / "serverresources.json").read_text())
    assert (apps["kind"], apps["groupVersion"]) == ("APIResourceList", "apps/v1")
    scale = next(r for r in apps["resources"] if r["name"] == "deployments/scale")
    assert (scale["group"], scale["version"], scale["kind"]) == (
        "autoscaling",
        "v1",
        "Scale",
    )
    core = json.loads((host / "v1" / "serverresources.json").read_text())
    assert "pods" in [r["name"] for r in core["resources"]]
    written = sorted(p.relative_to(host) for p in host.rglob("*.json"))
    assert len(written) == 1 + len(lists)

    server.requests.clear()
    fresh = DiscoveryClient(rest, cache_dir=cache)  # another process, same cache
    assert fresh.server_groups_and_resources() == (groups, lists)
    assert fresh.server_preferred_resources()
    assert requests_of(server) == []

    past = time.time() - 3600
    for path in host.rglob("*.json"):
        os.utime(path, (past, past))
    still_fresh = DiscoveryClient(rest, cache_dir=cache, ttl=7200)
    still_fresh.server_groups()
    assert requests_of(server) == []
    expired = DiscoveryClient(rest, cache_dir=cache, ttl=60)
    assert expired.server_groups() == groups
    assert requests_of(server) == [("GET", "/api"), ("GET", "/apis")]
    assert time.time() - (host / "servergroups.json").stat().st_mtime < 60

    expired.invalidate()
    assert list(host.rglob("*.json")) == []
    server.requests.clear()
    expired.server_groups()
    assert len(requests_of(server)) == 2


def test_failed_group_version_gives_partial_results(
    server: ApiServer, generated: Path
) -> None:
    from kubeclient.discovery import DiscoveryClient, GroupDiscoveryFailed, RESTMapper
    from kubeclient.errors import ServiceUnavailable
    from kubeclient.pipeline import Pipeline, RetryPolicy
    from kubeclient.resources import GroupVersionKind
    from kubeclient.rest import RESTClient
    from kubeclient.transport.http import HTTPTransport

    config = server.config()
    pipeline = Pipeline(HTTPTransport(config), config, retry=RetryPolicy(max_retries=0))
    rest = RESTClient(pipeline=pipeline)
    server.faults.error(503, path=r"^/apis/batch/v1$", count=50)
    disco = DiscoveryClient(rest, aggregated=False)
    with pytest.raises(GroupDiscoveryFailed) as caught:
        disco.server_groups_and_resources()
    failure = caught.value
    assert list(failure.failed) == ["batch/v1"]
    assert isinstance(failure.failed["batch/v1"], ServiceUnavailable)
    assert str(failure).startswith(
        "unable to retrieve the complete list of server APIs: batch/v1: "
    )
    assert "batch" in [g.name for g in failure.groups]  # the group is known
    got = {rl.group_version for rl in failure.resources}
    assert "batch/v1" not in got and {"v1", "apps/v1", "autoscaling/v2"} <= got

    with pytest.raises(GroupDiscoveryFailed) as preferred:
        disco.server_preferred_resources()
    partial = [rl.group_version for rl in preferred.value.resources]
    assert "apps/v1" in partial and "batch/v1" not in partial
    assert list(preferred.value.failed) == ["batch/v1"]

    mapper = RESTMapper(disco)  # works on what could be discovered
    assert mapper.kind_for("deploy") == GroupVersionKind("apps", "v1", "Deployment")

    server.faults.clear()  # the API recovers: the next discovery is complete
    _, lists = disco.server_groups_and_resources()
    assert "batch/v1" in {rl.group_version for rl in lists}
    rest.close()


# --------------------------------------------------------------------------- RESTMapper


def test_restmapper_built_in_kinds(server: ApiServer, rest: RESTClient) -> None:
    from kubeclient.discovery import DiscoveryClient, NoMatchError, RESTMapper
    from kubeclient.resources import GroupVersionKind, GroupVersionResource

    mapper = RESTMapper(DiscoveryClient(rest))
    pod = GroupVersionKind("", "v1", "Pod")
    deployment = GroupVersionKind("apps", "v1", "Deployment")
    assert mapper.kind_for("po") == pod
    assert mapper.kind_for("pods") == mapper.kind_for("pod") == pod
    assert mapper.kind_for("Pods") == pod  # case does not matter, as in kubectl
    assert mapper.kind_for("deploy") == deployment
    assert mapper.kind_for("deployments.apps") == deployment
    assert mapper.kind_for("deployments.v1.apps") == deployment
    assert mapper.kind_for("hpa") == GroupVersionKind(
        "autoscaling", "v2", "HorizontalPodAutoscaler"
    )
    assert mapper.kind_for("horizontalpodautoscalers.v1.autoscaling").version == "v1"

    deployments = mapper.resource_for("Deployment")
    assert deployments.gvr == GroupVersionResource("apps", "v1", "deployments")
    assert deployments.namespaced and deployments.singular == "deployment"
    scale = deployments.subresource("scale")
    assert scale is not None
    assert scale.kind == GroupVersionKind("autoscaling", "v1", "Scale")
    hpa = mapper.resource_for("HorizontalPodAutoscaler")
    assert hpa.api_version == "autoscaling/v2"  # the preferred version
    assert (
        mapper.resource_for("HorizontalPodAutoscaler", "autoscaling/v1").version == "v1"
    )
    assert mapper.resource_for("Namespace").namespaced is False
    assert mapper.find("apps", "v1", "deployments") == deployments

    server.requests.clear()
    with pytest.raises(NoMatchError, match="NoSuchKind"):
        mapper.resource_for("NoSuchKind")
    assert requests_of(server) == [("GET", "/api"), ("GET", "/apis")]  # one refresh
    with pytest.raises(NoMatchError):
        mapper.kind_for("nosuchthings")
    with pytest.raises(NoMatchError):
        mapper.kind_for("deployments.batch")
    with pytest.raises(NoMatchError):
        mapper.resource_for("Deployment", api_version="apps/v1beta1")


def test_restmapper_finds_a_crd_created_after_it_loaded(
    server: ApiServer, cs: ClientSet, rest: RESTClient
) -> None:
    from kubeclient.discovery import DiscoveryClient, RESTMapper
    from kubeclient.resources import GroupVersionKind, GroupVersionResource

    mapper = RESTMapper(DiscoveryClient(rest))
    assert mapper.kind_for("po").kind == "Pod"  # discovery loaded, no CronTab yet
    create_crontab_crd(cs)
    server.requests.clear()
    info = mapper.resource_for("CronTab")  # a miss refreshes discovery once
    assert requests_of(server) == [("GET", "/api"), ("GET", "/apis")]
    assert info.gvr == GroupVersionResource(GROUP, "v1", "crontabs")
    assert info.namespaced and info.list_kind in (None, "CronTabList")
    assert info.short_names == ("ct",) and info.categories == ("all",)
    assert mapper.kind_for("ct") == GroupVersionKind(GROUP, "v1", "CronTab")
    assert mapper.kind_for("crontabs.v1beta1.stable.example.com").version == "v1beta1"
    assert mapper.resource_for("CronTab", "stable.example.com/v1beta1").version == (
        "v1beta1"
    )


# --------------------------------------------------------------------------- dynamic, built in


def test_dynamic_crud_on_built_in_kinds(
    server: ApiServer, cs: ClientSet, dyn: DynamicClient
) -> None:
    from kubeclient.dynamic import Unstructured
    from kubeclient.errors import AlreadyExists, Conflict, NotFound
    from kubeclient.resources import GroupVersionResource

    configmaps = dyn.resource(GroupVersionResource("", "v1", "configmaps"))
    cms = configmaps.namespace("default")
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "labels": {"app": "dyn"}},
        "data": {"k": "1"},
    }
    created = cms.create(body)
    assert isinstance(created, Unstructured)
    assert (created.name, created.namespace, created.kind) == (
        "a",
        "default",
        "ConfigMap",
    )
    assert created.uid and created.resource_version
    with pytest.raises(AlreadyExists):
        cms.create(body)
    got = cms.get("a")
    assert got == created
    got["data"]["k"] = "2"
    updated = cms.update(got)
    assert updated["data"] == {"k": "2"}
    assert int(updated.resource_version or 0) > int(created.resource_version or 0)
    with pytest.raises(Conflict):
        cms.update(got)  # stale resourceVersion

    merged = cms.patch("a", {"data": {"m": "3"}})  # merge by default
    assert merged["data"] == {"k": "2", "m": "3"}
    patched = cms.patch("a", [{"op": "remove", "path": "/data/m"}], "json")
    assert patched["data"] == {"k": "2"}
    strategic = cms.patch("a", {"data": {"s": "4"}}, "strategic")  # built in: allowed
    assert strategic["data"] == {"k": "2", "s": "4"}
    applied = cms.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "a"},
            "data": {"own": "x"},
        },
        field_manager="tester",
    )
    assert applied["data"] == {"k": "2", "s": "4", "own": "x"}
    managers = {m["manager"]: m["operation"] for m in applied.metadata["managedFields"]}
    assert managers["tester"] == "Apply"

    for i in range(5):
        cms.create({**body, "metadata": {"name": f"p{i}", "labels": {"app": "dyn"}}})
    cs.core_v1.namespaces().create(crd_ns("other"))
    configmaps.namespace("other").create({**body, "metadata": {"name": "elsewhere"}})
    listing = cms.list(label_selector="app=dyn")
    assert listing.kind == "ConfigMapList" and listing.resource_version
    assert [i.name for i in listing.each_list_item()] == [
        "a",
        "p0",
        "p1",
        "p2",
        "p3",
        "p4",
    ]
    server.requests.clear()
    paged = [o.name for o in cms.list_all(label_selector="app=dyn", page_size=2)]
    assert paged == ["a", "p0", "p1", "p2", "p3", "p4"]
    assert len(requests_of(server)) == 3  # three pages of two
    everywhere = {(o.namespace, o.name) for o in configmaps.list_all()}
    assert ("other", "elsewhere") in everywhere and ("default", "p4") in everywhere

    status = cms.delete("a")  # configmaps answer a Status naming what went
    assert status.kind == "Status" and status["status"] == "Success"
    assert status["details"]["name"] == "a"
    with pytest.raises(NotFound):
        cms.get("a")
    gone = cms.delete_collection(label_selector="app=dyn")
    assert sorted(i.name or "" for i in gone.each_list_item()) == [
        f"p{i}" for i in range(5)
    ]
    assert list(cms.list(label_selector="app=dyn").each_list_item()) == []

    namespaces = dyn.resource(GroupVersionResource("", "v1", "namespaces"))
    made = namespaces.create(crd_ns("dyn-cluster"))  # cluster-scoped
    assert made.namespace is None and made["status"]["phase"] == "Active"
    deleted = namespaces.delete("dyn-cluster")
    assert deleted.kind == "Namespace"


def crd_ns(name: str) -> Any:
    from kubeclient.models.core_v1 import Namespace
    from kubeclient.models.meta_v1 import ObjectMeta

    return Namespace(metadata=ObjectMeta(name=name))


def test_dynamic_status_and_scale_of_a_deployment(dyn: DynamicClient) -> None:
    from kubeclient.resources import GroupVersionResource

    deployments = dyn.resource(GroupVersionResource("apps", "v1", "deployments"))
    deps = deployments.namespace("default")
    labels = {"app": "web"}
    made = deps.create(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        }
    )
    assert made["status"] == {}  # an empty struct: Go's omitempty keeps it
    made["status"] = {"replicas": 2, "readyReplicas": 1}
    with_status = deps.update_status(made)
    assert with_status["status"] == {"replicas": 2, "readyReplicas": 1}
    with_status["status"] = {"replicas": 9}
    with_status["spec"]["replicas"] = 3
    main = deps.update(with_status)  # the main resource ignores status
    assert main["status"] == {"replicas": 2, "readyReplicas": 1}
    assert main["spec"]["replicas"] == 3

    scale = deps.get_subresource("web", "scale")
    assert (scale.api_version, scale.kind, scale.name) == (
        "autoscaling/v1",
        "Scale",
        "web",
    )
    assert scale["spec"] == {"replicas": 3}
    assert scale["status"] == {"replicas": 2, "selector": "app=web"}
    scaled = deps.patch("web", {"spec": {"replicas": 5}}, subresource="scale")
    assert scaled.kind == "Scale" and scaled["spec"]["replicas"] == 5
    assert deps.get("web")["spec"]["replicas"] == 5
    status_patch = deps.patch(
        "web", {"status": {"availableReplicas": 1}}, subresource="status"
    )
    assert status_patch["status"]["availableReplicas"] == 1


def test_dynamic_watch_resumes_over_a_dropped_connection(
    server: ApiServer, dyn: DynamicClient
) -> None:
    from kubeclient.resources import GroupVersionResource

    cms = dyn.resource(GroupVersionResource("", "v1", "configmaps")).namespace(
        "default"
    )
    start = cms.list().resource_version
    seen: list[tuple[str, str]] = []
    done = threading.Event()

    def consume() -> None:
        events = cms.watch(resource_version=start, resume=True, timeout_seconds=20)
        for event in events:
            if event.type == "BOOKMARK":
                continue
            seen.append((event.type, event.object.name or ""))
            if len(seen) == 7:
                done.set()
                return

    server.faults.drop(path=r"watch=", after_events=2)  # cut after 2 events
    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    time.sleep(0.3)
    for i in range(5):
        cms.create(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"w{i}"}}
        )
    cms.patch("w3", {"data": {"x": "1"}})
    cms.delete("w0")
    assert done.wait(20), seen
    assert seen == [("ADDED", f"w{i}") for i in range(5)] + [
        ("MODIFIED", "w3"),
        ("DELETED", "w0"),
    ]
    watches = [p for m, p in server.requests if p.endswith("/configmaps")]
    assert len(watches) >= 3  # the list, the first watch, the resumed one


# --------------------------------------------------------------------------- CRDs


def test_crd_is_established_and_served_at_once(
    server: ApiServer, cs: ClientSet, rest: RESTClient
) -> None:
    from kubeclient.discovery import DiscoveryClient

    created = create_crontab_crd(cs).to_dict()
    # the answer shows the CRD as created: the controllers have not run yet
    assert created["status"] == {
        "acceptedNames": {"plural": "", "kind": ""},
        "storedVersions": ["v1"],
    }
    assert created["spec"]["conversion"] == {"strategy": "None"}
    crd = crd_dict(cs)
    assert conditions(crd) == {
        "NamesAccepted": ("True", "NoConflicts", "no conflicts found"),
        "Established": (
            "True",
            "InitialNamesAccepted",
            "the initial names have been accepted",
        ),
    }
    assert crd["status"]["acceptedNames"] == {
        "plural": "crontabs",
        "singular": "crontab",
        "shortNames": ["ct"],
        "kind": "CronTab",
        "listKind": "CronTabList",
        "categories": ["all"],
    }
    assert (
        int(crd["metadata"]["resourceVersion"])
        == int(created["metadata"]["resourceVersion"]) + 2
    )  # the naming, then the establishing controller

    disco = DiscoveryClient(rest)
    groups = {g.name: g for g in disco.server_groups()}
    assert groups[GROUP].versions == (f"{GROUP}/v1", f"{GROUP}/v1beta1")
    assert groups[GROUP].preferred_version == f"{GROUP}/v1"  # v1alpha1 is not served
    v1 = {
        r.name: r
        for r in disco.server_resources_for_group_version(f"{GROUP}/v1").resources
    }
    assert set(v1) == {"crontabs", "crontabs/status", "crontabs/scale"}
    tabs = v1["crontabs"]
    assert (tabs.kind, tabs.singular_name, tabs.namespaced) == (
        "CronTab",
        "crontab",
        True,
    )
    assert tabs.short_names == ("ct",) and tabs.categories == ("all",)
    assert tabs.verbs == (
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "create",
        "update",
        "watch",
    )
    assert (v1["crontabs/status"].kind, v1["crontabs/status"].group) == ("CronTab", "")
    scale = v1["crontabs/scale"]
    assert (scale.group, scale.version, scale.kind) == ("autoscaling", "v1", "Scale")
    beta = disco.server_resources_for_group_version(f"{GROUP}/v1beta1")
    assert [r.name for r in beta.resources] == ["crontabs"]  # no subresources there
    legacy = DiscoveryClient(rest, aggregated=False).server_groups_and_resources()
    assert resources_by_gv(legacy[1]) == resources_by_gv(
        disco.server_groups_and_resources()[1]
    )

    index = rest.get().abs_path("/openapi/v3").do().json()["paths"]
    assert f"apis/{GROUP}/v1" in index and f"apis/{GROUP}/v1beta1" in index
    assert f"apis/{GROUP}/v1alpha1" not in index
    url = index[f"apis/{GROUP}/v1"]["serverRelativeURL"]
    document = rest.get().abs_path(url.split("?")[0]).do().json()
    schemas = document["components"]["schemas"]
    kind = schemas["com.example.stable.v1.CronTab"]
    assert kind["x-kubernetes-group-version-kind"] == [
        {"group": GROUP, "kind": "CronTab", "version": "v1"}
    ]
    assert kind["properties"]["spec"]["required"] == ["cronSpec", "image"]
    meta = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]
    assert "name" in meta["properties"]  # the server's own meta schemas
    assert "io.k8s.api.autoscaling.v1.Scale" in schemas
    paths = document["paths"]
    assert f"/apis/{GROUP}/v1/namespaces/{{namespace}}/crontabs/{{name}}/scale" in paths
    patch_types = paths[f"/apis/{GROUP}/v1/namespaces/{{namespace}}/crontabs/{{name}}"][
        "patch"
    ]["requestBody"]["content"]
    assert "application/strategic-merge-patch+json" not in patch_types


def test_custom_resources_through_the_dynamic_client(
    server: ApiServer, cs: ClientSet, dyn: DynamicClient
) -> None:
    from kubeclient.dynamic import Unstructured
    from kubeclient.errors import (
        BadRequest,
        Invalid,
        NotFound,
        ServerWarning,
        UnsupportedMediaType,
    )
    from kubeclient.resources import GroupVersionResource

    create_crontab_crd(cs)
    tabs = crontabs(dyn)
    with pytest.warns(ServerWarning, match='unknown field "spec.bogus"'):
        made = tabs.create(crontab("nightly", bogus=True))
    assert isinstance(made, Unstructured)
    assert (made.api_version, made.kind, made.namespace) == (
        f"{GROUP}/v1",
        "CronTab",
        "default",
    )
    assert made["spec"] == {  # pruned and defaulted by the schema
        "cronSpec": "*/5 * * * *",
        "image": "busybox:1.36",
        "replicas": 1,
        "concurrencyPolicy": "Allow",
    }
    assert made.metadata["generation"] == 1 and "status" not in made

    got = tabs.get("nightly")
    got["spec"]["image"] = "busybox:1.37"
    updated = tabs.update(got)
    assert updated["spec"]["image"] == "busybox:1.37"
    assert updated.metadata["generation"] == 2
    merged = tabs.patch("nightly", {"spec": {"env": [{"name": "A", "value": "1"}]}})
    assert merged["spec"]["env"] == [{"name": "A", "value": "1"}]
    patched = tabs.patch(
        "nightly", [{"op": "replace", "path": "/spec/replicas", "value": 2}], "json"
    )
    assert patched["spec"]["replicas"] == 2
    applied = tabs.apply(
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "CronTab",
            "metadata": {"name": "nightly"},
            "spec": {"timeout": "5m"},
        },
        field_manager="tester",
    )
    assert applied["spec"]["timeout"] == "5m" and applied["spec"]["replicas"] == 2
    with pytest.raises(UnsupportedMediaType) as refused:
        tabs.patch("nightly", {"spec": {"replicas": 3}}, "strategic")
    assert refused.value.status == 415 and refused.value.message == CRONTAB_MEDIA

    with_status = tabs.get("nightly")
    with_status["status"] = {"replicas": 2, "selector": "app=cron"}
    with_status["spec"]["replicas"] = 7  # ignored by the status subresource
    status = tabs.update_status(with_status)
    assert status["status"] == {"replicas": 2, "selector": "app=cron"}
    assert status["spec"]["replicas"] == 2
    scale = tabs.get_subresource("nightly", "scale")
    assert (scale.api_version, scale.kind) == ("autoscaling/v1", "Scale")
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"] == {"replicas": 2, "selector": "app=cron"}
    rescaled = tabs.patch("nightly", {"spec": {"replicas": 4}}, subresource="scale")
    assert rescaled["spec"]["replicas"] == 4
    assert tabs.get("nightly")["spec"]["replicas"] == 4  # via specReplicasPath

    by_kind = dyn.resource_for_kind("CronTab", api_version=f"{GROUP}/v1")
    assert by_kind.resource.plural == "crontabs"
    second = by_kind.namespace("default").create(crontab("hourly"))
    assert second.name == "hourly"
    assert [o.name for o in by_kind.namespace("default").list().each_list_item()] == [
        "hourly",
        "nightly",
    ]
    assert {o.name for o in by_kind.list_all()} == {"hourly", "nightly"}
    listed = tabs.list(label_selector="app=cron")
    assert listed.kind == "CronTabList" and listed.api_version == f"{GROUP}/v1"
    beta = dyn.resource(GroupVersionResource(GROUP, "v1beta1", "crontabs"))
    assert beta.namespace("default").get("nightly").api_version == f"{GROUP}/v1beta1"
    with pytest.raises(NotFound):  # served: false
        dyn.resource(GroupVersionResource(GROUP, "v1alpha1", "crontabs")).namespace(
            "default"
        ).list()

    with pytest.raises(Invalid) as invalid:
        tabs.create(
            {
                "apiVersion": f"{GROUP}/v1",
                "kind": "CronTab",
                "metadata": {"name": "Bad_Name"},
                "spec": {
                    "cronSpec": "often",
                    "replicas": "two",
                    "concurrencyPolicy": "Sometimes",
                },
            }
        )
    error = invalid.value
    assert error.message.startswith(
        'CronTab.stable.example.com "Bad_Name" is invalid: ['
    )
    causes = {c["field"]: (c["reason"], c["message"]) for c in error.causes}
    assert causes["spec.image"] == ("FieldValueRequired", "Required value")
    assert causes["spec.replicas"] == (
        "FieldValueTypeInvalid",
        'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    )
    assert causes["spec.concurrencyPolicy"] == (
        "FieldValueNotSupported",
        'Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
    )
    assert causes["spec.cronSpec"][1].startswith(
        'Invalid value: "often": spec.cronSpec in body should match'
    )
    assert causes["metadata.name"][0] == "FieldValueInvalid"
    with pytest.raises(Invalid) as negative:
        tabs.patch("nightly", {"spec": {"replicas": -1}})
    assert negative.value.causes[0]["message"] == (
        "Invalid value: -1: spec.replicas in body should be greater than or equal to 0"
    )
    with pytest.raises(BadRequest):
        tabs.create({**crontab("x"), "kind": "Other"})

    deleted = tabs.delete("hourly")  # custom resources answer the object
    assert deleted.kind == "CronTab" and deleted.name == "hourly"
    gone = tabs.delete_collection(label_selector="app=cron")
    assert [o.name for o in gone.each_list_item()] == ["nightly"]


def test_deleting_the_crd_deletes_its_resources_and_stops_serving(
    server: ApiServer, cs: ClientSet, dyn: DynamicClient, rest: RESTClient
) -> None:
    from kubeclient.discovery import DiscoveryClient, NoMatchError, RESTMapper
    from kubeclient.errors import NotFound
    from kubeclient.resources import GroupVersionResource

    create_crontab_crd(cs)
    cs.core_v1.namespaces().create(crd_ns("team"))
    crontabs(dyn).create(crontab("a"))
    crontabs(dyn).create(crontab("b"))
    every = dyn.resource(GroupVersionResource(GROUP, "v1", "crontabs"))
    start = every.list().resource_version
    crontabs(dyn, "team").create(crontab("c"))
    disco = DiscoveryClient(rest)
    mapper = RESTMapper(disco)
    assert mapper.resource_for("CronTab").plural == "crontabs"

    events: list[tuple[str, str]] = []
    started, ended = threading.Event(), threading.Event()

    def watch() -> None:
        for event in every.watch(resource_version=start, timeout_seconds=30):
            events.append((event.type, event.object.name or ""))
            started.set()
        ended.set()  # the server ended the watch

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert started.wait(10)  # the watch is open: it saw "c" created
    answer = cs.apiextensions_v1.custom_resource_definitions().delete(CRD_NAME)
    marked = answer.to_dict()
    assert marked["metadata"]["deletionTimestamp"]
    assert marked["metadata"]["finalizers"] == [
        "customresourcecleanup.apiextensions.k8s.io"
    ]
    assert conditions(marked)["Terminating"] == (
        "True",
        "InstanceDeletionPending",
        "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
    )
    assert ended.wait(10), events
    assert events[0] == ("ADDED", "c")
    assert sorted(events[1:]) == [("DELETED", "a"), ("DELETED", "b"), ("DELETED", "c")]

    with pytest.raises(NotFound):
        cs.apiextensions_v1.custom_resource_definitions().get(CRD_NAME)
    with pytest.raises(NotFound) as missing:
        crontabs(dyn).get("a")
    assert missing.value.message == "the server could not find the requested resource"
    with pytest.raises(NotFound):
        every.list()
    assert [o for _, o in server.store.dump() if o.get("kind") == "CronTab"] == []
    assert GROUP in [g.name for g in disco.server_groups()]  # cached until invalidated
    disco.invalidate()
    assert GROUP not in [g.name for g in disco.server_groups()]
    with pytest.raises(NotFound):
        disco.server_resources_for_group_version(f"{GROUP}/v1")
    index = rest.get().abs_path("/openapi/v3").do().json()["paths"]
    assert not [p for p in index if GROUP in p]
    assert mapper.resource_for("CronTab").plural == "crontabs"  # cached mapping
    mapper.reset()  # as client-go's DeferredDiscoveryRESTMapper.Reset
    with pytest.raises(NoMatchError):
        mapper.resource_for("CronTab")
    root = rest.get().abs_path("/").do().json()["paths"]
    assert f"/apis/{GROUP}" not in root


def test_crd_deletion_waits_for_custom_resource_finalizers(
    server: ApiServer, cs: ClientSet, dyn: DynamicClient
) -> None:
    from kubeclient.errors import MethodNotAllowed, NotFound

    create_crontab_crd(cs)
    held = crontab("held")
    held["metadata"]["finalizers"] = ["example.com/hold"]
    crontabs(dyn).create(held)
    crontabs(dyn).create(crontab("free"))
    cs.apiextensions_v1.custom_resource_definitions().delete(CRD_NAME)
    crd = crd_dict(cs)  # still there: one instance is held by its finalizer
    assert conditions(crd)["Terminating"] == (
        "True",
        "InstanceDeletionInProgress",
        "CustomResource deletion is in progress",
    )
    with pytest.raises(NotFound):
        crontabs(dyn).get("free")
    assert crontabs(dyn).get("held").metadata["deletionTimestamp"]
    with pytest.raises(MethodNotAllowed) as refused:
        crontabs(dyn).create(crontab("late"))
    assert refused.value.message == (
        "create not allowed while custom resource definition is terminating"
    )
    crontabs(dyn).patch("held", {"metadata": {"finalizers": None}})
    with pytest.raises(NotFound):
        cs.apiextensions_v1.custom_resource_definitions().get(CRD_NAME)
    with pytest.raises(NotFound):
        crontabs(dyn).get("held")


def test_crd_update_changes_what_is_served(
    server: ApiServer, cs: ClientSet, dyn: DynamicClient, rest: RESTClient
) -> None:
    from kubeclient.discovery import DiscoveryClient
    from kubeclient.errors import NotFound
    from kubeclient.resources import GroupVersionResource

    create_crontab_crd(cs)
    crontabs(dyn).create(crontab("keep"))
    crds = cs.apiextensions_v1.custom_resource_definitions()
    current = crd_dict(cs)
    versions = current["spec"]["versions"]
    v2 = copy.deepcopy(versions[0])
    v2["name"], v2["storage"] = "v2", False
    versions.append(v2)
    versions[1]["served"] = False  # v1beta1
    current["spec"]["names"]["shortNames"] = ["ct", "cront"]
    updated = crds.update(crd_from(current)).to_dict()
    assert updated["metadata"]["generation"] == 2

    disco = DiscoveryClient(rest)
    groups = {g.name: g for g in disco.server_groups()}
    assert groups[GROUP].versions == (f"{GROUP}/v2", f"{GROUP}/v1")  # kube-aware order
    assert groups[GROUP].preferred_version == f"{GROUP}/v2"
    with pytest.raises(NotFound):
        dyn.resource(GroupVersionResource(GROUP, "v1beta1", "crontabs")).namespace(
            "default"
        ).get("keep")
    in_v2 = dyn.resource(GroupVersionResource(GROUP, "v2", "crontabs")).namespace(
        "default"
    )
    assert in_v2.get("keep").api_version == f"{GROUP}/v2"  # one storage
    index = rest.get().abs_path("/openapi/v3").do().json()["paths"]
    assert sorted(p for p in index if GROUP in p) == [
        f"apis/{GROUP}/v1",
        f"apis/{GROUP}/v2",
    ]
    assert crd_dict(cs)["status"]["acceptedNames"]["shortNames"] == ["ct", "cront"]
    v2_list = disco.server_resources_for_group_version(f"{GROUP}/v2")
    assert v2_list.resources[0].short_names == ("ct", "cront")

    renamed = crd_dict(cs)
    renamed["spec"]["scope"] = "Cluster"
    from kubeclient.errors import Invalid

    with pytest.raises(Invalid) as immutable:
        crds.update(crd_from(renamed))
    assert {
        "field": "spec.scope",
        "reason": "FieldValueInvalid",
        "message": 'Invalid value: "Cluster": field is immutable',
    } in immutable.value.causes


def test_invalid_crds_are_refused_with_causes(server: ApiServer, cs: ClientSet) -> None:
    from kubeclient.errors import Invalid

    def refused(manifest: dict[str, Any]) -> Invalid:
        with pytest.raises(Invalid) as caught:
            create_crontab_crd(cs, manifest)
        assert caught.value.status == 422 and caught.value.reason == "Invalid"
        return caught.value

    def causes(error: Invalid) -> dict[str, str]:
        return {c["field"]: c["message"] for c in error.causes}

    misnamed = crontab_manifest()
    misnamed["metadata"]["name"] = "crontab.stable.example.com"
    error = refused(misnamed)
    assert error.message == (
        'CustomResourceDefinition.apiextensions.k8s.io "crontab.stable.example.com" '
        'is invalid: metadata.name: Invalid value: "crontab.stable.example.com": '
        'must be spec.names.plural+"."+spec.group'
    )
    assert error.details is not None
    assert (error.details["group"], error.details["kind"]) == (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
    )

    schemaless = crontab_manifest()
    del schemaless["spec"]["versions"][0]["schema"]
    assert causes(refused(schemaless)) == {
        "spec.versions[0].schema.openAPIV3Schema": "Required value: schemas are required"
    }

    untyped = crontab_manifest()
    spec_schema = untyped["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    del spec_schema["properties"]["spec"]["properties"]["image"]["type"]
    del spec_schema["properties"]["status"]["properties"]["conditions"]["items"]
    found = causes(refused(untyped))
    prefix = "spec.versions[0].schema.openAPIV3Schema"
    assert found == {
        f"{prefix}.properties[spec].properties[image].type": (
            "Required value: must not be empty for specified object fields"
        ),
        f"{prefix}.properties[status].properties[conditions].items": (
            "Required value: must be specified"
        ),
    }

    dotless = crontab_manifest()
    dotless["metadata"]["name"] = "crontabs.example"
    dotless["spec"]["group"] = "example"
    assert causes(refused(dotless)) == {
        "spec.group": 'Invalid value: "example": should be a domain with at least one dot'
    }

    bad_names = crontab_manifest()
    bad_names["spec"]["names"]["shortNames"] = ["Ct"]
    bad_names["spec"]["scope"] = "Everywhere"
    bad_names["spec"]["versions"][1]["storage"] = True
    found = causes(refused(bad_names))
    assert found["spec.scope"] == (
        'Unsupported value: "Everywhere": supported values: "Cluster", "Namespaced"'
    )
    assert found["spec.names.shortNames[0]"].startswith(
        'Invalid value: "Ct": a DNS-1035 label must consist of lower case'
    )
    assert found["spec.versions"].endswith(
        "must have exactly one version marked as storage version"
    )

    assert GROUP not in [g for g, _ in server.registry.groups()]  # nothing served
    assert cs.apiextensions_v1.custom_resource_definitions().list().items in (None, [])


def test_conflicting_names_are_not_accepted(
    server: ApiServer, cs: ClientSet, dyn: DynamicClient
) -> None:
    from kubeclient.errors import NotFound
    from kubeclient.resources import GroupVersionResource

    create_crontab_crd(cs)
    twin = crontab_manifest()
    twin["metadata"]["name"] = "crontabz.stable.example.com"
    twin["spec"]["names"].update(
        plural="crontabz", singular="crontabz", shortNames=[], listKind="CronTabZList"
    )
    create_crontab_crd(cs, twin)
    status = crd_dict(cs, "crontabz.stable.example.com")
    assert conditions(status) == {
        "NamesAccepted": ("False", "KindConflict", '"CronTab" is already in use'),
        "Established": ("False", "NotAccepted", "not all names are accepted"),
    }
    accepted = status["status"]["acceptedNames"]
    assert (accepted["plural"], accepted["listKind"], accepted["kind"]) == (
        "crontabz",
        "CronTabZList",
        "",  # the names that are free are accepted, the kind is not
    )
    with pytest.raises(NotFound):
        dyn.resource(GroupVersionResource(GROUP, "v1", "crontabz")).namespace(
            "default"
        ).list()
    assert (
        list(crontabs(dyn).list().each_list_item()) == []
    )  # the first one is unaffected

    cs.apiextensions_v1.custom_resource_definitions().delete(CRD_NAME)
    freed = crd_dict(cs, "crontabz.stable.example.com")  # the kind is free now
    assert conditions(freed)["NamesAccepted"] == (
        "True",
        "NoConflicts",
        "no conflicts found",
    )
    assert conditions(freed)["Established"][0] == "True"
    assert freed["status"]["acceptedNames"]["kind"] == "CronTab"
    crontabz = dyn.resource(GroupVersionResource(GROUP, "v1", "crontabz"))
    assert list(crontabz.namespace("default").list().each_list_item()) == []


def test_cluster_scoped_and_seeded_crds(generated: Path) -> None:
    from kubeclient import DynamicClient
    from kubeclient.resources import GroupVersionResource
    from kubeclient.testing import ApiServer

    manifest = crontab_manifest()
    manifest["spec"]["scope"] = "Cluster"
    seeded = crontab("seeded")
    with ApiServer(objects=[manifest, seeded]) as api:
        dyn = DynamicClient(api.config())
        tabs = dyn.resource(GroupVersionResource(GROUP, "v1", "crontabs"))
        assert [o.name for o in tabs.list().each_list_item()] == ["seeded"]
        made = tabs.create(crontab("cluster-wide"))
        assert made.namespace is None and "namespace" not in made.metadata
        info = dyn.mapper.resource_for("CronTab")
        assert info.namespaced is False
        assert tabs.delete("cluster-wide").kind == "CronTab"
        dyn.close()


# --------------------------------------------------------------------------- Unstructured


def test_unstructured_helpers(generated: Path) -> None:
    from kubeclient.dynamic import Unstructured

    obj = Unstructured(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "a",
                "namespace": "ns",
                "uid": "u-1",
                "resourceVersion": "7",
            },
        }
    )
    assert (obj.api_version, obj.kind, obj.name, obj.namespace) == (
        "v1",
        "ConfigMap",
        "a",
        "ns",
    )
    assert (obj.uid, obj.resource_version) == ("u-1", "7")
    assert obj.labels == {} and obj.metadata["labels"] == {}  # created on first use
    obj.labels["tier"] = "web"
    obj.annotations["note"] = "x"
    obj.name, obj.namespace = "b", "other"
    assert obj.metadata == {
        "name": "b",
        "namespace": "other",
        "uid": "u-1",
        "resourceVersion": "7",
        "labels": {"tier": "web"},
        "annotations": {"note": "x"},
    }
    assert repr(obj) == "<Unstructured v1 ConfigMap other/b>"
    assert obj.to_dict() == dict(obj) and type(obj.to_dict()) is dict
    assert ("kind", "ConfigMap") in list(obj.items())  # a real dict
    empty = Unstructured({})
    assert (
        empty.name is None
        and empty.namespace is None
        and empty.resource_version is None
    )
    assert empty.api_version == "" and empty.kind == ""

    listing = Unstructured(
        {
            "apiVersion": "v1",
            "kind": "ConfigMapList",
            "metadata": {"resourceVersion": "9"},
            "items": [{"metadata": {"name": "x"}}, {"metadata": {"name": "y"}}],
        }
    )
    assert listing.resource_version == "9"
    assert all(isinstance(i, Unstructured) for i in listing.each_list_item())
    assert [i.name for i in listing.each_list_item()] == ["x", "y"]
    assert not Unstructured({"kind": "List"}).is_list()
    with pytest.raises(TypeError):
        _ = Unstructured({"metadata": "oops"}).metadata
