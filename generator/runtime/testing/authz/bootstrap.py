"""The roles and bindings every cluster starts with (kube-apiserver's
bootstrappolicy): cluster-admin, the aggregated admin / edit / view and the
system:aggregate-to-* roles they gather, system:discovery, system:basic-user and
system:public-info-viewer, with their ClusterRoleBindings."""

from __future__ import annotations

from typing import Any

__all__ = ["bootstrap_objects"]

_READ = ["get", "list", "watch"]
_WRITE = ["create", "delete", "deletecollection", "patch", "update"]
_BOOTSTRAP_LABEL = {"kubernetes.io/bootstrapping": "rbac-defaults"}
_AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
_AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-"


def _rule(groups: list[str], resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


def _urls(urls: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"nonResourceURLs": urls, "verbs": verbs}


_VIEW = [
    _rule(
        [""],
        [
            "configmaps",
            "endpoints",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "pods",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/status",
        ],
        _READ,
    ),
    _rule(
        [""],
        [
            "bindings",
            "events",
            "limitranges",
            "namespaces/status",
            "pods/log",
            "pods/status",
            "replicationcontrollers/status",
            "resourcequotas",
            "resourcequotas/status",
        ],
        _READ,
    ),
    _rule([""], ["namespaces"], _READ),
    _rule(["discovery.k8s.io"], ["endpointslices"], _READ),
    _rule(
        ["apps"],
        [
            "controllerrevisions",
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "statefulsets",
            "statefulsets/scale",
            "statefulsets/status",
        ],
        _READ,
    ),
    _rule(
        ["autoscaling"],
        ["horizontalpodautoscalers", "horizontalpodautoscalers/status"],
        _READ,
    ),
    _rule(["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], _READ),
    _rule(["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], _READ),
    _rule(
        ["networking.k8s.io"],
        ["ingresses", "ingresses/status", "networkpolicies"],
        _READ,
    ),
]

_EDIT = [
    _rule(
        [""],
        [
            "pods/attach",
            "pods/exec",
            "pods/portforward",
            "pods/proxy",
            "secrets",
            "services/proxy",
        ],
        _READ,
    ),
    _rule([""], ["serviceaccounts"], ["impersonate"]),
    _rule(
        [""],
        ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"],
        _WRITE,
    ),
    _rule([""], ["pods/eviction"], ["create"]),
    _rule(
        [""],
        [
            "configmaps",
            "events",
            "persistentvolumeclaims",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "secrets",
            "serviceaccounts",
            "services",
            "services/proxy",
        ],
        _WRITE,
    ),
    _rule([""], ["serviceaccounts/token"], ["create"]),
    _rule(
        ["apps"],
        [
            "daemonsets",
            "deployments",
            "deployments/rollback",
            "deployments/scale",
            "replicasets",
            "replicasets/scale",
            "statefulsets",
            "statefulsets/scale",
        ],
        _WRITE,
    ),
    _rule(["autoscaling"], ["horizontalpodautoscalers"], _WRITE),
    _rule(["batch"], ["cronjobs", "jobs"], _WRITE),
    _rule(["networking.k8s.io"], ["ingresses", "networkpolicies"], _WRITE),
    _rule(["policy"], ["poddisruptionbudgets"], _WRITE),
]

_ADMIN = [
    _rule(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
    _rule(
        ["rbac.authorization.k8s.io"],
        ["rolebindings", "roles"],
        [*_WRITE, *_READ],
    ),
]

_DISCOVERY_URLS = [
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/livez",
    "/openapi",
    "/openapi/*",
    "/readyz",
    "/version",
    "/version/",
]
_PUBLIC_URLS = ["/healthz", "/livez", "/readyz", "/version", "/version/"]


def _cluster_role(
    name: str,
    rules: list[dict[str, Any]] | None = None,
    *,
    labels: dict[str, str] | None = None,
    aggregate_from: str | None = None,
) -> dict[str, Any]:
    role: dict[str, Any] = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": name,
            "labels": {**_BOOTSTRAP_LABEL, **(labels or {})},
            "annotations": dict(_AUTOUPDATE),
        },
        "rules": rules or [],
    }
    if aggregate_from is not None:
        role["aggregationRule"] = {
            "clusterRoleSelectors": [
                {"matchLabels": {_AGGREGATE + aggregate_from: "true"}}
            ]
        }
    return role


def _binding(name: str, role: str, *groups: str) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {
            "name": name,
            "labels": dict(_BOOTSTRAP_LABEL),
            "annotations": dict(_AUTOUPDATE),
        },
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": role,
        },
        "subjects": [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}
            for group in groups
        ],
    }


def bootstrap_objects() -> list[dict[str, Any]]:
    """Fresh copies, in the order to create them (aggregated roles first, so
    that the aggregation fills them as their sources arrive)."""
    return [
        _cluster_role(
            "cluster-admin",
            [_rule(["*"], ["*"], ["*"]), _urls(["*"], ["*"])],
        ),
        _cluster_role("admin", aggregate_from="admin"),
        _cluster_role(
            "edit", labels={_AGGREGATE + "admin": "true"}, aggregate_from="edit"
        ),
        _cluster_role(
            "view", labels={_AGGREGATE + "edit": "true"}, aggregate_from="view"
        ),
        _cluster_role(
            "system:aggregate-to-admin",
            _ADMIN,
            labels={_AGGREGATE + "admin": "true"},
        ),
        _cluster_role(
            "system:aggregate-to-edit", _EDIT, labels={_AGGREGATE + "edit": "true"}
        ),
        _cluster_role(
            "system:aggregate-to-view", _VIEW, labels={_AGGREGATE + "view": "true"}
        ),
        _cluster_role("system:discovery", [_urls(_DISCOVERY_URLS, ["get"])]),
        _cluster_role(
            "system:basic-user",
            [
                _rule(
                    ["authorization.k8s.io"],
                    ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                    ["create"],
                ),
                _rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"]),
            ],
        ),
        _cluster_role("system:public-info-viewer", [_urls(_PUBLIC_URLS, ["get"])]),
        _binding("cluster-admin", "cluster-admin", "system:masters"),
        _binding("system:discovery", "system:discovery", "system:authenticated"),
        _binding("system:basic-user", "system:basic-user", "system:authenticated"),
        _binding(
            "system:public-info-viewer",
            "system:public-info-viewer",
            "system:authenticated",
            "system:unauthenticated",
        ),
    ]
