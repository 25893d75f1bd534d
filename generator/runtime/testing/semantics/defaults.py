"""The few defaults the server fills in (what the real defaulting functions and
a couple of admission plugins do), per resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: (object, the stored object or None on create, a ClusterIP allocator)
Default = Callable[[dict[str, Any], "dict[str, Any] | None", Callable[[], str]], None]


def _default_pod(
    pod: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = pod.setdefault("spec", {})
    for key, value in (
        ("restartPolicy", "Always"),
        ("dnsPolicy", "ClusterFirst"),
        ("schedulerName", "default-scheduler"),
        ("terminationGracePeriodSeconds", 30),
        ("serviceAccountName", "default"),
        ("enableServiceLinks", True),
        ("priority", 0),
    ):
        spec.setdefault(key, value)
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    for container in [*spec.get("initContainers", ()), *spec.get("containers", ())]:
        if not isinstance(container, dict):
            continue
        image = str(container.get("image") or "")
        latest = ":" not in image.rpartition("/")[2] or image.endswith(":latest")
        container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
    if old is None and "status" not in pod:
        pod["status"] = {"phase": "Pending", "qosClass": "BestEffort"}


def _default_workload(
    obj: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    if obj.get("kind") == "Deployment":
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault(
            "strategy",
            {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
        )
    template = spec.get("template")
    if isinstance(template, dict):
        _default_pod(template, {}, allocate_ip)
        template.pop("status", None)


def _default_namespace(
    ns: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    name = ns["metadata"]["name"]
    ns["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    if old is None:
        ns.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        ns["status"] = {"phase": "Active"}


def _default_service(
    svc: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = svc.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        if old is not None and (old.get("spec") or {}).get("clusterIP"):
            spec.setdefault("clusterIP", old["spec"]["clusterIP"])
        elif not spec.get("clusterIP"):
            spec["clusterIP"] = allocate_ip()
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or ():
        if isinstance(port, dict) and "port" in port:
            port.setdefault("targetPort", port["port"])


def _default_crd(
    crd: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    """SetDefaults_CustomResourceDefinitionSpec, and the strategy's status: reset
    on create, the storage version always among storedVersions."""
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return
    names = spec.get("names")
    if isinstance(names, dict) and isinstance(names.get("kind"), str):
        names.setdefault("singular", names["kind"].lower())
        names.setdefault("listKind", names["kind"] + "List")
    conversion = spec.setdefault("conversion", {"strategy": "None"})
    if isinstance(conversion, dict) and conversion.get("strategy") == "Webhook":
        webhook = conversion.get("webhook")
        if isinstance(webhook, dict):
            webhook.setdefault("conversionReviewVersions", ["v1beta1"])
    if old is None:
        crd["status"] = {"acceptedNames": {"plural": "", "kind": ""}}
    status = crd.setdefault("status", {})
    stored = status.setdefault("storedVersions", [])
    for version in spec.get("versions") or ():
        if isinstance(version, dict) and version.get("storage"):
            if version.get("name") not in stored:
                stored.append(version.get("name"))
            break


DEFAULTS: dict[tuple[str, str], Default] = {
    ("apiextensions.k8s.io", "customresourcedefinitions"): _default_crd,
    ("", "pods"): _default_pod,
    ("apps", "deployments"): _default_workload,
    ("apps", "replicasets"): _default_workload,
    ("apps", "statefulsets"): _default_workload,
    ("", "namespaces"): _default_namespace,
    ("", "services"): _default_service,
}
