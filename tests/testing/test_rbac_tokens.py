"""Service-account tokens: signed JWTs from TokenRequest, verified on use
(expiry, audience, account and bound object), and TokenReview."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .conftest import Client
from .rbac_objects import (
    rbac,
    role_binding,
    token_request,
)

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

__all__ = ["rbac"]  # the fixture, used by name


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
    issued = token_request(admin, "ctl", expirationSeconds=600)
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
    other = token_request(admin, "ctl", audiences=["vault"]).json()["status"]["token"]
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
    issued = token_request(admin, "ctl", boundObjectRef=ref)
    assert issued.status_code == 201
    assert issued.json()["spec"]["boundObjectRef"]["uid"] == pod["metadata"]["uid"]
    token = Client(rbac, token=issued.json()["status"]["token"])
    assert token.get("/api").status_code == 200
    missing = token_request(admin, "ctl", boundObjectRef={**ref, "name": "gone"})
    assert missing.status_code == 404
    admin.delete("/api/v1/namespaces/team/pods/p?gracePeriodSeconds=0")
    assert token.get("/api").status_code == 401
    short = token_request(admin, "ctl", expirationSeconds=60)
    assert short.status_code == 422


def test_token_review_checks_the_audience(rbac: ApiServer) -> None:
    admin = Client(rbac)
    rbac.seed(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "ctl", "namespace": "team"},
        }
    )
    issued = token_request(admin, "ctl", audiences=["vault"]).json()["status"]["token"]

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


def test_token_users_carry_the_real_extras(rbac: ApiServer) -> None:
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
    token = token_request(admin, "ctl", boundObjectRef=ref).json()["status"]["token"]
    claims = rbac.core.authorization.tokens.claims(token)
    assert claims is not None
    answer = Client(rbac, token=token).post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    assert answer.json()["status"]["userInfo"]["extra"] == {
        "authentication.kubernetes.io/credential-id": [f"JTI={claims['jti']}"],
        "authentication.kubernetes.io/pod-name": ["p"],
        "authentication.kubernetes.io/pod-uid": [pod["metadata"]["uid"]],
    }
