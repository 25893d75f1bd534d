"""Transports: what carries a :class:`~..request.Request` to an API server and
brings back a :class:`~..response.Response`. One method, ``send``.

* :class:`~.http.HTTPTransport` -- HTTP(S) through requests' connection pools;
* :class:`~.mock.MockTransport` -- a function answers (tests, in-process servers);
* the fake ClientSet's transport hands requests to the test API server's engine.

Retries, credentials, warnings and error mapping are not a transport's business:
they are written once, in :mod:`..pipeline`, above every transport. A transport
returns every status it receives (a 404 is a response, not an error) and raises
only :class:`~..errors.ConnectionFailed` subclasses (no response) or
:class:`~..errors.Cancelled` (the request's context ended it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..request import Request
    from ..response import Response
    from .http import HTTPTransport
    from .mock import MockTransport

__all__ = ["HTTPTransport", "MockTransport", "Transport"]


class Transport(Protocol):
    """Sends one request; thread-safe."""

    def send(self, request: Request) -> Response: ...

    def close(self) -> None: ...


def __getattr__(name: str) -> Any:
    # imported on first use: the HTTP transport's requests import is not free
    if name == "HTTPTransport":
        from .http import HTTPTransport

        return HTTPTransport
    if name == "MockTransport":
        from .mock import MockTransport

        return MockTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
