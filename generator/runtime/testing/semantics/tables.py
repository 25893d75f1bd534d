"""Server-side printing: ``meta.k8s.io`` Tables for clients that ask
(``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``), as kubectl get does.

A few kinds have their real columns (pkg/printers/internalversion); custom
resources get "Name" and their CRD's additionalPrinterColumns ("Age" when it has
none), as the CRD table convertor; the rest get the default table convertor's
"Name" and "Created At".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..._model import parse_time

Column = tuple[str, str, str, int]  # name, type, format, priority
Cells = Callable[[dict[str, Any]], list[Any]]
Layout = tuple[list[Column], Cells]

_DESCRIPTIONS = {
    "Name": "Name must be unique within a namespace. Is required when creating "
    "resources, although some resources may allow a client to request the generation "
    "of an appropriate name automatically. Name is primarily intended for creation "
    "idempotence and configuration definition. Cannot be updated.",
    "Age": "CreationTimestamp is a timestamp representing the server time when this "
    "object was created.",
}


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    if seconds < -1:
        return "<invalid>"
    s = max(int(seconds), 0)
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years = days // 365
    if hours < 24 * 365 * 8:
        rest = days % 365
        return f"{years}y{rest}d" if rest else f"{years}y"
    return f"{years}y"


def age(obj: dict[str, Any]) -> str:
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    moment = parse_time(created)
    return human_duration((datetime.now(timezone.utc) - moment).total_seconds())


def _name(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _pod_cells(pod: dict[str, Any]) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = sum(int(s.get("restartCount") or 0) for s in statuses)
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for s in statuses:
        waiting = (s.get("state") or {}).get("waiting") or {}
        if waiting.get("reason"):
            reason = waiting["reason"]
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    return [
        _name(pod),
        f"{ready}/{len(spec.get('containers') or [])}",
        reason,
        restarts,
        age(pod),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        "<none>",
    ]


def _deployment_cells(dep: dict[str, Any]) -> list[Any]:
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get(
        "containers"
    ) or []
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    return [
        _name(dep),
        f"{status.get('readyReplicas') or 0}/{spec.get('replicas') or 0}",
        status.get("updatedReplicas") or 0,
        status.get("availableReplicas") or 0,
        age(dep),
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
        ",".join(f"{k}={v}" for k, v in sorted(selector.items())),
    ]


def _service_cells(svc: dict[str, Any]) -> list[Any]:
    spec = svc.get("spec") or {}
    ports = ",".join(
        f"{p.get('port')}{':' + str(p['nodePort']) if p.get('nodePort') else ''}/"
        f"{p.get('protocol') or 'TCP'}"
        for p in spec.get("ports") or []
    )
    selector = spec.get("selector") or {}
    return [
        _name(svc),
        spec.get("type") or "ClusterIP",
        spec.get("clusterIP") or "<none>",
        ",".join(spec.get("externalIPs") or []) or "<none>",
        ports or "<none>",
        age(svc),
        ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>",
    ]


def _node_cells(node: dict[str, Any]) -> list[Any]:
    conditions = (node.get("status") or {}).get("conditions") or []
    ready = next((c for c in conditions if c.get("type") == "Ready"), None)
    state = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if (node.get("spec") or {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    labels = (node.get("metadata") or {}).get("labels")
    if not isinstance(labels, dict):
        labels = {}
    roles = sorted(
        k.rpartition("/")[2] for k in labels if k.startswith("node-role.kubernetes.io/")
    )
    info = (node.get("status") or {}).get("nodeInfo") or {}
    addresses = (node.get("status") or {}).get("addresses") or []

    def address(kind: str) -> str:
        found = [
            str(a.get("address"))
            for a in addresses
            if isinstance(a, dict) and a.get("type") == kind
        ]
        return ",".join(found) or "<none>"

    return [
        _name(node),
        state,
        ",".join(roles) or "<none>",
        age(node),
        info.get("kubeletVersion") or "",
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _template_cells(obj: dict[str, Any], selector: bool = True) -> list[Any]:
    """The wide columns of workloads: containers, images (and selector)."""
    spec = obj.get("spec") or {}
    template = (
        spec.get("template")
        or (spec.get("jobTemplate") or {}).get("spec", {}).get("template")
        or {}
    )
    containers = [
        c
        for c in (template.get("spec") or {}).get("containers") or []
        if isinstance(c, dict)
    ]
    cells = [
        ",".join(str(c.get("name", "")) for c in containers),
        ",".join(str(c.get("image", "")) for c in containers),
    ]
    if selector:
        labels = (spec.get("selector") or {}).get("matchLabels") or {}
        cells.append(
            ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"
        )
    return cells


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _replicaset_cells(rs: dict[str, Any]) -> list[Any]:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    return [
        _name(rs),
        _int(spec.get("replicas")),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        age(rs),
        *_template_cells(rs),
    ]


def _statefulset_cells(sts: dict[str, Any]) -> list[Any]:
    spec, status = sts.get("spec") or {}, sts.get("status") or {}
    ready = f"{_int(status.get('readyReplicas'))}/{_int(spec.get('replicas'))}"
    return [_name(sts), ready, age(sts), *_template_cells(sts, selector=False)]


def _daemonset_cells(ds: dict[str, Any]) -> list[Any]:
    status = ds.get("status") or {}
    selector = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
    node_selector = selector.get("nodeSelector") or {}
    return [
        _name(ds),
        _int(status.get("desiredNumberScheduled")),
        _int(status.get("currentNumberScheduled")),
        _int(status.get("numberReady")),
        _int(status.get("updatedNumberScheduled")),
        _int(status.get("numberAvailable")),
        ",".join(f"{k}={v}" for k, v in sorted(node_selector.items())) or "<none>",
        age(ds),
        *_template_cells(ds),
    ]


def _job_cells(job: dict[str, Any]) -> list[Any]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    conditions = {
        c.get("type"): c.get("status")
        for c in status.get("conditions") or []
        if isinstance(c, dict)
    }
    if conditions.get("Complete") == "True":
        state = "Complete"
    elif conditions.get("Failed") == "True":
        state = "Failed"
    elif spec.get("suspend"):
        state = "Suspended"
    else:
        state = "Running"
    completions = spec.get("completions")
    done = _int(status.get("succeeded"))
    shown = (
        f"{done}/{completions}"
        if isinstance(completions, int)
        else f"{done}/1 of {_int(spec.get('parallelism'))}"
    )
    duration = ""
    start = status.get("startTime")
    if start:
        end = status.get("completionTime")
        finish = parse_time(end) if end else datetime.now(timezone.utc)
        duration = human_duration((finish - parse_time(start)).total_seconds())
    return [_name(job), state, shown, duration, age(job), *_template_cells(job)]


def _cronjob_cells(cron: dict[str, Any]) -> list[Any]:
    spec, status = cron.get("spec") or {}, cron.get("status") or {}
    last = status.get("lastScheduleTime")
    since = (
        human_duration((datetime.now(timezone.utc) - parse_time(last)).total_seconds())
        if last
        else "<none>"
    )
    return [
        _name(cron),
        spec.get("schedule") or "",
        spec.get("timeZone") or "<none>",
        "True" if spec.get("suspend") else "False",
        len(status.get("active") or []),
        since,
        age(cron),
        *_template_cells(cron),
    ]


def _since(stamp: Any) -> str:
    if not isinstance(stamp, str) or not stamp:
        return "<unknown>"
    return human_duration(
        (datetime.now(timezone.utc) - parse_time(stamp)).total_seconds()
    )


def _event_cells(event: dict[str, Any]) -> list[Any]:
    involved = event.get("involvedObject") or {}
    source = event.get("source") or {}
    last = event.get("lastTimestamp") or event.get("eventTime")
    return [
        _since(last),
        event.get("type") or "",
        event.get("reason") or "",
        f"{str(involved.get('kind') or '').lower()}/{involved.get('name') or ''}",
        involved.get("fieldPath") or "",
        ", ".join(str(v) for v in (source.get("component"), source.get("host")) if v),
        event.get("message") or "",
        _since(event.get("firstTimestamp") or last),
        event.get("count") or 1,
        _name(event),
    ]


def _endpoints_cells(ep: dict[str, Any]) -> list[Any]:
    shown = []
    for subset in ep.get("subsets") or []:
        if not isinstance(subset, dict):
            continue
        for address in subset.get("addresses") or []:
            for port in subset.get("ports") or [{}]:
                ip = address.get("ip") if isinstance(address, dict) else None
                number = port.get("port") if isinstance(port, dict) else None
                shown.append(f"{ip}:{number}" if number else str(ip))
    text = ",".join(shown[:3]) + (
        f" + {len(shown) - 3} more..." if len(shown) > 3 else ""
    )
    return [_name(ep), text or "<none>", age(ep)]


def _configmap_cells(cm: dict[str, Any]) -> list[Any]:
    entries = len(cm.get("data") or {}) + len(cm.get("binaryData") or {})
    return [_name(cm), entries, age(cm)]


_TABLES: dict[tuple[str, str], tuple[list[Column], Cells]] = {
    ("", "pods"): (
        [
            ("Name", "string", "name", 0),
            ("Ready", "string", "", 0),
            ("Status", "string", "", 0),
            ("Restarts", "string", "", 0),
            ("Age", "string", "", 0),
            ("IP", "string", "", 1),
            ("Node", "string", "", 1),
            ("Nominated Node", "string", "", 1),
            ("Readiness Gates", "string", "", 1),
        ],
        _pod_cells,
    ),
    ("apps", "deployments"): (
        [
            ("Name", "string", "name", 0),
            ("Ready", "string", "", 0),
            ("Up-to-date", "string", "", 0),
            ("Available", "string", "", 0),
            ("Age", "string", "", 0),
            ("Containers", "string", "", 1),
            ("Images", "string", "", 1),
            ("Selector", "string", "", 1),
        ],
        _deployment_cells,
    ),
    ("", "services"): (
        [
            ("Name", "string", "name", 0),
            ("Type", "string", "", 0),
            ("Cluster-IP", "string", "", 0),
            ("External-IP", "string", "", 0),
            ("Port(s)", "string", "", 0),
            ("Age", "string", "", 0),
            ("Selector", "string", "", 1),
        ],
        _service_cells,
    ),
    ("", "namespaces"): (
        [
            ("Name", "string", "name", 0),
            ("Status", "string", "", 0),
            ("Age", "string", "", 0),
        ],
        lambda ns: [_name(ns), (ns.get("status") or {}).get("phase") or "", age(ns)],
    ),
    ("", "configmaps"): (
        [
            ("Name", "string", "name", 0),
            ("Data", "string", "", 0),
            ("Age", "string", "", 0),
        ],
        _configmap_cells,
    ),
    ("", "secrets"): (
        [
            ("Name", "string", "name", 0),
            ("Type", "string", "", 0),
            ("Data", "string", "", 0),
            ("Age", "string", "", 0),
        ],
        lambda s: [
            _name(s),
            s.get("type") or "Opaque",
            len(s.get("data") or {}),
            age(s),
        ],
    ),
    ("", "serviceaccounts"): (
        [
            ("Name", "string", "name", 0),
            ("Secrets", "string", "", 0),
            ("Age", "string", "", 0),
        ],
        lambda sa: [_name(sa), len(sa.get("secrets") or []), age(sa)],
    ),
    ("", "nodes"): (
        [
            ("Name", "string", "name", 0),
            ("Status", "string", "", 0),
            ("Roles", "string", "", 0),
            ("Age", "string", "", 0),
            ("Version", "string", "", 0),
            ("Internal-IP", "string", "", 1),
            ("External-IP", "string", "", 1),
            ("OS-Image", "string", "", 1),
            ("Kernel-Version", "string", "", 1),
            ("Container-Runtime", "string", "", 1),
        ],
        _node_cells,
    ),
    ("apps", "replicasets"): (
        [
            ("Name", "string", "name", 0),
            ("Desired", "integer", "", 0),
            ("Current", "integer", "", 0),
            ("Ready", "integer", "", 0),
            ("Age", "string", "", 0),
            ("Containers", "string", "", 1),
            ("Images", "string", "", 1),
            ("Selector", "string", "", 1),
        ],
        _replicaset_cells,
    ),
    ("apps", "statefulsets"): (
        [
            ("Name", "string", "name", 0),
            ("Ready", "string", "", 0),
            ("Age", "string", "", 0),
            ("Containers", "string", "", 1),
            ("Images", "string", "", 1),
        ],
        _statefulset_cells,
    ),
    ("apps", "daemonsets"): (
        [
            ("Name", "string", "name", 0),
            ("Desired", "integer", "", 0),
            ("Current", "integer", "", 0),
            ("Ready", "integer", "", 0),
            ("Up-to-date", "integer", "", 0),
            ("Available", "integer", "", 0),
            ("Node Selector", "string", "", 0),
            ("Age", "string", "", 0),
            ("Containers", "string", "", 1),
            ("Images", "string", "", 1),
            ("Selector", "string", "", 1),
        ],
        _daemonset_cells,
    ),
    ("batch", "jobs"): (
        [
            ("Name", "string", "name", 0),
            ("Status", "string", "", 0),
            ("Completions", "string", "", 0),
            ("Duration", "string", "", 0),
            ("Age", "string", "", 0),
            ("Containers", "string", "", 1),
            ("Images", "string", "", 1),
            ("Selector", "string", "", 1),
        ],
        _job_cells,
    ),
    ("batch", "cronjobs"): (
        [
            ("Name", "string", "name", 0),
            ("Schedule", "string", "", 0),
            ("Timezone", "string", "", 0),
            ("Suspend", "boolean", "", 0),
            ("Active", "integer", "", 0),
            ("Last Schedule", "string", "", 0),
            ("Age", "string", "", 0),
            ("Containers", "string", "", 1),
            ("Images", "string", "", 1),
            ("Selector", "string", "", 1),
        ],
        _cronjob_cells,
    ),
    ("", "events"): (
        [
            ("Last Seen", "string", "", 0),
            ("Type", "string", "", 0),
            ("Reason", "string", "", 0),
            ("Object", "string", "", 0),
            ("Subobject", "string", "", 1),
            ("Source", "string", "", 1),
            ("Message", "string", "", 0),
            ("First Seen", "string", "", 1),
            ("Count", "string", "", 1),
            ("Name", "string", "name", 1),
        ],
        _event_cells,
    ),
    ("", "endpoints"): (
        [
            ("Name", "string", "name", 0),
            ("Endpoints", "string", "", 0),
            ("Age", "string", "", 0),
        ],
        _endpoints_cells,
    ),
}

_DEFAULT: tuple[list[Column], Cells] = (
    [("Name", "string", "name", 0), ("Created At", "date", "", 0)],
    lambda obj: [_name(obj), (obj.get("metadata") or {}).get("creationTimestamp")],
)


# --------------------------------------------------------------------------- CRDs

_PATH_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
_AGE_COLUMN = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}


def _find(obj: Any, path: str) -> Any:
    """A simple JSON path (``.spec.replicas``, ``.status.items[0].name``)."""
    value = obj
    for key, index in _PATH_PART.findall(path):
        if key:
            value = value.get(key) if isinstance(value, dict) else None
        else:
            items = value if isinstance(value, list) else []
            value = items[int(index)] if int(index) < len(items) else None
        if value is None:
            return None
    return value


def _cell(kind: str, value: Any) -> Any:
    """cellForJSONValue (strings printed as the JSONPath printer prints them)."""
    if value is None:
        return None
    if kind == "string":
        if isinstance(value, (dict, list)):
            return json.dumps(value, separators=(",", ":"))
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    if kind == "integer" and isinstance(value, (int, float)):
        return int(value)
    if kind == "number" and isinstance(value, (int, float)):
        return float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        try:
            moment = parse_time(value)
        except ValueError:
            return "<invalid>"
        return human_duration((datetime.now(timezone.utc) - moment).total_seconds())
    return None


def custom_layout(printer_columns: list[dict[str, Any]]) -> Layout:
    """The CRD table convertor: Name, then the additionalPrinterColumns."""
    extra = [c for c in printer_columns if isinstance(c, dict)] or [_AGE_COLUMN]
    defs: list[Column] = [("Name", "string", "name", 0)]
    defs += [
        (
            str(c.get("name") or ""),
            str(c.get("type") or "string"),
            str(c.get("format") or ""),
            int(c.get("priority") or 0),
        )
        for c in extra
    ]

    def cells(obj: dict[str, Any]) -> list[Any]:
        row: list[Any] = [_name(obj)]
        for column in extra:
            value = _find(obj, str(column.get("jsonPath") or ""))
            row.append(_cell(str(column.get("type") or "string"), value))
        return row

    return defs, cells


def _column(column: Column) -> dict[str, Any]:
    name, kind, fmt, priority = column
    return {
        "name": name,
        "type": kind,
        "format": fmt,
        "description": _DESCRIPTIONS.get(name, name),
        "priority": priority,
    }


def _row_object(
    obj: dict[str, Any], include: str, version: str
) -> dict[str, Any] | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": obj.get("metadata") or {},
    }


def _cells(cells: Cells, obj: dict[str, Any], count: int) -> list[Any]:
    """A row's cells; a malformed stored object (a fixture, a bug) gets its name
    and "<unknown>" rather than breaking the whole table."""
    try:
        return cells(obj)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return [_name(obj), *["<unknown>"] * (count - 1)]


def table(
    storage_key: tuple[str, str],
    objs: list[dict[str, Any]],
    *,
    list_meta: dict[str, Any] | None = None,
    version: str = "v1",
    include: str = "Metadata",
    columns: bool = True,
    layout: Layout | None = None,
) -> dict[str, Any]:
    defs, cells = layout or _TABLES.get(storage_key, _DEFAULT)
    rows = []
    for obj in objs:
        row: dict[str, Any] = {"cells": _cells(cells, obj, len(defs))}
        shown = _row_object(obj, include, version)
        if shown is not None:
            row["object"] = shown
        rows.append(row)
    out: dict[str, Any] = {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": list_meta or {},
    }
    if columns:
        out["columnDefinitions"] = [_column(c) for c in defs]
    out["rows"] = rows
    return out
