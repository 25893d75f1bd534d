"""The shared scenarios: each runs against the sync and the async ClientSet, over
HTTP (the test API server) and on the fake's in-process engine (conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import Api, run


def config_map(name: str, value: str = "v") -> Any:
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta

    return ConfigMap(metadata=ObjectMeta(name=name), data={"k": value})


def maps(cs: Any) -> Any:
    return cs.core_v1.config_maps("default")


def create(name: str) -> Callable[[Any], Any]:
    return lambda cs: maps(cs).create(config_map(name))


def test_crud(api: Api) -> None:
    from kubeclient.errors import AlreadyExists, Conflict, NotFound

    async def scenario(api: Api) -> None:
        created = await api(lambda cs: maps(cs).create(config_map("a")))
        assert created.metadata.uid and created.metadata.resource_version
        got = await api(lambda cs: maps(cs).get("a"))
        assert got.data == {"k": "v"}
        got.data = {"k": "w"}
        updated = await api(lambda cs: maps(cs).update(got))
        assert updated.data == {"k": "w"}
        with pytest.raises(Conflict):  # got's resourceVersion is stale now
            await api(lambda cs: maps(cs).update(got))
        with pytest.raises(AlreadyExists):
            await api(lambda cs: maps(cs).create(config_map("a")))
        patched = await api(lambda cs: maps(cs).patch("a", {"data": {"x": "y"}}))
        assert patched.data == {"k": "w", "x": "y"}
        await api(lambda cs: maps(cs).delete("a"))
        with pytest.raises(NotFound):
            await api(lambda cs: maps(cs).get("a"))

    run(api, scenario)


def test_list_all_follows_continue_pages(api: Api) -> None:
    async def scenario(api: Api) -> None:
        for i in range(7):
            await api(create(f"m{i}"))
        listed = await api.collect(lambda cs: maps(cs).list_all(page_size=3))
        assert [m.metadata.name for m in listed] == [f"m{i}" for i in range(7)]

    run(api, scenario)


def test_list_all_survives_an_expired_continue_token(api: Api) -> None:
    async def scenario(api: Api) -> None:
        for i in range(5):
            await api(create(f"m{i}"))
        api.faults.error(410, path=r"continue=")
        listed = await api.collect(lambda cs: maps(cs).list_all(page_size=2))
        assert not api.faults.pending  # the second page did expire
        assert sorted(m.metadata.name for m in listed) == [f"m{i}" for i in range(5)]

    run(api, scenario)


def test_errors_and_retries(api: Api) -> None:
    from kubeclient.errors import Invalid, NotFound, ServiceUnavailable

    async def scenario(api: Api) -> None:
        await api(lambda cs: maps(cs).create(config_map("a")))
        api.faults.error(429, count=2, retry_after=0)
        assert (await api(lambda cs: maps(cs).get("a"))).metadata.name == "a"
        assert not api.faults.pending
        api.faults.error(503, count=1, method="POST")  # a write is never retried
        with pytest.raises(ServiceUnavailable):
            await api(lambda cs: maps(cs).create(config_map("b")))
        with pytest.raises(NotFound):
            await api(lambda cs: maps(cs).get("b"))
        with pytest.raises(Invalid):
            await api(lambda cs: maps(cs).create(config_map("Not_A_Name")))

    run(api, scenario)


async def _seed_after_version(api: Api, names: list[str]) -> str:
    """The collection's resourceVersion, then ``names`` created after it."""
    listed = await api(lambda cs: maps(cs).list())
    version = listed.metadata.resource_version
    for name in names:
        await api(create(name))
    return str(version)


def test_watch_resumes_after_a_dropped_connection(api: Api) -> None:
    async def scenario(api: Api) -> None:
        names = ["w0", "w1", "w2", "w3"]
        version = await _seed_after_version(api, names)
        api.faults.drop(path=r"watch=", after_events=2)
        events = await api.collect(
            lambda cs: maps(cs).watch(resume=True, resource_version=version), limit=4
        )
        assert not api.faults.pending  # the connection was dropped
        # every event once, in order: the watch resumed from the last version
        assert [(e.type, e.object.metadata.name) for e in events] == [
            ("ADDED", n) for n in names
        ]

    run(api, scenario)


def test_watch_relists_after_410_gone(api: Api) -> None:
    async def scenario(api: Api) -> None:
        names = ["g0", "g1", "g2"]
        version = await _seed_after_version(api, names)
        api.faults.error(410, path=r"watch=")
        events = await api.collect(
            lambda cs: maps(cs).watch(resume=True, resource_version=version), limit=3
        )
        assert not api.faults.pending
        assert sorted((e.type, e.object.metadata.name) for e in events) == [
            ("ADDED", n) for n in names
        ]

    run(api, scenario)


def test_cancelling_a_request_waiting_for_retry_after(api: Api) -> None:
    async def scenario(api: Api) -> None:
        from kubeclient.pipeline import RetryPolicy

        api.cs.rest_client.pipeline.retry = RetryPolicy(retry_after_cap=30)
        api.faults.error(429, count=3, retry_after=20)
        took = await api.cancelled_after(
            0.3, lambda cs, ctx: maps(cs).get("a", ctx=ctx)
        )
        assert 0.3 <= took < 2.0

    run(api, scenario)


def test_cancelling_a_quiet_watch(api: Api) -> None:
    async def scenario(api: Api) -> None:
        took = await api.cancelled_after(
            0.3, lambda cs, ctx: maps(cs).watch(resume=True, ctx=ctx)
        )
        assert 0.3 <= took < 2.0

    run(api, scenario)


def test_impersonation_reaches_the_server_with_every_group(generated: Any) -> None:
    """Config.impersonate goes out on the sync and the async pipeline alike, each
    Impersonate-Group on its own header line (a dict of headers would keep one)."""
    from kubeclient import ClientSet
    from kubeclient.aio import AsyncClientSet
    from kubeclient.config import Impersonation
    from kubeclient.models.authentication_v1 import SelfSubjectReview
    from kubeclient.testing import ApiServer

    async def whoami(cs: Any) -> Any:
        review = cs.authentication_v1.self_subject_reviews().create(SelfSubjectReview())
        return await review if not isinstance(review, SelfSubjectReview) else review

    with ApiServer() as server:
        config = server.config()
        config.impersonate = Impersonation(user="jane", groups=["devs", "ops"])
        for make in (ClientSet, AsyncClientSet):
            cs = make(config)

            async def scenario(cs: Any) -> Any:
                try:
                    return await whoami(cs)
                finally:
                    closed = cs.close()
                    if closed is not None:
                        await closed

            user = asyncio.run(scenario(cs)).status.user_info
            assert user.username == "jane", make
            assert {"devs", "ops"} <= set(user.groups or ()), (make, user.groups)


def test_apply_refuses_an_object_read_from_the_server(api: Api) -> None:
    """The verbs are built once (resource.Call): the async client refuses, as the
    sync one does, to apply an object carrying managedFields, before sending."""

    async def scenario(api: Api) -> None:
        await api(lambda cs: maps(cs).apply(config_map("a"), field_manager="me"))
        live = await api(lambda cs: maps(cs).get("a"))
        assert live.metadata.managed_fields
        with pytest.raises(ValueError, match="extract"):
            await api(lambda cs: maps(cs).apply(live, field_manager="me"))

    run(api, scenario)
