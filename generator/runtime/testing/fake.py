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

The typed clients, the dynamic client and this fake share every request path, the
pipeline's retries, credentials and error mapping included: only the transport
differs (``FakeTransport`` hands requests to the core), so a ``faults.error(429)``
is retried here exactly as over HTTP.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._model import Model, loads
from ..clientset import ClientSet
from ..errors import StreamInterrupted
from ..paths import parse
from ..request import Request
from ..response import Headers, Response
from .engine.core import Core
from .protocol.wire import ConnectionDropped, ServerRequest, ServerResponse
from .upgrades import InProcessUpgrades, Upgraded

if TYPE_CHECKING:
    from .simulation import Simulation

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


def _action(core: Core, request: Request) -> Action | None:
    def scope(group: str, version: str, plural: str) -> bool | None:
        resource = core.registry.get(group, version, plural)
        return None if resource is None else resource.info.namespaced

    where = parse(request.path, scope)
    if where is None:
        return None  # discovery, /version ...
    params: dict[str, Any] = {}
    for key, value in request.query:
        params[key] = value if key not in params else [*_listed(params[key]), value]
    method, name = request.method, where.name
    if method == "GET":
        watching = where.watch_prefix or params.get("watch") in ("true", "1")
        verb = (
            "get"
            if name and not where.watch_prefix
            else ("watch" if watching else "list")
        )
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        verb = _VERBS.get(method, method.lower())
    decoded = None
    if request.body:
        try:
            decoded = loads(request.body)
        except (ValueError, RecursionError):
            decoded = request.body
    return Action(
        verb=verb,
        resource=where.resource,
        namespace=where.namespace,
        name=name,
        subresource=where.subresource,
        group=where.group,
        version=where.version,
        body=decoded,
        params=params,
    )


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class _ServerStream:
    """A streamed ServerResponse (watch, follow=true logs) as a ByteStream; an
    abort or a done context ends it at the next heartbeat (at most 0.5 s)."""

    def __init__(self, stream: Iterator[bytes], request: Request) -> None:
        self._stream = stream
        self._request = request
        self._aborted = threading.Event()

    def chunks(self, size: int) -> Iterator[bytes]:
        ctx = self._request.context
        what = f"{self._request.method} {self._request.path}"
        try:
            for chunk in self._stream:
                if ctx is not None and ctx.done:
                    ctx.check()
                if self._aborted.is_set():
                    raise StreamInterrupted(f"{what}: stream aborted")
                if chunk:  # b"" is a heartbeat
                    yield chunk
        except ConnectionDropped:  # a fault cut it: what HTTP shows as a break
            raise StreamInterrupted(
                f"{what}: the connection broke while reading the response"
            ) from None

    def abort(self) -> None:
        self._aborted.set()

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
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
        #: exec, attach, port-forward: the engine's handlers over a socket pair
        self.upgrades = InProcessUpgrades(core, user, groups)

    def send(self, request: Request) -> Response:
        if request.context is not None:
            request.context.check()
        query: dict[str, list[str]] = {}
        for key, value in request.query:
            query.setdefault(key, []).append(value)
        action = _action(self.core, request)
        if action is not None:
            with self._lock:
                self.actions.append(action)
        served = self.core.handle(
            ServerRequest(
                request.method,
                request.path,
                query,
                _joined_headers(request.headers),
                request.body or b"",
                self.user,
                self.groups,
            )
        )
        return _response(served, request)

    def upgrade(self, request: Request, headers: dict[str, str]) -> Upgraded:
        """An upgrade request (exec ...), in-process (:mod:`.upgrades`)."""
        if request.context is not None:
            request.context.check()
        action = _action(self.core, request)
        if action is not None:
            with self._lock:
                self.actions.append(action)
        return self.upgrades.upgrade(request, headers)

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return "<FakeTransport (in-process test API server)>"


def _response(served: ServerResponse, request: Request) -> Response:
    headers = Headers(served.headers)
    method, path, url = request.method, request.path, f"fake://{request.path}"
    body: bytes | None = served.body
    stream: _ServerStream | None = None
    if served.stream is not None:
        stream = _ServerStream(_prefixed(served.body, served.stream), request)
        if request.stream:
            body = None
        else:  # read at once, as the HTTP transport does
            body = b"".join(stream.chunks(1 << 20))
            stream.close()
            stream = None
    return Response(
        served.status,
        headers,
        body=body,
        stream=stream,
        method=method,
        path=path,
        url=url,
    )


def _prefixed(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    try:
        if first:
            yield first
        yield from rest
    finally:
        close = getattr(rest, "close", None)
        if close is not None:
            close()


class FakeClientSet(ClientSet):
    """A ClientSet on an in-process API server, recording what was requested.

    Besides the ClientSet interface (every typed client, ``rest_client``,
    ``discovery``): ``actions`` (the requests made, in order), ``clear_actions()``,
    and ``core`` (the server engine: stored objects, fault injection, pod logs).
    """

    def __init__(self, core: Core, namespace: str = "default") -> None:
        self.transport = FakeTransport(core)
        super().__init__(transport=self.transport)
        self.namespace = namespace
        self.core = core
        #: the simulated cluster, with ``fake_clientset(simulate=True)``
        self.simulation: Simulation | None = None

    @property
    def actions(self) -> list[Action]:
        return self.transport.actions

    def clear_actions(self) -> None:
        self.transport.actions.clear()

    def close(self) -> None:
        if self.simulation is not None:  # its simulated cluster ends with it
            self.simulation.stop()
        super().close()


def fake_clientset(
    objects: Iterable[Model | Mapping[str, Any]] = (),
    *,
    namespace: str = "default",
    simulate: bool = False,
    nodes: int = 3,
    time_scale: float = 1.0,
) -> FakeClientSet:
    """A FakeClientSet whose server already holds ``objects`` (through create:
    validated, with uid and resourceVersion; their status kept).
    ``simulate=True``: with a simulated cluster (as ``ApiServer(simulate=True)``;
    ``cs.simulation``; ``cs.close()`` stops it). What the simulated controllers
    write is not in ``actions``: they write on the engine, not through the fake."""
    core = Core(kubernetes_version=_kubernetes_version())
    for obj in objects:
        core.seed(obj if isinstance(obj, Model) else dict(obj))
    clientset = FakeClientSet(core, namespace)
    if simulate:
        from .simulation import Simulation, SimulationOptions

        clientset.simulation = Simulation(
            core, SimulationOptions(nodes=nodes, time_scale=time_scale)
        )
    return clientset


def _kubernetes_version() -> str:
    package = importlib.import_module(__name__.rsplit(".", 2)[0])
    return str(getattr(package, "KUBERNETES_VERSION", "v0.0.0"))


def _joined_headers(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Repeated headers joined with ", ", as the HTTP front reads them."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers
