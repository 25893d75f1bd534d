"""Async transports: what carries a :class:`~..request.Request` and brings back an
:class:`~.response.AsyncResponse`, one coroutine ``send``.

* :class:`~.http.AiohttpTransport` -- HTTP(S) on aiohttp's connection pool;
* :class:`AsyncMockTransport` -- a function answers (unit tests);
* the async fake ClientSet's transport hands requests to the test API server's
  engine (:mod:`.testing`).

As for the sync :mod:`..transport`: retries, credentials, warnings and errors are
the pipeline's (:mod:`.pipeline`); a transport returns every status and raises
only :class:`~..errors.ConnectionFailed` subclasses. Cancelling the task that
awaits ``send`` (or reads a streamed body) closes its connection at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from ..request import Request
from ..response import Response
from .response import AsyncResponse

__all__ = ["AsyncMockTransport", "AsyncTransport"]


class AsyncTransport(Protocol):
    async def send(self, request: Request) -> AsyncResponse: ...

    async def close(self) -> None: ...


class AsyncMockTransport:
    """Awaits ``handler`` (or calls it, if it is a plain function) for every
    request; records them in ``requests``. Answers are sync
    :class:`~..response.Response` values with a body (``transport.mock.json_response``)
    or AsyncResponses."""

    def __init__(
        self,
        handler: (
            Callable[[Request], Awaitable[Response | AsyncResponse]]
            | Callable[[Request], Response | AsyncResponse]
        ),
    ) -> None:
        self.handler = handler
        self.requests: list[Request] = []

    async def send(self, request: Request) -> AsyncResponse:
        self.requests.append(request)
        if request.context is not None:
            request.context.check()
        answer = self.handler(request)
        if isinstance(answer, Awaitable):
            answer = await answer
        if isinstance(answer, AsyncResponse):
            return answer
        return AsyncResponse(
            answer.status,
            answer.headers,
            body=answer.content(),
            method=request.method,
            path=request.path,
        )

    async def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"<AsyncMockTransport {getattr(self.handler, '__name__', 'handler')}>"
