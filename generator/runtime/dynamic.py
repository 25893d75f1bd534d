"""DynamicClient: any group/version/resource, custom resources included, as plain dicts.

As client-go's ``dynamic.Interface``::

    dyn = DynamicClient(config)
    deployments = dyn.resource(GroupVersionResource("apps", "v1", "deployments"))
    d = deployments.namespace("default").get("web")      # an Unstructured (a dict)
    d.labels["tier"] = "web"
    deployments.namespace("default").update(d)
    crontab = dyn.resource_for_kind("CronTab", api_version="stable.example.com/v1")

It runs on the same ResourceClient as the typed clients: same paths, errors,
pagination (``list_all``), watch resume and patch types.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .resource import Body, PatchBody, ResourceClient, query
from .resources import GroupVersionResource, ResourceInfo
from .rest import RESTClient, Timeout
from .sharding import Shard
from .unstructured import Unstructured

if TYPE_CHECKING:
    from .config import Config
    from .context import Context
    from .discovery import DiscoveryClient, RESTMapper
    from .transport import Transport
    from .watch import WatchStream

__all__ = ["DynamicClient", "DynamicResource", "GroupVersionResource", "Unstructured"]


def _unstructured(data: dict[str, Any]) -> Unstructured:
    return Unstructured(data)


_LIST = (
    ("labelSelector", "label_selector"),
    ("fieldSelector", "field_selector"),
    ("shardSelector", "shard"),
    ("limit", "limit"),
    ("continue", "continue_"),
    ("resourceVersion", "resource_version"),
    ("resourceVersionMatch", "resource_version_match"),
    ("timeoutSeconds", "timeout_seconds"),
)
_WATCH = (
    ("labelSelector", "label_selector"),
    ("fieldSelector", "field_selector"),
    ("shardSelector", "shard"),
    ("resourceVersion", "resource_version"),
    ("allowWatchBookmarks", "allow_watch_bookmarks"),
    ("timeoutSeconds", "timeout_seconds"),
)
_WRITE = (
    ("dryRun", "dry_run"),
    ("fieldManager", "field_manager"),
    ("fieldValidation", "field_validation"),
)
_LIST_ALL = (
    ("labelSelector", "label_selector"),
    ("fieldSelector", "field_selector"),
    ("shardSelector", "shard"),
)
_DELETE = (
    ("dryRun", "dry_run"),
    ("gracePeriodSeconds", "grace_period_seconds"),
    ("propagationPolicy", "propagation_policy"),
)


class DynamicResourceClient(ResourceClient[Unstructured, Unstructured]):
    """One resource in one namespace (or cluster-wide), objects as Unstructured."""

    def __init__(
        self, rest: RESTClient, info: ResourceInfo, namespace: str | None
    ) -> None:
        super().__init__(
            rest,
            info,
            namespace,
            decode=_unstructured,
            decode_list=_unstructured,
            decode_any=_unstructured,
        )

    def get(
        self,
        name: str,
        *,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        return self._get(name, {}, request_timeout, ctx=ctx)

    def list(
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
        return self._list(query(locals(), _LIST), request_timeout, ctx=ctx)

    def list_all(
        self,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        shard: Shard | str | None = None,
        page_size: int = 500,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Iterator[Unstructured]:
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
    ) -> WatchStream[Unstructured]:
        params = query(locals(), _WATCH)
        return self._watch(params, request_timeout, resume=resume, ctx=ctx)

    def create(
        self,
        body: Body,
        *,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        return self._create(body, query(locals(), _WRITE), request_timeout, ctx=ctx)

    def update(
        self,
        body: Body,
        *,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        return self._update(body, query(locals(), _WRITE), request_timeout, ctx=ctx)

    def update_status(
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
        return self._update(
            body, params, request_timeout, subresource="status", ctx=ctx
        )

    def patch(
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
        return self._patch(
            name,
            body,
            patch_type,
            params,
            request_timeout,
            subresource=subresource,
            ctx=ctx,
        )

    def apply(
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
        return self._apply(
            body,
            field_manager,
            force,
            params,
            request_timeout,
            subresource=subresource,
            ctx=ctx,
        )

    def delete(
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
        deleted: Unstructured = self._delete(
            name, params, request_timeout, preconditions=preconditions, ctx=ctx
        )
        return deleted

    def delete_collection(
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
        result: Unstructured = self._delete_collection(params, request_timeout, ctx=ctx)
        return result

    def get_subresource(
        self,
        name: str,
        subresource: str,
        *,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Unstructured:
        result: Unstructured = self._call_subresource(
            "GET", name, subresource, {}, request_timeout, ctx=ctx
        )
        return result


class DynamicResource(DynamicResourceClient):
    """A resource, cluster-wide; ``.namespace(ns)`` for one namespace (client-go's
    ``NamespaceableResourceInterface``)."""

    def __init__(self, rest: RESTClient, info: ResourceInfo) -> None:
        super().__init__(rest, info, None)

    def namespace(self, namespace: str) -> DynamicResourceClient:  # type: ignore[override]
        info = self._info if self._info.namespaced else _namespaced(self._info)
        return DynamicResourceClient(self._rest, info, namespace)


def _namespaced(info: ResourceInfo) -> ResourceInfo:
    from dataclasses import replace

    return replace(info, namespaced=True)


class DynamicClient:
    """Any resource by GroupVersionResource; kinds resolved through discovery."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        transport: Transport | None = None,
        rest_client: RESTClient | None = None,
        discovery: DiscoveryClient | None = None,
    ) -> None:
        self.rest_client = rest_client or RESTClient(config, transport=transport)
        self._discovery = discovery
        self._mapper: RESTMapper | None = None

    @property
    def discovery(self) -> DiscoveryClient:
        if self._discovery is None:
            from .discovery import DiscoveryClient

            self._discovery = DiscoveryClient(self.rest_client)
        return self._discovery

    @property
    def mapper(self) -> RESTMapper:
        if self._mapper is None:
            from .discovery import RESTMapper

            self._mapper = RESTMapper(self.discovery)
        return self._mapper

    def resource(
        self, gvr: GroupVersionResource | tuple[str, str, str]
    ) -> DynamicResource:
        """A resource by group, version and plural, as client-go's ``Resource(gvr)``.

        Whether it is namespaced is up to the caller: ``.namespace(ns)`` or not.
        Known resources (built in, or found by discovery earlier) carry their kind.
        """
        group, version, plural = gvr
        info = self._known(group, version, plural) or ResourceInfo(
            group=group,
            version=version,
            plural=plural,
            kind="",
            namespaced=False,
            verbs=(),
        )
        return DynamicResource(self.rest_client, info)

    def resource_for_kind(
        self, kind: str, api_version: str | None = None
    ) -> DynamicResource:
        """The resource of a kind (``"Deployment"``, api_version ``"apps/v1"``), through
        the RESTMapper (discovery), so custom resources work too."""
        return DynamicResource(
            self.rest_client, self.mapper.resource_for(kind, api_version)
        )

    def _known(self, group: str, version: str, plural: str) -> ResourceInfo | None:
        if self._mapper is not None:
            mapped = self._mapper.find(group, version, plural)
            if mapped is not None:
                return mapped
        try:  # the generated package's table (not there for the bare runtime)
            api = importlib.import_module("._api", __package__)
        except ImportError:
            return None
        found: ResourceInfo | None = next(
            (r for r in api.RESOURCES if r.gvr == (group, version, plural)), None
        )
        return found

    def close(self) -> None:
        self.rest_client.close()

    def __repr__(self) -> str:
        return f"<DynamicClient {self.rest_client!r}>"
