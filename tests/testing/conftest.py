"""Fixtures for the test API server: a fresh server per test (cheap: no TLS), a
TLS one per module, and a small typed HTTP client over requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer


class Client:
    """requests with the server's URL, token and CA; environment ignored (a
    REQUESTS_CA_BUNDLE would otherwise override the CA)."""

    def __init__(self, server: ApiServer, token: str | None = None) -> None:
        self.server = server
        self.session = requests.Session()
        self.session.trust_env = False
        if server.ca_file:
            self.session.verify = server.ca_file
        if token is None:
            token = server.token
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        all_headers = dict(headers or {})
        data: bytes | None = None
        if body is not None:
            all_headers["Content-Type"] = content_type
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.session.request(
            method, self.server.url + path, data=data, headers=all_headers, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, body, **kwargs)

    def patch(
        self, path: str, body: Any, kind: str = "merge", **kwargs: Any
    ) -> requests.Response:
        types = {
            "json": "application/json-patch+json",
            "merge": "application/merge-patch+json",
            "strategic": "application/strategic-merge-patch+json",
            "apply": "application/apply-patch+yaml",
        }
        return self.request("PATCH", path, body, content_type=types[kind], **kwargs)

    def delete(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, body, **kwargs)


def status_of(response: requests.Response) -> dict[str, Any]:
    """The Status body of a failed response, checked to be a real metav1.Status."""
    body: dict[str, Any] = response.json()
    assert body["kind"] == "Status" and body["apiVersion"] == "v1", body
    assert body["metadata"] == {}, body
    assert body["code"] == response.status_code, body
    return body


def pod(name: str, namespace: str | None = None, **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]},
    }


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": data,
    }


def deployment(name: str, replicas: int = 1) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
            },
        },
    }


PODS = "/api/v1/namespaces/default/pods"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


@pytest.fixture
def server(generated: Path) -> Iterator[ApiServer]:
    from kubeclient.testing import ApiServer

    with ApiServer() as api:
        yield api


@pytest.fixture
def client(server: ApiServer) -> Client:
    return Client(server)


@pytest.fixture(scope="module")
def tls_server(generated: Path) -> Iterator[ApiServer]:
    from kubeclient.testing import ApiServer

    with ApiServer(tls=True) as api:
        yield api


@pytest.fixture
def tls_client(tls_server: ApiServer) -> Client:
    return Client(tls_server)
