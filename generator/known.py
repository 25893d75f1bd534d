"""What discovery knows about built-in resources and OpenAPI does not: short names and
categories (as `kubectl api-resources` shows them). Keyed by (group, plural)."""

from __future__ import annotations

SHORT_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "componentstatuses"): ("cs",),
    ("", "configmaps"): ("cm",),
    ("", "endpoints"): ("ep",),
    ("", "events"): ("ev",),
    ("", "limitranges"): ("limits",),
    ("", "namespaces"): ("ns",),
    ("", "nodes"): ("no",),
    ("", "persistentvolumeclaims"): ("pvc",),
    ("", "persistentvolumes"): ("pv",),
    ("", "pods"): ("po",),
    ("", "replicationcontrollers"): ("rc",),
    ("", "resourcequotas"): ("quota",),
    ("", "serviceaccounts"): ("sa",),
    ("", "services"): ("svc",),
    ("apiextensions.k8s.io", "customresourcedefinitions"): ("crd", "crds"),
    ("apps", "daemonsets"): ("ds",),
    ("apps", "deployments"): ("deploy",),
    ("apps", "replicasets"): ("rs",),
    ("apps", "statefulsets"): ("sts",),
    ("autoscaling", "horizontalpodautoscalers"): ("hpa",),
    ("batch", "cronjobs"): ("cj",),
    ("certificates.k8s.io", "certificatesigningrequests"): ("csr",),
    ("events.k8s.io", "events"): ("ev",),
    ("networking.k8s.io", "ingresses"): ("ing",),
    ("networking.k8s.io", "networkpolicies"): ("netpol",),
    ("policy", "poddisruptionbudgets"): ("pdb",),
    ("scheduling.k8s.io", "priorityclasses"): ("pc",),
    ("storage.k8s.io", "storageclasses"): ("sc",),
}

_ALL = ("all",)
_EXTENSIONS = ("api-extensions",)
CATEGORIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): _ALL,
    ("", "replicationcontrollers"): _ALL,
    ("", "services"): _ALL,
    ("apps", "daemonsets"): _ALL,
    ("apps", "deployments"): _ALL,
    ("apps", "replicasets"): _ALL,
    ("apps", "statefulsets"): _ALL,
    ("autoscaling", "horizontalpodautoscalers"): _ALL,
    ("batch", "cronjobs"): _ALL,
    ("batch", "jobs"): _ALL,
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): _EXTENSIONS,
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): _EXTENSIONS,
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"): _EXTENSIONS,
    ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"): _EXTENSIONS,
    ("admissionregistration.k8s.io", "mutatingadmissionpolicies"): _EXTENSIONS,
    ("admissionregistration.k8s.io", "mutatingadmissionpolicybindings"): _EXTENSIONS,
    ("apiextensions.k8s.io", "customresourcedefinitions"): _EXTENSIONS,
    ("apiregistration.k8s.io", "apiservices"): _EXTENSIONS,
}
