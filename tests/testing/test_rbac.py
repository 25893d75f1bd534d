"""The test server's RBAC (ApiServer(authorization="rbac")): bootstrap roles,
rule matching, the real 403s and the review resources, over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .conftest import Client, status_of
from .rbac_objects import (
    RBAC_API,
    SAR,
    a_role,
    a_user,
    allowed,
    rbac,
    role_binding,
    rule,
    user,
)

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

__all__ = ["rbac"]  # the fixture, used by name


# --------------------------------------------------------------------------- bootstrap

#: (role, bound in namespace "team"?, verb, group, resource, allowed)


BOOTSTRAP_TABLE = [
    ("cluster-admin", False, "delete", "", "nodes", True),
    (
        "cluster-admin",
        False,
        "escalate",
        "rbac.authorization.k8s.io",
        "clusterroles",
        True,
    ),
    ("admin", True, "create", "rbac.authorization.k8s.io", "roles", True),
    ("admin", True, "create", "rbac.authorization.k8s.io", "rolebindings", True),
    ("admin", True, "delete", "apps", "deployments", True),
    ("admin", True, "get", "", "secrets", True),
    (
        "admin",
        True,
        "create",
        "authorization.k8s.io",
        "localsubjectaccessreviews",
        True,
    ),
    ("admin", True, "update", "", "resourcequotas", False),
    ("admin", True, "list", "", "nodes", False),
    ("edit", True, "create", "", "pods", True),
    ("edit", True, "get", "", "secrets", True),
    ("edit", True, "create", "", "pods/exec", True),
    ("edit", True, "impersonate", "", "serviceaccounts", True),
    ("edit", True, "create", "", "serviceaccounts/token", True),
    ("edit", True, "patch", "apps", "deployments/scale", True),
    ("edit", True, "create", "rbac.authorization.k8s.io", "roles", False),
    ("edit", True, "update", "", "resourcequotas", False),
    ("view", True, "list", "", "pods", True),
    ("view", True, "watch", "apps", "deployments", True),
    ("view", True, "get", "", "pods/log", True),
    ("view", True, "get", "", "secrets", False),
    ("view", True, "create", "", "configmaps", False),
    ("view", True, "get", "", "pods/exec", False),
    ("view", True, "list", "rbac.authorization.k8s.io", "roles", False),
]


@pytest.mark.parametrize("role", ["admin", "edit", "view"])
def test_namespaced_bootstrap_roles(rbac: ApiServer, role: str) -> None:
    rbac.seed(role_binding("b", role, a_user("u")))
    for name, _, verb, group, resource, expected in BOOTSTRAP_TABLE:
        if name != role:
            continue
        plural, _, sub = resource.partition("/")
        asked = {
            "verb": verb,
            "group": group,
            "resource": plural,
            "subresource": sub,
            "namespace": "team",
        }
        assert allowed(rbac, "u", [], **asked) is expected, (role, verb, resource)
        # bound in "team" only: another namespace gets nothing
        assert not allowed(rbac, "u", [], **{**asked, "namespace": "default"})


def test_cluster_admin_and_system_masters(rbac: ApiServer) -> None:
    assert not allowed(rbac, "root", [], verb="delete", resource="nodes")
    rbac.seed(role_binding("root", "cluster-admin", a_user("root"), namespace=None))
    for _, _, verb, group, resource, _ in BOOTSTRAP_TABLE[:2]:
        assert allowed(rbac, "root", [], verb=verb, group=group, resource=resource)
    assert allowed(rbac, "root", [], path="/metrics", verb="get")
    # system:masters needs no binding at all
    assert allowed(rbac, "m", ["system:masters"], verb="deletecollection", resource="x")


def test_discovery_basic_user_and_public_info(rbac: ApiServer) -> None:
    anyone = user(rbac, "anyone")
    for path in ("/api", "/apis", "/api/v1", "/apis/apps/v1", "/version", "/healthz"):
        assert anyone.get(path).status_code == 200, path
    assert anyone.get("/openapi/v3").status_code == 200
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "list", "resource": "pods"}},
    }
    answer = anyone.post(
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review
    )
    assert answer.status_code == 201 and answer.json()["status"] == {"allowed": False}
    assert not allowed(
        rbac, "anyone", ["system:authenticated"], path="/metrics", verb="get"
    )
    # unauthenticated: public info only
    assert allowed(
        rbac,
        "system:anonymous",
        ["system:unauthenticated"],
        path="/healthz",
        verb="get",
    )
    assert not allowed(
        rbac, "system:anonymous", ["system:unauthenticated"], path="/api", verb="get"
    )


def test_bootstrap_roles_are_there_and_aggregated(rbac: ApiServer) -> None:
    admin = Client(rbac)
    names = {
        item["metadata"]["name"]
        for item in admin.get(RBAC_API + "/clusterroles").json()["items"]
    }
    assert {
        "cluster-admin",
        "admin",
        "edit",
        "view",
        "system:discovery",
        "system:basic-user",
        "system:public-info-viewer",
    } <= names
    view = admin.get(RBAC_API + "/clusterroles/view").json()
    edit = admin.get(RBAC_API + "/clusterroles/edit").json()
    assert view["rules"] and all(r in edit["rules"] for r in view["rules"])
    bindings = admin.get(RBAC_API + "/clusterrolebindings/cluster-admin").json()
    assert bindings["subjects"][0]["name"] == "system:masters"


# --------------------------------------------------------------------------- denials


def test_forbidden_messages_are_the_real_ones(rbac: ApiServer) -> None:
    jane = user(rbac, "jane")
    cases = [
        (
            "/api/v1/namespaces/team/pods",
            'pods is forbidden: User "jane" cannot list resource "pods" in API group "" '
            'in the namespace "team"',
        ),
        (
            "/api/v1/namespaces/team/pods?watch=true",
            'pods is forbidden: User "jane" cannot watch resource "pods" in API group "" '
            'in the namespace "team"',
        ),
        (
            "/apis/apps/v1/deployments",
            'deployments.apps is forbidden: User "jane" cannot list resource '
            '"deployments" in API group "apps" at the cluster scope',
        ),
        (
            "/api/v1/namespaces/team/pods/web/log",
            'pods "web" is forbidden: User "jane" cannot get resource "pods/log" in API '
            'group "" in the namespace "team"',
        ),
        ("/metrics", 'forbidden: User "jane" cannot get path "/metrics"'),
    ]
    for path, message in cases:
        response = jane.get(path)
        assert response.status_code == 403, path
        status = status_of(response)
        assert status["reason"] == "Forbidden" and status["message"] == message
    delete = jane.delete("/api/v1/namespaces/team/configmaps")
    assert "cannot deletecollection resource" in status_of(delete)["message"]
    assert status_of(jane.get("/api/v1/namespaces/team/pods/web"))["details"] == {
        "name": "web",
        "kind": "pods",
    }


def test_binding_to_a_missing_role_says_so(rbac: ApiServer) -> None:
    rbac.seed(role_binding("b", "role:nope", a_user("jane")))
    message = status_of(user(rbac, "jane").get("/api/v1/namespaces/team/pods"))[
        "message"
    ]
    assert message.endswith(': RBAC: role.rbac.authorization.k8s.io "nope" not found')


def test_rule_matching(rbac: ApiServer) -> None:
    rbac.seed(
        a_role(
            "r",
            rule([""], ["pods"], ["get", "list"]),
            rule([""], ["pods/log"], ["get"]),
            rule([""], ["configmaps"], ["get", "list"], resourceNames=["settings"]),
            rule(["*"], ["*/scale"], ["get"]),
            rule(["apps"], ["deployments/*"], ["patch"]),
        )
    )
    rbac.seed(role_binding("b", "role:r", a_user("u")))

    def may(
        verb: str, resource: str, group: str = "", name: str = "", **more: str
    ) -> bool:
        plural, _, sub = resource.partition("/")
        return allowed(
            rbac,
            "u",
            [],
            verb=verb,
            group=group,
            resource=plural,
            subresource=sub,
            name=name,
            namespace="team",
            **more,
        )

    assert may("list", "pods") and may("get", "pods", name="web")
    assert not may("watch", "pods") and not may("delete", "pods", name="web")
    assert may("get", "pods/log", name="web") and not may("get", "pods/exec", name="w")
    assert may("get", "configmaps", name="settings")
    assert not may("get", "configmaps", name="other") and not may("list", "configmaps")
    assert may("get", "deployments/scale", "apps") and may("get", "pods/scale")
    assert may("patch", "deployments/status", "apps")
    assert not may("patch", "deployments", "apps")
    # a list narrowed to one name by fieldSelector is authorized for that name
    client = user(rbac, "u")
    path = "/api/v1/namespaces/team/configmaps"
    assert client.get(path).status_code == 403
    assert (
        client.get(path + "?fieldSelector=metadata.name%3Dsettings").status_code == 200
    )


def test_non_resource_url_wildcards(rbac: ApiServer) -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "logs"},
        "rules": [{"nonResourceURLs": ["/logs/*", "/metrics"], "verbs": ["get"]}],
    }
    rbac.seed(role)
    rbac.seed(role_binding("b", "logs", a_user("u"), namespace=None))
    assert allowed(rbac, "u", [], path="/logs/kube.log", verb="get")
    assert allowed(rbac, "u", [], path="/metrics", verb="get")
    assert not allowed(rbac, "u", [], path="/metrics/x", verb="get")
    assert not allowed(rbac, "u", [], path="/logs/x", verb="post")


def test_service_account_and_group_subjects(rbac: ApiServer) -> None:
    sa = {"kind": "ServiceAccount", "name": "ctl"}  # namespace: the binding's
    rbac.seed(role_binding("b1", "view", sa))
    group = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "devs"}
    rbac.seed(role_binding("b2", "edit", group))
    sa_user = "system:serviceaccount:team:ctl"
    assert allowed(rbac, sa_user, [], verb="list", resource="pods", namespace="team")
    other = "system:serviceaccount:default:ctl"
    assert not allowed(rbac, other, [], verb="list", resource="pods", namespace="team")
    assert allowed(
        rbac, "x", ["devs"], verb="create", resource="pods", namespace="team"
    )


def test_rules_review(rbac: ApiServer) -> None:
    rbac.seed(a_role("r", rule([""], ["pods"], ["get"], resourceNames=["web"])))
    rbac.seed(role_binding("b", "role:r", a_user("u")))
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": "team"},
    }
    status = (
        user(rbac, "u")
        .post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", body)
        .json()["status"]
    )
    assert {
        "verbs": ["get"],
        "apiGroups": [""],
        "resources": ["pods"],
        "resourceNames": ["web"],
    } in status["resourceRules"]
    assert {
        "verbs": ["get"],
        "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"],
    } in status["nonResourceRules"]
    assert status["incomplete"] is False


def test_malformed_reviews_are_invalid(rbac: ApiServer) -> None:
    admin = Client(rbac)
    empty = admin.post(
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {},
        },
    )
    assert empty.status_code == 422
    assert status_of(empty)["message"] == (
        'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: '
        "spec.resourceAttributes: Invalid value: null: exactly one of "
        "nonResourceAttributes or resourceAttributes must be specified"
    )
    nobody = admin.post(
        SAR,
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}},
        },
    )
    assert nobody.status_code == 422
    assert status_of(nobody)["message"].endswith(
        'spec.user: Invalid value: "": at least one of user or group must be specified'
    )


@pytest.mark.parametrize(
    "body",
    [
        b"not protobuf",
        b"k8s\x00\x0a\xff",
        b"k8s\x00\x12\x05\x12\x03",
        b"k8s\x00\x0f",
    ],
)
def test_broken_protobuf_reviews_get_400(rbac: ApiServer, body: bytes) -> None:
    response = Client(rbac).post(
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        body,
        content_type="application/vnd.kubernetes.protobuf",
    )
    assert response.status_code == 400
    assert status_of(response)["reason"] == "BadRequest"


def test_default_server_still_allows_everything_authenticated(
    server: ApiServer,
) -> None:
    jane = user(server, "jane")
    assert jane.get("/api/v1/namespaces/default/secrets").status_code == 200
    bad = ApiServerChoice()
    with pytest.raises(ValueError, match="authorization mode 'ABAC'"):
        bad.make()


class ApiServerChoice:
    def make(self) -> None:
        from kubeclient.testing import ApiServer

        ApiServer(authorization="ABAC")
