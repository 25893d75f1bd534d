"""The one generic async resource client, under the generated async typed clients
and :class:`~.dynamic.AsyncDynamicClient`.

Everything but the awaiting is the sync :class:`~..resource.ResourceClient`'s, run
on an instance of it that only builds (``self.sync``): paths and namespaces,
query parameters, bodies, patch types, the decoding and kind checks of every
answer, list pages and continue tokens, the stream timeouts. This class sends
what it builds through the :class:`~.pipeline.AsyncPipeline`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from .._model import Model, wrap
from ..context import Context
from ..errors import Gone
from ..resource import Body as Body
from ..resource import Call, ResourceClient, _item_key, decode_by_kind
from ..resource import PatchBody as PatchBody
from ..resource import _name_of as _name_of
from ..resource import query as query
from ..resources import ResourceInfo
from ..rest import RequestBuilder
from .rest import AsyncRESTClient
from .watch import AsyncWatcher, AsyncWatchStream, WatchEvent, aiter_watch_events

if TYPE_CHECKING:
    from ..request import Timeout
    from .response import AsyncResponse

__all__ = [
    "AsyncResourceClient",
    "AsyncTypedResourceClient",
    "Body",
    "PatchBody",
    "query",
]

_log = logging.getLogger(__package__ or "kubeclient")

T = TypeVar("T")
L = TypeVar("L")
R = TypeVar("R")
Params = Mapping[str, Any]
Page = tuple[list[dict[str, Any]], str]


class _ContinueExpired(Exception):
    def __init__(self, error: Gone) -> None:
        super().__init__(str(error))
        self.error = error


class AsyncResourceClient(Generic[T, L]):
    """One resource in one namespace (all with "", or cluster-scoped), async."""

    def __init__(
        self,
        rest: AsyncRESTClient,
        info: ResourceInfo,
        namespace: str | None,
        *,
        decode: Callable[[dict[str, Any]], T],
        decode_list: Callable[[dict[str, Any]], L],
        decode_any: Callable[[dict[str, Any]], Any],
        accept: str | None = None,
        list_accept: str | None = None,
    ) -> None:
        self._rest = rest
        #: the sync client that builds every request and decodes every answer
        self.sync: ResourceClient[T, L] = ResourceClient(
            rest.builder,
            info,
            namespace,
            decode=decode,
            decode_list=decode_list,
            decode_any=decode_any,
            accept=accept,
            list_accept=list_accept,
        )
        self._info = info
        self._decode = decode

    @property
    def resource(self) -> ResourceInfo:
        return self._info

    @property
    def namespace(self) -> str | None:
        return self.sync.namespace

    def __repr__(self) -> str:
        return repr(self.sync).replace("<ResourceClient", f"<{type(self).__name__}")

    # -- sending

    async def _json(self, request: RequestBuilder) -> Any:
        response = await self._rest.pipeline.send(request.build())
        return (await response.read()).json()

    async def _run(self, call: Call[R]) -> R:
        """A verb the sync client built (request and decoding), sent on the loop."""
        return call.decode(await self._json(call.request))

    async def _open(self, request: RequestBuilder) -> AsyncResponse:
        return await self._rest.pipeline.send(request.build(stream=True))

    def _req(
        self,
        method: str,
        namespace: str | None,
        name: str | None = None,
        subresource: str | None = None,
        *,
        ctx: Context | None = None,
        listing: bool = False,
    ) -> RequestBuilder:
        return self.sync._request(
            method, namespace, name, subresource, ctx=ctx, listing=listing
        )

    # -- verbs (the generated async typed clients call these)

    async def _get(
        self,
        name: str,
        params: Params,
        timeout: Timeout | None,
        *,
        ctx: Context | None = None,
    ) -> T:
        return await self._run(self.sync._get_call(name, params, timeout, ctx=ctx))

    async def _list(
        self, params: Params, timeout: Timeout | None, *, ctx: Context | None = None
    ) -> L:
        return await self._run(self.sync._list_call(params, timeout, ctx=ctx))

    async def _list_all(
        self,
        params: Params,
        timeout: Timeout | None,
        *,
        page_size: int = 500,
        ctx: Context | None = None,
    ) -> AsyncIterator[T]:
        """Every item, page by page; an expired continue token falls back to a
        full list, yielding the objects not seen yet (as the sync ``list_all``)."""
        seen: set[tuple[str, str]] = set()
        try:
            async for items, _ in self._pages(params, timeout, page_size, ctx):
                for item in items:
                    seen.add(_item_key(item))
                    yield self._decode(item)
            return
        except _ContinueExpired as expired:
            _log.warning(
                "list of %s: %s; continuing with a full list",
                self._info.plural,
                expired,
            )
        items, _ = await self._full_list(params, timeout, ctx)
        for item in items:
            if _item_key(item) not in seen:
                yield self._decode(item)

    async def _pages(
        self,
        params: Params,
        timeout: Timeout | None,
        page_size: int,
        ctx: Context | None,
    ) -> AsyncIterator[Page]:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        token: str | None = None
        while True:
            if ctx is not None:
                ctx.check()
            page = {**params, "limit": page_size, "continue": token}
            if token is not None:
                page.pop("resourceVersion", None)
                page.pop("resourceVersionMatch", None)
            request = self._req("GET", self.sync.namespace, ctx=ctx, listing=True)
            try:
                data = await self._json(request.params(page).timeout(timeout))
            except Gone as error:
                if token is None:
                    raise
                raise _ContinueExpired(error) from error
            items, version, token = self.sync._page_of(data)
            yield items, version
            if not token:
                return

    async def _full_list(
        self, params: Params, timeout: Timeout | None, ctx: Context | None
    ) -> Page:
        return await self._run(self.sync._full_list_call(params, timeout, ctx))

    async def _relist(
        self,
        params: Params,
        timeout: Timeout | None,
        ctx: Context | None,
        page_size: int = 500,
    ) -> Page:
        items: list[dict[str, Any]] = []
        version = ""
        try:
            async for page, page_version in self._pages(
                params, timeout, page_size, ctx
            ):
                items.extend(page)
                version = page_version
        except _ContinueExpired as expired:
            _log.info("relist of %s: %s; doing a full list", self._info.plural, expired)
            return await self._full_list(params, timeout, ctx)
        return items, version

    async def _create(
        self,
        body: Body,
        params: Params,
        timeout: Timeout | None,
        *,
        ctx: Context | None = None,
    ) -> T:
        return await self._run(self.sync._create_call(body, params, timeout, ctx=ctx))

    async def _update(
        self,
        body: Body,
        params: Params,
        timeout: Timeout | None,
        *,
        subresource: str | None = None,
        ctx: Context | None = None,
    ) -> T:
        call = self.sync._update_call(
            body, params, timeout, subresource=subresource, ctx=ctx
        )
        return await self._run(call)

    async def _patch(
        self,
        name: str,
        body: PatchBody,
        patch_type: str,
        params: Params,
        timeout: Timeout | None,
        *,
        subresource: str | None = None,
        ctx: Context | None = None,
    ) -> T:
        call = self.sync._patch_call(
            name, body, patch_type, params, timeout, subresource=subresource, ctx=ctx
        )
        return await self._run(call)

    async def _apply(
        self,
        body: Body,
        field_manager: str,
        force: bool | None,
        params: Params,
        timeout: Timeout | None,
        *,
        subresource: str | None = None,
        ctx: Context | None = None,
    ) -> T:
        call = self.sync._apply_call(
            body,
            field_manager,
            force,
            params,
            timeout,
            subresource=subresource,
            ctx=ctx,
        )
        return await self._run(call)

    async def _delete(
        self,
        name: str,
        params: Params,
        timeout: Timeout | None,
        *,
        preconditions: Body | None = None,
        ctx: Context | None = None,
    ) -> Any:
        call = self.sync._delete_call(
            name, params, timeout, preconditions=preconditions, ctx=ctx
        )
        return await self._run(call)

    async def _delete_collection(
        self, params: Params, timeout: Timeout | None, *, ctx: Context | None = None
    ) -> Any:
        call = self.sync._delete_collection_call(params, timeout, ctx=ctx)
        return await self._run(call)

    def _watch(
        self,
        params: Params,
        timeout: Timeout | None,
        *,
        resume: bool = False,
        ctx: Context | None = None,
        known: Iterable[Mapping[str, Any]] = (),
    ) -> AsyncWatchStream[T]:
        """Watch events (``async for``); with ``resume``, reconnect and relist as
        the sync watch does."""
        watch_params = {**params, "watch": True}
        timeout = self.sync._stream_timeout(timeout)
        namespace = self.sync.namespace
        if not resume:

            async def events(inner: Context) -> AsyncIterator[WatchEvent[T]]:
                request = self._req("GET", namespace, ctx=inner)
                response = await self._open(
                    request.params(watch_params).timeout(timeout)
                )
                async for event in aiter_watch_events(response, self._decode):
                    yield event

            return AsyncWatchStream(events, ctx)

        version = params.get("resourceVersion")
        overall = params.get("timeoutSeconds")

        def resumed(inner: Context) -> AsyncIterator[WatchEvent[T]]:
            async def start(resource_version: str | None) -> AsyncResponse:
                again = {
                    **watch_params,
                    "resourceVersion": resource_version,
                    "allowWatchBookmarks": True,
                }
                request = self._req("GET", namespace, ctx=inner)
                return await self._open(request.params(again).timeout(timeout))

            async def relist() -> Page:
                selectors = {
                    k: v
                    for k, v in params.items()
                    if k in ("labelSelector", "fieldSelector", "shardSelector")
                }
                return await self._relist(selectors, timeout, inner)

            watcher = AsyncWatcher(
                start=start,
                relist=relist,
                decode=self._decode,
                resource_version=(
                    version if isinstance(version, str) and version else None
                ),
                timeout=(
                    float(overall)
                    if isinstance(overall, int) and not isinstance(overall, bool)
                    else None
                ),
                ctx=inner,
                known=known,
            )
            return watcher.__aiter__()

        return AsyncWatchStream(resumed, ctx)

    # -- subresources

    async def _call_subresource(
        self,
        method: str,
        name: str,
        subresource: str,
        params: Params,
        timeout: Timeout | None,
        *,
        body: Body | None = None,
        ctx: Context | None = None,
    ) -> Any:
        sync = self.sync
        request = self._req(
            method, sync._object_namespace(body), name, subresource, ctx=ctx
        )
        request.params(params).timeout(timeout)
        if body is not None:
            request.body(body)
        data = await self._json(request)
        sub = self._info.subresource(subresource)
        expected: tuple[str, ...] = ()
        if sub is not None and sub.kind is not None:
            expected = (sub.kind.kind,)
        if expected and method in ("POST", "DELETE"):
            expected = (*expected, "Status")
        return sync._decode_object(data, subresource, *expected)

    async def _text(
        self,
        name: str,
        subresource: str,
        params: Params,
        timeout: Timeout | None,
        *,
        ctx: Context | None = None,
    ) -> str:
        request = self._req(
            "GET", self.sync._object_namespace(), name, subresource, ctx=ctx
        )
        request.params(params).accept("*/*").timeout(timeout)
        response = await self._rest.pipeline.send(request.build())
        return (await response.read()).content().decode("utf-8", errors="replace")

    def _text_or_lines(
        self,
        name: str,
        subresource: str,
        params: Params,
        timeout: Timeout | None,
        *,
        ctx: Context | None = None,
    ) -> Any:
        """An awaitable of the text, or with ``follow`` an async iterator of its
        lines as they come."""
        if params.get("follow"):
            return self._lines(name, subresource, params, timeout, ctx)
        return self._text(name, subresource, params, timeout, ctx=ctx)

    async def _lines(
        self,
        name: str,
        subresource: str,
        params: Params,
        timeout: Timeout | None,
        ctx: Context | None,
    ) -> AsyncIterator[str]:
        request = self._req(
            "GET", self.sync._object_namespace(), name, subresource, ctx=ctx
        )
        request.params(params).accept("*/*")
        request.timeout(self.sync._stream_timeout(timeout))
        response = await self._open(request)
        try:
            async for line in response.aiter_lines():
                yield line.decode("utf-8", errors="replace")
        finally:
            await response.aclose()

    def _object_namespace(self, body: Body | None = None) -> str | None:
        return self.sync._object_namespace(body)


class AsyncTypedResourceClient(AsyncResourceClient[T, L]):
    """Base of the generated async typed clients (as ``TypedResourceClient``)."""

    _info_: ClassVar[ResourceInfo]
    _model_: ClassVar[type[Model]]
    _list_model_: ClassVar[type[Model] | None] = None
    _lookup_: ClassVar[Any]

    def __init__(self, rest: AsyncRESTClient, namespace: str | None = None) -> None:
        cls = type(self)
        decode_any = partial(decode_by_kind, cls._lookup_)
        list_model = cls._list_model_
        super().__init__(
            rest,
            cls._info_,
            namespace,
            decode=partial(wrap, cls._model_),  # type: ignore[arg-type]
            decode_list=partial(wrap, list_model) if list_model is not None else decode_any,  # type: ignore[arg-type]
            decode_any=decode_any,
        )
