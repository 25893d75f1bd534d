"""Simulated nodes: registered Ready (capacity, allocatable, addresses,
conditions, nodeInfo), their kubelets' heartbeats (a Lease renewed in
kube-node-lease every 10 s, the Ready condition's heartbeat every minute)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from ..semantics.basics import copy_obj, now
from .api import LEASES, NODES
from .controller import Controller, Loop
from .podutil import as_dict, as_list

LEASE_SECONDS = 40
RENEW_SECONDS = 10.0
STATUS_SECONDS = 60.0


@dataclass(frozen=True)
class NodeSpec:
    """One simulated node's size and labels."""

    name: str
    cpu: str = "4"
    memory: str = "16Gi"
    pods: int = 110
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[dict[str, Any], ...] = ()


class Nodes(Controller):
    name = "node-lifecycle"

    def __init__(self, loop: Loop, specs: list[NodeSpec], version: str) -> None:
        super().__init__(loop)
        self.specs = specs
        self.version = version
        #: name -> (index, InternalIP); the kubelet allocates pod IPs from the index
        self.addresses: dict[str, tuple[int, str]] = {}

    def start(self) -> None:
        for index, spec in enumerate(self.specs):
            self.addresses[spec.name] = (index, f"10.0.0.{index + 10}")
            if self.api.get(NODES, "", spec.name) is None:
                node = self.api.create(NODES, self._node(index, spec), "kubelet")
                if node is not None:
                    self._registered(node)
            self.enqueue(("lease", spec.name))
            self.after(STATUS_SECONDS, ("status", spec.name))

    def sync(self, key: Hashable) -> None:
        assert isinstance(key, tuple)
        what, name = key
        if what == "lease":
            self._renew(name)
            self.after(RENEW_SECONDS, key)
        elif what == "status":
            self._heartbeat(name)
            self.after(STATUS_SECONDS, key)

    def _registered(self, node: dict[str, Any]) -> None:
        """The events a kubelet and the node controller write as a node joins."""
        name = node["metadata"]["name"]
        # the kubelet names its node by name as the uid (as the real one does)
        about = {**node, "metadata": {**node["metadata"], "uid": name}}
        for reason, message in (
            ("Starting", "Starting kubelet."),
            (
                "NodeHasSufficientMemory",
                f"Node {name} status is now: NodeHasSufficientMemory",
            ),
            (
                "NodeHasNoDiskPressure",
                f"Node {name} status is now: NodeHasNoDiskPressure",
            ),
            (
                "NodeHasSufficientPID",
                f"Node {name} status is now: NodeHasSufficientPID",
            ),
            ("NodeAllocatableEnforced", "Updated Node Allocatable limit across pods"),
            ("NodeReady", f"Node {name} status is now: NodeReady"),
        ):
            self.api.event(
                about, "Node", "v1", "Normal", reason, message, "kubelet", name
            )
        self.api.event(
            node,
            "Node",
            "v1",
            "Normal",
            "RegisteredNode",
            f"Node {name} event: Registered Node {name} in Controller",
            "node-controller",
        )

    def _renew(self, name: str) -> None:
        lease = self.api.get(LEASES, "kube-node-lease", name)
        node = self.api.get(NODES, "", name)
        if lease is None:
            body: dict[str, Any] = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": name, "namespace": "kube-node-lease"},
                "spec": {
                    "holderIdentity": name,
                    "leaseDurationSeconds": LEASE_SECONDS,
                    "renewTime": _micro_now(),
                },
            }
            if node is not None:
                body["metadata"]["ownerReferences"] = [
                    {
                        "apiVersion": "v1",
                        "kind": "Node",
                        "name": name,
                        "uid": node["metadata"].get("uid"),
                    }
                ]
            self.api.create(LEASES, body, "kubelet")
            return
        new = copy_obj(lease)
        spec = as_dict(new.get("spec"))
        spec["renewTime"] = _micro_now()
        new["spec"] = spec
        self.api.update(LEASES, lease, new, "kubelet")

    def _heartbeat(self, name: str) -> None:
        node = self.api.get(NODES, "", name)
        if node is None:
            return
        status = copy_obj(node.get("status") or {})
        stamp = now()
        for cond in as_list(status.get("conditions")):
            if isinstance(cond, dict):
                cond["lastHeartbeatTime"] = stamp
        self.api.update_status(NODES, node, status, "kubelet")

    def _node(self, index: int, spec: NodeSpec) -> dict[str, Any]:
        stamp = now()
        capacity = {
            "cpu": spec.cpu,
            "memory": spec.memory,
            "pods": str(spec.pods),
            "ephemeral-storage": "100Gi",
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
        }
        _, ip = self.addresses[spec.name]

        def condition(kind: str, status: str, reason: str, message: str) -> Any:
            return {
                "type": kind,
                "status": status,
                "lastHeartbeatTime": stamp,
                "lastTransitionTime": stamp,
                "reason": reason,
                "message": message,
            }

        labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": spec.name,
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "simulated",
            "type": "simulated",
            **spec.labels,
        }
        node_spec: dict[str, Any] = {
            "podCIDR": f"10.244.{index}.0/24",
            "podCIDRs": [f"10.244.{index}.0/24"],
            "providerID": f"simulated://{spec.name}",
        }
        if spec.taints:
            node_spec["taints"] = [dict(t) for t in spec.taints]
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": spec.name,
                "labels": labels,
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                },
            },
            "spec": node_spec,
            "status": {
                "capacity": capacity,
                "allocatable": {**capacity, "ephemeral-storage": "95Gi"},
                "conditions": [
                    condition(
                        "MemoryPressure",
                        "False",
                        "KubeletHasSufficientMemory",
                        "kubelet has sufficient memory available",
                    ),
                    condition(
                        "DiskPressure",
                        "False",
                        "KubeletHasNoDiskPressure",
                        "kubelet has no disk pressure",
                    ),
                    condition(
                        "PIDPressure",
                        "False",
                        "KubeletHasSufficientPID",
                        "kubelet has sufficient PID available",
                    ),
                    condition(
                        "Ready",
                        "True",
                        "KubeletReady",
                        "kubelet is posting ready status",
                    ),
                ],
                "addresses": [
                    {"type": "InternalIP", "address": ip},
                    {"type": "Hostname", "address": spec.name},
                ],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "machineID": f"{index:032x}",
                    "systemUUID": f"00000000-0000-0000-0000-{index:012x}",
                    "bootID": f"{index + 1:08x}-0000-0000-0000-000000000000",
                    "kernelVersion": "6.1.0-simulated",
                    "osImage": "Simulated Linux",
                    "containerRuntimeVersion": "containerd://1.7.0-simulated",
                    "kubeletVersion": self.version,
                    "kubeProxyVersion": "",  # deprecated; Go writes the empty string
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                },
            },
        }


def _micro_now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
