"""Helpers of the RBAC tests: a server with RBAC per test, users with tokens,
and the RBAC objects they are bound with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import Client

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


def token_request(client: Client, account: str, **spec: Any) -> Any:
    return client.post(
        f"/api/v1/namespaces/team/serviceaccounts/{account}/token",
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": spec,
        },
    )
