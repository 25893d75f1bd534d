"""AsyncDynamicClient: any group/version/resource as plain dicts, async.

The sync :mod:`..dynamic` client's surface (the same methods, parameters and
query parameter tables), on :class:`~.resource.AsyncResourceClient`::

    dyn = AsyncDynamicClient(config)
    deployments = dyn.resource(GroupVersionResource("apps", "v1", "deployments"))
    d = await deployments.namespace("default").get("web")
    crontabs = await dyn.resource_for_kind("CronTab", api_version="stable.example.com/v1")
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from ..dynamic import (
    _DELETE,
    _LIST,
    _LIST_ALL,
    _WATCH,
    _WRITE,
    DynamicClient,
    _namespaced,
    _unstructured,
)
from ..resources import GroupVersionResource, ResourceInfo
from ..rest import Timeout
from ..sharding import Shard
from ..unstructured import Unstructured
from .resource import AsyncResourceClient, Body, PatchBody, query
from .rest import AsyncRESTClient

if TYPE_CHECKING:
    from ..config import Config
    from ..context import Context
    from .discovery import AsyncDiscoveryClient
    from .transport import AsyncTransport
    from .watch import AsyncWatchStream

__all__ = [
    "AsyncDynamicClient",
    "AsyncDynamicResource",
    "AsyncDynamicResourceClient",
    "GroupVersionResource",
    "Unstructured",
]


class AsyncDynamicResourceClient(AsyncResourceClient[Unstructured, Unstructured]):
    """One resource in one namespace (or cluster-wide), objects as Unstructured."""

    def __init__(
        self, rest: AsyncRESTClient, info: ResourceInfo, namespace: str | None
    ) -> None:
        super().__init__(
            rest,
            info,
            namespace,
            decode=_unstructured,
            decode_list=_unstructured,
            decode_any=_unstructured,
        )

    async def get(
        self,
        name: str,
        *,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        return await self._get(name, {}, request_timeout, ctx=ctx)

    async def list(
        self,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        shard: Shard | str | None = None,
        limit: int | None = None,
        continue_: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
        timeout_seconds: int | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        return await self._list(query(locals(), _LIST), request_timeout, ctx=ctx)

    def list_all(
        self,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        shard: Shard | str | None = None,
        page_size: int = 500,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> AsyncIterator[Unstructured]:
        params = query(locals(), _LIST_ALL)
        return self._list_all(params, request_timeout, page_size=page_size, ctx=ctx)

    def watch(
        self,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        shard: Shard | str | None = None,
        resource_version: str | None = None,
        allow_watch_bookmarks: bool | None = None,
        timeout_seconds: int | None = None,
        resume: bool = False,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> AsyncWatchStream[Unstructured]:
        params = query(locals(), _WATCH)
        return self._watch(params, request_timeout, resume=resume, ctx=ctx)

    async def create(
        self,
        body: Body,
        *,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        return await self._create(
            body, query(locals(), _WRITE), request_timeout, ctx=ctx
        )

    async def update(
        self,
        body: Body,
        *,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        return await self._update(
            body, query(locals(), _WRITE), request_timeout, ctx=ctx
        )

    async def update_status(
        self,
        body: Body,
        *,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        params = query(locals(), _WRITE)
        return await self._update(
            body, params, request_timeout, subresource="status", ctx=ctx
        )

    async def patch(
        self,
        name: str,
        body: PatchBody,
        patch_type: str = "merge",
        *,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
        force: bool | None = None,
        subresource: str | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        """A patch; merge by default (custom resources have no strategic merge)."""
        params = {**query(locals(), _WRITE), "force": force}
        return await self._patch(
            name,
            body,
            patch_type,
            params,
            request_timeout,
            subresource=subresource,
            ctx=ctx,
        )

    async def apply(
        self,
        body: Body,
        *,
        field_manager: str,
        force: bool | None = None,
        dry_run: str | None = None,
        subresource: str | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        params = {"dryRun": dry_run}
        return await self._apply(
            body,
            field_manager,
            force,
            params,
            request_timeout,
            subresource=subresource,
            ctx=ctx,
        )

    async def delete(
        self,
        name: str,
        *,
        dry_run: str | None = None,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        preconditions: Mapping[str, Any] | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        params = query(locals(), _DELETE)
        deleted: Unstructured = await self._delete(
            name, params, request_timeout, preconditions=preconditions, ctx=ctx
        )
        return deleted

    async def delete_collection(
        self,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        shard: Shard | str | None = None,
        dry_run: str | None = None,
        propagation_policy: str | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        params = {
            "labelSelector": label_selector,
            "fieldSelector": field_selector,
            "shardSelector": shard.selector if isinstance(shard, Shard) else shard,
            "dryRun": dry_run,
            "propagationPolicy": propagation_policy,
        }
        result: Unstructured = await self._delete_collection(
            params, request_timeout, ctx=ctx
        )
        return result

    async def get_subresource(
        self,
        name: str,
        subresource: str,
        *,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        result: Unstructured = await self._call_subresource(
            "GET", name, subresource, {}, request_timeout, ctx=ctx
        )
        return result


class AsyncDynamicResource(AsyncDynamicResourceClient):
    """A resource, cluster-wide; ``.namespace(ns)`` for one namespace (client-go's
    ``NamespaceableResourceInterface``)."""

    def __init__(self, rest: AsyncRESTClient, info: ResourceInfo) -> None:
        super().__init__(rest, info, None)

    def namespace(self, namespace: str) -> AsyncDynamicResourceClient:  # type: ignore[override]
        info = self._info if self._info.namespaced else _namespaced(self._info)
        return AsyncDynamicResourceClient(self._rest, info, namespace)


class AsyncDynamicClient:
    """Any resource by GroupVersionResource; kinds resolved through discovery."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        transport: AsyncTransport | None = None,
        rest_client: AsyncRESTClient | None = None,
        discovery: AsyncDiscoveryClient | None = None,
    ) -> None:
        self.rest_client = rest_client or AsyncRESTClient(config, transport=transport)
        self._discovery = discovery
        #: the sync client's lookups (the generated resource table, the mapper)
        self._lookup = DynamicClient(rest_client=self.rest_client.builder)

    @property
    def discovery(self) -> AsyncDiscoveryClient:
        if self._discovery is None:
            from .discovery import AsyncDiscoveryClient

            self._discovery = AsyncDiscoveryClient(self.rest_client)
        return self._discovery

    def resource(
        self, gvr: GroupVersionResource | tuple[str, str, str]
    ) -> AsyncDynamicResource:
        """A resource by group, version and plural (``DynamicClient.resource``)."""
        info = self._lookup.resource(gvr)._info
        return AsyncDynamicResource(self.rest_client, info)

    async def resource_for_kind(
        self, kind: str, api_version: str | None = None
    ) -> AsyncDynamicResource:
        """The resource of a kind, through the RESTMapper (discovery, awaited)."""
        mapper = await self.discovery.mapper()
        self._lookup._mapper = mapper
        return AsyncDynamicResource(
            self.rest_client, mapper.resource_for(kind, api_version)
        )

    async def close(self) -> None:
        await self.rest_client.close()

    async def __aenter__(self) -> AsyncDynamicClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<AsyncDynamicClient {self.rest_client!r}>"
