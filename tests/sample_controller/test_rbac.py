"""The sample-controller under its own ServiceAccount, bound by
examples/sample_controller/rbac.yaml, against a test API server with RBAC: the
manifests grant all it needs, and a missing rule shows as the real Forbidden."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from ..conftest import REPO
from .conftest import create_crd, foo, wait_until

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

MANIFESTS = REPO / "examples" / "sample_controller" / "rbac.yaml"
ACCOUNT = "system:serviceaccount:sample-controller:sample-controller"


@pytest.fixture
def rbac_server(generated: Path) -> Iterator[ApiServer]:
    from kubeclient.testing import ApiServer

    with ApiServer(tls=True, authorization="rbac") as api:
        create_crd(api)
        yield api


def _apply(server: ApiServer, drop_verb: tuple[str, str] | None = None) -> None:
    """The manifests, optionally without ``verb`` on ``resource`` (a bug to find)."""
    for document in yaml.safe_load_all(MANIFESTS.read_text()):
        if drop_verb and document["kind"] == "ClusterRole":
            resource, verb = drop_verb
            for rule in document["rules"]:
                if resource in rule.get("resources", []):
                    rule["verbs"].remove(verb)
        server.seed(document)


def _service_account_config(server: ApiServer) -> Any:
    from kubeclient import ClientSet
    from kubeclient.config import BearerToken, Config
    from kubeclient.models.authentication_v1 import TokenRequest, TokenRequestSpec

    with ClientSet(server.config()) as admin:
        issued: Any = admin.core_v1.service_accounts("sample-controller").create_token(
            "sample-controller", TokenRequest(spec=TokenRequestSpec())
        )
    return Config(
        host=server.url, ca_file=server.ca_file, auth=BearerToken(issued.status.token)
    )


def _run_controller(server: ApiServer, namespace: str) -> tuple[Any, Any]:
    """A Foo created by the admin, the controller running as its account."""
    from kubeclient import ClientSet, Context
    from kubeclient.models.core_v1 import Namespace
    from kubeclient.models.meta_v1 import ObjectMeta

    from examples.sample_controller import Options, Replica
    from examples.sample_controller.samplecontroller import ClientSet as SampleSet

    kube = ClientSet(server.config())
    kube.core_v1.namespaces().create(Namespace(metadata=ObjectMeta(name=namespace)))
    with SampleSet(server.config()) as sample:
        sample.samplecontroller_v1alpha1.foos(namespace).create(foo("web"))
    replica = Replica(
        _service_account_config(server), Options(identity="sa", workers=1)
    )
    ctx = Context()
    threading.Thread(target=replica.run, args=(ctx,), daemon=True).start()
    return kube, ctx


def test_the_controller_runs_under_its_service_account(
    rbac_server: ApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    from kubeclient import ClientSet
    from kubeclient.authz import whoami

    _apply(rbac_server)
    assert whoami(ClientSet(_service_account_config(rbac_server))).username == ACCOUNT
    with caplog.at_level(logging.WARNING):
        kube, ctx = _run_controller(rbac_server, "apps")
        try:
            wait_until(lambda: kube.apps_v1.deployments("apps").get("web"))
            wait_until(
                lambda: [
                    e
                    for e in kube.events_v1.events("apps").list().items
                    if e.reason == "Synced"
                ],
                what="the Synced event",
            )
        finally:
            ctx.cancel()
    assert "forbidden" not in caplog.text.lower()


def test_a_missing_rule_is_the_real_forbidden(
    rbac_server: ApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    _apply(rbac_server, drop_verb=("deployments", "create"))
    denied = (
        f'deployments.apps is forbidden: User "{ACCOUNT}" cannot create resource '
        '"deployments" in API group "apps" in the namespace "apps"'
    )
    with caplog.at_level(logging.WARNING):
        _, ctx = _run_controller(rbac_server, "apps")
        try:
            wait_until(lambda: denied in caplog.text, what="the Forbidden")
        finally:
            ctx.cancel()
