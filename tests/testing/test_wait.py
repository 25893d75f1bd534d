"""wait_for (kubectl wait) against the test API server: on a watch, never polling,
through dropped connections and 410 relists. The server runs no controllers, so the
tests write the status a controller would."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import DEPLOYMENTS, deployment

if TYPE_CHECKING:
    from kubeclient import ClientSet
    from kubeclient.clients.apps_v1 import DeploymentClient
    from kubeclient.testing import ApiServer

WEB = f"{DEPLOYMENTS}/web"


@pytest.fixture
def cs(server: ApiServer) -> Iterator[ClientSet]:
    from kubeclient import ClientSet

    with ClientSet(server.config()) as clients:
        yield clients


@pytest.fixture
def deployments(cs: ClientSet) -> DeploymentClient:
    return cs.apps_v1.deployments("default")


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1) as executor:
        yield executor


def available(status: str = "True", observed: int = 1) -> dict[str, Any]:
    return {
        "status": {
            "observedGeneration": observed,
            "replicas": 1,
            "availableReplicas": 1 if status == "True" else 0,
            "conditions": [
                {"type": "Progressing", "status": "True"},
                {"type": "Available", "status": status},
            ],
        }
    }


def set_status(deployments: DeploymentClient, patch: dict[str, Any]) -> None:
    deployments.patch_status("web", patch, "merge")


def requests_to(server: ApiServer, method: str, path: str) -> int:
    return sum(1 for seen in list(server.requests) if seen == (method, path))


def until(check: Callable[[], bool], what: str, seconds: float = 5.0) -> None:
    """The test's own wait for the client to reach a point (not the code under test)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def watching(server: ApiServer, count: int = 1) -> Callable[[], bool]:
    return lambda: requests_to(server, "GET", DEPLOYMENTS) >= count


def test_waits_for_available_on_a_watch_without_polling(
    server: ApiServer, deployments: DeploymentClient, pool: ThreadPoolExecutor
) -> None:
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    deployments.create(Deployment.from_dict(deployment("web")))
    server.requests.clear()
    waiting: Future[Deployment] = pool.submit(
        wait_for, deployments, "web", "Available", timeout=10
    )
    until(watching(server), "the watch")
    set_status(deployments, available("False"))  # progressing, not available yet
    set_status(deployments, {"metadata": {"labels": {"touched": "yes"}}})
    time.sleep(0.2)  # several changes and some time: still waiting, still no GET
    assert not waiting.done()
    set_status(deployments, available("True"))
    found = waiting.result(timeout=5)
    assert found.status is not None and found.status.available_replicas == 1
    assert requests_to(server, "GET", WEB) == 1  # the one GET, then only the watch
    assert requests_to(server, "GET", DEPLOYMENTS) == 1


def test_an_old_observed_generation_is_not_available_yet(
    deployments: DeploymentClient, pool: ThreadPoolExecutor
) -> None:
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    created = deployments.create(Deployment.from_dict(deployment("web")))
    assert created.metadata is not None
    set_status(deployments, available("True"))
    # a new spec (generation 2) the controller has not seen: kubectl keeps waiting
    deployments.patch("web", {"spec": {"replicas": 3}}, "merge")
    waiting = pool.submit(wait_for, deployments, "web", "condition=Available")
    time.sleep(0.2)
    assert not waiting.done()
    set_status(deployments, available("True", observed=2))
    found = waiting.result(timeout=5)
    assert found.metadata is not None and found.metadata.generation == 2


def test_already_satisfied_returns_after_one_get(
    server: ApiServer, deployments: DeploymentClient
) -> None:
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    deployments.create(Deployment.from_dict(deployment("web")))
    set_status(deployments, available("True"))
    server.requests.clear()
    assert wait_for(deployments, "web", "Available=True", timeout=0).metadata
    assert list(server.requests) == [("GET", WEB)]


def test_a_false_condition_and_a_callable(
    deployments: DeploymentClient, pool: ThreadPoolExecutor
) -> None:
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    deployments.create(Deployment.from_dict(deployment("web")))
    set_status(deployments, available("False"))
    assert wait_for(deployments, "web", "Available=False", timeout=5).status

    def three_replicas(d: Deployment) -> bool:
        return d.spec is not None and d.spec.replicas == 3

    waiting = pool.submit(wait_for, deployments, "web", three_replicas, timeout=5)
    deployments.patch("web", {"spec": {"replicas": 2}}, "merge")
    deployments.patch("web", {"spec": {"replicas": 3}}, "merge")
    found = waiting.result(timeout=5)
    assert found.spec is not None and found.spec.replicas == 3


def test_delete(
    server: ApiServer, deployments: DeploymentClient, pool: ThreadPoolExecutor
) -> None:
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    deployments.create(Deployment.from_dict(deployment("web")))
    waiting = pool.submit(wait_for, deployments, "web", "delete", timeout=10)
    until(watching(server), "the watch")
    deployments.patch("web", {"metadata": {"labels": {"last": "change"}}}, "merge")
    deployments.delete("web")
    gone = waiting.result(timeout=5)
    assert gone is not None and gone.metadata is not None
    assert gone.metadata.labels == {"app": "web", "last": "change"}
    # already gone: at once, nothing to return
    assert wait_for(deployments, "web", "delete", timeout=0) is None


def test_a_drop_does_not_lose_the_moment(
    server: ApiServer, deployments: DeploymentClient, pool: ThreadPoolExecutor
) -> None:
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    deployments.create(Deployment.from_dict(deployment("web")))
    server.requests.clear()
    server.faults.drop(path="watch=")  # the first watch is cut at once
    waiting = pool.submit(wait_for, deployments, "web", "Available", timeout=10)
    until(watching(server), "the first watch")
    # the change happens while no watch is open: the resumed watch (from the
    # GET's resourceVersion) still reports it
    set_status(deployments, available("True"))
    found = waiting.result(timeout=8)
    assert found.status is not None and found.status.available_replicas == 1
    assert requests_to(server, "GET", WEB) == 1
    assert requests_to(server, "GET", DEPLOYMENTS) == 2  # cut, then resumed


def expire_history(cs: ClientSet) -> None:
    """Enough writes elsewhere that the server's history forgets older versions."""
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta

    configmaps = cs.core_v1.config_maps("default")
    for number in range(8):
        configmaps.create(ConfigMap(metadata=ObjectMeta(name=f"filler-{number}")))


@pytest.fixture
def short_history(generated: Any) -> Iterator[ApiServer]:
    from kubeclient.testing import ApiServer

    with ApiServer(history=4) as api:
        yield api


@pytest.mark.parametrize("goal", ["Available", "delete"])
def test_a_410_relist_does_not_lose_the_moment(
    short_history: ApiServer, pool: ThreadPoolExecutor, goal: str
) -> None:
    from kubeclient import ClientSet
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    server = short_history
    with ClientSet(server.config()) as cs:
        deployments = cs.apps_v1.deployments("default")
        deployments.create(Deployment.from_dict(deployment("web")))
        server.requests.clear()
        server.faults.drop(path="watch=")
        waiting = pool.submit(wait_for, deployments, "web", goal, timeout=10)
        until(watching(server), "the first watch")
        if goal == "delete":
            deployments.delete("web")
        else:
            set_status(deployments, available("True"))
        expire_history(cs)  # the GET's version is gone: the resume gets 410
        found = waiting.result(timeout=8)
        assert found is not None and found.metadata is not None
        assert found.metadata.name == "web"
        if goal != "delete":
            assert found.status is not None and found.status.available_replicas == 1
        # a list (the relist) came after the cut watch and the 410'd one
        assert requests_to(server, "GET", DEPLOYMENTS) >= 3


def test_timeout_names_what_was_waited_for(deployments: DeploymentClient) -> None:
    from kubeclient.errors import DeadlineExceeded, WaitTimeout
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    deployments.create(Deployment.from_dict(deployment("web")))
    started = time.monotonic()
    with pytest.raises(WaitTimeout) as caught:
        wait_for(deployments, "web", "Available", timeout=0.3)
    assert 0.25 < time.monotonic() - started < 3
    error = caught.value
    assert isinstance(error, DeadlineExceeded)
    assert str(error) == (
        "timed out after 0.3s waiting for condition=Available on "
        "deployments/web in namespace default"
    )
    assert (error.resource, error.name, error.namespace, error.condition) == (
        "deployments",
        "web",
        "default",
        "condition=Available",
    )
    with pytest.raises(WaitTimeout, match="after 0s"):
        wait_for(deployments, "web", "Available", timeout=0)  # check once


def test_the_callers_context_is_not_a_timeout(
    deployments: DeploymentClient,
) -> None:
    from kubeclient.context import Context
    from kubeclient.errors import Cancelled, WaitTimeout
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    deployments.create(Deployment.from_dict(deployment("web")))
    with pytest.raises(Cancelled) as caught:
        wait_for(deployments, "web", "Available", timeout=30, ctx=Context(timeout=0.2))
    assert not isinstance(caught.value, WaitTimeout)


def test_missing_or_deleted_objects_are_not_found_as_kubectl(
    server: ApiServer, deployments: DeploymentClient, pool: ThreadPoolExecutor
) -> None:
    from kubeclient.errors import NotFound
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    with pytest.raises(NotFound):
        wait_for(deployments, "web", "Available", timeout=1)
    deployments.create(Deployment.from_dict(deployment("web")))
    server.requests.clear()
    waiting = pool.submit(wait_for, deployments, "web", "Available", timeout=10)
    until(watching(server), "the watch")
    deployments.delete("web")
    with pytest.raises(NotFound, match="deleted while waiting for condition=Available"):
        waiting.result(timeout=5)


def test_create_waits_for_the_object_to_appear(
    server: ApiServer, deployments: DeploymentClient, pool: ThreadPoolExecutor
) -> None:
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    waiting = pool.submit(wait_for, deployments, "web", "create", timeout=10)
    until(watching(server), "the list of the missing object")
    deployments.create(Deployment.from_dict(deployment("other")))
    deployments.create(Deployment.from_dict(deployment("web")))
    found = waiting.result(timeout=5)
    assert found.metadata is not None and found.metadata.name == "web"


def test_the_dynamic_client_works_the_same(server: ApiServer, cs: ClientSet) -> None:
    from kubeclient.dynamic import DynamicClient
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    cs.apps_v1.deployments("default").create(Deployment.from_dict(deployment("web")))
    set_status(cs.apps_v1.deployments("default"), available("True"))
    dynamic = DynamicClient(server.config())
    client = dynamic.resource(("apps", "v1", "deployments")).namespace("default")
    found = wait_for(client, "web", "Available", timeout=5)
    assert found["status"]["availableReplicas"] == 1


@pytest.mark.parametrize(
    ("condition", "error", "message"),
    [
        ("", ValueError, "expected NAME"),
        ("=True", ValueError, "expected NAME"),
        ("Ready=True=False", ValueError, "expected NAME"),
        ("jsonpath={.status.phase}=Running", ValueError, "pass a callable"),
        (3, TypeError, "condition must be"),
    ],
)
def test_bad_conditions_are_clear_errors(
    deployments: DeploymentClient, condition: Any, error: type[Exception], message: str
) -> None:
    from kubeclient.wait import wait_for

    with pytest.raises(error, match=message):
        wait_for(deployments, "web", condition)


def test_the_timeout_bounds_a_slow_first_get(
    server: ApiServer, deployments: DeploymentClient
) -> None:
    from kubeclient.errors import WaitTimeout
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.wait import wait_for

    deployments.create(Deployment.from_dict(deployment("web")))
    server.faults.delay(3.0, path=f"{WEB}$", method="GET")
    started = time.monotonic()
    with pytest.raises(WaitTimeout, match="deployments/web"):
        wait_for(deployments, "web", "Available", timeout=0.3)
    assert time.monotonic() - started < 2.5
