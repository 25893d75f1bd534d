"""HTTP(S) to one API server, on requests' connection pools.

A long-lived requests ``HTTPAdapter`` sets up TLS (CA, client certificates,
``tls-server-name``), proxies (HTTP, HTTPS, SOCKS, proxy credentials) and the
urllib3 connection pool, once per client certificate; each request then goes
straight to that pool, without the per-request environment, cookie, redirect and
URL work of ``Session.send`` and ``HTTPAdapter.send`` (more than the whole rest of
a typed GET). The proxy for the server is resolved once, when the first request
is sent, as client-go reads the proxy environment once; ``requests`` itself is
imported then too, so building a ClientSet costs no HTTP stack.

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
        self._no_retries: Any = None
        self._pools: dict[tuple[str, str] | None, tuple[Any, str]] = {}
        self._timeouts: dict[Any, Any] = {}

    # -- the protocol

    def send(self, request: Request) -> Response:
        pool, url = self._pool(request.client_cert)
        headers = _header_map(request.headers)
        if request.body is not None:
            headers["content-length"] = str(len(request.body))
        hook = _CancelHook(request.context) if request.context is not None else None
        _local.hook = hook
        try:
            raw = pool.urlopen(
                request.method,
                url + request.target(),
                body=request.body,
                headers=headers,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=self._no_retries,
                timeout=self._timeout(request.timeout),
            )
        except Exception as error:
            if hook is not None:
                hook.detach()
            raise self._failure(error, request) from None
        finally:
            _local.hook = None
        stream: _Body | None = _Body(raw, request, hook, self._server)
        body = None
        if not request.stream and stream is not None:  # read at once
            try:
                body = stream.read_all()
            finally:
                stream.close()  # also when the body broke: the hook goes
            stream = None
        return Response(
            raw.status,
            Headers.view(raw.headers),  # case-insensitive already
            body=body,
            stream=stream,
            method=request.method,
            path=request.path,
            url=self._server + request.path,
        )

    def close(self) -> None:
        with self._lock:
            adapter, self._adapter = self._adapter, None
            self._pools.clear()
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
                from urllib3.util import Retry

                proxy = self.config.proxy_url
                if proxy:
                    self._proxies = {"http": proxy, "https": proxy}
                else:  # HTTPS_PROXY, NO_PROXY ...: read once, as client-go does
                    self._proxies = get_environ_proxies(self.config.host) or None
                # retrying is the pipeline's business, never urllib3's
                self._no_retries = Retry(0, read=False, redirect=False)
                self._adapter = _adapter(self.pool_maxsize, self.config.tls_server_name)
            return self._adapter

    def _pool(self, cert: tuple[str, str] | None) -> tuple[Any, str]:
        """The connection pool for a client certificate (None: without), and what
        goes before the path on the request line ("" or, through an HTTP proxy,
        the scheme and host)."""
        found = self._pools.get(cert)
        if found is not None and found[0].pool is not None:  # not closed
            return found
        adapter = self._adapter or self._start()
        from requests.models import PreparedRequest

        config = self.config
        base = PreparedRequest()
        base.prepare_url(config.host + "/", None)
        verify: bool | str = (config.ca_file or True) if config.verify else False
        pool = adapter.get_connection_with_tls_context(
            base, verify, proxies=self._proxies, cert=cert
        )
        try:
            adapter.cert_verify(pool, base.url, verify, cert)
        except OSError as error:  # requests checks the CA and certificate files
            from ..config import ConfigError

            where = config.source or self._server
            raise ConfigError(f"{where}: TLS files: {describe(error)}") from None
        path_url = base.path_url.rstrip("/")
        absolute = adapter.request_url(base, self._proxies).rstrip("/")
        found = (pool, absolute if absolute != path_url else path_url)
        self._pools[cert] = found
        return found

    def _timeout(self, timeout: Any) -> Any:
        """The urllib3 Timeout of a (connect, read) pair or seconds, made once."""
        found = self._timeouts.get(timeout)
        if found is None:
            from urllib3.util import Timeout

            if isinstance(timeout, tuple):
                found = Timeout(connect=timeout[0], read=timeout[1])
            else:
                found = Timeout(connect=timeout, read=timeout)
            if len(self._timeouts) < 64:  # a context's deadlines vary: don't grow
                self._timeouts[timeout] = found
        return found

    # -- failures

    def _failure(self, error: Exception, request: Request) -> Exception:
        ctx = request.context
        if ctx is not None and ctx.done:
            failure: Exception | None = ctx.error()
            assert failure is not None
            return failure
        cause = self._scrub(describe(error))
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
        self._complete = False  # read to its end: the connection can be reused

    def chunks(self, size: int) -> Iterator[bytes]:
        try:
            for chunk in self._read(size):
                if chunk:
                    yield chunk
            self._complete = True
        except Exception as error:  # urllib3, http.client and socket errors alike
            if isinstance(error, (GeneratorExit, KeyboardInterrupt)):
                raise
            raise self._interrupted(error) from None

    def read_all(self) -> bytes:
        """The whole body at once (one read for a Content-Length body)."""
        try:
            data: bytes = self._raw.read(decode_content=True)
        except Exception as error:  # urllib3, http.client and socket errors alike
            raise self._interrupted(error) from None
        self._complete = True
        return data

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
            if not self._complete:
                raw.close()  # not read to its end: the connection cannot be reused
            raw.release_conn()
        except Exception:
            pass
        if self._hook is not None:
            self._hook.detach()


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


_OBJECT_REPR = re.compile(r"<[^<>]* object at 0x[0-9a-fA-F]+>:?\s*")


def describe(error: BaseException) -> str:
    """The innermost cause, as a short sentence."""
    *_, root = _causes(error)
    text = _OBJECT_REPR.sub("", str(root)).strip(" ,:()'\"")
    return text[:300] if text else type(root).__name__


def _header_map(pairs: tuple[tuple[str, str], ...]) -> Any:
    """The headers for urllib3: a plain dict, or an HTTPHeaderDict when a name
    repeats (Impersonate-Group), so that each value goes on its own line."""
    names = [name for name, _ in pairs]
    if len(set(names)) == len(names):
        return dict(pairs)
    from urllib3 import HTTPHeaderDict

    repeated = HTTPHeaderDict()
    for name, value in pairs:
        repeated.add(name, value)
    return repeated
