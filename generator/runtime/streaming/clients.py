"""The streaming methods of the typed clients: pods get exec, stream_exec,
attach, port_forward, copy_to_pod/copy_from_pod and the proxy verbs; services
and nodes the proxy verbs. Generated clients inherit them (one base each), so
they are written once here, on the ResourceClient's request paths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar
from urllib.parse import quote

from ..resource import TypedResourceClient
from ..rest import Result
from . import channels

if TYPE_CHECKING:
    from pathlib import Path

    from ..context import Context
    from ..request import Params, Timeout
    from .portforward import PortForward
    from .session import ExecResult, ExecSession, Sink
    from .websocket import WebSocket

__all__ = ["PodStreaming", "Proxying"]

T = TypeVar("T")
L = TypeVar("L")


class Proxying(TypedResourceClient[T, L]):
    """The proxy subresource: HTTP to the object's port, through the API server."""

    def proxy(
        self,
        method: str,
        name: str,
        path: str = "",
        *,
        port: str | int | None = None,
        scheme: str | None = None,
        params: Params | None = None,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
        ctx: Context | None = None,
    ) -> Result:
        """Send ``method path`` to ``[scheme:]name[:port]``; the whole answer
        (non-2xx raise the usual ApiError subclasses)."""
        target = name
        if port is not None:
            target = f"{target}:{port}"
        if scheme:
            target = f"{scheme}:{target}" if port is not None else f"{scheme}:{name}:"
        base = self._info.path(self._object_namespace(), target, "proxy")
        full = base + "/" + quote(path.lstrip("/"), safe="/:@!$&'()*+,;=-._~")
        data = body.encode() if isinstance(body, str) else body
        response = self._rest.pipeline.request(
            method,
            full,
            params=params,
            body=data,
            content_type=(headers or {}).get("content-type"),
            accept=(headers or {}).get("accept", "*/*"),
            headers=headers,
            timeout=timeout,
            ctx=ctx,
        )
        return Result(response)

    def proxy_get(self, name: str, path: str = "", **options: Any) -> Result:
        return self.proxy("GET", name, path, **options)

    def proxy_head(self, name: str, path: str = "", **options: Any) -> Result:
        return self.proxy("HEAD", name, path, **options)

    def proxy_post(self, name: str, path: str = "", **options: Any) -> Result:
        return self.proxy("POST", name, path, **options)

    def proxy_put(self, name: str, path: str = "", **options: Any) -> Result:
        return self.proxy("PUT", name, path, **options)

    def proxy_patch(self, name: str, path: str = "", **options: Any) -> Result:
        return self.proxy("PATCH", name, path, **options)

    def proxy_delete(self, name: str, path: str = "", **options: Any) -> Result:
        return self.proxy("DELETE", name, path, **options)

    def proxy_options(self, name: str, path: str = "", **options: Any) -> Result:
        return self.proxy("OPTIONS", name, path, **options)


class PodStreaming(Proxying[T, L]):
    """exec, attach, port-forward and cp for pods (over WebSocket)."""

    def _open(
        self,
        name: str,
        subresource: str,
        params: Params,
        protocols: Sequence[str],
        timeout: Timeout | None,
        ctx: Context | None,
    ) -> tuple[WebSocket, str]:
        from .connect import open_websocket

        path = self._info.path(self._object_namespace(), name, subresource)
        return open_websocket(
            self._rest, path, params, protocols, timeout=timeout, ctx=ctx
        )

    def _command(
        self,
        name: str,
        subresource: str,
        command: Sequence[str],
        container: str | None,
        stdin: bool,
        stdout: bool,
        stderr: bool,
        tty: bool,
        timeout: Timeout | None,
        ctx: Context | None,
    ) -> tuple[WebSocket, str]:
        if isinstance(command, str):
            raise TypeError(
                "command is a list of arguments (['sh', '-c', '...']), not a string"
            )
        params: dict[str, Any] = {
            "container": container,
            "stdin": stdin,
            "stdout": stdout,
            "stderr": stderr and not tty,
            "tty": tty,
        }
        if subresource == "exec":
            if not command:
                raise ValueError("exec needs a command")
            params["command"] = list(command)
        return self._open(
            name, subresource, params, channels.EXEC_PROTOCOLS, timeout, ctx
        )

    def exec(
        self,
        name: str,
        command: Sequence[str],
        *,
        container: str | None = None,
        stdin: bytes | BinaryIO | None = None,
        tty: bool = False,
        stdout: Sink | None = None,
        stderr: Sink | None = None,
        timeout: Timeout | None = None,
        ctx: Context | None = None,
    ) -> ExecResult:
        """Run ``command`` in the pod to its end: stdout, stderr, exit code.

        ``stdin``: bytes or a binary file sent to the command, then closed.
        ``stdout``/``stderr``: binary files to stream the output into instead of
        collecting it (bounded memory for big outputs; the result's fields are
        then empty). A non-zero exit code is a result, not an error; a command
        that cannot run (no such container ...) raises its ApiError.
        """
        from .session import run

        ws, protocol = self._command(
            name,
            "exec",
            command,
            container,
            stdin is not None,
            True,
            True,
            tty,
            timeout,
            ctx,
        )
        what = f"exec {command[0]!r} in pod {name}"
        return run(
            ws, protocol, what, stdin=stdin, stdout=stdout, stderr=stderr, ctx=ctx
        )

    def stream_exec(
        self,
        name: str,
        command: Sequence[str],
        *,
        container: str | None = None,
        stdin: bool = False,
        stdout: bool = True,
        stderr: bool = True,
        tty: bool = False,
        timeout: Timeout | None = None,
        ctx: Context | None = None,
    ) -> ExecSession:
        """An interactive exec: ``with pods.stream_exec(...) as s: s.stdin.write(...)``."""
        from .session import ExecSession

        ws, protocol = self._command(
            name, "exec", command, container, stdin, stdout, stderr, tty, timeout, ctx
        )
        return ExecSession(ws, protocol, f"exec {command[0]!r} in pod {name}", ctx)

    def attach(
        self,
        name: str,
        *,
        container: str | None = None,
        stdin: bool = False,
        stdout: bool = True,
        stderr: bool = True,
        tty: bool = False,
        timeout: Timeout | None = None,
        ctx: Context | None = None,
    ) -> ExecSession:
        """Attach to the container's running process (its stdin/stdout/stderr)."""
        from .session import ExecSession

        ws, protocol = self._command(
            name, "attach", (), container, stdin, stdout, stderr, tty, timeout, ctx
        )
        return ExecSession(ws, protocol, f"attach to pod {name}", ctx)

    def port_forward(
        self,
        name: str,
        port: int,
        *,
        local_port: int = 0,
        timeout: Timeout | None = None,
        ctx: Context | None = None,
    ) -> PortForward:
        """Listen on 127.0.0.1:``local_port`` (0: any free port, see
        ``.local_port``) and forward each connection to the pod's ``port``,
        until closed (``with``) or ``ctx`` is done. What the server reports
        (nothing listens on the port ...) is logged and kept in ``.errors``."""
        from .portforward import PortForward

        if not 0 < port < 65536:
            raise ValueError(f"port {port} must be 1-65535")

        def open_ws() -> WebSocket:
            ws, _ = self._open(
                name,
                "portforward",
                {"ports": str(port)},
                channels.PORT_FORWARD_PROTOCOLS,
                timeout,
                ctx,
            )
            return ws

        return PortForward(
            open_ws, port, local_port, what=f"pod {name} port {port}", ctx=ctx
        )

    def copy_to_pod(
        self,
        name: str,
        container: str | None,
        src: str | Path,
        dst: str,
        *,
        ctx: Context | None = None,
    ) -> None:
        """Copy a local file or directory to ``dst`` in the container (as
        ``kubectl cp``: tar over exec; the container needs ``tar``)."""
        from .copy import copy_to_pod

        copy_to_pod(self.exec, name, container, src, dst, ctx)

    def copy_from_pod(
        self,
        name: str,
        container: str | None,
        src: str,
        dst: str | Path,
        *,
        ctx: Context | None = None,
    ) -> None:
        """Copy ``src`` (file or directory) from the container to local ``dst``."""
        from .copy import copy_from_pod

        copy_from_pod(self.exec, name, container, src, dst, ctx)
