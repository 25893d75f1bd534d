"""The streaming methods of the async typed clients (the sync
:mod:`...streaming.clients`' counterparts): pods get exec, stream_exec, attach,
port_forward, copy_to_pod/copy_from_pod and the proxy verbs; services and
nodes the proxy verbs. Generated async clients inherit them (one base each).

``exec``, the copies and the proxy verbs are coroutines; ``stream_exec``,
``attach`` and ``port_forward`` return sessions used with ``async with``
(which connects).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from ...rest import Result
from ...streaming import channels
from ..pipeline import within
from ..resource import AsyncTypedResourceClient

if TYPE_CHECKING:
    from pathlib import Path

    from ...context import Context
    from ...request import Params, Timeout
    from ...streaming.session import ExecResult
    from .portforward import AsyncPortForward
    from .session import AsyncExecSession, AsyncSink
    from .websocket import AsyncWebSocket

__all__ = ["AsyncPodStreaming", "AsyncProxying"]

T = TypeVar("T")
L = TypeVar("L")


class AsyncProxying(AsyncTypedResourceClient[T, L]):
    """The proxy subresource: HTTP to the object's port, through the API server."""

    async def proxy(
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
        response = await self._rest.pipeline.request(
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
        return Result(await response.read())

    async def proxy_get(self, name: str, path: str = "", **options: Any) -> Result:
        return await self.proxy("GET", name, path, **options)

    async def proxy_head(self, name: str, path: str = "", **options: Any) -> Result:
        return await self.proxy("HEAD", name, path, **options)

    async def proxy_post(self, name: str, path: str = "", **options: Any) -> Result:
        return await self.proxy("POST", name, path, **options)

    async def proxy_put(self, name: str, path: str = "", **options: Any) -> Result:
        return await self.proxy("PUT", name, path, **options)

    async def proxy_patch(self, name: str, path: str = "", **options: Any) -> Result:
        return await self.proxy("PATCH", name, path, **options)

    async def proxy_delete(self, name: str, path: str = "", **options: Any) -> Result:
        return await self.proxy("DELETE", name, path, **options)

    async def proxy_options(self, name: str, path: str = "", **options: Any) -> Result:
        return await self.proxy("OPTIONS", name, path, **options)


class AsyncPodStreaming(AsyncProxying[T, L]):
    """exec, attach, port-forward and cp for pods (over WebSocket)."""

    async def _open_websocket(
        self,
        name: str,
        subresource: str,
        params: Params,
        protocols: Sequence[str],
        timeout: Timeout | None,
        ctx: Context | None,
    ) -> tuple[AsyncWebSocket, str]:
        from .connect import open_websocket

        path = self._info.path(self._object_namespace(), name, subresource)
        opening = open_websocket(
            self._rest, path, params, protocols, timeout=timeout, ctx=ctx
        )
        return await within(ctx, opening)

    def _params(
        self,
        subresource: str,
        command: Sequence[str],
        container: str | None,
        stdin: bool,
        stdout: bool,
        stderr: bool,
        tty: bool,
    ) -> dict[str, Any]:
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
        return params

    async def exec(
        self,
        name: str,
        command: Sequence[str],
        *,
        container: str | None = None,
        stdin: Any = None,
        tty: bool = False,
        stdout: AsyncSink | None = None,
        stderr: AsyncSink | None = None,
        timeout: Timeout | None = None,
        ctx: Context | None = None,
    ) -> ExecResult:
        """Run ``command`` in the pod to its end: stdout, stderr, exit code.

        ``stdin``: bytes, a binary file or an async iterable of bytes, sent then
        closed. ``stdout``/``stderr``: sinks to stream the output into (bounded
        memory; the result's fields are then empty). A non-zero exit code is a
        result; a command that cannot run raises its ApiError.
        """
        from .session import run

        params = self._params(
            "exec", command, container, stdin is not None, True, True, tty
        )
        ws, protocol = await self._open_websocket(
            name, "exec", params, channels.EXEC_PROTOCOLS, timeout, ctx
        )
        what = f"exec {command[0]!r} in pod {name}"
        return await run(
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
    ) -> AsyncExecSession:
        """An interactive exec: ``async with pods.stream_exec(...) as s:``."""
        from .session import AsyncExecSession

        params = self._params("exec", command, container, stdin, stdout, stderr, tty)

        async def opener() -> tuple[AsyncWebSocket, str]:
            return await self._open_websocket(
                name, "exec", params, channels.EXEC_PROTOCOLS, timeout, ctx
            )

        return AsyncExecSession(opener, f"exec {command[0]!r} in pod {name}", ctx)

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
    ) -> AsyncExecSession:
        """Attach to the container's running process: ``async with``."""
        from .session import AsyncExecSession

        params = self._params("attach", (), container, stdin, stdout, stderr, tty)

        async def opener() -> tuple[AsyncWebSocket, str]:
            return await self._open_websocket(
                name, "attach", params, channels.EXEC_PROTOCOLS, timeout, ctx
            )

        return AsyncExecSession(opener, f"attach to pod {name}", ctx)

    def port_forward(
        self,
        name: str,
        port: int,
        *,
        local_port: int = 0,
        timeout: Timeout | None = None,
        ctx: Context | None = None,
    ) -> AsyncPortForward:
        """``async with pods.port_forward(name, port) as fwd``: listens on
        127.0.0.1:``local_port`` (0: any, see ``fwd.local_port``) and forwards
        each connection to the pod's ``port``. What the server reports (nothing
        listens on the port ...) is logged and kept in ``fwd.errors``."""
        from .portforward import AsyncPortForward

        if not 0 < port < 65536:
            raise ValueError(f"port {port} must be 1-65535")

        async def open_ws() -> AsyncWebSocket:
            ws, _ = await self._open_websocket(
                name,
                "portforward",
                {"ports": str(port)},
                channels.PORT_FORWARD_PROTOCOLS,
                timeout,
                ctx,
            )
            return ws

        return AsyncPortForward(
            open_ws, port, local_port, what=f"pod {name} port {port}", ctx=ctx
        )

    async def copy_to_pod(
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

        await copy_to_pod(self.exec, name, container, src, dst, ctx)

    async def copy_from_pod(
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

        await copy_from_pod(self.exec, name, container, src, dst, ctx)
