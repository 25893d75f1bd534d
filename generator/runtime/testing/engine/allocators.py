"""What kube-apiserver's Service storage allocates (not a controller: both
modes do it): a unique ClusterIP from the service CIDR (10.96.0.0/12, as
kubeadm configures it), none for a headless (``None``) or ExternalName
service, and node ports (30000-32767) for NodePort and LoadBalancer services.

A requested IP or node port outside its range, or already another service's,
is a 422 worded as the real one; a ClusterIP may not change once set. Dynamic
IPs come from above the first 256 addresses, the band the real allocator
leaves to requested ones (10.96.0.10 for cluster DNS), in order rather than at
random; the allocations are the stored services' (nothing to leak or
release: a deleted service's IP and ports are free again)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from ..protocol.status import ApiError, Cause, invalid
from ..semantics.resource import Resource
from .store import Store

SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/12")
NODE_PORTS = range(30000, 32768)
_STATIC_BAND = 256
_SERVICES = ("", "services")


def _spec(obj: dict[str, Any] | None) -> dict[str, Any]:
    spec = (obj or {}).get("spec")
    return spec if isinstance(spec, dict) else {}


def _ips(spec: dict[str, Any]) -> list[str]:
    ips = spec.get("clusterIPs")
    if isinstance(ips, list) and ips:
        return [str(ip) for ip in ips]
    return [str(spec["clusterIP"])] if spec.get("clusterIP") else []


def _wants_node_ports(spec: dict[str, Any]) -> bool:
    kind = spec.get("type")
    return kind == "NodePort" or (
        kind == "LoadBalancer"
        and spec.get("allocateLoadBalancerNodePorts") is not False
    )


def _ports(spec: dict[str, Any]) -> list[dict[str, Any]]:
    ports = spec.get("ports")
    return [p for p in ports if isinstance(p, dict)] if isinstance(ports, list) else []


def _node_port(port: dict[str, Any]) -> int | None:
    value = port.get("nodePort")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class ServiceAllocator:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._ip_cursor = _STATIC_BAND
        self._port_cursor = 0

    def _others(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        meta = obj.get("metadata") or {}
        me = (meta.get("namespace"), meta.get("name"))
        return [
            svc
            for svc in self.store.objects(_SERVICES)
            if (svc["metadata"].get("namespace"), svc["metadata"].get("name")) != me
        ]

    def _used_ips(self, obj: dict[str, Any] | None = None) -> set[str]:
        services = self._others(obj) if obj else self.store.objects(_SERVICES)
        return {ip for svc in services for ip in _ips(_spec(svc))}

    def next_ip(self) -> str:
        """A free ClusterIP (the defaulting's allocate_ip)."""
        used = self._used_ips()
        size = SERVICE_CIDR.num_addresses - 2  # not the network nor broadcast
        for step in range(size):
            offset = (self._ip_cursor + step) % size + 1
            ip = str(SERVICE_CIDR.network_address + offset)
            if ip not in used:
                self._ip_cursor = offset
                return ip
        raise ApiError(
            500,
            "InternalError",
            "Internal error occurred: failed to allocate a serviceIP: range is full",
        )

    def admit(
        self, resource: Resource, old: dict[str, Any] | None, new: dict[str, Any]
    ) -> None:
        """Check (and fill in node ports of) a service about to be stored."""
        if resource.storage_key != _SERVICES:
            return
        spec = _spec(new)
        name = str((new.get("metadata") or {}).get("name") or "")
        causes = self._ip_causes(new, spec, old)
        if not causes:
            causes = self._node_ports(new, spec, _spec(old) if old else None)
        if causes:
            raise invalid("Service", "", name, causes)

    def _ip_causes(
        self, new: dict[str, Any], spec: dict[str, Any], old: dict[str, Any] | None
    ) -> list[Cause]:
        if spec.get("type") == "ExternalName":
            return []
        ips = _ips(spec)
        shown = json.dumps(ips, separators=(",", ":"))
        old_spec = _spec(old)
        old_ips = _ips(old_spec) if old_spec.get("type") != "ExternalName" else []
        if old_ips and ips[:1] != old_ips[:1]:
            return [
                Cause(
                    "spec.clusterIPs[0]",
                    f"Invalid value: {shown}: may not change once set",
                )
            ]
        if not ips or ips[0] == "None" or ips == old_ips:
            return []
        used = self._used_ips(new)
        for ip in ips:
            if ip in old_ips:
                continue
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                continue  # validation's to word
            problem = ""
            if (
                address not in SERVICE_CIDR
                or address == SERVICE_CIDR.network_address
                or address == SERVICE_CIDR.broadcast_address
            ):
                problem = (
                    f"the provided IP ({ip}) is not in the valid range. The range "
                    f"of valid IPs is {SERVICE_CIDR}"
                )
            elif ip in used:
                problem = "provided IP is already allocated"
            if problem:
                detail = f"failed to allocate IP {ip}: {problem}"
                return [Cause("spec.clusterIPs", f"Invalid value: {shown}: {detail}")]
        return []

    def _node_ports(
        self,
        new: dict[str, Any],
        spec: dict[str, Any],
        old_spec: dict[str, Any] | None,
    ) -> list[Cause]:
        ports = _ports(spec)
        old_ports = _ports(old_spec) if old_spec else []
        old_numbers = {n for p in old_ports if (n := _node_port(p)) is not None}
        if not _wants_node_ports(spec):
            if old_spec is not None and _wants_node_ports(old_spec):
                for port in ports:  # NodePort -> ClusterIP: the ports are freed
                    if _node_port(port) in old_numbers:
                        del port["nodePort"]
            return []
        if old_spec is not None and _wants_node_ports(old_spec):
            taken = {_node_port(p) for p in ports}
            for port in ports:  # kept on update, matched by port name
                if _node_port(port) is None:
                    for old_port in old_ports:
                        number = _node_port(old_port)
                        if old_port.get("name") == port.get("name") and (
                            number is not None and number not in taken
                        ):
                            port["nodePort"] = number
                            taken.add(number)
                            break
        used = {
            n
            for svc in self._others(new)
            if _wants_node_ports(_spec(svc))
            for p in _ports(_spec(svc))
            if (n := _node_port(p)) is not None
        }
        for index, port in enumerate(ports):
            number = _node_port(port)
            if number is None or number in old_numbers:
                continue
            problem = ""
            if number not in NODE_PORTS:
                problem = (
                    "provided port is not in the valid range. The range of valid "
                    f"ports is {NODE_PORTS.start}-{NODE_PORTS.stop - 1}"
                )
            elif number in used:
                problem = "provided port is already allocated"
            if problem:
                return [
                    Cause(
                        f"spec.ports[{index}].nodePort",
                        f"Invalid value: {number}: {problem}",
                    )
                ]
            used.add(number)
        for port in ports:
            if _node_port(port) is None:
                port["nodePort"] = self._next_port(used | old_numbers)
                used.add(port["nodePort"])
        return []

    def _next_port(self, used: set[int]) -> int:
        size = len(NODE_PORTS)
        for step in range(size):
            offset = (self._port_cursor + step) % size
            if NODE_PORTS[offset] not in used:
                self._port_cursor = offset + 1
                return NODE_PORTS[offset]
        raise ApiError(
            500,
            "InternalError",
            "Internal error occurred: failed to allocate a nodePort: range is full",
        )
