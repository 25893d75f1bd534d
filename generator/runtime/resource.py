"""The one generic resource client (client-go's ``gentype``).

Generated typed clients are thin facades over ``ResourceClient``: their methods
only spell out the spec's parameters and call the ``_get``/``_list``/... methods
here. The dynamic client uses the same class with an Unstructured decoder, so
typed, dynamic and fake clients share every request path.

Every verb takes ``ctx`` (a :class:`~.context.Context`): cancelling it ends the
call, closing its connection. A response of another kind than the call returns
(a Pod where a ConfigMap was asked for) raises :class:`~.errors.UnexpectedKind`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ._model import Model, wrap
from .context import Context
from .errors import Gone, UnexpectedKind
from .resources import ResourceInfo
from .rest import ParamValue, RequestBuilder, RESTClient, lines, patch_content_type
from .sharding import Shard
from .watch import Watcher, WatchEvent, WatchStream, iter_watch_events

if TYPE_CHECKING:
    from .request import Timeout
    from .response import Response

_log = logging.getLogger(__package__ or "kubeclient")

T = TypeVar("T")
L = TypeVar("L")
R = TypeVar("R")
Params = Mapping[str, ParamValue]
Body = Model | Mapping[str, Any]
PatchBody = Model | Mapping[str, Any] | Sequence[Mapping[str, Any]] | bytes | str
Page = tuple[list[dict[str, Any]], str]  # items, list resourceVersion


def _object_meta(body: Body) -> Mapping[str, Any]:
    wire = body.to_dict(copy=False) if isinstance(body, Model) else body
    meta = wire.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _name_of(body: Body, what: str = "this operation") -> str:
    name = _object_meta(body).get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{what} needs an object with metadata.name")
    return name


class _ContinueExpired(Exception):
    """A list's continue token expired mid-way (410 on a page after the first)."""

    def __init__(self, error: Gone) -> None:
        super().__init__(str(error))
        self.error = error


class Call(Generic[R]):
    """One verb, sans-IO: the request to send and how its JSON answer becomes the
    result. Built once here; the sync client sends it with :meth:`run`, the async
    one awaits the same request (kubeclient.aio), so both share every check,
    path and decoding."""

    __slots__ = ("request", "decode")

    def __init__(self, request: RequestBuilder, decode: Callable[[Any], R]) -> None:
        self.request = request
        self.decode = decode

    def run(self) -> R:
        return self.decode(self.request.do().json())


class ResourceClient(Generic[T, L]):
    """One resource, in one namespace (all namespaces with "", or cluster-scoped).

    ``decode`` turns a wire dict of the resource's kind into ``T``, ``decode_list``
    a list into ``L``; ``decode_any`` handles every other kind a response may carry
    (Status, Scale, Eviction ...): it dispatches on apiVersion/kind.

    ``accept`` (optional) is the Accept header of this client's requests for one
    object and for watches, ``list_accept`` that of its list requests (``_list``,
    ``_pages``, ``_full_list``, ``_relist``, ``_delete_collection``; default:
    ``accept``); unset, requests ask for plain JSON. The metadata client asks for
    PartialObjectMetadata this way, so whatever reads pages or watch streams
    through this class (a reflector) gets what the client asked for.
    """

    def __init__(
        self,
        rest: RESTClient,
        info: ResourceInfo,
        namespace: str | None,
        *,
        decode: Callable[[dict[str, Any]], T],
        decode_list: Callable[[dict[str, Any]], L],
        decode_any: Callable[[dict[str, Any]], Any],
        accept: str | None = None,
        list_accept: str | None = None,
    ) -> None:
        if namespace is not None and not info.namespaced:
            raise ValueError(
                f"{info.plural} is cluster-scoped: no namespace ({namespace!r})"
            )
        self._rest = rest
        self._info = info
        self._namespace = namespace if info.namespaced else None
        self._decode = decode
        self._decode_list = decode_list
        self._decode_any = decode_any
        self._accept = accept
        self._list_accept = list_accept if list_accept is not None else accept

    @property
    def resource(self) -> ResourceInfo:
        return self._info

    @property
    def namespace(self) -> str | None:
        """The namespace; "" means all namespaces; None for cluster-scoped resources."""
        return self._namespace

    def __repr__(self) -> str:
        if self._namespace:
            where = f" in {self._namespace!r}"
        elif self._info.namespaced:
            where = " in all namespaces"
        else:
            where = ""
        return f"<{type(self).__name__} {self._info.api_version} {self._info.plural}{where}>"

    # -- paths

    def _object_namespace(self, body: Body | None = None) -> str | None:
        """The namespace an object operation goes to (never "all namespaces")."""
        if not self._info.namespaced:
            return None
        namespace = self._namespace
        if not namespace and body is not None:
            found = _object_meta(body).get("namespace")
            namespace = found if isinstance(found, str) else None
        if not namespace:
            raise ValueError(
                f"{self._info.plural} are namespaced: this client is for all namespaces; "
                "use one namespace for this operation (or set metadata.namespace)"
            )
        return namespace

    def _request(
        self,
        method: str,
        namespace: str | None,
        name: str | None = None,
        subresource: str | None = None,
        *,
        ctx: Context | None = None,
        listing: bool = False,
    ) -> RequestBuilder:
        """A request to the resource; ``listing``: a list request (its Accept is
        ``list_accept``), else one object or a watch (``accept``)."""
        request = (
            self._rest.verb(method)
            .abs_path(self._info.path(namespace, name, subresource))
            .context(ctx)
        )
        accept = self._list_accept if listing else self._accept
        if accept is not None:
            request.accept(accept)
        return request

    # -- decoding

    def _unexpected(self, data: Any, expected: str, what: str) -> UnexpectedKind:
        found = data.get("kind") if isinstance(data, dict) else None
        got = (
            f"a {found}"
            if isinstance(found, str) and found
            else f"JSON {type(data).__name__}"
        )
        return UnexpectedKind(
            f"{what} {self._info.api_version} {self._info.plural}: expected "
            f"{expected}, the server answered with {got}"
        )

    def _decode_response(
        self, data: Any, what: str, subresource: str | None = None
    ) -> T:
        """The resource's own kind (main resource, status ...) or, for a subresource
        that serves another kind (scale), that kind, typed by kind."""
        expected = self._info.kind  # "" when not known (a dynamic GVR): no check
        if subresource is not None:
            sub = self._info.subresource(subresource)
            if sub is not None and sub.kind is not None:
                expected = sub.kind.kind
            elif sub is None or sub.kind is None:
                expected = ""  # not known: whatever it is, typed by its kind
        if not isinstance(data, dict):
            raise self._unexpected(data, f"a {expected or 'JSON object'}", what)
        kind = data.get("kind")
        own = kind is None or kind == self._info.kind
        if own and expected in (self._info.kind, ""):
            return self._decode(data)
        if expected and kind not in (None, expected):
            raise self._unexpected(data, f"a {expected}", what)
        return self._decode_any(data)  # type: ignore[no-any-return]

    def _decode_object(self, data: Any, what: str, *expected: str) -> Any:
        """An answer that may be one of several kinds (an object or a Status ...)."""
        if not isinstance(data, dict):
            raise self._unexpected(data, "a JSON object", what)
        kind = data.get("kind")
        # "" among the expected kinds: a resource known by GVR only, no check
        if expected and all(expected) and kind not in expected:
            raise self._unexpected(data, " or ".join(f"a {k}" for k in expected), what)
        if kind == self._info.kind:
            return self._decode(data)
        if kind == self._info.list_kind:
            return self._decode_list(data)
        return self._decode_any(data)

    def _list_kind(self) -> str:
        """The list kind, "" when the kind is not known (no check then)."""
        if self._info.list_kind:
            return self._info.list_kind
        return f"{self._info.kind}List" if self._info.kind else ""

    def _decode_list_response(self, data: Any, what: str) -> L:
        expected = self._list_kind()
        if not isinstance(data, dict):
            raise self._unexpected(data, f"a {expected or 'list'}", what)
        kind = data.get("kind")
        if expected and kind is not None and kind != expected:
            raise self._unexpected(data, f"a {expected}", what)
        return self._decode_list(data)

    # -- verbs (the typed and dynamic facades call these)

    def _get(
        self,
        name: str,
        params: Params,
        timeout: Timeout | None,
        *,
        ctx: Context | None = None,
    ) -> T:
        return self._get_call(name, params, timeout, ctx=ctx).run()

    def _get_call(
        self,
        name: str,
        params: Params,
        timeout: Timeout | None,
        *,
        ctx: Context | None = None,
    ) -> Call[T]:
        request = self._request("GET", self._object_namespace(), name, ctx=ctx)
        request.params(params).timeout(timeout)
        return Call(request, partial(self._decode_response, what="get"))

    def _list(
        self, params: Params, timeout: Timeout | None, *, ctx: Context | None = None
    ) -> L:
        return self._list_call(params, timeout, ctx=ctx).run()

    def _list_call(
        self, params: Params, timeout: Timeout | None, *, ctx: Context | None = None
    ) -> Call[L]:
        request = self._request("GET", self._namespace, ctx=ctx, listing=True)
        request.params(params).timeout(timeout)
        return Call(request, partial(self._decode_list_response, what="list"))

    def _list_all(
        self,
        params: Params,
        timeout: Timeout | None,
        *,
        page_size: int = 500,
        ctx: Context | None = None,
    ) -> Iterator[T]:
        """Every item, following ``continue`` tokens page by page (client-go's
        ListPager). Should a continue token expire before the last page (410), the
        rest comes from a full list: the objects not seen yet are yielded, so every
        object is yielded once, but the earlier pages then show an older state."""
        seen: set[tuple[str, str]] = set()
        try:
            for items, _ in self._pages(params, timeout, page_size, ctx):
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
        items, _ = self._full_list(params, timeout, ctx)
        for item in items:
            if _item_key(item) not in seen:
                yield self._decode(item)

    def _pages(
        self,
        params: Params,
        timeout: Timeout | None,
        page_size: int,
        ctx: Context | None,
    ) -> Iterator[Page]:
        """Each page's item wire dicts and the list's resourceVersion; raises
        _ContinueExpired when a continue token expires."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        token: str | None = None
        while True:
            if ctx is not None:
                ctx.check()
            page = {**params, "limit": page_size, "continue": token}
            if token is not None:
                # the first page fixes the list's resourceVersion; the server
                # refuses one together with a continue token (as client-go's pager)
                page.pop("resourceVersion", None)
                page.pop("resourceVersionMatch", None)
            request = self._request("GET", self._namespace, ctx=ctx, listing=True)
            try:
                data = request.params(page).timeout(timeout).do().json()
            except Gone as error:  # Expired: the continue token is too old
                if token is None:
                    raise
                raise _ContinueExpired(error) from error
            items, version, token = self._page_of(data)
            yield items, version
            if not token:
                return

    def _full_list(
        self, params: Params, timeout: Timeout | None, ctx: Context | None
    ) -> Page:
        """One unpaginated list (as the pager's FullListIfExpired)."""
        return self._full_list_call(params, timeout, ctx).run()

    def _full_list_call(
        self, params: Params, timeout: Timeout | None, ctx: Context | None
    ) -> Call[Page]:
        request = self._request("GET", self._namespace, ctx=ctx, listing=True)
        request.params(params).timeout(timeout)
        return Call(request, lambda data: self._page_of(data)[:2])

    def _page_of(self, data: Any) -> tuple[list[dict[str, Any]], str, str | None]:
        expected = self._list_kind()
        if not isinstance(data, dict) or (
            expected and data.get("kind") not in (None, expected)
        ):
            raise self._unexpected(data, f"a {expected or 'list'}", "list")
        items = []
        kind = self._info.kind
        listed = data.get("kind")
        if not kind and isinstance(listed, str) and listed.endswith("List"):
            kind = listed[: -len("List")]  # a resource known by GVR only
        for item in data.get("items") or ():
            if isinstance(item, dict):
                # list items carry no apiVersion/kind on the wire; objects do
                item.setdefault("apiVersion", self._info.api_version)
                if kind:
                    item.setdefault("kind", kind)
                items.append(item)
        meta = data.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        token = meta.get("continue")
        return (
            items,
            str(meta.get("resourceVersion") or ""),
            (token if isinstance(token, str) and token else None),
        )

    def _relist(
        self,
        params: Params,
        timeout: Timeout | None,
        ctx: Context | None,
        *,
        page_size: int = 500,
    ) -> Page:
        """The whole collection for a watch to start from: paginated, or one full
        list when a continue token expires on the way (client-go's pager)."""
        items: list[dict[str, Any]] = []
        version = ""
        try:
            for page, page_version in self._pages(params, timeout, page_size, ctx):
                items.extend(page)
                version = page_version
        except _ContinueExpired as expired:
            _log.info("relist of %s: %s; doing a full list", self._info.plural, expired)
            return self._full_list(params, timeout, ctx)
        return items, version

    def _create(
        self,
        body: Body,
        params: Params,
        timeout: Timeout | None,
        *,
        ctx: Context | None = None,
    ) -> T:
        return self._create_call(body, params, timeout, ctx=ctx).run()

    def _create_call(
        self,
        body: Body,
        params: Params,
        timeout: Timeout | None,
        *,
        ctx: Context | None = None,
    ) -> Call[T]:
        request = self._request("POST", self._object_namespace(body), ctx=ctx)
        request.params(params).body(body).timeout(timeout)
        return Call(request, partial(self._decode_response, what="create"))

    def _update(
        self,
        body: Body,
        params: Params,
        timeout: Timeout | None,
        *,
        subresource: str | None = None,
        ctx: Context | None = None,
    ) -> T:
        call = self._update_call(
            body, params, timeout, subresource=subresource, ctx=ctx
        )
        return call.run()

    def _update_call(
        self,
        body: Body,
        params: Params,
        timeout: Timeout | None,
        *,
        subresource: str | None = None,
        ctx: Context | None = None,
    ) -> Call[T]:
        name = _name_of(body, "update")
        request = self._request(
            "PUT", self._object_namespace(body), name, subresource, ctx=ctx
        )
        request.params(params).body(body).timeout(timeout)
        decode = partial(self._decode_response, what="update", subresource=subresource)
        return Call(request, decode)

    def _patch(
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
        """A patch; the answer is the resource's kind (main resource, status ...) or,
        for a subresource such as scale, the kind it serves (typed by kind)."""
        call = self._patch_call(
            name, body, patch_type, params, timeout, subresource=subresource, ctx=ctx
        )
        return call.run()

    def _patch_call(
        self,
        name: str,
        body: PatchBody,
        patch_type: str,
        params: Params,
        timeout: Timeout | None,
        *,
        subresource: str | None = None,
        ctx: Context | None = None,
    ) -> Call[T]:
        content_type = patch_content_type(patch_type)
        if content_type == patch_content_type("apply") and not params.get(
            "fieldManager"
        ):
            raise ValueError(
                "an apply patch needs field_manager (the server requires it)"
            )
        if isinstance(body, Sequence) and not isinstance(body, (bytes, str)):
            body = list(body)  # JSON patch: a list of operations
        request = self._request(
            "PATCH", self._object_namespace(), name, subresource, ctx=ctx
        )
        request.params(params).body(body, content_type).timeout(timeout)
        decode = partial(self._decode_response, what="patch", subresource=subresource)
        return Call(request, decode)

    def _apply(
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
        """Server-side apply: the object sent as application/apply-patch+yaml (JSON is YAML)."""
        call = self._apply_call(
            body,
            field_manager,
            force,
            params,
            timeout,
            subresource=subresource,
            ctx=ctx,
        )
        return call.run()

    def _apply_call(
        self,
        body: Body,
        field_manager: str,
        force: bool | None,
        params: Params,
        timeout: Timeout | None,
        *,
        subresource: str | None = None,
        ctx: Context | None = None,
    ) -> Call[T]:
        if not field_manager:
            raise ValueError(
                "apply needs field_manager: the name of who owns the applied fields"
            )
        name = _name_of(body, "apply")
        if _object_meta(body).get("managedFields"):
            raise ValueError(
                f"cannot apply {name!r}: it carries metadata.managedFields, so it "
                "was read from the server and holds every manager's fields (and the "
                "server refuses managedFields in an apply configuration); apply only "
                "what you own: kubeclient.apply.extract(obj, field_manager=...), or "
                "a new model instance with just those fields"
            )
        request = self._request(
            "PATCH", self._object_namespace(body), name, subresource, ctx=ctx
        )
        request.params({**params, "fieldManager": field_manager, "force": force})
        request.body(body, patch_content_type("apply")).timeout(timeout)
        decode = partial(self._decode_response, what="apply", subresource=subresource)
        return Call(request, decode)

    def _delete(
        self,
        name: str,
        params: Params,
        timeout: Timeout | None,
        *,
        preconditions: Body | None = None,
        ctx: Context | None = None,
    ) -> Any:
        """The deleted object (or the object still terminating), or a Status."""
        call = self._delete_call(
            name, params, timeout, preconditions=preconditions, ctx=ctx
        )
        return call.run()

    def _delete_call(
        self,
        name: str,
        params: Params,
        timeout: Timeout | None,
        *,
        preconditions: Body | None = None,
        ctx: Context | None = None,
    ) -> Call[Any]:
        request = self._request("DELETE", self._object_namespace(), name, ctx=ctx)
        request.params(params)
        if preconditions is not None:
            wire = (
                preconditions.to_dict()
                if isinstance(preconditions, Model)
                else dict(preconditions)
            )
            request.body(
                {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": wire}
            )
        request.timeout(timeout)
        kind = self._info.kind
        return Call(
            request, lambda data: self._decode_object(data, "delete", kind, "Status")
        )

    def _delete_collection(
        self, params: Params, timeout: Timeout | None, *, ctx: Context | None = None
    ) -> Any:
        return self._delete_collection_call(params, timeout, ctx=ctx).run()

    def _delete_collection_call(
        self, params: Params, timeout: Timeout | None, *, ctx: Context | None = None
    ) -> Call[Any]:
        request = self._request("DELETE", self._namespace, ctx=ctx, listing=True)
        request.params(params).timeout(timeout)
        kind = self._list_kind()
        return Call(
            request,
            lambda data: self._decode_object(data, "deletecollection", kind, "Status"),
        )

    def _watch(
        self,
        params: Params,
        timeout: Timeout | None,
        *,
        resume: bool = False,
        ctx: Context | None = None,
        known: Iterable[Mapping[str, Any]] = (),
    ) -> WatchStream[T]:
        """Watch events; with ``resume`` reconnect and relist like client-go's
        Reflector (``known``: the objects the caller already has, as wire dicts,
        so a relist reports their deletion). The stream ends at ``close()``
        (from any thread) and raises :class:`~.errors.Cancelled` when ``ctx`` is
        done."""
        watch_params = {**params, "watch": True}
        timeout = self._stream_timeout(timeout)
        if not resume:

            def events(inner: Context) -> Iterator[WatchEvent[T]]:
                request = self._request("GET", self._namespace, ctx=inner)
                request.params(watch_params).timeout(timeout)
                return iter_watch_events(request.stream(), self._decode)

            return WatchStream(events, ctx)

        version = params.get("resourceVersion")
        overall = params.get("timeoutSeconds")

        def resumed(inner: Context) -> Iterator[WatchEvent[T]]:
            def start(resource_version: str | None) -> Response:
                again = {
                    **watch_params,
                    "resourceVersion": resource_version,
                    "allowWatchBookmarks": True,
                }
                request = self._request("GET", self._namespace, ctx=inner)
                return request.params(again).timeout(timeout).stream()

            def relist() -> Page:
                selectors = {
                    k: v
                    for k, v in params.items()
                    if k in ("labelSelector", "fieldSelector", "shardSelector")
                }
                return self._relist(selectors, timeout, inner)

            return iter(
                Watcher(
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
            )

        return WatchStream(resumed, ctx)

    # -- subresources

    def _call_subresource(
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
        """Any subresource call answered with an object (Scale, Eviction, TokenRequest ...)."""
        request = self._request(
            method, self._object_namespace(body), name, subresource, ctx=ctx
        )
        request.params(params).timeout(timeout)
        if body is not None:
            request.body(body)
        data = request.do().json()
        sub = self._info.subresource(subresource)
        expected: tuple[str, ...] = ()
        if sub is not None and sub.kind is not None:
            expected = (sub.kind.kind,)
        if expected and method in ("POST", "DELETE"):
            expected = (*expected, "Status")  # eviction answers a Status
        return self._decode_object(data, subresource, *expected)

    def _text(
        self,
        name: str,
        subresource: str,
        params: Params,
        timeout: Timeout | None,
        *,
        ctx: Context | None = None,
    ) -> str:
        """A subresource answered with text (pods/log)."""
        request = self._request(
            "GET", self._object_namespace(), name, subresource, ctx=ctx
        )
        return request.params(params).accept("*/*").timeout(timeout).do().text()

    def _text_or_lines(
        self,
        name: str,
        subresource: str,
        params: Params,
        timeout: Timeout | None,
        *,
        ctx: Context | None = None,
    ) -> Any:
        """The text, or its lines as they come when the caller follows (follow=true)."""
        request = self._request(
            "GET", self._object_namespace(), name, subresource, ctx=ctx
        )
        request.params(params).accept("*/*")
        if params.get("follow"):
            return lines(request.timeout(self._stream_timeout(timeout)).stream())
        return request.timeout(timeout).do().text()

    def _stream_timeout(self, timeout: Timeout | None) -> Timeout:
        """A stream may stay quiet for long: no read timeout unless the caller sets one."""
        if timeout is not None:
            return timeout
        configured = getattr(self._rest.config, "timeout", None)
        connect = configured[0] if isinstance(configured, tuple) else 10.0
        return (connect, None)


def _item_key(item: Mapping[str, Any]) -> tuple[str, str]:
    meta = item.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def decode_by_kind(
    lookup: Callable[[str, str], type[Model] | None], data: dict[str, Any]
) -> Any:
    """The typed model for whatever kind a response carries (Status, Scale ...), or
    the dict itself for a kind this package has no model for."""
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if isinstance(api_version, str) and isinstance(kind, str):
        cls = lookup(api_version, kind)
        if cls is not None:
            return wrap(cls, data)
    return data


class TypedResourceClient(ResourceClient[T, L]):
    """Base of the generated typed clients: what a client is for is class data.

    Subclasses set ``_info_`` (the ResourceInfo), ``_model_`` and ``_list_model_``
    (model classes) and ``_lookup_`` (the package's model_class, as a staticmethod).
    """

    _info_: ClassVar[ResourceInfo]
    _model_: ClassVar[type[Model]]
    _list_model_: ClassVar[type[Model] | None] = None
    _lookup_: ClassVar[Any]  # Callable[[str, str], type[Model] | None], a staticmethod

    def __init__(self, rest: RESTClient, namespace: str | None = None) -> None:
        cls = type(self)
        lookup = cls._lookup_
        decode_any = partial(decode_by_kind, lookup)
        list_model = cls._list_model_
        super().__init__(
            rest,
            cls._info_,
            namespace,
            decode=partial(wrap, cls._model_),  # type: ignore[arg-type]
            decode_list=partial(wrap, list_model) if list_model is not None else decode_any,  # type: ignore[arg-type]
            decode_any=decode_any,
        )


def query(
    values: Mapping[str, Any], names: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """Query parameters from a generated method's arguments (``locals()``):
    ``names`` pairs each wire name with the argument that carries it. A Shard
    (``shard=``) is sent as its selector expression."""
    return {
        wire: value.selector if isinstance(value, Shard) else value
        for wire, argument in names
        for value in (values[argument],)
    }
