"""The request pipeline, written once, run against each transport: the same
scenarios over HTTP (the test API server), the fake ClientSet's in-process
transport and a MockTransport must behave identically: retries and backoff,
error classes, warnings, cancellation and closing a watch from another thread."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Setup:
    """A ClientSet on one transport, the server's fault injection, the pauses."""

    cs: Any
    faults: Any
    sleeps: list[float]


def _recorder(sleeps: list[float]) -> Any:
    def sleep(seconds: float, ctx: Any = None) -> None:
        sleeps.append(seconds)

    return sleep


@pytest.fixture(params=["http", "fake"])
def setup(request: pytest.FixtureRequest, generated: Path) -> Iterator[Setup]:
    from kubeclient import ClientSet
    from kubeclient.testing import ApiServer, fake_clientset

    sleeps: list[float] = []
    if request.param == "http":
        with ApiServer() as server:
            cs = ClientSet(server.config())
            cs.rest_client.pipeline.sleep = _recorder(sleeps)
            yield Setup(cs, server.faults, sleeps)
            cs.close()
    else:
        fake = fake_clientset()
        fake.rest_client.pipeline.sleep = _recorder(sleeps)
        yield Setup(fake, fake.core.faults, sleeps)


def config_map(name: str) -> Any:
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta

    return ConfigMap(metadata=ObjectMeta(name=name), data={"k": "v"})


def test_429_is_retried_with_a_minimum_backoff(setup: Setup) -> None:
    """Regression: through the fake ClientSet a 429 raised TooManyRequests at once
    while HTTP retried it; and Retry-After: 0 retried without pausing."""
    cms = setup.cs.core_v1.config_maps("default")
    cms.create(config_map("a"))
    setup.faults.error(429, count=3, retry_after=0, method="GET")
    assert cms.get("a").data == {"k": "v"}
    assert len(setup.sleeps) == 3
    assert all(pause >= 0.1 for pause in setup.sleeps), setup.sleeps


def test_too_many_429s_raise_too_many_requests(setup: Setup) -> None:
    from kubeclient.errors import TooManyRequests

    setup.faults.error(429, count=10, retry_after=2)
    with pytest.raises(TooManyRequests) as raised:
        setup.cs.core_v1.namespaces().get("default")
    assert raised.value.retry_after == 2
    assert setup.sleeps == [2.0] * 5


def test_503_retried_on_reads_not_on_writes(setup: Setup) -> None:
    from kubeclient.errors import ServiceUnavailable

    cms = setup.cs.core_v1.config_maps("default")
    setup.faults.error(503, count=2, method="GET")
    assert cms.list().items == []
    assert len(setup.sleeps) == 2
    setup.faults.error(503, count=1, method="POST")
    with pytest.raises(ServiceUnavailable):
        cms.create(config_map("b"))
    assert len(setup.sleeps) == 2
    assert [c.metadata.name for c in cms.list_all()] == []  # nothing was created


def test_a_dropped_connection_is_retried_on_reads_only(setup: Setup) -> None:
    from kubeclient.errors import StreamInterrupted

    cms = setup.cs.core_v1.config_maps("default")
    cms.create(config_map("dropped"))
    setup.faults.drop(method="GET")
    assert cms.get("dropped").metadata.name == "dropped"
    assert len(setup.sleeps) == 1
    setup.faults.drop(method="PUT")
    current = cms.get("dropped")
    with pytest.raises(StreamInterrupted):
        cms.update(current)
    assert len(setup.sleeps) == 1


def test_errors_have_their_class_and_details(setup: Setup) -> None:
    from kubeclient.errors import AlreadyExists, Invalid, NotFound

    cms = setup.cs.core_v1.config_maps("default")
    with pytest.raises(NotFound) as missing:
        cms.get("nope")
    assert missing.value.status == 404
    assert 'configmaps "nope" not found' in str(missing.value)
    cms.create(config_map("c"))
    with pytest.raises(AlreadyExists):
        cms.create(config_map("c"))
    with pytest.raises(Invalid) as invalid:
        cms.create(config_map("Not_Valid"))
    assert invalid.value.causes[0]["field"] == "metadata.name"


def test_server_warnings_are_surfaced(setup: Setup) -> None:
    from kubeclient.errors import ServerWarning

    cms = setup.cs.core_v1.config_maps("default")
    body = config_map("w").to_dict()
    body["spec"] = {"unknown": True}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cms.create(body)
    texts = [str(w.message) for w in caught if issubclass(w.category, ServerWarning)]
    assert any('unknown field "spec"' in text for text in texts), texts


def test_a_watch_closed_from_another_thread_ends(setup: Setup) -> None:
    cms = setup.cs.core_v1.config_maps("default")
    cms.create(config_map("d"))
    stream = cms.watch()
    assert next(stream).object.metadata.name == "d"
    timer = threading.Timer(0.2, stream.close)
    started = time.monotonic()
    timer.start()
    assert list(stream) == []
    assert time.monotonic() - started < 1.2


def test_a_cancelled_context_ends_list_all_and_resumed_watches(setup: Setup) -> None:
    from kubeclient.context import Context
    from kubeclient.errors import Cancelled

    cms = setup.cs.core_v1.config_maps("default")
    for name in ("e1", "e2", "e3"):
        cms.create(config_map(name))
    ctx = Context()
    pages = cms._list_all({}, None, page_size=1, ctx=ctx)
    next(pages)
    ctx.cancel()
    with pytest.raises(Cancelled):
        list(pages)
    ctx = Context()
    events = cms._watch({}, None, resume=True, ctx=ctx)
    assert len([next(events) for _ in range(3)]) == 3
    threading.Timer(0.2, ctx.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        next(events)
    assert time.monotonic() - started < 1.2


def test_the_mock_transport_runs_the_same_pipeline(generated: Path) -> None:
    from kubeclient import ClientSet
    from kubeclient.errors import NotFound
    from kubeclient.request import Request
    from kubeclient.response import Response
    from kubeclient.transport.mock import MockTransport, json_response

    answers = [
        json_response(429, {"kind": "Status", "code": 429}, {"Retry-After": "0"}),
        json_response(404, {"kind": "Status", "reason": "NotFound", "code": 404}),
    ]

    def handler(request: Request) -> Response:
        return answers.pop(0)

    mock = MockTransport(handler)
    cs = ClientSet(transport=mock)
    sleeps: list[float] = []
    cs.rest_client.pipeline.sleep = _recorder(sleeps)
    with pytest.raises(NotFound):
        cs.core_v1.pods("default").get("web")
    assert [r.path for r in mock.requests] == [
        "/api/v1/namespaces/default/pods/web"
    ] * 2
    assert len(sleeps) == 1 and sleeps[0] >= 0.1
    sent = mock.requests[0]
    assert sent.header("accept") == "application/json"
    assert "kubeclient" in str(sent.header("user-agent"))


def test_an_expired_continue_token_falls_back_to_a_full_list(setup: Setup) -> None:
    """Regression: a 410 on a relist's continue page made watch(resume=True) give
    up with Expired; the pager falls back to a full list, as client-go's does."""
    cms = setup.cs.core_v1.config_maps("default")
    names = [f"x{i}" for i in range(5)]
    for name in names:
        cms.create(config_map(name))
    setup.faults.error(410, path=r"continue=", count=1)
    items, version = cms._relist({}, None, None, page_size=2)
    assert sorted(i["metadata"]["name"] for i in items) == names
    assert int(version) > 0
    requests = [a for a in getattr(setup.cs, "actions", []) if a.verb == "list"]
    if requests:  # the fake records what was asked: 1 page, the 410, a full list
        assert [a.params.get("limit") for a in requests[-3:]] == ["2", "2", None]
    # list_all keeps going too: every object once
    setup.faults.error(410, path=r"continue=", count=1)
    assert sorted(c.metadata.name for c in cms.list_all(page_size=2)) == names


def test_a_resumed_watch_survives_an_expired_relist(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    cms = setup.cs.core_v1.config_maps("default")
    for i in range(3):
        cms.create(config_map(f"y{i}"))
    original = cms._relist

    def small_pages(*args: Any, **kwargs: Any) -> Any:
        return original(*args, **{**kwargs, "page_size": 1})

    # pages of one object, so the relist needs continue tokens
    monkeypatch.setattr(cms, "_relist", small_pages)
    setup.faults.error(410, path=r"continue=", count=1)
    with cms.watch(resume=True) as events:
        seen = [next(events).object.metadata.name for _ in range(3)]
    assert sorted(seen) == ["y0", "y1", "y2"]


def test_a_401_is_retried_once_with_refreshed_credentials_on_any_transport(
    generated: Path,
) -> None:
    from kubeclient import ClientSet
    from kubeclient.config import Authenticator, Config
    from kubeclient.request import Request
    from kubeclient.response import Response
    from kubeclient.transport.mock import MockTransport, json_response

    class Rotating(Authenticator):
        token = "old"

        def authorization(self) -> str | None:
            return f"Bearer {self.token}"

        def refresh_after_unauthorized(self) -> bool:
            self.token = "new"
            return True

    def handler(request: Request) -> Response:
        if request.header("authorization") != "Bearer new":
            return json_response(401, {"kind": "Status", "code": 401})
        return json_response(200, {"apiVersion": "v1", "kind": "Namespace"})

    mock = MockTransport(handler)
    config = Config(host="https://unused.example", auth=Rotating())
    cs = ClientSet(config, transport=mock)
    assert cs.core_v1.namespaces().get("x").kind == "Namespace"
    assert [r.header("authorization") for r in mock.requests] == [
        "Bearer old",
        "Bearer new",
    ]
