"""HTTP(S) to one API server on aiohttp's connection pool.

aiohttp is imported when the first request is sent (``import kubeclient.aio``
stays cheap; the sync client never imports it). TLS as the sync transport: the
config's CA, client certificate (or an exec plugin's), ``tls-server-name`` and
``insecure-skip-tls-verify``; the proxy of ``proxy-url`` or the environment.
Timeouts are the request's (connect, read) pair: the same Config fields.

Cancelling the task that awaits a request, or that reads a streamed body,
closes that connection at once (it is not returned to the pool).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
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
from ..response import Headers
from ..transport.http import scrub
from .response import AsyncResponse

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["AiohttpTransport"]


class AiohttpTransport:
    """Sends requests to the API server of ``config``; one per event loop."""

    def __init__(self, config: Config, *, pool_maxsize: int = 100) -> None:
        self.config = config
        self.pool_maxsize = pool_maxsize
        parts = urlsplit(config.host)
        self._server = parts.netloc or config.host
        self._base = config.host.rstrip("/")
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._aiohttp: Any = None
        self._contexts: dict[tuple[str, str] | None, ssl.SSLContext | bool] = {}
        self._timeouts: dict[Any, Any] = {}
        self._proxy: str | None = None
        # the certificate is checked for tls-server-name, not the host (SNI too)
        self._server_name = config.tls_server_name or None

    # -- the protocol

    async def send(self, request: Request) -> AsyncResponse:
        session = self._session
        if session is None or self._loop is not asyncio.get_running_loop():
            # aiohttp's pool belongs to one event loop: a new loop (a second
            # asyncio.run) gets a pool of its own; the old loop's is gone with it
            session = self._start()
        aiohttp = self._aiohttp
        # a list, not a dict: a repeated name (Impersonate-Group) keeps each line
        headers = list(request.headers)
        url = self._base + request.path
        try:
            response = await session.request(
                request.method,
                url,
                params=list(request.query) or None,
                data=request.body,
                headers=headers,
                allow_redirects=False,
                ssl=self._ssl(request.client_cert),
                timeout=self._timeout(request.timeout),
                proxy=self._proxy,
                auto_decompress=True,
                skip_auto_headers=("Content-Type",) if request.body is None else (),
                server_hostname=self._server_name,
            )
        except aiohttp.ClientError as error:
            raise self._failure(error, request) from None
        except asyncio.TimeoutError as error:
            raise self._failure(error, request) from None
        except ValueError as error:  # a header value aiohttp refuses
            raise ConnectionFailed(
                f"{request.method} {request.path}: cannot be sent: {error}"
            ) from None
        result_headers = Headers(list(response.headers.items()))
        if request.stream:
            return AsyncResponse(
                response.status,
                result_headers,
                stream=_Body(response, request, self._server),
                method=request.method,
                path=request.path,
                url=url,
            )
        try:
            body = await response.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            response.close()
            raise StreamInterrupted(
                f"{request.method} {request.path}: the connection broke while "
                f"reading the response: {self._scrub(str(error) or type(error).__name__)}"
            ) from None
        except BaseException:  # cancelled: this connection goes, at once
            response.close()
            raise
        response.release()
        return AsyncResponse(
            response.status,
            result_headers,
            body=body,
            method=request.method,
            path=request.path,
            url=url,
        )

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and self._loop is asyncio.get_running_loop():
            await session.close()

    def __repr__(self) -> str:
        return f"<AiohttpTransport {self._server}>"

    # -- set-up, once per loop

    def _start(self) -> Any:
        import aiohttp

        self._aiohttp = aiohttp
        self._loop = asyncio.get_running_loop()
        connector = aiohttp.TCPConnector(
            limit=self.pool_maxsize, ssl=self._ssl(None), ttl_dns_cache=300
        )
        self._proxy = self.config.proxy_url or _environment_proxy(self.config.host)
        # trust_env=False: aiohttp would then look up netrc and the proxy
        # environment in a thread on every request; the proxy is read once, here
        self._session = aiohttp.ClientSession(
            connector=connector,
            trust_env=False,
            auto_decompress=True,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self._session

    def _ssl(self, cert: tuple[str, str] | None) -> ssl.SSLContext | bool:
        found = self._contexts.get(cert)
        if found is not None:
            return found
        config = self.config
        if not config.host.startswith("https"):
            made: ssl.SSLContext | bool = False
        elif not config.verify:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            made = context
        else:
            try:
                context = ssl.create_default_context(cafile=config.ca_file)
                if cert is not None:
                    context.load_cert_chain(*cert)
            except (OSError, ssl.SSLError) as error:
                from ..config import ConfigError

                where = config.source or self._server
                raise ConfigError(f"{where}: TLS files: {error}") from None
            made = context
        self._contexts[cert] = made
        return made

    def _timeout(self, timeout: Any) -> Any:
        found = self._timeouts.get(timeout)
        if found is None:
            if isinstance(timeout, tuple):
                connect, read = timeout
            else:
                connect = read = timeout
            found = self._aiohttp.ClientTimeout(
                total=None, sock_connect=connect, sock_read=read
            )
            if len(self._timeouts) < 64:
                self._timeouts[timeout] = found
        return found

    def _failure(self, error: BaseException, request: Request) -> Exception:
        ctx = request.context
        if ctx is not None and ctx.done:
            failure = ctx.error()
            assert failure is not None
            return failure
        aiohttp = self._aiohttp
        cause = self._scrub(str(error) or type(error).__name__)
        if isinstance(error, aiohttp.ClientSSLError) or isinstance(
            getattr(error, "os_error", None), ssl.SSLError
        ):
            return TLSFailed(f"TLS with {self._server} failed: {cause}")
        if isinstance(
            error, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
        ):
            return CannotConnect(f"cannot connect to {self._server}: {cause}")
        what = f"{request.method} {request.path}"
        if isinstance(error, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
            return ResponseTimeout(
                f"{what}: no response from {self._server} in time: {cause}"
            )
        return ConnectionFailed(f"{what} to {self._server} failed: {cause}")

    def _scrub(self, text: str) -> str:
        return scrub(text, self.config)


def _environment_proxy(host: str) -> str | None:
    """HTTPS_PROXY / HTTP_PROXY for ``host`` unless NO_PROXY exempts it, read once
    as client-go reads the proxy environment once."""
    from urllib.request import getproxies, proxy_bypass

    parts = urlsplit(host)
    proxies = getproxies()
    proxy = proxies.get(parts.scheme or "https")
    if not proxy or (parts.hostname and proxy_bypass(parts.hostname)):
        return None
    return proxy


class _Body:
    """A streamed aiohttp body; closing it drops the connection."""

    def __init__(self, response: Any, request: Request, server: str) -> None:
        self._response = response
        self._request = request
        self._server = server

    async def chunks(self, size: int) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while True:
                chunk = await content.readany()
                if not chunk:
                    return
                yield chunk
        except asyncio.CancelledError:
            self._response.close()
            raise
        except Exception as error:
            self._response.close()
            ctx = self._request.context
            if ctx is not None and ctx.done:
                failure = ctx.error()
                assert failure is not None
                raise failure from None
            raise StreamInterrupted(
                f"{self._request.method} {self._request.path}: the connection to "
                f"{self._server} broke while reading the response: "
                f"{str(error) or type(error).__name__}"
            ) from None

    async def aclose(self) -> None:
        self._response.close()
