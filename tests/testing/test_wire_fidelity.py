"""What kube-apiserver writes on the wire, byte for byte where clients compare
bytes: trailing newlines, pretty-printing, empty structs, defaults."""

from __future__ import annotations

import json
from typing import Any

from .conftest import DEPLOYMENTS, PODS, Client, deployment, pod

SERVICES = "/api/v1/namespaces/default/services"
JOBS = "/apis/batch/v1/namespaces/default/jobs"


def _service(service: str, **port: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": service},
        "spec": {"selector": {"app": service}, "ports": [{"port": 80, **port}]},
    }


def _job(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "run", "image": "busybox:1.36"}],
                }
            }
        },
    }


# --------------------------------------------------------------------------- newlines


def test_objects_lists_and_status_end_with_a_newline(client: Client) -> None:
    created = client.post(PODS, pod("web"))
    assert created.status_code == 201
    assert created.content.endswith(b"}\n") and not created.content.endswith(b"\n\n")
    got = client.get(PODS + "/web")
    assert got.content.endswith(b"}\n")
    listed = client.get(PODS)
    assert listed.content.endswith(b"}\n")
    missing = client.get(PODS + "/nope")
    assert missing.status_code == 404
    assert missing.content.endswith(b"}\n")
    assert missing.json()["reason"] == "NotFound"
    deleted = client.delete(PODS + "/web")
    assert deleted.content.endswith(b"}\n")
    discovery = client.get("/api/v1")
    assert discovery.content.endswith(b"}\n")


def test_watch_events_stay_one_line_each(client: Client) -> None:
    client.post(PODS, pod("a"))
    response = client.get(PODS + "?watch=true&timeoutSeconds=1", stream=True)
    raw = response.raw.read()
    lines = raw.split(b"\n")
    assert lines[-1] == b""  # ends with the last event's newline, no blank line
    events = [json.loads(line) for line in lines[:-1]]
    assert [e["type"] for e in events] == ["ADDED"]


# --------------------------------------------------------------------------- pretty


def test_pretty_true_and_curl_get_indented_json(client: Client) -> None:
    client.post(PODS, pod("web"))
    pretty = client.get(PODS + "/web?pretty=true")
    assert pretty.content.startswith(b'{\n  "kind": "Pod",\n  "apiVersion": "v1",')
    assert not pretty.content.endswith(b"\n")
    curl = client.get(PODS + "/web", headers={"User-Agent": "curl/8.5.0"})
    assert curl.content.startswith(b'{\n  "kind": "Pod",\n  "apiVersion": "v1"')
    browser = client.get(PODS, headers={"User-Agent": "Mozilla/5.0 (X11)"})
    assert b'\n  "apiVersion": "v1",' in browser.content
    # stored objects come out in Go's order: kind, apiVersion, metadata first
    watched = client.get(PODS + "?watch=true&timeoutSeconds=1", stream=True)
    assert b'"object":{"kind":"Pod","apiVersion":"v1","metadata":' in watched.raw.read()
    refused = client.get(
        PODS + "/web?pretty=false", headers={"User-Agent": "curl/8.5.0"}
    )
    assert refused.content.startswith(b'{"kind":"Pod","apiVersion":"v1","metadata":')
    error = client.get(PODS + "/nope?pretty=1")
    assert (
        error.content.startswith(b"{\n  ") and b'\n  "kind": "Status",' in error.content
    )


def test_version_is_always_indented(client: Client) -> None:
    body = client.get("/version").content
    assert body.startswith(b'{\n  "major": ') and not body.endswith(b"\n")


# --------------------------------------------------------------------------- empty structs


def test_empty_status_structs_are_written_out(client: Client) -> None:
    svc = client.post(SERVICES, _service("web")).json()
    assert svc["status"] == {"loadBalancer": {}}
    dep = client.post(DEPLOYMENTS, deployment("web")).json()
    assert dep["status"] == {}
    job = client.post(JOBS, _job("once")).json()
    assert job["status"] == {}
    # and still there when read back
    assert client.get(SERVICES + "/web").json()["status"] == {"loadBalancer": {}}


# --------------------------------------------------------------------------- defaults


def test_deployment_defaults(client: Client) -> None:
    body = deployment("web")
    body["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    spec = client.post(DEPLOYMENTS, body).json()["spec"]
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    template = spec["template"]["spec"]
    assert template["restartPolicy"] == "Always"
    assert template["dnsPolicy"] == "ClusterFirst"
    assert template["schedulerName"] == "default-scheduler"
    assert template["securityContext"] == {}
    assert template["terminationGracePeriodSeconds"] == 30
    assert "serviceAccountName" not in template  # admission: pods only
    [container] = template["containers"]
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["terminationMessagePolicy"] == "File"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["resources"] == {}
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]


def test_recreate_and_empty_strategies(client: Client) -> None:
    recreate = deployment("a")
    recreate["spec"]["strategy"] = {"type": "Recreate"}
    assert client.post(DEPLOYMENTS, recreate).json()["spec"]["strategy"] == {
        "type": "Recreate"
    }
    empty = deployment("b")
    empty["spec"]["strategy"] = {}
    strategy = client.post(DEPLOYMENTS, empty).json()["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": "25%"}


def test_pod_defaults(client: Client) -> None:
    body = pod("web")
    body["spec"]["containers"].append({"name": "side", "image": "busybox"})
    created = client.post(PODS, body).json()
    spec = created["spec"]
    assert spec["serviceAccountName"] == "default"
    assert spec["enableServiceLinks"] is True
    assert spec["securityContext"] == {}
    assert [c["imagePullPolicy"] for c in spec["containers"]] == [
        "IfNotPresent",
        "Always",  # no tag: latest
    ]
    assert {t["key"] for t in spec["tolerations"]} == {
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    }
    assert created["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_service_port_defaults_and_managed_fields_keys(client: Client) -> None:
    svc = client.post(SERVICES, _service("web", name="http")).json()
    [port] = svc["spec"]["ports"]
    assert port == {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["sessionAffinity"] == "None"
    [entry] = svc["metadata"]["managedFields"]
    ports = entry["fieldsV1"]["f:spec"]["f:ports"]
    assert 'k:{"port":80,"protocol":"TCP"}' in ports


def test_job_defaults_and_generated_selector(client: Client) -> None:
    job = client.post(JOBS, _job("once")).json()
    spec = job["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["completionMode"] == "NonIndexed"
    assert spec["suspend"] is False
    uid = job["metadata"]["uid"]
    assert spec["selector"] == {
        "matchLabels": {"batch.kubernetes.io/controller-uid": uid}
    }
    labels = spec["template"]["metadata"]["labels"]
    assert labels["batch.kubernetes.io/job-name"] == "once"
    assert labels["controller-uid"] == uid
