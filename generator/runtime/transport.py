"""HTTP transport to one API server: client-go's ``rest.Request`` plumbing, in small.

A :class:`Transport` turns ``request("GET", "/api/v1/pods", params=...)`` into an
HTTPS request with the credentials, TLS settings, proxy and timeouts of a
:class:`~.config.Config`, retries what is safe to retry, and raises the
:mod:`.errors` class of a failed response. :class:`Response` hides ``requests``
from the rest of the runtime.

What is retried (exponential backoff with full jitter, or the server's
``Retry-After``, at most ``max_retries`` times):

* 429 Too Many Requests, any method: API Priority and Fairness rejected the request
  before doing anything;
* 500, 502, 503, 504 on GET, HEAD and OPTIONS only: a write may have happened;
* connection failures before a byte was sent (refused, DNS, connect timeout), any
  method; a connection reset before the response, on GET, HEAD and OPTIONS only.

A 401 is retried once, without waiting, when the authenticator says it has new
credentials (a rotated token file, a re-run exec plugin).
"""

from __future__ import annotations

import logging
import os
import random
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from ._model import loads
from .config import Config
from .errors import (
    ConnectionFailed,
    ResponseDecodeError,
    ResponseTimeout,
    ServerWarning,
    StreamInterrupted,
    error_from_response,
    parse_retry_after,
)
from .watch import split_lines

__all__ = ["Params", "Response", "Transport", "encode_params", "parse_warnings"]

_log = logging.getLogger(__package__ or "kubeclient")

#: Query parameter values: None is dropped, a sequence repeats the key.
Params = Mapping[str, "str | int | bool | Sequence[str] | None"]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# 501 and 505 say the server will never do it: retrying cannot help.
_RETRIABLE_5XX = frozenset({500, 502, 503, 504})
_MAX_RETRY_AFTER = 60.0
_MAX_ERROR_BODY = 1 << 20
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class Response:
    """An HTTP response; for ``stream=True`` requests the body is read on demand.

    Use as a context manager (or call :meth:`close`) when streaming, so the
    connection is released.
    """

    def __init__(
        self, raw: requests.Response, method: str, path: str, stream: bool
    ) -> None:
        self._raw = raw
        self._method = method
        self._path = path
        self._body: bytes | None = None if stream else raw.content
        self.status: int = raw.status_code
        self.headers: Mapping[str, str] = raw.headers
        self.url: str = raw.url

    def content(self) -> bytes:
        """The whole body (read now if streaming)."""
        if self._body is None:
            self._body = b"".join(self.iter_chunks())
        return self._body

    def json(self) -> Any:
        body = self.content()
        try:
            return loads(body)
        except ValueError:
            kind = self.headers.get("Content-Type") or "no content type"
            excerpt = body[:200].decode("utf-8", errors="replace")
            raise ResponseDecodeError(
                f"{self._method} {self._path}: {self.status} response is not JSON "
                f"({kind}): {excerpt!r}"
            ) from None

    def iter_chunks(self, size: int = 65536) -> Iterator[bytes]:
        """The body in pieces of at most ``size`` bytes, as they arrive.

        A connection that breaks while reading raises :class:`StreamInterrupted`
        (:class:`ResponseTimeout` if the read timeout expired).
        """
        if self._body is not None:
            for start in range(0, len(self._body), size):
                yield self._body[start : start + size]
            return
        try:
            for chunk in self._read_raw(size):
                if chunk:
                    yield chunk
        except (Urllib3Error, requests.RequestException, OSError, ValueError) as error:
            raise self._interrupted(error) from error

    def _read_raw(self, size: int) -> Iterator[bytes]:
        raw = self._raw.raw
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

    def iter_lines(self) -> Iterator[bytes]:
        """Body lines without their ``\\n`` / ``\\r\\n``; memory bounded by a line."""
        return split_lines(self.iter_chunks())

    def _interrupted(self, error: BaseException) -> ConnectionFailed:
        kind = ResponseTimeout if _is_timeout(error) else StreamInterrupted
        return kind(
            f"{self._method} {self._path}: connection broke while reading the "
            f"response: {_describe(error)}"
        )

    def abort(self) -> None:
        """Stop the body from another thread: a blocked read returns at once."""
        shutdown = getattr(self._raw.raw, "shutdown", None)  # urllib3 >= 2.3
        if shutdown is None or self._body is not None:
            return
        try:
            shutdown()
        except (ValueError, RuntimeError, OSError):
            pass  # already finished or released: nothing is blocked on it

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Response {self.status} {self._method} {self._path}>"


class _Adapter(HTTPAdapter):
    """Connection pooling, plus ``tls-server-name`` for SNI and the hostname check.

    urllib3 takes both as pool keywords; they are added to direct and proxied
    pools alike.
    """

    def __init__(self, pool_maxsize: int, server_name: str | None) -> None:
        self._tls_kwargs: dict[str, Any] = {}
        if server_name:
            self._tls_kwargs = {
                "server_hostname": server_name,
                "assert_hostname": server_name,
            }
        super().__init__(pool_maxsize=pool_maxsize)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **kwargs: Any
    ) -> None:
        super().init_poolmanager(
            connections, maxsize, block, **self._tls_kwargs, **kwargs
        )

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        return super().proxy_manager_for(proxy, **self._tls_kwargs, **kwargs)


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    # Installed as the session's auth so requests never falls back to ~/.netrc
    # credentials, which would replace (or add) an Authorization header.
    return request


class Transport:
    """Sends requests to the API server of ``config``; thread-safe, pooled."""

    def __init__(
        self,
        config: Config,
        *,
        max_retries: int = 5,
        backoff_base: float = 0.2,
        backoff_cap: float = 10.0,
        pool_maxsize: int = 10,
    ) -> None:
        self.config = config
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        #: How the transport waits between attempts; tests replace it.
        self.sleep: Callable[[float], None] = time.sleep
        #: Jitter source in [0, 1); tests replace it.
        self.random: Callable[[], float] = random.random
        self._server = _server_of(config.host)
        self._session = requests.Session()
        self._session.auth = _no_auth
        self._session.mount("https://", _Adapter(pool_maxsize, config.tls_server_name))
        self._session.mount("http://", _Adapter(pool_maxsize, None))

    # --- public API

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        timeout: float | tuple[float, float | None] | None = None,
    ) -> Response:
        """Send one request (retrying as the module docstring says).

        ``path`` is an absolute API path, appended to ``config.host`` (whose own path
        prefix is kept). ``timeout`` is seconds or (connect, read); ``None`` takes
        ``config.timeout``; a read timeout of ``None`` waits forever (watches).
        Returns 2xx responses; raises :class:`~.errors.ApiError` subclasses for the
        rest and :class:`~.errors.ConnectionFailed` when no response came.
        """
        method = method.upper()
        url = self._url(path)
        query = encode_params(params or {})
        retries = 0
        refreshed = False
        while True:
            try:
                raw = self._send(
                    method,
                    url,
                    query,
                    body,
                    content_type=content_type,
                    accept=accept,
                    headers=headers,
                    stream=stream,
                    timeout=timeout,
                )
            except requests.RequestException as error:
                if retries < self.max_retries and _may_retry_failure(error, method):
                    cause = self._scrub(_describe(error))
                    self._pause(retries, None, f"{method} {path}: {cause}")
                    retries += 1
                    continue
                raise self._failure(error, method, path) from error
            status = raw.status_code
            # One retry after a 401, if the authenticator found new credentials.
            if (
                status == 401
                and not refreshed
                and self.config.refresh_after_unauthorized()
            ):
                _log.debug("%s %s -> 401, retrying with new credentials", method, path)
                refreshed = True
                raw.close()
                continue
            if retries < self.max_retries and _may_retry_status(status, method):
                retry_after = parse_retry_after(raw.headers.get("Retry-After"))
                raw.close()
                self._pause(retries, retry_after, f"{method} {path} -> {status}")
                retries += 1
                continue
            return self._finish(raw, method, path, stream)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Transport(server={self._server!r})"

    # --- one attempt

    def _url(self, path: str) -> str:
        if not path.startswith("/") or "://" in path:
            raise ValueError(f"not an absolute API path: {path[:200]!r}")
        if any(char in "?#" or char.isspace() or ord(char) < 0x20 for char in path):
            raise ValueError(
                f"API path contains a query, fragment, space or control character "
                f"(pass query parameters as params): {path[:200]!r}"
            )
        return self.config.host + path

    def _send(
        self,
        method: str,
        url: str,
        query: list[tuple[str, str]],
        body: bytes | None,
        *,
        content_type: str | None,
        accept: str,
        headers: Mapping[str, str] | None,
        stream: bool,
        timeout: float | tuple[float, float | None] | None,
    ) -> requests.Response:
        config = self.config
        sent = {"User-Agent": config.user_agent, "Accept": accept}
        if content_type or body is not None:
            sent["Content-Type"] = content_type or "application/json"
        sent.update(headers or {})
        sent.update(config.auth_headers())  # fresh per request: tokens rotate
        proxy = config.proxy_url
        return self._session.request(
            method,
            url,
            params=query,
            data=body,
            headers=sent,
            stream=stream,
            timeout=timeout if timeout is not None else config.timeout,
            verify=(config.ca_file or True) if config.verify else False,
            cert=config.client_cert(),
            proxies={"http": proxy, "https": proxy} if proxy else None,
            # An API server does not redirect; following one would resend the
            # credentials and body to wherever it points.
            allow_redirects=False,
        )

    def _pause(self, retries: int, retry_after: float | None, what: str) -> None:
        if retry_after is not None:
            delay = min(retry_after, _MAX_RETRY_AFTER)
        else:  # full jitter: uniform in [0, min(cap, base * 2**retries)]
            ceiling = min(self.backoff_cap, self.backoff_base * 2**retries)
            delay = self.random() * ceiling
        _log.debug(
            "%s; retry %d of %d in %.2fs", what, retries + 1, self.max_retries, delay
        )
        self.sleep(delay)

    def _finish(
        self, raw: requests.Response, method: str, path: str, stream: bool
    ) -> Response:
        _log.debug("%s %s -> %d", method, path, raw.status_code)
        _surface_warnings(raw.headers.get("Warning"))
        response = Response(raw, method, path, stream)
        if 200 <= raw.status_code < 300:
            return response
        try:
            body = _read_at_most(response, _MAX_ERROR_BODY)
        finally:
            response.close()
        raise error_from_response(raw.status_code, body, raw.headers, method, raw.url)

    def _failure(
        self, error: requests.RequestException, method: str, path: str
    ) -> ConnectionFailed:
        cause = self._scrub(_describe(error))
        if _before_sending(error):
            return ConnectionFailed(f"cannot connect to {self._server}: {cause}")
        if isinstance(error, requests.exceptions.SSLError):
            return ConnectionFailed(f"TLS with {self._server} failed: {cause}")
        if _is_timeout(error):
            return ResponseTimeout(
                f"{method} {path}: no response from {self._server} in time: {cause}"
            )
        return ConnectionFailed(f"{method} {path} to {self._server} failed: {cause}")

    def _scrub(self, text: str) -> str:
        """Blank out passwords we know of, should a library quote a URL."""
        secrets = [self.config.password]
        for url in (self.config.proxy_url, self.config.host):
            try:
                secrets.append(urlsplit(url or "").password)
            except ValueError:
                pass
        for secret in secrets:
            if secret:
                text = text.replace(secret, "<redacted>")
        return text


# --- helpers -----------------------------------------------------------------------


def encode_params(params: Params) -> list[tuple[str, str]]:
    """Query pairs: None dropped, bools as true/false, sequences repeated."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (str, int, float)):
            pairs.append((key, _scalar(value)))
        else:
            pairs.extend((key, _scalar(item)) for item in value if item is not None)
    return pairs


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _server_of(host: str) -> str:
    """``https://host:port`` of a server URL: no user info, no path."""
    parts = urlsplit(host)
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}"


def _may_retry_status(status: int, method: str) -> bool:
    if status == 429:
        return True  # APF rejected it before any processing
    return status in _RETRIABLE_5XX and method in _SAFE_METHODS


def _may_retry_failure(error: requests.RequestException, method: str) -> bool:
    if _before_sending(error):
        return True
    if isinstance(error, requests.exceptions.SSLError) or _is_timeout(error):
        return False  # certificates do not heal; a slow server is not helped by more
    reset = isinstance(
        error, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
    )
    return reset and method in _SAFE_METHODS


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


def _before_sending(error: BaseException) -> bool:
    """True when the connection was never established: nothing was sent."""
    # NewConnectionError (refused, DNS) is a ConnectTimeoutError in urllib3.
    return any(isinstance(cause, ConnectTimeoutError) for cause in _causes(error))


def _is_timeout(error: BaseException) -> bool:
    timeouts = (TimeoutError, Urllib3Timeout, requests.Timeout)
    return any(isinstance(cause, timeouts) for cause in _causes(error))


_OBJECT_REPR = re.compile(r"<[^<>]* object at 0x[0-9a-fA-F]+>:?\s*")


def _describe(error: BaseException) -> str:
    """The innermost cause, as a short sentence."""
    *_, root = _causes(error)
    text = _OBJECT_REPR.sub("", str(root)).strip(" ,:()'\"")
    return text[:300] if text else type(root).__name__


def _read_at_most(response: Response, limit: int) -> bytes:
    data = bytearray()
    try:
        for chunk in response.iter_chunks():
            data += chunk
            if len(data) >= limit:
                break
    except ConnectionFailed:
        pass  # the status says enough; keep what arrived
    return bytes(data[:limit])


# --- server warnings -----------------------------------------------------------------

# RFC 7234 warning-value: code SP agent SP "quoted text" [SP "date"]
_WARNING = re.compile(
    r'\s*(\d{3})\s+(\S+)\s+"((?:[^"\\]|\\.)*)"(?:\s+"[^"]*")?\s*(?:,|$)'
)
_ESCAPE = re.compile(r"\\(.)")


def parse_warnings(header: str | None) -> list[str]:
    """The texts of the ``299`` warnings in a (possibly combined) Warning header."""
    messages: list[str] = []
    position = 0
    while header and position < len(header):
        match = _WARNING.match(header, position)
        if match is None:
            _log.debug("malformed Warning header ignored from offset %d", position)
            break
        if match.group(1) == "299":
            messages.append(_ESCAPE.sub(r"\1", match.group(3)))
        position = match.end()
    return messages


def _surface_warnings(header: str | None) -> None:
    for message in parse_warnings(header):
        _log.warning("server warning: %s", message)
        warnings.warn(message, ServerWarning, stacklevel=_caller_stacklevel())


def _caller_stacklevel() -> int:
    """The stacklevel of the first frame outside this package: the user's call."""
    level = 1
    frame = sys._getframe(1)  # _surface_warnings, which calls warnings.warn
    while frame.f_back is not None and frame.f_code.co_filename.startswith(
        _PACKAGE_DIR
    ):
        frame = frame.f_back
        level += 1
    return level
