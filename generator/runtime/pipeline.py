"""The request pipeline: what every request goes through, whatever the transport.

Written once, above the :class:`~.transport.Transport` (client-go's
``rest/with_retry.go`` and ``transport/round_trippers.go``):

* credentials, fresh per attempt (tokens rotate), the User-Agent and the
  ``Impersonate-*`` headers of ``Config.impersonate``;
* retries with exponential backoff and jitter, or the server's ``Retry-After``
  (never less than half the backoff step, so ``Retry-After: 0`` cannot spin):

  - 429 Too Many Requests, any method: API Priority and Fairness rejected the
    request before doing anything;
  - 500, 502, 503, 504 on GET, HEAD and OPTIONS only: a write may have happened;
  - no connection (refused, DNS, connect timeout), any method: nothing was sent;
    a connection reset before the response, on GET, HEAD and OPTIONS only;

* one retry after a 401 when the authenticator has new credentials (a rotated
  token file, a re-run exec plugin);
* ``Warning: 299`` headers, surfaced as :class:`~.errors.ServerWarning`;
* the mapping of a failed response to its :mod:`.errors` class;
* the request's :class:`~.context.Context`: checked before each attempt, and
  ending a backoff or an attempt in progress at once;
* the client-side rate limit (:mod:`.flowcontrol`, off unless ``Config.qps``
  is set): one token per attempt, a wait longer than a second logged as a
  warning, as client-go's "due to client-side throttling" message.

The HTTP transport, the fake ClientSet's in-process transport and a
:class:`~.transport.mock.MockTransport` all run through this same code.
"""

from __future__ import annotations

import logging
import os
import random
import re
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .errors import (
    CannotConnect,
    ConnectionFailed,
    ResponseTimeout,
    ServerWarning,
    TLSFailed,
    error_from_response,
    parse_retry_after,
)
from .flowcontrol import DEFAULT_BURST, RateLimiter, TokenBucketRateLimiter
from .request import Params, Request, Timeout, encode_params
from .response import Headers, Response

if TYPE_CHECKING:
    from .config import Config
    from .context import Context
    from .transport import Transport

__all__ = [
    "Attempts",
    "Decision",
    "Pipeline",
    "PipelinePolicies",
    "RetryPolicy",
    "Wait",
    "parse_warnings",
]

_log = logging.getLogger(__package__ or "kubeclient")

# 501 and 505 say the server will never do it: retrying cannot help.
_RETRIABLE_5XX = frozenset({500, 502, 503, 504})
_MAX_ERROR_BODY = 1 << 20
_DEFAULT_TIMEOUT = (10.0, 60.0)
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# client-go's longThrottleLatency and extraLongThrottleLatency
_LONG_THROTTLE = 0.05
_EXTRA_LONG_THROTTLE = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is retried."""

    max_retries: int = 5
    #: the first backoff step; each retry doubles it, up to ``backoff_cap``
    backoff_base: float = 0.2
    backoff_cap: float = 10.0
    #: the longest ``Retry-After`` honoured
    retry_after_cap: float = 60.0

    def delay(self, retries: int, retry_after: float | None, draw: float) -> float:
        """Seconds before retry number ``retries + 1``: the step with equal jitter
        (``draw`` in [0, 1) picks between half the step and the step), or the
        server's Retry-After when longer."""
        step: float = min(self.backoff_cap, self.backoff_base * 2.0**retries)
        backoff = step * (0.5 + draw / 2)
        if retry_after is None:
            return backoff
        honoured: float = min(retry_after, self.retry_after_cap)
        return max(honoured, step / 2)


# --- the retry decisions, sans-IO: the sync and async pipelines both run them -------


class Decision:
    """What a driver does next with a request (see :class:`Attempts`)."""

    __slots__ = ()


class Finish(Decision):
    """Hand the response to :meth:`PipelinePolicies.check`: a 2xx is returned, any
    other status raised as its error class."""

    __slots__ = ()


class Refresh(Decision):
    """A 401: ask the config for new credentials, then tell :meth:`Attempts.refreshed`."""

    __slots__ = ()


class Resend(Decision):
    """Send the request again at once (new credentials)."""

    __slots__ = ()


class Raise(Decision):
    """No response and no retry: raise the connection error."""

    __slots__ = ()


@dataclass(frozen=True)
class Wait(Decision):
    """Close the response, wait ``seconds`` (the context ends the wait), resend."""

    seconds: float
    reason: str


FINISH, REFRESH, RESEND, RAISE = Finish(), Refresh(), Resend(), Raise()


class Attempts:
    """The retry state of one request: told what each attempt brought, it says what
    to do next. No I/O and no clock, so the sync :class:`Pipeline` and the async one
    (``kubeclient.aio``) take the very same decisions."""

    __slots__ = (
        "_can_refresh",
        "_policy",
        "_random",
        "_refreshed",
        "_request",
        "retries",
    )

    def __init__(
        self,
        policy: RetryPolicy,
        request: Request,
        random: Callable[[], float],
        *,
        can_refresh: bool,
    ) -> None:
        self._policy = policy
        self._request = request
        self._random = random
        self._can_refresh = can_refresh
        self._refreshed = False
        #: retries taken so far (a 401 refresh is not one)
        self.retries = 0

    def answered(self, status: int, headers: Mapping[str, str]) -> Decision:
        """A response came: FINISH, REFRESH (a first 401) or Wait."""
        if status == 401 and self._can_refresh and not self._refreshed:
            return REFRESH
        return self._after_status(status, headers)

    def refreshed(
        self, changed: bool, status: int, headers: Mapping[str, str]
    ) -> Decision:
        """After REFRESH: RESEND when the credentials changed, else as answered."""
        self._refreshed = True
        if changed:
            _log.debug("%s -> 401, retrying with new credentials", self._what())
            return RESEND
        return self._after_status(status, headers)

    def failed(self, error: ConnectionFailed) -> Decision:
        """No response (``error``): Wait, or RAISE."""
        if self.retries < self._policy.max_retries and _may_retry(error, self._request):
            return self._wait(None, f"{self._what()}: {error}")
        return RAISE

    def _after_status(self, status: int, headers: Mapping[str, str]) -> Decision:
        if self.retries < self._policy.max_retries and _may_retry_status(
            status, self._request
        ):
            retry_after = parse_retry_after(headers.get("Retry-After"))
            return self._wait(retry_after, f"{self._what()} -> {status}")
        return FINISH

    def _wait(self, retry_after: float | None, reason: str) -> Wait:
        delay = self._policy.delay(self.retries, retry_after, self._random())
        self.retries += 1
        _log.debug(
            "%s; retry %d of %d in %.2fs",
            reason,
            self.retries,
            self._policy.max_retries,
            delay,
        )
        return Wait(delay, reason)

    def _what(self) -> str:
        return f"{self._request.method} {self._request.path}"


class Answer(Protocol):
    """What the policies read of a response, sync or async."""

    status: int
    headers: Headers
    url: str


class PipelinePolicies:
    """What the sync and async pipelines share besides :class:`Attempts`: the
    request as sent (credentials, user agent, timeouts), the throttling messages,
    the warnings and the mapping of a failed response to its error."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.config = config
        self.retry = retry or RetryPolicy()
        #: taken once per attempt; from ``config.qps``/``burst`` unless given.
        #: Shared by every client on this pipeline (one ClientSet); replaceable.
        self.rate_limiter = rate_limiter or _rate_limiter_for(config)
        self._throttle_logged_at: float | None = None
        #: jitter source in [0, 1); tests replace it
        self.random: Callable[[], float] = random.random
        user_agent = config.user_agent if config is not None else ""
        self._user_agent = user_agent or _default_user_agent()

    def attempts(self, request: Request) -> Attempts:
        """The retry state machine for one request."""
        return Attempts(
            self.retry, request, self.random, can_refresh=self.config is not None
        )

    def build(
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
        timeout: Timeout | None = None,
        ctx: Context | None = None,
    ) -> Request:
        """The :class:`Request` of :meth:`Pipeline.request`'s arguments."""
        sent = {"accept": accept}
        if content_type or body is not None:
            sent["content-type"] = content_type or "application/json"
        for name, value in (headers or {}).items():
            sent[name.lower()] = value
        return Request(
            method.upper(),
            path,
            encode_params(params or {}),
            tuple(sent.items()),
            body,
            timeout,
            stream,
            ctx,
        )

    def prepare(
        self,
        request: Request,
        credentials: tuple[Mapping[str, str], tuple[str, str] | None] | None,
    ) -> Request:
        """The request as sent now: ``credentials`` (the config's, fetched afresh
        by the driver: tokens rotate), user agent, impersonation, timeouts."""
        extra = {"user-agent": self._user_agent}
        if request.header("user-agent"):
            extra = {}
        cert = None
        impersonation: list[tuple[str, str]] = []
        if credentials is not None:
            headers, cert = credentials
            extra.update(headers)
        # as client-go: a request that impersonates by itself is left alone
        if self.config is not None and not request.header("impersonate-user"):
            impersonation = self.config.impersonation_headers()
        timeout = request.timeout
        if timeout is None:
            timeout = self.config.timeout if self.config is not None else None
            timeout = timeout or _DEFAULT_TIMEOUT
        ctx = request.context
        if ctx is not None and not request.stream:
            timeout = _within(timeout, ctx.remaining())
        return request.with_headers(
            extra, timeout=timeout, client_cert=cert, repeated=impersonation
        )

    def throttled(self, request: Request, waited: float) -> None:
        """Say so when the rate limiter kept ``request`` waiting long."""
        if waited <= _LONG_THROTTLE:
            return
        host = self.config.host.rstrip("/") if self.config is not None else ""
        message = (
            "Waited for %.3fs due to client-side throttling, not priority and "
            "fairness, request: %s:%s"
        )
        args = (waited, request.method, host + request.path)
        if waited <= _EXTRA_LONG_THROTTLE:
            _log.debug(message, *args)
            return
        now = time.monotonic()
        last = self._throttle_logged_at
        if last is None or now - last >= 1.0:
            self._throttle_logged_at = now  # at most once a second, as client-go
            _log.warning(message, *args)
        else:
            _log.info(message, *args)

    def succeeded(self, response: Answer, request: Request) -> bool:
        """Surface the response's warnings; True for a 2xx (returned as it is)."""
        _log.debug("%s %s -> %d", request.method, request.path, response.status)
        surface_warnings(response.headers.get("Warning"))
        return 200 <= response.status < 300

    @staticmethod
    def error(response: Answer, body: bytes, request: Request) -> Exception:
        """The :mod:`.errors` exception of a failed response whose ``body`` (at most
        :data:`MAX_ERROR_BODY` bytes) was read."""
        return error_from_response(
            response.status, body, response.headers, request.method, response.url
        )


#: how much of a failed response's body is read for its error
MAX_ERROR_BODY = _MAX_ERROR_BODY


class Pipeline(PipelinePolicies):
    """Sends requests through ``transport`` with the pipeline's policies."""

    def __init__(
        self,
        transport: Transport,
        config: Config | None = None,
        *,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(config, retry=retry, rate_limiter=rate_limiter)
        self.transport = transport
        #: waits between attempts (seconds, context); tests replace it
        self.sleep: Callable[[float, Context | None], None] = _sleep

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
        timeout: Timeout | None = None,
        ctx: Context | None = None,
    ) -> Response:
        """Build a :class:`Request` and :meth:`send` it."""
        return self.send(
            self.build(
                method,
                path,
                params=params,
                body=body,
                content_type=content_type,
                accept=accept,
                headers=headers,
                stream=stream,
                timeout=timeout,
                ctx=ctx,
            )
        )

    def send(self, request: Request) -> Response:
        """Send one request, retrying as the module docstring says. Returns 2xx
        responses; raises :class:`~.errors.ApiError` subclasses for the rest,
        :class:`~.errors.ConnectionFailed` when no response came and
        :class:`~.errors.Cancelled` when the request's context ended it."""
        ctx = request.context
        attempts = self.attempts(request)
        config = self.config
        while True:
            if ctx is not None:
                ctx.check()
            if self.rate_limiter is not None:
                self.throttled(request, self.rate_limiter.wait(ctx, self.sleep))
            credentials = config.credentials() if config is not None else None
            try:
                response = self.transport.send(self.prepare(request, credentials))
            except ConnectionFailed as error:
                decision = attempts.failed(error)
                if isinstance(decision, Wait):
                    self._wait(decision, ctx)
                    continue
                raise
            decision = attempts.answered(response.status, response.headers)
            if decision is REFRESH:
                assert config is not None
                changed = config.refresh_after_unauthorized()
                decision = attempts.refreshed(
                    changed, response.status, response.headers
                )
            if decision is RESEND:
                response.close()
                continue
            if isinstance(decision, Wait):
                response.close()
                self._wait(decision, ctx)
                continue
            return self._finish(response, request)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Pipeline {self.transport!r}>"

    def _wait(self, decision: Wait, ctx: Context | None) -> None:
        self.sleep(decision.seconds, ctx)
        if ctx is not None:
            ctx.check()

    def _finish(self, response: Response, request: Request) -> Response:
        if self.succeeded(response, request):
            return response
        try:
            body = response.read_at_most(_MAX_ERROR_BODY)
        finally:
            response.close()
        raise self.error(response, body, request)


def _rate_limiter_for(config: Config | None) -> RateLimiter | None:
    qps = getattr(config, "qps", None)
    if qps is None:
        return None
    burst = getattr(config, "burst", None)
    return TokenBucketRateLimiter(qps, DEFAULT_BURST if burst is None else burst)


def _sleep(seconds: float, ctx: Context | None) -> None:
    if ctx is None:
        time.sleep(seconds)
    else:
        ctx.wait(seconds)


def _within(timeout: Timeout, remaining: float | None) -> Timeout:
    """A timeout that ends no later than the context's deadline."""
    if remaining is None:
        return timeout
    if isinstance(timeout, tuple):
        connect, read = timeout
        return (min(connect, remaining), min(read or remaining, remaining))
    return min(timeout, remaining)


def _may_retry_status(status: int, request: Request) -> bool:
    if status == 429:
        return True  # APF rejected it before any processing
    return status in _RETRIABLE_5XX and request.safe


def _may_retry(error: ConnectionFailed, request: Request) -> bool:
    if isinstance(error, CannotConnect):
        return True  # nothing was sent
    if isinstance(error, (TLSFailed, ResponseTimeout)):
        return False  # certificates do not heal; a slow server is not helped by more
    return request.safe


def _default_user_agent() -> str:
    import platform

    machine = platform.machine() or "unknown"
    return (
        f"kubeclient-python (Python {platform.python_version()}; "
        f"{sys.platform}/{machine})"
    )


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


def surface_warnings(header: str | None) -> None:
    for message in parse_warnings(header):
        _log.warning("server warning: %s", message)
        warnings.warn(message, ServerWarning, stacklevel=_caller_stacklevel())


def _caller_stacklevel() -> int:
    """The stacklevel of the first frame outside this package: the user's call."""
    level = 1
    frame = sys._getframe(1)  # surface_warnings, which calls warnings.warn
    while frame.f_back is not None and frame.f_code.co_filename.startswith(
        _PACKAGE_DIR
    ):
        frame = frame.f_back
        level += 1
    return level
