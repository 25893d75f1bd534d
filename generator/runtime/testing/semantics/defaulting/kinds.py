"""The defaulting functions of the core kinds (``SetDefaults_*`` in
pkg/apis/*/v1/defaults.go) and the few admission plugins and strategies whose
fill-ins users see in ``kubectl describe``; applied after the OpenAPI defaults
(:mod:`.schema`), so a struct may already be there, empty.

Each takes (object, the stored object or None on create, a ClusterIP
allocator) and changes the object in place. Malformed parts (a list where an
object belongs) are left for validation to refuse: defaulting never raises.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

#: (object, the stored object or None on create, a ClusterIP allocator)
Default = Callable[[dict[str, Any], "dict[str, Any] | None", Callable[[], str]], None]


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dict(parent: dict[str, Any], key: str) -> dict[str, Any] | None:
    """parent[key] as a dict, created empty when absent (None: malformed)."""
    value = parent.setdefault(key, {})
    return value if isinstance(value, dict) else None


# --------------------------------------------------------------------------- pods


def _default_container(container: dict[str, Any]) -> None:
    image = str(container.get("image") or "")
    tagless = ":" not in image.rpartition("/")[2] and "@" not in image
    latest = tagless or image.endswith(":latest")
    container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    for port in container.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for probe_key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(probe_key)
        if isinstance(probe, dict):
            for key, value in (
                ("timeoutSeconds", 1),
                ("periodSeconds", 10),
                ("successThreshold", 1),
                ("failureThreshold", 3),
            ):
                probe.setdefault(key, value)
            http = probe.get("httpGet")
            if isinstance(http, dict):
                http.setdefault("path", "/")
                http.setdefault("scheme", "HTTP")


def default_pod_spec(spec: dict[str, Any]) -> None:
    """SetDefaults_PodSpec and its containers' (templates and pods alike)."""
    for key, value in (
        ("restartPolicy", "Always"),
        ("dnsPolicy", "ClusterFirst"),
        ("schedulerName", "default-scheduler"),
        ("terminationGracePeriodSeconds", 30),
        ("securityContext", {}),
    ):
        spec.setdefault(key, value)
    if spec.get("hostNetwork"):
        for container in spec.get("containers") or ():
            if isinstance(container, dict):
                for port in container.get("ports") or ():
                    if isinstance(port, dict) and "containerPort" in port:
                        port.setdefault("hostPort", port["containerPort"])
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(key) or ():
            if isinstance(container, dict):
                _default_container(container)
    for volume in spec.get("volumes") or ():
        if not isinstance(volume, dict):
            continue
        for source_key in ("secret", "configMap", "downwardAPI", "projected"):
            source = volume.get(source_key)
            if isinstance(source, dict):
                source.setdefault("defaultMode", 420)
        if len(volume) == 1 and "name" in volume:
            volume["emptyDir"] = {}


def _qos_class(spec: dict[str, Any]) -> str:
    """Guaranteed: every container's cpu and memory limited, requests equal;
    BestEffort: nothing requested or limited anywhere; else Burstable."""
    containers = [
        c
        for key in ("initContainers", "containers")
        for c in spec.get(key) or ()
        if isinstance(c, dict)
    ]
    any_set = False
    guaranteed = bool(containers)
    for container in containers:
        resources = _as_dict(container.get("resources"))
        limits = _as_dict(resources.get("limits"))
        requests = _as_dict(resources.get("requests"))
        if limits or requests:
            any_set = True
        for name in ("cpu", "memory"):
            if name not in limits or requests.get(name, limits[name]) != limits[name]:
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


_NOT_READY_TOLERATIONS = (
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/unreachable",
)


def _default_pod(
    pod: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = _dict(pod, "spec")
    if spec is None:
        return
    default_pod_spec(spec)
    if old is not None:
        return
    # admission on create: ServiceAccount, Priority, DefaultTolerationSeconds
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    tolerations = spec.get("tolerations")
    if tolerations is None or isinstance(tolerations, list):
        tolerations = list(tolerations or ())
        keys = {t.get("key") for t in tolerations if isinstance(t, dict)}
        for key in _NOT_READY_TOLERATIONS:
            if key not in keys:
                tolerations.append(
                    {
                        "key": key,
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": 300,
                    }
                )
        spec["tolerations"] = tolerations
    status = pod.get("status")
    if not isinstance(status, dict) or not status:
        pod["status"] = {"phase": "Pending", "qosClass": _qos_class(spec)}


def _default_template(spec: dict[str, Any]) -> None:
    template = spec.get("template")
    if isinstance(template, dict):
        template_spec = _dict(template, "spec")
        if template_spec is not None:
            default_pod_spec(template_spec)
        template.pop("status", None)


# --------------------------------------------------------------------------- workloads


def _rolling(strategy: dict[str, Any], kind: str, surge: Any, unavailable: Any) -> None:
    strategy.setdefault("type", kind)
    if strategy["type"] == kind:
        rolling = _dict(strategy, "rollingUpdate")
        if rolling is not None:
            if surge is not None:
                rolling.setdefault("maxSurge", surge)
            rolling.setdefault("maxUnavailable", unavailable)


def _default_deployment(
    obj: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    strategy = _dict(spec, "strategy")
    if strategy is not None:
        _rolling(strategy, "RollingUpdate", "25%", "25%")
    _default_template(spec)


def _default_replicaset(
    obj: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    spec.setdefault("replicas", 1)
    _default_template(spec)


def _default_statefulset(
    obj: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = _dict(spec, "updateStrategy")
    if strategy is not None:
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = _dict(strategy, "rollingUpdate")
            if rolling is not None:
                rolling.setdefault("partition", 0)
    retention = _dict(spec, "persistentVolumeClaimRetentionPolicy")
    if retention is not None:
        retention.setdefault("whenDeleted", "Retain")
        retention.setdefault("whenScaled", "Retain")
    _default_template(spec)


def _default_daemonset(
    obj: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    spec.setdefault("revisionHistoryLimit", 10)
    strategy = _dict(spec, "updateStrategy")
    if strategy is not None:
        _rolling(strategy, "RollingUpdate", 0, 1)
    _default_template(spec)


def _default_job(
    obj: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    if "completions" not in spec and "parallelism" not in spec:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault(
        "podReplacementPolicy",
        "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed",
    )
    if old is None and not spec.get("manualSelector"):
        _generate_job_selector(obj, spec)
    elif old is not None:
        # the selector and its labels are immutable: keep the generated ones
        old_spec = _as_dict(old.get("spec"))
        if "selector" in old_spec and "selector" not in spec:
            spec["selector"] = old_spec["selector"]
    _default_template(spec)


def _generate_job_selector(job: dict[str, Any], spec: dict[str, Any]) -> None:
    """The Job strategy's generateSelector: the controller-uid labels."""
    meta = _as_dict(job.get("metadata"))
    uid = str(meta.get("uid") or uuid.uuid4())
    name = str(meta.get("name") or "")
    labels = {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    }
    spec["selector"] = {
        "matchLabels": {"batch.kubernetes.io/controller-uid": uid},
    }
    template = _dict(spec, "template")
    if template is not None:
        tmeta = _dict(template, "metadata")
        if tmeta is not None:
            tlabels = _dict(tmeta, "labels")
            if tlabels is not None:
                for key, value in labels.items():
                    tlabels.setdefault(key, value)


def _default_cronjob(
    obj: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    template = spec.get("jobTemplate")
    if isinstance(template, dict):
        job_spec = template.get("spec")
        if isinstance(job_spec, dict):
            _default_template(job_spec)


# --------------------------------------------------------------------------- core


def _default_namespace(
    ns: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    meta = _dict(ns, "metadata")
    if meta is None:
        return
    labels = _dict(meta, "labels")
    if labels is not None:
        labels["kubernetes.io/metadata.name"] = meta.get("name")
    if old is None:
        spec = _dict(ns, "spec")
        if spec is not None:
            spec.setdefault("finalizers", ["kubernetes"])
        ns["status"] = {"phase": "Active"}


def _default_service(
    svc: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = _dict(svc, "spec")
    if spec is None:
        return
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        old_spec = (old or {}).get("spec")
        if isinstance(old_spec, dict) and old_spec.get("clusterIP"):
            spec.setdefault("clusterIP", old_spec["clusterIP"])
        elif not spec.get("clusterIP"):
            spec["clusterIP"] = allocate_ip()
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    if spec.get("sessionAffinity") == "ClientIP":
        config = _dict(spec, "sessionAffinityConfig")
        client_ip = _dict(config, "clientIP") if config is not None else None
        if client_ip is not None:
            client_ip.setdefault("timeoutSeconds", 10800)
    for port in spec.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if "port" in port:
                port.setdefault("targetPort", port["port"])


def _default_secret(
    obj: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    obj.setdefault("type", "Opaque")


def _default_pvc(
    obj: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("volumeMode", "Filesystem")
    if old is None:
        status = obj.get("status")
        if not isinstance(status, dict) or not status:
            obj["status"] = {"phase": "Pending"}


def _default_pod_template(
    obj: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    _default_template(obj)


def _default_replication_controller(
    obj: dict[str, Any], old: dict[str, Any] | None, allocate_ip: Callable[[], str]
) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    spec.setdefault("replicas", 1)
    template = spec.get("template")
    if isinstance(template, dict):
        tmeta = template.get("metadata")
        labels = tmeta.get("labels") if isinstance(tmeta, dict) else None
        if isinstance(labels, dict) and labels:
            spec.setdefault("selector", dict(labels))
            meta = _dict(obj, "metadata")
            if meta is not None:
                meta.setdefault("labels", dict(labels))
    _default_template(spec)


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
    ("", "podtemplates"): _default_pod_template,
    ("", "replicationcontrollers"): _default_replication_controller,
    ("", "namespaces"): _default_namespace,
    ("", "services"): _default_service,
    ("", "secrets"): _default_secret,
    ("", "persistentvolumeclaims"): _default_pvc,
    ("apps", "deployments"): _default_deployment,
    ("apps", "replicasets"): _default_replicaset,
    ("apps", "statefulsets"): _default_statefulset,
    ("apps", "daemonsets"): _default_daemonset,
    ("batch", "jobs"): _default_job,
    ("batch", "cronjobs"): _default_cronjob,
}
