"""Malformed bodies and malformed stored objects: the test API server answers them
as kube-apiserver does (400 with Go's decoding error, 422, 409, or the field
manager's 500) and one bad object never breaks the requests about others.

Requests go through the socket-free core (``server.core.handle``): the same code
as over HTTP, fast enough for the seeded fuzz cases at the end.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from ..conftest import upstream_testdata
from .conftest import CONFIGMAPS, DEPLOYMENTS, PODS, configmap, deployment, pod

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

CRONTAB_CRD = Path(__file__).resolve().parents[2] / "specs/example/crontab-crd.yaml"
CRONTABS = "/apis/stable.example.com/v1/namespaces/default/crontabs"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
TOO_DEEP = (
    "the request body is nested too deeply: more than 100 levels of objects and "
    "lists"
)


class Api:
    """Requests straight to the server's core: (status code, decoded body)."""

    def __init__(self, server: ApiServer) -> None:
        self.server = server

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        accept: str | None = None,
        **query: str,
    ) -> tuple[int, Any]:
        from kubeclient.testing import ServerRequest

        headers = {
            "authorization": f"Bearer {self.server.token}",
            "content-type": content_type,
        }
        if accept:
            headers["accept"] = accept
        data = body if isinstance(body, bytes) else b""
        if body is not None and not isinstance(body, bytes):
            data = json.dumps(body).encode()
        response = self.server.core.handle(
            ServerRequest(
                method, path, {k: [v] for k, v in query.items()}, headers, data
            )
        )
        if response.stream is not None:
            lines = b"".join(chunk for chunk in response.stream if chunk)
            events = [json.loads(line) for line in lines.splitlines()]
            return response.status, events
        return response.status, json.loads(response.body) if response.body else None

    def watch(self, path: str, **query: str) -> list[tuple[str, str]]:
        """(type, name) of the events of a one-second watch from "now"."""
        code, events = self.call("GET", path, watch="1", timeoutSeconds="1", **query)
        assert code == 200, events
        return [(e["type"], e["object"]["metadata"].get("name")) for e in events]


@pytest.fixture
def api(server: ApiServer) -> Api:
    return Api(server)


def value_kind(value: Any) -> str:
    return {str: "string", int: "number", bool: "bool"}[type(value)]


def message(result: tuple[int, Any]) -> str:
    code, body = result
    assert body["kind"] == "Status" and body["code"] == code, body
    text: str = body["message"]
    return text


def names(result: tuple[int, Any]) -> list[Any]:
    code, body = result
    assert code == 200, body
    return [item["metadata"].get("name") for item in body["items"]]


# --------------------------------------------------------------------------- types


def _with(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``obj`` with the dotted ``path`` set (``containers.0`` indexes)."""
    out = copy.deepcopy(obj)
    target: Any = out
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(keys[-1])] = value
    else:
        target[keys[-1]] = value
    return out


def _decode(kind: str, detail: str) -> str:
    return f'{kind} in version "v1" cannot be handled as a {kind}: {detail}'


GO_TYPE_ERRORS = [
    (
        DEPLOYMENTS,
        _with(deployment("d"), "spec.replicas", "3"),
        _decode(
            "Deployment",
            "json: cannot unmarshal string into Go struct field "
            "DeploymentSpec.spec.replicas of type int32",
        ),
    ),
    (
        DEPLOYMENTS,
        _with(deployment("d"), "spec.replicas", 1.5),
        _decode(
            "Deployment",
            "json: cannot unmarshal number 1.5 into Go struct field "
            "DeploymentSpec.spec.replicas of type int32",
        ),
    ),
    (
        DEPLOYMENTS,
        _with(deployment("d"), "spec.replicas", 2**40),
        _decode(
            "Deployment",
            "json: cannot unmarshal number 1099511627776 into Go struct field "
            "DeploymentSpec.spec.replicas of type int32",
        ),
    ),
    (
        PODS,
        _with(pod("p"), "metadata.name", 5),
        _decode(
            "Pod",
            "json: cannot unmarshal number into Go struct field "
            "ObjectMeta.metadata.name of type string",
        ),
    ),
    (
        PODS,
        _with(pod("p"), "metadata.labels", "x"),
        _decode(
            "Pod",
            "json: cannot unmarshal string into Go struct field "
            "ObjectMeta.metadata.labels of type map[string]string",
        ),
    ),
    (
        PODS,
        _with(pod("p"), "metadata.labels", ["app=web"]),
        _decode(
            "Pod",
            "json: cannot unmarshal array into Go struct field "
            "ObjectMeta.metadata.labels of type map[string]string",
        ),
    ),
    (
        PODS,
        _with(pod("p"), "metadata.annotations", {"a": True}),
        _decode(
            "Pod",
            "json: cannot unmarshal bool into Go struct field "
            "ObjectMeta.metadata.annotations of type string",
        ),
    ),
    (
        PODS,
        _with(pod("p"), "metadata.ownerReferences", "x"),
        _decode(
            "Pod",
            "json: cannot unmarshal string into Go struct field "
            "ObjectMeta.metadata.ownerReferences of type []v1.OwnerReference",
        ),
    ),
    (
        PODS,
        _with(pod("p"), "metadata", "x"),
        _decode(
            "Pod",
            "json: cannot unmarshal string into Go struct field Pod.metadata of "
            "type v1.ObjectMeta",
        ),
    ),
    (
        PODS,
        _with(pod("p"), "spec.containers.0", "nginx"),
        _decode(
            "Pod",
            "json: cannot unmarshal string into Go struct field "
            "PodSpec.spec.containers of type v1.Container",
        ),
    ),
    (
        PODS,
        _with(pod("p"), "spec.containers.0.ports", [{"containerPort": "80"}]),
        _decode(
            "Pod",
            "json: cannot unmarshal string into Go struct field "
            "ContainerPort.spec.containers.ports.containerPort of type int32",
        ),
    ),
    (
        PODS,
        _with(pod("p"), "spec.containers.0.resources", {"limits": {"cpu": "1x"}}),
        _decode(
            "Pod",
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
    ),
    (
        PODS,
        _with(pod("p"), "spec.containers.0.resources", {"limits": "1 cpu"}),
        _decode(
            "Pod",
            "json: cannot unmarshal string into Go struct field "
            "ResourceRequirements.spec.containers.resources.limits of type "
            "v1.ResourceList",
        ),
    ),
    (
        PODS,
        _with(pod("p"), "spec.containers.0.resources", {"limits": {"cpu": "2kk"}}),
        _decode("Pod", "unable to parse quantity's suffix"),
    ),
    (
        PODS,
        _with(pod("p"), "metadata.creationTimestamp", "yesterday"),
        _decode(
            "Pod",
            'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse '
            '"yesterday" as "2006"',
        ),
    ),
    (
        PODS,
        _with(pod("p"), "metadata.creationTimestamp", "2024-02-30T00:00:00Z"),
        _decode("Pod", 'parsing time "2024-02-30T00:00:00Z": day out of range'),
    ),
    (
        PODS,
        _with(pod("p"), "metadata.creationTimestamp", 1700000000),
        _decode(
            "Pod",
            "json: cannot unmarshal number into Go struct field "
            "ObjectMeta.metadata.creationTimestamp of type string",
        ),
    ),
    (
        DEPLOYMENTS,
        _with(deployment("d"), "spec.strategy", {"rollingUpdate": {"maxSurge": True}}),
        _decode(
            "Deployment",
            "json: cannot unmarshal bool into Go struct field "
            "RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type int32",
        ),
    ),
    (
        CONFIGMAPS,
        _with(configmap("c"), "data", [1, 2]),
        _decode(
            "ConfigMap",
            "json: cannot unmarshal array into Go struct field ConfigMap.data of type "
            "map[string]string",
        ),
    ),
    (
        CONFIGMAPS,
        _with(configmap("c"), "binaryData", {"key": "abc$"}),
        _decode("ConfigMap", "illegal base64 data at input byte 3"),
    ),
    (
        CONFIGMAPS,
        _with(configmap("c"), "binaryData", 7),
        _decode(
            "ConfigMap",
            "json: cannot unmarshal number into Go struct field ConfigMap.binaryData "
            "of type map[string][]uint8",
        ),
    ),
    (
        # Go reports the first type error in document order ...
        CONFIGMAPS,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "c"},
            "immutable": "yes",
            "data": 5,
        },
        _decode(
            "ConfigMap",
            "json: cannot unmarshal string into Go struct field ConfigMap.immutable "
            "of type bool",
        ),
    ),
    (
        # ... but an UnmarshalJSON error (a Quantity's) stops decoding and wins
        PODS,
        _with(
            _with(pod("p"), "metadata.labels", "x"),
            "spec.containers.0.resources",
            {"requests": {"memory": "lots"}},
        ),
        _decode(
            "Pod",
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
    ),
    (
        CONFIGMAPS,
        {"apiVersion": "v1", "kind": 5, "metadata": {"name": "c"}},
        "the object provided is unrecognized (must be of type ConfigMap): couldn't "
        "get version/kind; json parse error: json: cannot unmarshal number into Go "
        'struct field .kind of type string ({"apiVersion":"v1","kind":5,"m ...)',
    ),
]


@pytest.mark.parametrize(("path", "body", "expected"), GO_TYPE_ERRORS)
def test_type_errors_are_400_with_the_go_decoding_message(
    api: Api, path: str, body: dict[str, Any], expected: str
) -> None:
    result = api.call("POST", path, body)
    assert result[0] == 400
    assert result[1]["reason"] == "BadRequest"
    assert message(result) == expected
    assert names(api.call("GET", path)) == []  # nothing stored


def test_valid_values_of_every_flavour_are_accepted(api: Api) -> None:
    """null fits any field; Quantity takes numbers; IntOrString ints or strings;
    Time fractional seconds and offsets; []byte base64."""
    nulls = _with(deployment("nulls"), "spec.replicas", None)
    nulls["metadata"]["annotations"] = None
    assert api.call("POST", DEPLOYMENTS, nulls)[0] == 201
    flavours = pod("flavours")
    flavours["metadata"]["creationTimestamp"] = "2024-01-01T10:00:00.123+02:00"
    flavours["spec"]["containers"][0]["resources"] = {
        "limits": {"cpu": 1.5, "memory": "64Mi"},
        "requests": {"cpu": "250m", "memory": 1e6},
    }
    flavours["spec"]["containers"][0]["livenessProbe"] = {
        "httpGet": {"port": "http", "path": "/"},
        "tcpSocket": {"port": 8080},
    }
    assert api.call("POST", PODS, flavours)[0] == 201, flavours
    binary = configmap("binary")
    binary["binaryData"] = {"a": "aGVsbG8=", "b": "aGVs\nbG8="}
    assert api.call("POST", CONFIGMAPS, binary)[0] == 201


def test_update_and_patch_report_type_errors_as_the_real_handlers(api: Api) -> None:
    assert api.call("POST", DEPLOYMENTS, deployment("web"))[0] == 201
    _, current = api.call("GET", DEPLOYMENTS + "/web")
    update = api.call("PUT", DEPLOYMENTS + "/web", _with(current, "spec.paused", 1))
    assert update[0] == 400
    assert message(update) == _decode(
        "Deployment",
        "json: cannot unmarshal number into Go struct field DeploymentSpec.spec.paused "
        "of type bool",
    )
    merge = api.call(
        "PATCH",
        DEPLOYMENTS + "/web",
        {"spec": {"replicas": "4"}},
        content_type="application/merge-patch+json",
    )
    assert merge[0] == 422
    assert merge[1]["reason"] == "Invalid"
    text = message(merge)
    assert text.startswith(' "" is invalid: patch: Invalid value: "{\\"apiVersion\\"')
    assert text.endswith(
        '": json: cannot unmarshal string into Go struct field '
        "DeploymentSpec.spec.replicas of type int32"
    )
    assert merge[1]["details"]["causes"][0]["field"] == "patch"
    # the field manager refuses an apply it cannot type: a plain error, 500
    apply = api.call(
        "PATCH",
        DEPLOYMENTS + "/web",
        {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": "4"}},
        content_type="application/apply-patch+yaml",
        fieldManager="me",
    )
    assert apply[0] == 500
    assert "reason" not in apply[1]
    assert message(apply) == (
        "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): "
        ".spec.replicas: expected numeric (int or float), got string"
    )
    _, after = api.call("GET", DEPLOYMENTS + "/web")
    assert after["spec"]["replicas"] == 1
    assert (
        after["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]
    )


def test_delete_options_bodies_are_checked(api: Api) -> None:
    assert api.call("POST", PODS, pod("p"))[0] == 201
    for body, detail in (
        ({"gracePeriodSeconds": "x"}, "gracePeriodSeconds of type int64"),
        ({"dryRun": 5}, "dryRun of type []string"),
        ({"preconditions": "x"}, "preconditions of type v1.Preconditions"),
    ):
        result = api.call("DELETE", PODS + "/p", body)
        assert result[0] == 400
        kind = value_kind(next(iter(body.values())))
        assert message(result) == (
            f"json: cannot unmarshal {kind} into Go struct field DeleteOptions.{detail}"
        )
    assert api.call("GET", PODS + "/p")[0] == 200
    assert api.call("DELETE", PODS + "/p", {"gracePeriodSeconds": 0})[0] == 200


def test_nan_and_infinity_are_not_json(api: Api) -> None:
    start = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n"},"x":'
    for literal, detail in (
        (b"NaN", "'N' looking for beginning of value"),
        (b"-Infinity", "'I' in numeric literal"),
    ):
        result = api.call("POST", CONFIGMAPS, start + literal + b"}")
        assert result[0] == 400
        assert message(result) == (
            f"couldn't get version/kind; json parse error: invalid character {detail}"
        )
    named = {**configmap("nan"), "data": {"NaN": "Infinity"}}
    assert api.call("POST", CONFIGMAPS, named)[0] == 201


def test_subresource_bodies_are_checked_too(api: Api) -> None:
    assert api.call("POST", DEPLOYMENTS, deployment("web"))[0] == 201
    assert api.call("POST", PODS, pod("p"))[0] == 201
    scale = {
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {"name": "web"},
    }
    result = api.call(
        "PUT", DEPLOYMENTS + "/web/scale", {**scale, "spec": {"replicas": "3"}}
    )
    assert result[0] == 400
    assert message(result) == _decode(
        "Scale",
        "json: cannot unmarshal string into Go struct field ScaleSpec.spec.replicas "
        "of type int32",
    )
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": "p"}
    result = api.call("POST", PODS + "/p/eviction", eviction)
    assert result[0] == 400
    assert message(result) == _decode(
        "Eviction",
        "json: cannot unmarshal string into Go struct field Eviction.metadata of "
        "type v1.ObjectMeta",
    )
    binding = {"apiVersion": "v1", "kind": "Binding", "target": "node-1"}
    result = api.call("POST", PODS + "/p/binding", binding)
    assert result[0] == 400
    assert "Go struct field Binding.target of type v1.ObjectReference" in message(
        result
    )
    assert api.call("GET", DEPLOYMENTS + "/web/scale")[1]["spec"]["replicas"] == 1
    assert api.call("GET", PODS + "/p")[0] == 200


def test_yaml_bodies_are_checked_and_whole_floats_are_integers(api: Api) -> None:
    body = yaml.safe_dump(_with(deployment("y"), "spec.replicas", 3.0)).encode()
    created = api.call("POST", DEPLOYMENTS, body, content_type="application/yaml")
    assert created[0] == 201
    assert created[1]["spec"]["replicas"] == 3  # YAMLToJSON writes 3.0 as 3
    bad = yaml.safe_dump(_with(deployment("z"), "spec.replicas", "three")).encode()
    result = api.call("POST", DEPLOYMENTS, bad, content_type="application/yaml")
    assert result[0] == 400
    assert "DeploymentSpec.spec.replicas of type int32" in message(result)


# --------------------------------------------------------------------------- custom


@pytest.fixture
def crontabs(server: ApiServer) -> Api:
    server.core.seed(yaml.safe_load(CRONTAB_CRD.read_text()))
    return Api(server)


def crontab(name: str, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "stable.example.com/v1",
        "kind": "CronTab",
        "metadata": {"name": name, **meta},
        "spec": {"cronSpec": "* * * * */5", "image": "busybox"},
    }


def test_custom_resource_metadata_is_decoded_into_object_meta(crontabs: Api) -> None:
    """The CRD handler decodes metadata alone into ObjectMeta: the path starts
    at metadata; the body against the schema stays 422 Invalid."""
    cases = [
        (
            crontab("c", labels="x"),
            "json: cannot unmarshal string into Go struct field ObjectMeta.labels of "
            "type map[string]string",
        ),
        (
            {**crontab("c"), "metadata": {"name": 5}},
            "json: cannot unmarshal number into Go struct field ObjectMeta.name of "
            "type string",
        ),
        (
            {**crontab("c"), "metadata": "x"},
            "json: cannot unmarshal string into Go value of type v1.ObjectMeta",
        ),
    ]
    for body, detail in cases:
        result = crontabs.call("POST", CRONTABS, body)
        assert result[0] == 400, body
        assert message(result) == (
            f'CronTab in version "v1" cannot be handled as a CronTab: {detail}'
        )
    schema = crontabs.call("POST", CRONTABS, _with(crontab("c"), "spec.replicas", "3"))
    assert schema[0] == 422
    assert message(schema) == (
        'CronTab.stable.example.com "c" is invalid: spec.replicas: Invalid value: '
        '"string": spec.replicas in body must be of type integer: "string"'
    )
    assert names(crontabs.call("GET", CRONTABS)) == []
    assert crontabs.call("POST", CRONTABS, crontab("ok"))[0] == 201
    assert names(crontabs.call("GET", CRONTABS, labelSelector="a!=b")) == ["ok"]


# --------------------------------------------------------------------------- apply


def test_apply_refuses_managed_fields_and_checks_resource_version(api: Api) -> None:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}
    first = api.call(
        "PATCH",
        CONFIGMAPS + "/a",
        {**config, "data": {"k": "1"}},
        content_type="application/apply-patch+yaml",
        fieldManager="me",
    )
    assert first[0] == 201
    live = first[1]
    with_managed = {**config, "metadata": dict(live["metadata"])}
    refused = api.call(
        "PATCH",
        CONFIGMAPS + "/a",
        with_managed,
        content_type="application/apply-patch+yaml",
        fieldManager="me",
    )
    assert refused[0] == 400
    assert refused[1]["reason"] == "BadRequest"
    assert message(refused) == "metadata.managedFields must be nil"
    stale = {**config, "metadata": {"name": "a", "resourceVersion": "1"}}
    conflict = api.call(
        "PATCH",
        CONFIGMAPS + "/a",
        {**stale, "data": {"k": "2"}},
        content_type="application/apply-patch+yaml",
        fieldManager="me",
    )
    assert conflict[0] == 409
    assert message(conflict) == (
        'Operation cannot be fulfilled on configmaps "a": the object has been '
        "modified; please apply your changes to the latest version and try again"
    )
    rv = live["metadata"]["resourceVersion"]
    current = {**config, "metadata": {"name": "a", "resourceVersion": rv}}
    applied = api.call(
        "PATCH",
        CONFIGMAPS + "/a",
        {**current, "data": {"k": "3"}},
        content_type="application/apply-patch+yaml",
        fieldManager="me",
    )
    assert applied[0] == 200
    assert applied[1]["data"] == {"k": "3"}
    # creating: a resourceVersion is no precondition on anything, it is dropped
    absent = {**config, "metadata": {"name": "b", "resourceVersion": "12345"}}
    created = api.call(
        "PATCH",
        CONFIGMAPS + "/b",
        absent,
        content_type="application/apply-patch+yaml",
        fieldManager="me",
    )
    assert created[0] == 201
    assert created[1]["metadata"]["resourceVersion"] != "12345"


# --------------------------------------------------------------------------- depth


def _nested(levels: int) -> dict[str, Any]:
    """``levels`` objects, each inside the previous one."""
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"x": value}
    return value


def test_deep_bodies_are_400_before_anything_recursive(api: Api) -> None:
    deep_json = b'{"a":' * 900 + b"1" + b"}" * 900
    deeper = b"[" * 100_000 + b"]" * 100_000
    deep_yaml = b"a: " + b"[" * 900 + b"]" * 900
    for body, ctype in (
        (deep_json, "application/json"),
        (deeper, "application/json"),
        (deep_yaml, "application/yaml"),
    ):
        result = api.call("POST", CONFIGMAPS, body, content_type=ctype)
        assert result[0] == 400
        assert result[1]["reason"] == "BadRequest"
        assert message(result) == TOO_DEEP
    apply = api.call(
        "PATCH",
        CONFIGMAPS + "/x",
        deep_json,
        content_type="application/apply-patch+yaml",
        fieldManager="me",
    )
    assert message(apply) == TOO_DEEP
    # at the limit (the body and 99 levels in it): accepted, an unknown field
    at_limit = {**configmap("limit"), "extra": _nested(99)}
    assert api.call("POST", CONFIGMAPS, at_limit)[0] == 201
    over = {**configmap("over"), "extra": _nested(100)}
    assert message(api.call("POST", CONFIGMAPS, over)) == TOO_DEEP


# --------------------------------------------------------------------------- poisoning


def _still_serving(api: Api) -> None:
    """list, watch, selectors, tables and namespace deletion all work."""
    assert api.call("POST", "/api/v1/namespaces", _namespace("later"))[0] == 201
    ns_pods = "/api/v1/namespaces/later/pods"
    assert api.call("POST", ns_pods, pod("p1", app="web"))[0] == 201
    assert "p1" in names(api.call("GET", "/api/v1/pods"))
    assert names(api.call("GET", ns_pods, labelSelector="app=web")) == ["p1"]
    assert names(api.call("GET", ns_pods, labelSelector="app notin (x)")) == ["p1"]
    assert names(api.call("GET", ns_pods, fieldSelector="metadata.name=p1")) == ["p1"]
    table = api.call("GET", "/api/v1/pods", accept=TABLE)
    assert table[0] == 200 and table[1]["kind"] == "Table"
    assert ("ADDED", "p1") in api.watch("/api/v1/pods")
    assert api.watch(ns_pods, labelSelector="app=web") == [("ADDED", "p1")]
    assert api.call("DELETE", "/api/v1/namespaces/later")[0] == 200
    assert api.call("GET", "/api/v1/namespaces/later")[0] == 404
    assert api.call("GET", ns_pods + "/p1")[0] == 404


def _namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def test_after_bad_requests_every_other_request_still_works(api: Api) -> None:
    for path, body, _ in GO_TYPE_ERRORS:
        assert api.call("POST", path, body)[0] == 400
    assert api.call("POST", CONFIGMAPS, b"[" * 5000)[0] == 400
    _still_serving(api)


MALFORMED: list[dict[str, Any]] = [
    {"metadata": {"name": 5, "namespace": "bad"}},
    {"metadata": {"name": "labels-string", "namespace": "bad", "labels": "x"}},
    {"metadata": {"name": "labels-list", "namespace": "bad", "labels": ["a=b"]}},
    {"metadata": {"name": "owners", "namespace": "bad", "ownerReferences": "x"}},
    {"metadata": {"name": "owners2", "namespace": "bad", "ownerReferences": [5]}},
    {"metadata": "x"},
    {
        "metadata": {"name": "odd", "namespace": "bad", "creationTimestamp": "soon"},
        "spec": "x",
        "status": [],
    },
]


def test_malformed_stored_objects_do_not_break_the_others(
    api: Api, server: ApiServer
) -> None:
    """Whatever got stored (a fixture, a bug): lists, watches, selectors, tables,
    garbage collection and namespace deletion keep working."""
    assert api.call("POST", "/api/v1/namespaces", _namespace("bad"))[0] == 201
    owner = api.call("POST", "/api/v1/namespaces/bad/pods", pod("owner"))[1]
    for extra in MALFORMED:
        malformed: dict[str, Any] = copy.deepcopy(extra)
        obj = {"apiVersion": "v1", "kind": "Pod", **malformed}
        server.core.store.put(("", "pods"), obj)
    bad_pods = "/api/v1/namespaces/bad/pods"
    assert "owner" in names(api.call("GET", bad_pods))
    assert names(api.call("GET", bad_pods, labelSelector="a=b")) == []
    assert "owner" in names(api.call("GET", bad_pods, labelSelector="!a"))
    listed = api.call("GET", bad_pods, fieldSelector="metadata.name=5")
    assert list[Any](names(listed)) == [5]
    table = api.call("GET", bad_pods, accept=TABLE)
    assert table[0] == 200
    rows = {row["cells"][0]: row["cells"] for row in table[1]["rows"]}
    assert rows["odd"] == ["odd", *["<unknown>"] * 8]  # pods have 9 columns
    assert rows["owner"][1:3] == ["0/1", "Pending"]
    assert rows["5"][0] == "5"
    assert api.call("GET", bad_pods, limit="2")[0] == 200
    assert ("ADDED", "owner") in api.watch(bad_pods)
    assert api.watch(bad_pods, labelSelector="a=b") == []
    gone = api.call("DELETE", bad_pods + "/owner")  # the garbage collector runs
    assert gone[0] == 200 and gone[1]["metadata"]["uid"] == owner["metadata"]["uid"]
    assert api.call("DELETE", "/api/v1/namespaces/bad")[0] == 200
    assert names(api.call("GET", bad_pods)) == []
    _still_serving(api)


def test_a_request_hitting_a_server_bug_is_500_and_the_next_ones_work(
    api: Api, server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert api.call("POST", PODS, pod("web"))[0] == 201

    def broken(*args: Any) -> Any:
        raise KeyError("a bug")

    monkeypatch.setattr(server.core.objects, "read", broken)
    failed = api.call("GET", PODS + "/web")
    assert failed[0] == 500
    assert message(failed) == "Internal error occurred: 'a bug'"
    monkeypatch.undo()
    assert api.call("GET", PODS + "/web")[0] == 200
    _still_serving(api)


# --------------------------------------------------------------------------- fixtures


def _upstream_objects() -> Iterator[tuple[str, dict[str, Any]]]:
    """The JSON fixtures, and the YAML ones as a YAML body is decoded."""
    from kubeclient.testing.protocol.wire import decode_yaml

    for path in sorted(upstream_testdata().glob("*.json")):
        yield path.name, json.loads(path.read_text())
    for path in sorted(upstream_testdata().glob("*.yaml")):
        yield path.name, decode_yaml(path.read_bytes())


def test_upstream_fixtures_of_every_served_kind_pass_the_type_checks(
    server: ApiServer,
) -> None:
    """kubernetes/api's serialization fixtures set fields of every type: none may
    be refused (a false rejection is as bad as a missed one)."""
    from kubeclient.testing.semantics.typecheck import find_problem

    types = server.core.objects.types
    assert types is not None
    checked = []
    for name, obj in _upstream_objects():
        group, _, version = str(obj.get("apiVersion")).rpartition("/")
        node = types.kind(group, version, str(obj.get("kind")))
        if node is None:
            continue  # not served by v1.36 (older versions, options types)
        problem = find_problem(node, obj)
        assert problem is None, (name, problem)
        checked.append(name)
    assert len(checked) > 200
    assert "core.v1.Pod.json" in checked and "core.v1.Pod.yaml" in checked


# --------------------------------------------------------------------------- fuzz


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randrange(10 if depth < 3 else 7)
    if choice == 0:
        return None
    if choice == 1:
        return rng.random() < 0.5
    if choice == 2:
        return rng.choice([0, -1, 7, 2**31, 2**63, -(2**70)])
    if choice == 3:
        return rng.choice([0.5, -2.25, 3.0, 1e300])
    if choice in (4, 5, 6):
        return rng.choice(
            ["", "x", "web", "1Gi", "100m", "aGVsbG8=", "2024-01-01T00:00:00Z", "é/\\"]
        )
    if choice in (7, 8):
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    keys = ["name", "app", "a.b/c", "image", "port", "x"]
    return {rng.choice(keys): _random_value(rng, depth + 1) for _ in range(2)}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _mutate(rng: random.Random, obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    path = rng.choice([p for p in _paths(out) if p])
    target: Any = out
    for key in path[:-1]:
        target = target[key]
    if isinstance(target, dict) and rng.random() < 0.3:
        target[rng.choice(["extra", "labels", "ports", "replicas"])] = _random_value(
            rng
        )
    else:
        target[path[-1]] = _random_value(rng)
    return out


def test_random_values_never_give_500_nor_poison_the_server(api: Api) -> None:
    rng = random.Random(20240601)
    bases = [
        (PODS, pod("f")),
        (DEPLOYMENTS, deployment("f")),
        (CONFIGMAPS, configmap("f")),
    ]
    seen: set[int] = set()
    for case in range(300):
        path, base = bases[case % 3]
        named = _with(base, "metadata.name", f"f{case}")
        body = _mutate(rng, named)
        code, answer = api.call("POST", path, body)
        assert code != 500, (body, answer)
        seen.add(code)
        if case % 10 == 0:  # the same values as a merge patch of a stored object
            api.call("POST", path, named)
            patch = {k: v for k, v in body.items() if k not in ("apiVersion", "kind")}
            patched = api.call(
                "PATCH",
                f"{path}/f{case}",
                patch,
                content_type="application/merge-patch+json",
            )
            assert patched[0] != 500, (patch, patched)
    assert {201, 400} <= seen
    for path, _ in bases:
        assert api.call("GET", path)[0] == 200
        assert api.call("GET", path, labelSelector="app")[0] == 200
        assert api.call("GET", path, accept=TABLE)[0] == 200
        api.watch(path)
    _still_serving(api)
    assert api.call("DELETE", "/api/v1/namespaces/default")[0] == 403
