"""The Endpoints and EndpointSlice controllers: for every Service with a
selector, the IPs of the pods it selects (ready ones as addresses, the others
as notReadyAddresses / ready=false), with the Service's ports resolved
(named targetPorts looked up in the pods' containers)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..engine.store import Event
from ..semantics.basics import copy_obj, now
from .api import ENDPOINTS, ENDPOINTSLICES, PODS, SERVICES
from .controller import Controller
from .podutil import (
    as_dict,
    as_list,
    controlled_by,
    deleting,
    get,
    name_of,
    namespace_of,
    owner_ref,
    ready,
    terminal,
    uid_of,
)

MANAGER = "endpoint-controller"
SLICE_MANAGER = "endpointslice-controller.k8s.io"


def _selects(selector: dict[str, Any], pod: Any) -> bool:
    labels = as_dict(get(pod, "metadata", "labels"))
    return all(labels.get(k) == v for k, v in selector.items())


def _target_port(port: dict[str, Any], pod: Any) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int) and not isinstance(target, bool):
        return target
    for container in as_list(get(pod, "spec", "containers")):
        for declared in as_list(get(container, "ports")):
            if isinstance(declared, dict) and declared.get("name") == target:
                value = declared.get("containerPort")
                return value if isinstance(value, int) else None
    return None


class Endpoints(Controller):
    name = MANAGER

    def start(self) -> None:
        for svc in self.api.list(SERVICES):
            self.enqueue((namespace_of(svc), name_of(svc)))

    def observe(self, event: Event) -> None:
        if event.key == ("", "services"):
            self.enqueue((namespace_of(event.obj), name_of(event.obj)))
        elif event.key == ("", "pods") and (
            get(event.obj, "status", "podIP") or get(event.prev, "status", "podIP")
        ):
            namespace = namespace_of(event.obj)
            for svc in self.api.list(SERVICES, namespace):
                selector = as_dict(get(svc, "spec", "selector"))
                if selector and (
                    _selects(selector, event.obj) or _selects(selector, event.prev)
                ):
                    self.enqueue((namespace, name_of(svc)))

    def sync(self, key: Hashable) -> None:
        assert isinstance(key, tuple)
        svc = self.api.get(SERVICES, *key)
        if svc is None or deleting(svc):
            return
        selector = as_dict(get(svc, "spec", "selector"))
        if not selector:
            return  # endpoints of selector-less Services are the user's
        pods = [
            p
            for p in self.api.list(PODS, key[0])
            if _selects(selector, p) and get(p, "status", "podIP") and not terminal(p)
        ]
        ports = [p for p in as_list(get(svc, "spec", "ports")) if isinstance(p, dict)]
        self._endpoints(svc, pods, ports)
        self._slice(svc, pods, ports)

    def _endpoints(
        self, svc: dict[str, Any], pods: list[Any], ports: list[dict[str, Any]]
    ) -> None:
        subsets: list[dict[str, Any]] = []
        by_ports: dict[tuple[Any, ...], dict[str, Any]] = {}
        for pod in pods:
            resolved = []
            for port in ports:
                number = _target_port(port, pod)
                if number is None:
                    continue
                entry = {"port": number, "protocol": port.get("protocol", "TCP")}
                if port.get("name"):
                    entry["name"] = port["name"]
                resolved.append(entry)
            if not resolved:
                continue
            signature = tuple(sorted((p.get("name", ""), p["port"]) for p in resolved))
            subset = by_ports.get(signature)
            if subset is None:
                subset = by_ports[signature] = {"ports": resolved}
                subsets.append(subset)
            address = {
                "ip": get(pod, "status", "podIP"),
                "nodeName": get(pod, "spec", "nodeName"),
                "targetRef": {
                    "kind": "Pod",
                    "namespace": namespace_of(pod),
                    "name": name_of(pod),
                    "uid": uid_of(pod),
                },
            }
            bucket = (
                "addresses" if ready(pod) and not deleting(pod) else "notReadyAddresses"
            )
            subset.setdefault(bucket, []).append(address)
        for subset in subsets:
            for bucket in ("addresses", "notReadyAddresses"):
                if bucket in subset:
                    subset[bucket].sort(key=lambda a: str(a["ip"]))
        old = self.api.get(ENDPOINTS, namespace_of(svc), name_of(svc))
        labels = dict(as_dict(get(svc, "metadata", "labels")))
        if old is None:
            body: dict[str, Any] = {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {
                    "name": name_of(svc),
                    "namespace": namespace_of(svc),
                    "annotations": {
                        "endpoints.kubernetes.io/last-change-trigger-time": now()
                    },
                },
            }
            if labels:
                body["metadata"]["labels"] = labels
            if subsets:
                body["subsets"] = subsets
            self.api.create(ENDPOINTS, body, MANAGER)
            return
        if (old.get("subsets") or []) == subsets:
            return
        new = copy_obj(old)
        if subsets:
            new["subsets"] = subsets
        else:
            new.pop("subsets", None)
        new["metadata"].setdefault("annotations", {})[
            "endpoints.kubernetes.io/last-change-trigger-time"
        ] = now()
        self.api.update(ENDPOINTS, old, new, MANAGER)

    def _slice(
        self, svc: dict[str, Any], pods: list[Any], ports: list[dict[str, Any]]
    ) -> None:
        endpoints = []
        slice_ports: list[dict[str, Any]] = []
        for pod in pods:
            is_ready = ready(pod) and not deleting(pod)
            endpoints.append(
                {
                    "addresses": [get(pod, "status", "podIP")],
                    "conditions": {
                        "ready": is_ready,
                        "serving": ready(pod),
                        "terminating": deleting(pod),
                    },
                    "nodeName": get(pod, "spec", "nodeName"),
                    "targetRef": {
                        "kind": "Pod",
                        "namespace": namespace_of(pod),
                        "name": name_of(pod),
                        "uid": uid_of(pod),
                    },
                }
            )
            if not slice_ports:
                for port in ports:
                    number = _target_port(port, pod)
                    if number is not None:
                        slice_ports.append(
                            {
                                "name": port.get("name", ""),
                                "port": number,
                                "protocol": port.get("protocol", "TCP"),
                            }
                        )
        endpoints.sort(key=lambda e: str(e["addresses"][0]))
        existing = [
            s
            for s in self.api.list(ENDPOINTSLICES, namespace_of(svc))
            if controlled_by(s, uid_of(svc))
        ]
        body: dict[str, Any] = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "generateName": f"{name_of(svc)}-",
                "namespace": namespace_of(svc),
                "labels": {
                    "kubernetes.io/service-name": name_of(svc),
                    "endpointslice.kubernetes.io/managed-by": SLICE_MANAGER,
                },
                "ownerReferences": [owner_ref(svc, "v1", "Service")],
            },
            "addressType": "IPv4",
            "endpoints": endpoints,
            "ports": slice_ports,
        }
        if not existing:
            self.api.create(ENDPOINTSLICES, body, SLICE_MANAGER)
            return
        old = existing[0]
        if old.get("endpoints") == endpoints and old.get("ports") == slice_ports:
            return
        new = copy_obj(old)
        new["endpoints"], new["ports"] = endpoints, slice_ports
        self.api.update(ENDPOINTSLICES, old, new, SLICE_MANAGER)
