"""The streaming subresources of the test API server: pods/exec, pods/attach,
pods/portforward (WebSocket upgrades) and pods/proxy, services/proxy.

What runs in a pod is the pluggable :class:`~.runtime.PodRuntime`
(``ApiServer.pod_runtime``, this package: ``testing.engine.streaming``); exec without a registered handler runs the
emulated commands of :mod:`.emulation`, never a host command.

The engine calls :func:`serve_upgrade` and :func:`serve_proxy`; an upgrade
answers 101 with ``ServerResponse.upgrade`` set, and the HTTP front hands the
connection to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ....streaming import channels
from ....streaming.websocket import accept_token
from ...protocol.status import ApiError, bad_request
from ...protocol.wire import ServerResponse
from . import emulation, proxy
from .portforward import PortForwardSession
from .remotecommand import RemoteCommandSession
from .runtime import ExecFailure, Handler, PodRuntime, Process, Stdin
from .spdy_sessions import SpdyPortForward, SpdyRemoteCommand

if TYPE_CHECKING:
    from ..calls import Call

__all__ = [
    "ExecFailure",
    "Handler",
    "PodRuntime",
    "Process",
    "Stdin",
    "serve_proxy",
    "serve_upgrade",
]


def _runtime(call: Call) -> PodRuntime:
    runtime: PodRuntime = call.core.pod_runtime
    return runtime


#: what a SPDY client may ask for in X-Stream-Protocol-Version, best first
_SPDY_EXEC = (channels.V4,)
_SPDY_PORT_FORWARD = "portforward.k8s.io"
_TUNNEL = "SPDY/3.1+portforward.k8s.io"


def _require_upgrade(call: Call) -> None:
    upgrade = call.request.headers.get("upgrade", "").lower()
    if "websocket" not in upgrade and not upgrade.startswith("spdy/3.1"):
        raise bad_request("Upgrade request required")


def _is_spdy(call: Call) -> bool:
    return call.request.headers.get("upgrade", "").lower().startswith("spdy/3.1")


def _spdy_handshake(call: Call, supported: tuple[str, ...]) -> dict[str, str]:
    """The 101 headers of a SPDY/3.1 upgrade (the protocol from
    X-Stream-Protocol-Version); 403 as the apiserver when none is supported."""
    offered = call.request.headers.get("x-stream-protocol-version", "")
    protocol = channels.negotiate(offered, supported)
    if not protocol:
        raise ApiError(
            403,
            "Forbidden",
            f"unable to upgrade: no common stream protocol: client offered "
            f"[{offered}], server supports [{' '.join(supported)}]",
        )
    return {
        "connection": "Upgrade",
        "upgrade": "SPDY/3.1",
        "x-stream-protocol-version": protocol,
    }


def _handshake(call: Call, supported: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """The subprotocol and the 101 headers of a WebSocket upgrade; 400 otherwise."""
    headers = call.request.headers
    upgrade = headers.get("upgrade", "").lower()
    if "websocket" not in upgrade:
        raise bad_request("Upgrade request required")
    key = headers.get("sec-websocket-key", "")
    if not key or headers.get("sec-websocket-version", "13").strip() != "13":
        raise bad_request("unable to upgrade: not a valid WebSocket handshake")
    protocol = channels.negotiate(headers.get("sec-websocket-protocol"), supported)
    if not protocol:
        offered = headers.get("sec-websocket-protocol", "")
        raise bad_request(
            f"unable to upgrade connection: requested protocol(s) are not supported: "
            f"[{offered}]; supports [{' '.join(supported)}]"
        )
    return protocol, {
        "upgrade": "websocket",
        "connection": "Upgrade",
        "sec-websocket-accept": accept_token(key),
        "sec-websocket-protocol": protocol,
    }


def serve_upgrade(
    call: Call, container_of: Callable[[Call, dict[str, Any]], str]
) -> ServerResponse:
    """pods/exec, pods/attach, pods/portforward; ``container_of`` picks the
    container as pods/log does (the same errors)."""
    assert call.name is not None
    pod = call.core.objects.read(call.resource, call.object_namespace, call.name)
    runtime = _runtime(call)
    namespace, name = call.object_namespace, pod["metadata"]["name"]
    if call.subresource == "portforward":
        return _port_forward(call, runtime, namespace, name)
    container = container_of(call, pod)
    _require_upgrade(call)  # the apiserver's check, before the kubelet's options
    stdin, stdout, stderr = (call.flag(n) for n in ("stdin", "stdout", "stderr"))
    tty = call.flag("tty")
    if not (stdin or stdout or stderr):
        raise bad_request("you must specify at least 1 of stdin, stdout, stderr")
    command = call.request.query.get("command") or []
    handler: Handler | None
    logs: Any = None
    if call.subresource == "exec":
        if not command:
            raise bad_request("you must specify at least one command for the container")
        handler = runtime.exec_handler(namespace, name, container) or emulation.run
    else:
        command = []
        handler = runtime.attach_handler(namespace, name, container) or _attach_default
        key = (namespace, name, container, False)
        from ..logs import LogQuery

        def logs() -> Any:
            return call.core.logs.follow(key, LogQuery())

    process_args = {
        "namespace": namespace,
        "pod": name,
        "container": container,
        "command": list(command),
        "tty": tty,
        "files": runtime.files(namespace, name, container),
        "env": runtime.env(namespace, name, container),
        "logs": logs,
    }
    if _is_spdy(call):
        spdy = SpdyRemoteCommand(
            handler, process_args, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty
        )
        return ServerResponse(101, _spdy_handshake(call, _SPDY_EXEC), upgrade=spdy.run)
    protocol, headers = _handshake(call, channels.EXEC_PROTOCOLS)
    session = RemoteCommandSession(
        protocol,
        handler,
        process_args,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr and not tty,  # a terminal merges stderr into stdout
    )
    return ServerResponse(101, headers, upgrade=session.run)


def _attach_default(process: Process) -> int:
    """An attached container runs `cat`: stdin comes back on stdout; without
    stdin, its log is shown and followed until the client leaves."""
    if process.stdin is not None:
        for chunk in process.stdin:
            process.stdout.write(chunk)
        return 0
    if process.logs is not None:
        stream = process.logs()
        try:
            for chunk in stream:
                if process.gone.is_set():
                    break
                process.stdout.write(chunk)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
    return 0


def _port_forward(
    call: Call, runtime: PodRuntime, namespace: str, name: str
) -> ServerResponse:
    def target(port: int) -> tuple[str, int] | None:
        return runtime.port_target(namespace, name, port)

    _require_upgrade(call)
    if _is_spdy(call):
        headers = _spdy_handshake(call, (_SPDY_PORT_FORWARD,))
        return ServerResponse(101, headers, upgrade=SpdyPortForward(name, target).run)
    offered = call.request.headers.get("sec-websocket-protocol", "")
    if _TUNNEL in [p.strip() for p in offered.split(",")]:
        _, headers = _handshake(call, (_TUNNEL,))
        tunnel = SpdyPortForward(name, target, tunnel=True)
        return ServerResponse(101, headers, upgrade=tunnel.run)
    ports: list[int] = []
    for value in call.request.query.get("ports") or []:
        for text in value.split(","):
            try:
                port = int(text)
            except ValueError:
                raise bad_request(f'invalid port "{text}"') from None
            if not 0 < port < 65536:
                raise bad_request(f"port {port} must be 1-65535")
            ports.append(port)
    if not ports:
        raise bad_request('query parameter "port" is required')
    _, headers = _handshake(call, channels.PORT_FORWARD_PROTOCOLS)
    targets = [(port, runtime.port_target(namespace, name, port)) for port in ports]
    session = PortForwardSession(name, targets)
    return ServerResponse(101, headers, upgrade=session.run)


def serve_proxy(call: Call) -> ServerResponse:
    """pods/proxy and services/proxy, forwarded to the registered targets."""
    assert call.name is not None
    _, name, port = proxy.split_name(call.name)
    runtime = _runtime(call)
    namespace = call.object_namespace
    obj = call.core.objects.read(call.resource, namespace, name)
    if call.resource.info.plural == "pods":
        address = proxy.pod_target(runtime, obj, port)
        kind = "pod"
    elif call.resource.info.plural == "services":
        pods_key = ("", "pods")
        pods = call.core.store.objects(pods_key, namespace)
        address = proxy.service_target(runtime, obj, port, pods)
        kind = "service"
    else:
        address, kind = None, call.resource.info.singular or "object"
    if address is None:
        raise proxy.no_endpoints(kind, name)
    request = call.request
    return proxy.forward(
        request.method, address, call.rest, request.query, request.headers, request.body
    )
