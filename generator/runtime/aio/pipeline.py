"""The async request pipeline: the sync pipeline's decisions, driven with await.

What a request goes through is decided once, sans-IO, in :mod:`..pipeline`:
:class:`~..pipeline.Attempts` (retries, backoff with jitter, ``Retry-After``,
the one 401 credential refresh, which failures are retried) and
:class:`~..pipeline.PipelinePolicies` (credentials, User-Agent, timeouts,
warnings, the error of a failed response). This module only awaits: the
transport, ``asyncio.sleep`` for a backoff and the client-side rate limit, and
the credentials (:mod:`.credentials`: an exec plugin as an asyncio subprocess, a
token file re-read off the loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, TypeVar

from ..errors import ConnectionFailed
from ..pipeline import (
    MAX_ERROR_BODY,
    REFRESH,
    RESEND,
    PipelinePolicies,
    RetryPolicy,
    Wait,
)
from ..request import Params, Request, Timeout
from .credentials import credentials, refresh_after_unauthorized
from .response import AsyncResponse

if TYPE_CHECKING:
    from ..config import Config
    from ..context import Context
    from ..flowcontrol import RateLimiter
    from .transport import AsyncTransport

__all__ = ["AsyncPipeline", "within"]

_T = TypeVar("_T")


async def within(ctx: Context | None, awaitable: Awaitable[_T]) -> _T:
    """Await ``awaitable``, ending it at once when ``ctx`` is cancelled (from any
    thread) or reaches its deadline: then :class:`~..errors.Cancelled` (or
    ``DeadlineExceeded``) is raised, as the sync client does."""
    if ctx is None:
        return await awaitable
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(awaitable)

    def cancel() -> None:
        try:
            loop.call_soon_threadsafe(task.cancel)
        except RuntimeError:  # the loop is closed: nothing left to cancel
            pass

    unregister = ctx.on_cancel(cancel)
    try:
        return await task
    except asyncio.CancelledError:
        error = ctx.error()
        if error is not None and task.cancelled():
            raise error from None
        raise
    finally:
        unregister()


class AsyncPipeline(PipelinePolicies):
    """Sends requests through an async ``transport`` with the pipeline's policies."""

    def __init__(
        self,
        transport: AsyncTransport,
        config: Config | None = None,
        *,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(config, retry=retry, rate_limiter=rate_limiter)
        self.transport = transport

    async def request(
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
    ) -> AsyncResponse:
        """Build a :class:`~..request.Request` and :meth:`send` it."""
        return await self.send(
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

    async def send(self, request: Request) -> AsyncResponse:
        """As :meth:`..pipeline.Pipeline.send`: a 2xx response, or the error."""
        ctx = request.context
        attempts = self.attempts(request)
        config = self.config
        while True:
            if ctx is not None:
                ctx.check()
            if self.rate_limiter is not None:
                await self._throttle(request)
            found = await credentials(config) if config is not None else None
            try:
                attempt = self.transport.send(self.prepare(request, found))
                response = await within(ctx, attempt)
            except ConnectionFailed as error:
                decision = attempts.failed(error)
                if isinstance(decision, Wait):
                    await self._wait(decision, ctx)
                    continue
                raise
            decision = attempts.answered(response.status, response.headers)
            if decision is REFRESH:
                assert config is not None
                changed = await refresh_after_unauthorized(config)
                decision = attempts.refreshed(
                    changed, response.status, response.headers
                )
            if decision is RESEND:
                await response.aclose()
                continue
            if isinstance(decision, Wait):
                await response.aclose()
                await self._wait(decision, ctx)
                continue
            if self.succeeded(response, request):
                return response
            body = await response.read_at_most(MAX_ERROR_BODY)
            raise self.error(response, body, request)

    async def close(self) -> None:
        await self.transport.close()

    async def __aenter__(self) -> AsyncPipeline:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<AsyncPipeline {self.transport!r}>"

    async def _throttle(self, request: Request) -> None:
        assert self.rate_limiter is not None
        reserve = getattr(self.rate_limiter, "reserve", None)
        if reserve is None:  # a limiter of the sync protocol only: wait off the loop
            waited = await asyncio.to_thread(
                self.rate_limiter.wait, request.context, _blocking_sleep
            )
        else:
            waited = float(reserve())
            if waited > 0:
                await _sleep(waited, request.context)
        self.throttled(request, waited)

    @staticmethod
    async def _wait(decision: Wait, ctx: Context | None) -> None:
        await within(ctx, _sleep(decision.seconds, ctx))
        if ctx is not None:
            ctx.check()


async def _sleep(seconds: float, ctx: Context | None) -> None:
    """Sleep, but no longer than the context's deadline (then it raises)."""
    if ctx is not None:
        remaining = ctx.remaining()
        if remaining is not None and remaining < seconds:
            await asyncio.sleep(max(remaining, 0.0))
            ctx.check()
    await asyncio.sleep(seconds)


def _blocking_sleep(seconds: float, ctx: Context | None) -> None:
    if ctx is None:
        import time

        time.sleep(seconds)
    else:
        ctx.wait(seconds)
