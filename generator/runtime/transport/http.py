"""HTTP(S) to one API server, on requests' connection pools.

Requests are sent as prepared requests straight to a long-lived ``HTTPAdapter``
(what ``Session.send`` calls, without its per-request environment, cookie and
redirect work); the proxy for the server is resolved once, when the first request
is sent, as client-go reads the proxy environment once. ``requests`` itself is
imported then too: building a ClientSet costs no HTTP stack.

A request's context (``Request.context``) cancels it in any phase: waiting for the
response head or reading a streamed body, the socket is shut down at once.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import (
    CannotConnect,
    ConnectionFailed,
    ResponseTimeout,
    StreamInterrupted,
    TLSFailed,
)
from ..request import Request
from ..response import Headers, Response

if TYPE_CHECKING:
    from ..config import Config
    from ..context import Context

__all__ = ["HTTPTransport"]

_local = threading.local()


class HTTPTransport:
    """Sends requests to the API server of ``config``; thread-safe, pooled."""

    def __init__(self, config: Config, *, pool_maxsize: int = 10) -> None:
        self.config = config
        self.pool_maxsize = pool_maxsize
        self._server = _server_of(config.host)
        self._lock = threading.Lock()
        self._adapter: Any = None
        self._proxies: dict[str, str] | None = None

    # -- the protocol

    def send(self, request: Request) -> Response:
        adapter = self._adapter or self._start()
        config = self.config
        prepared = _prepared(config.host + request.target(), request)
        hook = _CancelHook(request.context) if request.context is not None else None
        _local.hook = hook
        try:
            raw = adapter.send(
                prepared,
                stream=True,
                timeout=request.timeout,
                verify=(config.ca_file or True) if config.verify else False,
                cert=request.client_cert,
                proxies=self._proxies,
            )
        except Exception as error:
            if hook is not None:
                hook.detach()
            raise self._failure(error, request, hook) from None
        finally:
            _local.hook = None
        headers = Headers(list(raw.headers.items()))
        url = self._server + request.path
        stream = _Body(raw, request, hook, self._server)
        if request.stream:
            return Response(
                raw.status,
                headers,
                stream=stream,
                method=request.method,
                path=request.path,
                url=url,
            )
        body = b"".join(stream.chunks(1 << 20))
        stream.close()
        return Response(
            raw.status,
            headers,
            body=body,
            method=request.method,
            path=request.path,
            url=url,
        )

    def close(self) -> None:
        with self._lock:
            adapter, self._adapter = self._adapter, None
        if adapter is not None:
            adapter.close()

    def __enter__(self) -> HTTPTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HTTPTransport(server={self._server!r})"

    # -- set-up, once

    def _start(self) -> Any:
        with self._lock:
            if self._adapter is None:
                from requests.utils import get_environ_proxies

                proxy = self.config.proxy_url
                if proxy:
                    self._proxies = {"http": proxy, "https": proxy}
                else:  # HTTPS_PROXY, NO_PROXY ...: read once, as client-go does
                    self._proxies = get_environ_proxies(self.config.host) or None
                self._adapter = _adapter(self.pool_maxsize, self.config.tls_server_name)
            return self._adapter

    # -- failures

    def _failure(
        self, error: Exception, request: Request, hook: _CancelHook | None
    ) -> Exception:
        ctx = request.context
        if ctx is not None and ctx.done:
            failure: Exception | None = ctx.error()
            assert failure is not None
            return failure
        cause = self._scrub(describe(error))
        if isinstance(error, OSError) and not _is_requests_error(error):
            # requests checks the CA and client certificate files before sending
            from ..config import ConfigError

            where = self.config.source or self._server
            return ConfigError(f"{where}: TLS files: {cause}")
        if before_sending(error):
            return CannotConnect(f"cannot connect to {self._server}: {cause}")
        if _is_tls(error):
            return TLSFailed(f"TLS with {self._server} failed: {cause}")
        what = f"{request.method} {request.path}"
        if is_timeout(error):
            return ResponseTimeout(
                f"{what}: no response from {self._server} in time: {cause}"
            )
        return ConnectionFailed(f"{what} to {self._server} failed: {cause}")

    def _scrub(self, text: str) -> str:
        """Blank out passwords we know of, should a library quote a URL."""
        return scrub(text, self.config)


def _adapter(pool_maxsize: int, server_name: str | None) -> Any:
    """requests' HTTPAdapter, with ``tls-server-name`` (SNI and the hostname check)
    and cancellable connections; its responses stay urllib3's own (no cookie jar)."""
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class Connection(_Cancellable, HTTPConnection):
        pass

    class TLSConnection(_Cancellable, HTTPSConnection):
        pass

    class Pool(HTTPConnectionPool):
        ConnectionCls = Connection

    class TLSPool(HTTPSConnectionPool):
        ConnectionCls = TLSConnection

    pools = {"http": Pool, "https": TLSPool}
    tls = {"server_hostname": server_name, "assert_hostname": server_name}

    class Adapter(HTTPAdapter):
        def init_poolmanager(
            self, connections: int, maxsize: int, block: bool = False, **kwargs: Any
        ) -> None:
            extra = tls if server_name else {}
            super().init_poolmanager(connections, maxsize, block, **extra, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(
                proxy, **(tls if server_name else {}), **kwargs
            )
            if not proxy.lower().startswith("socks"):
                manager.pool_classes_by_scheme = pools
            return manager

        def build_response(self, req: Any, resp: Any) -> Any:
            return resp  # the urllib3 response: status, headers, the body stream

    return Adapter(pool_maxsize=pool_maxsize, pool_connections=1)


class _Cancellable:
    """A urllib3 connection that tells the request's context which socket to shut
    down: every request on it (new or reused) registers, from its own thread."""

    sock: socket.socket | None

    def request(self, *args: Any, **kwargs: Any) -> None:
        hook: _CancelHook | None = getattr(_local, "hook", None)
        if hook is not None:
            hook.attach(self)
        super().request(*args, **kwargs)  # type: ignore[misc]
        if hook is not None and hook.fired:
            hook.fire()  # cancelled while connecting, before there was a socket


class _CancelHook:
    """Shuts the connection of one request down when its context is done."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._connection: _Cancellable | None = None
        self._unregister: Any = None
        self.fired = False

    def attach(self, connection: _Cancellable) -> None:
        with self._lock:
            self._connection = connection
        if self._unregister is None:
            self._unregister = self.ctx.on_cancel(self.fire)

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            connection = self._connection
        sock = connection.sock if connection is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    def detach(self) -> None:
        if self._unregister is not None:
            self._unregister()
        with self._lock:
            self._connection = None


class _Body:
    """The body of a urllib3 response as a ByteStream."""

    def __init__(
        self, raw: Any, request: Request, hook: _CancelHook | None, server: str
    ) -> None:
        self._raw = raw
        self._request = request
        self._hook = hook
        self._server = server
        self._closed = False

    def chunks(self, size: int) -> Iterator[bytes]:
        try:
            for chunk in self._read(size):
                if chunk:
                    yield chunk
        except Exception as error:  # urllib3, http.client and socket errors alike
            if isinstance(error, (GeneratorExit, KeyboardInterrupt)):
                raise
            raise self._interrupted(error) from None

    def _read(self, size: int) -> Iterator[bytes]:
        raw = self._raw
        if raw.chunked and raw.supports_chunked_reads():
            # The API server streams watches and logs chunked: one yield per chunk.
            yield from raw.read_chunked(size, decode_content=True)
            return
        # Otherwise read1 returns what one read gets; read() would wait for `size`.
        read = getattr(raw, "read1", None) or raw.read
        while True:
            data = read(size, decode_content=True)
            if not data:
                return
            yield data

    def _interrupted(self, error: BaseException) -> Exception:
        ctx = self._request.context
        if ctx is not None and ctx.done:
            failure = ctx.error()
            assert failure is not None
            return failure
        kind = ResponseTimeout if is_timeout(error) else StreamInterrupted
        return kind(
            f"{self._request.method} {self._request.path}: connection to "
            f"{self._server} broke while reading the response: {describe(error)}"
        )

    def abort(self) -> None:
        shutdown = getattr(self._raw, "shutdown", None)  # urllib3 >= 2.3
        if shutdown is not None:
            try:
                shutdown()
            except (ValueError, RuntimeError, OSError):
                pass  # already finished or released: nothing is blocked on it
        elif self._hook is not None:
            self._hook.fire()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        raw = self._raw
        try:
            if not raw.isclosed() and raw.length_remaining not in (None, 0):
                raw.close()  # not read to its end: the connection cannot be reused
            raw.release_conn()
        except Exception:
            pass
        if self._hook is not None:
            self._hook.detach()


def _prepared(url: str, request: Request) -> Any:
    from requests.models import PreparedRequest
    from requests.structures import CaseInsensitiveDict

    prepared = PreparedRequest()
    prepared.method = request.method
    prepared.url = url
    headers = CaseInsensitiveDict(dict(request.headers))
    if request.body is not None:
        headers["Content-Length"] = str(len(request.body))
    prepared.headers = headers
    prepared.body = request.body
    prepared.hooks = {"response": []}
    return prepared


# --- describing failures -----------------------------------------------------------


def _server_of(host: str) -> str:
    """``https://host:port`` of a server URL: no user info, no path."""
    try:
        parts = urlsplit(host)
    except ValueError:
        return host.split("?", 1)[0]
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}"


def scrub(text: str, config: Config) -> str:
    """Blank out passwords we know of, should a library quote a URL."""
    secrets = [config.password]
    for url in (config.proxy_url, config.host):
        try:
            secrets.append(urlsplit(url or "").password)
        except ValueError:
            pass
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it wraps (requests -> MaxRetryError -> urllib3 -> OSError)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        first = current.args[0] if current.args else None
        if isinstance(reason, BaseException):
            current = reason
        elif isinstance(first, BaseException):
            current = first
        else:
            current = current.__cause__ or current.__context__


def before_sending(error: BaseException) -> bool:
    """True when the connection was never established: nothing was sent."""
    from urllib3.exceptions import ConnectTimeoutError

    # NewConnectionError (refused, DNS) is a ConnectTimeoutError in urllib3.
    return any(isinstance(cause, ConnectTimeoutError) for cause in _causes(error))


def is_timeout(error: BaseException) -> bool:
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    timeouts: tuple[type[BaseException], ...] = (TimeoutError, Urllib3Timeout)
    return any(isinstance(cause, timeouts) for cause in _causes(error))


def _is_tls(error: BaseException) -> bool:
    import ssl

    from urllib3.exceptions import SSLError

    return any(isinstance(c, (ssl.SSLError, SSLError)) for c in _causes(error))


def _is_requests_error(error: BaseException) -> bool:
    from requests import RequestException

    return isinstance(error, RequestException)


_OBJECT_REPR = re.compile(r"<[^<>]* object at 0x[0-9a-fA-F]+>:?\s*")


def describe(error: BaseException) -> str:
    """The innermost cause, as a short sentence."""
    *_, root = _causes(error)
    text = _OBJECT_REPR.sub("", str(root)).strip(" ,:()'\"")
    return text[:300] if text else type(root).__name__
