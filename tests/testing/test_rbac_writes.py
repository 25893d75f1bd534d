"""RBAC writes: aggregated ClusterRoles, escalation prevention, and
impersonation (the impersonate verb), over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import Client, status_of
from .rbac_objects import (
    RBAC_API,
    a_role,
    a_user,
    rbac,
    role_binding,
    rule,
    user,
)

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

__all__ = ["rbac"]  # the fixture, used by name


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
