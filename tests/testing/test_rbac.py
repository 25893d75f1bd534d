"""The test server's RBAC (ApiServer(authorization="rbac")): bootstrap roles,
rule matching, the real 403s, aggregation, escalation, impersonation, and
service-account tokens, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import Client, status_of

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

RBAC_API = "/apis/rbac.authorization.k8s.io/v1"
SAR = "/apis/authorization.k8s.io/v1/subjectaccessreviews"


@pytest.fixture
def rbac(generated: Path) -> Iterator[ApiServer]:
    from kubeclient.testing import ApiServer

    with ApiServer(authorization="rbac") as api:
        api.seed(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
        )
        yield api


def user(server: ApiServer, name: str, *groups: str) -> Client:
    token = f"token-{name}"
    server.add_token(token, name, groups)
    return Client(server, token=token)


def role_binding(
    name: str, role: str, subject: dict[str, Any], namespace: str | None = "team"
) -> dict[str, Any]:
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta,
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role" if role.startswith("role:") else "ClusterRole",
            "name": role.removeprefix("role:"),
        },
        "subjects": [subject],
    }


def a_user(name: str) -> dict[str, Any]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}


def a_role(
    name: str, *rules: dict[str, Any], namespace: str = "team"
) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": namespace},
        "rules": list(rules),
    }


def rule(
    groups: list[str], resources: list[str], verbs: list[str], **more: Any
) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs, **more}


def allowed(
    server: ApiServer, subject: str, groups: list[str], **attributes: Any
) -> bool:
    """A SubjectAccessReview asked as the admin."""
    key = "nonResourceAttributes" if "path" in attributes else "resourceAttributes"
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": subject, "groups": groups, key: attributes},
    }
    response = Client(server).post(SAR, body)
    assert response.status_code == 201, response.text
    return bool(response.json()["status"]["allowed"])


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


# --------------------------------------------------------------------------- aggregation


def test_aggregated_cluster_roles_follow_their_sources(rbac: ApiServer) -> None:
    admin = Client(rbac)
    widgets = rule(["example.com"], ["widgets"], ["get"])
    extra = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": "widgets-view",
            "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        },
        "rules": [widgets],
    }
    assert admin.post(RBAC_API + "/clusterroles", extra).status_code == 201
    for name in ("view", "edit", "admin"):  # view feeds edit feeds admin
        rules = admin.get(f"{RBAC_API}/clusterroles/{name}").json()["rules"]
        assert widgets in rules, name
    assert admin.delete(RBAC_API + "/clusterroles/widgets-view").status_code == 200
    rules = admin.get(RBAC_API + "/clusterroles/admin").json()["rules"]
    assert widgets not in rules


# --------------------------------------------------------------------------- escalation


def test_escalation_is_refused(rbac: ApiServer) -> None:
    rbac.seed(role_binding("b", "admin", a_user("jane")))
    jane = user(rbac, "jane")
    roles = RBAC_API + "/namespaces/team/roles"
    held = a_role("ok", rule([""], ["secrets"], ["get", "list"]))
    assert jane.post(roles, held).status_code == 201
    wanted = a_role("grab", rule([""], ["nodes", "secrets"], ["get", "list"]))
    refused = jane.post(roles, wanted)
    assert refused.status_code == 403
    assert status_of(refused)["message"] == (
        'roles.rbac.authorization.k8s.io "grab" is forbidden: user "jane" '
        '(groups=["system:authenticated"]) is attempting to grant RBAC permissions '
        'not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}'
    )
    # an update that adds what she lacks is refused too
    updated = dict(held, rules=wanted["rules"])
    updated["metadata"] = {**held["metadata"]}
    assert jane.put(roles + "/ok", updated).status_code == 403
    # binding a role with more rights than hers: refused; the admin role: fine
    bindings = RBAC_API + "/namespaces/team/rolebindings"
    assert (
        jane.post(bindings, role_binding("c", "cluster-admin", a_user("x"))).status_code
        == 403
    )
    assert (
        jane.post(bindings, role_binding("v", "view", a_user("x"))).status_code == 201
    )


def test_escalate_and_bind_verbs_allow_it(rbac: ApiServer) -> None:
    rbac.seed(
        a_role(
            "rbac-manager",
            rule(["rbac.authorization.k8s.io"], ["roles", "rolebindings"], ["create"]),
            rule(["rbac.authorization.k8s.io"], ["roles"], ["escalate"]),
            rule(
                ["rbac.authorization.k8s.io"],
                ["clusterroles"],
                ["bind"],
                resourceNames=["edit"],
            ),
        )
    )
    rbac.seed(role_binding("b", "role:rbac-manager", a_user("mgr")))
    mgr = user(rbac, "mgr")
    everything = a_role("all", rule(["*"], ["*"], ["*"]))
    assert mgr.post(RBAC_API + "/namespaces/team/roles", everything).status_code == 201
    bindings = RBAC_API + "/namespaces/team/rolebindings"
    assert mgr.post(bindings, role_binding("e", "edit", a_user("x"))).status_code == 201
    assert (
        mgr.post(bindings, role_binding("a", "admin", a_user("x"))).status_code == 403
    )


# --------------------------------------------------------------------------- impersonation


def test_impersonation_allowed_and_denied(rbac: ApiServer) -> None:
    cluster_role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "impersonator"},
        "rules": [
            rule([""], ["users"], ["impersonate"], resourceNames=["bob"]),
            rule([""], ["groups"], ["impersonate"], resourceNames=["devs"]),
            rule(["authentication.k8s.io"], ["uids"], ["impersonate"]),
            rule(["authentication.k8s.io"], ["userextras/scopes"], ["impersonate"]),
        ],
    }
    rbac.seed(cluster_role)
    rbac.seed(role_binding("b", "impersonator", a_user("jane"), namespace=None))
    jane = user(rbac, "jane")
    whoami = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    headers = {
        "Impersonate-User": "bob",
        "Impersonate-Group": "devs",
        "Impersonate-Uid": "u-1",
        "Impersonate-Extra-Scopes": "read",
    }
    answer = jane.post(whoami, review, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"]["userInfo"] == {
        "username": "bob",
        "uid": "u-1",
        "groups": ["devs", "system:authenticated"],
        "extra": {"scopes": ["read"]},
    }
    denied = [
        (
            {"Impersonate-User": "alice"},
            'users "alice" is forbidden: User "jane" cannot impersonate resource '
            '"users" in API group "" at the cluster scope',
        ),
        (
            {"Impersonate-User": "bob", "Impersonate-Group": "system:masters"},
            'groups "system:masters" is forbidden: User "jane" cannot impersonate '
            'resource "groups" in API group "" at the cluster scope',
        ),
        (
            {"Impersonate-User": "system:serviceaccount:team:ctl"},
            'serviceaccounts "ctl" is forbidden: User "jane" cannot impersonate '
            'resource "serviceaccounts" in API group "" in the namespace "team"',
        ),
        (
            {"Impersonate-User": "bob", "Impersonate-Extra-Reason": "x"},
            'userextras.authentication.k8s.io "x" is forbidden: User "jane" cannot '
            'impersonate resource "userextras/reason" in API group '
            '"authentication.k8s.io" at the cluster scope',
        ),
    ]
    denied.append(  # a malformed escape is kept as sent (lower-cased)
        (
            {"Impersonate-User": "bob", "Impersonate-Extra-Bad%ZZ": "x"},
            denied[-1][1].replace("userextras/reason", "userextras/bad%zz"),
        )
    )
    for sent, message in denied:
        response = jane.get("/api/v1/namespaces/team/pods", headers=sent)
        assert response.status_code == 403
        assert status_of(response)["message"] == message
    # groups without a user: refused, as the real filter does
    alone = jane.get("/api", headers={"Impersonate-Group": "devs"})
    assert alone.status_code == 400
    assert status_of(alone)["message"] == (
        "requested [{Group  devs    }] without impersonating a user"
    )
    # the impersonated user's own rights apply: bob may not list pods
    listing = jane.get(
        "/api/v1/namespaces/team/pods", headers={"Impersonate-User": "bob"}
    )
    assert 'User "bob" cannot list' in status_of(listing)["message"]


def test_impersonating_a_service_account_gives_its_groups(rbac: ApiServer) -> None:
    sa = "system:serviceaccount:team:ctl"
    answer = Client(rbac).post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        headers={"Impersonate-User": sa},
    )
    assert answer.json()["status"]["userInfo"] == {
        "username": sa,
        "groups": [
            "system:serviceaccounts",
            "system:serviceaccounts:team",
            "system:authenticated",
        ],
    }


# --------------------------------------------------------------------------- tokens


def _token(client: Client, account: str, **spec: Any) -> Any:
    return client.post(
        f"/api/v1/namespaces/team/serviceaccounts/{account}/token",
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": spec,
        },
    )


def test_service_account_tokens(rbac: ApiServer) -> None:
    admin = Client(rbac)
    rbac.seed(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "ctl", "namespace": "team"},
        }
    )
    rbac.seed(role_binding("b", "view", {"kind": "ServiceAccount", "name": "ctl"}))
    issued = _token(admin, "ctl", expirationSeconds=600)
    assert issued.status_code == 201, issued.text
    token = issued.json()["status"]["token"]
    assert token.count(".") == 2  # a JWT
    ctl = Client(rbac, token=token)
    assert ctl.get("/api/v1/namespaces/team/pods").status_code == 200
    assert ctl.get("/api/v1/namespaces/default/pods").status_code == 403
    tokens = rbac.core.authorization.tokens
    claims = tokens.claims(token)
    assert claims is not None
    assert claims["sub"] == "system:serviceaccount:team:ctl"
    assert claims["aud"] == ["https://kubernetes.default.svc.cluster.local"]
    assert claims["exp"] - claims["iat"] == 600
    # tampering breaks the signature
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{signature[::-1]}"
    assert Client(rbac, token=forged).get("/api").status_code == 401
    # another audience: not for the API server
    other = _token(admin, "ctl", audiences=["vault"]).json()["status"]["token"]
    assert Client(rbac, token=other).get("/api").status_code == 401
    # expired
    started = tokens.clock
    tokens.clock = lambda: started() + 601
    try:
        assert ctl.get("/api").status_code == 401
    finally:
        tokens.clock = started
    assert ctl.get("/api").status_code == 200
    # the account deleted: its tokens die with it
    admin.delete("/api/v1/namespaces/team/serviceaccounts/ctl")
    assert ctl.get("/api").status_code == 401


def test_bound_tokens_die_with_their_pod(rbac: ApiServer) -> None:
    admin = Client(rbac)
    rbac.seed(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "ctl", "namespace": "team"},
        }
    )
    pod = rbac.seed(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "team"},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
        }
    )
    ref = {"kind": "Pod", "apiVersion": "v1", "name": "p"}
    issued = _token(admin, "ctl", boundObjectRef=ref)
    assert issued.status_code == 201
    assert issued.json()["spec"]["boundObjectRef"]["uid"] == pod["metadata"]["uid"]
    token = Client(rbac, token=issued.json()["status"]["token"])
    assert token.get("/api").status_code == 200
    missing = _token(admin, "ctl", boundObjectRef={**ref, "name": "gone"})
    assert missing.status_code == 404
    admin.delete("/api/v1/namespaces/team/pods/p?gracePeriodSeconds=0")
    assert token.get("/api").status_code == 401
    short = _token(admin, "ctl", expirationSeconds=60)
    assert short.status_code == 422


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


def test_aggregation_rules_and_aggregated_writes(rbac: ApiServer) -> None:
    manager = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "role-manager"},
        "rules": [
            rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["create"]),
            rule(["example.com"], ["gadgets"], ["get"]),
        ],
    }
    rbac.seed(manager)
    rbac.seed(role_binding("m", "role-manager", a_user("mgr"), namespace=None))
    mgr = user(rbac, "mgr")
    # a source of "view" with rules mgr holds: stored, and the controller (not
    # mgr, who holds far less than view) updates view
    gadgets = rule(["example.com"], ["gadgets"], ["get"])
    source = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": "gadgets-view",
            "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        },
        "rules": [gadgets],
    }
    assert mgr.post(RBAC_API + "/clusterroles", source).status_code == 201
    view = Client(rbac).get(RBAC_API + "/clusterroles/view").json()
    assert gadgets in view["rules"]
    # an aggregationRule can gather anything: cluster-admin only, escalate or not
    gatherer = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "gatherer"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]},
    }
    rbac.seed(
        {
            **manager,
            "metadata": {"name": "role-manager-2"},
            "rules": [
                rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["create"])
            ],
        }
    )
    rbac.seed(role_binding("m2", "role-manager-2", a_user("mgr2"), namespace=None))
    refused = user(rbac, "mgr2").post(RBAC_API + "/clusterroles", gatherer)
    assert refused.status_code == 403
    assert status_of(refused)["message"] == (
        'clusterroles.rbac.authorization.k8s.io "gatherer" is forbidden: must have '
        "cluster-admin privileges to use the aggregationRule"
    )


def test_metadata_updates_of_roles_need_their_rules_too(rbac: ApiServer) -> None:
    rbac.seed(a_role("secret-reader", rule([""], ["secrets"], ["get"])))
    rbac.seed(
        a_role(
            "role-editor",
            rule(["rbac.authorization.k8s.io"], ["roles"], ["get", "update", "patch"]),
        )
    )
    rbac.seed(role_binding("b", "role:role-editor", a_user("ed")))
    ed = user(rbac, "ed")
    path = RBAC_API + "/namespaces/team/roles/secret-reader"
    labelled = ed.patch(path, {"metadata": {"labels": {"x": "y"}}})
    assert labelled.status_code == 403
    assert "is attempting to grant RBAC permissions" in status_of(labelled)["message"]
    # a garbage collector's write (finalizers, ownerReferences) is let through
    finalized = ed.patch(path, {"metadata": {"finalizers": ["example.com/x"]}})
    assert finalized.status_code == 200, finalized.text


def test_binding_a_missing_role_is_404(rbac: ApiServer) -> None:
    rbac.seed(
        a_role(
            "binder",
            rule(["rbac.authorization.k8s.io"], ["rolebindings"], ["create"]),
        )
    )
    rbac.seed(role_binding("b", "role:binder", a_user("bd")))
    response = user(rbac, "bd").post(
        RBAC_API + "/namespaces/team/rolebindings",
        role_binding("x", "role:ghost", a_user("y")),
    )
    assert response.status_code == 404
    assert status_of(response)["message"] == (
        'roles.rbac.authorization.k8s.io "ghost" not found'
    )


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


def test_token_review_checks_the_audience(rbac: ApiServer) -> None:
    admin = Client(rbac)
    rbac.seed(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "ctl", "namespace": "team"},
        }
    )
    issued = _token(admin, "ctl", audiences=["vault"]).json()["status"]["token"]

    def review(*audiences: str) -> dict[str, Any]:
        spec: dict[str, Any] = {"token": issued}
        if audiences:
            spec["audiences"] = list(audiences)
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": spec,
        }
        answer = admin.post("/apis/authentication.k8s.io/v1/tokenreviews", body)
        assert answer.status_code == 201, answer.text
        status: dict[str, Any] = answer.json()["status"]
        return status

    assert review("vault") == {
        "authenticated": True,
        "user": {
            "username": "system:serviceaccount:team:ctl",
            "groups": [
                "system:serviceaccounts",
                "system:serviceaccounts:team",
                "system:authenticated",
            ],
        },
        "audiences": ["vault"],
    }
    assert review()["error"] == "invalid bearer token"  # the API's own audience
    assert review("other")["error"] == "invalid bearer token"
