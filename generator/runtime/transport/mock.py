"""A transport whose answers come from a function (httpx's ``MockTransport``)::

    def handler(request: Request) -> Response:
        return json_response(200, {"kind": "Pod", ...})

    cs = ClientSet(transport=MockTransport(handler))

Responses go through the same pipeline as over HTTP: retries, error mapping and
warnings behave exactly as they would against a server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from ..request import Request
from ..response import Headers, Response

__all__ = ["MockTransport", "json_response"]


class MockTransport:
    """Calls ``handler`` for every request; records them in ``requests``."""

    def __init__(self, handler: Callable[[Request], Response]) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def send(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
        if request.context is not None:
            request.context.check()
        return self.handler(request)

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"<MockTransport {getattr(self.handler, '__name__', 'handler')}>"


def json_response(
    status: int, body: Any, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response, as handlers usually answer."""
    data = json.dumps(body).encode()
    return Response(
        status,
        Headers({"Content-Type": "application/json", **(headers or {})}),
        body=data,
    )
