"""The socket-free core: ``Core.handle(ServerRequest) -> ServerResponse``.

Routing is table-driven: fixed paths map to discovery handlers, resource paths
are parsed into a :class:`~.calls.Call` and dispatched on (collection | object |
subresource, HTTP method). Faults and authentication apply before routing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import unquote

from ...paths import parse
from ..protocol.rendering import finish_json
from ..protocol.status import (
    ApiError,
    method_not_allowed,
    no_resource,
    terminating_create,
    unauthorized,
)
from ..protocol.wire import (
    JSON,
    TEXT,
    ServerRequest,
    ServerResponse,
    error_response,
    json_response,
    parse_accept,
)
from . import discovery, handlers
from .calls import Call
from .faults import dropped
from .openapi_v2 import MEDIA_TYPE as OPENAPI_V2_MEDIA_TYPE
from .state import ServerState
from .subresources import REVIEWS, SUBRESOURCES, object_view

Route = Callable[["Core", ServerRequest, list[str]], ServerResponse]
VerbHandler = Callable[[Call], ServerResponse]

#: (verb to check, handler) by method, for collections and for single objects
_COLLECTION: dict[str, tuple[str | None, VerbHandler]] = {
    "GET": (None, handlers.list_or_watch),  # list or watch: decided inside
    "POST": ("create", handlers.create),
    "DELETE": ("deletecollection", handlers.delete_collection),
}
_OBJECT: dict[str, tuple[str, VerbHandler]] = {
    "GET": ("get", handlers.get),
    "PUT": ("update", handlers.update),
    "PATCH": ("patch", handlers.patch),
    "DELETE": ("delete", handlers.delete),
}
_SUB_VERBS = {"GET": "get", "PUT": "update", "PATCH": "patch", "POST": "create"}


class Core(ServerState):
    """A server's state and the handling of its requests."""

    # ------------------------------------------------------------------ handling

    def handle(self, request: ServerRequest) -> ServerResponse:
        self.requests.append((request.method, request.path))
        faults = self.faults.take(request) if self.faults.armed else []
        try:
            for fault in faults:
                if fault.kind == "delay":
                    time.sleep(fault.seconds)
            for fault in faults:
                if fault.kind == "error":
                    raise fault.error()
            if not self.auth.allows(request):
                raise unauthorized()
            with self.authorization.serving(request):  # impersonation, 403
                response = self._route(request)
        except ApiError as error:
            response = error_response(error)
        except Exception as error:  # a bug here must still answer like a server
            import logging  # only when it happens: logging costs ~15 ms to import

            logging.getLogger(__name__).exception("internal error")
            response = error_response(
                ApiError(500, "InternalError", f"Internal error occurred: {error}")
            )
        response = finish_json(request, response)
        for fault in faults:
            if fault.kind == "drop":
                response = dropped(response, fault)
        return response

    def _route(self, request: ServerRequest) -> ServerResponse:
        path = request.path
        fixed = _FIXED.get(path.rstrip("/") or "/")
        if fixed is not None:
            return fixed(self, request, [])
        segments = [unquote(s) if "%" in s else s for s in path.split("/") if s]
        for prefix, route in _PREFIXES:
            if segments[: len(prefix)] == list(prefix):
                return route(self, request, segments[len(prefix) :])
        return ServerResponse(404, {"content-type": TEXT}, b"404 page not found\n")

    def resource_call(
        self, request: ServerRequest, group: str, version: str, rest: list[str]
    ) -> ServerResponse:
        if not self.registry.serves(group, version):
            raise no_resource()
        where = parse(request.path, self._scope)  # the clients' own path grammar
        if where is None:  # the group-version itself: its resource list
            if request.method != "GET":
                raise method_not_allowed()
            return json_response(
                200, discovery.api_resource_list(self.registry, group, version)
            )
        resource = self.registry.get(group, version, where.resource)
        if resource is None:
            raise no_resource()
        if resource.info.namespaced and where.namespace is None and where.name:
            raise no_resource()  # an object of a namespaced resource needs one
        call = Call(
            self,
            request,
            resource,
            where.namespace,
            name=where.name,
            subresource=where.subresource or "",
            rest=where.rest,
            watch_path=where.watch_prefix,
        )
        return _dispatch(call)

    def _scope(self, group: str, version: str, plural: str) -> bool | None:
        """Whether a served resource is namespaced (None: not served)."""
        resource = self.registry.get(group, version, plural)
        return None if resource is None else resource.info.namespaced


def _dispatch(call: Call) -> ServerResponse:
    method = call.method
    info = call.resource.info
    if call.subresource:
        sub = info.subresource(call.subresource)
        if sub is None or (call.rest and not sub.streaming):
            raise no_resource()
        verb = _SUB_VERBS.get(method)
        if not sub.streaming and verb not in sub.verbs:
            raise method_not_allowed()
        return SUBRESOURCES.get(call.subresource, object_view)(call)
    if call.name is None:
        review = REVIEWS.get(call.resource.storage_key)
        if review is not None:
            return review(call)
        if method == "POST" and info.namespaced and call.namespace is None:
            raise method_not_allowed()
        if method == "POST" and call.resource.terminating:
            raise terminating_create(info)
        entry = _COLLECTION.get(method)
    elif call.watch_path:
        entry = (None, handlers.list_or_watch) if method == "GET" else None
    else:
        entry = _OBJECT.get(method)
    if entry is None:
        raise method_not_allowed()
    verb, handler = entry
    if verb is not None and verb not in info.verbs:
        raise method_not_allowed()
    return handler(call)


# --------------------------------------------------------------------------- routes


def _version(core: Core, request: ServerRequest, rest: list[str]) -> ServerResponse:
    return json_response(200, discovery.version_info(core.kubernetes_version))


def _aggregated_version(request: ServerRequest) -> str | None:
    for media in parse_accept(request.headers.get("accept")):
        if media.discovery:
            return media.discovery
        if not media.params.get("as"):
            return None
    return None


def _discovery_root(legacy: bool) -> Route:
    def handle(core: Core, request: ServerRequest, rest: list[str]) -> ServerResponse:
        version = _aggregated_version(request) if core.aggregated_discovery else None
        if version is not None:
            body = discovery.aggregated(core.registry, legacy, version)
            response = json_response(200, body)
            response.headers["content-type"] = discovery.aggregated_content_type(
                version
            )
            return response
        if legacy:
            return json_response(200, discovery.api_versions(core.server_address))
        return json_response(200, discovery.api_group_list(core.registry))

    return handle


def _health(core: Core, request: ServerRequest, rest: list[str]) -> ServerResponse:
    return ServerResponse(200, {"content-type": TEXT}, b"ok")


def _root(core: Core, request: ServerRequest, rest: list[str]) -> ServerResponse:
    paths = [
        "/api",
        "/api/v1",
        "/apis",
        "/healthz",
        "/livez",
        "/openapi/v3",
        "/readyz",
        "/version",
    ]
    for group, version in core.registry.group_versions():
        if group:
            paths += [f"/apis/{group}", f"/apis/{group}/{version}"]
    return json_response(200, {"paths": sorted(set(paths))})


def _legacy(core: Core, request: ServerRequest, rest: list[str]) -> ServerResponse:
    if not rest:
        return _discovery_root(True)(core, request, rest)
    return core.resource_call(request, "", rest[0], rest[1:])


def _groups(core: Core, request: ServerRequest, rest: list[str]) -> ServerResponse:
    if len(rest) == 1:
        versions = core.registry.versions(rest[0])
        if not versions:
            raise no_resource()
        return json_response(200, discovery.api_group(rest[0], versions))
    return core.resource_call(request, rest[0], rest[1], rest[2:])


def _openapi_v3(core: Core, request: ServerRequest, rest: list[str]) -> ServerResponse:
    if not rest:
        return json_response(200, core.openapi.index())
    found = core.openapi.document("/".join(rest))
    if found is None:
        return ServerResponse(404, {"content-type": TEXT}, b"404 page not found\n")
    data, digest = found
    headers = {"content-type": JSON, "etag": f'"{digest}"'}
    values = request.query.get("hash")
    if values and values[0] == digest:
        headers["cache-control"] = "public, immutable"
        headers["expires"] = "Thu, 01 Jan 2099 00:00:00 GMT"
    else:
        headers["cache-control"] = "no-cache, private"
    return ServerResponse(200, headers, data)


def _openapi_v2(core: Core, request: ServerRequest, rest: list[str]) -> ServerResponse:
    accept = request.headers.get("accept") or ""
    if OPENAPI_V2_MEDIA_TYPE not in accept and "protobuf" not in accept:
        return ServerResponse(
            406, {"content-type": TEXT}, b"only the gnostic protobuf form is served\n"
        )
    body = core.openapi.v2(core.kubernetes_version)
    # the real handler labels it octet-stream: Go cannot parse the "@" in MEDIA_TYPE
    return ServerResponse(200, {"content-type": "application/octet-stream"}, body)


def _health_sub(core: Core, request: ServerRequest, rest: list[str]) -> ServerResponse:
    return _health(core, request, rest)


_FIXED: dict[str, Route] = {
    "/": _root,
    "/version": _version,
    "/api": _discovery_root(True),
    "/apis": _discovery_root(False),
    "/healthz": _health,
    "/livez": _health,
    "/readyz": _health,
    "/openapi/v3": _openapi_v3,
    "/openapi/v2": _openapi_v2,
}

_PREFIXES: list[tuple[tuple[str, ...], Route]] = [
    (("api",), _legacy),
    (("apis",), _groups),
    (("openapi", "v3"), _openapi_v3),
    (("healthz",), _health_sub),
    (("livez",), _health_sub),
    (("readyz",), _health_sub),
]
