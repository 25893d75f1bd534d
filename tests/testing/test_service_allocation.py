"""Service ClusterIP and node port allocation, kube-apiserver's (both modes):
unique, in range, refused with the real wording when requested twice."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Client, status_of

SERVICES = "/api/v1/namespaces/default/services"


def service(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80}], **spec},
    }


@pytest.fixture(params=[False, True], ids=["plain", "simulate"])
def either(request: pytest.FixtureRequest, generated: Path) -> Iterator[Client]:
    from kubeclient.testing import ApiServer

    with ApiServer(simulate=request.param, time_scale=50) as api:
        yield Client(api)


def test_cluster_ips_are_unique_in_the_service_cidr(either: Client) -> None:
    specs = [either.post(SERVICES, service(f"s{i}")).json()["spec"] for i in range(3)]
    ips = [spec["clusterIP"] for spec in specs]
    assert len(set(ips)) == 3
    for spec in specs:
        assert ipaddress.ip_address(spec["clusterIP"]) in ipaddress.ip_network(
            "10.96.0.0/12"
        )
        assert spec["clusterIPs"] == [spec["clusterIP"]]
    headless = either.post(SERVICES, service("h", clusterIP="None")).json()["spec"]
    assert headless["clusterIP"] == "None" and headless["clusterIPs"] == ["None"]
    external = either.post(
        SERVICES, service("x", type="ExternalName", externalName="example.com")
    ).json()["spec"]
    assert "clusterIP" not in external
    # a requested IP of the static band: free, then taken
    dns = either.post(SERVICES, service("dns", clusterIP="10.96.0.10"))
    assert dns.status_code == 201 and dns.json()["spec"]["clusterIP"] == "10.96.0.10"
    again = either.post(SERVICES, service("dns2", clusterIP="10.96.0.10"))
    assert again.status_code == 422
    assert status_of(again)["message"] == (
        'Service "dns2" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: '
        "failed to allocate IP 10.96.0.10: provided IP is already allocated"
    )
    taken = either.post(SERVICES, service("copy", clusterIP=ips[0]))
    assert taken.status_code == 422
    # free again once its service is gone
    assert either.delete(f"{SERVICES}/dns").status_code == 200
    assert either.post(SERVICES, service("dns2", clusterIP="10.96.0.10")).ok


def test_a_requested_ip_out_of_range_or_changed_is_refused(client: Client) -> None:
    outside = client.post(SERVICES, service("out", clusterIP="10.0.0.1"))
    assert outside.status_code == 422
    cause = status_of(outside)["details"]["causes"][0]
    assert cause["field"] == "spec.clusterIPs"
    assert cause["message"] == (
        'Invalid value: ["10.0.0.1"]: failed to allocate IP 10.0.0.1: the provided '
        "IP (10.0.0.1) is not in the valid range. The range of valid IPs is "
        "10.96.0.0/12"
    )
    created = client.post(SERVICES, service("web")).json()
    changed = {**created, "spec": {**created["spec"], "clusterIP": "10.96.0.77"}}
    changed["spec"]["clusterIPs"] = ["10.96.0.77"]
    refused = client.put(f"{SERVICES}/web", changed)
    assert refused.status_code == 422
    assert status_of(refused)["message"].endswith(
        'spec.clusterIPs[0]: Invalid value: ["10.96.0.77"]: may not change once set'
    )
    # an update that leaves it out keeps it
    kept = {**created, "spec": {**created["spec"], "sessionAffinity": "ClientIP"}}
    del kept["spec"]["clusterIP"], kept["spec"]["clusterIPs"]
    updated = client.put(f"{SERVICES}/web", kept)
    assert updated.status_code == 200, updated.text
    assert updated.json()["spec"]["clusterIP"] == created["spec"]["clusterIP"]


def test_node_ports_are_allocated_and_checked(client: Client) -> None:
    first = client.post(SERVICES, service("np", type="NodePort")).json()
    port = first["spec"]["ports"][0]["nodePort"]
    assert 30000 <= port <= 32767
    balancer = client.post(SERVICES, service("lb", type="LoadBalancer")).json()
    other = balancer["spec"]["ports"][0]["nodePort"]
    assert 30000 <= other <= 32767 and other != port
    bare = client.post(
        SERVICES,
        service("lb2", type="LoadBalancer", allocateLoadBalancerNodePorts=False),
    ).json()
    assert "nodePort" not in bare["spec"]["ports"][0]
    assert "nodePort" not in (
        client.post(SERVICES, service("cip")).json()["spec"]["ports"][0]
    )
    twice = service("np2", type="NodePort")
    twice["spec"]["ports"][0]["nodePort"] = port
    refused = client.post(SERVICES, twice)
    assert refused.status_code == 422
    assert status_of(refused)["message"] == (
        f'Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: {port}: '
        "provided port is already allocated"
    )
    twice["spec"]["ports"][0]["nodePort"] = 80
    outside = client.post(SERVICES, twice)
    assert status_of(outside)["details"]["causes"][0]["message"] == (
        "Invalid value: 80: provided port is not in the valid range. The range of "
        "valid ports is 30000-32767"
    )
    # an update without the node port keeps it; a ClusterIP service frees it
    body = client.get(f"{SERVICES}/np").json()
    del body["spec"]["ports"][0]["nodePort"]
    assert client.put(f"{SERVICES}/np", body).json()["spec"]["ports"][0][
        "nodePort"
    ] == (port)
    to_cluster_ip = client.patch(f"{SERVICES}/np", {"spec": {"type": "ClusterIP"}})
    assert to_cluster_ip.status_code == 200, to_cluster_ip.text
    assert "nodePort" not in to_cluster_ip.json()["spec"]["ports"][0]
    twice["spec"]["ports"][0]["nodePort"] = port
    assert client.post(SERVICES, twice).status_code == 201
