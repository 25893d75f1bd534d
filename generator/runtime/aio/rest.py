"""AsyncRESTClient: requests built as the sync client builds them, sent with await.

Building is the sync :class:`~..rest.RequestBuilder`'s (one code path: paths,
escaping, params, bodies); sending goes through the :class:`~.pipeline.AsyncPipeline`::

    rest = AsyncRESTClient(config)
    result = await rest.do(rest.get().abs_path("/version"))
    print(result.json()["gitVersion"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConnectionFailed
from ..pipeline import Pipeline
from ..rest import RequestBuilder, RESTClient, Result
from .pipeline import AsyncPipeline
from .response import AsyncResponse

if TYPE_CHECKING:
    from ..config import Config
    from ..request import Request
    from ..response import Response
    from .transport import AsyncTransport

__all__ = ["AsyncRESTClient"]


class _BuildOnly:
    """The transport of the sync RESTClient that only builds requests here."""

    def send(self, request: Request) -> Response:
        raise ConnectionFailed(
            f"{request.method} {request.path}: an async client's request must be "
            "sent with await (AsyncRESTClient.do / .stream)"
        )

    def close(self) -> None:
        pass


class AsyncRESTClient:
    """Builds requests (``get()``, ``post()`` ... as :class:`~..rest.RESTClient`) and
    sends them with ``await do(builder)`` or ``await stream(builder)``."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        transport: AsyncTransport | None = None,
        pipeline: AsyncPipeline | None = None,
    ) -> None:
        if pipeline is None:
            if transport is None:
                if config is None:
                    raise TypeError("AsyncRESTClient needs a config or a transport")
                from .http import AiohttpTransport

                transport = AiohttpTransport(config)
            if config is None:
                config = getattr(transport, "config", None)
            pipeline = AsyncPipeline(transport, config)
        self.pipeline = pipeline
        self.transport = pipeline.transport
        self.config = config if config is not None else pipeline.config
        #: builds the requests (never sends: its transport refuses)
        self.builder = RESTClient(pipeline=Pipeline(_BuildOnly(), self.config))

    def verb(self, method: str) -> RequestBuilder:
        return self.builder.verb(method)

    def get(self) -> RequestBuilder:
        return self.builder.get()

    def post(self) -> RequestBuilder:
        return self.builder.post()

    def put(self) -> RequestBuilder:
        return self.builder.put()

    def patch(self, patch_type: str = "strategic") -> RequestBuilder:
        return self.builder.patch(patch_type)

    def delete(self) -> RequestBuilder:
        return self.builder.delete()

    async def send(self, request: Request) -> AsyncResponse:
        return await self.pipeline.send(request)

    async def do(self, builder: RequestBuilder) -> Result:
        """Send and read the whole response; non-2xx raise ApiError subclasses."""
        response = await self.pipeline.send(builder.build())
        return Result(await response.read())

    async def stream(self, builder: RequestBuilder) -> AsyncResponse:
        """Send and return the open response (watch, follow=true logs)."""
        return await self.pipeline.send(builder.build(stream=True))

    async def close(self) -> None:
        await self.pipeline.close()

    async def __aenter__(self) -> AsyncRESTClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        host = getattr(self.config, "host", None)
        return f"<AsyncRESTClient {host or self.transport!r}>"
