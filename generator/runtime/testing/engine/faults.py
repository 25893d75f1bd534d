"""Fault injection: make the next N matching requests fail the way real servers
and networks fail, to test client retries and watch resumption::

    server.faults.error(429, retry_after=1)              # the next request
    server.faults.error(503, count=3, path=r"/pods")     # 3 requests on pods
    server.faults.delay(2.0, method="GET")
    server.faults.drop(path=r"watch=", after_events=5)   # cut a watch after 5 events

A fault matches on the method and on a regex searched in the path plus query
string; each fires ``count`` times. Several faults may apply to one request.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..protocol.status import ApiError
from ..protocol.wire import ConnectionDropped, ServerRequest, ServerResponse

_MESSAGES = {
    410: (
        "Expired",
        "The provided continue parameter is too old to display a consistent list "
        "result. You can start a new list without the continue parameter.",
    ),
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: injected fault"),
    502: ("", "injected fault: bad gateway"),
    503: ("ServiceUnavailable", "The server is currently unable to handle the request"),
    504: (
        "Timeout",
        "The server was unable to return a response in the time allotted, but may "
        "still be processing the request",
    ),
}


@dataclass
class Fault:
    kind: str  # error, delay, drop
    count: int
    path: re.Pattern[str] | None = None
    method: str | None = None
    status: int = 0
    retry_after: int | None = None
    message: str | None = None
    seconds: float = 0.0
    after_events: int = 0
    fired: int = 0

    def matches(self, request: ServerRequest) -> bool:
        if self.method and request.method.upper() != self.method.upper():
            return False
        if self.path is None:
            return True
        target = request.path
        if request.query:
            target += "?" + urlencode(request.query, doseq=True)
        return self.path.search(target) is not None

    def error(self) -> ApiError:
        reason, message = _MESSAGES.get(self.status, ("", "injected fault"))
        details: dict[str, Any] | None = None
        headers = {}
        if self.retry_after is not None:
            details = {"retryAfterSeconds": self.retry_after}
            headers["retry-after"] = str(self.retry_after)
        if self.status == 500:
            details = {"causes": [{"message": "injected fault"}]}
        return ApiError(self.status, reason, self.message or message, details, headers)


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    @staticmethod
    def _pattern(path: str | None) -> re.Pattern[str] | None:
        return re.compile(path) if path else None

    def error(
        self,
        status: int,
        count: int = 1,
        *,
        path: str | None = None,
        method: str | None = None,
        retry_after: int | None = None,
        message: str | None = None,
    ) -> Fault:
        """Answer with ``status`` (429, 500, 503 ...) and a Status body;
        429 carries Retry-After (1 s unless given)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        return self._add(
            Fault(
                "error",
                count,
                self._pattern(path),
                method,
                status,
                retry_after,
                message,
            )
        )

    def delay(
        self,
        seconds: float,
        count: int = 1,
        *,
        path: str | None = None,
        method: str | None = None,
    ) -> Fault:
        """Hold the request ``seconds`` before handling it."""
        return self._add(
            Fault("delay", count, self._pattern(path), method, seconds=seconds)
        )

    def drop(
        self,
        count: int = 1,
        *,
        path: str | None = None,
        method: str | None = None,
        after_events: int = 0,
    ) -> Fault:
        """Cut the connection mid-response: a stream after ``after_events``
        chunks (watch events, log lines), a plain body halfway through."""
        return self._add(
            Fault("drop", count, self._pattern(path), method, after_events=after_events)
        )

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def armed(self) -> bool:
        """Any fault left (read without the lock: a cheap test per request)."""
        return bool(self._faults)

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.count > 0]

    def take(self, request: ServerRequest) -> list[Fault]:
        """The faults that fire for this request (each counted down once)."""
        fired = []
        with self._lock:
            for fault in self._faults:
                if fault.count > 0 and fault.matches(request):
                    fault.count -= 1
                    fault.fired += 1
                    fired.append(fault)
            self._faults = [f for f in self._faults if f.count > 0]
        return fired


def dropped(response: ServerResponse, fault: Fault) -> ServerResponse:
    """The response cut short by ``fault``."""
    if response.stream is not None:
        return ServerResponse(
            response.status,
            response.headers,
            stream=_cut_stream(response.stream, fault),
        )
    body = response.body
    headers = {**response.headers, "content-length": str(len(body))}
    return ServerResponse(
        response.status, headers, stream=_cut_body(body[: len(body) // 2])
    )


def _cut_stream(stream: Iterator[bytes], fault: Fault) -> Iterator[bytes]:
    sent = 0
    try:
        for chunk in stream:
            if chunk and sent >= fault.after_events:
                break
            if chunk:
                sent += 1
            yield chunk
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    raise ConnectionDropped("injected fault: connection dropped")


def _cut_body(part: bytes) -> Iterator[bytes]:
    yield part
    raise ConnectionDropped("injected fault: connection dropped")
