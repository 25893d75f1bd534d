"""A fake ClientSet for app tests: the real ClientSet interface, running in-process on
the test API server's storage engine (no HTTP), recording what was done.

client-go's ``fake.NewSimpleClientset``, but with the API server's semantics
(validation, resourceVersion conflicts, selectors, watch, patches, server-side
apply, subresources, Status errors)::

    from kubeclient.testing import fake_clientset

    cs = fake_clientset(objects=[pod, deployment])
    my_app.reconcile(cs)                      # code written against ClientSet
    assert [a.verb for a in cs.actions] == ["get", "update"]
    assert cs.actions[-1].resource == "deployments"

The typed clients, the dynamic client and this fake share every request path: only
the transport differs (``FakeTransport`` hands requests to the core).
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .._model import Model, loads
from ..clientset import ClientSet
from ..errors import error_from_response
from ..transport import encode_params
from .engine.core import Core
from .protocol.wire import ServerRequest, ServerResponse

_PATH = re.compile(
    r"^/(?:api/(?P<core>[^/]+)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<namespace>[^/]+))?/(?P<resource>[^/]+)"
    r"(?:/(?P<name>[^/]+))?(?:/(?P<subresource>[^/]+))?"
)
_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


@dataclass(frozen=True)
class Action:
    """One request the code under test made (client-go's testing.Action)."""

    verb: str  # get, list, watch, create, update, patch, delete, deletecollection
    resource: str  # plural, e.g. "pods"
    namespace: str | None
    name: str | None = None
    subresource: str | None = None
    group: str = ""
    version: str = ""
    body: Any = None  # the decoded request body, if any
    params: Mapping[str, Any] = field(default_factory=dict)

    def matches(self, verb: str, resource: str) -> bool:
        return self.verb == verb and self.resource == resource


def _action(
    method: str, path: str, params: Mapping[str, Any], body: bytes | None
) -> Action | None:
    match = _PATH.match(path)
    if match is None:
        return None  # discovery, /version ...
    part = {k: unquote(v) if v else None for k, v in match.groupdict().items()}
    name, subresource = part["name"], part["subresource"]
    if method == "GET":
        verb = "get" if name else ("watch" if params.get("watch") else "list")
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        verb = _VERBS.get(method, method.lower())
    decoded = None
    if body:
        try:
            decoded = loads(body)
        except ValueError:
            decoded = body
    return Action(
        verb=verb,
        resource=part["resource"] or "",
        namespace=part["namespace"],
        name=name,
        subresource=subresource,
        group=part["group"] or "",
        version=part["core"] or part["version"] or "",
        body=decoded,
        params={k: v for k, v in params.items() if v is not None},
    )


class FakeResponse:
    """The runtime ``Response`` surface over a ServerResponse."""

    def __init__(self, response: ServerResponse, url: str) -> None:
        self.status = response.status
        self.headers = response.headers
        self.url = url
        self._body = response.body
        self._stream = response.stream

    def content(self) -> bytes:
        if self._stream is not None:
            self._body += b"".join(self.iter_chunks())
        return self._body

    def json(self) -> Any:
        return loads(self.content())

    def iter_chunks(self, size: int = 65536) -> Iterator[bytes]:
        if self._body:
            yield self._body
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            for chunk in stream:
                if chunk:  # b"" is a heartbeat
                    yield chunk
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def iter_lines(self) -> Iterator[bytes]:
        from ..watch import split_lines

        return split_lines(self.iter_chunks())

    def close(self) -> None:
        stream, self._stream = self._stream, None
        close = getattr(stream, "close", None)
        if close is not None:
            close()


class FakeTransport:
    """A Transport that hands every request to the core, in-process."""

    def __init__(
        self,
        core: Core,
        user: str = "admin",
        groups: tuple[str, ...] = ("system:masters",),
    ) -> None:
        self.core = core
        self.user = user
        self.groups = groups
        self.config = None
        self.actions: list[Action] = []
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        timeout: Any = None,
    ) -> FakeResponse:
        params = params or {}
        query: dict[str, list[str]] = {}
        for key, value in encode_params(params):
            query.setdefault(key, []).append(value)
        sent = {k.lower(): v for k, v in (headers or {}).items()}
        sent["accept"] = accept
        if content_type is not None:
            sent["content-type"] = content_type
        action = _action(method, path, params, body)
        if action is not None:
            with self._lock:
                self.actions.append(action)
        request = ServerRequest(
            method, path, query, sent, body or b"", self.user, self.groups
        )
        response = FakeResponse(self.core.handle(request), f"fake://{path}")
        if response.status >= 300:
            data = response.content()
            raise error_from_response(
                response.status, data, response.headers, method, response.url
            )
        return response

    def close(self) -> None:
        pass


class FakeClientSet(ClientSet):
    """A ClientSet on an in-process API server, recording what was requested.

    Besides the ClientSet interface (every typed client, ``rest_client``,
    ``discovery``): ``actions`` (the requests made, in order), ``clear_actions()``,
    and ``core`` (the server engine: stored objects, fault injection, pod logs).
    """

    def __init__(self, core: Core, namespace: str = "default") -> None:
        self.transport = FakeTransport(core)
        super().__init__(transport=self.transport)  # type: ignore[arg-type]
        self.namespace = namespace
        self.core = core

    @property
    def actions(self) -> list[Action]:
        return self.transport.actions

    def clear_actions(self) -> None:
        self.transport.actions.clear()


def fake_clientset(
    objects: Iterable[Model | Mapping[str, Any]] = (), *, namespace: str = "default"
) -> FakeClientSet:
    """A FakeClientSet whose server already holds ``objects`` (through create:
    validated, with uid and resourceVersion; their status kept)."""
    core = Core(kubernetes_version=_kubernetes_version())
    for obj in objects:
        core.seed(obj if isinstance(obj, Model) else dict(obj))
    return FakeClientSet(core, namespace)


def _kubernetes_version() -> str:
    package = importlib.import_module(__name__.rsplit(".", 2)[0])
    return str(getattr(package, "KUBERNETES_VERSION", "v0.0.0"))
